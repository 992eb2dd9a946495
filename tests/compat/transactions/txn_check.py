"""Transactions on the storage and fetch side, through TCP: this script plays the producer
(transactional batches in raw Produce v3, in transactions it starts with InitProducerId and
AddPartitionsToTxn) and the coordinator's marker writing (raw WriteTxnMarkers, versions 0, 1 and
2, which brookd's own coordinator never learns of), and reads with raw Fetch v4 and ListOffsets v2 at
both isolation levels, then with confluent-kafka consumers (isolation.level read_committed and
read_uncommitted).

Checks (each prints "ok: ..." or "FAILED: ..."):
  1. With two transactions open after two plain records: the last stable offset (LSO) is where
     the first one starts, for both isolation levels; read_committed gets only the plain records,
     read_uncommitted everything; ListOffsets latest answers the LSO (read_committed) or the high
     watermark (read_uncommitted).
  2. A read_committed long poll at the LSO wakes when a COMMIT marker moves it.
  3. Markers: an ABORT and a COMMIT are written; refusals as Kafka answers them: an unknown
     partition (UNKNOWN_TOPIC_OR_PARTITION), an older coordinator epoch
     (TRANSACTION_COORDINATOR_FENCED), transaction version 2 with the producer's own epoch
     (INVALID_PRODUCER_EPOCH).
  4. read_committed Fetch: LSO = high watermark, aborted_transactions lists exactly the aborted
     transactions overlapping the records returned (also from an offset inside the range); the
     records left after dropping them are exactly the committed ones. read_uncommitted has a null
     aborted list.
  5. confluent-kafka consumers: read_committed sees exactly the committed values in order,
     read_uncommitted sees every value.
  6. The same after a clean restart (SIGTERM) and after kill -9 (the transaction index and the
     open transactions come back; a transaction left open keeps the LSO down).
At the end brookd must exit 0 on SIGTERM and its log must have no ERROR line.

Usage: txn_check.py BROOKD [--keep]. Exits 1 if anything failed; cuts itself after 5 minutes.
"""

import argparse
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from brookd_process import BrookdProcess  # noqa: E402

from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from kafka.record.default_records import DefaultRecordBatchBuilder  # noqa: E402

TOPIC = "txn-check"
FAILED = []
PASSED = []


def check(cond, what, detail=""):
    if cond:
        PASSED.append(what)
        print(f"ok: {what}")
    else:
        FAILED.append(what)
        print(f"FAILED: {what} {detail}")


# ---- raw protocol -------------------------------------------------------------------------------

def s16(v): return struct.pack(">h", v)
def s32(v): return struct.pack(">i", v)
def s64(v): return struct.pack(">q", v)
def string(v): return s16(len(v)) + v.encode()
def array(items): return s32(len(items)) + b"".join(items)


def uvarint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def cstring(v): return uvarint(len(v) + 1) + v.encode()
def carray(items): return uvarint(len(items) + 1) + b"".join(items)


class Reader:
    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.p)
        self.p += struct.calcsize(fmt)
        return v[0]

    def i8(self): return self.take(">b")
    def i16(self): return self.take(">h")
    def i32(self): return self.take(">i")
    def i64(self): return self.take(">q")

    def uvarint(self):
        shift = v = 0
        while True:
            b = self.d[self.p]
            self.p += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7

    def string(self):
        n = self.i16()
        s = self.d[self.p:self.p + n].decode()
        self.p += n
        return s

    def cstring(self):
        n = self.uvarint() - 1
        s = self.d[self.p:self.p + n].decode()
        self.p += n
        return s

    def bytes_(self):
        n = self.i32()
        if n < 0:
            return None
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.p += self.uvarint()


