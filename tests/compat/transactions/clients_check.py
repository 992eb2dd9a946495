"""Transactions with real clients (confluent-kafka and kafka-python) against brookd.

commit-abort: a transactional producer commits, aborts and commits again; a read_committed
              consumer sees exactly the committed records, a read_uncommitted one sees all.
ctp:          consume-transform-produce: a consumer in a group reads `in`, a transactional
              producer writes each record transformed to `out` together with the consumer's
              offsets (send_offsets_to_transaction); every fourth transaction is aborted and the
              consumer goes back to its committed offsets. At the end `out`, read committed, holds
              every input record exactly once, and the group's committed offsets are the end of
              `in`.
fencing:      a second producer with the same transactional.id fences the first: the first one's
              open transaction is aborted (its records never visible to read_committed) and its
              commit fails.
restart:      a transaction committed before brookd is killed (-9) stays committed; one left open
              across the kill is aborted by its timeout; read_committed sees the first only.
kafka_python: kafka-python's transactions: commit and abort, offsets of a group member in a
              transaction, fencing.
java:         with BROOK_JAVA_TXN_CP set (a class path holding kafka-clients and the compiled
              JavaTxnCheck), the Java client's checks against the same brookd.

Usage: clients_check.py BROOKD
Prints one line per check; exits 1 on any failure.
"""

import os
import subprocess
import sys
import tempfile
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from brookd_process import BrookdProcess  # noqa: E402

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'FAILED'}: {name}{': ' + detail if detail else ''}", flush=True)


def create(bootstrap, topic, partitions):
    a = AdminClient({"bootstrap.servers": bootstrap})
    a.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)


def producer(bootstrap, txn_id, **extra):
    conf = {"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5,
            "transaction.timeout.ms": 60000}
    conf.update(extra)
    p = Producer(conf)
    p.init_transactions(30)
    return p


