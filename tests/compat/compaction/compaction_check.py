"""Log compaction seen by real clients: the orchestrator behind tests/compat/compaction/run.sh (read
its header for what is checked). Producers and consumers are confluent-kafka (librdkafka); log
directory sizes come from kafka-python's DescribeLogDirs.

Usage: compaction_check.py (path/to/brookd | --bootstrap HOST:PORT) [--cycles N] [--keep]
                           [--only CASE,CASE...]
"""

import argparse
import logging
import os
import random
import signal
import struct
import tempfile
import shutil
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from brookd_process import BrookdProcess  # noqa: E402
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource,
                                    NewTopic, ResourceType)

# Settings of the compacted topics: small segments rolled by time, cleaned at once.
SEGMENT_MS = 500
DELETE_RETENTION_MS = 5000
TOPIC_CONFIGS = {
    "cleanup.policy": "compact",
    "segment.ms": str(SEGMENT_MS),
    "min.cleanable.dirty.ratio": "0.01",
    "delete.retention.ms": str(DELETE_RETENTION_MS),
    "min.compaction.lag.ms": "0",
}
# brookd's cleaner settings for the run (Kafka gets the same from run.sh).
OFFSETS_PARTITIONS = 4
BROOKD_OVERRIDES = ["log.cleaner.backoff.ms=200", "log.retention.check.interval.ms=200",
                    "log.retention.ms=-1", "brook.shards=2", "offsets.topic.segment.bytes=8192",
                    f"offsets.topic.num.partitions={OFFSETS_PARTITIONS}"]
KEYS = 200
ROUNDS = 10
TOMBSTONED = [k for k in range(KEYS) if k % 10 == 0]


def log(msg):
    print(msg, flush=True)


class CheckFailed(Exception):
    pass


