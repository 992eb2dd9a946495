#!/usr/bin/env bash
# Fetches the jars of one Apache Kafka release, 4.x or 3.9 (the broker with its runtime
# dependencies and a log4j2 binding) from Maven Central into
# ${BROOK_JAR_CACHE:-~/.cache/brook/jars}/kafka-<version>/, so broker_bench.sh can start a KRaft
# single-node broker with `java -cp '<dir>/*' kafka.Kafka`.
# A second run with the jars in place does nothing. Prints the folder on stdout.
#
# Usage: bench/load/fetch_kafka.sh [VERSION]     (default: $BROOK_BENCH_KAFKA_VERSION or 4.1.1)
set -euo pipefail

v=${1:-${BROOK_BENCH_KAFKA_VERSION:-4.1.1}}
dir="${BROOK_JAR_CACHE:-$HOME/.cache/brook/jars}/kafka-$v"
if [[ -f "$dir/.complete" ]]; then
  echo "$dir"
  exit 0
fi
command -v mvn >/dev/null || { echo "fetch_kafka: needs Maven (apt-get install maven)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-kafka-fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
dep() { printf '    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>\n' "$1" "$2" "$3"; }
{
  echo '<project xmlns="http://maven.apache.org/POM/4.0.0">'
  echo '  <modelVersion>4.0.0</modelVersion>'
  echo '  <groupId>brook.bench</groupId><artifactId>kafka-runtime</artifactId><version>1</version>'
  echo '  <packaging>pom</packaging>'
  echo '  <dependencies>'
  dep org.apache.kafka kafka_2.13 "$v"
  dep org.apache.logging.log4j log4j-slf4j-impl 2.25.5
  echo '  </dependencies>'
  echo '</project>'
} >"$work/pom.xml"

echo "fetch_kafka: fetching Apache Kafka $v into $dir" >&2
rm -rf "$dir"
mkdir -p "$dir"
(cd "$work" && timeout 900 mvn -B -Dstyle.color=never dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="$dir" >"$work/mvn.log" 2>&1) ||
  { tail -n 30 "$work/mvn.log" >&2; echo "fetch_kafka: cannot fetch Kafka $v with Maven" >&2; exit 1; }
[[ -f "$dir/kafka_2.13-$v.jar" ]] || { echo "fetch_kafka: kafka_2.13-$v.jar missing from $dir" >&2; exit 1; }
echo "$v" >"$dir/.complete"
echo "fetch_kafka: $(find "$dir" -name '*.jar' | wc -l) jars in $dir" >&2
echo "$dir"
