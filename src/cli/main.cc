// `brook`: the command-line tool for people who run Brook or Kafka clusters. One line per
// subcommand in k_commands below; each subcommand's function lives in its own file (cli.h).
// Errors end the run with one line on stderr and a nonzero exit: 2 for a wrong command line, 1 for
// a refusal or failure of the cluster.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>

#include "cli/cli.h"
#include "client/errors.h"

namespace brook::cli {
namespace {

constexpr std::string_view k_common_help = R"(
Common options:
  -b, --bootstrap-server HOST:PORT  broker to start from (default: $BROOK_BOOTSTRAP, else
                                    127.0.0.1:9092)
  -X KEY=VALUE                      any client setting (repeatable), e.g. -X request.timeout.ms=5000
      --command-config FILE         client settings from a properties file
      --json                        machine-readable output (JSON)
  -h, --help                        this help
)";

struct command {
  std::string_view name;
  std::string_view summary;
  std::string_view help;
  int (*run)(context&);
  std::vector<option_spec> options;
};

const std::vector<command>& commands() {
  static const std::vector<command> k_commands = {
      {"produce",
       "write records from standard input, a file or the command line",
       R"(Usage: brook produce --topic TOPIC [--partition N] [--key KEY | --key-delimiter DELIM]
                     [--header KEY=VALUE]... [--acks 0|1|all] [--compression CODEC]
                     [--value VALUE]... [--file FILE]

Each line of standard input (or of --file) becomes one record, as with kcat -P; --value
gives records on the command line instead. --key-delimiter splits each line into key and
value at the first DELIM; --key gives every record the same key. Records without a
--partition are spread as Kafka's Java client does (murmur2 of the key, sticky otherwise).
The tool waits until every record is acknowledged and fails with the broker's error if one
is not. Any producer setting goes through -X (e.g. -X linger.ms=50 -X enable.idempotence=false).

Examples:
  seq 1 1000 | brook produce --topic numbers
  brook produce --topic orders --key-delimiter : --file orders.txt --compression zstd
  brook produce -t orders --key k1 --value hello --header source=cli)",
       produce_command,
       {{"topic", 't', true},
        {"partition", 'p', true},
        {"key", 'k', true},
        {"key-delimiter", 'K', true},
        {"header", 'H', true},
        {"acks", 'a', true},
        {"compression", 'z', true},
        {"value", 0, true},
        {"file", 'f', true}}},
      {"consume",
       "print records of topics, from chosen offsets or as a group member",
       R"(Usage: brook consume --topic TOPIC... [--partition N]... [--offset WHERE]
                     [--count N] [--exit] [--group GROUP] [--format FORMAT | --json]
                     [--isolation read_committed|read_uncommitted] [--timeout-ms MS]

Without --group the tool reads the chosen partitions (all by default) from --offset:
beginning (default), end, an offset, or -N for the last N records of each partition. With
--group it joins the group, subscribes and starts from the group's committed offsets
(auto.offset.reset applies when there are none), committing what it printed.
--exit stops at the end of every partition as it was when reading began; --count after N
records; --timeout-ms after that long without a record. Output: each value on a line; or
--format with kcat's tokens (%t topic, %p partition, %o offset, %T timestamp, %k key,
%s value, %K and %S key and value lengths, %h headers, \n, \t); or --json, one object per line.

Examples:
  brook consume --topic orders --exit
  brook consume -t orders -o -10 --format '%p/%o %k=%s\n' --exit
  brook consume -t orders --group billing --count 100 --json)",
       consume_command,
       {{"topic", 't', true},
        {"partition", 'p', true},
        {"offset", 'o', true},
        {"count", 'c', true},
        {"exit", 'e', false},
        {"group", 'g', true},
        {"format", 'f', true},
        {"isolation", 0, true},
        {"timeout-ms", 0, true}}},
      {"bench",
       "load generator: produce, consume or end-to-end, with percentiles",
       R"(Usage: brook bench produce --topic TOPIC [--count N] [--size BYTES] [--acks 0|1|all]
                           [--rate RECORDS_PER_S]
       brook bench consume --topic TOPIC [--count N]
       brook bench end-to-end --topic TOPIC [--count N] [--size BYTES] [--rate R]
       (all: [--timeout SECONDS], default 120)

produce sends --count records (default 1000000) of --size bytes (default 100) as fast as the
producer takes them, or at --rate records/s, where it also reports the latency from send to
acknowledgement (p50, p99, p99.9, max). consume reads --count records of every partition from
the beginning. end-to-end produces at --rate (default 10000/s) and consumes in the same
process: the latency from send to the record coming out of poll().
Progress goes to stderr each second; the result is one line of key=value pairs on stdout.
Settings match librdkafka's bench defaults unless -X says otherwise: linger.ms=5,
batch.size=1000000, no compression, idempotence off.

Examples:
  brook topics create --topic bench --partitions 6
  brook bench produce --topic bench --count 5000000 --acks all
  brook bench produce --topic bench --rate 50000 --count 500000
  brook bench end-to-end --topic bench --rate 20000)",
       bench_command,
       {{"topic", 't', true},
        {"count", 'c', true},
        {"size", 's', true},
        {"rate", 'r', true},
        {"acks", 'a', true},
        {"timeout", 0, true}}},
      {"topics",
       "list, describe, create, delete topics; add partitions",
       R"(Usage: brook topics list [--internal]
       brook topics describe [TOPIC...] [--topic TOPIC]...
       brook topics create --topic TOPIC [--partitions N] [--replication-factor N]
                           [--config KEY=VALUE]... [--if-not-exists] [--validate-only]
       brook topics delete --topic TOPIC... [--if-exists]
       brook topics alter --topic TOPIC --partitions N

Partitions and replication factor default to the brokers' num.partitions and
default.replication.factor. describe shows every partition with its leader, replicas and
in-sync replicas; without a topic it describes all.

Examples:
  brook topics create --topic orders --partitions 6 --config retention.ms=86400000
  brook topics describe orders
  brook topics alter --topic orders --partitions 12
  brook topics list --json)",
       topics_command,
       {{"topic", 't', true},
        {"partitions", 'p', true},
        {"replication-factor", 'r', true},
        {"config", 'c', true},
        {"internal", 0, false},
        {"if-not-exists", 0, false},
        {"if-exists", 0, false},
        {"validate-only", 0, false}}},
      {"configs",
       "describe and change topic and broker configs",
       R"(Usage: brook configs describe (--topic TOPIC | --broker ID | --broker-defaults) [--all]
       brook configs alter (--topic TOPIC | --broker ID | --broker-defaults)
                           [--set KEY=VALUE]... [--delete KEY]...
                           [--append KEY=VALUE]... [--subtract KEY=VALUE]...

describe shows the configs set on the resource (dynamic and static ones) with their source;
--all adds every default. Sensitive values (passwords) are never shown.
alter changes only what it names: --set sets a value, --delete returns a config to its default,
--append and --subtract add to or remove from list configs (cleanup.policy=compact).

Examples:
  brook configs describe --topic orders
  brook configs alter --topic orders --set retention.ms=3600000 --delete segment.bytes
  brook configs describe --broker 1 --all --json)",
       configs_command,
       {{"topic", 't', true},
        {"broker", 0, true},
        {"broker-defaults", 0, false},
        {"all", 0, false},
        {"set", 0, true},
        {"delete", 0, true},
        {"append", 0, true},
        {"subtract", 0, true}}},
      {"groups",
       "list, describe and delete consumer groups; reset their offsets",
       R"(Usage: brook groups list [--state STATE]... [--type TYPE]...
       brook groups describe --group GROUP [--members | --state]
       brook groups delete --group GROUP...
       brook groups reset-offsets --group GROUP --topic TOPIC[:P,P...]
                                  (--to-earliest | --to-latest | --to-offset N) [--dry-run]

describe shows each partition's committed offset, log end offset and lag, and the member
consuming it; --members lists the members with their partitions; --state the group's state.
reset-offsets commits new offsets for an inactive group (no running consumers): the offsets
are clamped to what the partition holds; --dry-run only shows them.

Examples:
  brook groups list --state Stable
  brook groups describe --group billing
  brook groups reset-offsets --group billing --topic orders --to-earliest
  brook groups reset-offsets --group billing --topic orders:0,1 --to-offset 1000 --dry-run)",
       groups_command,
       {{"group", 'g', true},
        {"topic", 't', true},
        {"state", 0, true, true},
        {"type", 0, true},
        {"members", 0, false},
        {"to-earliest", 0, false},
        {"to-latest", 0, false},
        {"to-offset", 0, true},
        {"dry-run", 0, false},
        {"execute", 0, false}}},
      {"acls",
       "list, create and delete ACLs",
       R"(Usage: brook acls list [FILTER]
       brook acls create --principal P --operation OP... (--topic T | --group G | --cluster |
                         --transactional-id ID | --resource-type TYPE --resource-name NAME)
                         [--permission allow|deny] [--host H] [--pattern-type literal|prefixed]
       brook acls delete [FILTER]

FILTER: any of --principal, --host, --operation, --permission, --resource-type,
--resource-name (or --topic/--group/--cluster/--transactional-id), --pattern-type
(literal, prefixed, any, match). Unset parts match everything; delete without a filter
deletes every ACL.
Operations: ALL READ WRITE CREATE DELETE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS
ALTER_CONFIGS IDEMPOTENT_WRITE. Resource types: TOPIC GROUP CLUSTER TRANSACTIONAL_ID
DELEGATION_TOKEN USER. Permission defaults to allow, host to *, pattern to literal.

Examples:
  brook acls create --principal User:alice --operation read --operation describe --topic orders
  brook acls create --principal User:bob --operation write --topic orders- --pattern-type prefixed
  brook acls list --principal User:alice
  brook acls delete --principal User:alice --topic orders)",
       acls_command,
       {{"principal", 0, true},
        {"host", 0, true},
        {"operation", 0, true},
        {"permission", 0, true},
        {"resource-type", 0, true},
        {"resource-name", 0, true},
        {"pattern-type", 0, true},
        {"topic", 't', true},
        {"group", 'g', true},
        {"cluster", 0, false},
        {"transactional-id", 0, true}}},
      {"users",
       "list, set and delete SCRAM credentials",
       R"(Usage: brook users list [--user USER]...
       brook users set-password --user USER (--password PASSWORD | --password -)
                                [--mechanism SCRAM-SHA-256|SCRAM-SHA-512] [--iterations N]
       brook users delete --user USER [--mechanism MECHANISM]

set-password stores a SCRAM credential (salted on this machine; the password is not sent);
"--password -" reads it from the first line of standard input. delete removes the given
mechanism's credential, or all of the user's.

Examples:
  brook users set-password --user alice --password s3cret --mechanism SCRAM-SHA-512
  echo s3cret | brook users set-password --user bob --password -
  brook users list)",
       users_command,
       {{"user", 'u', true},
        {"password", 0, true},
        {"mechanism", 0, true},
        {"iterations", 0, true}}},
      {"quotas",
       "describe and change client quotas of users, client ids and ips",
       R"(Usage: brook quotas describe [ENTITY] [--exact]
       brook quotas alter ENTITY [--add KEY=VALUE]... [--delete KEY]... [--validate-only]

ENTITY: any of --user NAME | --user-defaults, --client-id NAME | --client-defaults,
--ip ADDRESS | --ip-defaults (the defaults apply to every user, client id or ip without a
quota of its own). describe without an entity shows every quota; with one, the quotas of
every entity that includes it (--exact: of that entity alone). Keys: producer_byte_rate,
consumer_byte_rate, request_percentage, controller_mutation_rate (users and client ids),
connection_creation_rate (ips).

Examples:
  brook quotas alter --user alice --add producer_byte_rate=1048576 --add consumer_byte_rate=2097152
  brook quotas alter --user alice --client-id app --add request_percentage=50
  brook quotas alter --client-defaults --add producer_byte_rate=10485760
  brook quotas describe --user alice
  brook quotas alter --user alice --delete producer_byte_rate)",
       quotas_command,
       {{"user", 0, true},
        {"user-defaults", 0, false},
        {"client-id", 0, true},
        {"client-defaults", 0, false},
        {"ip", 0, true},
        {"ip-defaults", 0, false},
        {"exact", 0, false},
        {"add", 0, true},
        {"delete", 0, true},
        {"validate-only", 0, false}}},
      {"transactions",
       "list and describe transactions and producers; abort a hanging transaction",
       R"(Usage: brook transactions list [--state STATE]... [--producer-id ID]... [--duration-ms MS]
                               [--transactional-id-pattern REGEX]
       brook transactions describe --transactional-id ID...
       brook transactions describe-producers --topic TOPIC --partition N
       brook transactions abort --topic TOPIC --partition N (--start-offset OFFSET |
                                --producer-id ID --producer-epoch E --coordinator-epoch E)

list shows the transactions of every broker's coordinator (states: Empty, Ongoing,
PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort...); --duration-ms keeps those
running longer (Kafka 3.8+), --transactional-id-pattern those whose id matches (Kafka 4.1+).
describe shows a transaction's producer, state, start time and partitions;
describe-producers the producers a partition's leader knows, with the first offset of their
open transaction. abort writes an abort marker on the partition for the producer whose open
transaction starts at --start-offset (or the producer given): for a hanging transaction whose
producer is gone. It needs ClusterAction on the cluster.

