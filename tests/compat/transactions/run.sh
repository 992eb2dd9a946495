#!/usr/bin/env bash
# Transactions against brookd. txn_check.py: the storage and fetch side with raw requests (Produce
# of transactional batches, WriteTxnMarkers v0-v2, Fetch and ListOffsets at both isolation
# levels), confluent-kafka read_committed and read_uncommitted consumers, a clean restart and a
# kill -9. clients_check.py: confluent-kafka transactional producers against brookd's transaction
# coordinator (commit and abort, consume-transform-produce, fencing, kill -9), then the same with
# the Java client and franz-go, which speak transactions version 2 (KIP-890 part 2), and KafkaJS.
# txn_crash_check.py: brookd and transactional producers (confluent-kafka, one of them
# consume-transform-produce) killed with SIGKILL at random moments, again and again;
# read_committed must then see each committed transaction whole and once, no record of an aborted
# one, and each transaction left in doubt whole or not at all. It prints its counts.
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
status=0
timeout 360 "$py" -u "$here/txn_check.py" "$@" || status=1
# Transactions with real clients: commit and abort, consume-transform-produce, fencing, kill -9
# (confluent-kafka), and the same with the Java client (kafka-clients from Maven Central),
# franz-go and KafkaJS.
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/brook-txn-java.XXXXXX")
trap 'rm -rf "$work"' EXIT
java_cp="$work:$("$here/../java-client-classpath.sh")" || exit 2
javac -nowarn -d "$work" -cp "$java_cp" "$here/JavaTxnCheck.java"
# franz-go: clients/franz/txn in the module of the client checks (modules from the Go proxy).
franz_dir="$here/../clients/franz"
(cd "$franz_dir" && go mod download && go build -buildvcs=false -o "$work/franz-txn" ./txn) ||
  { echo "run.sh: cannot build clients/franz/txn" >&2; exit 2; }
# KafkaJS (transactions version 1 with old API versions): clients/kafkajs/txn.js.
"$here/../clients/kafkajs/install.sh" || exit 2
BROOK_JAVA_TXN_CP="$java_cp" BROOK_FRANZ_TXN="$work/franz-txn" \
  BROOK_KAFKAJS_TXN="$here/../clients/kafkajs/txn.js" timeout 900 "$py" -u \
  "$here/clients_check.py" "$1" || status=1
# Transactions through crashes (about a minute; a failed run keeps its folder and prints its seed).
timeout 300 "$py" -u "$here/txn_crash_check.py" "$1" || status=1
exit $status
