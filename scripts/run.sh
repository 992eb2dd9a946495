#!/usr/bin/env bash
# Builds Brook in release mode and runs brookd with the arguments given (none: one node on
# PLAINTEXT://127.0.0.1:9092, data in ./brook-data).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
exec build/release/src/app/brookd "$@"
