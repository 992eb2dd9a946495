"""Consumer groups with real Kafka clients: the orchestrator behind tests/compat/groups/run.sh (read
its header for what is checked). Run it through run.sh, which builds the workers and sets:
  GROUPS_JAVA_CP    classpath with GroupWorker.class and kafka-clients
  GROUPS_FRANZ_BIN  the franz-go worker binary (franz/main.go)
  GROUPS_TOOLS_CP   classpath of Apache Kafka's tools (kafka-tools and its dependencies)
  GROUPS_WORK       a scratch folder (worker logs, brookd's data and log)

Usage: groups_check.py --bootstrap HOST:PORT | --brookd PATH   [--only NAME,NAME...]
  NAME: family, mixed, churn, kip848, tools, restart (default: all)

Every consumer is a child process (groups_worker.py, GroupWorker.java, franz/main.go,
kafkajs_worker.js) that prints what it is assigned, every record it consumes and every commit
that succeeded; this file produces the records with known keys (confluent-kafka, explicit
partitions), starts, stops (stdin closed: the consumer closes and leaves) and kills (SIGKILL)
members, and asserts on what came back. A record counts as processed when a member consumed it
and afterwards committed past it: every produced record must be processed (none skipped), every
consumed record must carry the key produced at its partition and offset, and the group's
committed offsets (read with the AdminClient) must end at the log end.
"""

import argparse
import ctypes
import logging
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback

from confluent_kafka import (Consumer, ConsumerGroupTopicPartitions, KafkaException, Producer,
                             TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic

HERE = os.path.dirname(os.path.abspath(__file__))
PARTITIONS = 6
STABLE_S = 30        # a classic group settles into a split of the partitions
STABLE_KIP848_S = 60  # the broker's heartbeat interval (group.consumer.heartbeat.interval.ms, 5 s)
CONSUME_S = 40       # every record consumed and committed
CLOSE_S = 20         # a member closes after its stdin ends
CLASSIC = {"session_ms": 6000, "heartbeat_ms": 1000, "poll_interval_ms": 20000}
FAMILIES = ["kafka-python", "confluent-kafka", "java", "franz-go", "kafkajs"]

# Group-related API keys, for the note on what the broker advertises.
GROUP_APIS = {8: "OffsetCommit", 9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup",
              12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup", 15: "DescribeGroups",
              16: "ListGroups", 42: "DeleteGroups", 47: "OffsetDelete",
              68: "ConsumerGroupHeartbeat", 69: "ConsumerGroupDescribe"}


class CheckFailed(Exception):
    pass


def log(msg):
    print(msg, flush=True)


# --- the broker -----------------------------------------------------------------------------


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def api_versions(bootstrap):
    """{api key: (min, max)} from an ApiVersions v0 request."""
    host, port = bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.settimeout(5)
        client = b"groups-check"
        body = struct.pack(">hhih", 18, 0, 1, len(client)) + client
        s.sendall(struct.pack(">i", len(body)) + body)

        def recv(n):
            buf = b""
            while len(buf) < n:
                chunk = s.recv(n - len(buf))
                if not chunk:
                    raise ConnectionError("connection closed during ApiVersions")
                buf += chunk
            return buf

        data = recv(struct.unpack(">i", recv(4))[0])
    _, err, count = struct.unpack(">ihi", data[:10])
    if err != 0:
        raise RuntimeError(f"ApiVersions error {err}")
    keys = {}
    for i in range(count):
        k, lo, hi = struct.unpack(">hhh", data[10 + 6 * i:16 + 6 * i])
        keys[k] = (lo, hi)
    return keys


class Brookd:
    """brookd on a free port with a data dir in the work folder; restartable on both."""

    def __init__(self, path, work):
        self.path = path
        self.port = free_port()
        self.data = os.path.join(work, "brookd-data")
        self.log_path = os.path.join(work, "brookd.log")
        self.proc = None

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        with open(self.log_path, "a") as logf:
            self.proc = subprocess.Popen(
                [self.path, "--override", f"listeners=PLAINTEXT://127.0.0.1:{self.port}",
                 "--override", f"log.dirs={self.data}", "--override", "brook.shards=2",
                 "--override", "log.retention.ms=-1",
                 # KIP-848 members killed in the churn check expire after 10 s, not 45.
                 "--override", "group.consumer.min.session.timeout.ms=10000",
                 "--override", "group.consumer.session.timeout.ms=10000",
                 "--override", "group.consumer.min.heartbeat.interval.ms=1000",
                 "--override", "group.consumer.heartbeat.interval.ms=2000"],
                stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"brookd did not start; its log:\n{tail(self.log_path, 30)}")

    def stop(self, sig):
        """Sends sig; returns brookd's exit code (None if it had to be killed after 30 s)."""
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.proc = None
        return rc


def die_with_parent():
    """preexec_fn: the child gets SIGKILL when this process dies (say, cut by run.sh's timeout)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def tail(path, n):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


# --- consumers --------------------------------------------------------------------------------


def worker_command(family):
    if family in ("kafka-python", "confluent-kafka"):
        return [sys.executable, os.path.join(HERE, "groups_worker.py"), family]
    if family == "java":
        return ["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", os.environ["GROUPS_JAVA_CP"], "GroupWorker"]
    if family == "franz-go":
        return [os.environ["GROUPS_FRANZ_BIN"]]
    if family == "kafkajs":
        return ["node", os.path.join(HERE, "kafkajs_worker.js")]
    raise ValueError(family)


class Worker:
    """One group member in a child process, its output parsed as it comes."""

    def __init__(self, ctx, family, name, group, topic, **opts):
        self.family, self.name, self.group, self.topic = family, name, group, topic
        self.lock = threading.Lock()
        self.events = []       # ("rec", p, offset, key) and ("commit", {p: offset}) in order
        self.assignment = None  # frozenset of partitions, None before the first report
        self.nrec = 0
        self.commit_errors = []
        self.errors = []
        self.closed = False
        self.fate = "running"  # running, stopped, killed
        self.log_path = os.path.join(ctx.work, f"{ctx.seq()}-{name}.log")
        args = worker_command(family) + [ctx.bootstrap, group, topic, name]
        args += [f"{k}={v}" for k, v in opts.items()]
        with open(self.log_path, "w") as logf:
            self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=logf, text=True, bufsize=1,
                                         preexec_fn=die_with_parent)
        ctx.workers.append(self)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        with open(self.log_path[:-4] + ".out", "w") as out:
            for line in self.proc.stdout:
                out.write(f"{time.time():.3f} {line}")
                self._parse(line)

    def _parse(self, line):
        parts = line.split()
        if not parts:
            return
        kind = parts[0]
        with self.lock:
            try:
                if kind == "rec":
                    self.events.append(("rec", int(parts[1]), int(parts[2]),
                                        parts[3] if len(parts) > 3 else "-"))
                    self.nrec += 1
                elif kind == "committed":
                    self.events.append(("commit", {int(a): int(b) for a, b in
                                                   (x.split(":") for x in parts[1].split(","))}))
                elif kind == "assigned":
                    self.assignment = frozenset() if parts[1] == "-" else frozenset(
                        int(x) for x in parts[1].split(","))
                elif kind == "commit-error":
                    self.commit_errors.append(line.strip())
                elif kind == "error":
                    self.errors.append(line.strip())
                elif kind == "closed":
                    self.closed = True
            except (IndexError, ValueError):
                self.errors.append(f"unparsed: {line.strip()}")

    def records(self):
        with self.lock:
            return [e for e in self.events if e[0] == "rec"]

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """Closes stdin: the worker closes its consumer (leaving the group) and exits."""
        self.fate = "stopped"
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def wait_closed(self, timeout=CLOSE_S):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise CheckFailed(f"{self.name} did not close within {timeout} s of its stdin ending")
        self.reader.join(5)
        if rc != 0 or not self.closed:
            raise CheckFailed(f"{self.name} exited with {rc} without closing cleanly")

    def kill9(self):
        self.fate = "killed"
        self.proc.kill()  # SIGKILL, the client process itself
        self.proc.wait()

    def summary(self):
        with self.lock:
            asg = "none" if self.assignment is None else (
                ",".join(map(str, sorted(self.assignment))) or "-")
            commits = sum(1 for e in self.events if e[0] == "commit")
            s = (f"{self.name} [{self.fate}, exit {self.proc.poll()}]: assigned {asg}, "
                 f"{self.nrec} records, {commits} commits, {len(self.commit_errors)} commit errors")
            if self.commit_errors:
                s += f"; last: {self.commit_errors[-1][:200]}"
            if self.errors:
                s += f"; {len(self.errors)} errors, last: {self.errors[-1][:200]}"
        return s


def processed(workers):
    """{(p, offset): key} of the records some member consumed and afterwards committed past."""
    done = {}
    for w in workers:
        with w.lock:
            events = list(w.events)
        past = {}
        for e in reversed(events):
            if e[0] == "commit":
                for p, o in e[1].items():
                    past[p] = max(past.get(p, -1), o)
            elif past.get(e[1], -1) > e[2]:
                done[(e[1], e[2])] = e[3]
    return done


def is_stable(members):
    """Every member reports a non-empty assignment; together they split the partitions."""
    asg = [w.assignment for w in members]
    if any(not a for a in asg):
        return False
    every = [p for a in asg for p in a]
    return len(every) == len(set(every)) == PARTITIONS


def show_split(members):
    return " | ".join(f"{w.name}: " + (",".join(map(str, sorted(w.assignment or []))) or "-")
                      for w in members)


def wait_stable(members, timeout, hold=1.0):
    """Waits until is_stable has held for `hold` seconds; returns the seconds it took."""
    start = time.time()
    since = None
    while time.time() - start < timeout:
        for w in members:
            if not w.alive():
                raise CheckFailed(f"{w.name} exited (code {w.proc.poll()}) before the group settled")
        if is_stable(members):
            since = since or time.time()
            if time.time() - since >= hold:
                return time.time() - start
        else:
            since = None
        time.sleep(0.1)
    raise CheckFailed(f"the group did not settle into a split of the {PARTITIONS} partitions within "
                      f"{timeout} s: {show_split(members)}")


# --- the run --------------------------------------------------------------------------------


class Ctx:
    def __init__(self, args):
        self.work = os.environ["GROUPS_WORK"]
        self.brookd = Brookd(args.brookd, self.work) if args.brookd else None
        self._bootstrap = args.bootstrap
        self.run_id = f"{int(time.time()) % 1000000:06d}"
        self.workers = []
        self.produced = {}  # topic -> {(p, offset): key}
        self.counter = 0
        self._admin = None
        self.passed = self.failed = self.skipped = 0
        # librdkafka's own log lines of the admin client and producers (connections refused while
        # brookd restarts, and so on) go to a file, not among the check lines.
        self.rdkafka_log = logging.getLogger("rdkafka")
        self.rdkafka_log.propagate = False
        handler = logging.FileHandler(os.path.join(self.work, "rdkafka.log"))
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        self.rdkafka_log.addHandler(handler)

    @property
    def bootstrap(self):
        return self.brookd.bootstrap if self.brookd else self._bootstrap

    def seq(self):
        self.counter += 1
        return f"{self.counter:03d}"

    def name(self, label):
        return f"groups-{self.run_id}-{label}"

    def admin(self):
        if self._admin is None:
            self._admin = AdminClient({"bootstrap.servers": self.bootstrap, "logger": self.rdkafka_log})
        return self._admin

    def reset_clients(self):
        """After a broker restart: fresh admin connections."""
        self._admin = None

    def kill_workers(self):
        for w in self.workers:
            if w.alive():
                w.proc.kill()
                w.proc.wait()
        self.workers = []

    # Topics and records.
    def create_topic(self, topic, partitions=PARTITIONS):
        fut = self.admin().create_topics([NewTopic(topic, partitions, 1)], request_timeout=15)
        fut[topic].result(timeout=20)
        deadline = time.time() + 20
        while time.time() < deadline:
            md = self.admin().list_topics(topic, timeout=5).topics.get(topic)
            if md and md.error is None and len(md.partitions) == partitions and all(
                    pm.leader >= 0 for pm in md.partitions.values()):
                self.produced[topic] = {}
                return
            time.sleep(0.2)
        raise CheckFailed(f"topic {topic} did not get {partitions} partitions with leaders")

    def producer(self):
        return Producer({"bootstrap.servers": self.bootstrap, "enable.idempotence": False,
                         "logger": self.rdkafka_log,
                         "acks": "all", "linger.ms": 5, "message.timeout.ms": 30000})

    def delivered(self, topic, errors):
        def done(err, msg):
            if err is not None:
                errors.append(str(err))
            else:
                self.produced[topic][(msg.partition(), msg.offset())] = msg.key().decode()
        return done

    def produce(self, topic, count):
        """count records round-robin over the partitions, keys TOPIC-SEQ; waits for the acks."""
        p = self.producer()
        errors = []
        start = len(self.produced[topic])
        cb = self.delivered(topic, errors)
        for i in range(start, start + count):
            p.produce(topic, key=f"{topic}-{i}", value=f"value-{i}", partition=i % PARTITIONS,
                      on_delivery=cb)
            p.poll(0)
        left = p.flush(30)
        if errors or left:
            raise CheckFailed(f"producing to {topic}: {left} not acknowledged, errors {errors[:3]}")

    def ends(self, topic):
        ends = [0] * PARTITIONS
        for p, o in self.produced[topic]:
            ends[p] = max(ends[p], o + 1)
        return ends

    def committed(self, group, topic):
        """The group's committed offsets per partition (-1001: none), via the AdminClient."""
        req = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in range(PARTITIONS)])
        res = self.admin().list_consumer_group_offsets([req], request_timeout=10)[group].result(timeout=15)
        out = {}
        for tp in res.topic_partitions:
            if tp.error is not None:
                raise KafkaException(tp.error)
            out[tp.partition] = tp.offset
        return [out.get(p, -1001) for p in range(PARTITIONS)]