class Ctx:
    def __init__(self, args):
        self.work = args.work
        self.brookd = BrookdProcess(args.brookd, self.work, BROOKD_OVERRIDES) if args.brookd \
            else None
        self._bootstrap = args.bootstrap
        self.passed = self.failed = 0
        # librdkafka's own log lines (connection refused during restarts, ...) go to a file.
        self.rdlog = logging.getLogger("rdkafka")
        self.rdlog.propagate = False
        self.rdlog.addHandler(logging.FileHandler(os.path.join(self.work, "rdkafka.log")))
        self.run_id = uuid.uuid4().hex[:6]
        # How long to wait for the cleaner: Kafka's log.cleaner.backoff.ms may be its default.
        self.wait_s = 90 if self.brookd else 180

    @property
    def bootstrap(self):
        return self.brookd.bootstrap if self.brookd else self._bootstrap

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            log(f"ok: {name}" + (f" ({detail})" if detail else ""))
        else:
            self.failed += 1
            log(f"FAILED: {name}" + (f": {detail}" if detail else ""))

    def create_topic(self, topic, configs):
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "logger": self.rdlog})
        fut = admin.create_topics([NewTopic(topic, 1, 1, config=configs)], request_timeout=20)
        fut[topic].result(timeout=30)
        deadline = time.time() + 30
        while time.time() < deadline:
            md = admin.list_topics(topic, timeout=5).topics.get(topic)
            if md and md.error is None and md.partitions and md.partitions[0].leader >= 0:
                return
            time.sleep(0.2)
        raise CheckFailed(f"topic {topic} has no leader")

    def set_topic_config(self, topic, name, value):
        admin = AdminClient({"bootstrap.servers": self.bootstrap, "logger": self.rdlog})
        res = ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[
            ConfigEntry(name, value, incremental_operation=AlterConfigOpType.SET)])
        for fut in admin.incremental_alter_configs([res]).values():
            fut.result(timeout=30)

    def producer(self, **extra):
        conf = {"bootstrap.servers": self.bootstrap, "enable.idempotence": False, "acks": "all",
                "linger.ms": 5, "message.timeout.ms": 20000, "logger": self.rdlog}
        conf.update(extra)
        return Producer(conf)

    def read_all(self, topic, timeout=60, start=OFFSET_BEGINNING, isolation="read_uncommitted"):
        """Every record of partition 0 from `start` up to the high watermark at the call (the
        last stable offset with read_committed), as (offset, key, value) with value None for a
        tombstone."""
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"reader-{self.run_id}",
                      "enable.auto.commit": False, "enable.partition.eof": True,
                      "logger": self.rdlog, "isolation.level": isolation,
                      "fetch.wait.max.ms": 50, "socket.timeout.ms": 10000})
        try:
            _, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
            c.assign([TopicPartition(topic, 0, start)])
            out = []
            deadline = time.time() + timeout
            while time.time() < deadline:
                m = c.poll(0.5)
                if m is None:
                    pos = c.position([TopicPartition(topic, 0)])[0].offset
                    if pos >= high:
                        break
                    continue
                if m.error():
                    if m.error().code() == -191:  # _PARTITION_EOF
                        if m.offset() >= high:
                            break
                        continue
                    raise CheckFailed(f"consumer error {m.error()}")
                if m.offset() >= high:
                    break
                out.append((m.offset(), m.key().decode(),
                            None if m.value() is None else m.value().decode()))
            else:
                raise CheckFailed(f"could not read {topic} up to {high} in {timeout} s")
            return out
        finally:
            c.close()

    def read_all_kafka_python(self, topic, end, timeout=60):
        """The records of partition 0 before `end`, read from the start with kafka-python."""
        from kafka import KafkaConsumer
        from kafka import TopicPartition as KpTopicPartition
        c = KafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                          group_id=None, request_timeout_ms=20000)
        try:
            tp = KpTopicPartition(topic, 0)
            c.assign([tp])
            c.seek_to_beginning(tp)
            out = []
            deadline = time.time() + timeout
            while time.time() < deadline and c.position(tp) < end:
                for msgs in c.poll(timeout_ms=500).values():
                    out.extend((m.offset, m.key.decode(),
                                None if m.value is None else m.value.decode())
                               for m in msgs if m.offset < end)
            return out
        finally:
            c.close()

    def count_records(self, topic, partitions, timeout=60):
        """(records written, records left) over the partitions: the sum of the high watermarks,
        and of the records a consumer reads from the start."""
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"counter-{self.run_id}",
                      "enable.auto.commit": False, "logger": self.rdlog})
        try:
            tps = [TopicPartition(topic, p) for p in range(partitions)]
            highs = {tp.partition: c.get_watermark_offsets(tp, timeout=10)[1] for tp in tps}
            c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
            left = 0
            deadline = time.time() + timeout
            while time.time() < deadline:
                if all(tp.offset >= highs[tp.partition] or highs[tp.partition] == 0
                       for tp in c.position(tps)):
                    break
                m = c.poll(0.2)
                if m is not None and not m.error() and m.offset() < highs[m.partition()]:
                    left += 1
            return sum(highs.values()), left
        finally:
            c.close()

    def log_dir_size(self, topic):
        """The partition's size as DescribeLogDirs reports it (kafka-python)."""
        from kafka.admin import KafkaAdminClient
        a = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10000)
        try:
            res = a.describe_log_dirs()
        finally:
            a.close()
        total = 0
        for broker in res:
            for d in broker["log_dirs"]:
                for t in d["topics"]:
                    if t["name"] == topic:
                        total += sum(p["partition_size"] for p in t["partitions"])
        return total


class Ticker(threading.Thread):
    """Keeps appending one record every 150 ms to a key of its own, so that segments roll (by
    segment.ms, on append) and the records before become cleanable."""

    def __init__(self, ctx, topic, history):
        super().__init__(daemon=True)
        self.ctx, self.topic, self.history = ctx, topic, history
        self.stopping = threading.Event()
        self.errors = []

    def run(self):
        p = self.ctx.producer()
        i = 0
        while not self.stopping.is_set():
            v = f"tick-{i}"
            i += 1

            def done(err, msg, v=v):
                if err:
                    self.errors.append(str(err))
                else:
                    self.history[msg.offset()] = ("_tick", v)
            p.produce(self.topic, key="_tick", value=v, partition=0, on_delivery=done)
            p.poll(0)
            time.sleep(0.15)
        p.flush(20)

    def stop(self):
        self.stopping.set()
        self.join(30)


