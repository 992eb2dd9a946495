#!/usr/bin/env bash
# Apache Kafka's own command-line tools (4.1.1, run by main class from the jars, not through
# Kafka's shell scripts) against a brookd started here: kafka-topics, kafka-configs, the console
# producer and consumer, kafka-get-offsets, kafka-log-dirs, kafka-delete-records, Kafka's test
# clients kafka-verifiable-producer, kafka-producer-perf-test, kafka-verifiable-consumer and
# kafka-consumer-perf-test, kafka-transactions (list, describe, describe-producers, find-hanging,
# abort), and kafka-consumer-groups, each checked on what it prints; then
# kafka-configs on a group, whose configs must survive a restart of brookd.
# The console consumer reads each partition on its own (--partition), as many records as
# kafka-get-offsets counts there, so that each partition's content is checked apart. The consumers
# in a group run with group.protocol=classic (tests/compat/groups covers KIP-848). The console
# and verifiable producers are idempotent (the Java client's default with acks=all), and
# kafka-transactions describe-producers shows the verifiable producer's state.
#
# Usage: tests/compat/tools/run.sh path/to/brookd
# Environment: BROOK_JAR_CACHE (default ~/.cache/brook/jars). The jars come from
#   bench/load/fetch_kafka.sh plus kafka-tools with its dependencies, fetched once with mvn into
#   the same folder. Needs java 17. BROOK_TOOLS_PORT: brookd's port (default a free one of
#   31000-31999). BROOK_CLIENTS_VENV: the Python with confluent-kafka that plays the hanging
#   producer (tests/compat/clients-venv.sh makes it when missing).
# Ends with "tools: N passed, N failed"; exits non-zero if anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
brookd=${1:?usage: run.sh path/to/brookd}