def check_keys(ctx, topic, workers):
    """Every consumed record is one produced, with the key produced there."""
    want = ctx.produced[topic]
    for w in workers:
        for _, p, o, key in w.records():
            if (p, o) not in want:
                raise CheckFailed(f"{w.name} consumed partition {p} offset {o}, never produced")
            if want[(p, o)] != key:
                raise CheckFailed(f"{w.name} consumed key {key} at partition {p} offset {o}; "
                                  f"produced there: {want[(p, o)]}")


def wait_consumed(ctx, topic, group, workers, timeout=CONSUME_S):
    """Until every produced record is processed and the committed offsets are the log ends."""
    start = time.time()
    committed = None
    missing = []
    while True:
        done = processed(workers)
        want = ctx.produced[topic]
        missing = sorted(k for k in want if k not in done)
        ends = ctx.ends(topic)
        if not missing:
            try:
                committed = ctx.committed(group, topic)
            except Exception as e:  # noqa: BLE001 - reported below if it lasts
                committed = f"error: {e}"
            if committed == ends:
                check_keys(ctx, topic, workers)
                return time.time() - start
        if time.time() - start > timeout:
            if committed is None:
                try:
                    committed = ctx.committed(group, topic)
                except Exception as e:  # noqa: BLE001
                    committed = f"error: {e}"
            raise CheckFailed(
                f"after {timeout} s, {len(missing)} of {len(want)} records not consumed-and-committed "
                f"(first: {missing[:4]}); committed offsets {committed}, log ends {ends}")
        time.sleep(0.3)


def stop_all(workers):
    for w in workers:
        w.stop()
    for w in workers:
        w.wait_closed()


def duplicates(workers):
    recs = [(p, o) for w in workers for _, p, o, _ in w.records()]
    return len(recs) - len(set(recs))


# --- checks ---------------------------------------------------------------------------------


def group_round(ctx, label, specs, protocol="classic", fresh=None, stable_s=STABLE_S):
    """A group of the members in specs [(family, opts)] reads a fresh topic: 30 records produced
    before it forms, 30 after (so that every member gets some); then they close and `fresh`
    (a family), started in the same group, must read only the 12 records produced after."""
    topic, group = ctx.name(f"{label}-t"), ctx.name(f"{label}-g")
    ctx.create_topic(topic)
    ctx.produce(topic, 30)
    members = [Worker(ctx, fam, f"{label}-{i}-{fam}", group, topic, protocol=protocol, **opts)
               for i, (fam, opts) in enumerate(specs)]
    settle = wait_stable(members, stable_s)
    split = show_split(members)
    ctx.produce(topic, 30)
    consume = wait_consumed(ctx, topic, group, members)
    idle = [w.name for w in members if w.nrec == 0]
    if idle:
        raise CheckFailed(f"members that consumed nothing: {idle} (split {split})")
    per_member = "/".join(str(w.nrec) for w in members)
    dups = duplicates(members)
    stop_all(members)
    ends = ctx.ends(topic)
    after = ctx.committed(group, topic)
    if after != ends:
        raise CheckFailed(f"after the members closed, committed offsets {after}, log ends {ends}")
    text = (f"60 records, all consumed and committed; members read {per_member} ({dups} twice); "
            f"settled in {settle:.1f} s as {split}; consumed in {consume:.1f} s")
    if fresh:
        old = ctx.ends(topic)
        w = Worker(ctx, fresh, f"{label}-fresh-{fresh}", group, topic, protocol=protocol,
                   **(CLASSIC if protocol == "classic" else {}))
        wait_stable([w], stable_s)
        ctx.produce(topic, 12)
        wait_consumed(ctx, topic, group, members + [w])
        old_read = [(p, o) for _, p, o, _ in w.records() if o < old[p]]
        if old_read:
            raise CheckFailed(f"a fresh member of the group re-read {len(old_read)} committed records "
                              f"(first {old_read[:4]}); committed were {old}")
        stop_all([w])
        text += f"; a fresh member then read the 12 new records ({w.nrec} read) and nothing older"
    return text


