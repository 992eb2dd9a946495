// The group coordinator of Kafka's classic consumer group protocol (JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup) and of committed offsets (OffsetCommit, OffsetFetch, OffsetDelete),
// with DescribeGroups, ListGroups and DeleteGroups.
//
// One instance per shard holds the groups whose __consumer_offsets partition that shard owns
// (partition = Kafka's hash of the group id), and is used only from that shard's thread. Every
// change that must survive a restart (offsets, a group's generation and assignments) is written
// through the store as records of __consumer_offsets in Kafka's formats before it is answered;
// at start the broker replays those records into the coordinator (load()).
//
// Semantics follow Kafka's classic group coordinator: member ids handed out with
// MEMBER_ID_REQUIRED (KIP-394), static members (group.instance.id, KIP-345), the initial
// rebalance delay for a new group, rebalance and session timeouts, protocol selection by vote,
// and Kafka's error codes on every path.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "coordinator/assignors.h"
#include "protocol/generated/consumer_group_describe_response.h"
#include "protocol/generated/consumer_group_heartbeat_request.h"
#include "protocol/generated/consumer_group_heartbeat_response.h"
#include "protocol/generated/delete_groups_response.h"
#include "protocol/generated/describe_groups_response.h"
#include "protocol/generated/heartbeat_request.h"
#include "protocol/generated/heartbeat_response.h"
#include "protocol/generated/join_group_request.h"
#include "protocol/generated/join_group_response.h"
#include "protocol/generated/leave_group_request.h"
#include "protocol/generated/leave_group_response.h"
#include "protocol/generated/list_groups_request.h"
#include "protocol/generated/list_groups_response.h"
#include "protocol/generated/sync_group_request.h"
#include "protocol/generated/sync_group_response.h"

namespace brook::coordinator {

// Kafka's group.* broker settings that the coordinator honours.
struct coordinator_config {
  int32_t min_session_timeout_ms = 6000;
  int32_t max_session_timeout_ms = 1800000;
  int32_t initial_rebalance_delay_ms = 3000;
  int32_t max_size = INT32_MAX;
  int32_t offset_metadata_max_bytes = 4096;
  int32_t offsets_partitions = 50;
  // offsets.retention.minutes (7 days) and how often expiry runs.
  int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;
  int64_t offsets_retention_check_interval_ms = 600000;
  // KIP-848 consumer groups: group.consumer.session.timeout.ms, .heartbeat.interval.ms,
  // .max.size and .assignors (the first is the default).
  int32_t consumer_session_timeout_ms = 45000;
  int32_t consumer_heartbeat_interval_ms = 5000;
  int32_t consumer_max_size = INT32_MAX;
  std::vector<std::string> consumer_assignors{"uniform", "range"};
  // group.consumer.migration.policy: bidirectional (default), upgrade, downgrade or disabled.
  bool online_upgrade = true;
  bool online_downgrade = true;
};

// A topic as consumer groups see it.
struct topic_ref {
  wire::uuid id;
  std::string name;
  int32_t partitions = 0;
};
// The broker's topics as seen from the coordinator's shard.
// A group's own settings (Kafka's group configs) where they replace the coordinator's.
struct group_overrides {
  std::optional<int32_t> consumer_session_timeout_ms;
  std::optional<int32_t> consumer_heartbeat_interval_ms;
};

struct topic_source {
  std::function<std::optional<topic_ref>(const std::string&)> by_name;
  std::function<std::optional<topic_ref>(const wire::uuid&)> by_id;
  // Every topic that a regular expression may match (internal ones left out), and a value that
  // changes whenever the set of topics does.
  std::function<std::vector<std::string>()> names;
  std::function<uint64_t()> version;
  // The group's configs (unset: none).
  std::function<group_overrides(const std::string& group_id)> overrides;
};

struct consumer_group;
struct consumer_member;
struct offsets_record;

// Kafka's partition of __consumer_offsets for a group: abs(Java String.hashCode) mod partitions.
int32_t offsets_partition_for(const std::string& group_id, int32_t partitions);

// A record of __consumer_offsets: its key and value (none: a tombstone), already encoded.
struct log_record {
  std::vector<uint8_t> key;
  std::optional<std::vector<uint8_t>> value;
};

// Writes records to a partition of __consumer_offsets; completes with a Kafka error code.
using record_writer =
    std::function<asio::awaitable<int16_t>(int32_t partition, std::vector<log_record>)>;
// The same, in a transactional batch of a producer (TxnOffsetCommit).
using txn_record_writer = std::function<asio::awaitable<int16_t>(
    int32_t partition, int64_t producer_id, int16_t epoch, std::vector<log_record>)>;

struct committed_offset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  std::string metadata;
  int64_t commit_timestamp = -1;
  int64_t expire_timestamp = -1;
};

