#!/usr/bin/env bash
# ACLs and authorization against a brookd run with Kafka's StandardAuthorizer, with Kafka's own
# kafka-acls (org.apache.kafka.tools.AclCommand 4.1.1) and real clients (confluent-kafka) on
# PLAINTEXT, where every connection is User:ANONYMOUS:
#   1. an unknown authorizer class stops start-up; without an authorizer the ACL APIs answer
#      SECURITY_DISABLED;
#   2. with super.users=User:ANONYMOUS: kafka-acls --add/--list/--remove with literal and prefixed
#      patterns, allow and deny, --producer/--consumer; User:ANONYMOUS is granted ALTER and
#      DESCRIBE on the cluster, which the ACL APIs need;
#   3. restarted without super users (allow.everyone.if.no.acl.found=false): the ACLs are still
#      there; a producer gets TOPIC_AUTHORIZATION_FAILED, a consumer GROUP_AUTHORIZATION_FAILED,
#      until kafka-acls grants User:ANONYMOUS the rights; kafka-topics --list leaves out the topic
#      the principal may not describe, and a Metadata request naming it (or a topic that does not
#      exist) gets TOPIC_AUTHORIZATION_FAILED;
#   4. restarted again: the grants still work.
#
# Usage: tests/compat/security/acls.sh path/to/brookd
# Environment: BROOK_TEST_PORTS=LOW-HIGH (the port range for brookd). Needs java 17.
# Ends with "acls: N passed, N failed"; exits non-zero if anything failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
brookd=${1:?usage: acls.sh path/to/brookd}
brookd=$(cd "$(dirname "$brookd")" && pwd)/$(basename "$brookd")

