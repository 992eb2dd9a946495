#!/usr/bin/env bash
# Fetches the jars of one pinned Apache Kafka 4.x release from Maven Central into a cache folder,
# so run-kafka.sh can start a real broker with nothing but `java -cp`.
#
# Usage: tests/captures/setup-kafka.sh
# Environment: BROOK_KAFKA_VERSION (default in common.sh), BROOK_KAFKA_HOME (default
#   ~/.cache/brook/kafka-<version>). The jars land in $BROOK_KAFKA_HOME/libs; a second run with
#   them in place does nothing. Needs Java 17+ and Maven; on Debian, as root, installs them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=common.sh
source "$here/common.sh"

# Java 17 or newer (Kafka 4.x brokers need it) and Maven.
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }
if ! command -v java >/dev/null || ! command -v javac >/dev/null || [[ $(java_major) -lt 17 ]]; then
  captures_apt_install default-jdk-headless
fi
[[ $(java_major) -ge 17 ]] || captures_die "Kafka $BROOK_KAFKA_VERSION needs Java 17 or newer"
command -v mvn >/dev/null || captures_apt_install maven

libs="$BROOK_KAFKA_HOME/libs"
stamp="$libs/.complete"
if [[ -f "$stamp" ]]; then
  captures_log "Kafka $BROOK_KAFKA_VERSION jars already in $libs"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-kafka-setup.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A throw-away pom whose dependencies are the broker (kafka_2.13 pulls in server, storage, raft,
# metadata and the coordinators), the clients, the tools, and log4j2's slf4j binding, which the
# Kafka 4.x distribution also ships.
v=$BROOK_KAFKA_VERSION
dep() { printf '    <dependency><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></dependency>\n' "$1" "$2" "$3"; }
{
  echo '<project xmlns="http://maven.apache.org/POM/4.0.0">'
  echo '  <modelVersion>4.0.0</modelVersion>'
  echo '  <groupId>brook.captures</groupId><artifactId>kafka-runtime</artifactId><version>1</version>'
  echo '  <packaging>pom</packaging>'
  echo '  <dependencies>'
  dep org.apache.kafka kafka_2.13 "$v"
  dep org.apache.kafka kafka-clients "$v"
  dep org.apache.kafka kafka-server "$v"
  dep org.apache.kafka kafka-storage "$v"
  dep org.apache.kafka kafka-tools "$v"
  dep org.apache.logging.log4j log4j-slf4j-impl 2.25.5
  echo '  </dependencies>'
  echo '</project>'
} >"$work/pom.xml"

captures_log "fetching Apache Kafka $v from Maven Central into $libs"
rm -rf "$libs"
mkdir -p "$libs"
(cd "$work" && timeout 900 mvn -B -Dstyle.color=never dependency:copy-dependencies -DincludeScope=runtime \
  -DoutputDirectory="$libs" >"$work/mvn.log" 2>&1) ||
  { tail -n 30 "$work/mvn.log" >&2; captures_die "cannot fetch Kafka $v with Maven"; }
[[ -f "$libs/kafka_2.13-$v.jar" && -f "$libs/kafka-clients-$v.jar" ]] ||
  captures_die "Maven finished but the Kafka $v jars are missing from $libs"
echo "$v" >"$stamp"
captures_log "Kafka $v: $(find "$libs" -name "*.jar" | wc -l) jars in $libs"