def key_name(k):
    return f"key-{k:04d}"


def produce_main(ctx, topic, history):
    """KEYS keys, ROUNDS rounds of overwrites (a round every 300 ms, so they span segments), then
    tombstones for TOMBSTONED; returns (latest value per key, offset after the last one)."""
    p = ctx.producer()
    errors = []

    def done(err, msg):
        if err:
            errors.append(str(err))
        else:
            history[msg.offset()] = (msg.key().decode(),
                                     None if msg.value() is None else msg.value().decode())
    for r in range(ROUNDS):
        for k in range(KEYS):
            p.produce(topic, key=key_name(k), value=f"{key_name(k)}@{r}:" + "x" * 80, partition=0,
                      on_delivery=done)
            p.poll(0)
        p.flush(30)
        time.sleep(0.3)
    for k in TOMBSTONED:
        p.produce(topic, key=key_name(k), value=None, partition=0, on_delivery=done)
    left = p.flush(30)
    if errors or left:
        raise CheckFailed(f"produce: {left} unacknowledged, errors {errors[:3]}")
    latest = {}
    for off in sorted(history):
        k, v = history[off]
        if k.startswith("key-"):
            latest[k] = (off, v)
    return latest, max(history) + 1


def summarize(records, main_end):
    """Per main key: the records of it before main_end."""
    per_key = {}
    for off, k, v in records:
        if off < main_end and k.startswith("key-"):
            per_key.setdefault(k, []).append((off, v))
    return per_key


def history_problems(records, history, unacknowledged_ok):
    """What is wrong with records read back: offsets must strictly increase, a record at an
    acknowledged offset must be the one acknowledged there, and any other must pass
    unacknowledged_ok(offset, key, value)."""
    bad = []
    last = -1
    for off, k, v in records:
        if off <= last:
            bad.append(f"offset {off} after {last}")
        last = off
        if off in history:
            if history[off] != (k, v):
                bad.append(f"offset {off}: {k}={str(v)[:30]}, acknowledged {history[off]}"[:120])
        elif not unacknowledged_ok(off, k, v):
            bad.append(f"offset {off}: {k} was never acknowledged")
    return bad


def check_history(ctx, name, records, history):
    """The ticker's newest records may be read before their acknowledgement arrived."""
    newest = max(history)
    bad = history_problems(records, history, lambda off, k, v: off > newest and k == "_tick")
    ctx.check(name, not bad, f"{len(records)} records read" if not bad else "; ".join(bad[:5]))


