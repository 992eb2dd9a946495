#!/usr/bin/env bash
# The `brook` command-line tool against a brookd started here (loopback, with an authorizer whose
# super user is the anonymous plaintext client, so that ACL commands work): each subcommand's
# output (text tables and --json) and exit codes, and one-line errors for wrong command lines and
# refusals.
#
# Usage: tests/client/cli_test.sh BROOKD BROOK_BIN
# Ports: BROOK_CLI_PORT (default 30590) and the next one (SASL_PLAINTEXT, where kcat checks that
# a password set with `brook users set-password` authenticates).
set -uo pipefail
[[ $# -eq 2 ]] || { sed -n '2,8p' "$0" >&2; exit 2; }
brookd=$(realpath "$1")
brook=$(realpath "$2")
port=${BROOK_CLI_PORT:-30590}

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-cli-test.XXXXXX")
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

sasl_port=$((port + 1))
"$brookd" --override "listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sasl_port" \
  --override sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512 --override "log.dirs=$work/data" \
  --override num.partitions=1 --override group.initial.rebalance.delay.ms=0 \
  --override authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer \
  --override super.users=User:ANONYMOUS >"$work/brookd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
export BROOK_BOOTSTRAP="127.0.0.1:$port"

passed=0
failed=0
out=""
err=""
rc=0
# run ARGS...: runs brook, keeps stdout, stderr and the exit code.
run() {
  out=$("$brook" "$@" 2>"$work/stderr")
  rc=$?
  err=$(cat "$work/stderr")
}
ok() {
  passed=$((passed + 1))
}
bad() {
  failed=$((failed + 1))
  echo "FAILED: $1"
  echo "  stdout: ${out:0:600}"
  echo "  stderr: ${err:0:300} (exit $rc)"
}
# check NAME CONDITION...: the condition (a command) must succeed.
check() {
  local name=$1
  shift
  if "$@"; then ok; else bad "$name"; fi
}
has() { grep -qE -- "$1" <<<"$out"; }
has_err() { grep -qE -- "$1" <<<"$err"; }
exit_is() { [[ $rc -eq $1 ]]; }
json_ok() { python3 -c 'import json,sys; json.loads(sys.stdin.read())' <<<"$out"; }
# json EXPR: a Python expression over the parsed output `d` must be true.
json() { python3 -c "import json,sys; d=json.loads(sys.stdin.read()); sys.exit(0 if ($1) else 1)" <<<"$out"; }
one_line_err() { [[ $(wc -l <<<"$err") -eq 1 && -z $out ]]; }

# --- general ---
run --help
check "help lists the commands" eval 'exit_is 0 && has "topics" && has "configs" && has "groups" && has "acls" && has "users" && has "cluster"'
run topics --help
check "topics help has examples" eval 'exit_is 0 && has "Examples:" && has "brook topics create" && has "bootstrap-server"'
run nosuch
check "unknown command: exit 2, one line" eval 'exit_is 2 && one_line_err && has_err "unknown command"'
run topics frobnicate
check "unknown subcommand: exit 2" eval 'exit_is 2 && one_line_err && has_err "unknown subcommand"'
run topics list --no-such-option
check "unknown option: exit 2" eval 'exit_is 2 && one_line_err && has_err "unknown option"'
run topics list -X acks=all
check "a producer setting is refused" eval 'exit_is 2 && one_line_err && has_err "acks"'
run cluster -b 127.0.0.1:1 -X default.api.timeout.ms=1000 -X socket.connection.setup.timeout.ms=500
check "unreachable broker: exit 1, one line" eval 'exit_is 1 && one_line_err && has_err "NETWORK_EXCEPTION"'

# --- cluster ---
run cluster
check "cluster shows id, controller, broker" eval 'exit_is 0 && has "^Cluster ID: " && has "^Controller: 1" && has "127\.0\.0\.1 +$port"'
run cluster --json
check "cluster --json" eval 'exit_is 0 && json "d[\"controller\"] == 1 and d[\"brokers\"][0][\"port\"] == $port and d[\"cluster_id\"]"'
printf 'client.id=from-file\nrequest.timeout.ms=5000\n' >"$work/client.properties"
run cluster --command-config "$work/client.properties"
check "--command-config" eval 'exit_is 0 && has "Cluster ID"'
run cluster -b "127.0.0.1:$port"
check "-b" eval 'exit_is 0 && has "Cluster ID"'
run -b "127.0.0.1:$port" --json cluster
check "common options before the command" eval 'exit_is 0 && json "d[\"controller\"] == 1"'
run
check "no command: usage on stderr, exit 2" eval 'exit_is 2 && has_err "Usage: brook"'

# --- topics ---
run topics create --topic cli-t1 --partitions 3 --config retention.ms=3600000
check "create" eval 'exit_is 0 && has "Created topic cli-t1 \(3 partitions, replication factor 1\)"'
run topics create --topic cli-t1 --partitions 3
check "create twice: TOPIC_ALREADY_EXISTS, exit 1" eval 'exit_is 1 && one_line_err && has_err "TOPIC_ALREADY_EXISTS"'
run topics create --topic cli-t1 --if-not-exists
check "create --if-not-exists" eval 'exit_is 0 && has "already exists"'
run topics create --topic cli-t2 --json
check "create --json with broker defaults" eval 'exit_is 0 && json "d[\"topic\"] == \"cli-t2\" and d[\"partitions\"] == 1 and d[\"created\"]"'
run topics create --topic cli-bad --partitions 0
check "create with 0 partitions: INVALID_PARTITIONS" eval 'exit_is 1 && has_err "INVALID_PARTITIONS"'
run topics create --topic cli-bad --partitions many
check "create with a bad number: exit 2" eval 'exit_is 2 && has_err "not a number"'
run topics list
check "list is a table" eval 'exit_is 0 && has "^TOPIC +ID +PARTITIONS +REPLICATION FACTOR +INTERNAL" && has "^cli-t1 +[A-Za-z0-9_-]{22} +3 +1 +no"'
run topics list --json
check "list --json" eval 'exit_is 0 && json "sorted(t[\"topic\"] for t in d if t[\"topic\"].startswith(\"cli-\")) == [\"cli-t1\", \"cli-t2\"]"'
run topics describe cli-t1
check "describe: a row per partition" eval 'exit_is 0 && has "^cli-t1 +0 +1 +1 +1 " && has "^cli-t1 +2 +1 +1 +1 " && [[ $(grep -c "^cli-t1" <<<"$out") -eq 3 ]]'
run topics describe --topic cli-t1 --json
check "describe --json" eval 'exit_is 0 && json "len(d) == 3 and d[1][\"partition\"] == 1 and d[1][\"replicas\"] == [1] and d[1][\"isr\"] == [1] and d[1][\"leader\"] == 1"'
run topics describe no-such-topic
check "describe unknown: UNKNOWN_TOPIC_OR_PARTITION" eval 'exit_is 1 && one_line_err && has_err "UNKNOWN_TOPIC_OR_PARTITION"'
run topics alter --topic cli-t1 --partitions 5
check "alter --partitions" eval 'exit_is 0 && has "now has 5 partitions"'
run topics describe cli-t1 --json
check "describe shows 5 partitions" eval 'json "len(d) == 5"'
run topics alter --topic cli-t1 --partitions 2
check "alter to fewer: INVALID_PARTITIONS" eval 'exit_is 1 && has_err "INVALID_PARTITIONS"'

# --- configs ---
run configs describe --topic cli-t1
check "configs describe shows the set config" eval 'exit_is 0 && has "^NAME +VALUE +SOURCE" && has "^retention\.ms +3600000 +DYNAMIC_TOPIC_CONFIG"'
run configs alter --topic cli-t1 --set segment.bytes=1048576 --delete retention.ms --append cleanup.policy=compact
check "configs alter" eval 'exit_is 0 && has "Updated 3 configs of topic cli-t1"'
run configs describe --topic cli-t1 --json
check "configs after alter" eval 'json "{e[\"name\"]: e[\"value\"] for e in d} == {\"segment.bytes\": \"1048576\", \"cleanup.policy\": \"delete,compact\"}"'
run configs describe --topic cli-t1 --all --json
check "configs --all has defaults" eval 'json "any(e[\"name\"] == \"retention.ms\" and e[\"source\"] == \"DEFAULT_CONFIG\" for e in d)"'
run configs alter --topic cli-t1 --set retention.ms=soon
check "bad config value: INVALID_CONFIG" eval 'exit_is 1 && has_err "INVALID_CONFIG"'
run configs describe --topic cli-t1 --broker 1
check "two resources: exit 2" eval 'exit_is 2 && has_err "one of"'
run configs describe --broker 1
check "broker configs" eval 'exit_is 0 && has "^num\.partitions +1 +STATIC_BROKER_CONFIG"'

# --- groups ---
run groups reset-offsets --group cli-g1 --topic cli-t1 --to-earliest
check "reset-offsets creates the group" eval 'exit_is 0 && has "Committed offsets" && [[ $(grep -cE "^cli-g1 +cli-t1" <<<"$out") -eq 5 ]]'
run groups reset-offsets --group cli-g1 --topic cli-t1:0,1 --to-offset 7 --dry-run --json
check "reset-offsets --dry-run clamps to the log" eval 'exit_is 0 && json "[r[\"new_offset\"] for r in d] == [0, 0]"'
run groups list
check "groups list" eval 'exit_is 0 && has "^GROUP +TYPE +STATE" && has "^cli-g1 +classic +Empty"'
run groups list --state Stable --json
check "groups list --state filters" eval 'exit_is 0 && json "not any(g[\"group\"] == \"cli-g1\" for g in d)"'
run groups describe --group cli-g1
check "groups describe: offsets and lag" eval 'exit_is 0 && has "state Empty" && has "^cli-t1 +0 +0 +0 +0 "'
run groups describe --group cli-g1 --state --json
check "groups describe --state" eval 'exit_is 0 && json "d[0][\"state\"] == \"Empty\" and d[0][\"members\"] == 0"'
run groups describe --group cli-g1 --members --json
check "groups describe --members (none)" eval 'exit_is 0 && json "d == []"'
run groups reset-offsets --group cli-g1 --topic cli-t1
check "reset-offsets without a target: exit 2" eval 'exit_is 2 && has_err "to-earliest"'
run groups delete --group cli-g1
check "groups delete" eval 'exit_is 0 && has "Deleted group cli-g1"'
run groups delete --group cli-g1
check "groups delete again: GROUP_ID_NOT_FOUND" eval 'exit_is 1 && has_err "GROUP_ID_NOT_FOUND"'

# --- ACLs ---
run acls create --principal User:alice --operation read --operation describe --topic cli-t1
check "acls create" eval 'exit_is 0 && has "Created 2 ACLs" && has "^User:alice +\* +READ +ALLOW +TOPIC +cli-t1 +LITERAL"'
run acls create --principal User:bob --operation write --permission deny --host 10.0.0.1 --topic cli- --pattern-type prefixed
check "acls create prefixed deny" eval 'exit_is 0 && has "^User:bob +10\.0\.0\.1 +WRITE +DENY +TOPIC +cli- +PREFIXED"'
run acls list
check "acls list" eval 'exit_is 0 && [[ $(grep -c "^User:" <<<"$out") -eq 3 ]]'
run acls list --principal User:alice --json
check "acls list --principal --json" eval 'exit_is 0 && json "sorted(a[\"operation\"] for a in d) == [\"DESCRIBE\", \"READ\"]"'
run acls list --topic cli-t1 --pattern-type match --json
check "acls list --pattern-type match" eval 'exit_is 0 && json "len(d) == 3"'
run acls create --principal User:alice --operation juggle --topic x
check "bad operation: exit 2" eval 'exit_is 2 && has_err "not a operation|not an operation|is not a"'
run acls delete --principal User:alice --operation read
check "acls delete by filter" eval 'exit_is 0 && has "Deleted 1 ACL" && has "READ"'
run acls delete
check "acls delete all" eval 'exit_is 0 && has "Deleted 2 ACLs"'
run acls list --json
check "no ACLs left" eval 'exit_is 0 && json "d == []"'

# --- users ---
run users set-password --user alice --password s3cret
check "users set-password" eval 'exit_is 0 && has "SCRAM-SHA-256 credential of alice"'
out=$(echo s3cret | "$brook" users set-password --user alice --password - --mechanism scram-sha-512 --iterations 8192 2>"$work/stderr")
rc=$?
err=$(cat "$work/stderr")
check "users set-password from stdin" eval 'exit_is 0 && has "SCRAM-SHA-512"'
run users list
check "users list" eval 'exit_is 0 && has "^alice +SCRAM-SHA-256 +4096" && has "^alice +SCRAM-SHA-512 +8192"'
# The credentials work: confluent-kafka (librdkafka) and kafka-python log in with them, and not
# with a wrong password.
here=$(cd "$(dirname "$0")" && pwd)
py=$("$here/../compat/clients-venv.sh")
scram_login() {
  "$py" - "$sasl_port" "$1" "$2" "$3" <<'PY' >/dev/null 2>&1
import sys
port, client, mechanism, password = sys.argv[1:]
if client == "librdkafka":
    from confluent_kafka.admin import AdminClient
    a = AdminClient({"bootstrap.servers": f"127.0.0.1:{port}", "security.protocol": "SASL_PLAINTEXT",
                     "sasl.mechanisms": mechanism, "sasl.username": "alice", "sasl.password": password,
                     "log_level": 0})
    a.list_topics(timeout=5)
else:
    from kafka import KafkaAdminClient
    a = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}", security_protocol="SASL_PLAINTEXT",
                         sasl_mechanism=mechanism, sasl_plain_username="alice",
                         sasl_plain_password=password, request_timeout_ms=5000)
    a.describe_cluster()
    a.close()
PY
}
check "SCRAM-SHA-256 login (librdkafka)" scram_login librdkafka SCRAM-SHA-256 s3cret
check "SCRAM-SHA-512 login (librdkafka)" scram_login librdkafka SCRAM-SHA-512 s3cret
check "SCRAM-SHA-512 login (kafka-python)" scram_login kafka-python SCRAM-SHA-512 s3cret
check "SCRAM login with a wrong password fails" eval '! scram_login librdkafka SCRAM-SHA-256 wrong'
# Debian's kcat is built on librdkafka 2.0.2, which sends its nonce twice in the final SCRAM
# message (fixed in 2.6.1); Kafka 3.9 accepts that, and so must brookd.
kcat_login() {
  timeout 30 kcat -b "127.0.0.1:$sasl_port" -X security.protocol=SASL_PLAINTEXT \
    -X "sasl.mechanisms=$1" -X sasl.username=alice -X "sasl.password=$2" -m 5 -L >/dev/null 2>&1
}
check "SCRAM-SHA-256 login (kcat, librdkafka 2.0)" kcat_login SCRAM-SHA-256 s3cret
check "SCRAM-SHA-512 login (kcat, librdkafka 2.0)" kcat_login SCRAM-SHA-512 s3cret
check "SCRAM login with a wrong password fails (kcat)" eval '! kcat_login SCRAM-SHA-256 wrong'
run users set-password --user alice --password x --iterations 10
check "too few iterations: UNACCEPTABLE_CREDENTIAL" eval 'exit_is 1 && has_err "UNACCEPTABLE_CREDENTIAL"'
run users delete --user alice --mechanism SCRAM-SHA-512
check "users delete one mechanism" eval 'exit_is 0 && has "SCRAM-SHA-512"'
run users list --user alice --json
check "users list --json" eval 'exit_is 0 && json "d == [{\"user\": \"alice\", \"mechanism\": \"SCRAM-SHA-256\", \"iterations\": 4096}]"'
run users delete --user alice
check "users delete all" eval 'exit_is 0'
run users list --user alice
check "unknown user: RESOURCE_NOT_FOUND" eval 'exit_is 1 && has_err "RESOURCE_NOT_FOUND"'

