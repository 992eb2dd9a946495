#!/usr/bin/env bash
# Builds Brook in release mode and runs it. Until the broker lands (issue 3), this builds the codec
# and runs its benchmarks, which print figures against memcpy of the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
if [[ -x build/release/src/app/brookd ]]; then
  exec build/release/src/app/brookd "$@"
fi
echo "brookd is not built yet (see issue 3); running the codec benchmarks instead"
python3 bench/report.py build/release/bench/*_bench
