#!/usr/bin/env bash
# Installs Brook's client library from a build tree into a temporary prefix (cmake --install),
# builds examples/client out of tree against it with find_package(BrookClient), and runs the
# example against a brookd started here, checking what it prints: the package config, the
# installed headers and the static libraries with their dependencies are what an outside project
# gets.
#
# Usage: tests/client/install_test.sh BUILD_DIR BROOKD   (BUILD_DIR: a configured Brook build)
# Ports: BROOK_CLIENT_PORT (default 30500) + 50. Needs kcat (to make a topic).
# Ends with "install test: N passed, N failed"; exits non-zero if anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[[ $# -eq 2 ]] || { sed -n '2,10p' "$0" >&2; exit 2; }
build=$(realpath "$1")
brookd=$(realpath "$2")
port=$((${BROOK_CLIENT_PORT:-30500} + 50))
work=$(mktemp -d "${TMPDIR:-/tmp}/brook-client-install.XXXXXX")
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
check() {  # name, command... (its output goes to $work/out)
  local name=$1
  shift
  if "$@" >"$work/out" 2>&1; then
    passed=$((passed + 1))
    echo "ok: $name"
  else
    failed=$((failed + 1))
    echo "FAILED: $name"
    sed 's/^/    /' "$work/out" | tail -n 30
  fi
}
# The output of a command, which must succeed, holds each pattern (fixed strings).
prints() {  # command... -- pattern...
  local args=() o
  while [[ $1 != -- ]]; do args+=("$1"); shift; done
  shift
  o=$("${args[@]}" 2>&1) || { echo "$o"; echo "(exit status $?)"; return 1; }
  echo "$o"
  for p in "$@"; do grep -qF -- "$p" <<<"$o" || { echo "missing: $p"; return 1; }; done
}

prefix="$work/prefix"
install_library() {
  cmake --build "$build" --target brook_client &&
    cmake --install "$build" --prefix "$prefix" &&
    test -f "$prefix/lib/cmake/BrookClient/BrookClientConfig.cmake" &&
    test -f "$prefix/include/brook/client/cluster.h" &&
    test -f "$prefix/include/brook/protocol/generated/metadata_request.h" &&
    test -f "$prefix/lib/libbrook_client.a"
}
check "cmake --install puts libraries, headers and the package config in the prefix" install_library

# Out of tree: a copy of the example, so nothing of the source tree is on its include path.
cp -r "$root/examples/client" "$work/hello-src"
build_example() {
  cmake -S "$work/hello-src" -B "$work/hello" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release &&
    cmake --build "$work/hello" &&
    grep -qF -- "$prefix/include/brook" "$work/hello/build.ninja" &&
    ! grep -qF -- "$root/src" "$work/hello/build.ninja"
}
check "examples/client builds against the installed package (find_package(BrookClient))" \
  build_example

"$brookd" --override "listeners=PLAINTEXT://127.0.0.1:$port" --override "log.dirs=$work/data" \
  --override num.partitions=3 >"$work/brookd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
# A topic to list, made by producing to it (brookd creates topics on first use, as Kafka does).
check "kcat makes topic hello-topic" bash -c \
  "echo hi | timeout 60 kcat -b 127.0.0.1:$port -P -t hello-topic"
check "hello lists the broker and the topic" prints "$work/hello/hello" "127.0.0.1:$port" -- \
  "brokers: 1" "at 127.0.0.1:$port" "hello-topic: 3 partitions, leaders "
printf 'linger.ms=soon\nsecurity.protocol=SSL\nssl.ca.location=/nonexistent/ca.pem\n' \
  >"$work/bad.properties"
refuses_bad_settings() {
  local o
  if o=$("$work/hello/hello" "127.0.0.1:$port" "$work/bad.properties" 2>&1); then
    echo "$o"
    return 1
  fi
  echo "$o"
  grep -qF "bad setting: ssl.ca.location" <<<"$o"
}
check "hello reports a bad setting by its name" refuses_bad_settings
check "quickstart writes three records and reads them back in a group" prints \
  timeout 120 "$work/hello/quickstart" "127.0.0.1:$port" -- \
  "wrote one at offset 0" "wrote three at offset 2" "read one from partition 0 offset 0" \
  "read three from partition 0 offset 2"
kill "$pid" && wait "$pid" 2>/dev/null || true
pid=""

echo "install test: $passed passed, $failed failed"
[[ $failed == 0 ]]