class Conn:
    def __init__(self, bootstrap):
        host, port = bootstrap.split(":")
        self.s = socket.create_connection((host, int(port)), 10)
        self.s.settimeout(30)
        self.corr = 0

    def call(self, key, version, body, flexible=False):
        self.corr += 1
        head = s16(key) + s16(version) + s32(self.corr) + string("txn-check")
        if flexible:
            head += b"\x00"
        msg = head + body
        self.s.sendall(s32(len(msg)) + msg)
        n = struct.unpack(">i", self.recv(4))[0]
        r = Reader(self.recv(n))
        assert r.i32() == self.corr
        if flexible:
            r.tags()
        return r

    def recv(self, n):
        out = b""
        while len(out) < n:
            chunk = self.s.recv(n - len(out))
            if not chunk:
                raise ConnectionError("closed")
            out += chunk
        return out

    def close(self):
        self.s.close()


def init_producer_id(c, transactional_id):
    # A transactional id of the coordinator's; its transaction is then started by hand below
    # (AddPartitionsToTxn) and ended with WriteTxnMarkers, which the coordinator never sees.
    deadline = time.time() + 30
    while True:
        r = c.call(22, 0, string(transactional_id) + s32(600000))
        r.i32()
        err, pid, epoch = r.i16(), r.i64(), r.i16()
        if err == 0 or time.time() > deadline:
            break
        time.sleep(0.2)  # the coordinator may still be loading
    assert err == 0, err
    return pid, epoch


def add_partition(c, transactional_id, pid, epoch):
    """AddPartitionsToTxn v0 for partition 0 of TOPIC: transactional batches need it (KIP-890)."""
    r = c.call(24, 0, string(transactional_id) + s64(pid) + s16(epoch) +
               array([string(TOPIC) + array([s32(0)])]))
    r.i32()
    r.i32()
    r.string()
    r.i32()
    r.i32()
    err = r.i16()
    assert err == 0, err


def batch(values, pid=-1, epoch=-1, seq=-1, transactional=False):
    b = DefaultRecordBatchBuilder(2, 0, 1 if transactional else 0, pid, epoch, seq, 1 << 20)
    ts = int(time.time() * 1000)
    for i, v in enumerate(values):
        b.append(i, ts, None, v.encode(), [])
    return bytes(b.build())


def produce(c, records, transactional_id=None):
    # Clients name their transactional id with transactional batches; the partition must be in
    # that id's transaction (KIP-890).
    tid = string(transactional_id) if transactional_id else s16(-1)
    body = tid + s16(-1) + s32(10000) + array(
        [string(TOPIC) + array([s32(0) + s32(len(records)) + records])])
    r = c.call(0, 3, body)
    r.i32()  # topics
    r.string()
    r.i32()
    r.i32()
    err, base = r.i16(), r.i64()
    return err, base


def write_markers(c, markers, version=0):
    """markers: (pid, epoch, commit, coordinator_epoch, [(topic, [partitions])], txn_version).
    Returns {(pid, topic, partition): error}."""
    flexible = version >= 1
    items = []
    for pid, epoch, commit, coord, topics, tv in markers:
        if flexible:
            t = carray([cstring(n) + carray([s32(p) for p in ps]) + b"\x00" for n, ps in topics])
            item = s64(pid) + s16(epoch) + bytes([commit]) + t + s32(coord)
            if version >= 2:
                item += bytes([tv])
            items.append(item + b"\x00")
        else:
            t = array([string(n) + array([s32(p) for p in ps]) for n, ps in topics])
            items.append(s64(pid) + s16(epoch) + bytes([commit]) + t + s32(coord))
    body = (carray(items) + b"\x00") if flexible else array(items)
    r = c.call(27, version, body, flexible)
    out = {}
    n = (r.uvarint() - 1) if flexible else r.i32()
    for _ in range(n):
        pid = r.i64()
        nt = (r.uvarint() - 1) if flexible else r.i32()
        for _ in range(nt):
            name = r.cstring() if flexible else r.string()
            np_ = (r.uvarint() - 1) if flexible else r.i32()
            for _ in range(np_):
                p, err = r.i32(), r.i16()
                if flexible:
                    r.tags()
                out[(pid, name, p)] = err
            if flexible:
                r.tags()
        if flexible:
            r.tags()
    return out


