"""Transactions through crashes: brookd and its transactional clients are killed (SIGKILL) at
random moments, again and again, and what read_committed sees at the end is checked against what
the clients were told.

Workers, each a child process with its own fixed transactional.id (a restarted one fences the old
incarnation, aborting its open transaction):
  txn 0, txn 1: transactions of 1 to 40 records over the partitions of two topics, committed or
         aborted at random. A record's value is "worker:txn:index:size". Before a transaction the
         worker appends "begin T SIZE" to its journal (flushed and fsynced), "commit T" only once
         commit_transaction() returned, "abort T" once abort_transaction() returned. A transaction
         begun with neither line is in doubt (killed mid-way, or its end failed).
  ctp:   consume-transform-produce: reads an input topic (assigned partitions, the group's
         offsets), writes each record to an output topic together with the group's offsets
         (send_offsets_to_transaction), aborts one transaction in five and goes back to the
         committed offsets.
Each cycle waits a little, then (half the time once a worker is inside commit_transaction) kills
brookd (-9, restarted on the same port and data), kills it twice in a row, stops it cleanly, or
kills some workers, or brookd and workers. Workers that stop on a fatal error are started again.
Segments are small, so logs roll (producer state snapshots) and the cleaner compacts
__transaction_state and __consumer_offsets meanwhile. After the cycles the workers end their
transaction and stop, brookd is stopped (SIGTERM) and started again, and every partition is read
read_committed once its last stable offset has reached the high watermark. Checks:
  - a transaction journaled "commit" is visible whole, each record once (lost, duplicated 0);
  - no record of a transaction journaled "abort" is visible (aborted visible 0);
  - a transaction in doubt is visible whole or not at all (partial 0);
  - no record is visible twice, none is unknown, a worker's records keep their order in each
    partition;
  - ctp: the output holds each input record below the group's committed offset exactly once, and
    none at or above it;
  - brookd exits 0 on each SIGTERM and logs no ERROR line (nor a sanitizer report).

Usage: txn_crash_check.py BROOKD [--cycles N] [--seed S] [--set key=value]... [--keep]
Prints its counts; exits 1 on any failure, keeping its work folder (brookd's data and log, the
journals, the workers' logs). BROOK_TXN_CRASH_DEBUG=eos,msg,... puts librdkafka's debug lines
of those contexts into the workers' logs.
"""

import argparse
import collections
import ctypes
import faulthandler
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from brookd_process import BrookdProcess, pick_port  # noqa: E402

from confluent_kafka import (  # noqa: E402
    Consumer, KafkaError, KafkaException, Producer, TopicPartition, OFFSET_BEGINNING)
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

TOPICS = ("crash-a", "crash-b")
PARTITIONS = 4
CTP_IN, CTP_OUT, CTP_PARTITIONS, CTP_RECORDS = "crash-in", "crash-out", 3, 600
CTP_GROUP = "crash-ctp"
TXN_WORKERS = 2
SEGMENT_BYTES = 4096
# Short, so that a transaction a killed incarnation left open and no new one fences is aborted
# soon (brookd checks timeouts every second).
TXN_TIMEOUT_MS = 10000
# A worker that stays this long in one client call is killed and started again: librdkafka's
# send_offsets_to_transaction() can wait for ever, past its timeout, when the group coordinator
# was down as it started (librdkafka issues 5456 and 5511).
STUCK_S = 20
# Quiet clients: the connection failures during the kills are expected, not news.
CLIENT = {"log_level": 0, "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 300,
          "retry.backoff.ms": 50, "retry.backoff.max.ms": 300}
WORKER_DEBUG = ({"debug": os.environ["BROOK_TXN_CRASH_DEBUG"], "log_level": 7}
                if os.environ.get("BROOK_TXN_CRASH_DEBUG") else {})


# ---- the workers (child processes) -------------------------------------------------------------