def check_compaction(ctx):
    topic = f"compacted-{ctx.run_id}"
    # Not cleaned until the data is in (a dirty ratio is never above 1), to see it whole first.
    ctx.create_topic(topic, dict(TOPIC_CONFIGS, **{"min.cleanable.dirty.ratio": "1"}))
    history = {}
    latest, main_end = produce_main(ctx, topic, history)
    produced_main = sum(1 for o in history if o < main_end)
    ctx.check("produce: every record acknowledged", len(history) == main_end,
              f"{produced_main} records over {KEYS} keys, {len(TOMBSTONED)} tombstones")
    size_before = ctx.log_dir_size(topic)
    before = ctx.read_all(topic)
    check_history(ctx, "before cleaning: offsets increase, records as produced", before, history)

    ctx.check("before cleaning: every record is there", len(before) == len(history),
              f"{len(before)} read, {len(history)} acknowledged")
    ctx.set_topic_config(topic, "min.cleanable.dirty.ratio",
                         TOPIC_CONFIGS["min.cleanable.dirty.ratio"])
    ticker = Ticker(ctx, topic, history)
    ticker.start()
    try:
        # Cleaned: every main key once (a tombstoned key once as a tombstone, or gone).
        deadline = time.time() + ctx.wait_s
        records = []
        converged = False
        while time.time() < deadline:
            records = ctx.read_all(topic)
            per_key = summarize(records, main_end)
            converged = all(
                len(per_key.get(key_name(k), [])) == 1 or
                (k in TOMBSTONED and not per_key.get(key_name(k))) for k in range(KEYS))
            if converged:
                break
            time.sleep(1)
        kept_main = sum(len(v) for v in summarize(records, main_end).values())
        ctx.check("the cleaner compacted the produced range", converged,
                  f"{produced_main} produced, {kept_main} left" if converged else
                  f"after {ctx.wait_s} s {kept_main} of {produced_main} main records left")
        per_key = summarize(records, main_end)
        wrong = []
        for k in range(KEYS):
            name = key_name(k)
            got = per_key.get(name, [])
            if k in TOMBSTONED:
                if got and (len(got) != 1 or got[0][1] is not None or got[0][0] != latest[name][0]):
                    wrong.append(f"{name}: {got[:2]} (tombstoned at {latest[name][0]})")
            elif got != [latest[name]]:
                wrong.append(f"{name}: {got[:2]}, latest {latest[name][0]}")
        ctx.check("exactly the latest value of every key remains", not wrong,
                  f"{KEYS - len(TOMBSTONED)} keys with their last value" if not wrong
                  else "; ".join(wrong[:5]))
        check_history(ctx, "after cleaning: offsets increase, records as produced", records,
                      history)

        tombstones_seen = sum(1 for k in TOMBSTONED if per_key.get(key_name(k)))
        log(f"note: {tombstones_seen} of {len(TOMBSTONED)} tombstones still there when the range "
            f"was first seen compacted")

        # A consumer replaying the log from the start ends in the same state as the producers.
        state = {}
        for off, k, v in records:
            if k.startswith("key-"):
                if v is None:
                    state.pop(k, None)
                else:
                    state[k] = v
        expected = {k: v for k, (o, v) in latest.items() if v is not None}
        ctx.check("a consumer replaying from the start sees the producers' final state",
                  state == expected, f"{len(state)} keys" if state == expected else
                  f"{len(set(state.items()) ^ set(expected.items()))} keys differ")

        # Fetching from an offset the cleaner removed gives the next record.
        present = {o for o, _, _ in records}
        gone = [o for o in range(main_end) if o not in present]
        if gone:
            probe = gone[len(gone) // 2]
            nxt = min(o for o in present if o > probe)
            got = ctx.read_all(topic, start=probe)
            ctx.check("a fetch from a removed offset starts at the next record",
                      bool(got) and got[0][0] == nxt,
                      f"from {probe}: first {got[0][0] if got else None}, expected {nxt}")
        else:
            ctx.check("a fetch from a removed offset starts at the next record", False,
                      "nothing was removed")

        size_after = ctx.log_dir_size(topic)
        ctx.check("DescribeLogDirs: the partition got smaller", 0 < size_after < size_before,
                  f"{size_before} bytes before, {size_after} after")

        # Tombstones go once delete.retention.ms passed after the clean that kept them.
        deadline = time.time() + ctx.wait_s + DELETE_RETENTION_MS / 1000
        left = TOMBSTONED
        while time.time() < deadline:
            records = ctx.read_all(topic)
            per_key = summarize(records, main_end)
            left = [k for k in TOMBSTONED if per_key.get(key_name(k))]
            if not left:
                break
            time.sleep(1)
        ctx.check("tombstoned keys vanish after delete.retention.ms", not left,
                  f"{len(TOMBSTONED)} keys gone" if not left else
                  f"{len(left)} still there after {ctx.wait_s} s")
        survivors = summarize(records, main_end)
        lost = [key_name(k) for k in range(KEYS)
                if k not in TOMBSTONED and survivors.get(key_name(k)) != [latest[key_name(k)]]]
        ctx.check("the other keys keep their latest value", not lost,
                  f"{KEYS - len(TOMBSTONED)} keys" if not lost else f"lost {lost[:5]}")
        check_history(ctx, "finally: offsets increase, records as produced", records, history)
    finally:
        ticker.stop()
    ctx.check("ticker: every record acknowledged", not ticker.errors, "; ".join(ticker.errors[:3]))
    # Another client reads the cleaned log (gaps, rebuilt and emptied batches) the same way. A
    # clean may still run between the two reads: a few tries.
    for _ in range(5):
        records = ctx.read_all(topic)
        other = ctx.read_all_kafka_python(topic, records[-1][0] + 1)
        if other == records:
            break
        time.sleep(1)
    ctx.check("kafka-python reads the cleaned log as confluent-kafka does", other == records,
              f"{len(other)} records" if other == records else
              f"{len(other)} records, {len(set(other) ^ set(records))} differ")


TXN_KEYS = 40
# Rounds of transactions over every key: each round one transaction, aborted when listed. The last
# round is aborted, so that the latest committed value of a key is not its latest record.
TXN_ROUNDS = 8
TXN_ABORTED = {2, 5, 7}
TXN_DELETE_RETENTION_MS = 2000


def txn_value(k, r):
    return f"txn-{k:03d}@{r}:" + "z" * 80


def read_txn_keys(ctx, topic, isolation, end):
    """The records of the transactional keys before `end`, read from the start with
    `isolation`, as (offset, key, value)."""
    return [(o, k, v) for o, k, v in ctx.read_all(topic, isolation=isolation)
            if o < end and k.startswith("txn-")]


def markers_below(pdir, end):
    """The offsets of the control batches with records (transaction markers) before `end` in
    the segment files of a partition folder."""
    out = []
    for name in sorted(n for n in os.listdir(pdir) if n.endswith(".log")):
        try:
            with open(os.path.join(pdir, name), "rb") as f:
                data = f.read()
        except OSError:  # a segment the cleaner just replaced
            continue
        pos = 0
        while pos + 61 <= len(data):
            base, length = struct.unpack_from(">qi", data, pos)
            attributes = struct.unpack_from(">h", data, pos + 21)[0]
            count = struct.unpack_from(">i", data, pos + 57)[0]
            if attributes & 0x20 and count > 0 and base < end:
                out.append(base)
            pos += 12 + length
    return out


def check_transactions(ctx):
    """A transactional producer (confluent-kafka) commits and aborts rounds of writes to a
    compacted topic; once cleaned, read_committed sees exactly the latest committed value of each
    key, read_uncommitted no longer sees the aborted records, and the partition got smaller."""
    topic = f"txn-compacted-{ctx.run_id}"
    # Nothing cleaned until the data is in, to see it whole first.
    configs = dict(TOPIC_CONFIGS, **{"min.cleanable.dirty.ratio": "1",
                                     "delete.retention.ms": str(TXN_DELETE_RETENTION_MS)})
    ctx.create_topic(topic, configs)
    p = ctx.producer(**{"transactional.id": f"txn-compacted-{ctx.run_id}",
                        "enable.idempotence": True, "transaction.timeout.ms": 60000})
    p.init_transactions(30)
    offsets = {}      # offset -> (key, value, round)
    errors = []

    def done(err, msg, r):
        if err:
            errors.append(str(err))
        else:
            offsets[msg.offset()] = (msg.key().decode(), msg.value().decode(), r)
    for r in range(TXN_ROUNDS):
        p.begin_transaction()
        for k in range(TXN_KEYS):
            p.produce(topic, key=f"txn-{k:03d}", value=txn_value(k, r), partition=0,
                      on_delivery=lambda err, msg, r=r: done(err, msg, r))
        # Written before the end (librdkafka drops what it has not sent when aborting).
        p.flush(30)
        if r in TXN_ABORTED:
            p.abort_transaction(30)
        else:
            p.commit_transaction(30)
        time.sleep(0.3)
    # A last committed transaction of a key of its own: the aborted round is not the producer's
    # last write (whose batch a cleaner keeps while the producer is active).
    p.begin_transaction()
    p.produce(topic, key="txn-last", value="last", partition=0,
              on_delivery=lambda err, msg: done(err, msg, TXN_ROUNDS))
    p.commit_transaction(30)
    if errors or len(offsets) != TXN_KEYS * TXN_ROUNDS + 1:
        raise CheckFailed(f"transactional produce: {len(offsets)} acknowledged, errors "
                          f"{errors[:3]}")
    end = max(offsets) + 2  # past the last marker
    latest = {}
    for off in sorted(offsets):
        k, v, r = offsets[off]
        if r not in TXN_ABORTED:
            latest[k] = (off, k, v)
    aborted_offsets = {o for o, (_, _, r) in offsets.items() if r in TXN_ABORTED}
    committed_before = read_txn_keys(ctx, topic, "read_committed", end)
    all_before = read_txn_keys(ctx, topic, "read_uncommitted", end)
    ctx.check("transactions before cleaning: read_committed sees the committed rounds only",
              [o for o, _, _ in committed_before] ==
              sorted(o for o in offsets if o not in aborted_offsets),
              f"{len(committed_before)} of {len(offsets)} records")
    ctx.check("transactions before cleaning: read_uncommitted sees every round",
              len(all_before) == len(offsets), f"{len(all_before)} records")
    size_before = ctx.log_dir_size(topic)

    started = time.time()
    ctx.set_topic_config(topic, "min.cleanable.dirty.ratio",
                         TOPIC_CONFIGS["min.cleanable.dirty.ratio"])
    history = {}
    ticker = Ticker(ctx, topic, history)
    ticker.start()
    try:
        want = sorted(latest.values())
        deadline = time.time() + ctx.wait_s
        uncommitted = []
        while time.time() < deadline:
            uncommitted = read_txn_keys(ctx, topic, "read_uncommitted", end)
            if uncommitted == want:
                break
            time.sleep(1)
        cleaned_s = time.time() - started
        left = sum(1 for o, _, _ in uncommitted if o in aborted_offsets)
        ctx.check("transactions: read_uncommitted no longer sees aborted records once cleaned",
                  uncommitted == want,
                  f"{len(uncommitted)} records left after {cleaned_s:.1f} s" if uncommitted == want
                  else f"after {ctx.wait_s} s {len(uncommitted)} records, {left} aborted ones")
        committed = read_txn_keys(ctx, topic, "read_committed", end)
        ctx.check("transactions: read_committed sees exactly the latest committed value per key",
                  committed == want, f"{len(committed)} keys" if committed == want else
                  f"{len(committed)} records, {len(set(committed) ^ set(want))} differ")
        size_after = ctx.log_dir_size(topic)
        ctx.check("transactions: the partition got smaller", 0 < size_after < size_before,
                  f"{size_before} bytes before, {size_after} after")
        # Later cleans remove the transaction index entries and the markers whose data is gone
        # (delete.retention.ms after the clean that found them alone); the consumers read the
        # same. In brookd's folder: no .txnindex file is left, and two markers (those of the
        # last committed round and of the last transaction, whose records stay).
        time.sleep(2 * TXN_DELETE_RETENTION_MS / 1000 + 1)
        if ctx.brookd:
            pdir = os.path.join(ctx.brookd.data, f"{topic}-0")
            deadline = time.time() + ctx.wait_s
            while True:
                indexes = [n for n in os.listdir(pdir) if n.endswith(".txnindex")]
                markers = markers_below(pdir, end)
                if (not indexes and len(markers) == 2) or time.time() > deadline:
                    break
                time.sleep(0.5)
            ctx.check("transactions: the transaction index entries went with the aborted data",
                      not indexes, f"left: {indexes[:3]}")
            ctx.check("transactions: only the markers of transactions with records left remain",
                      len(markers) == 2, f"markers at offsets {markers[:10]}")
        later = (read_txn_keys(ctx, topic, "read_committed", end),
                 read_txn_keys(ctx, topic, "read_uncommitted", end))
        ctx.check("transactions: both isolation levels read the same once markers went",
                  later == (want, want), "" if later == (want, want) else
                  f"read_committed {len(later[0])}, read_uncommitted {len(later[1])} records")
    finally:
        ticker.stop()
    log(f"note: transactions case took {time.time() - started:.1f} s after the dirty ratio "
        f"was lowered")


def check_offsets_topic(ctx):
    """__consumer_offsets is compacted: commits of one group shrink to the last per partition,
    and the group's offsets survive a restart (brookd, with offsets.topic.segment.bytes=8192)."""
    topic = f"plain-{ctx.run_id}"
    ctx.create_topic(topic, {})
    group = f"committer-{ctx.run_id}"
    c = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": group,
                  "enable.auto.commit": False, "logger": ctx.rdlog})
    commits = 3000
    try:
        for i in range(commits):
            c.commit(offsets=[TopicPartition(topic, 0, i + 1)], asynchronous=False)
    finally:
        c.close()
    # The commits wrote `commits` records; once cleaned, about one per partition is left.
    written = left = 0
    deadline = time.time() + ctx.wait_s
    while time.time() < deadline:
        written, left = ctx.count_records("__consumer_offsets", OFFSETS_PARTITIONS)
        if left < commits // 10:
            break
        time.sleep(0.5)
    ctx.check("__consumer_offsets is cleaned", written >= commits and left < commits // 10,
              f"{commits} commits, {written} records written, {left} left")
    ctx.brookd.kill9()
    ctx.brookd.start()
    c = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": group,
                  "enable.auto.commit": False, "logger": ctx.rdlog})
    try:
        got = c.committed([TopicPartition(topic, 0)], timeout=20)[0].offset
    finally:
        c.close()
    ctx.check("the group's last commit survives cleaning and kill -9", got == commits,
              f"committed offset {got}, expected {commits}")


