#!/usr/bin/env bash
# Log compaction with real clients (confluent-kafka for producing and consuming, kafka-python for
# DescribeLogDirs). Written against Apache Kafka 4.4.0 first, so that brookd's cleaner is held to
# Kafka's behaviour.
#
# Checks (each prints "ok: ..." or "FAILED: ..." with what it saw):
#  1. A compacted topic (segment.ms=500, delete.retention.ms=5000, min.compaction.lag.ms=0, and
#     min.cleanable.dirty.ratio=1 so that nothing is cleaned yet): 200 keys overwritten in 10
#     rounds (2000 records, a round every 300 ms so they span segments), then tombstones for 20
#     keys; all of it is read back, and the partition's size taken (DescribeLogDirs). Then
#     min.cleanable.dirty.ratio=0.01 (IncrementalAlterConfigs), and a ticker appends to a key of
#     its own every 150 ms so that segments keep rolling. Then, waiting (bounded) for the cleaner:
#     every key once in the produced range, with exactly its latest value (a tombstoned key only
#     as its tombstone, or gone); offsets strictly increase and every record read is the one
#     acknowledged at its offset; a consumer replaying from the start ends with the producers'
#     final state; a fetch from an offset the cleaner removed starts at the next record;
#     DescribeLogDirs reports a smaller partition; the tombstoned keys vanish once
#     delete.retention.ms passed (later cleans), the other keys keep their latest value.
#  2. Transactions on a compacted topic (delete.retention.ms=2000, not cleaned until written): a
#     confluent-kafka transactional producer writes 8 rounds over 40 keys, one transaction a
#     round, rounds 2, 5 and 7 aborted, then one last committed record; read_committed sees the
#     committed rounds, read_uncommitted all. Once the dirty ratio is lowered (and the ticker
#     rolls segments): read_uncommitted no longer sees the aborted records and, like
#     read_committed, sees exactly the latest committed value of each key; the partition got
#     smaller; after 2 x delete.retention.ms both still read the same, and brookd's partition
#     folder has no .txnindex file left (the aborted transactions' data is gone) and only the
#     two markers of transactions with records left.
#  3. brookd only (offsets.topic.segment.bytes=8192): 3000 commits of one group shrink in
#     __consumer_offsets, and the last commit is what the group reads after a kill -9.
#  4. brookd only: kill -9 while the cleaner works (as soon as a .cleaned or .swap file appears in
#     the partition folder, sometimes a few ms later), restart, read everything: every record read
#     was sent (an acknowledged one at its offset), offsets increase, and every key's last
#     acknowledged record is there or superseded by a later record of that key. Repeated
#     (--cycles, default 5); prints the cycles, the kills that hit a clean, the interrupted swaps
#     completed at start, the records acknowledged and the keys lost.
#  At the end brookd must exit 0 on SIGTERM and its log must have no ERROR / AddressSanitizer /
#  runtime error line.
# Every wait is bounded (the cleaner gets 90 s with brookd, 180 s with another broker); the whole
# run is cut at 15 minutes. Ends with "compaction: N passed, N failed"; exits 1 if anything failed.
#
# Usage:
#   tests/compat/compaction/run.sh path/to/brookd [--cycles N]
#       starts brookd on a free port of 31000-31999 (BROOK_TEST_PORTS=LOW-HIGH for another
#       range) with a temporary log dir and log.cleaner.backoff.ms=200
#   tests/compat/compaction/run.sh --bootstrap HOST:PORT
#       a broker already running, e.g. Kafka with the same cleaner backoff:
#       scripts/kafka-server.sh start /tmp/k 4.4.0 31092 log.cleaner.backoff.ms=200 && \
#         tests/compat/compaction/run.sh --bootstrap 127.0.0.1:31092
#       scripts/kafka-server.sh stop /tmp/k
# Environment: BROOK_CLIENTS_VENV (default ~/.cache/brook/venv-clients: kafka-python,
#   confluent-kafka; tests/compat/clients-venv.sh makes it when missing). BROOK_COMPACTION_KEEP=1
#   keeps the work folder (brookd.log, brookd-data, rdkafka.log).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed '$d' >&2; exit 2; }
[[ $# -ge 1 ]] || usage

py=$("$here/../clients-venv.sh")
keep=()
[[ ${BROOK_COMPACTION_KEEP:-} == 1 ]] && keep=(--keep)
# The check takes the brookd path or --bootstrap HOST:PORT itself, and cuts itself after 15 minutes.
exec "$py" -u "$here/compaction_check.py" "${keep[@]}" "$@"