def read_all(bootstrap, topic, isolation, partitions, timeout=30):
    """Every record of `topic` as (partition, value), reading each partition to its end."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"reader-{time.time()}",
                  "isolation.level": isolation, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    tps = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)]
    c.assign(tps)
    ends = {}
    for p in range(partitions):
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        ends[p] = hi
    out, done = [], set()
    deadline = time.time() + timeout
    while len(done) < partitions and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            out.append((m.partition(), m.value().decode()))
        for p in range(partitions):
            pos = c.position([TopicPartition(topic, p)])[0].offset
            # read_committed stops below the last stable offset; both end at the high watermark
            # once nothing is open.
            if pos >= ends[p] or (ends[p] == 0):
                done.add(p)
    c.close()
    return out


def commit_abort(bootstrap):
    create(bootstrap, "tx-ca", 3)
    p = producer(bootstrap, "tx-ca-1")
    for batch, commit in (("a", True), ("b", False), ("c", True)):
        p.begin_transaction()
        for i in range(30):
            p.produce("tx-ca", value=f"{batch}{i}", partition=i % 3)
        # Written before the end (librdkafka drops what it has not sent when aborting).
        p.flush(30)
        if commit:
            p.commit_transaction(30)
        else:
            p.abort_transaction(30)
    committed = sorted(v for _, v in read_all(bootstrap, "tx-ca", "read_committed", 3))
    everything = sorted(v for _, v in read_all(bootstrap, "tx-ca", "read_uncommitted", 3))
    want = sorted([f"a{i}" for i in range(30)] + [f"c{i}" for i in range(30)])
    check("commit, abort, commit: read_committed sees the 60 committed records only",
          committed == want, f"{len(committed)} read")
    check("read_uncommitted sees all 90 records", len(everything) == 90, f"{len(everything)} read")


def ctp(bootstrap):
    create(bootstrap, "tx-in", 3)
    create(bootstrap, "tx-out", 3)
    plain = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    n = 300
    for i in range(n):
        plain.produce("tx-in", value=str(i), partition=i % 3)
    plain.flush(30)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "tx-ctp", "enable.auto.commit": False,
                  "isolation.level": "read_committed", "auto.offset.reset": "earliest"})
    c.subscribe(["tx-in"])
    p = producer(bootstrap, "tx-ctp-1")
    done, txns, aborted = set(), 0, 0
    deadline = time.time() + 90
    while len(done) < n and time.time() < deadline:
        msgs = c.consume(20, 1.0)
        msgs = [m for m in msgs if not m.error()]
        if not msgs:
            continue
        p.begin_transaction()
        for m in msgs:
            p.produce("tx-out", value=f"out-{m.value().decode()}", partition=m.partition())
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
        p.flush(30)
        txns += 1
        if txns % 4 == 0:
            p.abort_transaction(30)
            aborted += 1
            # Back to the committed offsets: these records come again.
            committed = c.committed(c.assignment(), 10)
            for tp in committed:
                c.seek(TopicPartition(tp.topic, tp.partition,
                                      tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))
            continue
        p.commit_transaction(30)
        done.update(int(m.value().decode()) for m in msgs)
    committed = c.committed([TopicPartition("tx-in", q) for q in range(3)], 10)
    c.close()
    out = [v for _, v in read_all(bootstrap, "tx-out", "read_committed", 3)]
    once = sorted(out) == sorted(f"out-{i}" for i in range(n))
    ends = [tp.offset for tp in committed]
    check(f"consume-transform-produce: {n} records through {txns} transactions ({aborted} aborted): "
          "each exactly once in tx-out", once, f"{len(out)} read, {len(set(out))} distinct")
    check("the group's committed offsets are the end of tx-in", ends == [100, 100, 100],
          f"committed {ends}")


def fencing(bootstrap):
    create(bootstrap, "tx-fence", 1)
    old = producer(bootstrap, "tx-fence-id")
    old.begin_transaction()
    for i in range(10):
        old.produce("tx-fence", value=f"zombie{i}")
    old.flush(30)
    new = producer(bootstrap, "tx-fence-id")
    new.begin_transaction()
    new.produce("tx-fence", value="new0")
    new.commit_transaction(30)
    fenced = False
    try:
        old.commit_transaction(10)
    except KafkaException as e:
        fenced = e.args[0].fatal() or "fenc" in str(e).lower()
    check("a second producer with the same transactional.id fences the first", fenced)
    seen = [v for _, v in read_all(bootstrap, "tx-fence", "read_committed", 1)]
    check("the fenced producer's records are never visible to read_committed", seen == ["new0"],
          f"{seen}")


def restart(b):
    create(b.bootstrap, "tx-restart", 1)
    p = producer(b.bootstrap, "tx-restart-1")
    p.begin_transaction()
    for i in range(10):
        p.produce("tx-restart", value=f"kept{i}")
    p.commit_transaction(30)
    q = producer(b.bootstrap, "tx-restart-2", **{"transaction.timeout.ms": 3000})
    q.begin_transaction()
    for i in range(10):
        q.produce("tx-restart", value=f"open{i}")
    q.flush(30)
    b.kill9()
    b.start()
    # The open transaction's timeout (3 s) runs out after the restart: it is aborted.
    deadline = time.time() + 30
    seen = []
    while time.time() < deadline:
        seen = [v for _, v in read_all(b.bootstrap, "tx-restart", "read_committed", 1, timeout=5)]
        if len(seen) >= 10:
            break
        time.sleep(1)
    check("after kill -9: the committed transaction stays, the open one is aborted by its timeout",
          sorted(seen) == sorted(f"kept{i}" for i in range(10)), f"{len(seen)} read")


def kafka_python(bootstrap):
    """kafka-python (transactions version 1): commit and abort, offsets in a transaction from a
    group member (send_offsets_to_transaction), fencing."""
    from kafka import KafkaConsumer, KafkaProducer
    from kafka.structs import OffsetAndMetadata, TopicPartition as KTopicPartition

    def txn_producer(txn_id):
        p = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=txn_id, linger_ms=5)
        p.init_transactions()
        return p

    create(bootstrap, "kp-ca", 2)
    p = txn_producer("kp-ca")
    for batch, commit in (("a", True), ("b", False), ("c", True)):
        p.begin_transaction()
        for i in range(30):
            p.send("kp-ca", value=f"{batch}{i}".encode(), partition=i % 2)
        p.flush(30)
        if commit:
            p.commit_transaction()
        else:
            p.abort_transaction()
    committed = sorted(v for _, v in read_all(bootstrap, "kp-ca", "read_committed", 2))
    want = sorted([f"a{i}" for i in range(30)] + [f"c{i}" for i in range(30)])
    check("kafka-python: commit, abort, commit: read_committed sees the 60 committed records only",
          committed == want, f"{len(committed)} read")

    # Offsets of a group member, committed by the transaction.
    create(bootstrap, "kp-in", 1)
    plain = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(40):
        plain.send("kp-in", value=str(i).encode(), partition=0)
    plain.flush(30)
    plain.close()
    c = KafkaConsumer("kp-in", bootstrap_servers=bootstrap, group_id="kp-ctp",
                      enable_auto_commit=False, auto_offset_reset="earliest",
                      isolation_level="read_committed")
    read = 0
    deadline = time.time() + 60
    while read < 40 and time.time() < deadline:
        batches = c.poll(timeout_ms=1000)
        if not batches:
            continue
        p.begin_transaction()
        offsets = {}
        for tp, records in batches.items():
            for r in records:
                p.send("kp-ca", value=b"out-" + r.value, partition=0)
                read += 1
            offsets[KTopicPartition(tp.topic, tp.partition)] = OffsetAndMetadata(
                records[-1].offset + 1, "", -1)
        p.send_offsets_to_transaction(offsets, c.group_metadata())
        p.commit_transaction()
    c.close()
    admin_c = KafkaConsumer(bootstrap_servers=bootstrap, group_id="kp-ctp",
                            enable_auto_commit=False)
    got = admin_c.committed(KTopicPartition("kp-in", 0))
    admin_c.close()
    check("kafka-python: send_offsets_to_transaction commits the group's offsets",
          read == 40 and got == 40, f"{read} read, committed {got}")

    # A second producer fences the first.
    old = txn_producer("kp-fence")
    old.begin_transaction()
    old.send("kp-ca", value=b"old", partition=1)
    old.flush(30)
    fresh = txn_producer("kp-fence")
    fenced = None
    try:
        old.commit_transaction()
    except Exception as e:  # the client's fenced error
        fenced = e
    check("kafka-python: a second producer with the same transactional_id fences the first",
          fenced is not None, type(fenced).__name__ if fenced else "the old commit succeeded")
    for q in (p, old, fresh):
        try:
            q.close(timeout=5)
        except Exception:
            pass
    values = [v for _, v in read_all(bootstrap, "kp-ca", "read_committed", 2)]
    check("kafka-python: the fenced producer's record is never visible", "old" not in values,
          f"{len(values)} read")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="brook-txn-clients-") as work:
        b = BrookdProcess(binary, work)
        b.start()
        try:
            for f in (commit_abort, ctp, fencing, kafka_python):
                try:
                    f(b.bootstrap)
                except Exception as e:  # a client error is a failed check
                    check(f.__name__, False, repr(e))
            # The Java client and franz-go speak transactions version 2, KafkaJS version 1; each
            # prints its checks.
            others = []
            if os.environ.get("BROOK_JAVA_TXN_CP"):
                others.append(("java", "the Java client's transaction checks",
                               ["java", "-cp", os.environ["BROOK_JAVA_TXN_CP"], "JavaTxnCheck"]))
            if os.environ.get("BROOK_FRANZ_TXN"):
                others.append(("franz", "franz-go's transaction checks",
                               [os.environ["BROOK_FRANZ_TXN"]]))
            if os.environ.get("BROOK_KAFKAJS_TXN"):
                others.append(("kafkajs", "KafkaJS's transaction checks",
                               ["node", os.environ["BROOK_KAFKAJS_TXN"]]))
            for prefix, name, command in others:
                try:
                    run = subprocess.run(command + [b.bootstrap], capture_output=True, text=True,
                                         timeout=300)
                except subprocess.TimeoutExpired:
                    check(name, False, "timed out after 300 s")
                    continue
                for line in run.stdout.splitlines():
                    print(line, flush=True)
                    if line.startswith(f"{prefix} ok:") or line.startswith(f"{prefix} FAILED:"):
                        results.append(line.startswith(f"{prefix} ok:"))
                check(name, run.returncode == 0,
                      run.stderr.strip().splitlines()[-1] if run.returncode and run.stderr else "")
            try:
                restart(b)
            except Exception as e:
                check("restart", False, repr(e))
        finally:
            b.stop()
    print(f"transactions clients: {results.count(True)} passed, {results.count(False)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
