#!/usr/bin/env bash
# Starts and stops a single-node Apache Kafka 4.x (KRaft, broker and controller in one process) on
# 127.0.0.1, from the jars setup-kafka.sh fetched.
#
# Usage:
#   tests/captures/run-kafka.sh start STATE_DIR   format STATE_DIR/data, start Kafka, wait (bounded)
#                                                until it serves clients; Kafka keeps running
#   tests/captures/run-kafka.sh stop STATE_DIR    stop the Kafka started with that STATE_DIR
#   tests/captures/run-kafka.sh run STATE_DIR -- COMMAND...
#                                                start, run COMMAND, and always stop Kafka after
#
# STATE_DIR holds server.properties, the log (kafka.log), the data and the pid; it is created if
# missing and must not hold a running Kafka. Ports come from common.sh (BROOK_*_PORT): Kafka listens
# on BROOK_KAFKA_PORT but advertises BROOK_PROXY_PORT, where proxy.py is expected to listen, so
# that every client connection after bootstrap goes through the proxy too. The inter-broker and
# controller listeners have ports of their own and are not advertised to clients.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
source "$here/common.sh"

START_TIMEOUT=${BROOK_KAFKA_START_TIMEOUT:-120}  # seconds for format + start
STOP_TIMEOUT=${BROOK_KAFKA_STOP_TIMEOUT:-30}     # seconds between SIGTERM and SIGKILL

usage() { sed -n '2,18p' "$0" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
cmd=$1
state=$2
shift 2

libs="$BROOK_KAFKA_HOME/libs"
pidfile="$state/kafka.pid"

kafka_running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

write_config() {
  cat >"$state/server.properties" <<EOF
# Written by tests/captures/run-kafka.sh: single-node KRaft for recording client traffic.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$BROOK_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$BROOK_KAFKA_PORT,INTERNAL://127.0.0.1:$BROOK_INTERNAL_PORT,CONTROLLER://127.0.0.1:$BROOK_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$BROOK_PROXY_PORT,INTERNAL://127.0.0.1:$BROOK_INTERNAL_PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=INTERNAL
log.dirs=$state/data
num.partitions=1
auto.create.topics.enable=true
# One partition per internal topic keeps metadata answers (and the captures) small.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
EOF
  # Kafka 4.x logs through log4j2; INFO to the console, which start() sends to kafka.log.
  cat >"$state/log4j2.properties" <<'EOF'
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
}

start() {
  [[ -f "$libs/.complete" ]] || captures_die "no Kafka jars in $libs: run tests/captures/setup-kafka.sh"
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  kafka_running && captures_die "a Kafka is already running from $state (pid $(cat "$pidfile"))"
  for p in "$BROOK_KAFKA_PORT" "$BROOK_INTERNAL_PORT" "$BROOK_CONTROLLER_PORT"; do
    captures_port_open "$p" && captures_die "port 127.0.0.1:$p is busy (set BROOK_*_PORT)"
  done
  rm -rf "$state/data"
  write_config
  local java_opts=(-Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=file:$state/log4j2.properties")

  captures_log "formatting KRaft storage in $state/data (cluster $BROOK_CLUSTER_ID)"
  timeout 60 java "${java_opts[@]}" -cp "$libs/*" kafka.tools.StorageTool format \
    -t "$BROOK_CLUSTER_ID" -c "$state/server.properties" >"$state/format.log" 2>&1 ||
    { cat "$state/format.log" >&2; captures_die "kafka-storage format failed"; }

  captures_log "starting Kafka $BROOK_KAFKA_VERSION on 127.0.0.1:$BROOK_KAFKA_PORT (advertised :$BROOK_PROXY_PORT)"
  # setsid: Kafka gets its own process group, so stop() can end it and anything it forked.
  setsid java "${java_opts[@]}" -cp "$libs/*" kafka.Kafka "$state/server.properties" \
    >"$state/kafka.log" 2>&1 </dev/null &
  echo $! >"$pidfile"

  # Ready when the client port accepts connections and the server says it has started (the
  # listener binds before request processing is enabled).
  local waited=0
  until captures_port_open "$BROOK_KAFKA_PORT" && grep -q "Kafka Server started" "$state/kafka.log"; do
    if ! kafka_running; then
      tail -n 40 "$state/kafka.log" >&2
      captures_die "Kafka exited during start-up (log: $state/kafka.log)"
    fi
    if ((waited >= START_TIMEOUT * 2)); then
      tail -n 40 "$state/kafka.log" >&2
      stop
      captures_die "Kafka did not start within ${START_TIMEOUT}s (log: $state/kafka.log)"
    fi
    sleep 0.5
    ((waited += 1))
  done
  captures_log "Kafka is up (pid $(cat "$pidfile"))"
}

stop() {
  [[ -f "$pidfile" ]] || return 0
  local pid waited=0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    captures_log "stopping Kafka (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((waited < STOP_TIMEOUT * 5)); do
      sleep 0.2
      ((waited += 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      captures_log "Kafka did not stop within ${STOP_TIMEOUT}s; killing it"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  run)
    [[ ${1:-} == -- ]] && shift
    [[ $# -ge 1 ]] || usage
    trap stop EXIT
    start
    "$@"
    ;;
  *) usage ;;
esac
