#!/usr/bin/env bash
# Security against a real brookd: every script of this folder, one line each.
# Usage: tests/compat/security/run.sh path/to/brookd
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
brookd=${1:?usage: run.sh path/to/brookd}
status=0
"$here/acls.sh" "$brookd" || status=1
exit $status