// What __consumer_offsets keeps of a classic group (Kafka's GroupMetadataValue).
struct group_snapshot {
  struct member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::string client_id;
    std::string client_host;
    int32_t rebalance_timeout_ms = 0;
    int32_t session_timeout_ms = 0;
    std::vector<uint8_t> subscription;
    std::vector<uint8_t> assignment;
  };
  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp = -1;
  std::vector<member> members;
};

// The encodings of __consumer_offsets records (offsets_codec.cc, Kafka's formats).
log_record offset_commit_record(const std::string& group, const std::string& topic,
                                int32_t partition, const committed_offset* value);
log_record group_metadata_record(const std::string& group, const group_snapshot* value);
class group_coordinator;
// Start-up: decodes one record of __consumer_offsets and replays it into `c`; false for records
// it skips (other record types, malformed bytes). `txn_producer`: the record is in a
// transactional batch of that producer (an offset commit then waits for the marker).
bool replay_offsets_record(group_coordinator& c, std::span<const uint8_t> key,
                           std::optional<std::span<const uint8_t>> value,
                           std::optional<int64_t> txn_producer = std::nullopt);

// One partition's commit, as OffsetCommit and TxnOffsetCommit ask for it.
struct offset_commit_entry {
  std::string topic;
  int32_t partition = 0;
  committed_offset value;
};

// Who commits: the member identity OffsetCommit carries (generation -1 and "" for commits from
// outside the group: simple consumers and tools).
struct commit_identity {
  std::string group_id;
  int32_t generation = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  // The OffsetCommit version (-1: not from OffsetCommit); members of consumer groups need v9+.
  int16_t version = -1;
  // TxnOffsetCommit: the transactional producer whose transaction the offsets belong to; they
  // count once its COMMIT marker reaches the group's partition of __consumer_offsets.
  std::optional<std::pair<int64_t, int16_t>> producer;
};

class group_coordinator {
 public:
  group_coordinator(asio::any_io_executor ex, coordinator_config config, record_writer writer);
  ~group_coordinator();
  group_coordinator(const group_coordinator&) = delete;
  group_coordinator& operator=(const group_coordinator&) = delete;

  asio::awaitable<protocol::join_group_response> join(protocol::join_group_request req,
                                                      int16_t version, std::string client_id,
                                                      std::string client_host);
  asio::awaitable<protocol::sync_group_response> sync(protocol::sync_group_request req,
                                                      int16_t version);
  protocol::heartbeat_response heartbeat(const protocol::heartbeat_request& req);
  asio::awaitable<protocol::leave_group_response> leave(protocol::leave_group_request req,
                                                        int16_t version);

  // The topics KIP-848 groups subscribe to; set by the broker before the first request.
  void set_topics(topic_source topics) { _topics = std::move(topics); }

  // KIP-848: ConsumerGroupHeartbeat (join, heartbeat, leave) and ConsumerGroupDescribe of one
  // group on this shard.
  asio::awaitable<protocol::consumer_group_heartbeat_response> consumer_heartbeat(
      protocol::consumer_group_heartbeat_request req, int16_t version, std::string client_id,
      std::string client_host);
  protocol::consumer_group_describe_response::described_group consumer_describe(
      const std::string& group_id) const;

