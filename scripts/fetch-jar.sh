#!/usr/bin/env bash
# Fetches one artifact from Maven Central into the jar cache (${BROOK_JAR_CACHE:-~/.cache/brook/jars})
# unless it is there already, and prints its path.
#
# Usage: scripts/fetch-jar.sh GROUP:ARTIFACT:VERSION[:pom]
#   :pom fetches the artifact's pom instead of its jar.
set -euo pipefail
[[ $# -eq 1 ]] || { sed -n '2,6p' "$0" >&2; exit 2; }
IFS=: read -r _ artifact version packaging <<<"$1"
cache=${BROOK_JAR_CACHE:-$HOME/.cache/brook/jars}
file="$cache/$artifact-$version.${packaging:-jar}"
if [[ ! -s $file ]]; then
  command -v mvn >/dev/null || { echo "fetch-jar: needs Maven (apt-get install maven)" >&2; exit 2; }
  mkdir -p "$cache"
  work=$(mktemp -d "${TMPDIR:-/tmp}/brook-fetch-jar.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "fetch-jar: fetching $1" >&2
  if ! (cd "$work" && mvn -B dependency:copy -Dartifact="$1" -DoutputDirectory="$cache") \
    >"$work/mvn.log" 2>&1 || [[ ! -s $file ]]; then
    tail -n 30 "$work/mvn.log" >&2
    echo "fetch-jar: cannot fetch $1 from Maven Central" >&2
    exit 2
  fi
fi
echo "$file"
