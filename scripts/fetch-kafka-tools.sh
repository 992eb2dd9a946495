#!/usr/bin/env bash
# Apache Kafka VERSION's jars (bench/load/fetch_kafka.sh) plus org.apache.kafka:kafka-tools and
# what it needs beyond them (its runtime dependencies, without log4j: fetch_kafka.sh already put a
# newer log4j there), fetched once with Maven into the same folder. Prints that folder.
#
# Usage: scripts/fetch-kafka-tools.sh VERSION
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
v=${1:?usage: fetch-kafka-tools.sh VERSION}
jars=$("$root/bench/load/fetch_kafka.sh" "$v")
if [[ ! -f "$jars/kafka-tools-$v.jar" ]]; then
  echo "fetch-kafka-tools: fetching org.apache.kafka:kafka-tools:$v into $jars" >&2
  work=$(mktemp -d "${TMPDIR:-/tmp}/brook-kafka-tools.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>brook.test</groupId><artifactId>kafka-tools-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$v</version></dependency>
  </dependencies>
</project>
POM
  if ! (cd "$work" && timeout 900 mvn -B -Dstyle.color=never dependency:copy-dependencies \
    -DincludeScope=runtime -DexcludeGroupIds=org.apache.logging.log4j -DoutputDirectory="$jars") \
    >"$work/mvn.log" 2>&1; then
    tail -n 30 "$work/mvn.log" >&2
    echo "fetch-kafka-tools: cannot fetch kafka-tools $v with Maven" >&2
    exit 2
  fi
fi
echo "$jars"
