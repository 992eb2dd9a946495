#!/usr/bin/env bash
# Consumer groups with real Kafka clients: kafka-python, confluent-kafka (librdkafka), Apache Kafka's
# Java client (kafka-clients 4.4.0), franz-go and KafkaJS, and Kafka's kafka-consumer-groups tool.
# Written against Apache Kafka 4.4.0 first, so that brookd's group coordinator can be held to it.
#
# Checks (each prints "ok: ..." or "FAILED: ..." with what it saw, or "SKIP: ..." and why):
#  1. Each client family alone (classic protocol, range): 3 consumers of one family share a topic
#     of 6 partitions; 30 records are produced before the group forms and 30 after it settled (each
#     member reports a non-empty assignment, together a split of the 6 partitions); every record
#     must be consumed and committed, every member must get some, the keys must match those
#     produced at each partition and offset, the committed offsets must end at the log end. Then
#     the members close and a fresh one in the same group must read the 12 records produced after,
#     nothing older.
#  2. Mixed classic groups: range with one consumer of each family (KafkaJS through a range
#     assigner in kafkajs_worker.js: its only built-in one is "RoundRobinAssigner", a protocol name
#     no other client offers); cooperative-sticky with java, confluent-kafka, kafka-python, franz-go.
#  3. Churn: a range group of every family while records keep coming (about 40 a second): members
#     join, leave (close) and are killed (kill -9 of the client process) in steps, each step until
#     the group settled again (a killed member after session.timeout.ms = 6000); then every record
#     must be processed (consumed by a member that afterwards committed past it) and the committed
#     offsets must end at the log end; after the clean leave the group must settle in less than
#     session.timeout.ms (LeaveGroup, not the session expiry, moved the partitions).
#  4. KIP-848 (group.protocol=consumer): 2 Java consumers, 2 librdkafka consumers, 2 franz-go
#     consumers (kgo.ServerSideBalancer), and one group of all three, as in 1; churn as in 3 with
#     java, confluent-kafka and franz-go KIP-848 members (brookd runs with
#     group.consumer.session.timeout.ms=10000 and heartbeats every 2 s, so a killed member's
#     partitions move after 10 s; Kafka's default is 45 s); an online upgrade:
#     a classic group of confluent-kafka + java takes a confluent-kafka member with
#     group.protocol=consumer, every member ends with partitions; when it leaves, the group is
#     classic again (ListGroups) and its members go on; every record is consumed and committed;
#     then a librdkafka
#     consumer subscribed to a regular expression that the broker resolves: it reads the matching
#     topics, not the other, and a matching topic created afterwards. SKIP lines when the broker
#     does not advertise ConsumerGroupHeartbeat (API key 68).
#  5. kafka-consumer-groups (org.apache.kafka.tools.consumer.group.ConsumerGroupCommand, kafka-tools
#     4.4.0): --list; --describe (CURRENT-OFFSET, LOG-END-OFFSET and LAG per partition);
#     --describe --state (Empty); --reset-offsets --to-earliest --dry-run and --execute on the
#     inactive group, then a consumer re-reads everything (and --describe --members shows it);
#     --delete-offsets --topic; --delete, after which --list no longer shows the group.
#  6. brookd mode only: restart. A group commits 30 records, 30 more are produced, brookd stops on
#     SIGTERM and starts again on the same data dir and port: a new member resumes exactly at the
#     commits. Then, with that member still running, kill -9 and restart: it goes on, and a fresh
#     member afterwards reads only new records. A KIP-848 group (java + confluent-kafka) lives
#     through a kill -9 of brookd and reads and commits what is produced after the restart.
#     At the end brookd must exit 0 on SIGTERM and its
#     log must have no ERROR / AddressSanitizer / runtime error line.
# Every wait is bounded (a group settles within 30 s, 60 s with KIP-848; records are consumed
# within 40 s; a member closes within 20 s; a tool answers within 60 s); the whole run is cut at
# 25 minutes. Ends with "groups: N passed, N failed, N skipped"; exits 1 if anything failed.
#
# Usage:
#   tests/compat/groups/run.sh --bootstrap HOST:PORT    a broker already running, e.g. Kafka:
#       scripts/kafka-server.sh start /tmp/k 4.4.0 19092 && tests/compat/groups/run.sh --bootstrap 127.0.0.1:19092
#       scripts/kafka-server.sh stop /tmp/k
#   tests/compat/groups/run.sh path/to/brookd           starts brookd on a free port with a
#       temporary log dir (restarting it for check 6)
#   Extra arguments go to groups_check.py, e.g. --only family,tools (family, mixed, churn, kip848,
#   tools, restart); BROOK_GROUPS_KIP848=java+java (the families joined by +, churn, upgrade or regex) runs only that one of
#   the KIP-848 groups.
# Environment and needs, as tests/compat/clients/run.sh: BROOK_CLIENTS_VENV (default
#   ~/.cache/brook/venv-clients: kafka-python, confluent-kafka); BROOK_JAR_CACHE (default
#   ~/.cache/brook/jars: kafka-clients 4.4.0, and Kafka 4.4.0 with kafka-tools for the tool, fetched
#   once with mvn); java/javac 17; go (franz/go.mod, the franz-go of tests/compat/clients/franz);
#   node 20 with npm (KafkaJS from tests/compat/clients/kafkajs, npm ci there when needed).
#   BROOK_GROUPS_KEEP=1 keeps the work folder for a look afterwards: per member NNN-NAME.log (the
#   client's stderr; a Python member's stacks are dumped there when its check fails) and
#   NNN-NAME.out (what it reported, timestamped), brookd.log, rdkafka.log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
usage() { sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed '$d' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
if [[ $1 == --bootstrap ]]; then
  [[ $# -ge 2 ]] || usage
  target=(--bootstrap "$2")
  shift 2
else
  [[ -x $1 ]] || { echo "run.sh: $1 is not an executable brookd" >&2; usage; }
  target=(--brookd "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")")
  shift
fi

venv=${BROOK_CLIENTS_VENV:-$HOME/.cache/brook/venv-clients}
pip_packages="kafka-python==3.0.12 confluent-kafka==2.16.1 python-snappy==0.7.3 lz4==4.4.5 zstandard==0.25.0"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import kafka, confluent_kafka' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q $pip_packages
fi
py="$venv/bin/python"

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-groups.XXXXXX")
cleanup() {
  if [[ ${BROOK_GROUPS_KEEP:-} == 1 ]]; then echo "groups: work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The Java client and GroupWorker.java, as tests/compat/clients/run.sh builds JavaClientCheck.
KAFKA_JAVA=4.4.0
java_cp="$work/classes"
for artifact in "org.apache.kafka:kafka-clients:$KAFKA_JAVA" com.github.luben:zstd-jni:1.5.7-17 \
  at.yawk.lz4:lz4-java:1.11.2 org.xerial.snappy:snappy-java:1.1.10.7 org.slf4j:slf4j-api:1.7.36 \
  org.slf4j:slf4j-nop:1.7.36; do
  java_cp+=":$("$root/scripts/fetch-jar.sh" "$artifact")" || exit 2
done
javac -nowarn -d "$work/classes" -cp "$java_cp" "$here/GroupWorker.java"

# franz-go: franz/main.go, with the module versions of tests/compat/clients/franz.
if ! (cd "$here/franz" && go mod download && go build -buildvcs=false -o "$work/franz-worker" .) \
  >"$work/go.log" 2>&1; then
  tail -n 30 "$work/go.log"
  echo "run.sh: cannot build franz/main.go" >&2
  exit 2
fi

# KafkaJS: the node_modules of tests/compat/clients/kafkajs (npm ci there, as its run.sh does).
kafkajs_dir="$root/tests/compat/clients/kafkajs"
if [[ ! -f "$kafkajs_dir/node_modules/.package-lock.json" ||
  "$kafkajs_dir/package-lock.json" -nt "$kafkajs_dir/node_modules/.package-lock.json" ]]; then
  echo "groups: npm ci in $kafkajs_dir"
  if ! (cd "$kafkajs_dir" && npm ci --no-audit --no-fund) >"$work/npm.log" 2>&1; then
    tail -n 30 "$work/npm.log"
    echo "run.sh: npm ci failed in $kafkajs_dir" >&2
    exit 2
  fi
fi

# kafka-consumer-groups: Kafka's jars with kafka-tools and what it needs.
jars=$("$root/scripts/fetch-kafka-tools.sh" "$KAFKA_JAVA")

export GROUPS_JAVA_CP="$java_cp" GROUPS_FRANZ_BIN="$work/franz-worker" GROUPS_TOOLS_CP="$jars/*" \
  GROUPS_WORK="$work"
status=0
timeout -k 10 1500 "$py" -u "$here/groups_check.py" "${target[@]}" "$@" || status=$?
if [[ $status == 124 || $status == 137 ]]; then
  echo "FAILED: the whole run was cut after 25 minutes"
  echo "groups: 0 passed, 1 failed"
fi
exit "$status"