# shellcheck source=../kafka-tools-env.sh
source "$root/tests/compat/kafka-tools-env.sh" tools
topics() { tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" "$@"; }
configs() { tool kafka.admin.ConfigCommand --bootstrap-server "$bs" "$@"; }
offsets() { tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$bs" "$@"; }
describe_topic_config() { configs --entity-type topics --entity-name tools-t --describe; }
export -f tool topics configs offsets describe_topic_config  # for the checks run by bash -c

passed=0
failed=0
out="$work/out"
check() {  # name, command... (its stdout and stderr go to $out)
  local name=$1
  shift
  if "$@" >"$out" 2>&1; then
    passed=$((passed + 1))
    echo "ok: $name"
  else
    failed=$((failed + 1))
    echo "FAILED: $name"
    sed 's/^/    /' "$out" | tail -n 20
  fi
}

port=${BROOK_TOOLS_PORT:-$(cd "$here/.." && python3 -c 'from brookd_process import pick_port; print(pick_port())')}
export bs="127.0.0.1:$port" jars work
start_brookd() {
  "$brookd" --override "listeners=PLAINTEXT://$bs" --override "log.dirs=$work/data" \
    --override log.retention.ms=-1 >>"$work/brookd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null &&
      break
    sleep 0.1
  done
}
start_brookd

# kafka-topics
check "topics --create tools-t (3 partitions)" topics --create --topic tools-t --partitions 3
check "topics --create tools-gone" topics --create --topic tools-gone --partitions 1
check "topics --list shows both" \
  bash -c 'o=$("$@") && echo "$o" && grep -qx tools-t <<<"$o" && grep -qx tools-gone <<<"$o"' _ topics --list
describe_count() {  # partitions
  local o
  o=$(topics --describe --topic tools-t) && echo "$o" && grep -q "PartitionCount: $1[[:space:]]" <<<"$o"
}
check "topics --describe: PartitionCount 3" describe_count 3
check "topics --alter --partitions 5" topics --alter --topic tools-t --partitions 5
check "topics --describe: PartitionCount 5" describe_count 5
check "topics --delete tools-gone" topics --delete --topic tools-gone
check "topics --list no longer shows tools-gone" \
  bash -c 'o=$("$@") && echo "$o" && grep -qx tools-t <<<"$o" && ! grep -qx tools-gone <<<"$o"' _ topics --list

# kafka-configs
check "configs --alter --add-config retention.ms=12345" \
  configs --entity-type topics --entity-name tools-t --alter --add-config retention.ms=12345
check "configs --describe shows retention.ms=12345" \
  bash -c 'o=$("$@") && echo "$o" && grep -q "retention.ms=12345" <<<"$o"' _ describe_topic_config
check "configs --alter --delete-config retention.ms" \
  configs --entity-type topics --entity-name tools-t --alter --delete-config retention.ms
check "configs --describe no longer shows retention.ms" \
  bash -c 'o=$("$@") && echo "$o" && ! grep -q "retention.ms=" <<<"$o"' _ describe_topic_config
check "configs --entity-type brokers --entity-name 1 --describe --all shows log.retention.*" \
  bash -c 'o=$("$@") && echo "$o" && grep -q "^ *log\.retention\." <<<"$o"' _ \
  configs --entity-type brokers --entity-name 1 --describe --all

# Console producer, kafka-get-offsets, console consumer (one partition at a time).
for i in $(seq 1 100); do echo "k$i:v$i"; done >"$work/sent"
check "console producer: 100 keyed lines" bash -c 'tool org.apache.kafka.tools.ConsoleProducer \
  --bootstrap-server "$bs" --topic tools-t --property parse.key=true --property key.separator=: \
  <"$work/sent"'
check "get-offsets --topic tools-t sums to 100" bash -c 'o=$("$@") && echo "$o" &&
  [[ $(awk -F: "{ s += \$3 } END { print s }" <<<"$o") == 100 ]]' _ offsets --topic tools-t
cp "$out" "$work/ends"
consume_all() {
  local p n
  while IFS=: read -r _ p n; do
    [[ "$n" -gt 0 ]] || continue
    tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$bs" --topic tools-t \
      --partition "$p" --from-beginning --max-messages "$n" --timeout-ms 20000 \
      --property print.key=true --property key.separator=: >>"$work/received" || return 1
  done < <(grep '^tools-t:' "$work/ends")
  diff <(sort "$work/sent") <(sort "$work/received")
}
check "console consumer --partition N --from-beginning: the 100 lines back" consume_all

# kafka-log-dirs
check "log-dirs --describe --broker-list 1: JSON with tools-t" bash -c 'o=$("$@") && echo "$o" &&
  grep "^{" <<<"$o" | grep -q "\"partition\":\"tools-t-0\""' _ \
  tool org.apache.kafka.tools.LogDirsCommand --bootstrap-server "$bs" --describe --broker-list 1

# kafka-delete-records: partition 0 up to its end offset, then that is its earliest offset.
end0=$(awk -F: '$1 == "tools-t" && $2 == 0 { print $3 }' "$work/ends")
echo "{\"version\":1,\"partitions\":[{\"topic\":\"tools-t\",\"partition\":0,\"offset\":${end0:-0}}]}" \
  >"$work/delete.json"
check "delete-records partition 0 to offset ${end0:-?}: low_watermark reported" bash -c 'o=$("$@") &&
  echo "$o" && grep -Eq "partition: tools-t-0[[:space:]]+low_watermark: $0$" <<<"$o"' "${end0:-0}" \
  tool org.apache.kafka.tools.DeleteRecordsCommand --bootstrap-server "$bs" \
  --offset-json-file "$work/delete.json"
check "get-offsets --time -2: partition 0 starts at ${end0:-?}" bash -c 'o=$("$@") && echo "$o" &&
  grep -qx "tools-t:0:$0" <<<"$o"' "${end0:-0}" offsets --topic tools-t --partitions 0 --time -2

# kafka-verifiable-producer: 2000 records with acks=-1, keys 0..99 so that all 3 partitions get
# some. It prints a JSON line per send answered (producer_send_success or producer_send_error),
# then shutdown_complete and tool_data. Every send must succeed, each fresh partition must hand out
# offsets 0, 1, 2... none twice, and kafka-get-offsets must then count as many per partition.
# The verifiable producer sets retries=0, which idempotence refuses.
printf 'enable.idempotence=true\nretries=10\n' >"$work/vp.properties"
verifiable_producer() {
  tool org.apache.kafka.tools.VerifiableProducer --bootstrap-server "$bs" --topic tools-vp \
    --max-messages 2000 --acks -1 --repeating-keys 100 --producer.config "$work/vp.properties" \
    >"$work/vp.json" || return 1
  python3 - "$work/vp.json" "$work/vp.acked" <<'PY'
import collections, json, sys
events = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
names = collections.Counter(e["name"] for e in events)
ok = [e for e in events if e["name"] == "producer_send_success"]
offsets = collections.defaultdict(list)
for e in ok:
    offsets[e["partition"]].append(e["offset"])
distinct = len({(e["partition"], e["offset"]) for e in ok})
dense = all(sorted(o) == list(range(len(o))) for o in offsets.values())
tool_data = [(e["sent"], e["acked"]) for e in events if e["name"] == "tool_data"]
print("events:", dict(names), "| acks per partition:", {p: len(offsets[p]) for p in range(3)},
      "| distinct (partition, offset):", distinct, "| 0..n-1 in each:", dense,
      "| tool_data (sent, acked):", tool_data)
with open(sys.argv[2], "w") as f:
    for p in range(3):
        print(f"tools-vp:{p}:{len(offsets[p])}", file=f)
sys.exit(not (names["producer_send_success"] == 2000 and names["producer_send_error"] == 0
              and distinct == 2000 and dense and names["shutdown_complete"] == 1
              and sorted(int(e["value"]) for e in ok) == list(range(2000))
              and tool_data == [(2000, 2000)]))
PY
}
ends_sum_to() {  # topic, sum of its end offsets
  local o
  o=$(offsets --topic "$1") && echo "$o" &&
    [[ $(awk -F: '{ s += $3 } END { print s }' <<<"$o") == "$2" ]]
}
vp_ends() {
  local o
  o=$(ends_sum_to tools-vp 2000) || { echo "$o"; return 1; }
  echo "$o" && diff <(sort <<<"$o") "$work/vp.acked"
}
check "topics --create tools-vp (3 partitions)" topics --create --topic tools-vp --partitions 3
check "verifiable-producer: 2000 sends acked with acks=-1, no error, offsets distinct and dense" \
  verifiable_producer
# The verifiable producer's one producer id wrote each partition from sequence 0, so its last
# sequence there is the partition's count - 1.
describe_producers() {
  local o want
  want=$(awk -F: '$2 == 0 { print $3 - 1 }' "$work/vp.acked")
  o=$(tool org.apache.kafka.tools.TransactionsCommand --bootstrap-server "$bs" describe-producers \
    --topic tools-vp --partition 0) && echo "$o" &&
    [[ $(awk 'NR > 1 && $1 ~ /^[0-9]+$/' <<<"$o" | wc -l) == 1 ]] &&
    awk -v want="$want" 'NR > 1 && $1 ~ /^[0-9]+$/ && $4 == want { found = 1 } END { exit !found }' \
      <<<"$o"
}
check "kafka-transactions describe-producers: one producer, last sequence = records - 1" \
  describe_producers
check "get-offsets --topic tools-vp sums to 2000, per partition as acked" vp_ends

# kafka-producer-perf-test: 50000 records of 100 bytes as fast as it goes, acks=1. It counts only
# the sends that succeed; its last line (the one with percentiles) is the total.
perf_test() {
  local o
  o=$(tool org.apache.kafka.tools.ProducerPerformance --topic tools-perf --num-records 50000 \
    --record-size 100 --throughput -1 \
    --producer-props bootstrap.servers="$bs" acks=1 enable.idempotence=false) && echo "$o" &&
    tail -n 1 <<<"$o" | grep -q '^50000 records sent, .* 99\.9th\.$'
}
check "topics --create tools-perf (3 partitions)" topics --create --topic tools-perf --partitions 3
check "producer-perf-test: 50000 records of 100 bytes, acks=1: last line says 50000 records sent" \
  perf_test
check "get-offsets --topic tools-perf sums to 50000" ends_sum_to tools-perf 50000

# Transactions: producer-perf-test with a transactional id commits a transaction every 200 ms;
# kafka-transactions then lists the id and describes it as committed.
txn_perf_test() {
  local o
  o=$(tool org.apache.kafka.tools.ProducerPerformance --topic tools-txn --num-records 5000 \
    --record-size 100 --throughput 10000 --transactional-id tools-txn \
    --transaction-duration-ms 200 --producer-props bootstrap.servers="$bs") && echo "$o" &&
    tail -n 1 <<<"$o" | grep -q '^5000 records sent'
}
transactions() { tool org.apache.kafka.tools.TransactionsCommand --bootstrap-server "$bs" "$@"; }
export -f transactions
check "topics --create tools-txn (3 partitions)" topics --create --topic tools-txn --partitions 3
check "producer-perf-test --transactional-id tools-txn: 5000 records in transactions" \
  txn_perf_test
check "get-offsets --topic tools-txn: 5000 records plus one marker per transaction and partition" \
  bash -c 'o=$("$@") && echo "$o" && (( $(awk -F: "{ s += \$3 } END { print s }" <<<"$o") > 5000 ))' \
  _ offsets --topic tools-txn
check "kafka-transactions list shows tools-txn" bash -c 'o=$("$@") && echo "$o" &&
  grep -q "^tools-txn" <<<"$o"' _ transactions list
check "kafka-transactions describe --transactional-id tools-txn: CompleteCommit" \
  bash -c 'o=$("$@") && echo "$o" && grep -q "CompleteCommit" <<<"$o"' _ \
  transactions describe --transactional-id tools-txn

# kafka-transactions find-hanging and abort. hanging_txn.py (confluent-kafka) commits a
# transaction on tools-hang-0 (c0..c4, and offset 3 of group tools-hang-g), then leaves another
# open (a0..a4, offset 7) and exits, with a 45 s transaction timeout. Its coordinator still holds
# that transaction, so find-hanging does not list it (nor does Apache Kafka: the coordinator will
# end it). kafka-transactions abort ends it anyway on both partitions it wrote, tools-hang-0 and
# the group's partition of __consumer_offsets (as `describe` names them), from the start offsets
# describe-producers shows: its WriteTxnMarkers (ABORT, coordinator epoch as the partition last
# saw) must leave no transaction open there, the last stable offset at the end, c0..c4 alone
# visible read_committed and the group's offset at 3, stable. The coordinator then times the
# transaction out and writes ABORT markers of its own, at a bumped epoch: one offset more in each
# partition, no other change, and a new incarnation of tools-hang commits on top.
hang() { timeout 120 "$py" "$here/hanging_txn.py" "$@"; }
hang_partitions() {  # the partitions of tools-hang's open transaction, one a line in $work/hang.tp
  local o
  o=$(transactions describe --transactional-id tools-hang) && echo "$o" &&
    awk 'NR == 2 && $5 == "Ongoing" { print $NF }' <<<"$o" | tr , '\n' >"$work/hang.tp" &&
    grep -qx tools-hang-0 "$work/hang.tp" && grep -Eqx '__consumer_offsets-[0-9]+' "$work/hang.tp" &&
    [[ $(wc -l <"$work/hang.tp") == 2 ]]
}
producers_of() {  # topic-partition: describe-producers' table
  transactions describe-producers --topic "${1%-*}" --partition "${1##*-}"
}
abort_open() {  # topic-partition: aborts its one open transaction from its start offset
  local o start
  o=$(producers_of "$1") && echo "$o" || return 1
  start=$(awk 'NR > 1 && $6 ~ /^[0-9]+$/ { print $6 }' <<<"$o")
  [[ $(wc -w <<<"$start") == 1 ]] || { echo "$1: not one open transaction"; return 1; }
  transactions abort --topic "${1%-*}" --partition "${1##*-}" --start-offset "$start"
}
none_open() {  # topic-partition [epoch]: producers there, none with a transaction open
  local o
  o=$(producers_of "$1") && echo "$o" &&
    awk -v epoch="${2:-}" 'NR > 1 && $1 ~ /^[0-9]+$/ { n++; if ($6 != "None") bad = 1
      if (epoch != "" && $2 != epoch) bad = 1 } END { exit !(n > 0 && !bad) }' <<<"$o"
}
no_hanging() {
  local o
  o=$(transactions find-hanging --broker-id 1 --max-transaction-timeout 0) && echo "$o" &&
    [[ $(wc -l <<<"$o") == 1 ]] && grep -q '^Topic' <<<"$o"
}
hang_ends() {  # the end offsets of tools-hang's two partitions, topic:partition:offset sorted
  offsets --topic-partitions "$(sed -E 's/-([0-9]+)$/:\1/' "$work/hang.tp" | paste -sd,)" | sort
}
hang_ends_grew() {  # each end offset one more than in $work/hang.ends
  local o
  o=$(hang_ends) && echo "$o" &&
    diff <(awk -F: '{ print $1 ":" $2 ":" $3 + 1 }' "$work/hang.ends") <(echo "$o")
}
timed_out() {  # waits (bounded) until the coordinator has aborted tools-hang at epoch 1
  local o i
  for i in $(seq 1 60); do
    o=$(transactions describe --transactional-id tools-hang) || return 1
    if awk 'NR == 2 && $4 == 1 && $5 == "CompleteAbort" { f = 1 } END { exit !f }' <<<"$o"; then
      echo "$o"
      return 0
    fi
    sleep 2
  done
  echo "$o"
  return 1
}
check "topics --create tools-hang (1 partition)" topics --create --topic tools-hang --partitions 1
check "hanging_txn.py: tools-hang commits c0..c4, leaves a0..a4 open (45 s timeout), exits" \
  hang open "$bs" tools-hang tools-hang 45000 tools-hang-g
check "kafka-transactions describe: tools-hang Ongoing on tools-hang-0 and a __consumer_offsets partition" \
  hang_partitions
check "kafka-transactions find-hanging --broker-id 1: none (the coordinator holds the transaction)" \
  no_hanging
for tp in $(cat "$work/hang.tp" 2>/dev/null); do
  check "kafka-transactions abort --topic ${tp%-*} --partition ${tp##*-} --start-offset (open one)" \
    abort_open "$tp"
  check "kafka-transactions describe-producers $tp: no transaction open" none_open "$tp"
done
check "read_committed: LSO = high watermark, c0..c4 only to the end; group offset 3, stable" \
  hang check "$bs" tools-hang c0,c1,c2,c3,c4 tools-hang-g 3
hang_ends >"$work/hang.ends" || true
check "the coordinator times tools-hang out: describe says CompleteAbort at epoch 1" timed_out
check "its ABORT markers: one offset more in each of the two partitions" hang_ends_grew
for tp in $(cat "$work/hang.tp" 2>/dev/null); do
  check "kafka-transactions describe-producers $tp: epoch 1, no transaction open" none_open "$tp" 1
done
check "read_committed after the second markers: the same, to the new end" \
  hang check "$bs" tools-hang c0,c1,c2,c3,c4 tools-hang-g 3
check "a new incarnation of tools-hang commits d0..d4" hang commit "$bs" tools-hang tools-hang
check "read_committed: c0..c4 d0..d4 to the end" \
  hang check "$bs" tools-hang c0,c1,c2,c3,c4,d0,d1,d2,d3,d4 tools-hang-g 3
check "kafka-transactions find-hanging --broker-id 1: none" no_hanging

# kafka-verifiable-consumer: group tools-vc reads tools-vp from the earliest offset, 2000 records
# (as many as were produced), committing after each poll (no auto-commit). It prints a JSON line
# per event: partitions_assigned, records_consumed (count, then per partition count, minOffset and
# maxOffset), offsets_committed (success), partitions_revoked, shutdown_complete. A lone member
# gets all 3 partitions and should read each record once: the counts must sum to 2000, the offset
# ranges read must cover 0..n-1 of each partition (n as acked to the producer), every commit must
# succeed and the last commit of each partition must be n.
verifiable_consumer() {
  tool org.apache.kafka.tools.VerifiableConsumer --bootstrap-server "$bs" --topic tools-vp \
    --group-id tools-vc --group-protocol classic --max-messages 2000 --reset-policy earliest \
    >"$work/vc.json" || return 1
  python3 - "$work/vc.json" "$work/vp.acked" <<'PY'
import collections, json, sys
events = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
names = collections.Counter(e["name"] for e in events)
ends = {int(p): int(n) for _, p, n in (line.strip().split(":") for line in open(sys.argv[2]))}
consumed = sum(e["count"] for e in events if e["name"] == "records_consumed")
read = collections.defaultdict(set)
for e in events:
    for p in e["partitions"] if e["name"] == "records_consumed" else []:
        read[p["partition"]].update(range(p["minOffset"], p["maxOffset"] + 1))
covered = all(read[p] == set(range(n)) for p, n in ends.items())
commits = [e for e in events if e["name"] == "offsets_committed"]
last = {o["partition"]: o["offset"] for e in commits for o in e["offsets"]}
assigned = {p["partition"] for e in events if e["name"] == "partitions_assigned"
            for p in e["partitions"]}
print("events:", dict(names), "| consumed:", consumed, "| read per partition:",
      {p: len(read[p]) for p in sorted(read)}, "| 0..n-1 in each:", covered,
      "| commits failed:", sum(not e["success"] for e in commits), "| last committed:",
      dict(sorted(last.items())), "| ends:", ends, "| assigned:", sorted(assigned))
sys.exit(not (consumed == 2000 and covered and commits and all(e["success"] for e in commits)
              and last == ends and assigned == {0, 1, 2} and names["shutdown_complete"] == 1))
PY
}
check "verifiable-consumer --group-id tools-vc: 2000 records once each, all commits succeed" \
  verifiable_consumer

# kafka-consumer-perf-test: group tools-cpt reads the 50000 records of tools-perf (it auto-commits,
# so the group stays listed). It prints a header and one result line, whose fifth column
# (data.consumed.in.nMsg) counts the records read. --timeout, the longest wait for a poll to
# return records, covers the first join, which waits group.initial.rebalance.delay.ms.
echo group.protocol=classic >"$work/cpt.properties"
consumer_perf_test() {
  local o
  o=$(tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$bs" --topic tools-perf \
    --messages 50000 --group tools-cpt --timeout 60000 --consumer.config "$work/cpt.properties") &&
    echo "$o" && grep -q '^start.time, .*, data.consumed.in.nMsg, ' <<<"$o" &&
    [[ $(tail -n 1 <<<"$o" | awk -F', ' '{ print $5 }') == 50000 ]]
}
check "consumer-perf-test --group tools-cpt: 50000 records consumed" consumer_perf_test

# kafka-consumer-groups: both groups listed. tools-vc (empty now) committed each partition up to
# its end, so --describe shows CURRENT-OFFSET = LOG-END-OFFSET = as acked, LAG 0. Its offsets
# reset to the earliest are 0 (nothing was deleted from tools-vp). Deleting tools-cpt unlists it.
consumer_groups() {
  tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$bs" "$@"
}
export -f consumer_groups
describe_vc() {  # awk condition that each of tools-vc's 3 rows must meet
  local o
  o=$(consumer_groups --describe --group tools-vc) && echo "$o" &&
    awk '$1 == "tools-vc" { print $2 ":" $3 ":" $5 }' <<<"$o" | sort | diff - "$work/vp.acked" &&
    [[ $(awk '$1 == "tools-vc" && $2 == "tools-vp" && ('"$1"')' <<<"$o" | wc -l) == 3 ]]
}
check "consumer-groups --list shows tools-vc and tools-cpt" bash -c 'o=$("$@") && echo "$o" &&
  grep -qx tools-vc <<<"$o" && grep -qx tools-cpt <<<"$o"' _ consumer_groups --list
check "consumer-groups --describe --group tools-vc: 3 partitions at their end, LAG 0" \
  describe_vc '$4 == $5 && $6 == 0'
check "consumer-groups --reset-offsets --group tools-vc --to-earliest --execute: 3 times 0" \
  bash -c 'o=$("$@") && echo "$o" &&
  [[ $(awk "\$1 == \"tools-vc\" && \$2 == \"tools-vp\" && \$4 == 0" <<<"$o" | wc -l) == 3 ]]' _ \
  consumer_groups --reset-offsets --group tools-vc --topic tools-vp --to-earliest --execute
check "consumer-groups --describe --group tools-vc: CURRENT-OFFSET 0, LAG = LOG-END-OFFSET" \
  describe_vc '$4 == 0 && $6 == $5'
check "consumer-groups --delete --group tools-cpt" bash -c 'o=$("$@") && echo "$o" &&
  grep -q "tools-cpt.*successful" <<<"$o"' _ consumer_groups --delete --group tools-cpt
check "consumer-groups --list: tools-vc, no longer tools-cpt" bash -c 'o=$("$@") && echo "$o" &&
  grep -qx tools-vc <<<"$o" && ! grep -qx tools-cpt <<<"$o"' _ consumer_groups --list

# kafka-configs on a group (KIP-848 group configs): set, refused, and kept over a restart.
describe_group_config() { configs --entity-type groups --entity-name tools-vc --describe; }
export -f describe_group_config
check "configs --entity-type groups --alter --add-config consumer.session.timeout.ms=50000,..." \
  configs --entity-type groups --entity-name tools-vc --alter \
  --add-config consumer.session.timeout.ms=50000,consumer.heartbeat.interval.ms=6000
check "configs --entity-type groups --describe shows both" bash -c 'o=$("$@") && echo "$o" &&
  grep -q "consumer.session.timeout.ms=50000" <<<"$o" &&
  grep -q "consumer.heartbeat.interval.ms=6000" <<<"$o"' _ describe_group_config
check "configs --entity-type groups: an unknown config is refused with Kafka's message" \
  bash -c 'o=$("$@" 2>&1) && exit 1
    echo "$o" && grep -q "Unknown group config name: no.such" <<<"$o"' _ \
  configs --entity-type groups --entity-name tools-vc --alter --add-config no.such=1
check "configs --entity-type groups: a session timeout out of range is refused" \
  bash -c 'o=$("$@" 2>&1) && exit 1
    echo "$o" && grep -q "must be in the range 45000 to 60000" <<<"$o"' \
  _ configs --entity-type groups --entity-name tools-vc --alter \
  --add-config consumer.session.timeout.ms=1000

# A transaction its coordinator has forgotten hangs for good, which is what find-hanging finds:
# tools-lost leaves a transaction open (10 min timeout) on tools-lost-0, then brookd restarts
# without its __transaction_state (as if that state were lost). find-hanging lists the
# transaction, abort ends it from the start offset find-hanging shows, and then no transaction is
# open there, read_committed sees c0..c4 to the end, and find-hanging lists nothing.
check "topics --create tools-lost (1 partition)" topics --create --topic tools-lost --partitions 1
check "hanging_txn.py: tools-lost commits c0..c4, leaves a0..a4 open (10 min timeout), exits" \
  hang open "$bs" tools-lost tools-lost 600000
lost_hanging() {  # find-hanging lists tools-lost-0 alone; its start offset goes to $work/lost.start
  local o
  o=$(transactions find-hanging --broker-id 1 --max-transaction-timeout 0) && echo "$o" &&
    [[ $(wc -l <<<"$o") == 2 ]] &&
    awk 'NR == 2 && $1 == "tools-lost" && $2 == 0 { print $6 }' <<<"$o" >"$work/lost.start" &&
    grep -Eqx '[0-9]+' "$work/lost.start"
}

# brookd stops cleanly on SIGTERM and logged no errors.
stop() { kill -TERM "$pid" && wait "$pid"; }
check "brookd stops on SIGTERM" stop
pid=""
rm -rf "$work"/data/__transaction_state-*
start_brookd
check "after a restart, the group's configs are still there" bash -c 'o=$("$@") && echo "$o" &&
  grep -q "consumer.session.timeout.ms=50000" <<<"$o" &&
  grep -q "consumer.heartbeat.interval.ms=6000" <<<"$o"' _ describe_group_config
check "restarted without __transaction_state: find-hanging --broker-id 1 lists tools-lost-0" \
  lost_hanging
check "kafka-transactions abort --topic tools-lost --partition 0 --start-offset (find-hanging's)" \
  transactions abort --topic tools-lost --partition 0 --start-offset "$(cat "$work/lost.start")"
check "kafka-transactions describe-producers tools-lost-0: no transaction open" \
  none_open tools-lost-0
check "read_committed: LSO = high watermark, c0..c4 only to the end" \
  hang check "$bs" tools-lost c0,c1,c2,c3,c4
check "kafka-transactions find-hanging --broker-id 1: none after the abort" no_hanging
check "brookd stops on SIGTERM again" stop
pid=""
check "brookd log has no ERROR / AddressSanitizer lines" \
  bash -c '! grep -E "ERROR|AddressSanitizer" "$0"' "$work/brookd.log"
grep -i "not served by this broker" "$work/brookd.log" | sed 's/^/note: /' || true

echo "tools: $passed passed, $failed failed"
[[ $failed == 0 ]]
