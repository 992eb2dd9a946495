// The broker: one node serving the Kafka protocol from its shards. It owns the shards, the
// network server, the cluster state and, per shard, the partitions that shard owns.
//
// Threads: one per shard (net::shard_set). Partition p of topic t lives on shard
// shard_of(t, p) and is touched only there; the cluster state is written only by shard 0 and read
// everywhere through per-shard snapshots. Requests arrive on the shard of their connection and
// reach other shards with net::run_on.
//
// Life cycle: the app builds a broker from its options, calls start() (opens the logs, binds the
// listeners, runs the shards), and on SIGTERM/SIGINT calls stop(): no new connections, requests
// in flight answered, every log flushed and closed cleanly (so the next start skips recovery).
#pragma once

#include <asio/awaitable.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "broker/cluster_state.h"
#include "broker/fetch_session.h"
#include "broker/group_configs.h"
#include "broker/group_sync.h"
#include "broker/partition.h"
#include "broker/producer_ids.h"
#include "broker/quota.h"
#include "coordinator/group_coordinator.h"
#include "coordinator/txn_coordinator.h"
#include "net/event.h"
#include "net/server.h"
#include "net/shards.h"
#include "security/sasl.h"
#include "storage/cleaner.h"
#include "storage/log_config.h"

namespace brook::broker {

struct advertised_listener {
  std::string name;
  std::string host;
  uint16_t port = 0;  // 0: the port the listener bound
};

struct broker_options {
  int32_t node_id = 1;
  // Empty: read from meta.properties, or made up on first start.
  std::string cluster_id;
  std::vector<net::listener_config> listeners{net::listener_config{}};
  std::vector<advertised_listener> advertised;
  std::filesystem::path log_dir = "brook-data";
  uint32_t shards = 1;
  int32_t num_partitions = 1;
  bool auto_create_topics = true;
  bool delete_topic_enable = true;
  storage::log_config log_defaults;
  // log.cleaner.* (compaction)
  storage::cleaner_config cleaner;
  int64_t retention_check_interval_ms = 300000;
  // The group coordinator's settings (group.*, offsets.topic.num.partitions, ...).
  coordinator::coordinator_config groups;
  // The transaction coordinator's settings (transaction.*, transactional.id.expiration.ms).
  coordinator::txn_config transactions;
  // The broker's group.consumer.*, group.share.* and group.streams.* settings that group configs
  // fall back to and are bounded by.
  group_settings group_defaults = default_group_settings();
  int32_t offsets_segment_bytes = 104857600;
  // transaction.state.log.segment.bytes
  int32_t txn_segment_bytes = 104857600;
  // What each SASL listener offers, by listener name.
  std::map<std::string, security::listener_sasl> sasl;
  // authorizer.class.name, super.users, allow.everyone.if.no.acl.found.
  security::authorizer_config authorizer;
  // quota.window.num and quota.window.size.seconds: the samples client quotas are measured over.
  quota_window_config quota_window;
  // Every setting as read from server.properties and --override (DescribeConfigs of the broker).
  std::map<std::string, std::string> static_configs;
};

inline constexpr const char* k_offsets_topic_name = "__consumer_offsets";
inline constexpr const char* k_txn_topic_name = "__transaction_state";
// The Produce version whose rules apply to the coordinator's own appends.
inline constexpr int16_t k_offsets_produce_version = 9;

struct topic_partition_key {
  wire::uuid topic;
  int32_t partition = 0;
  bool operator==(const topic_partition_key&) const = default;
};
struct topic_partition_hash {
  size_t operator()(const topic_partition_key& k) const {
    return uuid_hash{}(k.topic) * 31 + static_cast<size_t>(k.partition);
  }
};

// What each shard keeps for itself.
struct shard_state {
  std::shared_ptr<const cluster_snapshot> cluster = std::make_shared<cluster_snapshot>();
  // Counts the snapshots published to this shard.
  uint64_t cluster_version = 0;
  std::unordered_map<topic_partition_key, std::unique_ptr<partition>, topic_partition_hash>
      partitions;
  // Fetch sessions of this shard's connections (KIP-227).
  fetch_session_cache fetch_sessions;
  // Group commit of flush.messages=1 partitions.
  std::unique_ptr<group_sync> syncer;
  // The groups whose __consumer_offsets partitions this shard owns.
  std::unique_ptr<coordinator::group_coordinator> groups;
  // The transactional ids whose __transaction_state partitions this shard owns.
  std::unique_ptr<coordinator::txn_coordinator> txns;
  // What the clients of this shard's connections used of their quotas.
  client_quota_meter quotas{quota_window_config{}};
};

class broker {
 public:
  explicit broker(broker_options options);
  ~broker();

