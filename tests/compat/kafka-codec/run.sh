#!/usr/bin/env bash
# Checks Brook's codec against Apache Kafka's own, byte for byte and value for value, for every
# message and version.
#
# Brook's round-trip tests dump every encoding they check, with Brook's JSON of the message beside
# it (BROOK_CODEC_DUMP_DIR, see src/protocol/tests/round_trip.h); KafkaCodecCheck.java reads each
# with Kafka's generated message class, writes it back and compares the bytes, then renders what it
# read with Kafka's JSON converter and compares the values with Brook's JSON. Two pinned
# kafka-clients releases: the newest 4.x checks every message and version it knows; 3.9 checks what
# only it knows (the versions Kafka 4.0 removed and the ZooKeeper-era APIs). Dumps that neither
# knows are counted as skipped and listed.
#
# Usage: tests/compat/kafka-codec/run.sh [path/to/brook_protocol_tests] [--verbose]
#   Without a path, the newest build/*/src/protocol/brook_protocol_tests is used.
#   --verbose prints both encodings in hex and Kafka's decoded message for each byte mismatch, and
#   both normalised JSON renderings for each value mismatch.
# Environment: BROOK_JAR_CACHE (default ~/.cache/brook/jars) holds the jars; KAFKA_NEW, KAFKA_OLD
#   and JACKSON override the pinned releases. Needs java/javac 17 and, for the first fetch, mvn.
# Ends with "kafka-codec: N passed, N failed, N skipped"; exits non-zero if anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

KAFKA_NEW=${KAFKA_NEW:-4.4.0}
KAFKA_OLD=${KAFKA_OLD:-3.9.2}
# Kafka's JSON converters are compiled against jackson-databind, which kafka-clients' pom leaves
# out (compileOnly). 2.21.7 is what Kafka 4.4.0 ships (kafka-server-common's pom); 3.9.2 ships
# 2.16.2, and Jackson 2.x keeps minor releases backward compatible, so one version serves both.
# From 2.20 on, jackson-annotations is versioned by major.minor only.
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
  bin=$(ls -t "$root"/build/*/src/protocol/brook_protocol_tests 2>/dev/null | head -n1 || true)
  if [[ -z "$bin" ]]; then
    echo "run.sh: no build/*/src/protocol/brook_protocol_tests; build it or pass its path" >&2
    exit 2
  fi
fi
[[ -x "$bin" ]] || { echo "run.sh: $bin is not an executable" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-kafka-codec.XXXXXX")
trap 'rm -rf "$work"' EXIT

# (1) kafka-clients jars, fetched once from Maven Central into the cache.
mkdir -p "$cache"
fetch() { "$root/scripts/fetch-jar.sh" "$1" >/dev/null || exit 2; }
for v in "$KAFKA_NEW" "$KAFKA_OLD"; do
  fetch "org.apache.kafka:kafka-clients:$v"
done
# 3.9's MemoryRecords (records fields) needs slf4j-api; slf4j-nop keeps it quiet.
for a in slf4j-api slf4j-nop; do
  fetch "org.slf4j:$a:1.7.36"
done
for a in jackson-core jackson-databind; do
  fetch "com.fasterxml.jackson.core:$a:$JACKSON"
done
fetch "com.fasterxml.jackson.core:jackson-annotations:$JACKSON_ANNOTATIONS"
jackson="$cache/jackson-core-$JACKSON.jar:$cache/jackson-databind-$JACKSON.jar"
jackson+=":$cache/jackson-annotations-$JACKSON_ANNOTATIONS.jar"

# (2) Brook's encodings of every message and version (two samples each), each with its JSON.
dumps="$work/dumps"
mkdir -p "$dumps"
echo "kafka-codec: dumping encodings from $bin"
if ! BROOK_CODEC_DUMP_DIR="$dumps" "$bin" --gtest_filter='round_trip.*' --gtest_brief=1 \
  >"$work/gtest.log" 2>&1; then
  tail -n 40 "$work/gtest.log"
  echo "run.sh: Brook's round-trip tests failed" >&2
  exit 1
fi

# (3) Kafka reads, rewrites and renders them: the newest jar first, then 3.9 for what the newest
# lacks.
javac -nowarn -d "$work/classes" -cp "$cache/kafka-clients-$KAFKA_NEW.jar:$jackson" \
  "$here/KafkaCodecCheck.java"
status=0
check() {
  local version=$1
  shift
  echo "kafka-codec: against kafka-clients $version"
  local cp="$work/classes:$cache/kafka-clients-$version.jar"
  cp+=":$cache/slf4j-api-1.7.36.jar:$cache/slf4j-nop-1.7.36.jar:$jackson"
  java -cp "$cp" \
    KafkaCodecCheck "$dumps" "${java_args[@]}" "$@" | tee "$work/out-$version.txt" ||
    status=1
}
check "$KAFKA_NEW" --handled "$work/handled.txt"
check "$KAFKA_OLD" --exclude "$work/handled.txt" --list-skipped

# Totals: every dump is checked by one jar, or skipped when neither knows it.
totals() {
  sed -n 's/^kafka-codec: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' \
    "$work/out-$1.txt"
}
no_result() {
  echo "run.sh: no result from kafka-clients $1" >&2
  exit 1
}
read -r p1 f1 _ < <(totals "$KAFKA_NEW") || no_result "$KAFKA_NEW"
read -r p2 f2 s2 < <(totals "$KAFKA_OLD") || no_result "$KAFKA_OLD"
echo "kafka-codec: $((p1 + p2)) passed, $((f1 + f2)) failed, $s2 skipped"
exit $status