class Journal:
    """A worker's journal: one line per step, on disk before the worker goes on."""

    def __init__(self, path):
        self.last, text = 0, ""
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
        for line in text.splitlines(keepends=True):
            parts = line.split()
            if line.endswith("\n") and len(parts) >= 2 and parts[1].isdigit():
                self.last = max(self.last, int(parts[1]))
        self.f = open(path, "a")
        if text and not text.endswith("\n"):
            self.f.write("\n")  # after a line the kill cut

    def note(self, kind, n, size=None):
        self.f.write(f"{kind} {n}" + ("" if size is None else f" {size}") + "\n")
        self.f.flush()
        os.fsync(self.f.fileno())


def log(what):
    now = time.time()
    print(f"{time.strftime('%H:%M:%S', time.localtime(now))}.{int(now * 1000) % 1000:03d} {what}",
          flush=True)


def give_up(call, e):
    """Exits the worker after an error it cannot go on from (the parent starts a new one)."""
    log(f"gives up: {call}: {e.args[0].name()}: {e}")
    sys.exit(3)


class Progress:
    """The client call a worker is in, in a file whose time the parent watches: a worker that
    stays in one call too long is stuck (see STUCK_S)."""

    def __init__(self, path):
        self.path = path

    def __call__(self, step):
        with open(self.path, "w") as f:
            f.write(step)


def transactional_producer(bootstrap, txn_id, stop, progress):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5,
                  "transaction.timeout.ms": TXN_TIMEOUT_MS, **CLIENT, **WORKER_DEBUG})
    # brookd may be down or starting: InitProducerId is retried until it answers.
    while not stop[0]:
        progress("init_transactions")
        try:
            p.init_transactions(30)
            return p
        except KafkaException as e:
            log(f"init_transactions: {e}")
            if not e.args[0].retriable():
                give_up("init_transactions", e)
    sys.exit(0)


def retried(progress, name, call):
    """call() (a transaction API), again while the client says its error may be retried, four
    times at most; raises what remains."""
    for attempt in range(4):
        progress(name)
        try:
            return call()
        except KafkaException as e:
            if not e.args[0].retriable() or attempt == 3:
                raise
            log(f"{name}, retried: {e}")


def transaction(p, body, commit, progress):
    """Runs body() in a transaction, then commits or aborts it. Returns "commit" or "abort" once
    commit_transaction() or abort_transaction() returned. Exits the worker (code 3) on a fatal
    error, leaving the transaction in doubt."""
    try:
        progress("begin_transaction")
        p.begin_transaction()
        body()
        if commit:
            retried(progress, "commit_transaction", lambda: p.commit_transaction(30))
            return "commit"
    except KafkaException as e:
        log(f"transaction: {e}")
        if e.args[0].fatal():
            give_up("transaction", e)
    # Aborted as asked, or because it cannot commit: abort_transaction() returning means it is.
    try:
        retried(progress, "abort_transaction", lambda: p.abort_transaction(30))
        return "abort"
    except KafkaException as e:
        give_up("abort_transaction", e)


def run_worker(kind, wid, bootstrap, work, seed, fence):
    stop = [fence]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    # Where a stuck worker is (the parent asks before killing it).
    faulthandler.register(signal.SIGUSR1)
    log("fencing" if fence else "started")
    rng = random.Random(seed)
    progress = Progress(os.path.join(work, f"progress-{kind}-{wid}"))
    txn_id = f"crash-{kind}-{wid}"
    if fence:
        # Only the new incarnation's InitProducerId, which aborts the old one's transaction.
        p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id, **CLIENT})
        p.init_transactions(60)
    else:
        p = transactional_producer(bootstrap, txn_id, stop, progress)
    if kind == "ctp" and not fence:
        run_ctp(p, bootstrap, rng, stop, progress)
    elif not fence:
        run_txn(p, wid, os.path.join(work, f"journal-{kind}-{wid}"), rng, stop, progress)
    log("stopped")
    sys.exit(0)


def run_txn(p, wid, journal_path, rng, stop, progress):
    journal = Journal(journal_path)
    n = journal.last
    while not stop[0]:
        n += 1
        size = rng.randint(1, 40)
        slow = rng.random() < 0.3

        def body():
            progress("produce")
            for i in range(size):
                p.produce(rng.choice(TOPICS), value=f"{wid}:{n}:{i}:{size}",
                          partition=rng.randrange(PARTITIONS))
                p.poll(0)
                if slow:
                    time.sleep(0.01)

        journal.note("begin", n, size)
        outcome = transaction(p, body, rng.random() < 0.65, progress)
        journal.note(outcome, n)
        log(f"{outcome} {n}: {size} records")
        time.sleep(rng.uniform(0, 0.03))