# --- produce and consume ---
run topics create --topic cli-pc --partitions 3
check "topics create for produce" eval 'exit_is 0'
out=$(seq 1 5 | "$brook" produce -t cli-pc -p 0 2>"$work/stderr")
rc=$?
err=$(cat "$work/stderr")
check "produce from stdin" eval 'exit_is 0 && has "produced 5 records to cli-pc"'
out=$(printf 'ka:va\nkb:vb\n' | "$brook" produce -t cli-pc -p 1 -K : -H src=cli -H kind=test 2>"$work/stderr")
rc=$?
check "produce with keys and headers" eval 'exit_is 0 && has "produced 2 records"'
run produce -t cli-pc -p 2 -k k2 --value one --value two --acks 1 --compression zstd --json
check "produce --value, --json" eval 'exit_is 0 && json "d[\"records\"] == 2 and d[\"topic\"] == \"cli-pc\""'
run consume -t cli-pc --exit
check "consume --exit prints every value" eval 'exit_is 0 && [[ $(sort <<<"$out" | tr "\n" " ") == "1 2 3 4 5 one two va vb " ]] && has_err "consumed 9 records"'
run consume -t cli-pc -p 1 --exit --format '%p/%o %k=%s [%h]\n'
check "consume --format with kcat tokens" eval 'exit_is 0 && [[ $out == $'"'"'1/0 ka=va [src=cli,kind=test]\n1/1 kb=vb [src=cli,kind=test]'"'"' ]]'
run consume -t cli-pc -p 2 -o -1 --exit --json
check "consume -o -1 --json" eval 'exit_is 0 && json "d[\"partition\"] == 2 and d[\"offset\"] == 1 and d[\"key\"] == \"k2\" and d[\"value\"] == \"two\""'
run consume -t cli-pc -p 2 -o end --exit
check "consume -o end --exit prints nothing" eval 'exit_is 0 && [[ -z $out ]]'
run consume -t cli-pc -g cli-reader -o beginning --count 9
check "consume as a group member" eval 'exit_is 0 && [[ $(wc -l <<<"$out") -eq 9 ]]'
run groups describe --group cli-reader --json
check "the group committed what it printed" eval 'exit_is 0 && json "sum(r[\"current_offset\"] for r in d) == 9"'
out=$(printf 'no delimiter here\n' | "$brook" produce -t cli-pc -K : 2>"$work/stderr")
rc=$?
err=$(cat "$work/stderr")
check "produce: a line without the key delimiter is a usage error" eval 'exit_is 2 && has_err "key delimiter"'
run produce -t cli-no-such-topic --value x -X allow.auto.create.topics=false -X max.block.ms=1500
check "produce to a missing topic: REQUEST_TIMED_OUT, exit 1" eval 'exit_is 1 && one_line_err && has_err "REQUEST_TIMED_OUT"'
run consume --exit
check "consume without a topic: exit 2" eval 'exit_is 2 && has_err "topic"'

