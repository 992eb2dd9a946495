"""The admin APIs through confluent-kafka's AdminClient (librdkafka) against brookd.

CreateTopics, CreatePartitions (validate_only, a decrease refused), DescribeConfigs,
AlterConfigs, IncrementalAlterConfigs, DescribeCluster, DeleteRecords, ListOffsets and
DescribeTopics (Metadata), plus DescribeLogDirs, DescribeTopicPartitions and OffsetForLeaderEpoch through kafka-python.

Usage: admin_check.py BOOTSTRAP
Prints one line per check; exits 1 if any failed.
"""

import sys
import time
import uuid
import warnings

from confluent_kafka import Consumer, KafkaException, Producer, TopicCollection, TopicPartition
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewPartitions,
    NewTopic,
    OffsetSpec,
    ResourceType,
)

# AlterConfigs is deprecated in the clients but still a Kafka API Brook serves: test it quietly.
warnings.filterwarnings("ignore", category=DeprecationWarning)

bootstrap = sys.argv[1]
failures = 0
TIMEOUT = 30


def check(name, ok, detail=""):
    global failures
    if ok:
        print(f"ok: {name}")
    else:
        failures += 1
        print(f"FAILED: {name} {detail}")


def one(futures):
    """The result of the only future in a dict of futures."""
    (fut,) = futures.values()
    return fut.result(timeout=TIMEOUT)


def error_of(futures):
    """The KafkaError of the only future (None when it succeeded)."""
    try:
        one(futures)
        return None
    except KafkaException as e:
        return e.args[0]


def topic_configs(admin, topic):
    return one(admin.describe_configs([ConfigResource(ResourceType.TOPIC, topic)]))


admin = AdminClient({"bootstrap.servers": bootstrap})
topic = f"admin-{uuid.uuid4().hex[:8]}"

# CreateTopics.
one(admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)]))
md = admin.list_topics(topic, timeout=TIMEOUT)
check("create_topics: 2 partitions", len(md.topics[topic].partitions) == 2)

# CreatePartitions: validate_only changes nothing, then a real increase, then a decrease.
one(admin.create_partitions([NewPartitions(topic, 4)], validate_only=True))
md = admin.list_topics(topic, timeout=TIMEOUT)
check("create_partitions validate_only leaves 2", len(md.topics[topic].partitions) == 2)
one(admin.create_partitions([NewPartitions(topic, 3)]))
md = admin.list_topics(topic, timeout=TIMEOUT)
check("create_partitions to 3", len(md.topics[topic].partitions) == 3)
err = error_of(admin.create_partitions([NewPartitions(topic, 2)]))
check(
    "create_partitions decrease: INVALID_PARTITIONS",
    err is not None and err.name() == "INVALID_PARTITIONS" and "would not be an increase" in err.str(),
    repr(err),
)
err = error_of(admin.create_partitions([NewPartitions(topic, 3)]))
check(
    "create_partitions same count: INVALID_PARTITIONS",
    err is not None and err.name() == "INVALID_PARTITIONS",
    repr(err),
)

# DescribeConfigs: defaults first.
configs = topic_configs(admin, topic)
check(
    "describe_configs topic: retention.ms present, not dynamic",
    "retention.ms" in configs
    and configs["retention.ms"].source != ConfigSource.DYNAMIC_TOPIC_CONFIG.value,
    repr(configs.get("retention.ms")),
)

