#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for the given number of seconds
# (default 30), starting from the seed corpus in tests/fuzz/corpus/<target>/ and the real-client
# captures. Prints executions per target; fails on any crash.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$(nproc)"
status=0
for bin in build/fuzz/tests/fuzz/fuzz_*; do
  [[ -x "$bin" ]] || continue
  name=$(basename "$bin")
  work="build/fuzz/corpus-run/$name"
  mkdir -p "$work"
  seeds=()
  [[ -d "tests/fuzz/corpus/$name" ]] && seeds+=("tests/fuzz/corpus/$name")
  if [[ "$name" == fuzz_request && -d tests/data/captures ]]; then
    # Request frames recorded from real clients (frame bodies without the size prefix).
    mkdir -p "$work-seeds"
    find tests/data/captures -name '*.req.bin' -exec cp {} "$work-seeds/" \; 2>/dev/null || true
    seeds+=("$work-seeds")
  fi
  if [[ "$name" == fuzz_records && -d tests/data/captures ]]; then
    # Produce frames from real clients, behind the byte that selects fuzz_records' frame form.
    mkdir -p "$work-seeds"
    for f in tests/data/captures/*/*-Produce-*.req.bin; do
      [[ -f "$f" ]] || continue
      { printf '\x01'; cat "$f"; } >"$work-seeds/$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    seeds+=("$work-seeds")
  fi
  log="build/fuzz/$name.log"
  if "$bin" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="build/fuzz/$name-" "$work" "${seeds[@]}" >"$log" 2>&1; then
    execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    echo "fuzz: $name: ${execs:-?} executions in ${seconds}s, no crash"
  else
    echo "fuzz: $name FAILED; see $log" >&2
    tail -40 "$log" >&2
    status=1
  fi
done
exit $status