# --- bench ---
run topics create --topic cli-bench --partitions 2
run bench produce --topic cli-bench --count 20000 --size 200 --acks all
check "bench produce prints results" eval 'exit_is 0 && has "^mode=produce size=200 acks=all count=20000 .*records_per_s=[0-9]+"'
run bench consume --topic cli-bench --count 20000
check "bench consume reads them all" eval 'exit_is 0 && has "^mode=consume .*count=20000 bytes=4000000 "'
run bench produce --topic cli-bench --count 2000 --rate 2000
check "bench produce at a rate reports percentiles" eval 'exit_is 0 && has "rate=2000 p50_ms=[0-9.]+ p99_ms=[0-9.]+ p999_ms=[0-9.]+ max_ms=[0-9.]+"'
run bench end-to-end --topic cli-bench --count 2000 --rate 2000
check "bench end-to-end reports percentiles" eval 'exit_is 0 && has "^mode=end-to-end .*count=2000 rate=2000 p50_ms=[0-9.]+ p99_ms="'
run bench frobnicate --topic cli-bench
check "bench: unknown kind is a usage error" eval 'exit_is 2 && has_err "unknown bench"'

# --- quotas ---
run quotas alter --user cli-alice --add producer_byte_rate=1048576 --add request_percentage=50.5
check "quotas alter" eval 'exit_is 0 && has "Updated 2 quotas of user=cli-alice"'
run quotas alter --user cli-alice --client-id app --add consumer_byte_rate=2048
check "quotas alter user and client id" eval 'exit_is 0 && has "user=cli-alice"'
run quotas alter --client-defaults --add consumer_byte_rate=100000000
check "quotas alter --client-defaults" eval 'exit_is 0 && has "client-id=<default>"'
run quotas describe --user cli-alice
check "quotas describe: every entity with the user" eval 'exit_is 0 && has "^USER +CLIENT ID +IP +QUOTA +VALUE" && has "^cli-alice +app +- +consumer_byte_rate +2048$" && has "^cli-alice +- +- +request_percentage +50\.5$" && [[ $(grep -c "^cli-alice" <<<"$out") -eq 3 ]]'
run quotas describe --user cli-alice --exact --json
check "quotas describe --exact --json" eval 'exit_is 0 && json "sorted((q[\"quota\"], q[\"value\"], q[\"client_id\"]) for q in d) == [(\"producer_byte_rate\", 1048576, None), (\"request_percentage\", 50.5, None)]"'
run quotas describe --client-defaults --exact --json
check "quotas describe the default client id" eval 'exit_is 0 && json "d == [{\"user\": None, \"client_id\": \"<default>\", \"ip\": None, \"quota\": \"consumer_byte_rate\", \"value\": 100000000}]"'
run quotas alter --user cli-alice --add no_such_quota=1
check "quotas: unknown key is INVALID_REQUEST" eval 'exit_is 1 && one_line_err && has_err "INVALID_REQUEST"'
run quotas alter --user cli-alice --add producer_byte_rate=fast
check "quotas: a value that is no number: exit 2" eval 'exit_is 2 && has_err "not a number"'
run quotas alter --add producer_byte_rate=1
check "quotas alter without an entity: exit 2" eval 'exit_is 2 && has_err "name an entity"'
run quotas alter --user cli-alice --user-defaults --add producer_byte_rate=1
check "quotas: a name and the defaults: exit 2" eval 'exit_is 2 && has_err "not both"'
run quotas alter --ip 10.1.2.3 --add connection_creation_rate=10 --validate-only
check "quotas alter --validate-only" eval 'exit_is 0 && has "Validated 1 quota of ip=10\.1\.2\.3"'
run quotas describe --ip 10.1.2.3 --json
check "quotas --validate-only changed nothing" eval 'exit_is 0 && json "d == []"'
run quotas alter --user cli-alice --delete producer_byte_rate --delete request_percentage
check "quotas alter --delete" eval 'exit_is 0 && has "Updated 2 quotas"'
run quotas alter --client-defaults --delete consumer_byte_rate
run quotas describe --json
check "quotas left: the user and client id's" eval 'exit_is 0 && json "[(q[\"user\"], q[\"client_id\"], q[\"quota\"]) for q in d] == [(\"cli-alice\", \"app\", \"consumer_byte_rate\")]"'