  // Transactional offset commits go through this writer (set by the broker).
  void set_txn_writer(txn_record_writer w) { _txn_writer = std::move(w); }
  // A transaction marker reached partition `offsets_partition` of __consumer_offsets: the
  // producer's pending offsets of the groups there are committed or dropped.
  void complete_txn(int32_t offsets_partition, int64_t producer_id, bool commit);
  // Start-up: an offset commit record of a transactional batch (pending until its marker).
  void load_pending_offset(int64_t producer_id, const std::string& group, const std::string& topic,
                           int32_t partition, const committed_offset& value);

  // OffsetCommit: one error code per entry (same order). The group is created (empty) for commits
  // from outside any group.
  asio::awaitable<std::vector<int16_t>> commit(commit_identity who,
                                               std::vector<offset_commit_entry> entries);
  // OffsetFetch of one group: every committed offset (topics null) or those asked for (absent
  // ones as offset -1). A group error code (e.g. GROUP_ID_NOT_FOUND is never used: Kafka answers
  // an unknown group with no offsets).
  struct fetched {
    int16_t error_code = 0;
    std::map<std::string, std::map<int32_t, committed_offset>> offsets;
    // Partitions with transactional offsets not yet committed (OffsetFetch require_stable).
    std::set<std::pair<std::string, int32_t>> unstable;
  };
  // `member` (OffsetFetch v9+: member id and epoch) must be current in a consumer group.
  fetched fetch_offsets(
      const std::string& group_id,
      const std::optional<std::map<std::string, std::vector<int32_t>>>& wanted,
      const std::optional<std::pair<std::string, int32_t>>& member = std::nullopt);
  // OffsetDelete: a group error, or per partition errors (GROUP_SUBSCRIBED_TO_TOPIC).
  struct offsets_deleted {
    int16_t error_code = 0;
    std::map<std::string, std::map<int32_t, int16_t>> partitions;
  };
  asio::awaitable<offsets_deleted> delete_offsets(
      std::string group_id, std::map<std::string, std::vector<int32_t>> wanted);

  // DescribeGroups of one group (on this shard).
  protocol::describe_groups_response::described_group describe(const std::string& group_id,
                                                               int16_t version) const;
  // ListGroups: this shard's groups that pass the filters (empty filter: all).
  std::vector<protocol::list_groups_response::listed_group> list(
      const std::vector<std::string>& states, const std::vector<std::string>& types) const;
  // DeleteGroups of one group: NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND or none.
  asio::awaitable<int16_t> delete_group(std::string group_id);

  // Start-up: replays __consumer_offsets in log order; a null value is a tombstone.
  void load_offset(const std::string& group, const std::string& topic, int32_t partition,
                   const std::optional<committed_offset>& value);
  void load_group(const std::string& group, const std::optional<group_snapshot>& value);
  // A KIP-848 record (types 3 and 5 to 8); false for other records.
  bool load_consumer_record(const offsets_record& r);

  // Drops members whose session expired and finishes joins whose time is up; the broker calls it
  // about every 100 ms.
  void tick();
  // Removes the offsets that outlived offsets.retention.minutes (writing their tombstones) and
  // then the empty groups left without offsets, as Kafka's expiry does: an empty group's offsets
  // count from when it became empty, a group that never had members (commits from outside any
  // group) counts each offset from its commit, and an expire timestamp set by an old client
  // wins. tick() runs it every offsets.retention.check.interval.ms; `now_ms` is wall-clock time.
  asio::awaitable<void> expire_offsets(int64_t now_ms);

  // Shutdown: answers every JoinGroup and SyncGroup still waiting with NOT_COORDINATOR, so that
  // no request holds the broker up and clients look for the coordinator again.
  void release_waiters();

