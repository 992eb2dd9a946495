#include "broker/broker.h"

#include <sys/resource.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_future.hpp>

#include <chrono>
#include <future>
#include <random>

#include "base/clock.h"
#include "base/log.h"
#include "broker/config.h"
#include "broker/dispatch.h"
#include "protocol/errors.h"
#include "protocol/records/byte_order.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"
#include "storage/log_dir.h"

namespace brook::broker {

namespace {
const log::logger lg("broker");

wire::uuid random_uuid() {
  std::random_device rd;
  std::mt19937_64 gen((uint64_t{rd()} << 32) ^ rd());
  for (;;) {
    auto u = wire::uuid::from_halves(gen(), gen());
    // Kafka reserves the zero uuid and the "metadata topic" id 1.
    if (!u.is_zero() && !(u.msb() == 0 && u.lsb() == 1)) return u;
  }
}

// Holding many partitions open takes file descriptors; ask for the hard limit up front.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

template <class F>
auto block_on(asio::io_context& ctx, F f) {
  return asio::co_spawn(ctx, net::detail::call_in_frame_void(std::move(f)), asio::use_future).get();
}

// Writes the cluster state a topic change leads to; on failure fills `r` with
// KAFKA_STORAGE_ERROR and the reason.
bool persist(const std::filesystem::path& log_dir, const cluster_snapshot& next,
             broker::topic_change_result& r) {
  auto saved = save_cluster(log_dir, next);
  if (saved) return true;
  r.error_code = static_cast<int16_t>(protocol::error_code::kafka_storage_error);
  r.message = saved.error();
  return false;
}

}  // namespace

broker::broker(broker_options options) : _options(std::move(options)) {
  if (_options.shards == 0) _options.shards = 1;
}

broker::~broker() { stop(); }

shard_state& broker::local() {
  auto s = net::shard_set::current();
  BROOK_ASSERT(s != net::shard_set::k_not_a_shard, "broker::local() off a shard thread");
  return *_states[s];
}

net::shard_id broker::shard_of(const wire::uuid& topic, int32_t partition) const {
  return static_cast<net::shard_id>(topic_partition_hash{}({topic, partition}) % _states.size());
}

std::vector<advertised_listener> broker::advertised() const {
  std::vector<advertised_listener> out;
  for (size_t i = 0; i < _options.listeners.size(); ++i) {
    const auto& l = _options.listeners[i];
    advertised_listener a{l.name, l.host, _server ? _server->port(i) : l.port};
    for (const auto& adv : _options.advertised)
      if (adv.name == l.name) {
        a.host = adv.host;
        if (adv.port != 0) a.port = adv.port;
      }
    if (a.host.empty() || a.host == "0.0.0.0") a.host = "127.0.0.1";
    out.push_back(a);
  }
  return out;
}

storage::log_config broker::log_config_for(const topic_info& t) const {
  return topic_log_config(_options.log_defaults, t.configs);
}

void broker::start() {
  raise_fd_limit();
  std::error_code ec;
  std::filesystem::create_directories(_options.log_dir, ec);
  if (ec)
    throw std::runtime_error(
        fmt::format("cannot create log dir {}: {}", _options.log_dir.string(), ec.message()));

  auto meta = storage::read_or_create_meta_properties(_options.log_dir, _options.node_id,
                                                      _options.cluster_id);
  if (!meta) throw std::runtime_error(meta.error());
  _cluster_id = meta->cluster_id;
  _clean_shutdown = storage::take_clean_shutdown_marker(_options.log_dir);
  lg.info("node {} of cluster {}, data in {} ({} shutdown)", _options.node_id, _cluster_id,
          _options.log_dir.string(), _clean_shutdown ? "clean" : "unclean or first");

  auto cluster = load_cluster(_options.log_dir);
  if (!cluster) throw std::runtime_error(cluster.error());
  auto pids = producer_id_allocator::open(_options.log_dir);
  if (!pids) throw std::runtime_error(pids.error());
  _producer_ids = std::move(*pids);

  _shards = std::make_unique<net::shard_set>(_options.shards);
  for (uint32_t i = 0; i < _options.shards; ++i) {
    _states.push_back(std::make_unique<shard_state>());
    _states.back()->quotas = client_quota_meter(_options.quota_window);
    _states.back()->syncer = std::make_unique<group_sync>(_shards->context(i));
    _states.back()->groups = std::make_unique<coordinator::group_coordinator>(
        _shards->context(i).get_executor(), _options.groups,
        [this](int32_t partition, std::vector<coordinator::log_record> records) {
          return write_internal_records(k_offsets_topic_name, partition, std::move(records));
        });
    _states.back()->groups->set_txn_writer([this](int32_t partition, int64_t producer_id,
                                                  int16_t epoch,
                                                  std::vector<coordinator::log_record> records) {
      return write_internal_records(k_offsets_topic_name, partition, std::move(records),
                                    std::pair{producer_id, epoch});
    });
    _states.back()->txns = std::make_unique<coordinator::txn_coordinator>(
        _shards->context(i).get_executor(), _options.transactions,
        [this](int32_t partition, std::vector<coordinator::log_record> records) {
          return write_internal_records(k_txn_topic_name, partition, std::move(records));
        },
        [this](int64_t producer_id, int16_t epoch, bool commit, int16_t transaction_version,
               std::vector<coordinator::txn_partition> partitions) {
          return write_txn_markers(producer_id, epoch, commit, transaction_version,
                                   std::move(partitions));
        },
        [this] { return _producer_ids->next(); });
    // The topics as this shard sees them, for consumer groups.
    coordinator::topic_source topics;
    auto ref = [](const topic_info* t) -> std::optional<coordinator::topic_ref> {
      if (!t) return std::nullopt;
      return coordinator::topic_ref{t->id, t->name, t->partitions};
    };
    topics.by_name = [this, i, ref](const std::string& n) {
      return ref(_states[i]->cluster->find(n));
    };
    topics.by_id = [this, i, ref](const wire::uuid& id) {
      return ref(_states[i]->cluster->find(id));
    };
    topics.names = [this, i] {
      std::vector<std::string> names;
      for (const auto& [name, t] : _states[i]->cluster->by_name)
        if (!t->is_internal) names.push_back(name);
      return names;
    };
    topics.version = [this, i] { return _states[i]->cluster_version; };
    topics.overrides = [this, i](const std::string& group) {
      return coordinator_overrides(_states[i]->cluster->group_configs_of(group));
    };
    _states.back()->groups->set_topics(std::move(topics));
  }
  _server = std::make_unique<net::server>(*_shards, make_dispatcher(*this));
  _cleaner = std::make_unique<storage::log_cleaner>(_options.cleaner, _options.log_dir);
  _shards->start();

  // Open every partition on its shard before accepting connections.
  block_on(_shards->context(0), [this, snapshot = *cluster]() -> asio::awaitable<void> {
    co_await publish(snapshot);
    for (const auto& [name, t] : snapshot->by_name) co_await open_partitions(t, false);
  });
  size_t partitions = 0;
  for (auto& s : _states) partitions += s->partitions.size();
  lg.info("{} topics, {} partitions open", (*cluster)->by_name.size(), partitions);

  // Groups and offsets come back from __consumer_offsets, each partition on its shard.
  if (const auto& t = (*cluster)->find(k_offsets_topic_name)) {
    size_t records = 0;
    for (int32_t p = 0; p < t->partitions; ++p)
      block_on(_shards->context(shard_of(t->id, p)),
               [this, &records, id = t->id, p]() -> asio::awaitable<void> {
                 records += load_offsets_partition(id, p);
                 co_return;
               });
    lg.info("{}: {} records of groups and offsets loaded", k_offsets_topic_name, records);
  }
  // Transactional ids come back from __transaction_state; half-completed transactions are
  // completed once every shard has loaded.
  if (const auto& t = (*cluster)->find(k_txn_topic_name)) {
    size_t records = 0;
    for (int32_t p = 0; p < t->partitions; ++p)
      block_on(_shards->context(shard_of(t->id, p)),
               [this, &records, id = t->id, p]() -> asio::awaitable<void> {
                 records += load_txn_partition(id, p);
                 co_return;
               });
    lg.info("{}: {} records of transactional ids loaded", k_txn_topic_name, records);
  }

  _cleaner->start();
  for (const auto& l : _options.listeners) _server->listen(l);
  // Background log maintenance: roll by time, retention, flush by time; group timeouts.
  for (net::shard_id s = 0; s < _shards->size(); ++s) {
    asio::co_spawn(_shards->context(s), maintenance_loop(s), asio::detached);
    asio::co_spawn(_shards->context(s), group_loop(s), asio::detached);
  }
}

asio::awaitable<void> broker::group_loop(net::shard_id s) {
  asio::steady_timer t(_shards->context(s));
  uint64_t ticks = 0;
  while (!_stopped.load()) {
    t.expires_after(std::chrono::milliseconds(100));
    std::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (_stopped.load()) break;
    _states[s]->groups->tick();
    // Transaction timeouts and expired transactional ids, once a second.
    if (++ticks % 10 == 0) _states[s]->txns->tick(wall_clock_ms());
  }
}

asio::awaitable<const topic_info*> broker::offsets_topic() {
  if (const topic_info* t = local().cluster->find(k_offsets_topic_name)) co_return t;
  // Kafka's settings for the offsets topic: compacted, its own segment size.
  std::map<std::string, std::string> configs{
      {"cleanup.policy", "compact"},
      {"compression.type", "producer"},
      {"segment.bytes", std::to_string(_options.offsets_segment_bytes)}};
  auto created = co_await create_topic(k_offsets_topic_name, _options.groups.offsets_partitions,
                                       std::move(configs), false);
  if (created.error_code != 0 &&
      created.error_code != static_cast<int16_t>(protocol::error_code::topic_already_exists))
    lg.error("cannot create {}: {}", k_offsets_topic_name, created.message);
  // Every shard has the new snapshot once create_topic returns.
  co_return local().cluster->find(k_offsets_topic_name);
}

asio::awaitable<const topic_info*> broker::txn_topic() {
  if (const topic_info* t = local().cluster->find(k_txn_topic_name)) co_return t;
  // Kafka's settings for the transaction log: compacted, its own segment size.
  std::map<std::string, std::string> configs{
      {"cleanup.policy", "compact"},
      {"compression.type", "uncompressed"},
      {"segment.bytes", std::to_string(_options.txn_segment_bytes)}};
  auto created = co_await create_topic(k_txn_topic_name, _options.transactions.log_partitions,
                                       std::move(configs), false);
  if (created.error_code != 0 &&
      created.error_code != static_cast<int16_t>(protocol::error_code::topic_already_exists))
    lg.error("cannot create {}: {}", k_txn_topic_name, created.message);
  co_return local().cluster->find(k_txn_topic_name);
}

size_t broker::load_txn_partition(const wire::uuid& topic, int32_t index) {
  auto& txns = *local().txns;
  replay_handlers on;
  on.record = [&](auto key, auto value, std::optional<int64_t>) { return txns.load(key, value); };
  const size_t n = replay_partition(topic, index, on);
  txns.resume();
  return n;
}

asio::awaitable<std::vector<int16_t>> broker::write_txn_markers(
    int64_t producer_id, int16_t epoch, bool commit, int16_t transaction_version,
    std::vector<coordinator::txn_partition> partitions) {
  std::vector<int16_t> out;
  auto cluster = local().cluster;
  const int64_t now = wall_clock_ms();
  for (const auto& p : partitions) {
    const topic_info* t = cluster->find(p.topic);
    if (!has_partition(t, p.partition)) {
      // A partition deleted meanwhile needs no marker (as Kafka).
      out.push_back(0);
      continue;
    }
    const bool offsets = p.topic == k_offsets_topic_name;
    auto r = co_await on_partition(t->id, p.partition, [&](partition& part) {
      const int16_t e = part.append_marker(producer_id, epoch, commit, 0, transaction_version, now);
      // The group coordinator of that partition (on this shard) settles the producer's offsets.
      if (e == 0 && offsets) local().groups->complete_txn(p.partition, producer_id, commit);
      return e;
    });
    out.push_back(r ? *r : static_cast<int16_t>(protocol::error_code::unknown_topic_or_partition));
  }
  co_return out;
}

size_t broker::replay_partition(const wire::uuid& topic, int32_t index, const replay_handlers& on) {
  namespace rec = protocol::records;
  auto& state = local();
  auto it = state.partitions.find({topic, index});
  if (it == state.partitions.end()) return 0;
  auto& part = *it->second;
  size_t count = 0;
  int64_t offset = part.log_start_offset();
  while (offset < part.high_watermark()) {
    auto o = part.read(offset, 1 << 20, true);
    if (o.error_code != 0 || o.records.empty()) break;
    rec::record_set_reader reader(o.records);
    int64_t next = offset;
    try {
      while (auto entry = reader.next()) {
        rec::batch_view batch(entry->bytes);
        next = batch.last_offset() + 1;
        if (batch.is_control()) {
          // A transaction marker: key int16 version, int16 type (0 ABORT, 1 COMMIT).
          if (!on.marker) continue;
          for (const auto& r : rec::decode_records(batch, 1u << 20))
            if (r.key && r.key->size() >= 4)
              on.marker(batch.producer_id(), rec::load_be<int16_t>(r.key->data() + 2) == 1);
          continue;
        }
        std::optional<int64_t> txn;
        if (batch.is_transactional() && batch.producer_id() >= 0) txn = batch.producer_id();
        for (const auto& r : rec::decode_records(batch, 256u << 20)) {
          if (!r.key) continue;
          std::optional<std::span<const uint8_t>> value;
          if (r.value) value = r.value->span();
          if (on.record(r.key->span(), value, txn)) ++count;
        }
      }
    } catch (const std::exception& e) {
      lg.error("{}-{}: cannot read the batch at offset {}: {}", part.topic(), index, next,
               e.what());
      break;
    }
    if (next <= offset) break;
    offset = next;
  }
  return count;
}

size_t broker::load_offsets_partition(const wire::uuid& topic, int32_t index) {
  auto& groups = *local().groups;
  replay_handlers on;
  on.record = [&](auto key, auto value, std::optional<int64_t> txn) {
    return coordinator::replay_offsets_record(groups, key, value, txn);
  };
  on.marker = [&](int64_t producer_id, bool commit) {
    groups.complete_txn(index, producer_id, commit);
  };
  return replay_partition(topic, index, on);
}

asio::awaitable<int16_t> broker::write_internal_records(
    const char* topic, int32_t index, std::vector<coordinator::log_record> records,
    std::optional<std::pair<int64_t, int16_t>> producer) {
  using protocol::error_code;
  auto& state = local();
  const topic_info* t = state.cluster->find(topic);
  auto it = t ? state.partitions.find({t->id, index}) : state.partitions.end();
  if (it == state.partitions.end())
    co_return static_cast<int16_t>(error_code::coordinator_not_available);
  auto& part = *it->second;
  const int64_t now = wall_clock_ms();
  protocol::records::batch_options bo;
  if (producer) {
    // TxnOffsetCommit: a transactional batch of the producer (its sequence is not checked).
    bo.transactional = true;
    bo.producer_id = producer->first;
    bo.producer_epoch = producer->second;
    bo.base_sequence = 0;
  }
  protocol::records::batch_builder builder(bo);
  for (const auto& r : records)
    builder.append(now, std::span<const uint8_t>(r.key),
                   r.value ? std::optional<std::span<const uint8_t>>(*r.value) : std::nullopt);
  auto batch = builder.build();
  auto o = part.append(batch, k_offsets_produce_version, now, /*from_coordinator=*/true);
  if (o.error_code == 0 && part.log().needs_sync_before_ack() && !co_await state.syncer->sync(part))
    co_return static_cast<int16_t>(error_code::kafka_storage_error);
  co_return o.error_code;
}

asio::awaitable<void> broker::maintenance_loop(net::shard_id s) {
  asio::steady_timer t(_shards->context(s));
  const auto period = std::chrono::milliseconds(
      std::min<int64_t>(std::max<int64_t>(_options.retention_check_interval_ms, 100), 60000));
  while (!_stopped.load()) {
    t.expires_after(period);
    std::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (_stopped.load()) break;
    for (auto& [key, p] : _states[s]->partitions) p->maintain(wall_clock_ms());
  }
}

void broker::stop() {
  if (!_shards || _stopped.exchange(true)) return;
  // The cleaner swaps segments on the shards: it stops while they still run.
  if (_cleaner) _cleaner->stop();
  lg.info("shutting down: finishing requests in flight");
  // Group requests waiting for other members would hold the shutdown up.
  for (net::shard_id s = 0; s < _shards->size(); ++s)
    block_on(_shards->context(s), [this, s]() -> asio::awaitable<void> {
      _states[s]->groups->release_waiters();
      co_return;
    });
  for (net::shard_id s = 0; s < _shards->size(); ++s)
    block_on(_shards->context(s),
             [this, s]() -> asio::awaitable<void> { co_await _server->stop_shard(s); });
  lg.info("closing logs");
  for (net::shard_id s = 0; s < _shards->size(); ++s)
    block_on(_shards->context(s), [this, s]() -> asio::awaitable<void> {
      for (auto& [key, p] : _states[s]->partitions) p->close();
      _states[s]->partitions.clear();
      co_return;
    });
  _shards->stop();
  _shards->join();
  storage::write_clean_shutdown_marker(_options.log_dir);
  lg.info("stopped cleanly");
}

asio::awaitable<void> broker::publish(std::shared_ptr<const cluster_snapshot> snapshot) {
  for (net::shard_id s = 0; s < _shards->size(); ++s)
    co_await net::run_on(_shards->context(s), [this, s, snapshot] {
      _states[s]->cluster = snapshot;
      ++_states[s]->cluster_version;
      _states[s]->txns->set_transaction_version(snapshot->feature_level("transaction.version"));
      return 0;
    });
}

asio::awaitable<void> broker::open_partitions(std::shared_ptr<const topic_info> topic,
                                              bool created) {
  const auto config = log_config_for(*topic);
  for (int32_t p = 0; p < topic->partitions; ++p) {
    const auto s = shard_of(topic->id, p);
    std::string error = co_await net::run_on(_shards->context(s), [&, s, p]() -> std::string {
      topic_partition_key key{topic->id, p};
      if (_states[s]->partitions.contains(key)) return {};
      storage::open_options o;
      o.topic_id = topic->id;
      o.now_ms = wall_clock_ms();
      o.clean_shutdown = _clean_shutdown && !created;
      auto dir = _options.log_dir / fmt::format("{}-{}", topic->name, p);
      auto log = storage::partition_log::open(dir, config, o);
      if (!log) return fmt::format("cannot open {}: {}", dir.string(), log.error().message);
      // Every log is known to the cleaner, which cleans those whose config says compact.
      _cleaner->attach(**log, topic->name, p,
                       [ctx = &_shards->context(s)](auto f) { asio::post(*ctx, std::move(f)); });
      _states[s]->partitions[key] =
          std::make_unique<partition>(topic->name, topic->id, p, std::move(*log), config);
      return {};
    });
    if (!error.empty()) throw std::runtime_error(error);
  }
}

asio::awaitable<broker::topic_change_result> broker::create_topic(
    std::string name, int32_t partitions, std::map<std::string, std::string> configs,
    bool validate_only) {
  using protocol::error_code;
  co_return co_await net::run_on(
      _shards->context(0), [&, this]() -> asio::awaitable<topic_change_result> {
        auto turn = co_await _topic_changes.acquire();
        topic_change_result r;
        auto& state = *_states[0];
        if (!valid_topic_name(name)) {
          r.error_code = static_cast<int16_t>(error_code::invalid_topic_exception);
          r.message = fmt::format(
              "Topic name is invalid: '{}' contains one or more characters other than ASCII "
              "alphanumerics, '.', '_' and '-'",
              name);
          co_return r;
        }
        if (state.cluster->find(name)) {
          r.error_code = static_cast<int16_t>(error_code::topic_already_exists);
          r.message = fmt::format("Topic '{}' already exists.", name);
          co_return r;
        }
        if (partitions == -1) partitions = _options.num_partitions;
        if (partitions <= 0) {
          r.error_code = static_cast<int16_t>(error_code::invalid_partitions);
          r.message = "Number of partitions was set to an invalid non-positive value.";
          co_return r;
        }
        if (auto bad = validate_topic_configs(configs, _options.log_defaults); !bad.empty()) {
          r.error_code = static_cast<int16_t>(error_code::invalid_config);
          r.message = bad;
          co_return r;
        }
        topic_info t;
        t.name = name;
        t.id = random_uuid();
        t.partitions = partitions;
        t.configs = std::move(configs);
        t.is_internal = name.starts_with("__");
        if (validate_only) {
          r.snapshot = state.cluster->with(t);
          r.topic = r.snapshot->find(name);
          co_return r;
        }
        auto next = state.cluster->with(t);
        if (!persist(_options.log_dir, *next, r)) co_return r;
        co_await open_partitions(next->by_name.at(name), true);
        co_await publish(next);
        lg.info("created topic {} ({} partitions, id {})", name, partitions, t.id.to_string());
        r.snapshot = next;
        r.topic = next->find(name);
        co_return r;
      });
}

asio::awaitable<broker::topic_change_result> broker::delete_topic(std::string name) {
  using protocol::error_code;
  co_return co_await net::run_on(
      _shards->context(0), [&, this]() -> asio::awaitable<topic_change_result> {
        auto turn = co_await _topic_changes.acquire();
        topic_change_result r;
        auto& state = *_states[0];
        const topic_info* t = state.cluster->find(name);
        if (!t) {
          r.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
          r.message = "This server does not host this topic-partition.";
          co_return r;
        }
        auto gone = *t;
        auto next = state.cluster->with(gone, true);
        if (!persist(_options.log_dir, *next, r)) co_return r;
        co_await publish(next);
        for (int32_t p = 0; p < gone.partitions; ++p) {
          const auto s = shard_of(gone.id, p);
          co_await net::run_on(_shards->context(s), [&, s, p] {
            auto it = _states[s]->partitions.find({gone.id, p});
            if (it != _states[s]->partitions.end()) {
              _states[s]->syncer->forget(*it->second);
              it->second->remove();
              _states[s]->partitions.erase(it);
            }
            return 0;
          });
        }
        lg.info("deleted topic {}", name);
        r.snapshot = next;
        co_return r;
      });
}

asio::awaitable<broker::topic_change_result> broker::alter_topic_configs(std::string name,
                                                                         config_editor edit,
                                                                         bool validate_only) {
  using protocol::error_code;
  co_return co_await net::run_on(
      _shards->context(0), [&, this]() -> asio::awaitable<topic_change_result> {
        auto turn = co_await _topic_changes.acquire();
        topic_change_result r;
        auto& state = *_states[0];
        const topic_info* t = state.cluster->find(name);
        if (!t) {
          r.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
          r.message = fmt::format("The topic '{}' does not exist.", name);
          co_return r;
        }
        topic_info changed = *t;
        if (auto e = edit(changed.configs); e.error_code != 0) {
          r.error_code = e.error_code;
          r.message = std::move(e.message);
          co_return r;
        }
        if (auto bad = validate_topic_configs(changed.configs, _options.log_defaults);
            !bad.empty()) {
          r.error_code = static_cast<int16_t>(error_code::invalid_config);
          r.message = bad;
          co_return r;
        }
        auto next = state.cluster->with(changed);
        if (validate_only) {
          r.snapshot = next;
          r.topic = next->find(name);
          co_return r;
        }
        if (!persist(_options.log_dir, *next, r)) co_return r;
        co_await publish(next);
        const auto config = log_config_for(changed);
        for (int32_t p = 0; p < changed.partitions; ++p)
          co_await on_partition(changed.id, p, [&](partition& part) {
            part.set_config(config);
            return 0;
          });
        lg.info("altered configs of topic {}", name);
        r.snapshot = next;
        r.topic = next->find(name);
        co_return r;
      });
}

asio::awaitable<broker::topic_change_result> broker::update_features(
    std::map<std::string, int16_t> levels) {
  co_return co_await net::run_on(_shards->context(0),
                                 [&, this]() -> asio::awaitable<topic_change_result> {
                                   auto turn = co_await _topic_changes.acquire();
                                   topic_change_result r;
                                   auto next = _states[0]->cluster->with_features(levels);
                                   if (!persist(_options.log_dir, *next, r)) co_return r;
                                   co_await publish(next);
                                   for (const auto& [name, level] : levels)
                                     lg.info("feature {} finalized at level {} (features epoch {})",
                                             name, level, next->features_epoch);
                                   r.snapshot = next;
                                   co_return r;
                                 });
}

asio::awaitable<broker::config_edit_error> broker::alter_group_configs(std::string group,
                                                                       config_editor edit,
                                                                       bool validate_only) {
  using protocol::error_code;
  co_return co_await net::run_on(
      _shards->context(0), [&, this]() -> asio::awaitable<config_edit_error> {
        auto turn = co_await _topic_changes.acquire();
        auto& state = *_states[0];
        auto configs = state.cluster->group_configs_of(group);
        if (auto e = edit(configs); e.error_code != 0) co_return e;
        if (auto bad = validate_group_configs(configs, _options.group_defaults); !bad.empty())
          co_return config_edit_error{static_cast<int16_t>(error_code::invalid_config), bad};
        if (validate_only) co_return config_edit_error{};
        auto next = state.cluster->with_group_configs(group, normalise_group_configs(configs));
        topic_change_result r;
        if (!persist(_options.log_dir, *next, r))
          co_return config_edit_error{r.error_code, r.message};
        co_await publish(next);
        lg.info("altered configs of group {}", group);
        co_return config_edit_error{};
      });
}

asio::awaitable<broker::config_edit_error> broker::alter_scram_credentials(scram_editor edit) {
  co_return co_await net::run_on(
      _shards->context(0), [&, this]() -> asio::awaitable<config_edit_error> {
        auto turn = co_await _topic_changes.acquire();
        auto& state = *_states[0];
        scram_credentials credentials = state.cluster->scram;
        edit(credentials);
        std::erase_if(credentials, [](const auto& user) { return user.second.empty(); });
        if (credentials == state.cluster->scram) co_return config_edit_error{};
        auto next = state.cluster->with_scram(std::move(credentials));
        topic_change_result r;
        if (!persist(_options.log_dir, *next, r))
          co_return config_edit_error{r.error_code, r.message};
        co_await publish(next);
        lg.info("altered SCRAM credentials ({} users)", next->scram.size());
        co_return config_edit_error{};
      });
}

asio::awaitable<broker::config_edit_error> broker::alter_client_quotas(client_quota_editor edit,
                                                                       bool validate_only) {
  co_return co_await net::run_on(
      _shards->context(0), [&, this]() -> asio::awaitable<config_edit_error> {
        auto turn = co_await _topic_changes.acquire();
        auto& state = *_states[0];
        client_quota_map quotas = state.cluster->client_quotas;
        edit(quotas);
        if (validate_only || quotas == state.cluster->client_quotas) co_return config_edit_error{};
        auto next = state.cluster->with_client_quotas(std::move(quotas));
        topic_change_result r;
        if (!persist(_options.log_dir, *next, r))
          co_return config_edit_error{r.error_code, r.message};
        co_await publish(next);
        lg.info("altered client quotas ({} entities have quotas)", next->client_quotas.size());
        co_return config_edit_error{};
      });
}

asio::awaitable<broker::topic_change_result> broker::create_acls(
    std::vector<security::acl_binding> bindings) {
  co_return co_await net::run_on(_shards->context(0),
                                 [&, this]() -> asio::awaitable<topic_change_result> {
                                   auto turn = co_await _topic_changes.acquire();
                                   topic_change_result r;
                                   auto acls = _states[0]->cluster->acls;
                                   size_t added = 0;
                                   for (const auto& b : bindings) added += acls.add(b) ? 1 : 0;
                                   if (added == 0) co_return r;
                                   auto next = _states[0]->cluster->with_acls(std::move(acls));
                                   if (!persist(_options.log_dir, *next, r)) co_return r;
                                   co_await publish(next);
                                   lg.info("{} ACL(s) created", added);
                                   r.snapshot = next;
                                   co_return r;
                                 });
}

asio::awaitable<broker::acl_delete_result> broker::delete_acls(
    std::vector<security::acl_filter> filters) {
  co_return co_await net::run_on(_shards->context(0),
                                 [&, this]() -> asio::awaitable<acl_delete_result> {
                                   auto turn = co_await _topic_changes.acquire();
                                   acl_delete_result r;
                                   auto acls = _states[0]->cluster->acls;
                                   size_t removed = 0;
                                   for (const auto& f : filters) {
                                     r.removed.push_back(acls.remove(f));
                                     removed += r.removed.back().size();
                                   }
                                   if (removed == 0) co_return r;
                                   auto next = _states[0]->cluster->with_acls(std::move(acls));
                                   topic_change_result saved;
                                   if (!persist(_options.log_dir, *next, saved)) {
                                     r.error_code = saved.error_code;
                                     r.message = saved.message;
                                     r.removed.clear();
                                     co_return r;
                                   }
                                   co_await publish(next);
                                   lg.info("{} ACL(s) deleted", removed);
                                   co_return r;
                                 });
}

asio::awaitable<broker::topic_change_result> broker::add_partitions(std::string name, int32_t count,
                                                                    bool validate_only) {
  using protocol::error_code;
  co_return co_await net::run_on(
      _shards->context(0), [&, this]() -> asio::awaitable<topic_change_result> {
        auto turn = co_await _topic_changes.acquire();
        topic_change_result r;
        auto& state = *_states[0];
        const topic_info* t = state.cluster->find(name);
        if (!t) {
          r.error_code = static_cast<int16_t>(error_code::unknown_topic_or_partition);
          co_return r;
        }
        if (count == t->partitions) {
          r.error_code = static_cast<int16_t>(error_code::invalid_partitions);
          r.message = fmt::format("Topic already has {} partition(s).", t->partitions);
          co_return r;
        }
        if (count < t->partitions) {
          r.error_code = static_cast<int16_t>(error_code::invalid_partitions);
          r.message = fmt::format(
              "The topic {} currently has {} partition(s); {} would not be an "
              "increase.",
              name, t->partitions, count);
          co_return r;
        }
        topic_info grown = *t;
        grown.partitions = count;
        auto next = state.cluster->with(grown);
        if (validate_only) {
          r.snapshot = next;
          r.topic = next->find(name);
          co_return r;
        }
        if (!persist(_options.log_dir, *next, r)) co_return r;
        co_await open_partitions(next->by_name.at(name), true);
        co_await publish(next);
        lg.info("topic {} now has {} partitions", name, count);
        r.snapshot = next;
        r.topic = next->find(name);
        co_return r;
      });
}

}  // namespace brook::broker
