#!/usr/bin/env bash
# Measures brookd against Apache Kafka 4.x on this machine in one run: produce throughput (100 B
# and 1 KB records, acks=1 and acks=all, and 100 B idempotent: the cost of idempotence is that row
# against plain acks=all), consume throughput, produce latency at a fixed rate, and
# resident memory with 1000 idle partitions. The brokers run one at a time (they would share the
# cores otherwise), each fresh, with the same load program (bench/load/brook_load, librdkafka) and
# the same durability (no fsync per write: both brokers' default).
#
# Transactions: 100 B records from a transactional producer that commits every
# BROOK_BENCH_TXN_RECORDS records (its cost is that row against the idempotent one), then the
# same topic consumed read_committed (through the transaction markers). This is brook_load too,
# not kafka-producer-perf-test: the same librdkafka client as every other row, so the rows compare
# with each other, and a commit every N records gives both brokers the same number of
# transactions (perf-test's --transaction-duration-ms would give the faster broker bigger
# transactions, so fewer commits for the same records, and would add the Java client's own costs).
#
# TLS: the -tls rows run the same load over an SSL listener, which each broker then has beside its
# PLAINTEXT one, with the same settings on both: the same PKCS12 key store (an RSA 2048 key signed
# by a test CA, made by tests/compat/security/make_certs.sh into the run's temporary folder),
# TLS 1.3 only, the default cipher suites, no client certificates. On Debian 12 (OpenSSL 3.0,
# OpenJDK 17) both brokers negotiate TLSv1.3, TLS_AES_256_GCM_SHA384, X25519 with `openssl
# s_client`, which offers what librdkafka offers (OpenSSL's defaults); the table's footer shows
# what each broker negotiated in the run.
# TLS costs both brokers their zero-copy consume path (sendfile), since records must be
# encrypted in user space. Each TLS row whose plaintext row also ran adds a "TLS/plaintext" line:
# each broker's TLS throughput as a share of its own plaintext throughput.
#
# Usage: bench/broker_bench.sh [--no-build] [--only brook|kafka] [--rows LIST]
#   --rows: comma-separated rows to run (default all): p100-a1 p100-aall p100-idem p100-txn
#           p1k-a1 p1k-aall c100 c1k c100-txn lat-a1 lat-aall rss p100-a1-tls p1k-a1-tls
#           c100-tls c1k-tls. A consume row also runs the produce row that writes its topic
#           (c100: p100-a1, c1k: p1k-a1, c100-txn: p100-txn, c100-tls: p100-a1-tls, c1k-tls:
#           p1k-a1-tls); the warm-up always runs (and a TLS one before TLS rows). E.g.
#           --rows p100-idem,c100-txn or --rows p1k-a1,p1k-a1-tls,c1k,c1k-tls
#
# Environment:
#   BROOK_BENCH_SCALE          multiplies every record count (default 1: each run ~5-10 s)
#   BROOK_BENCH_RATE           records/s of the latency runs (default 20000)
#   BROOK_BENCH_LATENCY_S      seconds of each latency run at scale 1 (default 10)
#   BROOK_BENCH_KAFKA_VERSION  Apache Kafka release (default 4.1.1); jars are fetched with Maven
#                              into ${BROOK_JAR_CACHE:-~/.cache/brook/jars}/kafka-<version>/
#   BROOK_BENCH_PORT           first of the three loopback ports used (default 19092): PLAINTEXT,
#                              Kafka's controller, SSL
#   BROOK_BENCH_KAFKA_HEAP     Kafka's heap (default 2g)
#   BROOK_BENCH_REPEAT         runs of each consume and latency row, of which the median is shown
#                              (default 3): these rows are bound by the client's single fetch
#                              thread and the scheduler on few cores, and one run varies by ±25%
#   BROOK_BENCH_TXN_RECORDS    records per transaction of the transactional row (default 10000)
#   BROOK_BENCH_BROOKD         the brookd to run (default: the release build's), e.g. an older
#                              build to compare with, with --only brook
#
# Output: one results line per run on stderr as it goes, then a table on stdout:
# row | brook | kafka | ratio, where ratio is Brook / Kafka for throughput and Kafka / Brook for
# latency and memory, so above 1 means Brook is better everywhere.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