Examples:
  brook transactions list --state Ongoing --duration-ms 600000
  brook transactions describe --transactional-id payments-1
  brook transactions describe-producers --topic orders --partition 0
  brook transactions abort --topic orders --partition 0 --start-offset 1500)",
       transactions_command,
       {{"state", 0, true},
        {"producer-id", 0, true},
        {"duration-ms", 0, true},
        {"transactional-id-pattern", 0, true},
        {"transactional-id", 0, true},
        {"topic", 't', true},
        {"partition", 'p', true},
        {"start-offset", 0, true},
        {"producer-epoch", 0, true},
        {"coordinator-epoch", 0, true}}},
      {"log-dirs",
       "describe brokers' log dirs and the partitions' sizes in them",
       R"(Usage: brook log-dirs describe [--broker ID[,ID...]]... [--topic TOPIC]...

Shows each log dir of the brokers (all by default): its error (an offline dir), the volume's
total and usable bytes, and its partitions (of --topic only, when given) with their sizes,
how far a future replica lags, and whether it is a future replica of a move between dirs.

Examples:
  brook log-dirs describe
  brook log-dirs describe --broker 1 --topic orders --json)",
       log_dirs_command,
       {{"broker", 0, true}, {"topic", 't', true}}},
      {"features",
       "describe the cluster's features; upgrade, downgrade or disable one",
       R"(Usage: brook features describe
       brook features upgrade --feature NAME=LEVEL... [--dry-run]
       brook features downgrade --feature NAME=LEVEL... [--unsafe] [--dry-run]
       brook features disable --feature NAME... [--unsafe] [--dry-run]

describe shows each feature's supported range on the broker asked and the level finalized
across the cluster (0: disabled). upgrade raises finalized levels; downgrade lowers them
(--unsafe allows a downgrade that may lose metadata); disable sets level 0. --dry-run has
the controller check the change without making it.

Examples:
  brook features describe
  brook features upgrade --feature transaction.version=2 --dry-run
  brook features downgrade --feature group.version=0)",
       features_command,
       {{"feature", 0, true}, {"unsafe", 0, false}, {"dry-run", 0, false}}},
      {"partitions",
       "elect leaders; list, start and cancel partition reassignments (Kafka)",
       R"(Usage: brook partitions elect-leaders (--topic TOPIC [--partition N]... |
                                        --all-topic-partitions) [--election-type preferred|unclean]
       brook partitions list-reassignments [--topic TOPIC [--partition N]...]
       brook partitions reassign --topic TOPIC [--partition N]... --replicas ID,ID...
       brook partitions cancel-reassignment --topic TOPIC [--partition N]...

