"""The producer and the reader of the kafka-transactions find-hanging and abort checks of
tests/compat/tools/run.sh, with confluent-kafka (librdkafka). Partition 0 of TOPIC throughout.

  hanging_txn.py open BOOTSTRAP TOPIC TXN_ID TIMEOUT_MS [GROUP]
      commits a transaction of c0..c4 (with GROUP: and the group's offset 3 for the partition),
      then begins another of a0..a4 (with GROUP: offset 7), flushes it and exits without ending
      it (os._exit: no abort on the way out), so that the transaction stays open until its
      coordinator times it out after TIMEOUT_MS, or for good if the coordinator forgets it.
  hanging_txn.py commit BOOTSTRAP TOPIC TXN_ID
      a new incarnation of TXN_ID (InitProducerId fences the old one) commits d0..d4.
  hanging_txn.py check BOOTSTRAP TOPIC VALUES [GROUP OFFSET]
      the last stable offset (ListOffsets read_committed) is the high watermark; a read_committed
      consumer from the beginning reaches the end of the partition having read exactly VALUES
      (comma-separated) in order; with GROUP, the group's committed offset, fetched as a
      read_committed consumer does (OffsetFetch with require_stable, which an open transactional
      offset commit answers with UNSTABLE_OFFSET_COMMIT until its marker), is OFFSET.

Prints what it did or found; exits 1 when a check fails.
"""

import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition


def producer(bootstrap, txn_id, timeout_ms=60000):
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5,
                  "transaction.timeout.ms": timeout_ms})
    p.init_transactions(30)
    return p


def send(p, topic, prefix):
    for i in range(5):
        p.produce(topic, value=f"{prefix}{i}".encode(), partition=0)


def open_txn(bootstrap, topic, txn_id, timeout_ms, group=None):
    group_md = None
    if group:
        # A consumer that never joins: its metadata (generation -1) names the group alone.
        group_md = Consumer({"bootstrap.servers": bootstrap, "group.id": group}) \
            .consumer_group_metadata()
    p = producer(bootstrap, txn_id, timeout_ms)
    for prefix, offset, commit in (("c", 3, True), ("a", 7, False)):
        p.begin_transaction()
        send(p, topic, prefix)
        if group_md:
            p.send_offsets_to_transaction([TopicPartition(topic, 0, offset)], group_md, 30)
        if commit:
            p.commit_transaction(30)
    p.flush(30)
    print(f"{txn_id}: committed c0..c4, left a0..a4 open", flush=True)
    os._exit(0)


def commit_txn(bootstrap, topic, txn_id):
    p = producer(bootstrap, txn_id)
    p.begin_transaction()
    send(p, topic, "d")
    p.commit_transaction(30)
    print(f"{txn_id}: committed d0..d4")


def check(bootstrap, topic, values, group=None, offset=None):
    tp = TopicPartition(topic, 0)
    ok = True
    ends = {}
    for iso in ("read_committed", "read_uncommitted"):
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "hanging-txn-check",
                      "isolation.level": iso})
        ends[iso] = c.get_watermark_offsets(tp, timeout=10, cached=False)[1]
        c.close()
    print(f"last stable offset {ends['read_committed']}, "
          f"high watermark {ends['read_uncommitted']}")
    ok &= ends["read_committed"] == ends["read_uncommitted"]

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "hanging-txn-check",
                  "isolation.level": "read_committed", "enable.auto.commit": False,
                  "enable.partition.eof": True})
    c.assign([TopicPartition(topic, 0, 0)])
    got, eof = [], None
    deadline = time.time() + 30
    while eof is None and time.time() < deadline:
        m = c.poll(1)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof = m.offset()
            else:
                print("consumer:", m.error())
            continue
        got.append(m.value().decode())
    c.close()
    print(f"read_committed: {got}, end of partition at {eof}")
    ok &= got == values and eof == ends["read_uncommitted"]

    if group:
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                      "isolation.level": "read_committed"})
        try:
            committed = c.committed([tp], timeout=10)[0].offset
        except Exception as e:  # UNSTABLE_OFFSET_COMMIT until the timeout
            committed = f"none ({e})"
        c.close()
        print(f"group {group}: committed offset {committed}")
        ok &= committed == offset
    sys.exit(0 if ok else 1)


def main():
    a = sys.argv[1:]
    if len(a) >= 5 and a[0] == "open":
        open_txn(a[1], a[2], a[3], int(a[4]), a[5] if len(a) > 5 else None)
    elif len(a) == 4 and a[0] == "commit":
        commit_txn(a[1], a[2], a[3])
    elif len(a) in (4, 6) and a[0] == "check":
        check(a[1], a[2], a[3].split(","), *([a[4], int(a[5])] if len(a) == 6 else []))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
