#!/usr/bin/env bash
# SCRAM credential administration (DescribeUserScramCredentials, AlterUserScramCredentials) with
# Apache Kafka's kafka-configs (4.1.1, run by main class from the jars) and librdkafka
# (confluent-kafka's AdminClient) against a brookd started here: credentials added, described,
# deleted and refused as Kafka answers, the stored keys checked against the password, and all of it
# kept over a SIGTERM restart and a kill -9.
#
# Usage: tests/compat/security/scram_users.sh path/to/brookd
# Environment: BROOK_TEST_PORTS=LOW-HIGH picks brookd's port from that range; BROOK_CLIENTS_VENV
# the Python with confluent-kafka (tests/compat/clients-venv.sh makes it when missing).
# Ends with "scram users: N passed, N failed"; exits non-zero if anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
brookd=${1:?usage: scram_users.sh path/to/brookd}

# shellcheck source=../kafka-tools-env.sh
source "$root/tests/compat/kafka-tools-env.sh" scram-users
port=$(cd "$here/.." && python3 -c 'from brookd_process import pick_port; print(pick_port())')
export bs="127.0.0.1:$port" here
configs() { tool kafka.admin.ConfigCommand --bootstrap-server "$bs" "$@"; }
admin() { timeout 120 "$py" "$here/scram_admin.py" "$bs" "$@"; }
# The output of a command, which must also succeed (or fail, with `fails`), holds each pattern.
prints() {  # command... -- pattern...
  local args=() o
  while [[ $1 != -- ]]; do args+=("$1"); shift; done
  shift
  o=$("${args[@]}" 2>&1) || { echo "$o"; echo "(exit status $?)"; return 1; }
  echo "$o"
  for p in "$@"; do grep -qF -- "$p" <<<"$o" || { echo "missing: $p"; return 1; }; done
}
fails() {  # command... -- pattern...
  local args=() o
  while [[ $1 != -- ]]; do args+=("$1"); shift; done
  shift
  if o=$("${args[@]}" 2>&1); then echo "$o"; echo "(succeeded)"; return 1; fi
  echo "$o"
  for p in "$@"; do grep -qF -- "$p" <<<"$o" || { echo "missing: $p"; return 1; }; done
}
lacks() {  # command... -- pattern: succeeds and does not print the pattern
  local args=() o
  while [[ $1 != -- ]]; do args+=("$1"); shift; done
  o=$("${args[@]}" 2>&1) || { echo "$o"; return 1; }
  echo "$o"
  ! grep -qF -- "$2" <<<"$o"
}
export -f configs admin prints fails lacks

passed=0
failed=0
out="$work/out"
check() {  # name, command... (its stdout and stderr go to $out)
  local name=$1
  shift
  if "$@" >"$out" 2>&1; then
    passed=$((passed + 1))
    echo "ok: $name"
  else
    failed=$((failed + 1))
    echo "FAILED: $name"
    sed 's/^/    /' "$out" | tail -n 20
  fi
}

start_brookd() {
  "$brookd" --override "listeners=PLAINTEXT://$bs" --override "log.dirs=$work/data" \
    >>"$work/brookd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null &&
      break
    sleep 0.1
  done
}
start_brookd

users() { configs --describe --entity-type users "$@"; }
add() { configs --alter --entity-type users --entity-name "$1" --add-config "$2"; }
delete() { configs --alter --entity-type users --entity-name "$1" --delete-config "$2"; }
export -f users add delete

check "describe --entity-type users: none yet" lacks users -- "SCRAM credential configs"
# Kafka's controller takes one change per user and request: both mechanisms at once are refused
# (DUPLICATE_RESOURCE), and nothing is stored.
check "add both mechanisms at once: refused as Kafka refuses it" fails \
  add alice 'SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-secret]' \
  -- "DuplicateResourceException: A user credential cannot be altered twice in the same request"
check "describe alice: not stored" lacks users --entity-name alice -- "SCRAM credential configs"
check "add SCRAM-SHA-256=[iterations=8192,password=alice-secret]" prints \
  add alice 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]' \
  -- "Completed updating config for user alice."
check "add SCRAM-SHA-512=[password=alice-secret] (default iterations)" prints \
  add alice 'SCRAM-SHA-512=[password=alice-secret]' -- "Completed updating config for user alice."
check "add bob SCRAM-SHA-512=[iterations=16384,password=bob-secret]" prints \
  add bob 'SCRAM-SHA-512=[iterations=16384,password=bob-secret]' \
  -- "Completed updating config for user bob."