 private:
  struct group;
  struct member;
  group* find(const std::string& id);
  const group* find(const std::string& id) const;
  group& get_or_create(const std::string& id);
  void prepare_rebalance(group& g, const std::string& reason);
  void maybe_complete_join(group& g);
  void complete_join(group& g);
  void remove_member(group& g, const std::string& member_id, int16_t pending_error);
  static void fill_join_answer(const group& g, const member& m, protocol::join_group_response& a);
  // The topics the members of a stable or rebalancing consumer group subscribe to (from their
  // ConsumerProtocolSubscription metadata); none for other groups.
  static std::set<std::string> subscribed_topics(const group& g);
  static bool fenced(const group& g, const std::string& member_id,
                     const std::optional<std::string>& instance_id);
  static bool same_protocols(
      const member& m,
      const std::vector<protocol::join_group_request::join_group_request_protocol>& ps);
  asio::awaitable<protocol::join_group_response> replace_static_member(
      group& g, member& old, std::string new_id, int16_t version, std::string client_id,
      std::string client_host, int32_t session_timeout_ms, int32_t rebalance_timeout_ms);
  void reset_session(member& m);
  asio::awaitable<int16_t> persist_group(group& g);
  asio::awaitable<void> persist_group_named(std::string id);
  asio::awaitable<void> expire_in_background();
  // The records that delete a group (not its offsets).
  static std::vector<log_record> group_tombstones(const group& g);
  static std::vector<log_record> consumer_group_tombstones(const std::string& group_id);
  asio::awaitable<void> write_records(std::string group_id, std::vector<log_record> records);
  // KIP-848 (consumer_groups.cc).
  asio::awaitable<protocol::consumer_group_heartbeat_response> consumer_leave(group& g,
                                                                              std::string member_id,
                                                                              int32_t epoch);
  void remove_consumer_member(group& g, const std::string& member_id,
                              std::vector<log_record>& records);
  // Recomputes the subscribed topics' metadata; true when it changed.
  bool refresh_subscriptions(consumer_group& cg);
  // The group's consumer.session.timeout.ms and consumer.heartbeat.interval.ms: its own configs,
  // else the coordinator's settings.
  int32_t consumer_session_timeout_ms(const std::string& group_id) const;
  int32_t consumer_heartbeat_interval_ms(const std::string& group_id) const;
  void compute_target(const std::string& group_id, consumer_group& cg,
                      std::vector<log_record>& records);
  // Moves a member toward the target (Kafka's CurrentAssignmentBuilder); true when its epoch,
  // state or partitions changed.
  bool reconcile(consumer_group& cg, consumer_member& m, const std::optional<partition_set>& owned);
  void consumer_tick(group& g, std::vector<log_record>& records);
  // Classic members in a consumer group (after an online upgrade, or joining one).
  asio::awaitable<protocol::join_group_response> classic_join(group& g,
                                                              protocol::join_group_request req,
                                                              int16_t version,
                                                              std::string client_id,
                                                              std::string client_host);
  protocol::sync_group_response classic_sync(group& g, const protocol::sync_group_request& req);
  protocol::heartbeat_response classic_heartbeat(group& g, const protocol::heartbeat_request& req);
  // LeaveGroup of one member: its error code.
  int16_t classic_leave(group& g, const protocol::leave_group_request::member_identity& who,
                        std::vector<log_record>& records);
  // A classic group of the consumer protocol becomes a consumer group with its members (KIP-848
  // online upgrade): none when it can (records added), else the reason to refuse.
  std::optional<std::string> upgrade(group& g, std::vector<log_record>& records);
  // After a consumer-protocol member left: a group whose remaining members all speak the classic
  // protocol becomes a classic group again, which then rebalances (Kafka's online downgrade).
  void maybe_downgrade(group& g, std::vector<log_record>& records);

  asio::any_io_executor _ex;
  coordinator_config _config;
  record_writer _writer;
  txn_record_writer _txn_writer;
  // Transactional offsets awaiting their markers: producer id -> group -> topic -> partition.
  std::map<int64_t,
           std::map<std::string, std::map<std::string, std::map<int32_t, committed_offset>>>>
      _pending_txn;
  topic_source _topics;
  std::map<std::string, std::unique_ptr<group>> _groups;
  // Set by release_waiters(): no request waits any more.
  bool _stopping = false;
  std::chrono::steady_clock::time_point _next_expiry = std::chrono::steady_clock::now();
  bool _expiring = false;
};

}  // namespace brook::coordinator
