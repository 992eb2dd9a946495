"""Client quotas against a real brookd: Kafka's kafka-configs sets, describes and deletes them,
raw DescribeClientQuotas and AlterClientQuotas requests get Kafka's errors, the quotas survive a
restart, and a producer over its quota is told to slow down (throttle_time_ms) while another
client id is not.

configs:   kafka-configs (kafka.admin.ConfigCommand, Kafka 4.1.1) --alter --add-config on a client
           id and on the default user, --describe of each and of every client, --delete-config.
errors:    AlterClientQuotas with an unknown key, a bad value, a fractional byte rate, an empty
           or mixed entity, an unknown entity type, and validate_only; DescribeClientQuotas with
           filters (exact, default, any, strict) and bad ones.
restart:   brookd stopped and started: kafka-configs --describe shows the same quotas.
throttle:  confluent-kafka producers with client.id=slow (producer_byte_rate=1024) and
           client.id=fast send the same 20 KB; librdkafka's statistics report the broker's
           throttle time: above zero for slow, zero for fast; a consumer with client.id=slow
           (consumer_byte_rate=2048) reading them back is throttled too; after --delete-config of
           producer_byte_rate the slow producer is no longer throttled; a raw Produce v2 (before
           KIP-219, answered late) over its quota carries its throttle time.

Usage: quotas.py BROOKD. Environment: BROOK_KAFKA_TOOLS_JARS (Kafka's jars with kafka-tools,
from scripts/fetch-kafka-tools.sh 4.1.1), BROOK_TEST_PORTS. Prints one line per check; exits 1
on any failure.
"""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from brookd_process import BrookdProcess  # noqa: E402

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'FAILED'}: {name}{': ' + detail if detail else ''}", flush=True)


# --- kafka-configs -------------------------------------------------------------------------------