def run_ctp(p, bootstrap, rng, stop, progress):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": CTP_GROUP,
                  "enable.auto.commit": False, "isolation.level": "read_committed",
                  "auto.offset.reset": "earliest", **CLIENT})
    parts = [TopicPartition(CTP_IN, q) for q in range(CTP_PARTITIONS)]

    def rewind():
        # The group's committed offsets (OffsetFetch waits for pending transactional ones).
        while True:
            progress("committed")
            try:
                committed = c.committed(parts, 30)
                break
            except KafkaException as e:
                log(f"committed: {e}")
                if not e.args[0].retriable() or stop[0]:
                    give_up("committed", e)
        c.assign([TopicPartition(CTP_IN, tp.partition,
                                 tp.offset if tp.offset >= 0 else OFFSET_BEGINNING)
                  for tp in committed])

    rewind()
    while not stop[0]:
        progress("consume")
        msgs = [m for m in c.consume(rng.randint(1, 25), 0.5) if not m.error()]
        if not msgs:
            continue

        def body():
            progress("produce")
            for m in msgs:
                p.produce(CTP_OUT, value=f"{m.partition()}:{m.offset()}", partition=m.partition())
            progress("send_offsets_to_transaction")
            p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(),
                                          30)

        outcome = transaction(p, body, rng.random() < 0.8, progress)
        log(f"{outcome}: {len(msgs)} records, offsets "
            f"{[(tp.partition, tp.offset) for tp in c.position(c.assignment())]}")
        if outcome == "abort":
            rewind()
        time.sleep(rng.uniform(0.05, 0.2))
    c.close()


# ---- the parent ---------------------------------------------------------------------------------

def _die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Worker:
    """A worker child process, started again as often as it is killed or dies."""

    def __init__(self, kind, wid, bootstrap, work, rng):
        self.kind, self.wid, self.bootstrap, self.work, self.rng = kind, wid, bootstrap, work, rng
        self.name = f"{kind}-{wid}"
        self.journal = os.path.join(work, f"journal-{self.name}")
        self.progress = os.path.join(work, f"progress-{self.name}")
        self.log = os.path.join(work, f"worker-{self.name}.log")
        self.proc = None
        self.started = 0.0
        self.kills = self.fatal_restarts = 0
        self.stuck = []  # the client calls it was stuck in

    def start(self, fence=False):
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-u", os.path.abspath(__file__), "--worker", self.kind,
                 str(self.wid), self.bootstrap, self.work, str(self.rng.getrandbits(32))]
                + (["--fence"] if fence else []),
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent)
        self.started = time.time()

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        self.kills += 1

    def kill_if_stuck(self):
        """Kills the worker if it has stayed in one client call for STUCK_S: True if it did."""
        try:
            since = max(self.started, os.path.getmtime(self.progress))
        except OSError:
            since = self.started
        step = self.step() or "start"
        if self.proc.poll() is not None or time.time() - since < STUCK_S:
            return False
        self.stuck.append(step)
        log(f"worker {self.name} stuck in {step} for {STUCK_S} s; killed (see {self.log})")
        self.proc.send_signal(signal.SIGUSR1)  # its stack, into its log
        time.sleep(0.5)
        self.proc.kill()
        self.proc.wait()
        return True

    def watch(self):
        """Starts the worker again if it died on an error or was stuck."""
        if self.kill_if_stuck():
            self.start()
        elif self.proc.poll() is not None:
            self.fatal_restarts += 1
            self.start()

    def gave_up(self):
        """Why its incarnations gave up: "call: error name" each."""
        with open(self.log, errors="replace") as f:
            return [": ".join(line.split(": ")[1:3]) for line in f if " gives up: " in line]

    def step(self):
        try:
            with open(self.progress) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        """SIGTERM: the worker ends its transaction and exits. One that is stuck or stops on an
        error is followed by an incarnation that only fences it (aborting its transaction)."""
        self.proc.send_signal(signal.SIGTERM)
        while self.proc.poll() is None or self.proc.returncode != 0:
            time.sleep(0.1)
            if self.kill_if_stuck() or self.proc.poll() not in (None, 0):
                self.start(fence=True)


