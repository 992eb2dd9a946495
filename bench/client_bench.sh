#!/usr/bin/env bash
# Measures Brook's C++ client against librdkafka (Debian's, through bench/load/brook_load) on the
# same broker in one run: producer throughput (100 B and 1 KB records, acks=1; 100 B acks=all
# idempotent), consumer throughput (reading what the producer rows wrote), and produce latency
# (send to acknowledgement, p50/p99/p99.9) at a fixed rate. Both clients get the same settings:
# linger.ms=5, batch.size=1000000, no compression, idempotence off unless the row says so, and
# each reads or writes its own topic of one partition.
#
# Usage: bench/client_bench.sh [--no-build] [--broker brook|kafka] [--rows LIST]
#   --rows: comma-separated, from p100 p1k p100-idem c100 c1k lat (default all); a consume row
#           also runs the produce row that writes its topics (c100: p100, c1k: p1k).
#   --broker: brookd (default) or Apache Kafka $BROOK_BENCH_KAFKA_VERSION (default 4.1.1).
# Environment: BROOK_BENCH_SCALE (multiplies record counts, default 1), BROOK_BENCH_RATE
# (records/s of the latency row, default 20000), BROOK_BENCH_REPEAT (runs per row, the median is
# shown, default 3), BROOK_BENCH_LAT_REPEAT (runs of the latency row per client, taking turns,
# default 5), BROOK_BENCH_PORT (default 19192).
#
# Output: one results line per run on stderr, then a table on stdout: row | brook | librdkafka |
# ratio, where ratio is brook / librdkafka for throughput and librdkafka / brook for latency, so
# above 1 means Brook's client is ahead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

build=1
broker=brook
rows=all
while (($#)); do
  case "$1" in
    --no-build) build=0 ;;
    --broker) broker=${2:-}; shift ;;
    --rows) rows=${2:-}; shift ;;
    -h | --help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "client_bench: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $broker == brook || $broker == kafka ]] || { echo "client_bench: --broker brook|kafka" >&2; exit 2; }

SCALE=${BROOK_BENCH_SCALE:-1}
RATE=${BROOK_BENCH_RATE:-20000}
REPEAT=${BROOK_BENCH_REPEAT:-3}
LAT_REPEAT=${BROOK_BENCH_LAT_REPEAT:-5}
PORT=${BROOK_BENCH_PORT:-19192}
KAFKA_VERSION=${BROOK_BENCH_KAFKA_VERSION:-4.1.1}
BOOTSTRAP=127.0.0.1:$PORT

log() { echo "client_bench: $*" >&2; }
die() { log "$*"; exit 1; }

