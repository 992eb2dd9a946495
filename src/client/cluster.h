// What a client knows of the cluster and how it reaches it: the I/O thread, the connections (one
// per broker), the metadata (brokers, topics, partition leaders), and group and transaction
// coordinators. Producer, consumer and admin each own one cluster.
//
// Threads: a cluster runs one I/O thread with an asio::io_context; every connection, the metadata
// and every coroutine of the client run there. Users' threads reach it through run() (wait for a
// coroutine's result) or post work with executor(). metadata_copy() may be called from any thread.
// Shutdown: the destructor closes every connection, stops the io_context and joins the thread; a
// coroutine still running is destroyed at its next suspension.
//
// Metadata ages: from the first refresh_metadata() on, the I/O thread asks again every
// metadata.max.age.ms for the topics the snapshot holds plus those set_refresh_topics() names (or
// for every topic), so that new partitions, moved leaders and deleted topics become known without
// an error first (0 turns this off). Clients learn of a refresh through add_metadata_listener() and
// of a change in topics or partition counts through metadata_generation().
#pragma once

#include <asio.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/config.h"
#include "client/connection.h"
#include "protocol/wire/types.h"

namespace brook::client {

struct partition_metadata {
  int32_t partition = 0;
  int32_t leader = -1;
  int32_t leader_epoch = -1;
  protocol::error_code error = protocol::error_code::none;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
};

struct topic_metadata {
  std::string name;
  wire::uuid id;
  protocol::error_code error = protocol::error_code::none;
  bool internal = false;
  // Sorted by partition id; partitions[i].partition == i for a healthy topic.
  std::vector<partition_metadata> partitions;
};

struct metadata_snapshot {
  std::string cluster_id;
  int32_t controller = -1;
  std::map<int32_t, broker_address> brokers;
  std::map<std::string, topic_metadata, std::less<>> topics;

  const topic_metadata* find(std::string_view topic) const;
  // The leader of a partition, or -1 when unknown.
  int32_t leader_of(std::string_view topic, int32_t partition) const;
};

enum class coordinator_type : int8_t { group = 0, transaction = 1, share = 2 };

class cluster {
 public:
  // Reads the settings every client shares (bootstrap.servers, client.id, timeouts, security);
  // throws config_error. Starts the I/O thread; connects lazily.
  explicit cluster(config settings);
  ~cluster();
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  const config& settings() const { return _settings; }
  asio::any_io_executor executor() { return _io.get_executor(); }
  bool on_io_thread() const { return std::this_thread::get_id() == _thread.get_id(); }

  // From a user thread (never the I/O thread): runs the coroutine `f()` on the I/O thread and
  // waits for its result; its exception is rethrown here.
  template <class F>
  auto run(F&& f) {
    return asio::co_spawn(_io, std::forward<F>(f)(), asio::use_future).get();
  }

  // --- On the I/O thread ---

  // The connection to a broker by node id, opened if needed (address from metadata or a
  // coordinator lookup). Throws kafka_error.
  asio::awaitable<std::shared_ptr<connection>> connection_to(int32_t node_id);
  // An open connection to any broker, else the first bootstrap or known broker that answers.
  asio::awaitable<std::shared_ptr<connection>> any_connection();

  // Asks for metadata of `topics` (all topics when nullopt) and merges it into the snapshot:
  // the brokers are replaced, the named topics replaced or added (a topic the broker calls
  // unknown is removed). Returns the new snapshot. Throws kafka_error when no broker answers.
  asio::awaitable<std::shared_ptr<const metadata_snapshot>> refresh_metadata(
      std::optional<std::vector<std::string>> topics, bool allow_auto_create = false);
  std::shared_ptr<const metadata_snapshot> metadata() const { return _metadata; }
  // A copy of the snapshot pointer, from any thread.
  std::shared_ptr<const metadata_snapshot> metadata_copy() const;

  // The periodic refresh (metadata.max.age.ms) asks for the topics in the snapshot plus `extra`,
  // or for every topic of the cluster when `all_topics` (a consumer's pattern subscription).
  void set_refresh_topics(std::set<std::string> extra, bool all_topics = false);
  // Called on the I/O thread after every successful refresh (periodic or not) with the new
  // snapshot, for the life of the cluster. A listener must not block.
  using metadata_listener = std::function<void(const metadata_snapshot&)>;
  void add_metadata_listener(metadata_listener listener);
  // Bumped by a refresh that adds or removes a topic or changes a topic's partition count. Any
  // thread.
  uint64_t metadata_generation() const { return _metadata_generation.load(); }

  // The node id of the coordinator for `key`, looked up with FindCoordinator and cached until
  // forget_coordinator(). Retries retriable errors (COORDINATOR_NOT_AVAILABLE while a coordinator
  // loads) within request.timeout.ms. Throws kafka_error.
  asio::awaitable<int32_t> coordinator(coordinator_type type, std::string key);
  void forget_coordinator(coordinator_type type, const std::string& key);
  // A connection to the coordinator of `key` that carries only coordinator requests (as Java
  // keeps one), so that they never queue behind a long-polling Fetch to the same broker. Forgets
  // the coordinator when it cannot be reached. Throws kafka_error.
  asio::awaitable<std::shared_ptr<connection>> coordinator_connection(coordinator_type type,
                                                                      std::string key);

  // Sleeps retry.backoff.ms doubled per attempt (0, 1, 2...), capped at retry.backoff.max.ms.
  asio::awaitable<void> backoff(int attempt);
  asio::awaitable<void> sleep(std::chrono::milliseconds d);

  // Closes and forgets the connections to `node_id`, its coordinator connection included (after a
  // network error), so the next use reconnects.
  void drop_connection(int32_t node_id);

 private:
  struct slot;
  asio::awaitable<std::shared_ptr<connection>> open_to(broker_address address);
  asio::awaitable<std::shared_ptr<connection>> connection_in_slot(int32_t slot_key,
                                                                  int32_t node_id);
  connection_options make_connection_options() const;
  asio::awaitable<void> periodic_refresh();

  config _settings;
  std::vector<broker_address> _bootstrap;
  connection_options _connection_options;
  asio::io_context _io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> _work;
  std::thread _thread;

  std::map<int32_t, std::shared_ptr<slot>> _connections;
  std::shared_ptr<connection> _bootstrap_connection;
  std::map<int32_t, broker_address> _coordinator_addresses;
  std::map<std::pair<int8_t, std::string>, int32_t> _coordinators;
  std::shared_ptr<const metadata_snapshot> _metadata = std::make_shared<metadata_snapshot>();
  mutable std::mutex _metadata_mutex;
  std::atomic<uint64_t> _metadata_generation{0};
  std::vector<metadata_listener> _metadata_listeners;
  std::set<std::string> _refresh_extra;
  bool _refresh_all = false;
  bool _periodic_started = false;
};

}  // namespace brook::client