# IncrementalAlterConfigs: set retention.ms, read it back.
one(
    admin.incremental_alter_configs(
        [
            ConfigResource(
                ResourceType.TOPIC,
                topic,
                incremental_configs=[
                    ConfigEntry("retention.ms", "123456789", incremental_operation=AlterConfigOpType.SET)
                ],
            )
        ]
    )
)
entry = topic_configs(admin, topic)["retention.ms"]
check(
    "incremental_alter_configs retention.ms: DYNAMIC_TOPIC_CONFIG",
    entry.value == "123456789" and entry.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value,
    f"{entry.value} {entry.source}",
)
err = error_of(
    admin.incremental_alter_configs(
        [
            ConfigResource(
                ResourceType.TOPIC,
                topic,
                incremental_configs=[
                    ConfigEntry("retention.ms", "abc", incremental_operation=AlterConfigOpType.SET)
                ],
            )
        ]
    )
)
check(
    "incremental_alter_configs invalid value: INVALID_CONFIG",
    err is not None and err.name() == "INVALID_CONFIG",
    repr(err),
)
one(
    admin.incremental_alter_configs(
        [
            ConfigResource(
                ResourceType.TOPIC,
                topic,
                incremental_configs=[
                    ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE)
                ],
            )
        ]
    )
)
entry = topic_configs(admin, topic)["retention.ms"]
check(
    "incremental_alter_configs DELETE: back to the broker's value",
    entry.source != ConfigSource.DYNAMIC_TOPIC_CONFIG.value,
    f"{entry.value} {entry.source}",
)

# AlterConfigs (replaces the topic's overrides).
one(admin.alter_configs([ConfigResource(ResourceType.TOPIC, topic, set_config={"retention.ms": "7654321"})]))
entry = topic_configs(admin, topic)["retention.ms"]
check(
    "alter_configs retention.ms: DYNAMIC_TOPIC_CONFIG",
    entry.value == "7654321" and entry.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value,
    f"{entry.value} {entry.source}",
)
err = error_of(
    admin.alter_configs([ConfigResource(ResourceType.TOPIC, topic, set_config={"segment.bytes": "x"})])
)
check("alter_configs invalid value: INVALID_CONFIG", err is not None and err.name() == "INVALID_CONFIG", repr(err))
err = error_of(
    admin.alter_configs([ConfigResource(ResourceType.TOPIC, topic, set_config={"no.such.config": "1"})])
)
check("alter_configs unknown name: INVALID_CONFIG", err is not None and err.name() == "INVALID_CONFIG", repr(err))
err = error_of(admin.describe_configs([ConfigResource(ResourceType.TOPIC, "no-such-topic-" + topic)]))
check(
    "describe_configs unknown topic: UNKNOWN_TOPIC_OR_PART",
    err is not None and err.name() == "UNKNOWN_TOPIC_OR_PART",
    repr(err),
)

# DescribeCluster, then the broker resource: described, not alterable.
cluster = admin.describe_cluster(include_authorized_operations=True).result(timeout=TIMEOUT)
check(
    "describe_cluster: one node, controller, cluster id",
    len(cluster.nodes) == 1
    and cluster.controller is not None
    and cluster.controller.id == cluster.nodes[0].id
    and bool(cluster.cluster_id)
    and bool(cluster.authorized_operations),
    repr(cluster),
)
node = str(cluster.nodes[0].id)
broker_configs = one(admin.describe_configs([ConfigResource(ResourceType.BROKER, node)]))
check(
    "describe_configs broker: log.retention.ms",
    "log.retention.ms" in broker_configs and "node.id" in broker_configs,
    repr(list(broker_configs)[:10]),
)
err = error_of(
    admin.incremental_alter_configs(
        [
            ConfigResource(
                ResourceType.BROKER,
                node,
                incremental_configs=[
                    ConfigEntry("log.retention.ms", "1000", incremental_operation=AlterConfigOpType.SET)
                ],
            )
        ]
    )
)
check(
    "incremental_alter_configs broker: INVALID_REQUEST",
    err is not None and err.name() == "INVALID_REQUEST" and "dynamically" in err.str(),
    repr(err),
)

# Records to delete: 10 in partition 0.
producer = Producer({"bootstrap.servers": bootstrap})
for i in range(10):
    producer.produce(topic, value=f"v{i}".encode(), partition=0)
check("produce 10 records", producer.flush(TIMEOUT) == 0)