# --- transactions (a hanging transaction left by a confluent-kafka producer that exits) ---
run topics create --topic cli-txn --partitions 1
check "topics create for transactions" eval 'exit_is 0'
"$py" - "$port" <<'PY' >/dev/null 2>&1
import os, sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": f"127.0.0.1:{sys.argv[1]}", "transactional.id": "cli-txn-1",
              "transaction.timeout.ms": 60000, "log_level": 0})
p.init_transactions(10)
p.begin_transaction()
p.produce("cli-txn", value=b"a", partition=0)
p.produce("cli-txn", value=b"b", partition=0)
p.flush(10)
os._exit(0)
PY
run transactions list --json
check "transactions list" eval 'exit_is 0 && json "[(t[\"transactional_id\"], t[\"state\"], t[\"coordinator\"]) for t in d] == [(\"cli-txn-1\", \"Ongoing\", 1)]"'
run transactions list --state CompleteCommit
check "transactions list --state filters" eval 'exit_is 0 && has "^TRANSACTIONAL ID +COORDINATOR +PRODUCER ID +STATE" && ! has "cli-txn-1"'
run transactions describe --transactional-id cli-txn-1
check "transactions describe" eval 'exit_is 0 && has "^cli-txn-1 +1 +[0-9]+ +0 +Ongoing +60000 +[0-9]+ +[0-9]+ +cli-txn-0$"'
run transactions describe --transactional-id cli-txn-none
check "transactions describe unknown: TRANSACTIONAL_ID_NOT_FOUND" eval 'exit_is 1 && one_line_err && has_err "TRANSACTIONAL_ID_NOT_FOUND"'
run transactions describe-producers --topic cli-txn --partition 0 --json
check "transactions describe-producers" eval 'exit_is 0 && json "len(d) == 1 and d[0][\"current_transaction_start_offset\"] == 0 and d[0][\"last_sequence\"] == 1"'
run consume -t cli-txn --isolation read_committed --exit
check "the open transaction holds read_committed back" eval 'exit_is 0 && [[ -z $out ]]'
run transactions abort --topic cli-txn --partition 0 --start-offset 5
check "transactions abort: no transaction there: exit 1" eval 'exit_is 1 && one_line_err && has_err "no open transaction starts at offset 5"'
run transactions abort --topic cli-txn --partition 0
check "transactions abort without a producer: exit 2" eval 'exit_is 2 && has_err "start-offset"'
run transactions abort --topic cli-txn --partition 0 --start-offset 0
check "transactions abort" eval 'exit_is 0 && has "^Aborted the transaction of producer [0-9]+ \(epoch 0\) on cli-txn-0\.$"'
run transactions describe-producers --topic cli-txn --partition 0 --json
check "no open transaction after the abort" eval 'exit_is 0 && json "d[0][\"current_transaction_start_offset\"] is None"'
run consume -t cli-txn --isolation read_committed --exit
check "aborted records stay hidden from read_committed" eval 'exit_is 0 && [[ -z $out ]]'
run consume -t cli-txn --exit
check "read_uncommitted sees them" eval 'exit_is 0 && [[ $out == $'"'"'a\nb'"'"' ]]'