# shellcheck source=../kafka-tools-env.sh
source "$root/tests/compat/kafka-tools-env.sh" acls
port=$(cd "$here/.." && python3 -c 'from brookd_process import pick_port; print(pick_port())')
bs="127.0.0.1:$port"
export bs here
acls() { tool org.apache.kafka.tools.AclCommand --bootstrap-server "$bs" "$@"; }
topics() { tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" "$@"; }
client() { timeout 120 "$py" "$here/acl_clients.py" "$bs" "$@"; }
# Runs a command and checks that its output has (or, with !, lacks) a pattern.
has() {  # pattern, command...
  local p=$1
  shift
  local o
  o=$("$@" 2>&1) || true
  echo "$o"
  grep -qE -- "$p" <<<"$o"
}
lacks() {
  local p=$1
  shift
  local o
  o=$("$@" 2>&1) || true
  echo "$o"
  ! grep -qE -- "$p" <<<"$o"
}
export -f tool acls topics client has lacks

passed=0
failed=0
out="$work/out"
check() {  # name, command...
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

start_brookd() {  # --override values...
  local args=(--override "listeners=PLAINTEXT://$bs" --override "log.dirs=$work/data")
  for o in "$@"; do args+=(--override "$o"); done
  "$brookd" "${args[@]}" >>"$work/brookd.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null &&
      return 0
    sleep 0.1
  done
  return 1
}
stop_brookd() {
  kill "$pid" && wait "$pid" || true
  pid=""
}
standard=authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer

# 1. Settings.
refused_class() {
  local o
  o=$("$brookd" --override "listeners=PLAINTEXT://$bs" --override "log.dirs=$work/other" \
    --override authorizer.class.name=com.example.NoSuchAuthorizer 2>&1) && return 1
  echo "$o"
  grep -q "authorizer.class.name" <<<"$o"
}
check "an unknown authorizer.class.name stops start-up, naming the setting" refused_class
start_brookd
check "no authorizer: kafka-acls --list answers SECURITY_DISABLED" \
  has "SecurityDisabledException|No Authorizer is configured" acls --list
check "no authorizer: kafka-acls --add answers SECURITY_DISABLED" \
  has "SecurityDisabledException|No Authorizer is configured" \
  acls --add --allow-principal User:alice --operation Read --topic t
stop_brookd

# 2. ACLs managed by a super user.
start_brookd "$standard" super.users=User:ANONYMOUS
check "topics --create acl-t, acl-secret, pay-1" bash -c 'topics --create --topic acl-t &&
  topics --create --topic acl-secret && topics --create --topic pay-1'
check "acls --add literal ALLOW (alice Read, Write on topic acl-t)" \
  has "operation=WRITE, permissionType=ALLOW" \
  acls --add --allow-principal User:alice --operation Read --operation Write --topic acl-t
check "acls --add prefixed DENY (bob All on topics pay*)" \
  has "patternType=PREFIXED" acls --add --deny-principal User:bob --operation All --topic pay \
  --resource-pattern-type prefixed
check "acls --add --producer for carol (topic acl-t, transactional id tx)" \
  has "TRANSACTIONAL_ID, name=tx" \
  acls --add --allow-principal User:carol --producer --topic acl-t --transactional-id tx
check "acls --add --consumer for carol (topic acl-t, group g)" \
  has "GROUP, name=g," acls --add --allow-principal User:carol --consumer --topic acl-t --group g
list_all() {
  local o
  o=$(acls --list) || return 1
  echo "$o"
  grep -q "principal=User:alice, host=\*, operation=READ, permissionType=ALLOW" <<<"$o" &&
    grep -q "principal=User:bob, host=\*, operation=ALL, permissionType=DENY" <<<"$o" &&
    grep -q "name=pay, patternType=PREFIXED" <<<"$o" &&
    grep -q "resourceType=TRANSACTIONAL_ID, name=tx, patternType=LITERAL" <<<"$o" &&
    grep -q "resourceType=GROUP, name=g, patternType=LITERAL" <<<"$o"
}
check "acls --list shows every ACL added" list_all
check "acls --list --topic pay-1 --resource-pattern-type match finds the prefixed DENY" \
  has "name=pay, patternType=PREFIXED" acls --list --topic pay-1 --resource-pattern-type match
check "acls --remove alice's Write on acl-t" \
  acls --remove --force --allow-principal User:alice --operation Write --topic acl-t
check "acls --list --topic acl-t: alice's Read stays, her Write is gone" \
  bash -c 'o=$(acls --list --topic acl-t) && echo "$o" &&
    grep -q "User:alice, host=\*, operation=READ" <<<"$o" &&
    ! grep -q "User:alice, host=\*, operation=WRITE" <<<"$o"'
check "acls --remove the prefixed DENY" \
  acls --remove --force --topic pay --resource-pattern-type prefixed
check "acls --list no longer shows it" lacks "patternType=PREFIXED" acls --list
check "acls --add ALTER and DESCRIBE on the cluster for User:ANONYMOUS" \
  has "resourceType=CLUSTER" acls --add --allow-principal User:ANONYMOUS --operation Alter \
  --operation Describe --cluster
stop_brookd

# 3. No super users: User:ANONYMOUS has only what ACLs grant.
start_brookd "$standard" allow.everyone.if.no.acl.found=false
list_kept() {
  local o
  o=$(acls --list) || return 1
  echo "$o"
  grep -q "principal=User:alice, host=\*, operation=READ, permissionType=ALLOW" <<<"$o" &&
    ! grep -q "principal=User:alice, host=\*, operation=WRITE" <<<"$o" &&
    ! grep -q "patternType=PREFIXED" <<<"$o" &&
    grep -q "resourceType=GROUP, name=g, patternType=LITERAL" <<<"$o" &&
    grep -q "principal=User:ANONYMOUS, host=\*, operation=ALTER, permissionType=ALLOW" <<<"$o"
}
check "after a restart: acls --list shows the ACLs as they were left" list_kept
check "producer without WRITE: TOPIC_AUTHORIZATION_FAILED" \
  has "^TOPIC_AUTHORIZATION_FAILED$" client produce acl-t v1
check "acls --add --producer --topic acl-t for User:ANONYMOUS" \
  acls --add --allow-principal User:ANONYMOUS --producer --topic acl-t
check "producer with the grant: delivered" has "^ok$" client produce acl-t v1
check "acls --add prefixed DENY Write on acl- for User:ANONYMOUS" \
  acls --add --deny-principal User:ANONYMOUS --operation Write --topic acl- \
  --resource-pattern-type prefixed
check "producer: the DENY wins over the ALLOW: TOPIC_AUTHORIZATION_FAILED" \
  has "^TOPIC_AUTHORIZATION_FAILED$" client produce acl-t v1
check "acls --remove the DENY" acls --remove --force --deny-principal User:ANONYMOUS \
  --operation Write --topic acl- --resource-pattern-type prefixed
check "transactional producer without WRITE on its id: TRANSACTIONAL_ID_AUTHORIZATION_FAILED" \
  has "^TRANSACTIONAL_ID_AUTHORIZATION_FAILED$" client transaction acl-t acl-tx v0
check "acls --add --producer --transactional-id acl-tx for User:ANONYMOUS" \
  acls --add --allow-principal User:ANONYMOUS --producer --topic acl-t --transactional-id acl-tx
check "transactional producer with the grant: committed" \
  has "^ok$" client transaction acl-t acl-tx v0
check "acls --add Read on topic acl-t for User:ANONYMOUS" \
  acls --add --allow-principal User:ANONYMOUS --operation Read --topic acl-t
check "consumer without READ on its group: GROUP_AUTHORIZATION_FAILED" \
  has "^GROUP_AUTHORIZATION_FAILED$" client consume acl-t acl-g
check "acls --add --consumer --topic acl-t --group acl-g for User:ANONYMOUS" \
  acls --add --allow-principal User:ANONYMOUS --consumer --topic acl-t --group acl-g
check "consumer in group acl-g with the grants: reads v1" has "^ok v(0|1)$" client consume acl-t acl-g
check "topics --list shows acl-t, leaves out acl-secret and pay-1" \
  bash -c 'o=$(topics --list) && echo "$o" && grep -qx acl-t <<<"$o" &&
    ! grep -qx acl-secret <<<"$o" && ! grep -qx pay-1 <<<"$o"'
check "Metadata naming acl-secret: TOPIC_AUTHORIZATION_FAILED" \
  has "^TOPIC_AUTHORIZATION_FAILED$" client metadata acl-secret
check "Metadata naming a topic that does not exist: TOPIC_AUTHORIZATION_FAILED, not unknown" \
  has "^TOPIC_AUTHORIZATION_FAILED$" client metadata no-such-topic
check "producer to acl-secret: TOPIC_AUTHORIZATION_FAILED" \
  has "^TOPIC_AUTHORIZATION_FAILED$" client produce acl-secret v2
check "DescribeCluster's authorized operations: ALTER and DESCRIBE (the cluster ACLs)" \
  has "^ok ALTER,DESCRIBE$" client cluster-ops
check "DescribeTopicPartitions' authorized operations on acl-t: what the ACLs grant" \
  has "^ok CREATE,DESCRIBE,READ,WRITE$" client topic-ops acl-t
check "DescribeTopicPartitions of acl-secret: TOPIC_AUTHORIZATION_FAILED" \
  has "^TOPIC_AUTHORIZATION_FAILED$" client topic-ops acl-secret
check "DescribeConfigs of the broker without DESCRIBE_CONFIGS: CLUSTER_AUTHORIZATION_FAILED" \
  has "^CLUSTER_AUTHORIZATION_FAILED$" client broker-configs
check "consumer-groups --list: only acl-g, which User:ANONYMOUS may describe" \
  bash -c 'o=$(tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
    --bootstrap-server "$bs" --list) && echo "$o" && grep -qx acl-g <<<"$o" &&
    [[ $(wc -l <<<"$o") == 1 ]]'
check "topics --create without CREATE: refused" \
  has "TopicAuthorizationException|Authorization failed" topics --create --topic acl-new
stop_brookd

# 4. The grants survive another restart.
start_brookd "$standard"
check "after another restart: the producer is still allowed" has "^ok$" client produce acl-t v3
check "after another restart: acls --list shows User:ANONYMOUS's grants" \
  has "principal=User:ANONYMOUS, host=\*, operation=READ, permissionType=ALLOW" \
  acls --list --topic acl-t
stop_brookd

echo "acls: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
