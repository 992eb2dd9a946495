#!/usr/bin/env bash
# brookd under kill -9 while an acks=all producer writes (nothing acknowledged may be lost), and
# under malformed input on many connections at once (it keeps serving and changes nothing), and at
# the limits: records around message.max.bytes, a topic of 1000 partitions.
#
# Usage: tests/compat/robustness/run.sh path/to/brookd [kill cycles, default 8]
# Uses the Python environment of tests/compat/clients (BROOK_CLIENTS_VENV).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
brookd=${1:?usage: run.sh path/to/brookd [cycles]}
cycles=${2:-8}
venv=${BROOK_CLIENTS_VENV:-$HOME/.cache/brook/venv-clients}
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import confluent_kafka' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q confluent-kafka==2.16.1
fi
status=0
timeout 900 "$venv/bin/python" "$here/robustness_check.py" "$brookd" crash --cycles "$cycles" || status=1
# The same with every append synced before its answer (group commit).
timeout 900 "$venv/bin/python" "$here/robustness_check.py" "$brookd" crash --cycles 3 \
  --set log.flush.interval.messages=1 || status=1
timeout 900 "$venv/bin/python" "$here/robustness_check.py" "$brookd" badinput || status=1
timeout 900 "$venv/bin/python" "$here/robustness_check.py" "$brookd" limits || status=1
timeout 900 "$venv/bin/python" "$here/robustness_check.py" "$brookd" sessions || status=1
exit $status