def read_committed(bootstrap, topics, timeout=90):
    """Each partition of `topics` read read_committed up to the high watermark, once the last
    stable offset has reached it: {(topic, partition): [(offset, value)]}, or None (with a
    message) when the last stable offset stays below the high watermark."""
    plain = Consumer({"bootstrap.servers": bootstrap, "group.id": "crash-hw", **CLIENT})
    ends = {}
    for topic, n in topics:
        for q in range(n):
            ends[(topic, q)] = plain.get_watermark_offsets(TopicPartition(topic, q), 30)[1]
    plain.close()
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"crash-reader-{time.time()}",
                  "isolation.level": "read_committed", "enable.auto.commit": False,
                  "enable.partition.eof": True, **CLIENT})
    c.assign([TopicPartition(t, q, OFFSET_BEGINNING) for t, q in ends])
    out = {tq: [] for tq in ends}
    # Where read_committed ends now: the last stable offset, once it stops there.
    reached = {tq: (0 if end == 0 else -1) for tq, end in ends.items()}
    deadline = time.time() + timeout
    while any(reached[tq] < ends[tq] for tq in ends) and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        tq = (m.topic(), m.partition())
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                reached[tq] = max(reached[tq], m.offset())
            continue
        out[tq].append((m.offset(), m.value().decode()))
    c.close()
    stuck = {tq: (reached[tq], ends[tq]) for tq in ends if reached[tq] < ends[tq]}
    if stuck:
        print(f"read_committed did not reach the high watermark within {timeout} s "
              f"(partition: reached, high watermark): {stuck}")
        return None
    return out


def committed_offsets(bootstrap):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": CTP_GROUP,
                  "isolation.level": "read_committed", "enable.auto.commit": False, **CLIENT})
    got = c.committed([TopicPartition(CTP_IN, q) for q in range(CTP_PARTITIONS)], 30)
    c.close()
    return {tp.partition: max(tp.offset, 0) for tp in got}


def journals(workers):
    """The txn workers' transactions: {(worker id, txn): "commit" | "abort" | None (in doubt)}
    and {(worker id, txn): size}."""
    out, sizes = {}, {}
    for w in workers:
        if w.kind != "txn" or not os.path.exists(w.journal):
            continue
        with open(w.journal) as f:
            for line in f:
                parts = line.split()
                if not line.endswith("\n") or len(parts) < 2 or not parts[1].isdigit():
                    continue  # a line cut by the kill
                key = (w.wid, int(parts[1]))
                if parts[0] == "begin" and len(parts) == 3:
                    out[key], sizes[key] = None, int(parts[2])
                elif parts[0] in ("commit", "abort"):
                    out[key] = parts[0]
    return out, sizes


def verify_txns(outcomes, sizes, records):
    c = {"committed": 0, "aborted": 0, "in_doubt_visible": 0, "in_doubt_invisible": 0,
         "records": 0, "lost": 0, "duplicated": 0, "aborted_visible": 0, "partial": 0,
         "unknown": 0, "out_of_order": 0}
    seen = {}  # (worker, txn) -> {index: times seen}
    for (topic, q), recs in sorted(records.items()):
        last = {}
        for _, value in recs:
            wid, n, i, size = (int(x) for x in value.split(":"))
            seen.setdefault((wid, n), {})
            seen[(wid, n)][i] = seen[(wid, n)].get(i, 0) + 1
            if sizes.get((wid, n)) != size or not 0 <= i < size:
                c["unknown"] += 1
            c["records"] += 1
            if (n, i) <= last.get(wid, (0, -1)):
                c["out_of_order"] += 1
            last[wid] = (n, i)
    for key, idx in seen.items():
        c["duplicated"] += sum(times - 1 for times in idx.values())
    for key, outcome in outcomes.items():
        idx = seen.get(key, {})
        size = sizes[key]
        if outcome == "commit":
            c["committed"] += 1
            c["lost"] += sum(1 for i in range(size) if i not in idx)
        elif outcome == "abort":
            c["aborted"] += 1
            c["aborted_visible"] += len(idx)
        elif not idx:
            c["in_doubt_invisible"] += 1
        else:
            c["in_doubt_visible"] += 1
            if any(i not in idx for i in range(size)):
                c["partial"] += 1
    return c