  // Throws std::runtime_error with a message for the operator when the broker cannot start.
  void start();
  // Graceful shutdown; returns when everything is closed. Safe to call from a signal-watching
  // thread (not from a shard).
  void stop();

  int32_t node_id() const { return _options.node_id; }
  const std::string& cluster_id() const { return _cluster_id; }
  const broker_options& options() const { return _options; }
  // Producer ids for InitProducerId.
  producer_id_allocator& producer_ids() { return *_producer_ids; }
  net::shard_set& shards() { return *_shards; }
  // Ports as bound (for port 0 in tests), in listener order.
  uint16_t port(size_t listener = 0) const { return _server->port(listener); }
  // Where clients should connect, per listener.
  std::vector<advertised_listener> advertised() const;

  // The calling shard's state. Only on a shard thread.
  shard_state& local();
  net::shard_id shard_of(const wire::uuid& topic, int32_t partition) const;
  asio::io_context& context_of(const wire::uuid& topic, int32_t partition) {
    return _shards->context(shard_of(topic, partition));
  }
  // Runs f(partition&) on the shard that owns the partition and completes with its result, or
  // with nullopt when that shard does not have the partition (a topic deleted meanwhile).
  template <class F>
  auto on_partition(const wire::uuid& topic, int32_t index, F f) {
    using R = std::invoke_result_t<F&, partition&>;
    return net::run_on(context_of(topic, index),
                       [this, topic, index, f = std::move(f)]() mutable -> std::optional<R> {
                         auto& parts = local().partitions;
                         auto it = parts.find({topic, index});
                         if (it == parts.end()) return std::nullopt;
                         return f(*it->second);
                       });
  }

  // Topic changes, run on shard 0 one at a time. Each returns a Kafka error code and message
  // (none on success).
  struct topic_change_result {
    int16_t error_code = 0;
    std::string message;
    const topic_info* topic = nullptr;  // valid in the snapshot published by the change
    std::shared_ptr<const cluster_snapshot> snapshot;
  };
  asio::awaitable<topic_change_result> create_topic(std::string name, int32_t partitions,
                                                    std::map<std::string, std::string> configs,
                                                    bool validate_only);
  asio::awaitable<topic_change_result> delete_topic(std::string name);
  // Changes a topic's config overrides: `edit` gets the current overrides on shard 0 and changes
  // them in place, or returns an error (code and message). The result is validated, saved,
  // published and pushed to the topic's partitions (not when validate_only).
  struct config_edit_error {
    int16_t error_code = 0;
    std::string message;
  };
  using config_editor = std::function<config_edit_error(std::map<std::string, std::string>&)>;
  asio::awaitable<topic_change_result> alter_topic_configs(std::string name, config_editor edit,
                                                           bool validate_only);
  // UpdateFeatures: finalized feature levels set, saved and published (the transaction
  // coordinators follow transaction.version).
  asio::awaitable<topic_change_result> update_features(std::map<std::string, int16_t> levels);
  // Changes a group's config overrides (GROUP resources) as alter_topic_configs does a topic's:
  // the result is validated against the broker's group settings, saved and published.
  asio::awaitable<config_edit_error> alter_group_configs(std::string group, config_editor edit,
                                                         bool validate_only);
  // AlterUserScramCredentials: `edit` gets the SCRAM credentials on shard 0 and changes them in
  // place (it also checks the request against them, so check and change are one step); a change
  // is saved and published.
  using scram_editor = std::function<void(scram_credentials&)>;
  asio::awaitable<config_edit_error> alter_scram_credentials(scram_editor edit);
  // CreateAcls: the bindings added (those already there are kept once), saved and published.
  asio::awaitable<topic_change_result> create_acls(std::vector<security::acl_binding> bindings);
  // DeleteAcls: removes what each filter selects; `removed[i]` is what filter i removed (a binding
  // two filters select goes to the first).
  struct acl_delete_result {
    int16_t error_code = 0;
    std::string message;
    std::vector<std::vector<security::acl_binding>> removed;
  };
  asio::awaitable<acl_delete_result> delete_acls(std::vector<security::acl_filter> filters);
  // AlterClientQuotas: `edit` changes the client quotas in place on shard 0 (and notes its
  // results for the response); the result is saved and published unless validate_only.
  using client_quota_editor = std::function<void(client_quota_map&)>;
  asio::awaitable<config_edit_error> alter_client_quotas(client_quota_editor edit,
                                                         bool validate_only);
  // CreatePartitions: grows a topic to `count` partitions.
  asio::awaitable<topic_change_result> add_partitions(std::string name, int32_t count,
                                                      bool validate_only);

