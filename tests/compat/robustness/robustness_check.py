"""brookd under crashes and bad input.

crash:    an idempotent acks=all producer (confluent-kafka, retries on) writes numbered records to
          3 partitions while brookd is killed with -9 and restarted again and again. Then every
          partition is read back: every acknowledged record must be there, once, and in order per
          partition. Lost and duplicated must be 0: a retry of a write that landed before the kill
          is recognised by the producer state brookd rebuilt at start.
badinput: many connections at once send malformed frames (random bytes, negative and oversized
          sizes, unknown API keys and versions, truncated frames, garbage records) while a good
          client produces and consumes. brookd must keep answering the good client, answer what
          Kafka answers (ApiVersions v0 fallback, CORRUPT_MESSAGE), and lose or change nothing.
sessions: Fetch sessions (KIP-227) in raw Fetch v7 requests, each transition Kafka defines.
limits:   a record just under message.max.bytes is stored and read back, one over it is refused
          with MESSAGE_TOO_LARGE, and a topic of 1000 partitions takes and returns a record each.

Usage: robustness_check.py BROOKD {crash,badinput,limits,sessions} [--cycles N] [--set key=value]...
Prints its counts; exits 1 on any failure.
"""

import argparse
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Brookd:
    # Extra settings for every start (--set key=value on the command line).
    extra = []

    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.port = free_port()
        self.proc = None
        self.log = open(os.path.join(work, "brookd.log"), "ab")

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(
            [self.binary, "--override", f"listeners=PLAINTEXT://127.0.0.1:{self.port}",
             "--override", f"log.dirs={self.work}/data", "--override", "brook.shards=2",
             "--override", "log.retention.ms=-1"]
            + [a for kv in Brookd.extra for a in ("--override", kv)],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError("brookd did not start; see " + self.log.name)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return False
        return self.proc.returncode == 0

    def log_errors(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            text = f.read().decode(errors="replace")
        return [l for l in text.splitlines()
                if " ERROR " in l or "AddressSanitizer" in l or "runtime error" in l]


def create_topic(bootstrap, name, partitions):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(30)


def read_partition(bootstrap, topic, partition, expect_at_least, timeout=60):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "robustness",
                  "enable.auto.commit": False})
    c.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
    _, high = c.get_watermark_offsets(TopicPartition(topic, partition), 30)
    out = []
    deadline = time.time() + timeout
    while (len(out) < high or len(out) < expect_at_least) and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        out.append((m.offset(), m.value()))
    c.close()
    return out


def crash(binary, work, cycles):
    b = Brookd(binary, work)
    b.start()
    topic, partitions = "crash", 3
    create_topic(b.bootstrap, topic, partitions)
    acked = {p: [] for p in range(partitions)}
    failed = []
    stop = threading.Event()

    def produce():
        # log_level 0: the connection failures during the kills are expected, not news.
        p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "linger.ms": 2, "log_level": 0,
                      "enable.idempotence": True, "message.timeout.ms": 120000,
                      "retry.backoff.ms": 50, "reconnect.backoff.max.ms": 200})

        def done(err, msg):
            if err is None:
                acked[msg.partition()].append(int(msg.value()))
            else:
                failed.append(str(err))

        n = 0
        while not stop.is_set():
            for part in range(partitions):
                try:
                    p.produce(topic, value=str(n).encode(), partition=part, on_delivery=done)
                except BufferError:
                    p.poll(0.05)
                    continue
            n += 1
            p.poll(0)
            if n % 50 == 0:
                time.sleep(0.01)
        p.flush(120)

    t = threading.Thread(target=produce)
    t.start()
    rng = random.Random(7)
    for i in range(cycles):
        time.sleep(rng.uniform(0.5, 2.0))
        b.kill9()
        time.sleep(rng.uniform(0.0, 0.5))
        b.start()
    time.sleep(1.0)
    stop.set()
    t.join()

    lost = dups = out_of_order = total = 0
    for part in range(partitions):
        want = acked[part]
        total += len(want)
        got = [int(v) for _, v in read_partition(b.bootstrap, topic, part, len(want))]
        seen, first = set(), []
        for v in got:
            if v in seen:
                dups += 1
            else:
                seen.add(v)
                first.append(v)
        lost += sum(1 for v in want if v not in seen)
        out_of_order += sum(1 for a, c in zip(first, first[1:]) if c < a)
    clean = b.stop()
    errors = b.log_errors()
    print(f"crash: {cycles} kill -9 cycles, {total} records acknowledged, lost {lost}, "
          f"duplicates {dups}, out of order {out_of_order}, delivery failures {len(failed)}, "
          f"log errors {len(errors)}")
    for e in errors[:10]:
        print("  " + e)
    return (lost == 0 and dups == 0 and out_of_order == 0 and not failed and clean and not errors
            and total > 0)


