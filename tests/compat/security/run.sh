#!/usr/bin/env bash
# Security with real clients against brookd: each script of this folder in turn (one line each).
#
# Usage: tests/compat/security/run.sh path/to/brookd
# Ends with "security: N passed, N failed" (scripts); exits non-zero if any failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
brookd=$(realpath "${1:?usage: run.sh path/to/brookd}")
passed=0
failed=0
run() {  # script
  if "$@" "$brookd"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $1"; fi
}
run "$here/scram_users.sh"
echo "security: $passed passed, $failed failed"
[[ $failed == 0 ]]