  // Consumer groups. The coordinator of a group is the shard that owns the group's partition of
  // __consumer_offsets; offsets_topic() creates that topic on first use.
  asio::awaitable<const topic_info*> offsets_topic();
  int32_t offsets_partition(const std::string& group_id) const {
    return coordinator::offsets_partition_for(group_id, _options.groups.offsets_partitions);
  }
  // Runs f(group_coordinator&) on the group's coordinator shard (creating __consumer_offsets
  // first); f may return an awaitable.
  template <class F>
  auto on_group(const std::string& group_id, F f)
      -> asio::awaitable<typename net::detail::awaitable_value<
          std::invoke_result_t<F&, coordinator::group_coordinator&>>::type> {
    const topic_info* t = co_await offsets_topic();
    const wire::uuid id = t->id;
    co_return co_await net::run_on(
        context_of(id, offsets_partition(group_id)),
        [this, f = std::move(f)]() mutable { return f(*local().groups); });
  }

  // Transactions: the coordinator of a transactional id is the shard that owns the id's
  // partition of __transaction_state; txn_topic() creates that topic on first use (nullptr when
  // it cannot).
  asio::awaitable<const topic_info*> txn_topic();
  int32_t txn_partition(const std::string& transactional_id) const {
    return coordinator::offsets_partition_for(transactional_id,
                                              _options.transactions.log_partitions);
  }
  template <class F>
  auto on_txn(const std::string& transactional_id, F f)
      -> asio::awaitable<std::optional<typename net::detail::awaitable_value<
          std::invoke_result_t<F&, coordinator::txn_coordinator&>>::type>> {
    const topic_info* t = co_await txn_topic();
    if (!t) co_return std::nullopt;
    const wire::uuid id = t->id;
    co_return co_await net::run_on(context_of(id, txn_partition(transactional_id)),
                                   [this, f = std::move(f)]() mutable { return f(*local().txns); });
  }

  // The effective log settings of a topic: its overrides over the broker's defaults.
  storage::log_config log_config_for(const topic_info& t) const;

 private:
  asio::awaitable<void> maintenance_loop(net::shard_id s);
  asio::awaitable<void> group_loop(net::shard_id s);
  // Appends the records of a coordinator to its partition of an internal topic (on this shard).
  asio::awaitable<int16_t> write_internal_records(
      const char* topic, int32_t partition, std::vector<coordinator::log_record> records,
      std::optional<std::pair<int64_t, int16_t>> producer = std::nullopt);
  // Transaction markers for the transaction coordinator, each on its partition's shard.
  asio::awaitable<std::vector<int16_t>> write_txn_markers(
      int64_t producer_id, int16_t epoch, bool commit, int16_t transaction_version,
      std::vector<coordinator::txn_partition> partitions);
  // Replays one partition of __transaction_state into this shard's transaction coordinator.
  size_t load_txn_partition(const wire::uuid& topic, int32_t partition);
  // Reads every record of one partition of an internal topic on this shard, in order, and gives
  // each key and value (none: a tombstone) to `on.record`, each marker to `on.marker`; the count
  // of records taken.
  struct replay_handlers {
    // A record, with the producer whose transactional batch holds it; true when taken.
    std::function<bool(std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value,
                       std::optional<int64_t> txn_producer)>
        record;
    // A transaction marker (optional).
    std::function<void(int64_t producer_id, bool commit)> marker;
  };
  size_t replay_partition(const wire::uuid& topic, int32_t partition, const replay_handlers& on);
  // Replays one partition of __consumer_offsets into this shard's coordinator; the record count.
  size_t load_offsets_partition(const wire::uuid& topic, int32_t partition);
  asio::awaitable<void> publish(std::shared_ptr<const cluster_snapshot> snapshot);
  asio::awaitable<void> open_partitions(std::shared_ptr<const topic_info> topic, bool created);
  void load_meta_properties();

  broker_options _options;
  std::string _cluster_id;
  std::unique_ptr<net::shard_set> _shards;
  std::unique_ptr<net::server> _server;
  std::vector<std::unique_ptr<shard_state>> _states;
  // Compacts the logs of compacted topics on its own threads; stopped before the logs close.
  std::unique_ptr<storage::log_cleaner> _cleaner;
  std::unique_ptr<producer_id_allocator> _producer_ids;
  // Topic changes run on shard 0 one at a time, each across its co_awaits.
  net::turn_lock _topic_changes;
  bool _clean_shutdown = false;
  std::atomic<bool> _stopped{false};
};

}  // namespace brook::broker