# --- log dirs ---
run log-dirs describe
check "log-dirs describe" eval 'exit_is 0 && has "^BROKER +DIR +ERROR +TOTAL BYTES +USABLE BYTES +PARTITIONS +SIZE" && has "^1 +/[^ ]+ +- +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$" && has "^1 +/[^ ]+ +cli-txn +0 +[1-9][0-9]* +0 +no$"'
run log-dirs describe --broker 1 --topic cli-t1 --json
check "log-dirs describe --topic --json" eval 'exit_is 0 && json "len(d[\"replicas\"]) == 5 and {r[\"topic\"] for r in d[\"replicas\"]} == {\"cli-t1\"} and d[\"dirs\"][0][\"partitions\"] == 5 and d[\"dirs\"][0][\"total_bytes\"] >= d[\"dirs\"][0][\"usable_bytes\"] > 0"'

# --- features ---
run features describe
check "features describe" eval 'exit_is 0 && has "^FEATURE +SUPPORTED MIN +SUPPORTED MAX +FINALIZED LEVEL +EPOCH" && has "^transaction\.version +0 +[0-9]+ +[0-9]+ +[0-9]+$"'
run features describe --json
level=$(python3 -c 'import json,sys; print([f["finalized_level"] for f in json.loads(sys.stdin.read()) if f["feature"] == "transaction.version"][0])' <<<"$out" 2>/dev/null)
check "features describe --json" eval '[[ -n $level ]]'
run features upgrade --feature "transaction.version=$level" --dry-run
check "features upgrade to the current level --dry-run" eval 'exit_is 0 && has "^Validated transaction\.version to level $level \(UPGRADE\)\.$"'
run features downgrade --feature "transaction.version=$((level - 1))" --dry-run
check "features downgrade --dry-run" eval 'exit_is 0 && has "^Validated transaction\.version to level $((level - 1)) \(SAFE_DOWNGRADE\)\.$"'
run features describe --json
check "features: --dry-run changed nothing" eval 'exit_is 0 && json "[f[\"finalized_level\"] for f in d if f[\"feature\"] == \"transaction.version\"] == [$level]"'
run features upgrade --feature brook.no.such.feature=1 --dry-run
check "features: unknown feature is INVALID_UPDATE_VERSION" eval 'exit_is 1 && one_line_err && has_err "INVALID_UPDATE_VERSION"'
run features upgrade --feature "transaction.version=$((level - 1))" --dry-run
check "features: a downgrade asked as upgrade is INVALID_UPDATE_VERSION" eval 'exit_is 1 && has_err "INVALID_UPDATE_VERSION"'
run features upgrade --feature transaction.version=high
check "features: a level that is no number: exit 2" eval 'exit_is 2 && has_err "not a level"'
run features upgrade --feature transaction.version=1 --unsafe
check "features upgrade --unsafe: exit 2" eval 'exit_is 2 && has_err "unsafe"'