build=1
only=""
rows=all
while (($#)); do
  case "$1" in
    --no-build) build=0 ;;
    --only)
      only=${2:-}
      shift
      ;;
    --rows)
      rows=${2:-}
      shift
      ;;
    -h | --help)
      sed -n "2,$(grep -n '^set -euo' "$0" | cut -d: -f1)p" "$0" | sed '$d'
      exit 0
      ;;
    *)
      echo "broker_bench: unknown argument $1" >&2
      exit 2
      ;;
  esac
  shift
done

SCALE=${BROOK_BENCH_SCALE:-1}
RATE=${BROOK_BENCH_RATE:-20000}
LATENCY_S=${BROOK_BENCH_LATENCY_S:-10}
REPEAT=${BROOK_BENCH_REPEAT:-3}
KAFKA_VERSION=${BROOK_BENCH_KAFKA_VERSION:-4.1.1}
PORT=${BROOK_BENCH_PORT:-19092}
KAFKA_HEAP=${BROOK_BENCH_KAFKA_HEAP:-2g}
TXN_RECORDS=${BROOK_BENCH_TXN_RECORDS:-10000}
BOOTSTRAP=127.0.0.1:$PORT
TLS_BOOTSTRAP=127.0.0.1:$((PORT + 2))

log() { echo "broker_bench: $*" >&2; }
die() {
  log "$*"
  exit 1
}
all_rows="p100-a1 p100-aall p100-idem p100-txn p1k-a1 p1k-aall c100 c1k c100-txn lat-a1 lat-aall rss"
all_rows+=" p100-a1-tls p1k-a1-tls c100-tls c1k-tls"
[[ $rows == all ]] && rows=${all_rows// /,}
for r in ${rows//,/ }; do
  [[ " $all_rows " == *" $r "* ]] || die "unknown row $r (rows: $all_rows)"
done
# A consume row reads what a produce row wrote.
[[ ,$rows, == *,c100,* ]] && rows+=,p100-a1
[[ ,$rows, == *,c1k,* ]] && rows+=,p1k-a1
[[ ,$rows, == *,c100-txn,* ]] && rows+=,p100-txn
[[ ,$rows, == *,c100-tls,* ]] && rows+=,p100-a1-tls
[[ ,$rows, == *,c1k-tls,* ]] && rows+=,p1k-a1-tls
want() { [[ ,$rows, == *,$1,* ]]; }
tls=0
[[ ,$rows, == *-tls,* ]] && tls=1

scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { c = int(n * s); if (c < 1000) c = 1000; print c }'; }

# Record counts at scale 1, sized for ~5-10 s per run on a 2-core machine.
COUNT_100=$(scaled 4000000)
COUNT_1K=$(scaled 1000000)
COUNT_WARMUP=$(scaled 1000000)
COUNT_LAT=$(awk -v r="$RATE" -v d="$LATENCY_S" -v s="$SCALE" 'BEGIN { c = int(r * d * s); if (c < 1000) c = 1000; print c }')

# ---- build ------------------------------------------------------------------------------------
if ((build)); then
  bash "$root/scripts/install-deps.sh"
  log "building brookd and brook_load (release preset)"
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release --target brook_load brookd) >&2
fi
BROOKD=${BROOK_BENCH_BROOKD:-$root/build/release/src/app/brookd}
LOAD=${BROOK_BENCH_LOAD:-$root/build/release/bench/load/brook_load}
[[ -x $LOAD ]] || die "no $LOAD: install librdkafka-dev and build the release preset"

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-bench.XXXXXX")
server_pid=""

# The SSL listener's settings, the same for both brokers (Kafka's names, per listener), and the
# load program's.
SSL_SERVER=()
SSL_CLIENT=()
if ((tls)); then
  command -v openssl >/dev/null || die "the -tls rows need openssl"
  bash "$root/tests/compat/security/make_certs.sh" "$work/certs" >&2 || die "make_certs.sh failed"
  SSL_SERVER=(
    "listener.name.ssl.ssl.keystore.type=PKCS12"
    "listener.name.ssl.ssl.keystore.location=$work/certs/broker.p12"
    "listener.name.ssl.ssl.keystore.password=brook-pass"
    "listener.name.ssl.ssl.enabled.protocols=TLSv1.3"
    "listener.name.ssl.ssl.client.auth=none"
  )
  SSL_CLIENT=(--config security.protocol=SSL --config "ssl.ca.location=$work/certs/ca.pem")
fi

stop_server() {
  [[ -n $server_pid ]] || return 0
  local waited=0
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    while kill -0 "$server_pid" 2>/dev/null && ((waited < 300)); do
      sleep 0.1
      ((waited += 1))
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      log "pid $server_pid did not stop within 30 s; killing it"
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  local waited=0
  until port_open "$PORT"; do
    kill -0 "$server_pid" 2>/dev/null || return 1
    ((waited < 1200)) || return 1
    sleep 0.1
    ((waited += 1))
  done
}
rss_mb() { awk -v f="$2" '$1 == f":" { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

declare -A R=()

# What `openssl s_client` negotiates with the SSL listener, as R[<broker>,tls]: protocol, cipher
# suite and key exchange group.
probe_tls() {
  local out
  out=$(openssl s_client -connect "$TLS_BOOTSTRAP" -CAfile "$work/certs/ca.pem" \
    -verify_return_error </dev/null 2>&1) || true
  R[$1,tls]=$(awk '/^New, / { p = $2; c = $NF } /^Server Temp Key:/ { k = $4 }
    END { sub(/,$/, "", p); sub(/,$/, "", k); if (c != "") print p, c, k; else print "failed" }' <<<"$out")
  log "$1 SSL listener: ${R[$1,tls]}"
}

# Runs brook_load with its arguments; stores each key=value of its results line as
# R[<broker>,<name>.<key>]. A failed run leaves its values empty (the table says n/a). A run
# whose name has -tls in it connects to the SSL listener.
load() {
  local broker=$1 name=$2
  shift 2
  local out target=(--bootstrap "$BOOTSTRAP")
  [[ $name == *-tls* ]] && target=(--bootstrap "$TLS_BOOTSTRAP" "${SSL_CLIENT[@]}")
  if out=$(timeout 600 "$LOAD" "$@" "${target[@]}" 2>"$work/load.err"); then
    log "$broker $name: $out"
    local kv
    for kv in $out; do R[$broker,$name.${kv%%=*}]=${kv#*=}; done
  else
    log "$broker $name FAILED: $(tail -n 5 "$work/load.err")"
  fi
}

# Like load, REPEAT times: stores the median of each value as R[<broker>,<name>.<key>].
load_median() {
  local broker=$1 name=$2 i key
  shift 2
  for ((i = 1; i <= REPEAT; i++)); do load "$broker" "$name#$i" "$@"; done
  local keys
  keys=$(printf '%s\n' "${!R[@]}" | sed -n "s/^$broker,$name#1\.//p")
  for key in $keys; do
    R[$broker,$name.$key]=$(for ((i = 1; i <= REPEAT; i++)); do echo "${R[$broker,$name#$i.$key]:-}"; done |
      sort -g | awk 'NF { v[++n] = $1 } END { if (n) print v[int((n + 1) / 2)] }')
  done
}

suite() {
  local broker=$1
  # Resident memory right after start-up, then with 1000 idle partitions (before any load).
  sleep 2
  R[$broker,rss.start]=$(rss_mb "$server_pid" VmRSS)
  if want rss; then
    load "$broker" create create --topic idle1000 --partitions 1000
    sleep 5
    R[$broker,rss.idle1000]=$(rss_mb "$server_pid" VmRSS)
  fi

  local t
  for t in warmup p100-a1 p100-aall p100-idem p100-txn p1k-a1 p1k-aall lat-a1 lat-aall \
    warmup-tls p100-a1-tls p1k-a1-tls; do
    [[ $t == warmup ]] || want "$t" || { ((tls)) && [[ $t == warmup-tls ]]; } || continue
    load "$broker" "create-$t" create --topic "$t" --partitions 1
  done
  # Unmeasured warm-up (page cache, the JVM's JIT), the same for both brokers.
  load "$broker" warmup produce --topic warmup --size 100 --count "$COUNT_WARMUP" --acks 1
  load "$broker" warmup-consume consume --topic warmup --count "$COUNT_WARMUP"
  want p100-a1 &&
    load "$broker" p100-a1 produce --topic p100-a1 --size 100 --count "$COUNT_100" --acks 1
  want p100-aall &&
    load "$broker" p100-aall produce --topic p100-aall --size 100 --count "$COUNT_100" --acks all
  want p100-idem &&
    load "$broker" p100-idem produce --topic p100-idem --size 100 --count "$COUNT_100" \
      --acks all --idempotence true
  # Each run's transactional id is new to the broker (a fresh broker per run).
  want p100-txn &&
    load "$broker" p100-txn produce --topic p100-txn --size 100 --count "$COUNT_100" \
      --acks all --transactional-id bench-p100-txn --txn-records "$TXN_RECORDS"
  want p1k-a1 &&
    load "$broker" p1k-a1 produce --topic p1k-a1 --size 1000 --count "$COUNT_1K" --acks 1
  want p1k-aall &&
    load "$broker" p1k-aall produce --topic p1k-aall --size 1000 --count "$COUNT_1K" --acks all
  if ((tls)); then
    probe_tls "$broker"
    # TLS code paths warm up too (the JVM's JIT), unmeasured, the same for both brokers.
    load "$broker" warmup-tls produce --topic warmup-tls --size 100 --count "$COUNT_WARMUP" --acks 1
    load "$broker" warmup-tls-consume consume --topic warmup-tls --count "$COUNT_WARMUP"
  fi
  want p100-a1-tls &&
    load "$broker" p100-a1-tls produce --topic p100-a1-tls --size 100 --count "$COUNT_100" --acks 1
  want p1k-a1-tls &&
    load "$broker" p1k-a1-tls produce --topic p1k-a1-tls --size 1000 --count "$COUNT_1K" --acks 1
  want c100 && load_median "$broker" c100 consume --topic p100-a1 --count "$COUNT_100"
  want c1k && load_median "$broker" c1k consume --topic p1k-a1 --count "$COUNT_1K"
  want c100-txn &&
    load_median "$broker" c100-txn consume --topic p100-txn --count "$COUNT_100" \
      --isolation read_committed
  want c100-tls && load_median "$broker" c100-tls consume --topic p100-a1-tls --count "$COUNT_100"
  want c1k-tls && load_median "$broker" c1k-tls consume --topic p1k-a1-tls --count "$COUNT_1K"
  want lat-a1 &&
    load_median "$broker" lat-a1 produce --topic lat-a1 --size 100 --count "$COUNT_LAT" \
      --acks 1 --rate "$RATE"
  want lat-aall &&
    load_median "$broker" lat-aall produce --topic lat-aall --size 100 --count "$COUNT_LAT" \
      --acks all --rate "$RATE"
  R[$broker,rss.end]=$(rss_mb "$server_pid" VmRSS)
  R[$broker,rss.peak]=$(rss_mb "$server_pid" VmHWM)
}

run_brook() {
  [[ -x $BROOKD ]] || die "no $BROOKD: build with cmake --preset release && cmake --build --preset release"
  mkdir -p "$work/brook"
  local args=(--override "listeners=PLAINTEXT://$BOOTSTRAP" --override "log.dirs=$work/brook/data")
  if ((tls)); then
    args=(--override "listeners=PLAINTEXT://$BOOTSTRAP,SSL://$TLS_BOOTSTRAP"
      --override "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL"
      --override "log.dirs=$work/brook/data")
    local kv
    for kv in "${SSL_SERVER[@]}"; do args+=(--override "$kv"); done
  fi
  log "starting brookd on $BOOTSTRAP"
  "$BROOKD" "${args[@]}" >"$work/brook/brookd.log" 2>&1 </dev/null &
  server_pid=$!
  wait_port || { tail -n 20 "$work/brook/brookd.log" >&2; die "brookd did not start"; }
  suite brook
  log "stopping brookd"
  stop_server
  rm -rf "$work/brook/data"
}

run_kafka() {
  command -v java >/dev/null || { log "no java: Kafka's column stays empty" && return 0; }
  log "starting Kafka $KAFKA_VERSION on $BOOTSTRAP"
  # Single-node KRaft with Kafka's defaults otherwise: no fsync per write, 3 network threads,
  # 8 I/O threads.
  local extra=()
  if ((tls)); then
    # These lines come after kafka-server.sh's own in server.properties, and the last of a key
    # wins: the listeners gain SSL (the controller stays on PORT + 1); ssl.protocol is Java's
    # name for the handshake's protocol family, which brookd has no use for.
    extra=("listeners=PLAINTEXT://$BOOTSTRAP,CONTROLLER://127.0.0.1:$((PORT + 1)),SSL://$TLS_BOOTSTRAP"
      "advertised.listeners=PLAINTEXT://$BOOTSTRAP,SSL://$TLS_BOOTSTRAP"
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL"
      "listener.name.ssl.ssl.protocol=TLSv1.3" "${SSL_SERVER[@]}")
  fi
  BROOK_KAFKA_HEAP=$KAFKA_HEAP "$root/scripts/kafka-server.sh" start "$work/kafka" \
    "$KAFKA_VERSION" "$PORT" "${extra[@]}" || {
    log "cannot start Apache Kafka $KAFKA_VERSION: its column stays empty"
    return 0
  }
  server_pid=$(cat "$work/kafka/kafka.pid")
  suite kafka
  log "stopping Kafka"
  stop_server
  rm -rf "$work/kafka/data"
}

[[ $only == "" || $only == brook ]] && run_brook
[[ $only == "" || $only == kafka ]] && run_kafka

# ---- table ------------------------------------------------------------------------------------
# row <label> <key> <kind>: kind "tput" shows records/s and MB/s, ratio brook/kafka; "ms" and "mb"
# show one number, ratio kafka/brook (lower is better).
row() {
  local label=$1 key=$2 kind=$3 b k
  case $kind in
    tput)
      b=${R[brook,$key.records_per_s]:-}
      k=${R[kafka,$key.records_per_s]:-}
      ;;
    *)
      b=${R[brook,$key]:-}
      k=${R[kafka,$key]:-}
      ;;
  esac
  awk -v label="$label" -v b="$b" -v k="$k" -v kind="$kind" \
    -v bm="${R[brook,$key.mb_per_s]:-}" -v km="${R[kafka,$key.mb_per_s]:-}" '
    function show(v, m) {
      if (v == "") return "n/a"
      if (kind == "tput") return sprintf("%d/s %.1f MB/s", v, m)
      if (kind == "ms") return sprintf("%.2f ms", v)
      return sprintf("%.1f MB", v)
    }
    BEGIN {
      r = "n/a"
      if (b != "" && k != "" && b + 0 > 0 && k + 0 > 0) r = sprintf("%.2f", kind == "tput" ? b / k : k / b)
      printf "%-34s %-22s %-22s %s\n", label, show(b, bm), show(k, km), r
    }'
}

# tls_cost <label> <tls key> <plaintext key>: each broker's TLS records/s as a share of its own
# plaintext records/s.
tls_cost() {
  local label=$1 tls_key=$2 plain_key=$3
  awk -v label="TLS/plaintext $label" \
    -v bt="${R[brook,$tls_key.records_per_s]:-}" -v bp="${R[brook,$plain_key.records_per_s]:-}" \
    -v kt="${R[kafka,$tls_key.records_per_s]:-}" -v kp="${R[kafka,$plain_key.records_per_s]:-}" '
    function share(t, p) { return (t != "" && p + 0 > 0) ? sprintf("%.2f", t / p) : "n/a" }
    BEGIN { printf "%-34s %-22s %-22s %s\n", label, share(bt, bp), share(kt, kp), "-" }'
}

echo
echo "brookd vs Apache Kafka $KAFKA_VERSION (scale $SCALE; $(nproc) cores; load: librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?'))"
printf '%-34s %-22s %-22s %s\n' row brook kafka ratio
want p100-a1 && row "produce 100 B acks=1" p100-a1 tput
want p100-aall && row "produce 100 B acks=all" p100-aall tput
want p100-idem && row "produce 100 B acks=all idempotent" p100-idem tput
want p100-txn && row "produce 100 B txn, commit/${TXN_RECORDS}" p100-txn tput
want p1k-a1 && row "produce 1 KB acks=1" p1k-a1 tput
want p1k-aall && row "produce 1 KB acks=all" p1k-aall tput
want c100 && row "consume 100 B" c100 tput
want c1k && row "consume 1 KB" c1k tput
want c100-txn && row "consume 100 B txn read_committed" c100-txn tput
want p100-a1-tls && row "produce 100 B acks=1 TLS" p100-a1-tls tput
want p1k-a1-tls && row "produce 1 KB acks=1 TLS" p1k-a1-tls tput
want c100-tls && row "consume 100 B TLS" c100-tls tput
want c1k-tls && row "consume 1 KB TLS" c1k-tls tput
want p100-a1-tls && want p100-a1 && tls_cost "p100-a1" p100-a1-tls p100-a1
want p1k-a1-tls && want p1k-a1 && tls_cost "p1k-a1" p1k-a1-tls p1k-a1
want c100-tls && want c100 && tls_cost "c100" c100-tls c100
want c1k-tls && want c1k && tls_cost "c1k" c1k-tls c1k
if want lat-a1; then
  row "latency p50 acks=1 @${RATE}/s" lat-a1.p50_ms ms
  row "latency p99 acks=1 @${RATE}/s" lat-a1.p99_ms ms
  row "latency p99.9 acks=1 @${RATE}/s" lat-a1.p999_ms ms
fi
if want lat-aall; then
  row "latency p50 acks=all @${RATE}/s" lat-aall.p50_ms ms
  row "latency p99 acks=all @${RATE}/s" lat-aall.p99_ms ms
  row "latency p99.9 acks=all @${RATE}/s" lat-aall.p999_ms ms
fi
row "RSS after start" rss.start mb
want rss && row "RSS with 1000 idle partitions" rss.idle1000 mb
row "RSS peak (VmHWM) after the runs" rss.peak mb
echo "ratio: Brook / Kafka for throughput, Kafka / Brook for latency and memory (above 1: Brook better)"
echo "consume and latency rows: median of $REPEAT runs"
if ((tls)); then
  echo "TLS/plaintext: each broker's TLS records/s over its plaintext records/s (1.00: TLS is free)"
  echo "TLS negotiated (openssl s_client): brook ${R[brook,tls]:-n/a}; kafka ${R[kafka,tls]:-n/a}"
fi