def configs(bs, jars, work, *args):
    log4j = os.path.join(work, "log4j2.xml")
    if not os.path.exists(log4j):
        with open(log4j, "w") as f:
            f.write('<Configuration status="ERROR"><Appenders><Console name="err" '
                    'target="SYSTEM_ERR"><PatternLayout pattern="%p %c: %m%n"/></Console>'
                    '</Appenders><Loggers><Root level="ERROR"><AppenderRef ref="err"/></Root>'
                    '</Loggers></Configuration>')
    p = subprocess.run(["java", f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{jars}/*",
                        "kafka.admin.ConfigCommand", "--bootstrap-server", bs, *args],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


# --- raw requests (v0, not flexible) -------------------------------------------------------------

def string(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


class Reader:
    def __init__(self, b):
        self.b, self.i = b, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.b, self.i)
        self.i += struct.calcsize(fmt)
        return v[0]

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.b[self.i:self.i + n].decode()
        self.i += n
        return s


def roundtrip(bs, api_key, version, body, client_id="quotas-check"):
    host, port = bs.split(":")
    with socket.create_connection((host, int(port)), 60) as s:
        req = struct.pack(">hhi", api_key, version, 7) + string(client_id) + body
        s.sendall(struct.pack(">i", len(req)) + req)
        f = s.makefile("rb")  # read(n) waits for all n bytes
        r = Reader(f.read(struct.unpack(">i", f.read(4))[0]))
        assert r.take(">i") == 7
        return r


def alter(bs, entries, validate_only=False):
    """entries: [(entity [(type, name)], ops [(key, value, remove)])] -> [(code, message, entity)]"""
    body = struct.pack(">i", len(entries))
    for entity, ops in entries:
        body += struct.pack(">i", len(entity))
        for t, n in entity:
            body += string(t) + string(n)
        body += struct.pack(">i", len(ops))
        for k, v, remove in ops:
            body += string(k) + struct.pack(">d?", v, remove)
    body += struct.pack(">?", validate_only)
    r = roundtrip(bs, 49, 0, body)
    r.take(">i")
    out = []
    for _ in range(r.take(">i")):
        code, message = r.take(">h"), r.string()
        entity = [(r.string(), r.string()) for _ in range(r.take(">i"))]
        out.append((code, message, entity))
    return out


def describe(bs, components, strict=False):
    """components: [(type, match_type, match)] -> (code, message, {entity tuple: {key: value}})"""
    body = struct.pack(">i", len(components))
    for t, mt, m in components:
        body += string(t) + struct.pack(">b", mt) + string(m)
    body += struct.pack(">?", strict)
    r = roundtrip(bs, 48, 0, body)
    r.take(">i")
    code, message = r.take(">h"), r.string()
    n = r.take(">i")
    entries = {}
    for _ in range(max(n, 0)):
        entity = tuple(sorted((r.string(), r.string()) for _ in range(r.take(">i"))))
        entries[entity] = {r.string(): r.take(">d") for _ in range(r.take(">i"))}
    return code, message, entries if n >= 0 else None


INVALID_REQUEST, UNSUPPORTED_VERSION = 42, 35


def check_errors(bs):
    bad = [
        ([("client-id", "c1")], [("no_such_quota", 5.0, False)],
         "Invalid configuration key no_such_quota"),
        ([("client-id", "c1")], [("producer_byte_rate", -1.0, False)],
         "Quota producer_byte_rate must be greater than 0"),
        ([("client-id", "c1")], [("producer_byte_rate", 10.5, False)],
         "producer_byte_rate cannot be a fractional value."),
        ([("client-id", "c1")], [("connection_creation_rate", 5.0, False)],
         "Invalid configuration key connection_creation_rate"),
        ([("ip", "10.0.0.1")], [("producer_byte_rate", 5.0, False)],
         "Invalid configuration key producer_byte_rate"),
        ([], [("producer_byte_rate", 5.0, False)], "Invalid empty client quota entity"),
        ([("group", "g")], [("producer_byte_rate", 5.0, False)],
         "Unhandled client quota entity type: group"),
        ([("user", "")], [("producer_byte_rate", 5.0, False)], "Empty user not supported"),
        ([("ip", "10.0.0.1"), ("user", "u")], [("request_percentage", 5.0, False)],
         "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId"),
        ([("ip", "no-such-host.invalid")], [("connection_creation_rate", 5.0, False)],
         "no-such-host.invalid is not a valid IP or resolvable host."),
    ]
    for entity, ops, message in bad:
        got = alter(bs, [(entity, ops)])
        check(f"AlterClientQuotas refuses {entity} {ops[0][0]}={ops[0][1]}",
              got and got[0][0] == INVALID_REQUEST and got[0][1] == message, str(got))
    # One bad entry does not stop a good one; validate_only changes nothing.
    got = alter(bs, [([("client-id", "c2")], [("producer_byte_rate", 5.0, False)]),
                     ([("client-id", "c3")], [("producer_byte_rate", 0.0, False)])])
    check("a good entry is applied beside a bad one",
          [g[0] for g in got] == [0, INVALID_REQUEST] and got[0][2] == [("client-id", "c2")],
          str(got))
    got = alter(bs, [([("ip", "10.0.0.1")], [("connection_creation_rate", 7.0, False)]),
                     ([("user", None), ("client-id", None)], [("request_percentage", 12.5, False)])],
                validate_only=True)
    code, _, entries = describe(bs, [])
    check("validate_only answers without changing",
          [g[0] for g in got] == [0, 0] and list(entries) == [(("client-id", "c2"),)], str(entries))

    alter(bs, [([("ip", "10.0.0.1")], [("connection_creation_rate", 7.0, False)]),
               ([("user", "u1"), ("client-id", None)], [("request_percentage", 12.5, False)]),
               ([("user", "u1")], [("consumer_byte_rate", 4096.0, False)])])
    cases = [
        ([("client-id", 0, "c2")], False, [(("client-id", "c2"),)]),
        ([("user", 0, "u1")], False, [(("client-id", None), ("user", "u1")), (("user", "u1"),)]),
        ([("user", 0, "u1")], True, [(("user", "u1"),)]),
        ([("user", 0, "u1"), ("client-id", 1, None)], True, [(("client-id", None), ("user", "u1"))]),
        ([("client-id", 2, None)], False, [(("client-id", "c2"),),
                                           (("client-id", None), ("user", "u1"))]),
        ([("ip", 2, None)], False, [(("ip", "10.0.0.1"),)]),
        ([], True, []),
    ]
    for components, strict, want in cases:
        code, message, entries = describe(bs, components, strict)
        check(f"DescribeClientQuotas {components} strict={strict}",
              code == 0 and sorted(entries, key=str) == sorted(want, key=str), str(entries))
    code, _, entries = describe(bs, [("ip", 0, "10.0.0.1")])
    check("DescribeClientQuotas gives the values",
          entries == {(("ip", "10.0.0.1"),): {"connection_creation_rate": 7.0}}, str(entries))
    for components, want_code, message in [
        ([("ip", 0, "a"), ("user", 2, None)], INVALID_REQUEST,
         "Invalid entity filter component combination. IP filter component should not be used "
         "with user or clientId filter component."),
        ([("user", 0, None)], INVALID_REQUEST,
         "Request specified MATCH_TYPE_EXACT, but set match string to null."),
        ([("user", 1, "x")], INVALID_REQUEST,
         "Request specified MATCH_TYPE_DEFAULT, but also specified a match string."),
        ([("user", 2, None), ("user", 2, None)], INVALID_REQUEST,
         "Entity type user cannot appear more than once in the filter."),
        ([("group", 2, None)], UNSUPPORTED_VERSION, "Unsupported entity type group"),
        ([("user", 9, None)], INVALID_REQUEST, "Unknown match type 9"),
    ]:
        code, got, entries = describe(bs, components)
        check(f"DescribeClientQuotas refuses {components}",
              code == want_code and got == message and entries is None, f"{code} {got}")
    # Clean up: removing every key removes the entity.
    alter(bs, [([("ip", "10.0.0.1")], [("connection_creation_rate", 0, True)]),
               ([("user", "u1"), ("client-id", None)], [("request_percentage", 0, True)]),
               ([("user", "u1")], [("consumer_byte_rate", 0, True)]),
               ([("client-id", "c2")], [("producer_byte_rate", 0, True)])])
    code, _, entries = describe(bs, [])
    check("removing every key removes the entities", code == 0 and entries == {}, str(entries))


def produce_v2(bs, client_id, topic, size):
    """A raw Produce v2 (from before KIP-219) of one magic-1 message; its throttle_time_ms."""
    value = os.urandom(size)
    msg = struct.pack(">bbq", 1, 0, int(time.time() * 1000)) + struct.pack(">i", -1) \
        + struct.pack(">i", len(value)) + value
    msg = struct.pack(">I", zlib.crc32(msg)) + msg
    message_set = struct.pack(">qi", 0, len(msg)) + msg
    body = struct.pack(">hi", 1, 30000) + struct.pack(">i", 1) + string(topic) \
        + struct.pack(">i", 1) + struct.pack(">ii", 0, len(message_set)) + message_set
    r = roundtrip(bs, 0, 2, body, client_id)
    errors = []
    for _ in range(r.take(">i")):
        r.string()
        for _ in range(r.take(">i")):
            r.take(">i")
            errors.append(r.take(">h"))
            r.take(">q")
            r.take(">q")
    return errors, r.take(">i")


# --- throttling ----------------------------------------------------------------------------------

def max_throttle(stats_list):
    """The largest throttle time (ms) librdkafka's statistics report for any broker."""
    best = 0
    for s in stats_list:
        for b in json.loads(s).get("brokers", {}).values():
            if b.get("nodeid", -1) >= 0:
                best = max(best, b.get("throttle", {}).get("max", 0))
    return best


def produce(bs, client_id, topic, count=20, size=1000):
    stats = []
    p = Producer({"bootstrap.servers": bs, "client.id": client_id, "linger.ms": 200,
                  "batch.size": 1000000, "statistics.interval.ms": 100,
                  "stats_cb": stats.append})
    delivered = []
    for i in range(count):
        p.produce(topic, value=os.urandom(size), key=str(i),
                  on_delivery=lambda err, m: delivered.append(err is None))
    p.flush(60)
    # Let a few statistics intervals pass so that the throttle of the answer is reported.
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        p.poll(0.1)
    return delivered.count(True), max_throttle(stats)


def consume(bs, client_id, topic, count):
    stats = []
    c = Consumer({"bootstrap.servers": bs, "client.id": client_id, "group.id": client_id + "-g",
                  "statistics.interval.ms": 100, "stats_cb": stats.append,
                  "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = 0
    end = time.monotonic() + 30
    while got < count and time.monotonic() < end:
        m = c.poll(0.2)
        if m is not None and not m.error():
            got += 1
    t = time.monotonic() + 1.5
    while time.monotonic() < t:
        c.poll(0.1)
    c.close()
    return got, max_throttle(stats)


def main():
    brookd = sys.argv[1]
    jars = os.environ["BROOK_KAFKA_TOOLS_JARS"]
    with tempfile.TemporaryDirectory(prefix="brook-quotas.") as work:
        b = BrookdProcess(brookd, work)
        b.start()
        bs = b.bootstrap
        try:
            check_errors(bs)

            rc, out = configs(bs, jars, work, "--alter", "--add-config",
                              "producer_byte_rate=1024,consumer_byte_rate=2048",
                              "--entity-type", "clients", "--entity-name", "slow")
            check("kafka-configs --alter on client slow", rc == 0, out.strip())
            rc, out = configs(bs, jars, work, "--alter", "--add-config", "request_percentage=1000",
                              "--entity-type", "users", "--entity-default")
            check("kafka-configs --alter on the default user", rc == 0, out.strip())
            rc, out = configs(bs, jars, work, "--alter", "--add-config", "bogus_rate=5",
                              "--entity-type", "clients", "--entity-name", "slow")
            check("kafka-configs refuses an unknown quota", rc != 0, out.strip()[-200:])

            def describe_all(when):
                rc, out = configs(bs, jars, work, "--describe", "--entity-type", "clients",
                                  "--entity-name", "slow")
                check(f"kafka-configs --describe client slow ({when})",
                      rc == 0 and "producer_byte_rate=1024" in out
                      and "consumer_byte_rate=2048" in out, out.strip())
                rc, out = configs(bs, jars, work, "--describe", "--entity-type", "users",
                                  "--entity-default")
                check(f"kafka-configs --describe the default user ({when})",
                      rc == 0 and "request_percentage=1000" in out, out.strip())
                rc, out = configs(bs, jars, work, "--describe", "--entity-type", "clients")
                check(f"kafka-configs --describe every client ({when})",
                      rc == 0 and "'slow'" in out, out.strip())

            describe_all("set")
            b.stop()
            b.start()
            describe_all("after a restart")

            admin = AdminClient({"bootstrap.servers": bs})
            admin.create_topics([NewTopic("quota-t", 1, 1)])["quota-t"].result(30)

            n, slow = produce(bs, "slow", "quota-t")
            check("the producer over its quota is throttled", n == 20 and slow > 0,
                  f"{n} delivered, throttle max {slow} ms")
            n, fast = produce(bs, "fast", "quota-t")
            check("a producer with another client id is not throttled", n == 20 and fast == 0,
                  f"{n} delivered, throttle max {fast} ms")
            n, cthrottle = consume(bs, "slow", "quota-t", 40)
            check("the consumer over its quota is throttled", n == 40 and cthrottle > 0,
                  f"{n} read, throttle max {cthrottle} ms")

            # Produce v2 predates KIP-219: the answer itself is held back, and says for how long.
            alter(bs, [([("client-id", "old-slow")], [("producer_byte_rate", 1024.0, False)])])
            errors, t = produce_v2(bs, "old-slow", "quota-t", 12000)
            check("a Produce v2 over its quota is answered with its throttle time",
                  errors == [0] and t > 0, f"errors {errors}, throttle_time_ms {t}")
            errors, t = produce_v2(bs, "old-fast", "quota-t", 12000)
            check("a Produce v2 within its quota is not throttled", errors == [0] and t == 0,
                  f"errors {errors}, throttle_time_ms {t}")

            rc, out = configs(bs, jars, work, "--alter", "--delete-config", "producer_byte_rate",
                              "--entity-type", "clients", "--entity-name", "slow")
            check("kafka-configs --delete-config", rc == 0, out.strip())
            rc, out = configs(bs, jars, work, "--describe", "--entity-type", "clients",
                              "--entity-name", "slow")
            check("the deleted quota is gone",
                  rc == 0 and "producer_byte_rate" not in out and "consumer_byte_rate=2048" in out,
                  out.strip())
            n, after = produce(bs, "slow", "quota-t")
            check("without its quota the producer is not throttled", n == 20 and after == 0,
                  f"{n} delivered, throttle max {after} ms")
        finally:
            rc = b.stop()
            check("brookd stops cleanly (exit code 0, no sanitizer report)", rc == 0, f"exit {rc}")
            if not all(results):
                sys.stdout.writelines(l for l in b.log_lines()[-30:])
    print(f"quotas: {results.count(True)} passed, {results.count(False)} failed")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
