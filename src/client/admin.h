// Brook's Admin client: manages topics, partitions, configs, consumer groups and their offsets,
// records, ACLs, SCRAM users, client quotas, transactions and features, describes log dirs and
// reads the cluster's description, like Java's Admin, against brookd and Apache Kafka 3.9 and 4.x.
//
//   brook::client::admin a(brook::client::config{{"bootstrap.servers", "127.0.0.1:9092"}});
//   a.create_topics({{.name = "orders", .partitions = 3, .replication_factor = 1}});
//   auto d = a.describe_topics({"orders"});          // partitions, leaders, replicas, isr, id
//   a.incremental_alter_configs({{config_resource_type::topic, "orders"},
//                                {{"retention.ms", alter_config_op::set, "3600000"}}});
//
// Calls block until done and return their results, or throw:
//  - kafka_error with Kafka's code when the broker refuses (TOPIC_ALREADY_EXISTS,
//    UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS, GROUP_NOT_EMPTY, SECURITY_DISABLED...) or the
//    call cannot complete (NETWORK_EXCEPTION, REQUEST_TIMED_OUT, UNSUPPORTED_VERSION). A call on
//    several items (topics, groups, partitions) sends them together and throws for the first item
//    that failed, naming it; the other items took effect.
//  - config_error for wrong settings, from the constructor.
// Retriable errors (a coordinator that moved or is loading, a partition leader that changed, a
// lost connection, a controller that is busy) are retried with backoff (retry.backoff.ms up to
// retry.backoff.max.ms) until default.api.timeout.ms has passed (60 s by default); every request
// waits at most request.timeout.ms for its answer.
//
// Routing: topic, partition, config, ACL and user requests go to any broker (Kafka 4 forwards them
// to its controller), a broker's own configs to that broker, group requests to the group's
// coordinator (FindCoordinator), list_offsets and delete_records to each partition's leader.
// Quota and feature requests go to any broker; describe_transactions to each transactional id's
// coordinator; list_transactions and describe_log_dirs to every broker; describe_producers and
// abort_transaction to each partition's leader.
//
// Threads: an admin owns one cluster (its I/O thread and connections). Calls may come from any
// number of user threads at once, never from the I/O thread. The destructor closes the
// connections; calls must have returned by then.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "client/admin_types.h"
#include "client/config.h"

namespace brook::client {

class cluster;

class admin {
 public:
  // Reads bootstrap.servers, client.id, timeouts and security settings; throws config_error for a
  // setting that is unknown or belongs to producers or consumers only. Connects lazily.
  explicit admin(config settings);
  ~admin();
  admin(const admin&) = delete;
  admin& operator=(const admin&) = delete;

  // --- Topics and partitions ---

  // Creates the topics and waits until the brokers' metadata shows them with leaders. With
  // validate_only the broker checks the request and creates nothing. Throws TOPIC_ALREADY_EXISTS,
  // INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG, INVALID_TOPIC_EXCEPTION...
  std::vector<created_topic> create_topics(const std::vector<new_topic>& topics,
                                           bool validate_only = false);
  // Deletes the topics (UNKNOWN_TOPIC_OR_PARTITION for one that does not exist).
  void delete_topics(const std::vector<std::string>& names);
  // Every topic, sorted by name; internal topics only when asked for.
  std::vector<topic_listing> list_topics(bool include_internal = false);
  // The topics' partitions with leaders, replicas and in-sync replicas, in the order asked.
  std::vector<topic_description> describe_topics(const std::vector<std::string>& names);
  // Raises each topic's partition count to the given total (INVALID_PARTITIONS when not larger)
  // and waits until the metadata shows the new partitions.
  void create_partitions(const std::map<std::string, int32_t>& new_totals,
                         bool validate_only = false);

  // --- Configs ---

  // The configs of each resource (all of them, or only `keys` when given), with their sources and
  // sensitivity. Broker resources are asked of that broker.
  std::map<config_resource, std::vector<config_entry>> describe_configs(
      const std::vector<config_resource>& resources, const std::vector<std::string>& keys = {});
  // Applies the changes of each resource (IncrementalAlterConfigs). Kafka's controller commits
  // them; the brokers learn of them a moment later, so a describe_configs right after may still
  // show the old values.
  void incremental_alter_configs(
      const std::map<config_resource, std::vector<alter_config>>& changes,
      bool validate_only = false);

