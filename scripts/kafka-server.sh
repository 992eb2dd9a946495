#!/usr/bin/env bash
# Starts and stops Apache Kafka (KRaft, broker and controller in one process, loopback only) for
# tests and benchmarks that compare brookd with it. The jars come from Maven Central through
# bench/load/fetch_kafka.sh.
#
# Usage:
#   scripts/kafka-server.sh start DIR VERSION PORT [key=value...]
#       formats DIR/data, starts Kafka VERSION listening on 127.0.0.1:PORT (its controller on
#       PORT+1), waits until it serves (bounded: BROOK_KAFKA_START_TIMEOUT, default 120 s), and
#       leaves it running. key=value lines are added to server.properties.
#   scripts/kafka-server.sh stop DIR
#       SIGTERM, then SIGKILL after 30 s.
# DIR holds server.properties, kafka.log, data/ and kafka.pid. Works with Kafka 3.9 (KRaft) and 4.x.
# BROOK_KAFKA_HEAP sets the heap (default 1g). BROOK_KAFKA_JVM_OPTS adds JVM options, space-separated
# (e.g. "-XX:TieredStopAtLevel=1": the client compiler alone starts Kafka in about half the time,
# where its speed does not matter). BROOK_KAFKA_FEATURES lists feature levels for the storage
# format, space-separated (e.g. "eligible.leader.replicas.version=0"); VERSION must know them
# (Kafka 3.9's storage tool knows only kraft.version and transaction.version).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

die() {
  echo "kafka-server: $*" >&2
  exit 1
}
[[ $# -ge 2 ]] || { sed -n '2,15p' "$0" >&2; exit 2; }
cmd=$1
dir=$2
shift 2

stop() {
  [[ -f "$dir/kafka.pid" ]] || return 0
  local pid waited=0
  pid=$(cat "$dir/kafka.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((waited < 300)); do
      sleep 0.1
      ((waited += 1))
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/kafka.pid"
}

start() {
  [[ $# -ge 2 ]] || die "start needs DIR VERSION PORT"
  local version=$1 port=$2
  shift 2
  local jars
  jars=$("$root/bench/load/fetch_kafka.sh" "$version") || die "cannot fetch Apache Kafka $version"
  command -v java >/dev/null || die "needs java"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [[ -f "$dir/kafka.pid" ]] && kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null &&
    die "a Kafka started with $dir is still running"
  rm -rf "$dir/data"
  local controller=$((port + 1))
  {
    echo "process.roles=broker,controller"
    echo "node.id=1"
    echo "controller.quorum.voters=1@127.0.0.1:$controller"
    echo "controller.listener.names=CONTROLLER"
    echo "listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller"
    echo "advertised.listeners=PLAINTEXT://127.0.0.1:$port"
    echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    echo "inter.broker.listener.name=PLAINTEXT"
    echo "log.dirs=$dir/data"
    echo "num.partitions=1"
    echo "offsets.topic.replication.factor=1"
    echo "transaction.state.log.replication.factor=1"
    echo "transaction.state.log.min.isr=1"
    echo "share.coordinator.state.topic.replication.factor=1"
    echo "share.coordinator.state.topic.min.isr=1"
    echo "group.initial.rebalance.delay.ms=0"
    local kv
    for kv in "$@"; do echo "$kv"; done
  } >"$dir/server.properties"
  cat >"$dir/log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
logger.kafka-request.name = kafka.request.logger
logger.kafka-request.level = warn
EOF
  local heap=${BROOK_KAFKA_HEAP:-1g}
  # The JVM options of Kafka's kafka-server-start.sh, with a fixed heap.
  local jvm=(-Xms"$heap" -Xmx"$heap" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15
    -Djava.awt.headless=true "-Dlog4j2.configurationFile=file:$dir/log4j2.properties")
  local extra=()
  read -ra extra <<<"${BROOK_KAFKA_JVM_OPTS:-}"
  jvm+=("${extra[@]}")
  local features=() f
  for f in ${BROOK_KAFKA_FEATURES:-}; do features+=(--feature "$f"); done
  timeout 120 java "${jvm[@]}" -cp "$jars/*" kafka.tools.StorageTool format \
    -t YnJvb2stY29uZm9ybWFuY2U -c "$dir/server.properties" "${features[@]}" >"$dir/format.log" 2>&1 ||
    { tail -n 20 "$dir/format.log" >&2; die "formatting Kafka's storage failed"; }
  java "${jvm[@]}" -cp "$jars/*" kafka.Kafka "$dir/server.properties" >"$dir/kafka.log" 2>&1 </dev/null &
  echo $! >"$dir/kafka.pid"
  local waited=0 limit=$((${BROOK_KAFKA_START_TIMEOUT:-120} * 10))
  until grep -q "Kafka Server started" "$dir/kafka.log" 2>/dev/null; do
    if ! kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null || ((waited >= limit)); then
      tail -n 30 "$dir/kafka.log" >&2
      stop
      die "Kafka $version did not start"
    fi
    sleep 0.1
    ((waited += 1))
  done
}

case $cmd in
  start) start "$@" ;;
  stop) stop ;;
  *) die "unknown command $cmd" ;;
esac