# DeleteRecords: up to offset 4, then ListOffsets and the consumer's watermarks show it.
deleted = one(admin.delete_records([TopicPartition(topic, 0, 4)]))
check("delete_records: low watermark 4", deleted.low_watermark == 4, repr(deleted))
earliest = one(admin.list_offsets({TopicPartition(topic, 0): OffsetSpec.earliest()}))
latest = one(admin.list_offsets({TopicPartition(topic, 0): OffsetSpec.latest()}))
check(
    "list_offsets: earliest 4, latest 10",
    earliest.offset == 4 and latest.offset == 10,
    f"{earliest.offset} {latest.offset}",
)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "admin-check-" + topic})
low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=TIMEOUT)
check("get_watermark_offsets: (4, 10)", (low, high) == (4, 10), f"{low} {high}")
consumer.close()
err = error_of(admin.delete_records([TopicPartition(topic, 0, 11)]))
check(
    "delete_records beyond the high watermark: OFFSET_OUT_OF_RANGE",
    err is not None and err.name() == "OFFSET_OUT_OF_RANGE",
    repr(err),
)
deleted = one(admin.delete_records([TopicPartition(topic, 0, -1)]))
check("delete_records -1: up to the high watermark", deleted.low_watermark == 10, repr(deleted))

# DescribeTopics.
described = one(admin.describe_topics(TopicCollection([topic])))
check(
    "describe_topics: 3 partitions led by the node",
    len(described.partitions) == 3 and all(p.leader.id == cluster.nodes[0].id for p in described.partitions),
    repr(described),
)

# DescribeLogDirs via kafka-python's admin client.
try:
    from kafka import KafkaAdminClient

    kadmin = KafkaAdminClient(bootstrap_servers=bootstrap)
    dirs = kadmin.describe_log_dirs()
    text = repr(dirs)
    check("kafka-python describe_log_dirs: names the topic", topic in text, text[:300])

    # DescribeTopicPartitions (KIP-966): 3 partitions, two at a time.
    first = kadmin.describe_topic_partitions([topic], response_partition_limit=2)
    parts = [p["partition_index"] for t in first["topics"] for p in t["partitions"]]
    check(
        "kafka-python describe_topic_partitions limit 2: [0, 1] and a cursor at 2",
        parts == [0, 1] and first["next_cursor"] == {"topic_name": topic, "partition_index": 2},
        repr(first)[:300],
    )
    rest = kadmin.describe_topic_partitions([topic], response_partition_limit=2, cursor=first["next_cursor"])
    parts = [p["partition_index"] for t in rest["topics"] for p in t["partitions"]]
    check(
        "kafka-python describe_topic_partitions from the cursor: [2], no cursor",
        parts == [2] and rest["next_cursor"] is None,
        repr(rest)[:300],
    )

    # OffsetForLeaderEpoch as a consumer sends it (KIP-320), through kafka-python's protocol classes.
    from kafka.consumer.fetcher import (
        OffsetForLeaderEpochRequest,
        _OffsetForLeaderPartition,
        _OffsetForLeaderTopic,
    )

    def epoch_end(current, epoch):
        request = OffsetForLeaderEpochRequest(
            replica_id=-1,
            topics=[
                _OffsetForLeaderTopic(
                    topic=topic,
                    partitions=[
                        _OffsetForLeaderPartition(partition=0, current_leader_epoch=current, leader_epoch=epoch)
                    ],
                )
            ],
        )
        p = kadmin._manager.run(kadmin._manager.send, request).topics[0].partitions[0]
        return p.error_code, p.leader_epoch, p.end_offset

    got = epoch_end(0, 0)
    check("offset_for_leader_epoch epoch 0: ends at 10", got == (0, 0, 10), repr(got))
    got = epoch_end(1, 0)
    check("offset_for_leader_epoch current epoch 1: UNKNOWN_LEADER_EPOCH", got[0] == 75, repr(got))
    got = epoch_end(-1, 5)
    check("offset_for_leader_epoch epoch 5: undefined", got == (0, -1, -1), repr(got))
    kadmin.close()
except Exception as e:  # noqa: BLE001 - report, do not crash
    check("kafka-python admin (describe_log_dirs, describe_topic_partitions)", False, repr(e))

sys.exit(1 if failures else 0)