For Kafka clusters of several brokers; brookd is a single node without these APIs
(UNSUPPORTED_VERSION). elect-leaders shows each partition's result: ELECTED, or why not
(ELECTION_NOT_NEEDED when the leader is already the one chosen). Without --partition a
command applies to every partition of the topic. reassign moves the partitions to the
given replicas (the first is the preferred leader).

Examples:
  brook partitions elect-leaders --topic orders --partition 0
  brook partitions elect-leaders --all-topic-partitions --election-type unclean
  brook partitions reassign --topic orders --partition 3 --replicas 2,3,1
  brook partitions list-reassignments --json)",
       partitions_command,
       {{"topic", 't', true},
        {"partition", 'p', true},
        {"all-topic-partitions", 0, false},
        {"election-type", 0, true},
        {"replicas", 0, true}}},
      {"cluster",
       "the cluster's id, controller and brokers",
       R"(Usage: brook cluster

Examples:
  brook cluster -b broker1:9092
  brook cluster --json)",
       cluster_command,
       {}},
  };
  return k_commands;
}

void print_usage(std::FILE* to) {
  fmt::print(to, "Usage: brook COMMAND [SUBCOMMAND] [OPTIONS]\n\nCommands:\n");
  for (const auto& c : commands()) fmt::print(to, "  {:<14}{}\n", c.name, c.summary);
  fmt::print(to, "{}\nRun 'brook COMMAND --help' for a command's options and examples.\n",
             k_common_help);
}

