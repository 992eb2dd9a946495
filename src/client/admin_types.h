// The values Brook's Admin client takes and returns (admin.h): new topics, descriptions of topics,
// configs, groups, ACLs, SCRAM users, client quotas, transactions, log dirs and features, with
// Kafka's enums under their Java names (TOPIC, LITERAL, READ, ALLOW, SCRAM-SHA-256...) and their
// wire numbers. Plain values: copy them freely, on any thread. The name functions turn each enum to
// Kafka's upper-case name and back (parse_* throw config_error for an unknown name), for tools that
// print and read them, such as the `brook` CLI.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/types.h"
#include "protocol/errors.h"
#include "protocol/wire/types.h"

namespace brook::client {

// --- Topics ---

// A topic to create. partitions and replication_factor -1 take the broker's defaults
// (num.partitions, default.replication.factor); replica_assignment (partition → broker ids), when
// given, replaces both.
struct new_topic {
  std::string name;
  int32_t partitions = -1;
  int16_t replication_factor = -1;
  std::map<std::string, std::string> configs;
  std::map<int32_t, std::vector<int32_t>> replica_assignment;
};

// What create_topics learned of a topic it created (Kafka 2.4+ brokers tell; -1 otherwise).
struct created_topic {
  std::string name;
  wire::uuid id;
  int32_t partitions = -1;
  int16_t replication_factor = -1;
};

// A topic name and whether it is internal (__consumer_offsets, __transaction_state).
struct topic_listing {
  std::string name;
  wire::uuid id;
  bool internal = false;
};

struct partition_info {
  int32_t partition = 0;
  // -1 when the partition has no leader.
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
};

struct topic_description {
  std::string name;
  wire::uuid id;
  bool internal = false;
  // Sorted by partition id.
  std::vector<partition_info> partitions;
};

// --- Configs ---

enum class config_resource_type : int8_t {
  unknown = 0,
  topic = 2,
  broker = 4,
  broker_logger = 8,
  client_metrics = 16,
  group = 32,
};

// A topic, a broker (name = node id as text; "" for the cluster-wide broker default), etc.
struct config_resource {
  config_resource_type type = config_resource_type::topic;
  std::string name;
  auto operator<=>(const config_resource&) const = default;
};

// Where a config's value comes from (Kafka's ConfigEntry.ConfigSource).
enum class config_source : int8_t {
  unknown = 0,
  dynamic_topic_config = 1,
  dynamic_broker_config = 2,
  dynamic_default_broker_config = 3,
  static_broker_config = 4,
  default_config = 5,
  dynamic_broker_logger_config = 6,
  client_metrics_config = 7,
  group_config = 8,
};

struct config_entry {
  std::string name;
  // nullopt for a sensitive value (passwords) or a config without a value.
  std::optional<std::string> value;
  config_source source = config_source::unknown;
  bool sensitive = false;
  bool read_only = false;
  // Whether the value is the default (source default_config).
  bool is_default() const { return source == config_source::default_config; }
};

enum class alter_config_op : int8_t { set = 0, remove = 1, append = 2, subtract = 3 };

// One change for incremental_alter_configs: set a value, remove it (back to the default), or
// append to / subtract from a list-valued config.
struct alter_config {
  std::string name;
  alter_config_op op = alter_config_op::set;
  std::string value;
};

// --- Groups ---

struct group_listing {
  std::string group_id;
  // "consumer" for consumer groups and groups with committed offsets only; "" for others.
  std::string protocol_type;
  // Stable, Empty, PreparingRebalance, Dead... when the broker tells (ListGroups v4+).
  std::optional<std::string> state;
  // classic, consumer, share, streams when the broker tells (ListGroups v5+).
  std::optional<std::string> type;
};

struct member_description {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  // The partitions assigned to the member (classic consumer groups: decoded from the assignment).
  std::vector<topic_partition> assignment;
  // Consumer-protocol groups only: the member's epoch and subscribed topics.
  std::optional<int32_t> member_epoch;
  std::vector<std::string> subscribed_topics;
};

struct group_description {
  std::string group_id;
  // "classic" (DescribeGroups) or "consumer" (ConsumerGroupDescribe, KIP-848).
  std::string type;
  // As the broker spells it: Stable, Empty, Dead (classic) or STABLE, EMPTY (consumer) etc.
  std::string state;
  // Classic: protocol type ("consumer") and the chosen assignor; consumer: the assignor.
  std::string protocol_type;
  std::string assignor;
  // Consumer groups: the group epoch; -1 for classic groups.
  int32_t group_epoch = -1;
  int32_t coordinator = -1;
  std::vector<member_description> members;
};

// --- Offsets and records ---

// Which offset list_offsets looks up: the first, the next to be written (high watermark; the last
// stable offset with read_committed), the one with the largest timestamp, or the first whose
// timestamp is at or after `timestamp` (milliseconds since the epoch).
struct offset_spec {
  enum class kind { earliest, latest, max_timestamp, timestamp };
  kind what = kind::latest;
  int64_t timestamp = 0;
  static offset_spec earliest() { return {kind::earliest, 0}; }
  static offset_spec latest() { return {kind::latest, 0}; }
  static offset_spec max_timestamp() { return {kind::max_timestamp, 0}; }
  static offset_spec for_timestamp(int64_t ms) { return {kind::timestamp, ms}; }
};

struct listed_offset {
  // -1 when no record matches (a timestamp after every record's).
  int64_t offset = -1;
  int64_t timestamp = -1;
  std::optional<int32_t> leader_epoch;
};

// --- ACLs ---

enum class resource_type : int8_t {
  unknown = 0,
  any = 1,
  topic = 2,
  group = 3,
  cluster = 4,
  transactional_id = 5,
  delegation_token = 6,
  user = 7,
};

// literal: the exact name; prefixed: every name starting with it. In filters, any matches both
// kinds with the given name, and match matches every binding that would apply to the name
// (literal, wildcard "*" and prefixes).
enum class pattern_type : int8_t { unknown = 0, any = 1, match = 2, literal = 3, prefixed = 4 };

enum class acl_operation : int8_t {
  unknown = 0,
  any = 1,
  all = 2,
  read = 3,
  write = 4,
  create = 5,
  remove = 6,  // DELETE
  alter = 7,
  describe = 8,
  cluster_action = 9,
  describe_configs = 10,
  alter_configs = 11,
  idempotent_write = 12,
  create_tokens = 13,
  describe_tokens = 14,
  two_phase_commit = 15,
};

enum class acl_permission : int8_t { unknown = 0, any = 1, deny = 2, allow = 3 };

// An ACL: who (principal "User:alice", host "*" for any) may or may not do what on which
// resources.
struct acl_binding {
  resource_type resource = resource_type::topic;
  std::string resource_name;
  pattern_type pattern = pattern_type::literal;
  std::string principal;
  std::string host = "*";
  acl_operation operation = acl_operation::all;
  acl_permission permission = acl_permission::allow;
  auto operator<=>(const acl_binding&) const = default;
};

// Which ACLs describe_acls and delete_acls select: nullopt fields match anything; the enums use
// any to match anything.
struct acl_filter {
  resource_type resource = resource_type::any;
  std::optional<std::string> resource_name;
  pattern_type pattern = pattern_type::any;
  std::optional<std::string> principal;
  std::optional<std::string> host;
  acl_operation operation = acl_operation::any;
  acl_permission permission = acl_permission::any;
  // Matches every ACL.
  static acl_filter all() { return {}; }
};

// --- SCRAM users ---

enum class scram_mechanism : int8_t { unknown = 0, sha_256 = 1, sha_512 = 2 };

struct scram_credential_info {
  scram_mechanism mechanism = scram_mechanism::unknown;
  int32_t iterations = 0;
};

struct user_scram_credentials {
  std::string user;
  std::vector<scram_credential_info> credentials;
};

// One change for alter_user_scram_credentials: set a password (upsert) or remove a mechanism's
// credential. The password never leaves the client: the request carries a random salt and the
// salted password (PBKDF2 with the mechanism's HMAC), as Kafka's Java client sends them.
struct scram_alteration {
  std::string user;
  scram_mechanism mechanism = scram_mechanism::sha_256;
  bool remove = false;
  // Upserts only. Kafka accepts 4096..16384.
  int32_t iterations = 4096;
  std::string password;
  static scram_alteration upsert(std::string user, scram_mechanism m, std::string password,
                                 int32_t iterations = 4096) {
    return {std::move(user), m, false, iterations, std::move(password)};
  }
  static scram_alteration deletion(std::string user, scram_mechanism m) {
    return {std::move(user), m, true, 0, {}};
  }
};

// --- Cluster ---

struct node_info {
  int32_t id = -1;
  std::string host;
  int32_t port = 0;
  std::optional<std::string> rack;
};

struct cluster_description {
  std::string cluster_id;
  // -1 when unknown.
  int32_t controller = -1;
  // Sorted by id.
  std::vector<node_info> brokers;
};

// --- Client quotas ---

// The entity types of client quotas, as Kafka names them.
inline constexpr std::string_view k_quota_user = "user";
inline constexpr std::string_view k_quota_client_id = "client-id";
inline constexpr std::string_view k_quota_ip = "ip";

// Who a quota applies to (Java's ClientQuotaEntity): entity type → name, where nullopt is the
// type's default entity (the quota of every user, client id or ip without one of its own).
// {user: alice, client-id: nullopt} is alice's quota for client ids without their own.
using client_quota_entity = std::map<std::string, std::optional<std::string>>;

// One part of a client_quota_filter (Java's ClientQuotaFilterComponent): the entities of a type
// with a given name, the type's default entity, or any entity of the type.
struct quota_filter_component {
  enum class match : int8_t { exact = 0, default_entity = 1, any = 2 };
  std::string entity_type;
  match how = match::any;
  // For exact only.
  std::string name;
  static quota_filter_component of_entity(std::string type, std::string name) {
    return {std::move(type), match::exact, std::move(name)};
  }
  static quota_filter_component of_default_entity(std::string type) {
    return {std::move(type), match::default_entity, {}};
  }
  static quota_filter_component of_entity_type(std::string type) {
    return {std::move(type), match::any, {}};
  }
};

// Which quotas describe_client_quotas returns: those whose entity matches every component; with
// strict, only entities that have no other entity types either.
struct client_quota_filter {
  std::vector<quota_filter_component> components;
  bool strict = false;
  static client_quota_filter all() { return {}; }
  static client_quota_filter contains(std::vector<quota_filter_component> c) {
    return {std::move(c), false};
  }
  static client_quota_filter contains_only(std::vector<quota_filter_component> c) {
    return {std::move(c), true};
  }
};

// A quota key ("producer_byte_rate", "consumer_byte_rate", "request_percentage",
// "connection_creation_rate", "controller_mutation_rate") and its new value; nullopt removes it.
struct quota_op {
  std::string key;
  std::optional<double> value;
};

// The changes of one entity's quotas (Java's ClientQuotaAlteration).
struct client_quota_alteration {
  client_quota_entity entity;
  std::vector<quota_op> ops;
};

// --- Transactions ---

// A transaction the coordinators know of (ListTransactions). state is Kafka's name: Empty,
// Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence, Dead.
struct transaction_listing {
  std::string transactional_id;
  int64_t producer_id = -1;
  std::string state;
  // The broker whose coordinator answered for it.
  int32_t coordinator = -1;
};

// What list_transactions selects; empty filters match everything.
struct list_transactions_options {
  std::vector<std::string> states;
  std::vector<int64_t> producer_ids;
  // Only transactions running longer than this many milliseconds (ListTransactions v1: Kafka
  // 3.8+; UNSUPPORTED_VERSION before). -1: no filter.
  int64_t duration_ms = -1;
  // Only transactional ids matching this regular expression (ListTransactions v2: Kafka 4.1+).
  std::optional<std::string> transactional_id_pattern;
};

// A transaction as its coordinator describes it.
struct transaction_description {
  std::string transactional_id;
  int32_t coordinator = -1;
  std::string state;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t transaction_timeout_ms = 0;
  // When the ongoing transaction started; nullopt when none is.
  std::optional<int64_t> transaction_start_time_ms;
  // The partitions in the ongoing transaction, sorted.
  std::vector<topic_partition> partitions;
};

// A producer that has written to a partition recently (DescribeProducers, at the leader).
struct producer_state {
  int64_t producer_id = -1;
  int32_t producer_epoch = -1;
  int32_t last_sequence = -1;
  int64_t last_timestamp = -1;
  // Of the coordinator that started the open transaction; nullopt when unknown.
  std::optional<int32_t> coordinator_epoch;
  // The first offset of the producer's open transaction; nullopt when it has none.
  std::optional<int64_t> current_transaction_start_offset;
};

// What abort_transaction writes: an abort marker for this producer (id, epoch and coordinator
// epoch as describe_producers shows them) on one partition, ending a hanging transaction there.
struct abort_transaction_spec {
  topic_partition partition;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t coordinator_epoch = -1;
};

// --- Log dirs ---

// A partition's replica in a log dir.
struct replica_info {
  int64_t size = 0;
  // How far the replica is behind the log end (a future replica being moved), else 0.
  int64_t offset_lag = 0;
  // Whether this is the future replica of a move between log dirs.
  bool is_future = false;
};

struct log_dir_description {
  std::string path;
  // NONE, or KAFKA_STORAGE_ERROR for an offline dir.
  protocol::error_code error = protocol::error_code::none;
  std::map<topic_partition, replica_info> replicas;
  // The volume's size and free space (DescribeLogDirs v4: Kafka 3.3+); nullopt when not told.
  std::optional<int64_t> total_bytes;
  std::optional<int64_t> usable_bytes;
};

// --- Features ---

// The range of levels of a feature finalized across the cluster.
struct finalized_version_range {
  int16_t min_version_level = 0;
  int16_t max_version_level = 0;
};

// The range of levels a broker supports.
struct supported_version_range {
  int16_t min_version = 0;
  int16_t max_version = 0;
};

// What a broker's ApiVersions says about features (Java's FeatureMetadata).
struct feature_metadata {
  std::map<std::string, finalized_version_range> finalized;
  // The epoch of the finalized features; nullopt when the broker does not say.
  std::optional<int64_t> finalized_epoch;
  std::map<std::string, supported_version_range> supported;
};

enum class feature_upgrade_type : int8_t {
  unknown = 0,
  upgrade = 1,
  safe_downgrade = 2,
  unsafe_downgrade = 3,
};

// The new maximum level of a feature (0 disables it) and how it may move there.
struct feature_update {
  int16_t max_version_level = 0;
  feature_upgrade_type upgrade_type = feature_upgrade_type::upgrade;
};

// --- Leader elections and reassignments ---

// preferred: move leadership back to the first replica; unclean: elect an out-of-sync replica
// when no in-sync one is left (data may be lost).
enum class election_type : int8_t { preferred = 0, unclean = 1 };

// A partition's ongoing reassignment: its replicas now, and those being added and removed.
struct partition_reassignment {
  std::vector<int32_t> replicas;
  std::vector<int32_t> adding_replicas;
  std::vector<int32_t> removing_replicas;
};

// --- Delegation tokens ---

// A delegation token (KIP-48): principals as "User:alice". The hmac is the secret: it
// authenticates the token's user (SCRAM with the token id as user name) and names the token to
// renew or expire it.
struct delegation_token {
  std::string token_id;
  std::vector<uint8_t> hmac;
  std::string owner;
  std::string token_requester;
  std::vector<std::string> renewers;
  int64_t issue_timestamp_ms = -1;
  int64_t expiry_timestamp_ms = -1;
  int64_t max_timestamp_ms = -1;
};

struct create_delegation_token_options {
  // Principals that may renew the token besides its owner.
  std::vector<std::string> renewers;
  // Create the token for this principal instead of the caller (Kafka 3.3+, needs CreateTokens on
  // that user).
  std::optional<std::string> owner;
  // -1: the broker's delegation.token.max.lifetime.ms.
  int64_t max_lifetime_ms = -1;
};

// --- Names (Kafka's upper-case spellings; parse_* accept any case and '-' for '_') ---

std::string_view to_string(config_resource_type t);
std::string_view to_string(config_source s);
std::string_view to_string(alter_config_op op);
std::string_view to_string(resource_type t);
std::string_view to_string(pattern_type t);
std::string_view to_string(acl_operation op);
std::string_view to_string(acl_permission p);
// "SCRAM-SHA-256", "SCRAM-SHA-512", "UNKNOWN".
std::string_view to_string(scram_mechanism m);
// "UPGRADE", "SAFE_DOWNGRADE", "UNSAFE_DOWNGRADE", "UNKNOWN".
std::string_view to_string(feature_upgrade_type t);

resource_type parse_resource_type(std::string_view name);
pattern_type parse_pattern_type(std::string_view name);
acl_operation parse_acl_operation(std::string_view name);
acl_permission parse_acl_permission(std::string_view name);
scram_mechanism parse_scram_mechanism(std::string_view name);
feature_upgrade_type parse_feature_upgrade_type(std::string_view name);

// The salted password of SCRAM (RFC 5802 Hi(): PBKDF2 with HMAC-SHA-256 or -512): what
// alter_user_scram_credentials sends. Exposed for tests against RFC 7677's vector.
std::vector<uint8_t> scram_salted_password(scram_mechanism m, std::string_view password,
                                           std::span<const uint8_t> salt, int32_t iterations);

}  // namespace brook::client
