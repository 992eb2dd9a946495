#!/usr/bin/env bash
# Differential conformance: runs every scenario in tests/conformance/scenarios against Apache
# Kafka and brookd side by side and compares the decoded answers field by field (DiffCheck.java).
#
# Usage: tests/conformance/run.sh [path/to/brookd] [--report] [--verbose] [--only SUBSTRING]
#   --report   also writes docs/compatibility.md, the per-API and per-version table
#   --only     runs the scenarios whose name contains SUBSTRING
# Environment: BROOK_CONFORMANCE_KAFKA (default 4.4.0) is the Kafka release (jars from Maven
# Central); BROOK_CONFORMANCE_PORT (default 29192) is brookd's port, Kafka takes the next two.
# Ends with "conformance: N same, N known differences, N failed"; exits 1 on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

KAFKA_VERSION=${BROOK_CONFORMANCE_KAFKA:-4.4.0}
PORT=${BROOK_CONFORMANCE_PORT:-29192}
KAFKA_PORT=$((PORT + 1))

brookd=""
args=()
report=0
while (($#)); do
  case "$1" in
    --report) report=1 ;;
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
brook_pid=""
cleanup() {
  [[ -n $brook_pid ]] && kill -TERM "$brook_pid" 2>/dev/null && wait "$brook_pid" 2>/dev/null || true
  "$root/scripts/kafka-server.sh" stop "$work/kafka" || true
  rm -rf "$work"
}
trap cleanup EXIT

jars=$("$root/bench/load/fetch_kafka.sh" "$KAFKA_VERSION")
javac -nowarn -d "$work/classes" -cp "$jars/*" "$here/DiffCheck.java"

echo "conformance: starting brookd on 127.0.0.1:$PORT"
"$brookd" --override "listeners=PLAINTEXT://127.0.0.1:$PORT" --override "log.dirs=$work/brook" \
  --override node.id=1 \
  >"$work/brookd.log" 2>&1 </dev/null &
brook_pid=$!
echo "conformance: starting Apache Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
# Without eligible leader replicas (KIP-966), which brookd does not implement: with them, Kafka's
# storage format stores a cluster-wide min.insync.replicas and reports it as a dynamic default.
BROOK_KAFKA_FEATURES="eligible.leader.replicas.version=0" \
  "$root/scripts/kafka-server.sh" start "$work/kafka" "$KAFKA_VERSION" "$KAFKA_PORT"
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

report_args=()
((report)) && report_args=(--report "$root/docs/compatibility.md" --kafka-version "$KAFKA_VERSION")
status=0
java -cp "$work/classes:$jars/*" DiffCheck --kafka "127.0.0.1:$KAFKA_PORT" \
  --brook "127.0.0.1:$PORT" --scenarios "$here/scenarios" --normalise "$here/normalise.json" \
  --known "$here/known.json" "${report_args[@]}" "${args[@]}" || status=1
if grep -E " (ERROR|FATAL) " "$work/brookd.log" >/dev/null; then
  echo "conformance: brookd logged errors:"
  grep -E " (ERROR|FATAL) " "$work/brookd.log" | head -20
  status=1
fi
kill -0 "$brook_pid" 2>/dev/null || { echo "conformance: brookd is no longer running"; status=1; }
exit $status