  // --- Consumer groups ---

  // Every group of every broker, sorted by id. `states` and `types` filter where the brokers
  // support it (ListGroups v4 and v5); empty means all.
  std::vector<group_listing> list_groups(const std::vector<std::string>& states = {},
                                         const std::vector<std::string>& types = {});
  // The groups' state and members with their assignments: ConsumerGroupDescribe for consumer
  // (KIP-848) groups when the coordinator supports it, DescribeGroups for classic groups. A group
  // that does not exist is described as state "Dead" with no members (Kafka before 4.0), or
  // throws GROUP_ID_NOT_FOUND.
  std::vector<group_description> describe_groups(const std::vector<std::string>& group_ids);
  // Deletes empty groups and their offsets (GROUP_NOT_EMPTY, GROUP_ID_NOT_FOUND).
  void delete_groups(const std::vector<std::string>& group_ids);
  // The group's committed offsets: of every partition it has committed for, or of `partitions`
  // (offset -1 for one without a commit).
  std::map<topic_partition, offset_and_metadata> list_consumer_group_offsets(
      const std::string& group_id, const std::vector<topic_partition>& partitions = {});
  // Commits offsets for the group as an outside tool does (no member, generation -1), which creates
  // the group when it does not exist. The group must have no active members
  // (UNKNOWN_MEMBER_ID otherwise).
  void alter_consumer_group_offsets(const std::string& group_id,
                                    const std::map<topic_partition, offset_and_metadata>& offsets);
  // Removes the group's committed offsets of these partitions (GROUP_SUBSCRIBED_TO_TOPIC while a
  // member consumes the topic).
  void delete_consumer_group_offsets(const std::string& group_id,
                                     const std::set<topic_partition>& partitions);

  // --- Offsets and records ---

  // Looks up an offset of each partition at its leader. read_committed makes latest the last
  // stable offset.
  std::map<topic_partition, listed_offset> list_offsets(
      const std::map<topic_partition, offset_spec>& specs, bool read_committed = false);
  // Deletes the records before the given offsets (-1: the high watermark) and returns each
  // partition's new low watermark (OFFSET_OUT_OF_RANGE beyond the high watermark).
  std::map<topic_partition, int64_t> delete_records(
      const std::map<topic_partition, int64_t>& before);

  // --- ACLs (SECURITY_DISABLED when the brokers run no authorizer) ---

  void create_acls(const std::vector<acl_binding>& acls);
  // The ACLs that match the filter.
  std::vector<acl_binding> describe_acls(const acl_filter& filter = acl_filter::all());
  // Deletes the ACLs that match any of the filters and returns them.
  std::vector<acl_binding> delete_acls(const std::vector<acl_filter>& filters);

  // --- SCRAM users ---

  // The SCRAM credentials (mechanism, iterations; never secrets) of `users`, or of every user
  // with credentials. RESOURCE_NOT_FOUND for a named user without any.
  std::vector<user_scram_credentials> describe_user_scram_credentials(
      const std::vector<std::string>& users = {});
  // Sets or removes credentials (RESOURCE_NOT_FOUND to remove one that does not exist,
  // UNACCEPTABLE_CREDENTIAL for iterations out of range or an empty user).
  void alter_user_scram_credentials(const std::vector<scram_alteration>& alterations);

  // --- Client quotas ---

  // The quotas of every entity that matches the filter: entity → quota key → value.
  std::map<client_quota_entity, std::map<std::string, double>> describe_client_quotas(
      const client_quota_filter& filter = client_quota_filter::all());
  // Sets or removes quotas (INVALID_REQUEST for an unknown key or entity type, a bad value or an
  // entity named twice). With validate_only the broker checks and changes nothing.
  void alter_client_quotas(const std::vector<client_quota_alteration>& alterations,
                           bool validate_only = false);

  // --- Transactions ---