def check_family(ctx, family):
    return group_round(ctx, f"solo-{family}", [(family, CLASSIC)] * 3, fresh=family)


def check_mixed(ctx, assignor, families):
    opts = dict(CLASSIC, assignor=assignor)
    return group_round(ctx, f"mixed-{assignor}", [(f, opts) for f in families])


class BackgroundProducer(threading.Thread):
    """Produces to topic at about `rate` records a second until stopped."""

    def __init__(self, ctx, topic, rate=40):
        super().__init__(daemon=True)
        self.ctx, self.topic, self.rate = ctx, topic, rate
        self.halt = threading.Event()
        self.errors = []
        self.left = 0

    def run(self):
        p = self.ctx.producer()
        cb = self.ctx.delivered(self.topic, self.errors)
        i = 0
        while not self.halt.is_set():
            p.produce(self.topic, key=f"{self.topic}-{i}", value=f"value-{i}",
                      partition=i % PARTITIONS, on_delivery=cb)
            p.poll(0)
            i += 1
            self.halt.wait(1 / self.rate)
        self.left = p.flush(30)

    def finish(self):
        self.halt.set()
        self.join(40)
        if self.errors or self.left:
            raise CheckFailed(f"background producer: {self.left} not acknowledged, errors {self.errors[:3]}")


def churn_round(ctx, label, stable_s, consume_s, plan, **worker_opts):
    """Members join, leave and are killed while records keep coming (about 40 a second), each
    step of `plan(join, settle, live)` until the group settled again; then every record must be
    processed and the committed offsets must end at the log end."""
    topic, group = ctx.name(f"{label}-t"), ctx.name(f"{label}-g")
    ctx.create_topic(topic)
    all_members, live, steps = [], [], []

    def join(*families):
        for fam in families:
            w = Worker(ctx, fam, f"{label}-{len(all_members)}-{fam}", group, topic, **worker_opts)
            all_members.append(w)
            live.append(w)

    def settle(what):
        t = wait_stable(live, stable_s)
        steps.append(f"{what} ({t:.1f} s)")

    producer = BackgroundProducer(ctx, topic)
    producer.start()
    try:
        plan(join, settle, live, steps)
    except BaseException:
        producer.halt.set()  # the step's failure is the one to report
        raise
    producer.finish()
    t = wait_consumed(ctx, topic, group, all_members, timeout=consume_s)
    total = len(ctx.produced[topic])
    dups = duplicates(all_members)
    stop_all(live)
    ends = ctx.ends(topic)
    after = ctx.committed(group, topic)
    if after != ends:
        raise CheckFailed(f"after the members closed, committed offsets {after}, log ends {ends}")
    return (f"{total} records, none skipped, {dups} read twice; " + "; ".join(steps) +
            f"; the rest consumed and committed in {t:.1f} s")


def leave(live, family):
    """The first live member of `family` closes (LeaveGroup)."""
    w = next(w for w in live if w.family == family)
    w.stop()
    w.wait_closed()
    live.remove(w)


def kill(ctx, live, *families):
    """kill -9 of every live member of `families`. A member killed while its commit was on the
    wire may have committed without saying so: its partitions' committed offsets, read right
    after the kill (nobody else may commit them before its session expires), count as its last
    commit."""
    for w in [w for w in live if w.family in families]:
        w.kill9()
        live.remove(w)
        w.reader.join(5)
        committed = ctx.committed(w.group, w.topic)
        with w.lock:
            w.events.append(("commit", {p: committed[p] for p in (w.assignment or ())
                                        if committed[p] >= 0}))


def check_churn(ctx):
    """A range group of every family: members join, leave and are killed; the survivors take over
    (the killed ones' partitions after session.timeout.ms)."""

    def plan(join, settle, live, steps):
        join("java", "confluent-kafka", "kafka-python")
        settle("3 joined")
        join("franz-go", "kafkajs")
        settle("franz-go, kafkajs joined")
        leave(live, "confluent-kafka")
        left = time.time()
        settle("confluent-kafka left")
        if time.time() - left >= CLASSIC["session_ms"] / 1000:
            raise CheckFailed(f"after a member left (LeaveGroup) the group took {time.time() - left:.1f} s "
                              f"to settle, not less than session.timeout.ms: {'; '.join(steps)}")
        kill(ctx, live, "java", "kafka-python")
        settle("java, kafka-python killed")
        join("confluent-kafka", "java", "kafka-python")
        settle("confluent-kafka, java, kafka-python joined")
        kill(ctx, live, "franz-go", "kafkajs", "confluent-kafka")
        settle("franz-go, kafkajs, confluent-kafka killed")

    return churn_round(ctx, "churn", STABLE_S, CONSUME_S, plan,
                       **dict(CLASSIC, poll_interval_ms=15000))


def check_kip848_churn(ctx):
    """check_churn with KIP-848 members (java, confluent-kafka, franz-go); the killed ones'
    partitions move after the broker's group.consumer.session.timeout.ms."""

    def plan(join, settle, live, steps):
        join("java", "confluent-kafka")
        settle("java, confluent-kafka joined")
        join("franz-go")
        settle("franz-go joined")
        leave(live, "confluent-kafka")
        settle("confluent-kafka left")
        kill(ctx, live, "java")
        settle("java killed")
        join("confluent-kafka", "java")
        settle("confluent-kafka, java joined")
        kill(ctx, live, "franz-go", "confluent-kafka")
        settle("franz-go, confluent-kafka killed")

    return churn_round(ctx, "churn848", STABLE_KIP848_S, 60, plan, protocol="consumer")