def frame(body):
    return struct.pack(">i", len(body)) + body


def header(key, version, correlation, client=b"bad"):
    return struct.pack(">hhih", key, version, correlation, len(client)) + client


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_frame(s):
    size = recv_exact(s, 4)
    if size is None:
        return None
    return recv_exact(s, struct.unpack(">i", size)[0])


def bad_client(bootstrap, seed, stats, lock):
    rng = random.Random(seed)
    host, port = bootstrap.split(":")
    kinds = ["random", "negative", "oversize", "unknown_key", "truncated", "api_versions_99",
             "garbage_produce", "huge_count"]
    for _ in range(40):
        kind = rng.choice(kinds)
        try:
            s = socket.create_connection((host, int(port)), 5)
            s.settimeout(5)
            if kind == "random":
                s.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300))))
            elif kind == "negative":
                s.sendall(struct.pack(">i", -5) + b"xxxx")
            elif kind == "oversize":
                s.sendall(struct.pack(">i", 2_000_000_000))
            elif kind == "unknown_key":
                s.sendall(frame(header(999, 0, 1)))
            elif kind == "truncated":
                s.sendall(struct.pack(">i", 100) + header(18, 3, 1)[:7])
            elif kind == "api_versions_99":
                # A flexible version, so request header v2: an empty tagged-field section.
                s.sendall(frame(header(18, 99, 42) + b"\x00"))
                resp = recv_frame(s)
                # Header v0 (correlation id), then error_code int16 = 35 UNSUPPORTED_VERSION.
                ok = resp is not None and struct.unpack(">ih", resp[:6]) == (42, 35)
                with lock:
                    stats["api_versions_fallback_ok" if ok else "api_versions_fallback_bad"] += 1
            elif kind == "garbage_produce":
                # Produce v3: transactional_id null, acks 1, timeout, one topic, one partition,
                # records = 70 bytes that are not a batch.
                body = header(0, 3, 7) + struct.pack(">hhi", -1, 1, 1000) + struct.pack(">i", 1)
                body += struct.pack(">h", 5) + b"valid" + struct.pack(">i", 1) + struct.pack(">i", 0)
                junk = bytes(rng.getrandbits(8) for _ in range(70))
                body += struct.pack(">i", len(junk)) + junk
                s.sendall(frame(body))
                resp = recv_frame(s)
                # correlation, topics(1), name "valid", partitions(1), index 0, error_code.
                ok = False
                if resp is not None and len(resp) >= 4 + 4 + 2 + 5 + 4 + 4 + 2:
                    err = struct.unpack(">h", resp[4 + 4 + 2 + 5 + 4 + 4:][:2])[0]
                    ok = err in (2, 87)  # CORRUPT_MESSAGE or INVALID_RECORD
                with lock:
                    stats["garbage_produce_rejected" if ok else "garbage_produce_bad"] += 1
            elif kind == "huge_count":
                # Metadata v1 claiming 2^31-1 topics in a tiny frame.
                s.sendall(frame(header(3, 1, 9) + struct.pack(">i", 0x7FFFFFFF)))
            with lock:
                stats[kind] += 1
            s.close()
        except OSError:
            with lock:
                stats["socket_errors"] += 1


