#!/usr/bin/env bash
# Builds Brook and runs every test: generator tests, generated-code drift, formatting, module
# dependency order, the unit and round-trip tests under ASan+UBSan, Kafka's own codec against
# Brook's encodings, Kafka clients' decoders against the record batches Brook builds, real clients
# against brookd, Brook's own client library and `brook` tool against brookd and Apache Kafka,
# crash and bad-input tests, and a short fuzz run. One command on a fresh Debian 12 machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/install-deps.sh --test

step() { printf '\n=== %s [%s]\n' "$*" "$(date +%T)"; }

step "codegen: generator tests"
python3 -m unittest discover -s tools/codegen/tests -t tools/codegen

specs="${BROOK_KAFKA_SPECS:-$root/../shared/kafka-message-specs}"
if [[ -d "$specs/4.5-trunk" && -d "$specs/3.9.2" ]]; then
  step "codegen: generated code matches the schemas"
  python3 tools/codegen/generate.py --check --new "$specs/4.5-trunk" --old "$specs/3.9.2" \
    --out src/protocol/generated --tests-out src/protocol/tests/generated
else
  echo "codegen: schema folders not found at $specs; drift check skipped"
fi

step "format (clang-format-14)"
bash scripts/check-format.sh

step "module dependency order"
python3 scripts/check-deps.py

step "build and unit tests (sanitize: ASan+UBSan)"
cmake --preset sanitize >/dev/null
cmake --build --preset sanitize -j"$(nproc)"
ctest --preset sanitize -j"$(nproc)"

# The fuzz targets are a separate build (libFuzzer instrumentation). It runs in the background at
# the lowest priority while the suites below run, which leave the cores idle much of the time
# (waiting on JVMs, timers and sockets), so the fuzz step at the end finds it done.
step "fuzz targets: building in the background (nice 19) while the suites run"
mkdir -p build
setsid nice -n 19 bash -c 'cmake --preset fuzz >/dev/null && cmake --build --preset fuzz -j"$(nproc)"' \
  >build/fuzz-build.log 2>&1 &
fuzz_build=$!
# Its own process group (setsid), stopped whole if a step fails first.
trap 'kill -- "-$fuzz_build" 2>/dev/null || true' EXIT

if [[ -x tests/compat/kafka-codec/run.sh ]]; then
  step "Kafka's own codec reads and rewrites Brook's encodings byte for byte"
  tests/compat/kafka-codec/run.sh "$root/build/sanitize/src/protocol/brook_protocol_tests"
fi

if [[ -x tests/compat/records-interop/run.sh ]]; then
  step "Kafka clients read batches Brook builds"
  tests/compat/records-interop/run.sh "$root/build/sanitize/src/protocol/brook_protocol_tests"
fi

if [[ -x tests/compat/offsets-records/run.sh ]]; then
  step "Kafka's group coordinator reads and rewrites Brook's __consumer_offsets records byte for byte"
  tests/compat/offsets-records/run.sh "$root/build/sanitize/src/coordinator/brook_coordinator_tests"
fi

step "real clients against brookd (kcat, confluent-kafka, kafka-python, Java, franz-go, KafkaJS; restarts and kill -9)"
tests/compat/clients/run.sh "$root/build/sanitize/src/app/brookd"

step "Kafka's own tools against brookd (kafka-topics, kafka-configs, console producer and consumer, ...)"
tests/compat/tools/run.sh "$root/build/sanitize/src/app/brookd"

step "consumer groups with real clients (five families alone and mixed, members killed, kafka-consumer-groups, brookd restarts)"
tests/compat/groups/run.sh "$root/build/sanitize/src/app/brookd"

step "log compaction with real clients (latest value per key, tombstones, transactions, __consumer_offsets, kill -9 while cleaning)"
tests/compat/compaction/run.sh "$root/build/sanitize/src/app/brookd"

step "transactions: markers, last stable offset and aborted transactions (raw protocol); confluent-kafka, kafka-python and KafkaJS (version 1), Java and franz-go (version 2) transactional producers: commit, abort, consume-transform-produce, fencing, kill -9; brookd and producers killed at random, read_committed checked"
tests/compat/transactions/run.sh "$root/build/sanitize/src/app/brookd"

step "security: TLS, mutual TLS and SASL with every client family; refusals, bad input and re-authentication on secured listeners; SCRAM credentials with kafka-configs; GSSAPI with a KDC; ACLs with kafka-acls and real clients; client quotas (kafka-configs, throttled clients)"
tests/compat/security/run.sh "$root/build/sanitize/src/app/brookd"

step "Brook's client library against brookd and against Apache Kafka 4.4 and 3.9"
# An authorizer whose super user is the plaintext client: the Admin client's ACL tests need one.
BROOK_CLIENT_BROKER_SETTINGS="authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer super.users=User:ANONYMOUS" \
  tests/client/run.sh "$root/build/sanitize/src/app/brookd" "$root/build/sanitize/tests/client/brook_client_it"

step "the brook command-line tool against brookd (topics, configs, groups, acls, users, cluster)"
tests/client/cli_test.sh "$root/build/sanitize/src/app/brookd" "$root/build/sanitize/src/cli/brook"

step "Brook's client library over TLS, mutual TLS and SASL (PLAIN, SCRAM, OAUTHBEARER with a token endpoint, GSSAPI with a KDC): refusals and re-authentication"
BROOK_CLIENT_KAFKA="" tests/client/security_run.sh "$root/build/sanitize/src/app/brookd" "$root/build/sanitize/tests/client/brook_client_it"

step "Brook's client library installed (cmake --install) and used by an outside project (examples/client, find_package(BrookClient))"
tests/client/install_test.sh "$root/build/sanitize" "$root/build/sanitize/src/app/brookd"

step "differential conformance: the same requests to Apache Kafka 4.4 and brookd, answers compared"
tests/conformance/run.sh "$root/build/sanitize/src/app/brookd"

step "robustness: kill -9 under an acks=all producer; malformed input on many connections"
tests/compat/robustness/run.sh "$root/build/sanitize/src/app/brookd"

step "fuzz: short runs"
if ! wait "$fuzz_build"; then
  tail -n 40 build/fuzz-build.log
  echo "the fuzz build failed" >&2
  exit 1
fi
bash tests/fuzz/run.sh 30