def check_kill9(ctx, cycles):
    """kill -9 while the cleaner works (as soon as a .cleaned or .swap file shows up), then a
    restart: nothing that must survive is lost."""
    topic = f"crash-{ctx.run_id}"
    configs = dict(TOPIC_CONFIGS, **{"segment.ms": "200"})
    ctx.create_topic(topic, configs)
    pdir = os.path.join(ctx.brookd.data, f"{topic}-0")
    history = {}      # offset -> (key, value), acknowledged
    sent = set()      # every (key, value) sent, acknowledged or not
    keys = 300
    seq = 0
    hits = swap_hits = swaps_completed = lost_total = 0
    produced = 0
    for cycle in range(cycles):
        p = ctx.producer(**{"message.timeout.ms": 5000, "retries": 0})
        stop = threading.Event()
        acked = [0]

        def done(err, msg):
            if not err:
                history[msg.offset()] = (msg.key().decode(), msg.value().decode())
                acked[0] += 1

        def produce():
            # At most about 10000 records a second, so that a slow (sanitizer) build keeps up.
            nonlocal seq
            while not stop.is_set():
                if seq % 10 == 0:
                    time.sleep(0.001)
                k = f"key-{random.randrange(keys):04d}"
                v = f"{k}#{seq}:" + "y" * 150
                seq += 1
                sent.add((k, v))
                try:
                    p.produce(topic, key=k, value=v, partition=0, on_delivery=done)
                except BufferError:
                    p.poll(0.05)
                p.poll(0)
            p.flush(5)
        t = threading.Thread(target=produce, daemon=True)
        t.start()
        # Kill while cleaned files exist (the cleaner is writing or swapping), once this cycle
        # wrote a few thousand records, at the latest after 20 s; sometimes a few ms later, to
        # land in the swap.
        deadline = time.time() + 20
        while acked[0] < 3000 and time.time() < deadline:
            time.sleep(0.01)
        # Every other cycle waits for the short moment of the swap itself (.swap files), for at
        # most 10 s, then for any file of the cleaner.
        hit = False
        delay = random.choice([0, 0, 0.002, 0.01])
        swap_until = time.time() + 10 if cycle % 2 else 0
        while time.time() < deadline:
            try:
                names = os.listdir(pdir)
            except OSError:
                names = []
            wanted = (".swap",) if time.time() < swap_until else (".cleaned", ".swap")
            if any(n.endswith(wanted) for n in names):
                hit = True
                swap_hits += any(n.endswith(".swap") for n in names)
                time.sleep(delay)
                break
            time.sleep(0.0005)
        ctx.brookd.kill9()
        stop.set()
        t.join(30)
        hits += hit
        produced += acked[0]
        leftovers = [n for n in os.listdir(pdir) if n.endswith(".cleaned") or n.endswith(".swap")]
        log_lines_before = len(ctx.brookd.log_lines())
        ctx.brookd.start()
        new_lines = ctx.brookd.log_lines()[log_lines_before:]
        swaps_completed += sum("completed the swap" in ln for ln in new_lines)
        records = ctx.read_all(topic)
        # Every record is one that was sent (acknowledged ones at their offset), in offset order.
        bad = history_problems(records, history, lambda off, k, v: (k, v) in sent)
        # Each key's last acknowledged record is there, or a later record of that key is.
        last_present = {}
        for off, k, v in records:
            last_present[k] = off
        last_acked = {}
        for off, (k, v) in history.items():
            if off > last_acked.get(k, (-1,))[0]:
                last_acked[k] = (off, v)
        present = {off for off, _, _ in records}
        lost = [k for k, (off, v) in last_acked.items()
                if off not in present and last_present.get(k, -1) <= off]
        lost_total += len(lost)
        ctx.check(f"kill -9 cycle {cycle + 1}: nothing lost, history valid",
                  not bad and not lost,
                  f"{acked[0]} acknowledged this cycle, {len(records)} records after restart, "
                  f"killed {'while cleaning' if hit else 'without a clean in progress'}"
                  f" (left {len(leftovers)} .cleaned/.swap files)" if not bad and not lost else
                  f"lost {len(lost)} keys {lost[:3]}; {'; '.join(bad[:3])}")
    log(f"note: kill -9 cycles {cycles}, {hits} while cleaning ({swap_hits} seen in the swap), "
        f"{swaps_completed} interrupted swaps completed at start, {produced} records "
        f"acknowledged, {lost_total} keys lost")
    ctx.check("kill -9 during cleaning happened in at least one cycle", hits > 0,
              f"{hits} of {cycles}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("brookd", nargs="?", help="path to brookd, started here")
    ap.add_argument("--bootstrap", help="a broker already running")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--cycles", type=int, default=5)
    ap.add_argument("--only", help="comma-separated cases to run (compaction, transactions, "
                    "offsets topic, kill -9)")
    args = ap.parse_args()
    if bool(args.brookd) == bool(args.bootstrap):
        ap.error("give either the path of brookd or --bootstrap HOST:PORT")
    if args.brookd:
        if not os.access(args.brookd, os.X_OK):
            ap.error(f"{args.brookd} is not an executable brookd")
        args.brookd = os.path.abspath(args.brookd)
    # The whole run is bounded; brookd, a child, dies with this process.
    def cut(signum, frame):
        log("FAILED: the whole run was cut after 15 minutes")
        log("compaction: 0 passed, 1 failed")
        os._exit(1)
    signal.signal(signal.SIGALRM, cut)
    signal.alarm(900)
    args.work = tempfile.mkdtemp(prefix="brook-compaction.")
    try:
        return run(args)
    finally:
        if args.keep:
            log(f"compaction: work folder kept: {args.work}")
        else:
            shutil.rmtree(args.work, ignore_errors=True)


def run(args):
    ctx = Ctx(args)
    try:
        if ctx.brookd:
            ctx.brookd.start()
        for name, fn in [("compaction", lambda: check_compaction(ctx)),
                         ("transactions", lambda: check_transactions(ctx)),
                         ("offsets topic", lambda: check_offsets_topic(ctx) if ctx.brookd
                          else log("SKIP: __consumer_offsets cleaning: needs brookd mode "
                                   "(offsets.topic.segment.bytes)")),
                         ("kill -9", lambda: check_kill9(ctx, args.cycles) if ctx.brookd
                          else log("SKIP: kill -9 during cleaning: needs brookd mode"))]:
            if args.only and name not in args.only.split(","):
                continue
            try:
                fn()
            except (CheckFailed, KafkaException, RuntimeError) as e:
                ctx.check(name, False, f"{type(e).__name__}: {e}")
        if ctx.brookd:
            rc = ctx.brookd.stop()
            ctx.check("brookd stops on SIGTERM with exit code 0", rc == 0, f"exit code {rc}")
            bad = [ln.rstrip() for ln in ctx.brookd.log_lines() if " ERROR " in ln or
                   "AddressSanitizer" in ln or "runtime error" in ln]
            ctx.check("brookd's log has no ERROR, sanitizer or runtime error line", not bad,
                      "; ".join(bad[:3]))
    finally:
        if ctx.brookd and ctx.brookd.proc:
            ctx.brookd.kill9()
    log(f"compaction: {ctx.passed} passed, {ctx.failed} failed")
    return 1 if ctx.failed else 0


if __name__ == "__main__":
    sys.exit(main())
