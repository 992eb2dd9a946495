#!/usr/bin/env bash
# Differential conformance: runs every scenario in tests/conformance/scenarios against Apache
# Kafka and brookd side by side and compares the decoded answers field by field (DiffCheck.java).
#
# Two passes, each with its own fresh brookd (a scenario changes a broker's state, so the passes
# cannot share one): the versions that brookd and Kafka 3.9 serve but the newer Kafka does not
# (Kafka 4.0 removed many old ones) are compared with Kafka 3.9 (DiffCheck --old-versions-only,
# compiled against its jars, told the newer Kafka's versions by DiffCheck --versions-out); then
# every other version with the newer Kafka. The first pass writes its findings to a file that the
# second reads for the report (see "Two passes" in DiffCheck.java).
#
# Usage: tests/conformance/run.sh [path/to/brookd] [--report | --report-to FILE] [--verbose]
#                                 [--only SUBSTRING]
#   --report      also writes docs/compatibility.md, the per-API and per-version table
#   --report-to   writes that table to FILE instead
#   --only        runs the scenarios whose name contains SUBSTRING
# Environment: BROOK_CONFORMANCE_KAFKA (default 4.4.0) is the Kafka release (jars from Maven
# Central); BROOK_CONFORMANCE_KAFKA_OLD (default 3.9.2; empty: no first pass) the older one.
# BROOK_CONFORMANCE_PORT (default 29192) is brookd's port, the newer Kafka takes the next two
# (broker, controller), the older one the two after, and the second brookd the next.
# Ends with "conformance: N same, N known differences, N failed" (the line of the first pass
# before it); exits 1 on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

KAFKA_VERSION=${BROOK_CONFORMANCE_KAFKA:-4.4.0}
KAFKA_OLD_VERSION=${BROOK_CONFORMANCE_KAFKA_OLD-3.9.2}
PORT=${BROOK_CONFORMANCE_PORT:-29192}
KAFKA_PORT=$((PORT + 1))
KAFKA_OLD_PORT=$((PORT + 3))
BROOK_OLD_PORT=$((PORT + 5))

brookd=""
args=()
report=""
while (($#)); do
  case "$1" in
    --report) report=$root/docs/compatibility.md ;;
    --report-to)
      report=$(realpath -m "${2:?--report-to needs a file}")
      shift
      ;;
    --verbose) args+=(--verbose) ;;
    --only)
      args+=(--only "${2:?--only needs a value}")
      shift
      ;;
    -*) echo "conformance: unknown option $1" >&2; exit 2 ;;
    *) brookd=$1 ;;
  esac
  shift
done
if [[ -z $brookd ]]; then
  brookd=$(ls -t "$root"/build/*/src/app/brookd 2>/dev/null | head -n1 || true)
  [[ -n $brookd ]] || { echo "conformance: no build/*/src/app/brookd; build it or pass its path" >&2; exit 2; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-conformance.XXXXXX")