def verify_ctp(records, committed):
    c = {"ctp_records": 0, "ctp_lost": 0, "ctp_duplicated": 0, "ctp_beyond_offsets": 0}
    seen = {}
    for (_, q), recs in records.items():
        for _, value in recs:
            p, off = (int(x) for x in value.split(":"))
            seen[(p, off)] = seen.get((p, off), 0) + 1
            c["ctp_records"] += 1
    c["ctp_duplicated"] = sum(n - 1 for n in seen.values())
    c["ctp_beyond_offsets"] = sum(1 for p, off in seen if off >= committed.get(p, 0))
    c["ctp_lost"] = sum(1 for p, end in committed.items() for off in range(end)
                        if (p, off) not in seen)
    return c


def start_brookd(a, work):
    """brookd on a fresh folder, with the topics and the input of the ctp worker."""
    # Small segments: the logs roll (producer state snapshots) while the kills come, and the
    # cleaner compacts __transaction_state and __consumer_offsets.
    b = BrookdProcess(a.brookd, work,
                      ["brook.shards=2", "log.retention.ms=-1", "log.cleaner.backoff.ms=1000",
                       f"transaction.state.log.segment.bytes={SEGMENT_BYTES}",
                       f"offsets.topic.segment.bytes={SEGMENT_BYTES}", *a.set],
                      port=pick_port(31000, 31500))
    b.start()
    admin = AdminClient({"bootstrap.servers": b.bootstrap, **CLIENT})
    for topic, n in [(t, PARTITIONS) for t in TOPICS] + [(CTP_IN, CTP_PARTITIONS),
                                                         (CTP_OUT, CTP_PARTITIONS)]:
        config = {"segment.bytes": str(SEGMENT_BYTES)}
        admin.create_topics([NewTopic(topic, n, 1, config=config)])[topic].result(30)
    feed = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True, **CLIENT})
    for i in range(CTP_RECORDS):
        feed.produce(CTP_IN, value=str(i), partition=i % CTP_PARTITIONS)
    feed.flush(30)
    return b


def chaos(b, workers, rng, cycles):
    """The cycles of kills; counts of what was done."""
    n = {"kills": 0, "stops": 0, "unclean_stops": 0}
    for cycle in range(cycles):
        until = time.time() + rng.uniform(1.5, 4.0)
        while time.time() < until:
            time.sleep(0.1)
            for w in workers:
                w.watch()
        # brookd: kill -9; twice: kill -9 again soon after the restart, while brookd completes
        # the transactions it found prepared; term: a clean stop in the middle of everything.
        what = rng.choice(["brookd", "brookd", "twice", "term", "workers", "both"])
        if rng.random() < 0.5:
            # Half the kills wait for a transaction being committed: EndTxn, its markers and
            # its __transaction_state records are then under way.
            until = time.time() + 2
            while time.time() < until and not any(w.step() == "commit_transaction"
                                                   for w in workers):
                time.sleep(0.002)
        victims = []
        if what in ("workers", "both"):
            victims = rng.sample(workers, rng.randint(1, len(workers)))
            for w in victims:
                w.kill()
        for _ in range({"brookd": 1, "both": 1, "twice": 2}.get(what, 0)):
            b.kill9()
            n["kills"] += 1
            time.sleep(rng.uniform(0, 1.0) if what != "twice" else rng.uniform(0, 0.3))
            b.start()
        if what == "term":
            n["stops"] += 1
            if b.stop() != 0:
                n["unclean_stops"] += 1
            b.start()
        time.sleep(rng.uniform(0, 0.5))
        for w in victims:
            w.start()
        log(f"cycle {cycle + 1}: {what}"
            + (f" ({', '.join(w.name for w in victims)})" if victims else ""))
    time.sleep(1.0)
    for w in workers:
        w.watch()
    return n


