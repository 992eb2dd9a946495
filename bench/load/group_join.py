"""Time from a member joining a consumer group to every member consuming again.

A group of N-1 confluent-kafka (librdkafka) consumers reads a topic that a producer keeps
writing to; then an N-th member subscribes. The time measured runs from that subscribe until
every one of the N members has received a record produced after it. The N-th member then
leaves and the group settles again before the next round; the median of the rounds is printed.

Usage: python3 group_join.py BOOTSTRAP [members] [rounds] [classic|consumer]
  consumer: the KIP-848 protocol (group.protocol=consumer, the broker's assignor)
Prints: "group-join: N members, median MS ms, rounds: a b c"
"""
import statistics
import sys
import threading
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap = sys.argv[1]
members = int(sys.argv[2]) if len(sys.argv) > 2 else 10
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
protocol = sys.argv[4] if len(sys.argv) > 4 else "classic"
topic = f"bench-join-{protocol}-{int(time.time())}"
group = topic + "-g"
partitions = 2 * members

admin = AdminClient({"bootstrap.servers": bootstrap})
admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)
time.sleep(1)

stop = threading.Event()


def produce():
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "enable.idempotence": False})
    i = 0
    while not stop.is_set():
        # Every partition gets records all the time, stamped with the time they were sent.
        for part in range(partitions):
            p.produce(topic, value=repr(time.time()).encode(), partition=part)
        i += 1
        p.poll(0)
        time.sleep(0.01)
    p.flush(10)


class Member(threading.Thread):
    def __init__(self, name):
        super().__init__(daemon=True)
        self.name = name
        self.last_sent = 0.0  # send time of the newest record this member received
        self.leave = threading.Event()

    def run(self):
        conf = {"bootstrap.servers": bootstrap, "group.id": group,
                "auto.offset.reset": "latest", "enable.auto.commit": True}
        if protocol == "consumer":
            # Timeouts, heartbeats and the assignor are the broker's under KIP-848.
            conf["group.protocol"] = "consumer"
        else:
            conf.update({"session.timeout.ms": 10000, "heartbeat.interval.ms": 1000,
                         "partition.assignment.strategy": "range"})
        c = Consumer(conf)
        c.subscribe([topic])
        while not self.leave.is_set() and not stop.is_set():
            m = c.poll(0.05)
            if m is not None and m.error() is None:
                self.last_sent = max(self.last_sent, float(m.value()))
        c.close()


def all_caught_up(group_members, since):
    return all(m.last_sent > since for m in group_members)


def wait_until(cond, limit):
    deadline = time.time() + limit
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.005)
    return False


producer = threading.Thread(target=produce, daemon=True)
producer.start()
base = [Member(f"m{i}") for i in range(members - 1)]
for m in base:
    m.start()
mark = time.time()
if not wait_until(lambda: all_caught_up(base, mark), 120):
    sys.exit("group-join: the first members never all consumed")

results = []
for r in range(rounds):
    time.sleep(2)
    joiner = Member(f"joiner{r}")
    t0 = time.time()
    joiner.start()
    everyone = base + [joiner]
    if not wait_until(lambda: all_caught_up(everyone, t0), 120):
        sys.exit("group-join: the group did not consume again within 120 s")
    results.append((time.time() - t0) * 1000)
    joiner.leave.set()
    joiner.join(30)
    mark = time.time()
    if not wait_until(lambda: all_caught_up(base, mark), 120):
        sys.exit("group-join: the group did not settle after the joiner left")

stop.set()
print(f"group-join: {members} members, median {statistics.median(results):.0f} ms, "
      f"rounds: {' '.join(f'{x:.0f}' for x in results)}")
