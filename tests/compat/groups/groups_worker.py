"""One consumer-group member for groups_check.py, with kafka-python or confluent-kafka (librdkafka).

Usage: groups_worker.py CLIENT BOOTSTRAP GROUP TOPIC NAME [key=value...]
  CLIENT: kafka-python | confluent-kafka
  keys:   protocol=classic|consumer (consumer = KIP-848; confluent-kafka only)
          assignor=range|roundrobin|cooperative-sticky|sticky     (classic only; default range)
          session_ms=6000 heartbeat_ms=1000 poll_interval_ms=20000 (classic only)
          max_poll=50

Subscribes TOPIC in GROUP (auto offset reset: earliest, no auto-commit) and after every batch
commits, synchronously, the offset after the batch's last record of each partition. Writes to
stdout, one line each, flushed (the same protocol as GroupWorker.java, franz/main.go and
kafkajs_worker.js):
  assigned P,P,...|-        the member's current assignment, whenever it changes
  rec P OFFSET KEY          a record consumed
  committed P:OFF,P:OFF     a commit that succeeded
  commit-error TEXT         a commit that failed (the records will be read again by the owner)
  error TEXT                any other error the client reported
  closed                    the consumer was closed cleanly (after stdin ended or said "stop")
Client logs go to stderr.
"""

import sys
import threading

out_lock = threading.Lock()


def emit(line):
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def parse_opts(args):
    opts = {"protocol": "classic", "assignor": "range", "session_ms": "6000", "heartbeat_ms": "1000",
            "poll_interval_ms": "20000", "max_poll": "50"}
    for a in args:
        k, _, v = a.partition("=")
        opts[k] = v
    return opts


def watch_stdin(stop):
    for line in sys.stdin:
        if line.strip() == "stop":
            break
    stop.set()


def show_assignment(parts):
    return ",".join(str(p) for p in sorted(parts)) or "-"


def batch_commit_offsets(records):
    """{partition: last offset + 1} over (partition, offset) pairs."""
    nxt = {}
    for p, o in records:
        nxt[p] = max(nxt.get(p, -1), o + 1)
    return nxt


def show_commit(nxt):
    return ",".join(f"{p}:{o}" for p, o in sorted(nxt.items()))


def run_confluent(bootstrap, group, topic, name, opts, stop):
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": name,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "topic.metadata.refresh.interval.ms": 5000,
        "error_cb": lambda err: emit(f"error {err}"),
    }
    if opts["protocol"] == "consumer":
        conf["group.protocol"] = "consumer"  # KIP-848: the broker assigns; no client-side timeouts
    else:
        conf.update({
            "group.protocol": "classic",
            "partition.assignment.strategy": opts["assignor"],
            "session.timeout.ms": int(opts["session_ms"]),
            "heartbeat.interval.ms": int(opts["heartbeat_ms"]),
            "max.poll.interval.ms": int(opts["poll_interval_ms"]),
        })
    c = Consumer(conf)
    c.subscribe([topic])
    shown = None
    while not stop.is_set():
        msgs = c.consume(num_messages=int(opts["max_poll"]), timeout=0.2)
        try:
            now = frozenset(tp.partition for tp in c.assignment() if tp.topic == topic)
        except KafkaException:
            now = shown
        if now != shown:
            shown = now
            emit(f"assigned {show_assignment(now)}")
        batch = []
        for m in msgs:
            if m.error():
                emit(f"error {m.error()}")
                continue
            key = m.key().decode() if m.key() is not None else "-"
            emit(f"rec {m.partition()} {m.offset()} {key}")
            batch.append((m.partition(), m.offset()))
        if batch:
            nxt = batch_commit_offsets(batch)
            try:
                res = c.commit(offsets=[TopicPartition(topic, p, o) for p, o in nxt.items()],
                               asynchronous=False)
                good = {tp.partition: tp.offset for tp in res if tp.error is None}
                bad = [f"{tp.partition}:{tp.error}" for tp in res if tp.error is not None]
                if good:
                    emit(f"committed {show_commit(good)}")
                if bad:
                    emit(f"commit-error {' '.join(bad)}")
            except KafkaException as e:
                emit(f"commit-error {e}")
    c.close()
    emit("closed")


def run_kafka_python(bootstrap, group, topic, name, opts, stop):
    from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

    assignors = {"range": RangePartitionAssignor, "roundrobin": RoundRobinPartitionAssignor}
    try:
        from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
        assignors["cooperative-sticky"] = CooperativeStickyAssignor
    except ImportError:
        pass
    try:
        from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
        assignors["sticky"] = StickyPartitionAssignor
    except ImportError:
        pass
    if opts["protocol"] != "classic":
        emit(f"error kafka-python has no group.protocol={opts['protocol']}")
        sys.exit(2)
    c = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group,
        client_id=name,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=int(opts["session_ms"]),
        heartbeat_interval_ms=int(opts["heartbeat_ms"]),
        max_poll_interval_ms=int(opts["poll_interval_ms"]),
        max_poll_records=int(opts["max_poll"]),
        partition_assignment_strategy=[assignors[opts["assignor"]]],
        metadata_max_age_ms=5000,
    )
    # kafka-python joins before it has the subscribed topic's metadata: the leader's first
    # assignment is then empty ("No partition metadata for topic") and a second rebalance follows
    # once the metadata comes. Fetching it first saves that rebalance.
    if not c.partitions_for_topic(topic):
        emit(f"error no partitions known for {topic}")
    c.subscribe([topic])
    shown = None
    while not stop.is_set():
        try:
            # Not shorter: with poll(timeout_ms=200), in about 1 family check of 12 on this 2-core
            # machine under load, a kafka-python 3.0.12 member elected leader on a rejoin hung for
            # good after "Elected group leader" (no SyncGroup, no more heartbeats: removed after
            # session.timeout.ms, never rejoined). With 1000 ms: none in 60.
            polled = c.poll(timeout_ms=1000)
        except Exception as e:  # noqa: BLE001 - report and go on, as an application would
            emit(f"error poll: {type(e).__name__}: {e}")
            stop.wait(0.2)
            continue
        now = frozenset(tp.partition for tp in c.assignment() if tp.topic == topic)
        if now != shown:
            shown = now
            emit(f"assigned {show_assignment(now)}")
        batch = []
        for tp, msgs in polled.items():
            for m in msgs:
                key = m.key.decode() if m.key is not None else "-"
                emit(f"rec {m.partition} {m.offset} {key}")
                batch.append((m.partition, m.offset))
        if batch:
            nxt = batch_commit_offsets(batch)
            try:
                c.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "", -1) for p, o in nxt.items()})
                emit(f"committed {show_commit(nxt)}")
            except Exception as e:  # noqa: BLE001 - CommitFailedError and friends
                emit(f"commit-error {type(e).__name__}: {e}")
    c.close(autocommit=False)
    emit("closed")


def main():
    import faulthandler
    import logging
    import signal

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # groups_check.py asks on a failure
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka.coordinator").setLevel(logging.INFO)  # joins, assignments
    if len(sys.argv) < 6:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    client, bootstrap, group, topic, name = sys.argv[1:6]
    opts = parse_opts(sys.argv[6:])
    stop = threading.Event()
    threading.Thread(target=watch_stdin, args=(stop,), daemon=True).start()
    if client == "confluent-kafka":
        run_confluent(bootstrap, group, topic, name, opts, stop)
    elif client == "kafka-python":
        run_kafka_python(bootstrap, group, topic, name, opts, stop)
    else:
        print(f"unknown client {client}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
