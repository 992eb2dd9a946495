#!/usr/bin/env bash
# Checks Brook's __consumer_offsets record formats (src/coordinator/offsets_records) against Apache
# Kafka's own group coordinator classes, byte for byte, in both directions:
#   1. Brook writes every sample record (every record type and value version, tombstones);
#   2. Kafka's GroupCoordinatorRecordSerde reads each and writes it back unchanged, its JSON
#      converters (what kafka-console-consumer's offsets formatter prints) render it, and Kafka's
#      generated classes build the same sample from the same values to the same bytes;
#   3. Brook reads Kafka's encodings (plus share and streams group records it keeps as unknown
#      bytes), finds its own sample values in them and writes them back unchanged.
#
# Usage: tests/compat/offsets-records/run.sh [path/to/brook_coordinator_tests] [--verbose]
#   Without a path, the newest build/*/src/coordinator/brook_coordinator_tests is used.
#   --verbose prints Kafka's JSON rendering of every record Brook wrote.
# Environment: BROOK_JAR_CACHE (default ~/.cache/brook/jars) holds the jars; KAFKA and JACKSON
#   override the pinned releases. Needs java/javac 17 and, for the first fetch, mvn.
# Ends with "offsets-records: N passed, N failed"; exits non-zero if anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

KAFKA=${KAFKA:-4.4.0}
# jackson-databind for Kafka's JSON converters; 2.21.7 is what Kafka 4.4.0 ships. From 2.20 on,
# jackson-annotations is versioned by major.minor only.
JACKSON=${JACKSON:-2.21.7}
JACKSON_ANNOTATIONS=${JACKSON%.*}
cache=${BROOK_JAR_CACHE:-$HOME/.cache/brook/jars}

bin=""
java_args=()
for a in "$@"; do
  case "$a" in
    --verbose) java_args+=(--verbose) ;;
    -*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
    *) bin=$a ;;
  esac
done
if [[ -z "$bin" ]]; then
  bin=$(ls -t "$root"/build/*/src/coordinator/brook_coordinator_tests 2>/dev/null | head -n1 || true)
  if [[ -z "$bin" ]]; then
    echo "run.sh: no build/*/src/coordinator/brook_coordinator_tests; build it or pass its path" >&2
    exit 2
  fi
fi
[[ -x "$bin" ]] || { echo "run.sh: $bin is not an executable" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-offsets-records.XXXXXX")
trap 'rm -rf "$work"' EXIT

# (1) Jars from Maven Central, fetched once into the cache: the generated record classes and the
# serde (kafka-group-coordinator), its runtime base classes (kafka-coordinator-common,
# ApiMessageAndVersion in kafka-server-common), the protocol (kafka-clients), Jackson.
fetch() { "$root/scripts/fetch-jar.sh" "$1" >/dev/null || exit 2; }
cp=""
for a in kafka-clients kafka-group-coordinator kafka-coordinator-common kafka-server-common; do
  fetch "org.apache.kafka:$a:$KAFKA"
  cp+="$cache/$a-$KAFKA.jar:"
done
for a in jackson-core jackson-databind; do
  fetch "com.fasterxml.jackson.core:$a:$JACKSON"
  cp+="$cache/$a-$JACKSON.jar:"
done
fetch "com.fasterxml.jackson.core:jackson-annotations:$JACKSON_ANNOTATIONS"
cp+="$cache/jackson-annotations-$JACKSON_ANNOTATIONS.jar"

# (2) Brook's encodings of its samples.
echo "offsets-records: dumping Brook's samples from $bin"
if ! BROOK_OFFSETS_DUMP="$work/brook.tsv" "$bin" --gtest_filter='offsets_compat.dump' \
  --gtest_brief=1 >"$work/dump.log" 2>&1; then
  tail -n 40 "$work/dump.log"
  echo "run.sh: Brook's dump failed" >&2
  exit 1
fi

# (3) Kafka reads and rebuilds them, and writes its own.
javac -nowarn -d "$work/classes" -cp "$cp" "$here/OffsetsRecordsCheck.java"
status=0
java -cp "$work/classes:$cp" OffsetsRecordsCheck "$work/brook.tsv" "$work/kafka.tsv" \
  "${java_args[@]}" | tee "$work/kafka.out" || status=1

# (4) Brook reads Kafka's.
BROOK_OFFSETS_KAFKA="$work/kafka.tsv" "$bin" --gtest_filter='offsets_compat.read_kafka_encodings' \
  --gtest_brief=1 >"$work/brook.out" 2>&1 || status=1
grep -E '^(FAIL|offsets-records brook:)' "$work/brook.out" || true

totals() {
  sed -n "s/^offsets-records $1: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p" "$2"
}
no_result() {
  tail -n 40 "$2" >&2
  echo "run.sh: no result from $1" >&2
  exit 1
}
read -r p1 f1 < <(totals kafka "$work/kafka.out") || no_result Kafka "$work/kafka.out"
read -r p2 f2 < <(totals brook "$work/brook.out") || no_result Brook "$work/brook.out"
echo "offsets-records: $((p1 + p2)) passed, $((f1 + f2)) failed"
((f1 + f2 == 0)) || status=1
exit $status
