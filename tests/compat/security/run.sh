#!/usr/bin/env bash
# Security with real clients against brookd: TLS (PKCS12 and PEM key stores, mutual TLS with
# principal mapping), SASL (PLAIN, and the others as they land), refusals, bad input on secured
# listeners and re-authentication (security_check.py), with confluent-kafka, kafka-python, the
# Java client (kafka-clients from Maven Central), franz-go and KafkaJS; SCRAM credentials with
# kafka-configs (scram_users.sh); GSSAPI with a real KDC (gssapi_check.py); ACLs with kafka-acls
# and real clients (acls.sh); client quotas set with kafka-configs and enforced on confluent-kafka
# clients (quotas.py).
#
# Usage: tests/compat/security/run.sh path/to/brookd
# Environment: BROOK_TEST_PORTS (port range of the brookd it starts).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ $# -ge 1 ]] || { sed -n '/^# Usage:/,/^# Environment/p' "$0" | sed '$d' >&2; exit 2; }
py=$("$here/../clients-venv.sh")
work=$(mktemp -d "${TMPDIR:-/tmp}/brook-security.XXXXXX")
trap 'rm -rf "$work"' EXIT

java_cp="$work:$("$here/../java-client-classpath.sh")" || exit 2
javac -nowarn -d "$work" -cp "$java_cp" "$here/JavaSecurityCheck.java"
(cd "$here/../clients/franz" && go mod download && go build -buildvcs=false -o "$work/franz-security" ./security) ||
  { echo "run.sh: cannot build clients/franz/security" >&2; exit 2; }
"$here/../clients/kafkajs/install.sh" || exit 2

status=0
# SCRAM credentials through kafka-configs and librdkafka's admin client.
timeout 600 "$here/scram_users.sh" "$(realpath "$1")" || status=1
# GSSAPI with a real KDC (krb5-kdc), kcat and the Java client.
BROOK_JAVA_SECURITY_CP="$java_cp" timeout 300 "$py" -u "$here/gssapi_check.py" "$1" || status=1
# ACLs: kafka-acls and real clients against brookd with the StandardAuthorizer.
timeout 900 "$here/acls.sh" "$(realpath "$1")" || status=1
BROOK_JAVA_SECURITY_CP="$java_cp" BROOK_FRANZ_SECURITY="$work/franz-security" \
  BROOK_KAFKAJS_SECURITY="$here/../clients/kafkajs/security.js" timeout 1200 "$py" -u \
  "$here/security_check.py" "$1" || status=1
BROOK_KAFKA_TOOLS_JARS=$("$here/../../../scripts/fetch-kafka-tools.sh" 4.1.1) timeout 900 "$py" -u \
  "$here/quotas.py" "$1" || status=1
exit $status