brook_pids=()
brook_logs=()
kafka_jobs=()
cleanup() {
  local pid stops=()
  for pid in "${brook_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  # A Kafka still starting (on an early exit) is stopped once its start is over.
  for pid in "${kafka_jobs[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$root/scripts/kafka-server.sh" stop "$work/kafka" &
  stops+=($!)
  "$root/scripts/kafka-server.sh" stop "$work/kafka-old" &
  stops+=($!)
  for pid in "${stops[@]}"; do wait "$pid" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# start_brookd NAME PORT: a brookd with its own log directory, logging to $work/NAME.log.
start_brookd() {
  echo "conformance: starting brookd on 127.0.0.1:$2"
  "$brookd" --override "listeners=PLAINTEXT://127.0.0.1:$2" --override "log.dirs=$work/$1" \
    --override node.id=1 --override group.initial.rebalance.delay.ms=0 \
    >"$work/$1.log" 2>&1 </dev/null &
  brook_pids+=($!)
  brook_logs+=("$work/$1.log")
}

# The jars first (a first run fetches them; kafka-server.sh would too, side by side).
jars=$("$root/bench/load/fetch_kafka.sh" "$KAFKA_VERSION")
if [[ -n $KAFKA_OLD_VERSION ]]; then old_jars=$("$root/bench/load/fetch_kafka.sh" "$KAFKA_OLD_VERSION"); fi

# The Kafkas start in the background, side by side, while DiffCheck compiles; both are awaited
# before any comparison. The JVMs here run with the client compiler alone (the Kafkas start in
# about half the time on two cores; their speed does not matter here).
export BROOK_KAFKA_JVM_OPTS=${BROOK_KAFKA_JVM_OPTS--XX:TieredStopAtLevel=1}
java=(java -XX:TieredStopAtLevel=1)
echo "conformance: starting Apache Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
# Without eligible leader replicas (KIP-966), which brookd does not implement: with them, Kafka's
# storage format stores a cluster-wide min.insync.replicas and reports it as a dynamic default.
BROOK_KAFKA_FEATURES="eligible.leader.replicas.version=0" \
  "$root/scripts/kafka-server.sh" start "$work/kafka" "$KAFKA_VERSION" "$KAFKA_PORT" &
kafka_jobs+=($!)
if [[ -n $KAFKA_OLD_VERSION ]]; then
  echo "conformance: starting Apache Kafka $KAFKA_OLD_VERSION on 127.0.0.1:$KAFKA_OLD_PORT"
  # Kafka 3.9 has no eligible leader replicas feature (its storage tool refuses to set it).
  BROOK_KAFKA_FEATURES="" \
    "$root/scripts/kafka-server.sh" start "$work/kafka-old" "$KAFKA_OLD_VERSION" "$KAFKA_OLD_PORT" &
  kafka_jobs+=($!)
fi

# compile VERSION JARS: prints the folder of DiffCheck compiled against those jars. javac takes as
# long as a Kafka takes to start, so the classes are kept, by Kafka version and hash of the source
# (and of the javac used), and pruned after a week unused.
compile() {
  local cache=${XDG_CACHE_HOME:-$HOME/.cache}/brook/conformance key dir tmp
  key=$({ cat "$here/DiffCheck.java"; readlink -f "$(command -v javac)"; } | sha256sum | cut -c1-16)
  dir=$cache/diffcheck-$1-$key
  if [[ ! -d $dir ]]; then
    mkdir -p "$cache"
    find "$cache" -mindepth 1 -maxdepth 1 -mtime +7 -exec rm -rf {} + 2>/dev/null || true
    tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
    javac -J-XX:TieredStopAtLevel=1 -nowarn -d "$tmp" -cp "$2/*" "$here/DiffCheck.java" >&2 || { rm -rf "$tmp"; return 1; }
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp" # a concurrent run may have got there first
  fi
  touch "$dir"
  echo "$dir"
}

classes=$(compile "$KAFKA_VERSION" "$jars")
if [[ -n $KAFKA_OLD_VERSION ]]; then old_classes=$(compile "$KAFKA_OLD_VERSION" "$old_jars"); fi

start_brookd brook "$PORT"
if [[ -n $KAFKA_OLD_VERSION ]]; then start_brookd brook-old "$BROOK_OLD_PORT"; fi
started=1
for job in "${kafka_jobs[@]}"; do wait "$job" || started=0; done
((started)) || { echo "conformance: Apache Kafka did not start" >&2; exit 2; }
for port in "$PORT" ${KAFKA_OLD_VERSION:+"$BROOK_OLD_PORT"}; do
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done

common=(--scenarios "$here/scenarios" --normalise "$here/normalise.json" --known "$here/known.json")
status=0
old_args=()
if [[ -n $KAFKA_OLD_VERSION ]]; then
  "${java[@]}" -cp "$classes:$jars/*" DiffCheck --kafka "127.0.0.1:$KAFKA_PORT" \
    --versions-out "$work/newer-versions.json"
  "${java[@]}" -cp "$old_classes:$old_jars/*" DiffCheck --old-versions-only \
    --kafka "127.0.0.1:$KAFKA_OLD_PORT" --brook "127.0.0.1:$BROOK_OLD_PORT" \
    --newer-versions "$work/newer-versions.json" --kafka-version "$KAFKA_OLD_VERSION" \
    --findings-out "$work/old-findings.json" "${common[@]}" "${args[@]}" || status=1
  if [[ -f $work/old-findings.json ]]; then old_args=(--old-findings "$work/old-findings.json"); fi
fi

report_args=()
[[ -n $report ]] && report_args=(--report "$report")
"${java[@]}" -cp "$classes:$jars/*" DiffCheck --kafka "127.0.0.1:$KAFKA_PORT" --brook "127.0.0.1:$PORT" \
  --kafka-version "$KAFKA_VERSION" "${common[@]}" "${old_args[@]}" "${report_args[@]}" "${args[@]}" ||
  status=1
for i in "${!brook_pids[@]}"; do
  log=${brook_logs[$i]}
  if grep -E " (ERROR|FATAL) " "$log" >/dev/null; then
    echo "conformance: brookd logged errors ($(basename "$log")):"
    grep -E " (ERROR|FATAL) " "$log" | head -20
    status=1
  fi
  kill -0 "${brook_pids[$i]}" 2>/dev/null ||
    { echo "conformance: brookd ($(basename "$log")) is no longer running"; status=1; }
done
exit $status