def run(a, work):
    began = time.time()
    rng = random.Random(a.seed)
    b = start_brookd(a, work)
    workers = [Worker("txn", i, b.bootstrap, work, rng) for i in range(TXN_WORKERS)]
    workers.append(Worker("ctp", 0, b.bootstrap, work, rng))
    for w in workers:
        w.start()
    n = chaos(b, workers, rng, a.cycles)
    for w in workers:
        w.stop()

    # A clean restart, then read everything.
    clean_exits = b.stop() == 0 and n["unclean_stops"] == 0
    b.start()
    txn_records = read_committed(b.bootstrap, [(t, PARTITIONS) for t in TOPICS])
    ctp_records = read_committed(b.bootstrap, [(CTP_OUT, CTP_PARTITIONS)])
    committed = committed_offsets(b.bootstrap)
    clean_exits = b.stop() == 0 and clean_exits
    errors = [line.rstrip() for line in b.log_lines()
              if " ERROR " in line or "AddressSanitizer" in line or "runtime error" in line]

    c = verify_txns(*journals(workers), txn_records or {})
    c.update(verify_ctp(ctp_records or {}, committed))
    stuck = [f"{w.name} in {step}" for w in workers for step in w.stuck]
    gave_up = collections.Counter(why for w in workers for why in w.gave_up())
    print(f"txn crash: {a.cycles} cycles in {time.time() - began:.0f} s (seed {a.seed}), brookd "
          f"kills {n['kills']} and clean stops {n['stops']}, producer kills "
          f"{sum(w.kills for w in workers)}; workers restarted after a fatal error "
          f"{sum(w.fatal_restarts for w in workers)}, killed when stuck {len(stuck)}"
          + (f" ({', '.join(stuck)})" if stuck else ""))
    if gave_up:
        print("  workers gave up on: "
              + ", ".join(f"{why} ({k})" for why, k in sorted(gave_up.items())))
    print(f"  transactions: committed {c['committed']}, aborted {c['aborted']}, in doubt "
          f"{c['in_doubt_visible'] + c['in_doubt_invisible']} (visible {c['in_doubt_visible']}, "
          f"not visible {c['in_doubt_invisible']}); records verified {c['records']}")
    print(f"  lost {c['lost']}, duplicated {c['duplicated']}, aborted visible "
          f"{c['aborted_visible']}, partial {c['partial']}, unknown {c['unknown']}, out of order "
          f"{c['out_of_order']}")
    print(f"  consume-transform-produce: {c['ctp_records']} records for committed offsets "
          f"{[committed[q] for q in sorted(committed)]} of {CTP_RECORDS}; lost {c['ctp_lost']}, "
          f"duplicated {c['ctp_duplicated']}, beyond the offsets {c['ctp_beyond_offsets']}")
    print(f"  brookd clean exits {'yes' if clean_exits else 'NO'}, log errors {len(errors)}")
    for e in errors[:10]:
        print("    " + e)
    bad = [k for k in ("lost", "duplicated", "aborted_visible", "partial", "unknown",
                       "out_of_order", "ctp_lost", "ctp_duplicated", "ctp_beyond_offsets")
           if c[k]]
    ok = (clean_exits and not errors and txn_records is not None and ctp_records is not None
          and not bad and c["committed"] > 0 and c["aborted"] > 0)
    print(("ok" if ok else "FAILED") + ": transactions through crashes"
          + (f" ({', '.join(bad)})" if bad else ""))
    return ok


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind, wid, bootstrap, work, seed = sys.argv[2:7]
        run_worker(kind, int(wid), bootstrap, work, int(seed), "--fence" in sys.argv[7:])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("brookd")
    ap.add_argument("--cycles", type=int, default=8)
    ap.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a brookd setting for every start")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="brook-txn-crash-")
    ok = False
    try:
        ok = run(a, work)
    finally:
        if a.keep or not ok:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
