#!/usr/bin/env bash
# Real Kafka clients against brookd: kcat, confluent-kafka (librdkafka), kafka-python and Apache
# Kafka's Java client (JavaClientCheck.java), franz-go (franz/main.go) and KafkaJS
# (kafkajs/check.js) produce with every codec and acks setting and read everything back; then
# brookd is stopped with SIGTERM and, later, killed with -9, and after each restart every
# acknowledged record must still be there.
#
# Usage: tests/compat/clients/run.sh path/to/brookd
# Environment: BROOK_CLIENTS_VENV (default ~/.cache/brook/venv-clients) is the Python environment;
#   BROOK_JAR_CACHE (default ~/.cache/brook/jars) holds the Java client's jars. Needs java/javac 17
#   and, for the first fetch, mvn. Needs go (franz/go.mod: modules from the Go module proxy into
#   the module cache) and node 20 with npm (npm ci into kafkajs/node_modules).
# Ends with "clients: N passed, N failed"; exits non-zero if anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
brookd=${1:?usage: run.sh path/to/brookd}
venv=${BROOK_CLIENTS_VENV:-$HOME/.cache/brook/venv-clients}
pip_packages="kafka-python==3.0.12 confluent-kafka==2.16.1 python-snappy==0.7.3 lz4==4.4.5 zstandard==0.25.0"

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import kafka, confluent_kafka' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q $pip_packages
fi
py="$venv/bin/python"

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-clients.XXXXXX")
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Apache Kafka's Java client: kafka-clients, the compression libraries its pom names at the versions
# it names (runtime dependencies, loaded when a batch needs them) and slf4j (slf4j-nop keeps it
# quiet), fetched once from Maven Central into the cache; JavaClientCheck.java compiled against them.
KAFKA_JAVA=4.4.0
java_cp="$work/classes"
for artifact in "org.apache.kafka:kafka-clients:$KAFKA_JAVA" com.github.luben:zstd-jni:1.5.7-17 \
  at.yawk.lz4:lz4-java:1.11.2 org.xerial.snappy:snappy-java:1.1.10.7 org.slf4j:slf4j-api:1.7.36 \
  org.slf4j:slf4j-nop:1.7.36; do
  java_cp+=":$("$root/scripts/fetch-jar.sh" "$artifact")" || exit 2
done
javac -nowarn -d "$work/classes" -cp "$java_cp" "$here/JavaClientCheck.java"
java_check() {  # phase
  timeout 900 java -cp "$java_cp" JavaClientCheck "$bootstrap" "$1"
}

# franz-go: franz/main.go built into the work dir from franz/go.mod and go.sum. KafkaJS:
# kafkajs/install.sh (npm ci from kafkajs/package-lock.json when it changed).
if ! (cd "$here/franz" && go mod download && go build -buildvcs=false -o "$work/franz-check" .) \
  >"$work/go.log" 2>&1; then
  tail -n 30 "$work/go.log"
  echo "run.sh: cannot build franz/main.go" >&2
  exit 2
fi
FRANZ_GO=$(cd "$here/franz" && go list -m -f '{{.Version}}' github.com/twmb/franz-go)
"$here/kafkajs/install.sh" || exit 2
KAFKAJS=$(node -p "require('$here/kafkajs/node_modules/kafkajs/package.json').version")
franz_check() {  # phase
  timeout 600 "$work/franz-check" "$bootstrap" "$1"
}
kafkajs_check() {  # phase
  timeout 600 node "$here/kafkajs/check.js" "$bootstrap" "$1"
}

port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bootstrap="127.0.0.1:$port"
passed=0
failed=0
result() {  # name, status
  if [[ "$2" == 0 ]]; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi
}

# The records carry fixed timestamps from 2023, older than the default retention: keep them.
start() {
  "$brookd" --override "listeners=PLAINTEXT://127.0.0.1:$port" --override "log.dirs=$work/data" \
    --override brook.shards=2 --override log.retention.ms=-1 >>"$work/brookd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if "$py" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "brookd did not start; its log:" >&2
  cat "$work/brookd.log" >&2
  exit 1
}

