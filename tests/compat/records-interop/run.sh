#!/usr/bin/env bash
# Checks that real Kafka clients' decoders read the record batches and message sets Brook builds,
# for every magic and codec.
#
# Brook's records_dump test builds a fixed set of record sets (magic 2 with every codec, log append
# time, transactional, idempotent and control batches; magic 1 and 0 message sets with every codec
# they have) and, with BROOK_RECORDS_DUMP_DIR set, writes each as <name>.bin with the expected
# content as <name>.json. Then:
#   - RecordsCheck.java reads them with Apache Kafka's MemoryRecords, under two pinned
#     kafka-clients releases (the newest 4.x and 3.9), with the compression libraries each one's
#     pom names;
#   - records_check.py reads them with kafka-python's MemoryRecords, in a virtual environment
#     with the compression modules it uses.
# Both compare every batch and record field with the expectation.
#
# Usage: tests/compat/records-interop/run.sh [path/to/brook_protocol_tests] [--verbose]
#   Without a path, the newest build/*/src/protocol/brook_protocol_tests is used.
#   --verbose prints every mismatch in full instead of the first few, shortened.
# Environment: BROOK_JAR_CACHE (default ~/.cache/brook/jars) holds the jars; KAFKA_NEW, KAFKA_OLD
#   and JACKSON override the pinned releases. BROOK_RECORDS_VENV (default
#   ~/.cache/brook/venv-records) is the Python environment, BROOK_RECORDS_PIP_PACKAGES what is
#   installed in it. Needs java/javac 17, python3 with venv, and for the first fetch mvn and PyPI.
# Ends with "records-interop: N passed, N failed, N skipped" (sets, summed over the clients);
# exits non-zero if anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

KAFKA_NEW=${KAFKA_NEW:-4.4.0}
KAFKA_OLD=${KAFKA_OLD:-3.9.2}
# Only jackson-databind's tree model is used, to read the expectations.
JACKSON=${JACKSON:-2.21.7}
JACKSON_ANNOTATIONS=${JACKSON%.*}
cache=${BROOK_JAR_CACHE:-$HOME/.cache/brook/jars}
venv=${BROOK_RECORDS_VENV:-$HOME/.cache/brook/venv-records}
# kafka-python reads every codec through these modules; xxhash is what it needs for magic-0 lz4
# (it fixes up the KAFKA-3160 header checksum).
pip_packages=${BROOK_RECORDS_PIP_PACKAGES:-"kafka-python==3.0.12 python-snappy==0.7.3 lz4==4.4.5 zstandard==0.25.0 xxhash==4.1.0"}

bin=""
verbose=()
for a in "$@"; do
  case "$a" in
    --verbose) verbose+=(--verbose) ;;
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

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-records-interop.XXXXXX")
trap 'rm -rf "$work"' EXIT

# (1) Brook's record sets, each with its expectation.
dumps="$work/dumps"
mkdir -p "$dumps"
echo "records-interop: dumping record sets from $bin"
if ! BROOK_RECORDS_DUMP_DIR="$dumps" "$bin" --gtest_filter='records_dump.*' --gtest_brief=1 \
  >"$work/gtest.log" 2>&1; then
  tail -n 40 "$work/gtest.log"
  echo "run.sh: Brook's records_dump test failed" >&2
  exit 1
fi
count=$(find "$dumps" -name '*.json' | wc -l)
((count > 0)) || { echo "run.sh: the records_dump test wrote no sets" >&2; exit 1; }
echo "records-interop: $count record sets"

# (2) Jars, fetched once from Maven Central into the cache: kafka-clients and its pom, the
# compression libraries that pom names (runtime dependencies, which Kafka loads only when a batch
# needs them), slf4j (3.9 logs through it) and Jackson.
mkdir -p "$cache"
fetch() { "$root/scripts/fetch-jar.sh" "$1" >/dev/null || exit 2; }
# The group:artifact:version of the compression libraries a kafka-clients pom depends on.
codec_artifacts() {
  python3 - "$1" <<'EOF'
import sys
import xml.etree.ElementTree as ET
ns = {"m": "http://maven.apache.org/POM/4.0.0"}
wanted = {"zstd-jni", "lz4-java", "snappy-java"}
for d in ET.parse(sys.argv[1]).getroot().iterfind("m:dependencies/m:dependency", ns):
    artifact = d.findtext("m:artifactId", namespaces=ns)
    if artifact in wanted:
        print("%s:%s:%s" % (d.findtext("m:groupId", namespaces=ns), artifact,
                            d.findtext("m:version", namespaces=ns)))
EOF
}
for a in slf4j-api slf4j-nop; do
  fetch "org.slf4j:$a:1.7.36"