def badinput(binary, work, _cycles):
    b = Brookd(binary, work)
    b.start()
    create_topic(b.bootstrap, "valid", 1)
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "enable.idempotence": False,
                  "log_level": 0})
    good = [f"good-{i}".encode() for i in range(500)]
    for v in good[:250]:
        p.produce("valid", value=v)
    p.flush(30)

    from collections import Counter
    stats, lock = Counter(), threading.Lock()
    threads = [threading.Thread(target=bad_client, args=(b.bootstrap, i, stats, lock))
               for i in range(32)]
    for t in threads:
        t.start()
    # The good client keeps working while the bad ones hammer.
    for v in good[250:]:
        p.produce("valid", value=v)
        p.poll(0)
    left = p.flush(60)
    for t in threads:
        t.join()
    got = [v for _, v in read_partition(b.bootstrap, "valid", 0, len(good))]
    alive = b.proc.poll() is None
    clean = b.stop()
    errors = b.log_errors()
    print("badinput: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.items())))
    print(f"badinput: good records {len(good)}, read back {len(got)}, identical {got == good}, "
          f"undelivered {left}, brookd alive {alive}, clean stop {clean}, log errors {len(errors)}")
    for e in errors[:10]:
        print("  " + e)
    return (got == good and left == 0 and alive and clean and not errors
            and stats["api_versions_fallback_bad"] == 0 and stats["garbage_produce_bad"] == 0)


def limits(binary, work, _cycles):
    """Records near message.max.bytes (1048588 by default), one past it, and 1000 partitions."""
    b = Brookd(binary, work)
    b.start()
    ok = True
    create_topic(b.bootstrap, "big", 1)
    # The client's own limit is raised so that the broker is the one to judge.
    p = Producer({"bootstrap.servers": b.bootstrap, "acks": "all", "enable.idempotence": False,
                  "message.max.bytes": 4_000_000, "batch.size": 4_000_000, "linger.ms": 0,
                  "log_level": 0})
    results = {}

    def done(err, msg):
        results[len(msg.value())] = None if err is None else err.code()

    from confluent_kafka import KafkaError
    fits = 1048588 - 61 - 40  # batch header and one record's own overhead
    for size in (fits, 1_200_000):
        p.produce("big", value=b"x" * size, on_delivery=done)
        p.flush(60)
    fit_ok = results.get(fits) is None and fits in results
    over_ok = results.get(1_200_000) == KafkaError.MSG_SIZE_TOO_LARGE
    got = read_partition(b.bootstrap, "big", 0, 1)
    read_ok = len(got) == 1 and len(got[0][1]) == fits
    print(f"limits: {fits}-byte record accepted {fit_ok}, read back {read_ok}; 1200000-byte record "
          f"refused with MSG_SIZE_TOO_LARGE {over_ok} (got {results.get(1_200_000)})")
    ok &= fit_ok and over_ok and read_ok

    create_topic(b.bootstrap, "wide", 1000)
    p2 = Producer({"bootstrap.servers": b.bootstrap, "acks": 1, "enable.idempotence": False,
                   "log_level": 0})
    for part in range(1000):
        p2.produce("wide", value=f"p{part}".encode(), partition=part)
    left = p2.flush(60)
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "limits",
                  "enable.auto.commit": False})
    c.assign([TopicPartition("wide", part, OFFSET_BEGINNING) for part in range(1000)])
    seen = {}
    deadline = time.time() + 90
    while len(seen) < 1000 and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            seen[m.partition()] = m.value()
    c.close()
    wide_ok = left == 0 and all(seen.get(part) == f"p{part}".encode() for part in range(1000))
    print(f"limits: 1000 partitions: produced {1000 - left}, read back {len(seen)}, all match {wide_ok}")
    ok &= wide_ok
    ok &= b.stop()
    errors = b.log_errors()
    for e in errors[:10]:
        print("  " + e)
    return ok and not errors


