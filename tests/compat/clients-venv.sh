#!/usr/bin/env bash
# Prints the path of the Python that has the clients the compat tests use (kafka-python,
# confluent-kafka and the codecs), making the virtual environment first when it is missing:
# BROOK_CLIENTS_VENV, default ~/.cache/brook/venv-clients, the one tests/compat/clients/run.sh
# makes. Usage: py=$(tests/compat/clients-venv.sh)
set -euo pipefail
venv=${BROOK_CLIENTS_VENV:-$HOME/.cache/brook/venv-clients}
packages="kafka-python==3.0.12 confluent-kafka==2.16.1 python-snappy==0.7.3 lz4==4.4.5 zstandard==0.25.0"
if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import kafka, confluent_kafka' 2>/dev/null; then
  python3 -m venv "$venv" >&2
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q $packages >&2
fi
echo "$venv/bin/python"