  // The transactions of every broker's transaction coordinator that match the options, sorted
  // by transactional id.
  std::vector<transaction_listing> list_transactions(const list_transactions_options& options = {});
  // Each transaction as its coordinator (FindCoordinator) describes it, in the order asked
  // (TRANSACTIONAL_ID_NOT_FOUND for an id the coordinator does not know).
  std::vector<transaction_description> describe_transactions(
      const std::vector<std::string>& transactional_ids);
  // The producers each partition's leader knows of (their open transactions too).
  std::map<topic_partition, std::vector<producer_state>> describe_producers(
      const std::vector<topic_partition>& partitions);
  // Writes an abort marker (WriteTxnMarkers, at the partition's leader) that ends the producer's
  // open transaction on that partition, as kafka-transactions.sh abort does for a hanging
  // transaction. Needs ClusterAction on the cluster; INVALID_PRODUCER_EPOCH for an older epoch,
  // TRANSACTION_COORDINATOR_FENCED for an older coordinator epoch.
  void abort_transaction(const abort_transaction_spec& spec);

  // --- Log dirs ---

  // Each broker's log dirs (all brokers when `brokers` is empty) with their partitions' sizes:
  // broker → path → description.
  std::map<int32_t, std::map<std::string, log_dir_description>> describe_log_dirs(
      const std::vector<int32_t>& brokers = {});

  // --- Features ---

  // The features a broker supports and those finalized across the cluster (ApiVersions).
  feature_metadata describe_features();
  // Moves each feature's finalized maximum level (UpdateFeatures, at the controller).
  // INVALID_UPDATE_VERSION for a level out of range or a downgrade asked as an upgrade. With
  // validate_only the controller checks and changes nothing.
  void update_features(const std::map<std::string, feature_update>& updates,
                       bool validate_only = false);

  // --- Leader elections and reassignments (Kafka's controller; brookd, a single node, has
  // none of these APIs: UNSUPPORTED_VERSION) ---

  // Elects leaders for the partitions (every partition when empty) and returns each partition's
  // outcome: NONE, or ELECTION_NOT_NEEDED when the leader is already the one the election would
  // choose, UNKNOWN_TOPIC_OR_PARTITION, PREFERRED_LEADER_NOT_AVAILABLE,
  // ELIGIBLE_LEADERS_NOT_AVAILABLE... as Java's electLeaders reports them per partition.
  std::map<topic_partition, protocol::error_code> elect_leaders(
      election_type type, const std::vector<topic_partition>& partitions = {});
  // The ongoing reassignments of the partitions (of every partition when nullopt).
  std::map<topic_partition, partition_reassignment> list_partition_reassignments(
      const std::optional<std::vector<topic_partition>>& partitions = std::nullopt);
  // Starts moving each partition to the given replicas, or cancels its reassignment (nullopt;
  // NO_REASSIGNMENT_IN_PROGRESS when there is none). INVALID_REPLICA_ASSIGNMENT for unknown or
  // repeated brokers.
  void alter_partition_reassignments(
      const std::map<topic_partition, std::optional<std::vector<int32_t>>>& reassignments);

  // --- Delegation tokens (SASL connections only: DELEGATION_TOKEN_REQUEST_NOT_ALLOWED
  // otherwise; DELEGATION_TOKEN_AUTH_DISABLED without delegation.token.secret.key) ---

  delegation_token create_delegation_token(const create_delegation_token_options& options = {});
  // The tokens of these owners ("User:alice"), or of every owner when nullopt, that the caller
  // may describe.
  std::vector<delegation_token> describe_delegation_tokens(
      const std::optional<std::vector<std::string>>& owners = std::nullopt);
  // Extends the token's life by renew_period_ms (-1: the broker's renew interval) and returns
  // the new expiry time.
  int64_t renew_delegation_token(const std::vector<uint8_t>& hmac, int64_t renew_period_ms = -1);
  // Expires the token after expiry_period_ms (-1: now) and returns its expiry time.
  int64_t expire_delegation_token(const std::vector<uint8_t>& hmac, int64_t expiry_period_ms = -1);

  // --- Cluster ---

  // Cluster id, active controller (as the brokers report it) and brokers.
  cluster_description describe_cluster();

  // The underlying cluster (metadata, connections), for tools and tests.
  client::cluster& cluster() { return *_cluster; }

 private:
  std::unique_ptr<client::cluster> _cluster;
};

}  // namespace brook::client