def fetch(c, offset, isolation, max_wait=0, min_bytes=0):
    body = s32(-1) + s32(max_wait) + s32(min_bytes) + s32(1 << 20) + bytes([isolation]) + array(
        [string(TOPIC) + array([s32(0) + s64(offset) + s32(1 << 20)])])
    r = c.call(1, 4, body)
    r.i32()
    r.i32()
    r.string()
    r.i32()
    r.i32()
    out = {"error": r.i16(), "hw": r.i64(), "lso": r.i64()}
    n = r.i32()
    out["aborted"] = None if n < 0 else [(r.i64(), r.i64()) for _ in range(n)]
    out["batches"] = parse_batches(r.bytes_() or b"")
    return out


def list_latest(c, isolation):
    body = s32(-1) + bytes([isolation]) + array([string(TOPIC) + array([s32(0) + s64(-1)])])
    r = c.call(2, 2, body)
    r.i32()
    r.i32()
    r.string()
    r.i32()
    r.i32()
    err, _ts, off = r.i16(), r.i64(), r.i64()
    return err, off


def zigzag(r):
    v = r.uvarint()
    return (v >> 1) ^ -(v & 1)


def parse_batches(data):
    """Uncompressed magic-2 batches: (base, last, pid, transactional, control, [(offset, value)])."""
    out, p = [], 0
    while p + 61 <= len(data):
        base, length = struct.unpack_from(">qi", data, p)
        if p + 12 + length > len(data):
            break
        attrs, delta = struct.unpack_from(">hi", data, p + 21)
        pid = struct.unpack_from(">q", data, p + 43)[0]
        count = struct.unpack_from(">i", data, p + 57)[0]
        r = Reader(data[p + 61:p + 12 + length])
        records = []
        for _ in range(count):
            zigzag(r)  # length
            r.i8()
            zigzag(r)  # timestamp delta
            od = zigzag(r)
            kl = zigzag(r)
            r.p += max(kl, 0)
            vl = zigzag(r)
            value = bytes(r.d[r.p:r.p + vl]) if vl >= 0 else None
            r.p += max(vl, 0)
            for _ in range(zigzag(r)):
                r.p += zigzag(r)
                hl = zigzag(r)
                r.p += max(hl, 0)
            records.append((base + od, value))
        out.append((base, base + delta, pid, bool(attrs & 0x10), bool(attrs & 0x20), records))
        p += 12 + length
    return out


def committed_view(f):
    """What a read_committed client keeps: Kafka's consumer rule, per producer, aborted ranges
    from their first offset to their ABORT marker."""
    aborted = sorted(f["aborted"] or [], key=lambda a: a[1])
    open_aborts = {}
    values = []
    for base, _last, pid, txn, control, records in f["batches"]:
        while aborted and aborted[0][1] <= base:
            a = aborted.pop(0)
            open_aborts[a[0]] = True
        if control:
            if pid in open_aborts and records and records[0][1] is not None:
                open_aborts.pop(pid, None)
            continue
        if txn and open_aborts.get(pid):
            continue
        values += [v.decode() for _, v in records]
    return values


def all_values(f):
    return [v.decode() for b in f["batches"] if not b[4] for _, v in b[5]]


def consume(bootstrap, isolation, expect_count, timeout=30):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"txn-{isolation}-{time.time()}",
                  "isolation.level": isolation, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.assign([TopicPartition(TOPIC, 0, 0)])
    values, until = [], time.monotonic() + timeout
    quiet_until = None
    while time.monotonic() < until:
        m = c.poll(0.2)
        if m is None:
            if len(values) >= expect_count:
                quiet_until = quiet_until or time.monotonic() + 1.0
                if time.monotonic() > quiet_until:
                    break
            continue
        if m.error():
            continue
        values.append(m.value().decode())
    c.close()
    return values


