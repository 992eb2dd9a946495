#!/usr/bin/env bash
# Consumer group rebalance time, brookd against Apache Kafka 4.4.0 in one run: a group of 10
# librdkafka consumers (confluent-kafka) reads a topic that keeps being written: 9 members read,
# then the 10th joins, and the time until every member consumes again is measured
# (bench/load/group_join.py, median of BROOK_BENCH_REPEAT rounds, default 3). Two rows: the
# classic protocol (range), and KIP-848 (group.protocol=consumer, the brokers' uniform assignor,
# their default heartbeat interval of 5 s). Both brokers run with group.initial.rebalance.delay.ms=0
# (the rebalance alone is measured), one at a time.
#
# Usage: bench/groups_bench.sh [path/to/brookd]
# Output: a table row | brook | kafka | ratio, ratio = Kafka / Brook (above 1: Brook is faster).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
brookd=${1:-$root/build/release/src/app/brookd}
[[ -x $brookd ]] || { echo "groups_bench: build brookd first (scripts/run.sh builds it)" >&2; exit 2; }
venv=${BROOK_CLIENTS_VENV:-$HOME/.cache/brook/venv-clients}
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import confluent_kafka' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q confluent-kafka==2.16.1
fi
members=${BROOK_BENCH_MEMBERS:-10}
rounds=${BROOK_BENCH_REPEAT:-3}
port=${BROOK_BENCH_PORT:-19092}
work=$(mktemp -d "${TMPDIR:-/tmp}/brook-groups-bench.XXXXXX")
pid=""
cleanup() {
  [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  "$root/scripts/kafka-server.sh" stop "$work/kafka" || true
  rm -rf "$work"
}
trap cleanup EXIT

measure() {  # bootstrap protocol -> median ms
  "$venv/bin/python" "$here/load/group_join.py" "$1" "$members" "$rounds" "$2" | tee /dev/stderr |
    sed -n 's/.*median \([0-9]*\) ms.*/\1/p'
}

"$brookd" --override "listeners=PLAINTEXT://127.0.0.1:$port" --override "log.dirs=$work/brook" \
  --override group.initial.rebalance.delay.ms=0 >"$work/brookd.log" 2>&1 &
pid=$!
sleep 1
brook_ms=$(measure "127.0.0.1:$port" classic)
brook_848=$(measure "127.0.0.1:$port" consumer)
kill -TERM "$pid" && wait "$pid" || true
pid=""

"$root/scripts/kafka-server.sh" start "$work/kafka" 4.4.0 "$((port + 1))"
kafka_ms=$(measure "127.0.0.1:$((port + 1))" classic)
kafka_848=$(measure "127.0.0.1:$((port + 1))" consumer)

printf '%-40s | %10s | %10s | %6s\n' row brook kafka ratio
row() {  # label brook_ms kafka_ms
  printf '%-40s | %7s ms | %7s ms | %6s\n' "$1" "$2" "$3" \
    "$(python3 -c "print(f'{$3 / max($2, 1):.2f}')")"
}
row "classic group of $members: join to consuming" "$brook_ms" "$kafka_ms"
row "KIP-848 group of $members: join to consuming" "$brook_848" "$kafka_848"