def sessions(binary, work, _cycles):
    """Fetch sessions (KIP-227) in raw Fetch v7 requests: create, incremental, stale epoch,
    unknown id, reset by a full fetch, close."""
    b = Brookd(binary, work)
    b.start()
    create_topic(b.bootstrap, "sess", 1)
    p = Producer({"bootstrap.servers": b.bootstrap, "log_level": 0})
    for i in range(10):
        p.produce("sess", value=b"v%d" % i, partition=0)
    p.flush(30)
    s = socket.create_connection(("127.0.0.1", b.port), 5)
    s.settimeout(10)
    corr = [0]

    def fetch_frame(session_id, epoch, offset=None, forget=False, wait_ms=0, min_bytes=0):
        corr[0] += 1
        body = header(1, 7, corr[0]) + struct.pack(">iiiibii", -1, wait_ms, min_bytes, 1 << 20, 0,
                                                   session_id, epoch)
        if offset is None:
            body += struct.pack(">i", 0)
        else:
            body += struct.pack(">ih", 1, 4) + b"sess" + struct.pack(">iiqqi", 1, 0, offset, -1, 1 << 20)
        body += (struct.pack(">ih", 1, 4) + b"sess" + struct.pack(">ii", 1, 0)) if forget else struct.pack(">i", 0)
        return frame(body)

    def read_fetch_response():
        r = recv_frame(s)
        c, _throttle, err, sid, ntopics = struct.unpack(">iihii", r[:18])
        parts, pos = [], 18
        for _ in range(ntopics):
            (n,) = struct.unpack(">h", r[pos:pos + 2])
            pos += 2 + n
            (np_,) = struct.unpack(">i", r[pos:pos + 4])
            pos += 4
            for _ in range(np_):
                idx, perr, hw = struct.unpack(">ihq", r[pos:pos + 14])
                pos += 14 + 16
                (na,) = struct.unpack(">i", r[pos:pos + 4])
                pos += 4 + max(na, 0) * 16
                (nr,) = struct.unpack(">i", r[pos:pos + 4])
                pos += 4 + max(nr, 0)
                parts.append((idx, perr, hw, max(nr, 0)))
        return err, sid, parts

    def fetch(*args, **kwargs):
        s.sendall(fetch_frame(*args, **kwargs))
        return read_fetch_response()

    checks = []
    err, sid, parts = fetch(0, 0, offset=0)
    checks.append(("new session: full response with records", err == 0 and sid != 0
                   and len(parts) == 1 and parts[0][2] == 10 and parts[0][3] > 0))
    err2, sid2, parts2 = fetch(sid, 1, offset=10)
    checks.append(("epoch 1, nothing new: no partitions", err2 == 0 and sid2 == sid and parts2 == []))
    p.produce("sess", value=b"more", partition=0)
    p.flush(30)
    err3, _, parts3 = fetch(sid, 2)
    checks.append(("epoch 2, new record: the partition comes back", err3 == 0 and len(parts3) == 1
                   and parts3[0][2] == 11 and parts3[0][3] > 0))
    err4, _, _ = fetch(sid, 2)
    checks.append(("stale epoch: INVALID_FETCH_SESSION_EPOCH", err4 == 71))
    err5, _, _ = fetch(sid + 1, 1)
    checks.append(("unknown id: FETCH_SESSION_ID_NOT_FOUND", err5 == 70))
    err6, _, parts6 = fetch(sid, 3, forget=True)
    checks.append(("forgotten partition: session empty", err6 == 0 and parts6 == []))
    err7, _, _ = fetch(sid, -1)
    err8, _, _ = fetch(sid, 4)
    checks.append(("epoch -1 closes the session", err7 == 0 and err8 == 70))
    # A full fetch (epoch 0) that names a session closes it and opens a new one, as Kafka's
    # FetchManager does; franz-go resets its session this way.
    _, sid_a, _ = fetch(0, 0, offset=0)
    err_r, sid_b, parts_r = fetch(sid_a, 0, offset=0)
    err_old, _, _ = fetch(sid_a, 1)
    checks.append(("epoch 0 with a session id: a new session, the old one closed",
                   err_r == 0 and sid_b not in (0, sid_a) and len(parts_r) == 1 and err_old == 70))
    # A long poll in flight while the next request on the connection closes its session, as the
    # Java consumer does when it closes.
    _, sid9, _ = fetch(0, 0, offset=11)
    s.sendall(fetch_frame(sid9, 1, wait_ms=800, min_bytes=1) + fetch_frame(sid9, -1))
    err10, _, _ = read_fetch_response()
    err11, _, _ = read_fetch_response()
    checks.append(("session closed during a long poll", err10 == 0 and err11 == 0))
    s.close()
    ok = b.stop() and not b.log_errors()
    for name, good in checks:
        print(f"sessions: {name}: {'ok' if good else 'FAILED'}")
        ok &= good
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("brookd")
    ap.add_argument("test", choices=["crash", "badinput", "limits", "sessions"])
    ap.add_argument("--cycles", type=int, default=8)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a brookd setting for this run")
    a = ap.parse_args()
    Brookd.extra = a.set
    work = tempfile.mkdtemp(prefix=f"brook-{a.test}.")
    try:
        ok = {"crash": crash, "badinput": badinput, "limits": limits,
              "sessions": sessions}[a.test](os.path.abspath(a.brookd), work, a.cycles)
    finally:
        if os.environ.get("BROOK_KEEP_WORK"):
            print("work dir kept: " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{a.test}: {'ok' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
