#!/usr/bin/env python3
"""The capture scenario for confluent-kafka (librdkafka): admin, producer (every codec), consumer
group.

Usage: confluent_kafka_scenario.py BOOTSTRAP TOPIC GROUP
"""
import sys

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, OffsetSpec

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
TIMEOUT = 15


def main():
    bootstrap, topic, group = sys.argv[1:4]
    common = {"bootstrap.servers": bootstrap, "client.id": "brook-captures-confluent-kafka"}

    admin = AdminClient(common)
    for f in admin.create_topics([NewTopic(topic, 1, 1)], operation_timeout=TIMEOUT).values():
        f.result(TIMEOUT)

    for codec in CODECS:
        producer = Producer({**common, "compression.type": codec, "linger.ms": 50})
        for i in range(2):
            producer.produce(topic, key="key-%s-%d" % (codec, i),
                             value="value %d compressed with %s" % (i, codec),
                             headers=[("codec", codec.encode()), ("n", str(i).encode())])
        if producer.flush(TIMEOUT) != 0:
            raise SystemExit("confluent-kafka: %s records not delivered" % codec)

    consumer = Consumer({**common, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "fetch.wait.max.ms": 100})
    consumer.subscribe([topic])
    seen = 0
    for _ in range(100):
        msg = consumer.poll(0.2)
        if msg is not None and msg.error() is None:
            seen += 1
            if seen >= 2 * len(CODECS):
                break
    if seen < 2 * len(CODECS):
        raise SystemExit("confluent-kafka: consumed %d of %d records" % (seen, 2 * len(CODECS)))
    consumer.commit(asynchronous=False)
    print("confluent-kafka: committed", consumer.committed([TopicPartition(topic, 0)], TIMEOUT))
    consumer.close()

    tp = TopicPartition(topic, 0)
    for spec in (OffsetSpec.earliest(), OffsetSpec.latest()):
        for f in admin.list_offsets({tp: spec}, request_timeout=TIMEOUT).values():
            print("confluent-kafka: offset", f.result(TIMEOUT))
    for f in admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)]).values():
        print("confluent-kafka: group offsets", f.result(TIMEOUT))
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    for f in admin.describe_configs([resource], request_timeout=TIMEOUT).values():
        print("confluent-kafka: %d configs" % len(f.result(TIMEOUT)))
    for f in admin.delete_topics([topic], operation_timeout=TIMEOUT).values():
        f.result(TIMEOUT)
    print("confluent-kafka: %d records round-tripped" % seen)


if __name__ == "__main__":
    main()