# ---- the scenario -------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("brookd")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    signal.signal(signal.SIGALRM, lambda *_: (print("FAILED: timed out"), os._exit(1)))
    signal.alarm(300)
    work = tempfile.mkdtemp(prefix="brook-txn-")
    b = BrookdProcess(args.brookd, work, overrides=["brook.shards=2"])
    b.start()
    try:
        run(b)
    except Exception as e:  # noqa: BLE001 - any surprise is a failure, reported as one
        check(False, "the scenario runs to its end", repr(e))
    finally:
        code = b.stop() if b.proc else 0
        check(code == 0, "brookd exits 0 on SIGTERM", f"(exit {code})")
        errors = [l for l in b.log_lines() if " ERROR " in l or "AddressSanitizer" in l
                  or "runtime error" in l]
        check(not errors, "no ERROR line in brookd's log", "".join(errors[:5]))
        print(f"transactions: {len(PASSED)} passed, {len(FAILED)} failed")
        if args.keep or FAILED:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if FAILED else 0)


def run(b):
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    admin.create_topics([NewTopic(TOPIC, 1, 1)])[TOPIC].result(30)
    c = Conn(b.bootstrap)
    pid_a, ep_a = init_producer_id(c, "txn-a")
    pid_b, ep_b = init_producer_id(c, "txn-b")
    pid_c, ep_c = init_producer_id(c, "txn-c")
    for tid, pid, ep in (("txn-a", pid_a, ep_a), ("txn-b", pid_b, ep_b), ("txn-c", pid_c, ep_c)):
        add_partition(c, tid, pid, ep)

    # 1. Two open transactions after two plain records.
    assert produce(c, batch(["c0", "c1"])) == (0, 0)
    assert produce(c, batch(["a0", "a1", "a2"], pid_a, ep_a, 0, True), "txn-a") == (0, 2)
    assert produce(c, batch(["b0", "b1"], pid_b, ep_b, 0, True), "txn-b") == (0, 5)
    rc, ru = fetch(c, 0, 1), fetch(c, 0, 0)
    check(rc["lso"] == 2 and ru["lso"] == 2 and rc["hw"] == 7 and ru["hw"] == 7,
          "open transactions hold the LSO at the first one's start (both isolation levels)",
          f"{rc['lso']} {ru['lso']} {rc['hw']}")
    check(all_values(rc) == ["c0", "c1"] and rc["aborted"] == [],
          "read_committed reads only below the LSO", f"{all_values(rc)} {rc['aborted']}")
    check(all_values(ru) == ["c0", "c1", "a0", "a1", "a2", "b0", "b1"] and ru["aborted"] is None,
          "read_uncommitted reads everything, with a null aborted list",
          f"{all_values(ru)} {ru['aborted']}")
    check(list_latest(c, 1) == (0, 2) and list_latest(c, 0) == (0, 7),
          "ListOffsets latest: the LSO for read_committed, the high watermark otherwise",
          f"{list_latest(c, 1)} {list_latest(c, 0)}")

    # 2. A long poll at the LSO wakes on the marker that moves it.
    res = {}
    poller = Conn(b.bootstrap)

    def poll():
        t0 = time.monotonic()
        res["f"] = fetch(poller, 2, 1, max_wait=10000, min_bytes=1)
        res["took"] = time.monotonic() - t0

    # Producer A's records stay below the LSO until its transaction ends: commit B first, the
    # LSO stays at 2; so abort A (the long poll then gets A's batch, B's and the markers).
    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.5)
    errs = write_markers(c, [(pid_a, ep_a, 0, 5, [(TOPIC, [0])], 0)], 0)  # ABORT A at 7
    t.join(15)
    poller.close()
    f = res.get("f")
    check(errs == {(pid_a, TOPIC, 0): 0}, "WriteTxnMarkers v0 ABORT written", f"{errs}")
    check(f is not None and res["took"] < 8 and f["lso"] == 5 and f["batches"]
          and f["aborted"] == [(pid_a, 2)],
          "a read_committed long poll wakes when the marker moves the LSO",
          f"{res.get('took')} {f and (f['lso'], f['aborted'])}")

    # 3. More markers, and the refusals.
    errs = write_markers(c, [(pid_b, ep_b, 1, 5, [(TOPIC, [0]), ("no-such-topic", [0])], 0),
                             (pid_a, ep_a, 1, 4, [(TOPIC, [0, 7])], 0)], 1)
    check(errs == {(pid_b, TOPIC, 0): 0, (pid_b, "no-such-topic", 0): 3,
                   (pid_a, TOPIC, 0): 52, (pid_a, TOPIC, 7): 3},
          "WriteTxnMarkers v1: COMMIT written; unknown partitions and an older coordinator epoch "
          "refused", f"{errs}")
    errs = write_markers(c, [(pid_a, ep_a, 0, 5, [(TOPIC, [0])], 2)], 2)
    check(errs == {(pid_a, TOPIC, 0): 47},
          "WriteTxnMarkers v2: transaction version 2 with the producer's own epoch is "
          "INVALID_PRODUCER_EPOCH", f"{errs}")
    assert produce(c, batch(["c2"])) == (0, 9)
    # A second transaction of A, aborted with a version-2 marker at a bumped epoch.
    assert produce(c, batch(["a3", "a4"], pid_a, ep_a, 3, True), "txn-a") == (0, 10)
    errs = write_markers(c, [(pid_a, ep_a + 1, 0, 5, [(TOPIC, [0])], 2)], 2)
    check(errs == {(pid_a, TOPIC, 0): 0}, "WriteTxnMarkers v2 ABORT at a bumped epoch written",
          f"{errs}")
    # C's transaction stays open: the LSO stays at 13.
    assert produce(c, batch(["x0"], pid_c, ep_c, 0, True), "txn-c") == (0, 13)
    committed = ["c0", "c1", "b0", "b1", "c2"]
    everything = ["c0", "c1", "a0", "a1", "a2", "b0", "b1", "c2", "a3", "a4", "x0"]

    def verify(when):
        cc = Conn(b.bootstrap)
        rc, ru = fetch(cc, 0, 1), fetch(cc, 0, 0)
        check(rc["hw"] == 14 and rc["lso"] == 13 and ru["lso"] == 13,
              f"{when}: LSO at the open transaction, high watermark at the end",
              f"{rc['hw']} {rc['lso']} {ru['lso']}")
        check(rc["aborted"] == [(pid_a, 2), (pid_a, 10)],
              f"{when}: read_committed gets both aborted transactions", f"{rc['aborted']}")
        check(committed_view(rc) == committed,
              f"{when}: dropping them leaves exactly the committed records", f"{committed_view(rc)}")
        check(all_values(ru) == everything and ru["aborted"] is None,
              f"{when}: read_uncommitted reads every record", f"{all_values(ru)}")
        mid = fetch(cc, 8, 1)
        check(mid["aborted"] == [(pid_a, 10)],
              f"{when}: from offset 8, only the aborted transaction after it", f"{mid['aborted']}")
        check(list_latest(cc, 1) == (0, 13) and list_latest(cc, 0) == (0, 14),
              f"{when}: ListOffsets latest by isolation level",
              f"{list_latest(cc, 1)} {list_latest(cc, 0)}")
        cc.close()
        got = consume(b.bootstrap, "read_committed", len(committed))
        check(got == committed, f"{when}: a read_committed confluent-kafka consumer sees exactly "
              "the committed records", f"{got}")
        got = consume(b.bootstrap, "read_uncommitted", len(everything))
        check(got == everything, f"{when}: a read_uncommitted consumer sees every record",
              f"{got}")

    verify("running")
    c.close()
    b.stop()
    b.start()
    verify("after a clean restart")
    b.kill9()
    b.start()
    verify("after kill -9")
    # The open transaction still ends: commit C, the LSO reaches the end.
    c = Conn(b.bootstrap)
    errs = write_markers(c, [(pid_c, ep_c, 1, 5, [(TOPIC, [0])], 0)], 0)
    f = fetch(c, 0, 1)
    check(errs == {(pid_c, TOPIC, 0): 0} and f["lso"] == f["hw"] == 15
          and committed_view(f) == committed + ["x0"],
          "the transaction left open commits after the restarts", f"{errs} {f['lso']} {f['hw']}")
    c.close()


if __name__ == "__main__":
    main()