# --- partitions (Kafka's controller APIs; brookd is a single node without them) ---
run partitions elect-leaders --topic cli-t1 --partition 0
check "elect-leaders on brookd: UNSUPPORTED_VERSION" eval 'exit_is 1 && one_line_err && has_err "UNSUPPORTED_VERSION"'
run partitions list-reassignments
check "list-reassignments on brookd: UNSUPPORTED_VERSION" eval 'exit_is 1 && has_err "UNSUPPORTED_VERSION"'
run partitions reassign --topic cli-t1 --partition 0
check "reassign without --replicas: exit 2" eval 'exit_is 2 && has_err "replicas"'
run partitions elect-leaders
check "elect-leaders without partitions: exit 2" eval 'exit_is 2 && has_err "all-topic-partitions"'
run partitions elect-leaders --topic cli-t1 --election-type fastest
check "elect-leaders with a bad type: exit 2" eval 'exit_is 2 && has_err "preferred or unclean"'

# --- topics delete ---
run topics delete --topic cli-t1 --topic cli-t2
check "topics delete" eval 'exit_is 0 && has "Deleted topics cli-t1, cli-t2"'
run topics delete --topic cli-t1
check "topics delete unknown: UNKNOWN_TOPIC_OR_PARTITION" eval 'exit_is 1 && has_err "UNKNOWN_TOPIC_OR_PARTITION"'
run topics delete --topic cli-t1 --if-exists
check "topics delete --if-exists" eval 'exit_is 0 && has "No topic to delete"'

if grep -qE "AddressSanitizer|runtime error" "$work/brookd.log"; then
  echo "FAILED: brookd reported sanitizer errors"
  grep -E "AddressSanitizer|runtime error" "$work/brookd.log" | head -5
  failed=$((failed + 1))
fi
echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