# kcat: each codec and acks setting, keys and values compared line by line.
kcat_expected() {  # topic
  for i in $(seq 1 300); do echo "$1-k$i:$1-value-$i"; done
}
kcat_produce() {  # codec acks
  local topic="kcat-$1-acks$2"
  kcat_expected "$topic" | timeout 60 kcat -P -b "$bootstrap" -t "$topic" -K: -z "$1" \
    -X "request.required.acks=$2" -X linger.ms=5
}
kcat_verify() {  # codec acks
  local topic="kcat-$1-acks$2"
  diff <(kcat_expected "$topic") \
    <(timeout 60 kcat -C -b "$bootstrap" -t "$topic" -o beginning -e -q -f '%k:%s\n') >"$work/diff" 2>&1
}

start
for codec in none gzip snappy lz4 zstd; do
  for acks in 0 1 -1; do
    status=0
    kcat_produce "$codec" "$acks" && kcat_verify "$codec" "$acks" || status=$?
    result "kcat produce+consume codec=$codec acks=$acks" "$status"
  done
done
for client in confluent-kafka kafka-python; do
  status=0
  "$py" "$here/clients_check.py" "$bootstrap" "$client" produce || status=$?
  result "$client produce+consume (5 codecs x 3 acks)" "$status"
done
status=0
timeout 300 "$py" "$here/admin_check.py" "$bootstrap" || status=$?
result "confluent-kafka AdminClient: admin APIs (configs, partitions, records, cluster)" "$status"
status=0
java_check produce || status=$?
result "java kafka-clients $KAFKA_JAVA produce+consume (5 codecs x 3 acks) and Admin" "$status"
status=0
franz_check produce || status=$?
result "franz-go $FRANZ_GO produce+consume (5 codecs x 3 acks)" "$status"
status=0
kafkajs_check produce || status=$?
result "kafkajs $KAFKAJS produce+consume (5 codecs x 3 acks)" "$status"

verify_all() {  # label
  for codec in none gzip snappy lz4 zstd; do
    for acks in 0 1 -1; do
      status=0
      kcat_verify "$codec" "$acks" || status=$?
      result "$1: kcat records codec=$codec acks=$acks" "$status"
    done
  done
  for client in confluent-kafka kafka-python; do
    status=0
    "$py" "$here/clients_check.py" "$bootstrap" "$client" verify || status=$?
    result "$1: $client records" "$status"
  done
  status=0
  java_check verify || status=$?
  result "$1: java kafka-clients $KAFKA_JAVA records" "$status"
  status=0
  franz_check verify || status=$?
  result "$1: franz-go $FRANZ_GO records" "$status"
  status=0
  kafkajs_check verify || status=$?
  result "$1: kafkajs $KAFKAJS records" "$status"
}

# Clean shutdown, restart without recovery, everything still there.
kill -TERM "$pid"
wait "$pid" || { echo "brookd exited non-zero on SIGTERM" >&2; result "clean shutdown" 1; }
pid=""
grep -q "stopped cleanly" "$work/brookd.log" && result "SIGTERM: stopped cleanly" 0 || result "SIGTERM: stopped cleanly" 1
start
verify_all "after SIGTERM and restart"

# kill -9 in the middle of nothing in particular: recovery keeps every acknowledged record.
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=""
start
verify_all "after kill -9 and restart"

kill -TERM "$pid"
wait "$pid" || true
pid=""
if grep -E "ERROR|AddressSanitizer|runtime error" "$work/brookd.log" >/dev/null; then
  echo "brookd logged errors:" >&2
  grep -E "ERROR|AddressSanitizer|runtime error" "$work/brookd.log" | head -20 >&2
  result "brookd log free of errors" 1
else
  result "brookd log free of errors" 0
fi
echo "clients: $passed passed, $failed failed"
[[ "$failed" == 0 ]]