all_rows="p100 p1k p100-idem c100 c1k lat"
[[ $rows == all ]] && rows=${all_rows// /,}
for r in ${rows//,/ }; do [[ " $all_rows " == *" $r "* ]] || die "unknown row $r (rows: $all_rows)"; done
[[ ,$rows, == *,c100,* ]] && rows+=,p100
[[ ,$rows, == *,c1k,* ]] && rows+=,p1k
want() { [[ ,$rows, == *,$1,* ]]; }
scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { c = int(n * s); if (c < 1000) c = 1000; print c }'; }
COUNT_100=$(scaled 3000000)
COUNT_1K=$(scaled 600000)
COUNT_LAT=$(awk -v r="$RATE" -v s="$SCALE" 'BEGIN { c = int(r * 10 * s); if (c < 1000) c = 1000; print c }')

if ((build)); then
  bash "$root/scripts/install-deps.sh"
  log "building brookd, brook and brook_load (release preset)"
  (cd "$root" && cmake --preset release >/dev/null &&
    cmake --build --preset release --target brookd brook brook_load) >&2
fi
BROOKD=$root/build/release/src/app/brookd
BROOK=$root/build/release/src/cli/brook
LOAD=$root/build/release/bench/load/brook_load
for b in "$BROOK" "$LOAD"; do [[ -x $b ]] || die "no $b: build the release preset"; done

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-client-bench.XXXXXX")
server_pid=""
cleanup() {
  if [[ $broker == kafka ]]; then
    "$root/scripts/kafka-server.sh" stop "$work/kafka" || true
  elif [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $broker == kafka ]]; then
  log "starting Apache Kafka $KAFKA_VERSION on $BOOTSTRAP"
  BROOK_KAFKA_HEAP=2g "$root/scripts/kafka-server.sh" start "$work/kafka" "$KAFKA_VERSION" "$PORT" >&2
else
  log "starting brookd on $BOOTSTRAP"
  "$BROOKD" --override "listeners=PLAINTEXT://$BOOTSTRAP" --override "log.dirs=$work/data" \
    >"$work/brookd.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
fi

declare -A R=()
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
median() { tr ' ' '\n' <<<"$*" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# run CLIENT ARGS...: one run of the given client's load program, its results line on stdout.
run() {
  local client=$1
  shift
  local out
  if [[ $client == brook ]]; then
    out=$("$BROOK" bench "$@" -b "$BOOTSTRAP" 2>"$work/err") ||
      { cat "$work/err" >&2; die "brook bench $* failed"; }
  else
    out=$("$LOAD" "$@" --bootstrap "$BOOTSTRAP" 2>"$work/err") ||
      { cat "$work/err" >&2; die "brook_load $* failed"; }
  fi
  log "$client: $out"
  echo "$out"
}

create() { "$LOAD" create --bootstrap "$BOOTSTRAP" --topic "$1" --partitions 1 >/dev/null; }

# produce ROW SIZE COUNT ACKS [IDEMPOTENCE]: each client writes its own topic, REPEAT times; the
# median records/s is kept, and the last topic is what the consume rows read.
produce_row() {
  local row=$1 size=$2 count=$3 acks=$4 idem=${5:-false} client i out vals
  for client in brook librdkafka; do
    vals=""
    for i in $(seq "$REPEAT"); do
      local topic="$row-$client-$i"
      create "$topic"
      if [[ $client == brook ]]; then
        out=$(run brook produce --topic "$topic" --size "$size" --count "$count" --acks "$acks" \
          -X "enable.idempotence=$idem")
      else
        out=$(run librdkafka produce --topic "$topic" --size "$size" --count "$count" --acks "$acks" \
          --idempotence "$idem")
      fi
      vals+=" $(field "$out" records_per_s)"
      R[$row,$client,topic]=$topic
    done
    R[$row,$client]=$(median $vals)
  done
}

consume_row() {
  local row=$1 from=$2 count=$3 client i out vals topic
  for client in brook librdkafka; do
    vals=""
    for i in $(seq "$REPEAT"); do
      # Each client reads the last topic it wrote (all of them are in the page cache).
      topic=${R[$from,$client,topic]}
      # Both read committed data only (librdkafka's default; Java's is read_uncommitted).
      if [[ $client == brook ]]; then
        out=$(run brook consume --topic "$topic" --count "$count" -X isolation.level=read_committed)
      else
        out=$(run librdkafka consume --topic "$topic" --count "$count" --isolation read_committed)
      fi
      vals+=" $(field "$out" records_per_s)"
    done
    R[$row,$client]=$(median $vals)
  done
}

latency_row() {
  local client i out topic
  local -A p50=() p99=() p999=()
  # Tails on a shared machine swing with its noise: the two clients take turns, LAT_REPEAT
  # runs each, so that a noisy stretch falls on both.
  for i in $(seq "$LAT_REPEAT"); do
    for client in brook librdkafka; do
      topic="lat-$client-$i"
      create "$topic"
      out=$(run "$client" produce --topic "$topic" --size 100 --count "$COUNT_LAT" --acks 1 --rate "$RATE")
      p50[$client]+=" $(field "$out" p50_ms)"
      p99[$client]+=" $(field "$out" p99_ms)"
      p999[$client]+=" $(field "$out" p999_ms)"
    done
  done
  for client in brook librdkafka; do
    R[lat-p50,$client]=$(median ${p50[$client]})
    R[lat-p99,$client]=$(median ${p99[$client]})
    R[lat-p999,$client]=$(median ${p999[$client]})
  done
}

# Warm-up: the broker's first segment files and both clients' first connections.
create warmup
run brook produce --topic warmup --size 100 --count "$(scaled 300000)" --acks 1 >/dev/null
run librdkafka produce --topic warmup --size 100 --count "$(scaled 300000)" --acks 1 >/dev/null

want p100 && produce_row p100 100 "$COUNT_100" 1
want p1k && produce_row p1k 1000 "$COUNT_1K" 1
want p100-idem && produce_row p100-idem 100 "$COUNT_100" all true
want c100 && consume_row c100 p100 "$COUNT_100"
want c1k && consume_row c1k p1k "$COUNT_1K"
want lat && latency_row

printf '\nBrook client against librdkafka %s on %s (median of %s runs, %s for latency; records/s, latency in ms)\n\n' \
  "$(dpkg-query -W -f '${Version}' librdkafka1 2>/dev/null || echo '?')" \
  "$([[ $broker == kafka ]] && echo "Apache Kafka $KAFKA_VERSION" || echo brookd)" "$REPEAT" "$LAT_REPEAT"
printf '| row | brook | librdkafka | ratio |\n|---|---|---|---|\n'
line() {
  local row=$1 label=$2 lower_better=${3:-0} b=${R[$1,brook]:-} l=${R[$1,librdkafka]:-}
  [[ -n $b && -n $l ]] || return 0
  local ratio
  if ((lower_better)); then
    ratio=$(awk -v a="$l" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  else
    ratio=$(awk -v a="$b" -v b="$l" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
  fi
  printf '| %s | %s | %s | %s |\n' "$label" "$b" "$l" "$ratio"
}
line p100 "produce 100 B, acks=1"
line p1k "produce 1 KB, acks=1"
line p100-idem "produce 100 B, acks=all, idempotent"
line c100 "consume 100 B"
line c1k "consume 1 KB"
line lat-p50 "latency p50 at $RATE/s" 1
line lat-p99 "latency p99 at $RATE/s" 1
line lat-p999 "latency p99.9 at $RATE/s" 1
