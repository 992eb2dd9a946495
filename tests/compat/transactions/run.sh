#!/usr/bin/env bash
# Transactions on the storage and fetch side against brookd, without a transaction coordinator:
# raw Produce of transactional batches, raw WriteTxnMarkers (v0-v2), raw Fetch and ListOffsets at
# both isolation levels, confluent-kafka read_committed and read_uncommitted consumers, a clean
# restart and a kill -9. See txn_check.py for the checks.
#
# Usage:
#   tests/compat/transactions/run.sh path/to/brookd [--keep]
#       starts brookd on a free port of 31000-31999 with a temporary log dir
# Environment: BROOK_CLIENTS_VENV (default ~/.cache/brook/venv-clients; tests/compat/clients-venv.sh
#   makes it when missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ $# -ge 1 ]] || { sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed '$d' >&2; exit 2; }
py=$("$here/../clients-venv.sh")
# The check cuts itself after 5 minutes.
exec timeout 360 "$py" -u "$here/txn_check.py" "$@"
