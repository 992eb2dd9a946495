#!/usr/bin/env bash
# Runs the client library's integration tests (brook_client_it) against brookd and against Apache
# Kafka, each started here on loopback ports and stopped after, so that the library is shown to
# work with both.
#
# Usage: tests/client/run.sh BROOKD BROOK_CLIENT_IT [--only brook|kafka] [gtest args...]
# Kafka versions: BROOK_CLIENT_KAFKA (default "4.4.0 3.9.2"; empty for brookd only).
# Ports: BROOK_CLIENT_PORT (default 30500) for brookd, +10 and +20 for the Kafkas.
# Extra broker settings: BROOK_CLIENT_BROKER_SETTINGS, space-separated key=value, given to brookd
# and to every Kafka (e.g. an authorizer for the Admin client's ACL tests, which skip without one).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[[ $# -ge 2 ]] || { sed -n '2,9p' "$0" >&2; exit 2; }
brookd=$(realpath "$1")
it=$(realpath "$2")
shift 2
only=""
if [[ ${1:-} == --only ]]; then only=$2; shift 2; fi
port=${BROOK_CLIENT_PORT:-30500}
versions=${BROOK_CLIENT_KAFKA-4.4.0 3.9.2}
read -r -a extra_settings <<<"${BROOK_CLIENT_BROKER_SETTINGS:-}"
# KIP-848 members hear of assignment changes at their heartbeat: 1 s instead of 5 s keeps the
# group tests short on every broker.
extra_settings=(group.consumer.heartbeat.interval.ms=1000 group.consumer.min.heartbeat.interval.ms=1000
  "${extra_settings[@]}")
brook_extra=()
for kv in "${extra_settings[@]}"; do brook_extra+=(--override "$kv"); done

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-client-it.XXXXXX")
brook_pid=""
kafka_dirs=()
cleanup() {
  [[ -n $brook_pid ]] && kill "$brook_pid" 2>/dev/null && wait "$brook_pid" 2>/dev/null || true
  local d
  for d in "${kafka_dirs[@]}"; do "$root/scripts/kafka-server.sh" stop "$d" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

failed=0
run_suite() {
  local flavour=$1 address=$2
  shift 2
  echo "--- brook_client_it against $flavour ($address)"
  if BROOK_TEST_BOOTSTRAP=$address BROOK_TEST_BROKER=$flavour timeout 900 "$it" "$@"; then
    echo "--- $flavour: passed"
  else
    echo "--- $flavour: FAILED"
    failed=1
  fi
}

if [[ -z $only || $only == brook ]]; then
  mkdir -p "$work/brook"
  "$brookd" --override "listeners=PLAINTEXT://127.0.0.1:$port" \
    --override "log.dirs=$work/brook/data" --override num.partitions=1 \
    --override group.initial.rebalance.delay.ms=0 "${brook_extra[@]}" >"$work/brook/brookd.log" 2>&1 &
  brook_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  run_suite brook "127.0.0.1:$port" "$@"
  kill "$brook_pid" && wait "$brook_pid" 2>/dev/null || true
  brook_pid=""
  if grep -E "ERROR|AddressSanitizer|runtime error" "$work/brook/brookd.log" | head -5 | grep -q .; then
    echo "--- brookd logged errors:"
    grep -E "ERROR|AddressSanitizer|runtime error" "$work/brook/brookd.log" | head -20
  fi
fi

if [[ -z $only || $only == kafka ]]; then
  offset=10
  for v in $versions; do
    d="$work/kafka-$v"
    kafka_dirs+=("$d")
    kport=$((port + offset))
    offset=$((offset + 10))
    if BROOK_KAFKA_JVM_OPTS="-XX:TieredStopAtLevel=1" \
        "$root/scripts/kafka-server.sh" start "$d" "$v" "$kport" "${extra_settings[@]}"; then
      run_suite "kafka-$v" "127.0.0.1:$kport" "$@"
    else
      echo "--- kafka-$v: did not start"
      failed=1
    fi
    "$root/scripts/kafka-server.sh" stop "$d" || true
  done
fi
exit $failed