both_users() {
  prints users -- \
    "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096" \
    "SCRAM credential configs for user-principal 'bob' are SCRAM-SHA-512=iterations=16384"
}
export -f both_users
check "describe --entity-type users: alice (8192, 4096) and bob (16384)" both_users
check "describe alice" prints users --entity-name alice -- \
  "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096"
check "librdkafka describes the same" prints admin describe -- \
  "alice SCRAM-SHA-256=8192 SCRAM-SHA-512=4096" "bob SCRAM-SHA-512=16384"

# The stored keys are those of the password: StoredKey and ServerKey from the salt and salted
# password kafka-configs sent, recomputed here from "alice-secret".
stored_keys_match() {  # how many of alice's credentials
  python3 - "$work/data/__brook_cluster/topics" "$1" <<'EOF'
import base64, hashlib, hmac, sys
found = 0
for line in open(sys.argv[1]):
    f = line.split()
    if not f or f[0] != "scram" or f[1] != "alice":
        continue
    h = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}[f[2]]
    salt = base64.b64decode(f[4])
    salted = hashlib.pbkdf2_hmac(h, b"alice-secret", salt, int(f[3]))
    client_key = hmac.new(salted, b"Client Key", h).digest()
    stored = hashlib.new(h, client_key).digest()
    server = hmac.new(salted, b"Server Key", h).digest()
    assert base64.b64decode(f[5]) == stored, f"stored key of {f[2]}"
    assert base64.b64decode(f[6]) == server, f"server key of {f[2]}"
    print(f"alice {f[2]} i={f[3]}: keys match the password")
    found += 1
assert found == int(sys.argv[2]), found
EOF
}
check "alice's stored and server keys are those of alice-secret" stored_keys_match 2

# Refusals: the tool's own (iterations below 4096 never leave it), then the broker's.
check "add iterations=1000: refused by kafka-configs" fails \
  add carol 'SCRAM-SHA-256=[iterations=1000,password=x]' \
  -- "Iterations 1000 is less than the minimum 4096 required for SCRAM-SHA-256"
check "librdkafka upsert iterations=1000: UNACCEPTABLE_CREDENTIAL Too few iterations" prints \
  admin upsert carol SCRAM-SHA-256 1000 x -- "carol error UNACCEPTABLE_CREDENTIAL: Too few iterations"
check "librdkafka upsert iterations=16385: UNACCEPTABLE_CREDENTIAL Too many iterations" prints \
  admin upsert carol SCRAM-SHA-512 16385 x -- "carol error UNACCEPTABLE_CREDENTIAL: Too many iterations"
check "librdkafka describe carol: RESOURCE_NOT_FOUND" prints admin describe carol -- \
  "carol error RESOURCE_NOT_FOUND: Attempt to describe a user credential that does not exist: carol"

check "delete-config SCRAM-SHA-512 for alice" prints delete alice SCRAM-SHA-512 \
  -- "Completed updating config for user alice."
check "describe alice: SCRAM-SHA-256 only" prints users --entity-name alice -- \
  "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192"
check "describe alice: no SCRAM-SHA-512" lacks users --entity-name alice -- "SCRAM-SHA-512"
check "delete-config SCRAM-SHA-512 again: ResourceNotFoundException" fails \
  delete alice SCRAM-SHA-512 \
  -- "ResourceNotFoundException: Attempt to delete a user credential that does not exist"

# Kept over a clean restart and over kill -9.
stop() { kill -TERM "$pid" && wait "$pid"; }
check "brookd stops on SIGTERM" stop
pid=""
start_brookd
after_restart() {
  prints users -- \
    "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192" \
    "SCRAM credential configs for user-principal 'bob' are SCRAM-SHA-512=iterations=16384" &&
    lacks users --entity-name alice -- "SCRAM-SHA-512"
}
export -f after_restart
check "after a restart: alice (SCRAM-SHA-256, 8192) and bob (SCRAM-SHA-512, 16384)" after_restart
check "alice's SCRAM-SHA-256 keys still those of alice-secret" stored_keys_match 1
check "delete bob's SCRAM-SHA-512, add alice's again" bash -c \
  'delete bob SCRAM-SHA-512 && add alice "SCRAM-SHA-512=[iterations=12000,password=alice-secret]"'
{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true
pid=""
start_brookd
after_kill() {
  prints users -- \
    "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=12000" &&
    lacks users -- "'bob'"
}
export -f after_kill
check "after kill -9: alice (8192, 12000), bob gone" after_kill
check "brookd stops on SIGTERM again" stop
pid=""
check "brookd log has no ERROR / AddressSanitizer lines" \
  bash -c '! grep -E "ERROR|AddressSanitizer" "$0"' "$work/brookd.log"

echo "scram users: $passed passed, $failed failed"
[[ $failed == 0 ]]
