"""Real Kafka clients against a running brookd: produce with every codec and acks setting, read
everything back, and compare every key and value (and, for the Python clients, headers and
timestamps).

Usage: clients_check.py BOOTSTRAP CLIENT PHASE
  CLIENT: kafka-python | confluent-kafka
  PHASE:  produce  - create the topics (or let auto-creation do it), produce, read back, compare
          verify   - read back what `produce` wrote (after a restart) and compare

Each (client, codec, acks) pair has its own topic, so the phases can run after a restart and
check that every acknowledged record survived. Prints one line per topic; exits 1 on any
mismatch.
"""

import sys
import time

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
ACKS = [0, 1, -1]
COUNT = 200
BASE_TS = 1_700_000_000_000


def topic_name(client, codec, acks):
    return f"{client}-{codec}-acks{'all' if acks == -1 else acks}"


def expected(topic):
    out = []
    for i in range(COUNT):
        key = None if i % 10 == 9 else f"{topic}-key-{i}".encode()
        # Never both null: kafka-python refuses such a record.
        value = None if i % 17 == 16 and key is not None else (f"{topic}-value-{i}-" + "x" * (i % 50)).encode()
        headers = [("h", f"{i}".encode())] if i % 3 == 0 else []
        out.append((key, value, headers, BASE_TS + i))
    return out


def compare(topic, got, check_headers=True):
    want = expected(topic)
    if len(got) != len(want):
        return f"{len(got)} records, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        gk, gv, gh, gt = g
        wk, wv, wh, wt = w
        if gk != wk or gv != wv:
            return f"record {i}: key/value {gk!r}/{gv!r}, expected {wk!r}/{wv!r}"
        if check_headers and list(gh) != wh:
            return f"record {i}: headers {gh!r}, expected {wh!r}"
        if gt != wt:
            return f"record {i}: timestamp {gt}, expected {wt}"
    return None


# --- kafka-python ---------------------------------------------------------------------------


def kp_produce(bootstrap, topic, codec, acks):
    from kafka import KafkaProducer

    p = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all" if acks == -1 else acks,
        compression_type=None if codec == "none" else codec,
        linger_ms=5,
        batch_size=4096,
        # Idempotent with acks=all (InitProducerId, sequences checked by brookd).
        enable_idempotence=acks == -1,
    )
    futures = [
        p.send(topic, key=k, value=v, headers=h, timestamp_ms=ts) for k, v, h, ts in expected(topic)
    ]
    p.flush(timeout=30)
    for f in futures:
        f.get(timeout=30)
    p.close()


def kp_consume(bootstrap, topic):
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                      consumer_timeout_ms=5000)
    tp = TopicPartition(topic, 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    got = []
    deadline = time.time() + 30
    while len(got) < COUNT and time.time() < deadline:
        for msgs in c.poll(timeout_ms=500).values():
            for m in msgs:
                got.append((m.key, m.value, [(k, v) for k, v in m.headers], m.timestamp))
    c.close()
    return got


# --- confluent-kafka (librdkafka) -------------------------------------------------------------


def ck_produce(bootstrap, topic, codec, acks):
    from confluent_kafka import Producer

    errors = []
    p = Producer({
        "bootstrap.servers": bootstrap,
        "acks": acks,
        "compression.type": codec,
        "linger.ms": 5,
        "batch.size": 4096,
        "enable.idempotence": acks in (-1, "all"),
    })

    def done(err, msg):
        if err is not None:
            errors.append(str(err))

    for k, v, h, ts in expected(topic):
        p.produce(topic, key=k, value=v, headers=h or None, timestamp=ts, on_delivery=done)
        p.poll(0)
    left = p.flush(30)
    if left or errors:
        raise RuntimeError(f"{left} undelivered, errors: {errors[:3]}")


def ck_consume(bootstrap, topic):
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "brook-clients-check",
        "enable.auto.commit": False,
        "enable.partition.eof": False,
    })
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = []
    deadline = time.time() + 30
    while len(got) < COUNT and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            raise RuntimeError(str(m.error()))
        got.append((m.key(), m.value(), [(k, v) for k, v in (m.headers() or [])], m.timestamp()[1]))
    c.close()
    return got


CLIENTS = {
    "kafka-python": (kp_produce, kp_consume),
    "confluent-kafka": (ck_produce, ck_consume),
}


def main():
    bootstrap, client, phase = sys.argv[1:4]
    produce, consume = CLIENTS[client]
    failed = 0
    for codec in CODECS:
        for acks in ACKS:
            topic = topic_name(client, codec, acks)
            try:
                if phase == "produce":
                    produce(bootstrap, topic, codec, acks)
                problem = compare(topic, consume(bootstrap, topic))
            except Exception as e:  # a client error is a failure of this topic, reported
                problem = f"{type(e).__name__}: {e}"
            print(f"{client} {phase} {topic}: {'ok' if problem is None else 'FAILED: ' + problem}",
                  flush=True)
            failed += problem is not None
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
