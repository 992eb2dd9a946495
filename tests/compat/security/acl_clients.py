"""confluent-kafka (librdkafka) as the client of tests/compat/security/acls.sh: one action, and
what came back printed on one line: "ok ..." or the Kafka error name.

  acl_clients.py BOOTSTRAP produce TOPIC VALUE
  acl_clients.py BOOTSTRAP consume TOPIC GROUP     (prints "ok VALUE" for the first record)
  acl_clients.py BOOTSTRAP metadata TOPIC          (the topic's error in a Metadata answer)
  acl_clients.py BOOTSTRAP transaction TOPIC ID VALUE  (a transactional producer commits VALUE)
  acl_clients.py BOOTSTRAP cluster-ops             (DescribeCluster's authorized operations)
  acl_clients.py BOOTSTRAP topic-ops TOPIC         (DescribeTopicPartitions' authorized operations)
  acl_clients.py BOOTSTRAP broker-configs          (DescribeConfigs of broker 1)
"""

import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka import TopicCollection
from confluent_kafka.admin import AdminClient, ConfigResource


def produce(bs, topic, value):
    result = []
    p = Producer({"bootstrap.servers": bs, "message.timeout.ms": 15000})
    p.produce(topic, value.encode(), on_delivery=lambda err, msg: result.append(err))
    p.flush(30)
    if not result:
        return "no delivery report"
    return "ok" if result[0] is None else result[0].name()


def consume(bs, topic, group):
    c = Consumer({"bootstrap.servers": bs, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False})
    c.subscribe([topic])
    try:
        until = time.monotonic() + 30
        while time.monotonic() < until:
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    continue
                return m.error().name()
            c.commit(m, asynchronous=False)
            return "ok " + m.value().decode()
        return "nothing"
    except Exception as e:  # a commit refused comes as an exception
        return e.args[0].name() if e.args and hasattr(e.args[0], "name") else repr(e)
    finally:
        c.close()


def metadata(bs, topic):
    md = AdminClient({"bootstrap.servers": bs}).list_topics(topic=topic, timeout=15)
    t = md.topics[topic]
    return "ok" if t.error is None else t.error.name()


def transaction(bs, topic, txn_id, value):
    p = Producer({"bootstrap.servers": bs, "transactional.id": txn_id})
    try:
        p.init_transactions(30)
        p.begin_transaction()
        p.produce(topic, value.encode())
        p.commit_transaction(30)
        return "ok"
    except KafkaException as e:
        return e.args[0].name()


def admin(bs):
    return AdminClient({"bootstrap.servers": bs})


def names(ops):
    return "ok " + ",".join(sorted(op.name for op in ops))


# Each keeps its AdminClient until the answer is in: a client collected early fails its futures.
def cluster_ops(bs):
    a = admin(bs)
    d = a.describe_cluster(include_authorized_operations=True).result(15)
    return names(d.authorized_operations)


def topic_ops(bs, topic):
    a = admin(bs)
    futures = a.describe_topics(TopicCollection([topic]), include_authorized_operations=True)
    try:
        return names(futures[topic].result(15).authorized_operations)
    except KafkaException as e:
        return e.args[0].name()


def broker_configs(bs):
    a = admin(bs)
    futures = a.describe_configs([ConfigResource(ConfigResource.Type.BROKER, "1")])
    try:
        for f in futures.values():
            f.result(15)
        return "ok"
    except KafkaException as e:
        return e.args[0].name()


def main():
    bs, action, *args = sys.argv[1:]
    print({"produce": produce, "consume": consume, "metadata": metadata,
           "transaction": transaction, "cluster-ops": cluster_ops, "topic-ops": topic_ops,
           "broker-configs": broker_configs}[action](bs, *args))


if __name__ == "__main__":
    main()