// Common options may come before the command ("brook -b host:9092 topics list"): the command is
// the first word that is neither an option nor the value of one; the other words stay in order.
std::pair<std::string, std::vector<std::string>> split_command(int argc, char** argv) {
  std::vector<std::string> rest;
  std::string name;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (name.empty() && !a.starts_with("-")) {
      name = a;
      continue;
    }
    rest.emplace_back(a);
    const bool takes_value =
        a == "-b" || a == "--bootstrap-server" || a == "-X" || a == "--command-config";
    if (name.empty() && takes_value && i + 1 < argc) rest.emplace_back(argv[++i]);
  }
  return {name, rest};
}

int run(int argc, char** argv) {
  auto [name, rest] = split_command(argc, argv);
  if (name.empty() || name == "help") {
    const bool asked = name == "help" || std::any_of(rest.begin(), rest.end(), [](const auto& a) {
                         return a == "-h" || a == "--help";
                       });
    print_usage(asked ? stdout : stderr);
    return asked ? 0 : 2;
  }
  const command* cmd = nullptr;
  for (const auto& c : commands())
    if (c.name == name) cmd = &c;
  if (!cmd) {
    fmt::print(stderr, "brook: unknown command '{}' (run 'brook --help')\n", name);
    return 2;
  }
  try {
    context ctx(rest, cmd->options);
    if (ctx.help()) {
      fmt::print("{}\n{}", cmd->help, k_common_help);
      return 0;
    }
    return cmd->run(ctx);
  } catch (const usage_error& e) {
    fmt::print(stderr, "brook {}: {} (run 'brook {} --help')\n", name, e.what(), name);
    return 2;
  } catch (const client::config_error& e) {
    fmt::print(stderr, "brook {}: {}\n", name, e.what());
    return 2;
  } catch (const client::kafka_error& e) {
    fmt::print(stderr, "brook {}: {}\n", name, e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "brook {}: {}\n", name, e.what());
    return 1;
  }
}

}  // namespace
}  // namespace brook::cli

int main(int argc, char** argv) { return brook::cli::run(argc, argv); }
