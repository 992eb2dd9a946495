#!/usr/bin/env python3
"""The capture scenario for kafka-python: admin, producer (every codec), consumer group.

Usage: kafka_python_scenario.py BOOTSTRAP TOPIC GROUP
"""
import sys

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, OffsetSpec

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def main():
    bootstrap, topic, group = sys.argv[1:4]
    common = {"bootstrap_servers": bootstrap, "client_id": "brook-captures-kafka-python",
              "request_timeout_ms": 15000}

    admin = KafkaAdminClient(**common)
    admin.create_topics({topic: {"num_partitions": 1, "replication_factor": 1}},
                        wait_for_metadata=True)

    for codec in CODECS:
        producer = KafkaProducer(compression_type=None if codec == "none" else codec, linger_ms=50,
                                 **common)
        for i in range(2):
            producer.send(topic, key=("key-%s-%d" % (codec, i)).encode(),
                          value=("value %d compressed with %s" % (i, codec)).encode(),
                          headers=[("codec", codec.encode()), ("n", str(i).encode())])
        producer.flush(timeout=15)
        producer.close(timeout=15)

    consumer = KafkaConsumer(topic, group_id=group, auto_offset_reset="earliest",
                             enable_auto_commit=False, fetch_max_wait_ms=100, **common)
    seen = 0
    for _ in range(100):
        for records in consumer.poll(timeout_ms=200).values():
            seen += len(records)
        if seen >= 2 * len(CODECS):
            break
    if seen < 2 * len(CODECS):
        raise SystemExit("kafka-python: consumed %d of %d records" % (seen, 2 * len(CODECS)))
    consumer.commit()
    tp = TopicPartition(topic, 0)
    print("kafka-python: committed", consumer.committed(tp))
    print("kafka-python: end offsets", consumer.end_offsets([tp]))
    consumer.close()

    print("kafka-python: offsets",
          admin.list_partition_offsets({tp: OffsetSpec.EARLIEST}),
          admin.list_partition_offsets({tp: OffsetSpec.LATEST}))
    print("kafka-python: group offsets", admin.list_group_offsets({group: None}))
    configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    print("kafka-python: configs", configs)
    admin.delete_topics([topic])
    admin.close()
    print("kafka-python: %d records round-tripped" % seen)


if __name__ == "__main__":
    main()