done
for a in jackson-core jackson-databind; do
  fetch "com.fasterxml.jackson.core:$a:$JACKSON"
done
fetch "com.fasterxml.jackson.core:jackson-annotations:$JACKSON_ANNOTATIONS"
jackson="$cache/jackson-core-$JACKSON.jar:$cache/jackson-databind-$JACKSON.jar"
jackson+=":$cache/jackson-annotations-$JACKSON_ANNOTATIONS.jar"

# (3) Kafka's Java client. 4.x moved the records classes to ...common.record.internal and the
# buffer utilities to ...common.utils.internals (TimestampType stayed); RecordsCheck.java is
# written against the 3.x names, so for such a jar a copy with the imports rewritten is compiled.
status=0
passed=0
failed=0
skipped=0
tally() {
  local line
  line=$(sed -n 's/^records-interop: .*: \([0-9]*\) sets passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' \
    "$1" | tail -n1)
  if [[ -z "$line" ]]; then
    echo "run.sh: no result in $1" >&2
    status=1
    return
  fi
  local p f s
  read -r p f s <<<"$line"
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
}
java_check() {
  local version=$1
  fetch "org.apache.kafka:kafka-clients:$version"
  fetch "org.apache.kafka:kafka-clients:$version:pom"
  local cp="$cache/kafka-clients-$version.jar" artifact jar codecs=0
  while read -r artifact; do
    IFS=: read -r _ jar ver <<<"$artifact"
    fetch "$artifact"
    cp+=":$cache/$jar-$ver.jar"
    codecs=$((codecs + 1))
  done < <(codec_artifacts "$cache/kafka-clients-$version.pom")
  if ((codecs != 3)); then
    echo "run.sh: kafka-clients $version's pom names $codecs of the 3 compression libraries" >&2
    status=1
    return
  fi
  cp+=":$cache/slf4j-api-1.7.36.jar:$cache/slf4j-nop-1.7.36.jar:$jackson"

  local src="$here/RecordsCheck.java" classes="$work/classes-$version"
  mkdir -p "$classes"
  if javap -cp "$cache/kafka-clients-$version.jar" \
    org.apache.kafka.common.record.internal.MemoryRecords >/dev/null 2>&1; then
    mkdir -p "$work/src-$version"
    sed -e '/^import org\.apache\.kafka\.common\.record\.TimestampType;/!s/^import org\.apache\.kafka\.common\.record\./import org.apache.kafka.common.record.internal./' \
      -e 's/^import org\.apache\.kafka\.common\.utils\./import org.apache.kafka.common.utils.internals./' \
      "$here/RecordsCheck.java" >"$work/src-$version/RecordsCheck.java"
    src="$work/src-$version/RecordsCheck.java"
  fi
  javac -nowarn -d "$classes" -cp "$cp" "$src"
  java -cp "$classes:$cp" RecordsCheck "$dumps" "java $version" "${verbose[@]}" |
    tee "$work/out-java-$version.txt" || status=1
  tally "$work/out-java-$version.txt"
}
java_check "$KAFKA_NEW"
java_check "$KAFKA_OLD"

# (4) kafka-python, in its own virtual environment (Debian's python is externally managed).
stamp="$venv/.brook-packages"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "records-interop: creating $venv"
  python3 -m venv "$venv" || {
    echo "run.sh: python3 -m venv failed (install python3-venv)" >&2
    exit 2
  }
fi
if [[ "$(cat "$stamp" 2>/dev/null)" != "$pip_packages" ]]; then
  echo "records-interop: installing into $venv: $pip_packages"
  # shellcheck disable=SC2086
  if ! "$venv/bin/pip" install -q --disable-pip-version-check $pip_packages >"$work/pip.log" 2>&1; then
    tail -n 30 "$work/pip.log"
    echo "run.sh: pip install failed" >&2
    exit 2
  fi
  echo "$pip_packages" >"$stamp"
fi
kp_version=$("$venv/bin/python" -c 'import kafka; print(kafka.__version__)')
"$venv/bin/python" "$here/records_check.py" "$dumps" --label "python kafka-python $kp_version" \
  "${verbose[@]}" | tee "$work/out-python.txt" || status=1
tally "$work/out-python.txt"

echo "records-interop: $passed passed, $failed failed, $skipped skipped"
((failed == 0)) || status=1
exit $status