def check_kip848(ctx, families):
    label = "kip848-" + "-".join(families)
    fresh = families[0]
    return group_round(ctx, label, [(f, {}) for f in families], protocol="consumer", fresh=fresh,
                       stable_s=STABLE_KIP848_S)


def check_kip848_upgrade(ctx, classic_families, new_family):
    """Online upgrade (KIP-848): a classic group of classic_families reads a topic; a member of
    new_family with group.protocol=consumer joins the same group, which becomes a consumer group
    with the classic members still in it (they keep using JoinGroup, SyncGroup and Heartbeat).
    Every member must end with partitions, and every record must be consumed and committed."""
    topic, group = ctx.name("upgrade-t"), ctx.name("upgrade-g")
    ctx.create_topic(topic)
    ctx.produce(topic, 30)
    classic = [Worker(ctx, fam, f"upgrade-{i}-{fam}", group, topic, **CLASSIC)
               for i, fam in enumerate(classic_families)]
    wait_stable(classic, STABLE_S)
    wait_consumed(ctx, topic, group, classic)
    before = show_split(classic)
    new = Worker(ctx, new_family, f"upgrade-new-{new_family}", group, topic, protocol="consumer")
    members = classic + [new]
    settle = wait_stable(members, STABLE_KIP848_S)
    split = show_split(members)
    ctx.produce(topic, 30)
    wait_consumed(ctx, topic, group, members)
    # Downgrade: once the consumer-protocol member leaves, the classic members go on alone.
    stop_all([new])
    wait_stable(classic, STABLE_KIP848_S)
    down = show_split(classic)
    listed = ctx.admin().list_consumer_groups(request_timeout=10).result(timeout=15)
    types = {str(g.type).split(".")[-1].lower() for g in listed.valid if g.group_id == group}
    ctx.produce(topic, 30)
    wait_consumed(ctx, topic, group, members)
    stop_all(classic)
    after = ctx.committed(group, topic)
    if after != ctx.ends(topic):
        raise CheckFailed(f"after the members closed, committed offsets {after}, log ends {ctx.ends(topic)}")
    if types != {"classic"}:
        raise CheckFailed(f"after the consumer-protocol member left, ListGroups says type {types}, "
                          f"not classic")
    return (f"classic group {before}; a {new_family} member with group.protocol=consumer joined "
            f"and within {settle:.1f} s the group was {split}; it left and the group, classic "
            f"again, was {down}; 90 records consumed and committed")


def check_kip848_regex(ctx):
    """A librdkafka consumer (group.protocol=consumer) subscribes to a regular expression, which
    the broker resolves (KIP-848): it must read every record of the matching topics and none of
    the other one, and a matching topic created afterwards must join its subscription."""
    prefix = ctx.name("rx")
    matching, other, later = [f"{prefix}-a", f"{prefix}-b"], f"{prefix}x-other", f"{prefix}-c"
    for t in matching + [other]:
        ctx.create_topic(t)
        ctx.produce(t, 12)
    c = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": ctx.name("rx-g"),
                  "group.protocol": "consumer", "auto.offset.reset": "earliest",
                  "logger": ctx.rdkafka_log})
    seen = {}

    def read_until(cond, limit):
        deadline = time.time() + limit
        while time.time() < deadline and not cond():
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                seen.setdefault(m.topic(), set()).add((m.partition(), m.offset()))
        return cond()

    try:
        c.subscribe([f"^{prefix}-.*"])
        if not read_until(lambda: all(len(seen.get(t, ())) == 12 for t in matching), STABLE_KIP848_S):
            raise CheckFailed(f"after {STABLE_KIP848_S} s read {({t: len(v) for t, v in seen.items()})}, "
                              f"wanted 12 of each of {matching}")
        ctx.create_topic(later)
        ctx.produce(later, 6)
        if not read_until(lambda: len(seen.get(later, ())) == 6, STABLE_KIP848_S):
            raise CheckFailed(f"the topic created later was not read within {STABLE_KIP848_S} s: "
                              f"{({t: len(v) for t, v in seen.items()})}")
        if other in seen:
            raise CheckFailed(f"read {len(seen[other])} records of {other}, which does not match")
    finally:
        c.close()
    return (f"^{prefix}-.* read 12 + 12 records of the two matching topics, none of the other, "
            f"and the 6 of a matching topic created afterwards")


def run_tool(ctx, *args):
    cmd = ["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
           f"-Dlog4j2.configurationFile={ctx.work}/tools-log4j2.xml", "-cp", os.environ["GROUPS_TOOLS_CP"],
           "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
           "--bootstrap-server", ctx.bootstrap, "--command-config", f"{ctx.work}/tools.properties", *args]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"kafka-consumer-groups {' '.join(args)}: no answer within 60 s")
    return r.returncode, r.stdout + r.stderr


def table(out, first):
    """Rows (dicts by header) of the table whose header starts with `first`."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        cols = line.split()
        if cols and cols[0] == first and len(cols) > 1:
            rows = []
            for row in lines[i + 1:]:
                vals = row.split()
                if not vals:
                    if rows:
                        break
                    continue
                if len(vals) == len(cols):
                    rows.append(dict(zip(cols, vals)))
            return rows
    return []


def tools_checks(ctx):
    """kafka-consumer-groups (ConsumerGroupCommand of kafka-tools) on a group, each step a check."""
    with open(f"{ctx.work}/tools.properties", "w") as f:
        f.write("default.api.timeout.ms=20000\nrequest.timeout.ms=10000\n")
    with open(f"{ctx.work}/tools-log4j2.xml", "w") as f:
        f.write('<Configuration status="ERROR"><Appenders><Console name="err" target="SYSTEM_ERR">'
                '<PatternLayout pattern="%p %c: %m%n"/></Console></Appenders><Loggers>'
                '<Root level="ERROR"><AppenderRef ref="err"/></Root></Loggers></Configuration>\n')
    topic, group = ctx.name("tools-t"), ctx.name("tools-g")
    state = {}

    def setup():
        ctx.create_topic(topic)
        ctx.produce(topic, 60)
        w = Worker(ctx, "confluent-kafka", "tools-0-confluent-kafka", group, topic, **CLASSIC)
        wait_stable([w], STABLE_S)
        wait_consumed(ctx, topic, group, [w])
        stop_all([w])
        ctx.produce(topic, PARTITIONS)
        state["setup"] = True
        return f"a confluent-kafka member read and committed 60 records, then {PARTITIONS} more produced"

    def out_ok(rc, out):
        if rc != 0:
            raise CheckFailed(f"exit {rc}: {out.strip()[-600:]}")

    def listed():
        rc, out = run_tool(ctx, "--list")
        out_ok(rc, out)
        if group not in out.split():
            raise CheckFailed(f"{group} not listed: {out.strip()[-600:]}")
        return f"{group} listed"

    def offsets_rows(current, end):
        rc, out = run_tool(ctx, "--describe", "--group", group, "--timeout", "15000")
        out_ok(rc, out)
        rows = {int(r["PARTITION"]): r for r in table(out, "GROUP") if r.get("TOPIC") == topic}
        want = {p: (str(current), str(end), str(end - current)) for p in range(PARTITIONS)}
        got = {p: (r["CURRENT-OFFSET"], r["LOG-END-OFFSET"], r["LAG"]) for p, r in rows.items()}
        if got != want:
            raise CheckFailed(f"(CURRENT-OFFSET, LOG-END-OFFSET, LAG) per partition {got}, expected {want}:"
                              f"\n{out.strip()[-1500:]}")
        return out

    def described():
        offsets_rows(10, 11)
        return "each partition CURRENT-OFFSET 10, LOG-END-OFFSET 11, LAG 1"

    def described_state():
        rc, out = run_tool(ctx, "--describe", "--group", group, "--state", "--timeout", "15000")
        out_ok(rc, out)
        row = [line for line in out.splitlines() if line.split()[:1] == [group]]
        if not row or "Empty" not in row[0].split():
            raise CheckFailed(f"no Empty state row for {group}:\n{out.strip()[-800:]}")
        return "STATE Empty"

    def reset(mode):
        rc, out = run_tool(ctx, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", mode)
        out_ok(rc, out)
        rows = {int(r["PARTITION"]): r["NEW-OFFSET"] for r in table(out, "GROUP") if r.get("TOPIC") == topic}
        if rows != {p: "0" for p in range(PARTITIONS)}:
            raise CheckFailed(f"NEW-OFFSET per partition {rows}, expected 0 each:\n{out.strip()[-800:]}")
        committed = ctx.committed(group, topic)
        want = [0] * PARTITIONS if mode == "--execute" else [10] * PARTITIONS
        if committed != want:
            raise CheckFailed(f"committed offsets afterwards {committed}, expected {want}")
        return f"NEW-OFFSET 0 each; committed offsets now {want[0]} each"

    def reread():
        w = Worker(ctx, "kafka-python", "tools-1-kafka-python", group, topic, **CLASSIC)
        wait_stable([w], STABLE_S)
        rc, out = run_tool(ctx, "--describe", "--group", group, "--members", "--timeout", "15000")
        rows = table(out, "GROUP")
        members_ok = rc == 0 and len(rows) == 1 and rows[0].get("#PARTITIONS") == str(PARTITIONS) and \
            rows[0].get("CLIENT-ID") == w.name
        wait_consumed(ctx, topic, group, [w])
        have = {(p, o) for _, p, o, _ in w.records()}
        missing = set(ctx.produced[topic]) - have
        stop_all([w])
        if missing:
            raise CheckFailed(f"{len(missing)} records not re-read, first {sorted(missing)[:4]}")
        if not members_ok:
            raise CheckFailed(f"--describe --members while it ran: expected one member "
                              f"{w.name} with {PARTITIONS} partitions:\n{out.strip()[-800:]}")
        return (f"a kafka-python member re-read all {len(have)} records from offset 0; "
                f"--describe --members showed it with #PARTITIONS {PARTITIONS}")

    def delete_offsets():
        rc, out = run_tool(ctx, "--delete-offsets", "--group", group, "--topic", topic)
        out_ok(rc, out)
        rows = table(out, "TOPIC")
        if len(rows) != PARTITIONS or any(r.get("STATUS") != "Successful" for r in rows):
            raise CheckFailed(f"expected {PARTITIONS} partitions Successful:\n{out.strip()[-800:]}")
        committed = ctx.committed(group, topic)
        if committed != [-1001] * PARTITIONS:
            raise CheckFailed(f"committed offsets afterwards {committed}, expected none")
        return "6 partitions Successful; no committed offsets left"

    def deleted():
        rc, out = run_tool(ctx, "--delete", "--group", group)
        out_ok(rc, out)
        if "successful" not in out:
            raise CheckFailed(out.strip()[-800:])
        rc, out = run_tool(ctx, "--list")
        out_ok(rc, out)
        if group in out.split():
            raise CheckFailed(f"{group} still listed after --delete:\n{out.strip()[-800:]}")
        return "deletion successful; --list no longer shows it"

    steps = [
        ("kafka-consumer-groups setup: a group that read 60 of 66 records", setup),
        ("kafka-consumer-groups --list", listed),
        ("kafka-consumer-groups --describe: current offsets and lag", described),
        ("kafka-consumer-groups --describe --state", described_state),
        ("kafka-consumer-groups --reset-offsets --to-earliest --dry-run", lambda: reset("--dry-run")),
        ("kafka-consumer-groups --reset-offsets --to-earliest --execute", lambda: reset("--execute")),
        ("after --reset-offsets a consumer re-reads everything", reread),
        ("kafka-consumer-groups --delete-offsets --topic", delete_offsets),
        ("kafka-consumer-groups --delete, then --list", deleted),
    ]
    for name, fn in steps:
        if name.startswith("kafka-consumer-groups setup") or state.get("setup"):
            run_check(ctx, name, fn)
        else:
            report(ctx, name, False, "not run: the setup failed")


def restart_checks(ctx):
    """brookd only: committed offsets survive SIGTERM and kill -9; the group resumes from them."""
    topic, group = ctx.name("restart-t"), ctx.name("restart-g")
    state = {}

    def restart(sig):
        rc = ctx.brookd.stop(sig)
        if sig == signal.SIGTERM and rc != 0:
            raise CheckFailed(f"brookd exited with {rc} on SIGTERM")
        ctx.brookd.start()
        ctx.reset_clients()

    def sigterm_round():
        ctx.create_topic(topic)
        ctx.produce(topic, 30)
        w1 = Worker(ctx, "confluent-kafka", "restart-0-confluent-kafka", group, topic, **CLASSIC)
        wait_stable([w1], STABLE_S)
        wait_consumed(ctx, topic, group, [w1])
        stop_all([w1])
        before = ctx.committed(group, topic)
        ctx.produce(topic, 30)
        restart(signal.SIGTERM)
        w2 = Worker(ctx, "java", "restart-1-java", group, topic, **CLASSIC)
        state["members"] = [w1, w2]
        wait_stable([w2], STABLE_S)
        wait_consumed(ctx, topic, group, [w1, w2])
        first = {}
        for _, p, o, _ in w2.records():
            first.setdefault(p, o)
        if [first.get(p) for p in range(PARTITIONS)] != before:
            raise CheckFailed(f"after the restart the group resumed at {first}, committed were {before}")
        state["w2"] = w2
        return (f"30 records committed ({before} per partition), 30 more produced, SIGTERM and "
                f"restart; a java member resumed exactly there and read the 30 new")

    def kill_round():
        w2 = state["w2"]
        ctx.produce(topic, 30)
        wait_consumed(ctx, topic, group, state["members"])
        before = ctx.committed(group, topic)
        restart(signal.SIGKILL)
        ctx.produce(topic, 30)
        wait_consumed(ctx, topic, group, state["members"], timeout=60)
        stop_all([w2])
        old = ctx.ends(topic)
        w3 = Worker(ctx, "kafka-python", "restart-2-kafka-python", group, topic, **CLASSIC)
        wait_stable([w3], STABLE_S)
        ctx.produce(topic, 12)
        wait_consumed(ctx, topic, group, state["members"] + [w3])
        old_read = [(p, o) for _, p, o, _ in w3.records() if o < old[p]]
        if old_read:
            raise CheckFailed(f"a fresh member re-read {len(old_read)} committed records "
                              f"(first {old_read[:4]}); committed were {old}")
        stop_all([w3])
        return (f"committed {before}, kill -9 and restart under a live java member, which went on "
                f"with 30 more; then a fresh kafka-python member read only the 12 new records")

    def kip848_round():
        # A KIP-848 group lives through kill -9: its members, epochs and assignments come back
        # from __consumer_offsets, and its members carry on.
        t, g = ctx.name("restart848-t"), ctx.name("restart848-g")
        ctx.create_topic(t)
        ctx.produce(t, 30)
        ws = [Worker(ctx, fam, f"restart848-{i}-{fam}", g, t, protocol="consumer")
              for i, fam in enumerate(["java", "confluent-kafka"])]
        wait_stable(ws, STABLE_KIP848_S)
        wait_consumed(ctx, t, g, ws)
        restart(signal.SIGKILL)
        ctx.produce(t, 30)
        wait_consumed(ctx, t, g, ws, timeout=90)
        idle = [w.name for w in ws if not w.alive()]
        if idle:
            raise CheckFailed(f"members that died: {idle}")
        stop_all(ws)
        after = ctx.committed(g, t)
        if after != ctx.ends(t):
            raise CheckFailed(f"after the members closed, committed offsets {after}, log ends {ctx.ends(t)}")
        return ("a KIP-848 group of java + confluent-kafka read 30 records, kill -9 and restart, "
                "then the same members read and committed the 30 produced after")

    run_check(ctx, "restart: SIGTERM, restart on the same data dir and port, group resumes "
                   "from committed offsets", sigterm_round, keep=True)
    if "w2" in state:
        run_check(ctx, "restart: kill -9 under a live member, restart, nothing skipped, "
                       "commits kept", kill_round)
    else:
        report(ctx, "restart: kill -9 under a live member, restart, nothing skipped, commits kept",
               False, "not run: the SIGTERM round failed")
    run_check(ctx, "restart: kill -9 under a live KIP-848 group, which carries on", kip848_round)


# --- reporting ------------------------------------------------------------------------------


def report(ctx, name, ok, detail):
    if ok:
        ctx.passed += 1
        log(f"ok: {name}: {detail}")
    else:
        ctx.failed += 1
        log(f"FAILED: {name}: {detail}")


def run_check(ctx, name, fn, *args, keep=False):
    """Runs fn(*args) as one check: ok with what it returns, FAILED with what it raised. Kills
    the workers left (unless keep: a later check goes on with them)."""
    start = time.time()
    before = len(ctx.workers)
    try:
        detail = fn(*args)
        report(ctx, name, True, f"{detail} [{time.time() - start:.1f} s]")
    except Exception as e:  # noqa: BLE001 - every failure becomes a FAILED line
        if not isinstance(e, (CheckFailed, KafkaException)):
            e = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}"
        report(ctx, name, False, f"{e} [{time.time() - start:.1f} s]")
        for w in ctx.workers[before:]:
            if w.alive() and w.family in ("kafka-python", "confluent-kafka"):
                w.proc.send_signal(signal.SIGUSR1)  # faulthandler: the Python stacks into its log
        time.sleep(0.5)
        for w in ctx.workers[before:]:
            log(f"    {w.summary()}")
            for line in tail(w.log_path, 4).splitlines():
                log(f"      | {line[:300]}")
        keep = False
    finally:
        if not keep:
            ctx.kill_workers()


def skip(ctx, name, why):
    ctx.skipped += 1
    log(f"SKIP: {name}: {why}")


def main():
    ap = argparse.ArgumentParser()
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--bootstrap")
    mode.add_argument("--brookd")
    ap.add_argument("--only", default="family,mixed,churn,kip848,tools,restart")
    args = ap.parse_args()
    only = set(args.only.split(","))
    ctx = Ctx(args)
    start = time.time()
    try:
        if ctx.brookd:
            ctx.brookd.start()
        try:
            keys = api_versions(ctx.bootstrap)
        except Exception as e:  # noqa: BLE001
            log(f"FAILED: ApiVersions on {ctx.bootstrap}: {e}")
            log("groups: 0 passed, 1 failed")
            return 1
        log("note: group APIs advertised: " + (", ".join(
            f"{n}({k}) v{keys[k][0]}-{keys[k][1]}" for k, n in sorted(GROUP_APIS.items()) if k in keys)
            or "none") + "; not advertised: " + (", ".join(
                f"{n}({k})" for k, n in sorted(GROUP_APIS.items()) if k not in keys) or "none"))

        if "family" in only:
            for fam in FAMILIES:
                run_check(ctx, f"{fam}: classic group of 3 {fam} consumers (range), then a fresh one "
                               f"resumes from the commits", check_family, ctx, fam)
        if "mixed" in only:
            run_check(ctx, "mixed classic group, range: java, confluent-kafka, kafka-python, franz-go, "
                           "kafkajs", check_mixed, ctx, "range", ["java", "confluent-kafka",
                                                                   "kafka-python", "franz-go", "kafkajs"])
            run_check(ctx, "mixed classic group, cooperative-sticky: java, confluent-kafka, "
                           "kafka-python, franz-go", check_mixed, ctx, "cooperative-sticky",
                      ["java", "confluent-kafka", "kafka-python", "franz-go"])
        if "churn" in only:
            run_check(ctx, "churn: members of every family join, leave and are killed (kill -9) while "
                           "records flow; nothing skipped", check_churn, ctx)
        if "kip848" in only:
            kip848 = [["java", "java"], ["confluent-kafka", "confluent-kafka"], ["franz-go", "franz-go"],
                      ["java", "confluent-kafka", "franz-go"]]
            for fams in [f for f in kip848 if os.environ.get("BROOK_GROUPS_KIP848", "") in ("", "+".join(f))]:
                name = (f"KIP-848 group (group.protocol=consumer) of {' + '.join(fams)}, then a fresh "
                        f"{fams[0]} resumes from the commits")
                if 68 not in keys:
                    skip(ctx, name, "the broker does not advertise ConsumerGroupHeartbeat (API key 68)")
                else:
                    run_check(ctx, name, check_kip848, ctx, fams)
            name = ("KIP-848 online upgrade: a classic group of confluent-kafka + java takes a "
                    "confluent-kafka member with group.protocol=consumer")
            if 68 not in keys:
                skip(ctx, name, "the broker does not advertise ConsumerGroupHeartbeat (API key 68)")
            elif os.environ.get("BROOK_GROUPS_KIP848", "") in ("", "upgrade"):
                run_check(ctx, name, check_kip848_upgrade, ctx, ["confluent-kafka", "java"],
                          "confluent-kafka")
            name = ("KIP-848 churn: java, confluent-kafka and franz-go members join, leave and are "
                    "killed (kill -9) while records flow; nothing skipped")
            if 68 not in keys:
                skip(ctx, name, "the broker does not advertise ConsumerGroupHeartbeat (API key 68)")
            elif os.environ.get("BROOK_GROUPS_KIP848", "") in ("", "churn"):
                run_check(ctx, name, check_kip848_churn, ctx)
            name = "KIP-848 regular expression subscription (librdkafka): the broker resolves it"
            if 68 not in keys:
                skip(ctx, name, "the broker does not advertise ConsumerGroupHeartbeat (API key 68)")
            elif os.environ.get("BROOK_GROUPS_KIP848", "") in ("", "regex"):
                run_check(ctx, name, check_kip848_regex, ctx)
        if "tools" in only:
            tools_checks(ctx)
        if "restart" in only:
            if ctx.brookd:
                restart_checks(ctx)
            else:
                skip(ctx, "restart (SIGTERM, kill -9)", "needs brookd mode (run.sh path/to/brookd)")
        if ctx.brookd:
            ctx.kill_workers()
            ctx.reset_clients()
            rc = ctx.brookd.stop(signal.SIGTERM)
            report(ctx, "brookd stops on SIGTERM with exit code 0", rc == 0, f"exit code {rc}")
            bad = [line for line in open(ctx.brookd.log_path, errors="replace")
                   if "ERROR" in line or "AddressSanitizer" in line or "runtime error" in line]
            report(ctx, "brookd log has no ERROR / AddressSanitizer / runtime error lines", not bad,
                   f"{len(bad)} such lines" + "".join(f"\n    {b.rstrip()[:300]}" for b in bad[:10]))
    finally:
        ctx.kill_workers()
        if ctx.brookd and ctx.brookd.proc:
            ctx.brookd.stop(signal.SIGTERM)
    log(f"note: {time.time() - start:.0f} s")
    log(f"groups: {ctx.passed} passed, {ctx.failed} failed, {ctx.skipped} skipped")
    return 1 if ctx.failed else 0


if __name__ == "__main__":
    sys.exit(main())
