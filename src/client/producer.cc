#include "client/producer.h"

#include <fmt/format.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <set>
#include <unordered_map>

#include "base/log.h"
#include "client/partitioner.h"
#include "client/producer_settings.h"
#include "protocol/generated/add_offsets_to_txn_request.h"
#include "protocol/generated/add_offsets_to_txn_response.h"
#include "protocol/generated/add_partitions_to_txn_request.h"
#include "protocol/generated/add_partitions_to_txn_response.h"
#include "protocol/generated/end_txn_request.h"
#include "protocol/generated/end_txn_response.h"
#include "protocol/generated/init_producer_id_request.h"
#include "protocol/generated/init_producer_id_response.h"
#include "protocol/generated/produce_request.h"
#include "protocol/generated/produce_response.h"
#include "protocol/generated/txn_offset_commit_request.h"
#include "protocol/generated/txn_offset_commit_response.h"
#include "protocol/records/byte_order.h"
#include "protocol/records/checksum.h"
#include "protocol/records/record_batch.h"

namespace brook::client {

namespace {

inline log::logger lg("producer");

namespace rec = protocol::records;
using protocol::error_code;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::span<const uint8_t> as_bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// An upper bound of a record's encoded size inside a batch (Java estimates the same way): every
// varint at its widest.
size_t record_size_bound(const producer_record& r) {
  size_t n = 5 + 1 + 10 + 5 + 5 + 5 + 5;
  if (r.key) n += r.key->size();
  if (r.value) n += r.value->size();
  for (const auto& h : r.headers) n += 5 + h.key.size() + 5 + (h.value ? h.value->size() : 0);
  return n;
}

// Errors after which the partition's leader may have moved: metadata is refreshed before the
// retry.
bool needs_metadata(error_code c) {
  switch (c) {
    case error_code::not_leader_or_follower:
    case error_code::unknown_topic_or_partition:
    case error_code::leader_not_available:
    case error_code::fenced_leader_epoch:
    case error_code::unknown_leader_epoch:
    case error_code::kafka_storage_error:
    case error_code::network_exception:
    case error_code::not_enough_replicas:
      return true;
    default:
      return false;
  }
}

error_code to_code(int16_t v) {
  return protocol::error_from_int(v).value_or(error_code::unknown_server_error);
}

struct completion {
  std::optional<std::promise<record_metadata>> promise;
  send_callback callback;
  int64_t timestamp = -1;
};

struct batch {
  std::string topic;
  int32_t partition = 0;
  // Present while records are appended; bytes once built.
  std::optional<rec::batch_builder> builder;
  std::shared_ptr<wire::byte_buffer> bytes;
  std::vector<completion> completions;
  size_t estimated_size = rec::k_batch_header_size;
  int64_t reserved = 0;
  clock::time_point created;
  clock::time_point deadline;
  clock::time_point retry_at{};
  int attempts = 0;
  int32_t base_sequence = -1;
  // No more records go in (batch.size reached or a newer batch opened).
  bool full = false;
  // Being built outside the lock by the thread that filled it.
  bool building = false;
};
using batch_ptr = std::unique_ptr<batch>;

struct partition_state {
  // Oldest first; only the last may still take records.
  std::deque<batch_ptr> queue;
  int in_flight = 0;
  int32_t next_sequence = 0;
  // The sequence after the last acknowledged batch: a batch starting elsewhere that fails with
  // OUT_OF_ORDER_SEQUENCE_NUMBER only follows a gap left by an earlier failed batch.
  int32_t acked_sequence = 0;
  bool in_transaction = false;
  bool add_pending = false;
};

struct topic_state {
  topic_state(std::string n, int64_t batch_size) : name(std::move(n)), sticky(batch_size) {}
  std::string name;
  // A deque: growing it keeps the states in place.
  std::deque<partition_state> partitions;
  std::vector<int32_t> leaders;
  std::vector<int32_t> available;
  // 0 while unknown.
  int32_t partition_count = 0;
  error_code error = error_code::none;
  sticky_partitioner sticky;
  // Scratch space for the adaptive partitioner's queue lengths (kept to spare allocations).
  std::vector<int32_t> load_sizes;
  std::vector<int32_t> load_ids;
};

// When a broker last had a batch ready to go, and when it last took one (for
// partitioner.availability.timeout.ms, as Java's per-node latency statistics).
struct node_latency {
  clock::time_point ready;
  clock::time_point drained;
};

struct produce_job {
  int32_t node = -1;
  std::shared_ptr<connection> conn;
  size_t bytes = 0;
  std::vector<batch_ptr> batches;
};

// The sequence after batch `b` starting at `base`; sequences wrap from INT32_MAX to 0.
int32_t next_sequence(int32_t base, const batch& b) {
  const int64_t n = static_cast<int64_t>(base) + static_cast<int64_t>(b.completions.size());
  return static_cast<int32_t>(n > INT32_MAX ? n - INT32_MAX - 1 : n);
}

// Writes producer id, epoch and base sequence into a built batch and recomputes its CRC.
void stamp(wire::byte_buffer& b, int64_t producer_id, int16_t epoch, int32_t sequence) {
  rec::store_be<int64_t>(b.data() + 43, producer_id);
  rec::store_be<int16_t>(b.data() + 51, epoch);
  rec::store_be<int32_t>(b.data() + 53, sequence);
  const uint32_t crc = rec::crc32c(std::span<const uint8_t>(b).subspan(21));
  rec::store_be<uint32_t>(b.data() + 17, crc);
}

void deliver(completion& c, const record_metadata& m, std::exception_ptr error) {
  if (c.promise) {
    if (error)
      c.promise->set_exception(error);
    else
      c.promise->set_value(m);
  }
  if (c.callback) {
    try {
      c.callback(m, error);
    } catch (const std::exception& e) {
      lg.warn("a send callback threw: {}", e.what());
    } catch (...) {
      lg.warn("a send callback threw");
    }
  }
}

enum class txn_state { none, uninitialized, ready, in_transaction, fatal };

}  // namespace

struct producer::impl {
  explicit impl(config c)
      : settings(read_producer_settings(c)),
        cl(std::make_unique<cluster>(std::move(c))),
        wake_timer(std::in_place, cl->executor()) {
    txn = settings.transactional_id ? txn_state::uninitialized : txn_state::none;
    asio::co_spawn(cl->executor(), sender_loop(), asio::detached);
  }

  ~impl() {
    close(milliseconds::max());
    // I/O objects (the timer, the connections' sockets and timers) must go while their
    // io_context still exists.
    cl->run([this]() -> asio::awaitable<void> {
      wake_timer.reset();
      conns.clear();
      co_return;
    });
    cl.reset();
  }

  producer_settings settings;
  std::unique_ptr<cluster> cl;

  // --- Shared between user threads and the I/O thread, under mu ---
  std::mutex mu;
  std::condition_variable cv;
  // Topics are never removed, so pointers to them stay valid.
  std::unordered_map<std::string, std::unique_ptr<topic_state>> topics;
  topic_state* last_topic = nullptr;
  int64_t buffered = 0;
  int64_t incomplete = 0;
  int flushing = 0;
  bool closed = false;
  bool force = false;
  bool stop = false;
  bool loop_done = false;
  txn_state txn;
  std::exception_ptr txn_failure;
  bool txn_started = false;
  std::atomic<bool> wake_pending{false};

  // --- I/O thread only ---
  // Reset on the I/O thread before the cluster (and its io_context) goes, as conns is cleared.
  std::optional<asio::steady_timer> wake_timer;
  bool woken = false;
  std::map<int32_t, int> node_in_flight;
  // Kept only with partitioner.availability.timeout.ms > 0 (under mu, like collect()).
  std::map<int32_t, node_latency> node_latencies;
  // Open connections to partition leaders. Jobs get theirs at collect time, so that requests
  // reach the socket in the order they were drained (a job waiting for a connection to open
  // could otherwise overtake an earlier one and break the sequence order).
  std::map<int32_t, std::shared_ptr<connection>> conns;
  std::set<int32_t> connecting;
  std::set<int32_t> want_connect;
  int total_in_flight = 0;
  bool need_metadata = false;
  bool metadata_refreshing = false;
  clock::time_point last_refresh{};
  bool need_add_partitions = false;
  bool adding_partitions = false;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  // The transaction protocol in use (KIP-890): 0 before init_transactions(), then 1 or 2. Set on
  // the I/O thread, read by users through transaction_version().
  std::atomic<int> txn_version{0};
  bool need_epoch_bump = false;
  bool pid_busy = false;

  // Wakes the sender loop (I/O thread).
  void poke() {
    woken = true;
    if (wake_timer) wake_timer->cancel();
  }

  bool transactional() const { return settings.transactional_id.has_value(); }

  // The options of every batch this producer builds; producer id, epoch and sequence are
  // stamped in when the batch is sent.
  rec::batch_options new_batch_options() const {
    rec::batch_options o;
    o.compression = settings.compression;
    o.compression_options = settings.compression_options;
    o.transactional = transactional();
    return o;
  }

  // ---------------------------------------------------------------- user side

  void wake() {
    if (!wake_pending.exchange(true)) asio::post(cl->executor(), [this] { poke(); });
  }

  void send(producer_record&& r, completion&& c) {
    if (r.partition && *r.partition < 0)
      throw std::invalid_argument(
          fmt::format("Invalid partition given with record: {} is negative", *r.partition));
    try {
      append(r, c);
    } catch (const kafka_error&) {
      record_metadata m{r.topic, r.partition.value_or(-1), -1, -1};
      deliver(c, m, std::current_exception());
    }
  }

  topic_state& register_topic(const std::string& name) {
    auto& t = topics[name];
    if (!t) t = std::make_unique<topic_state>(name, settings.batch_size);
    return *t;
  }

  // Waits (lock released) until the topic's partitions are known. Throws kafka_error.
  topic_state* wait_for_topic(std::unique_lock<std::mutex>& lock, const std::string& name,
                              std::optional<int32_t> partition, clock::time_point deadline) {
    for (int attempt = 0;; ++attempt) {
      topic_state& t = register_topic(name);
      if (t.partition_count > 0 && (!partition || *partition < t.partition_count)) return &t;
      if (t.error != error_code::none && !protocol::is_retriable(t.error) &&
          t.error != error_code::unknown_topic_or_partition)
        throw kafka_error(t.error, fmt::format("metadata of topic {}", name));
      if (cl->on_io_thread()) {
        // A send from a callback cannot wait: ask for the metadata for the next one.
        need_metadata = true;
        poke();
      }
      if (clock::now() >= deadline || cl->on_io_thread()) {
        const auto ms = settings.max_block.count();
        if (partition && t.partition_count > 0)
          throw kafka_error(error_code::request_timed_out,
                            fmt::format("Partition {} of topic {} with partition count {} is not "
                                        "present in metadata after {} ms.",
                                        *partition, name, t.partition_count, ms));
        throw kafka_error(error_code::request_timed_out,
                          fmt::format("Topic {} not present in metadata after {} ms.", name, ms));
      }
      lock.unlock();
      try {
        if (attempt > 0)
          std::this_thread::sleep_for(
              std::min<clock::duration>(settings.retry_backoff, deadline - clock::now()));
        cl->run([this]() { return refresh_metadata(); });
      } catch (const kafka_error& e) {
        lg.debug("metadata for {}: {}", name, e.what());
      }
      lock.lock();
    }
  }

  void append(producer_record& r, completion& c) {
    c.timestamp = r.timestamp.value_or(now_ms());
    const size_t size = record_size_bound(r);
    const size_t single = rec::k_batch_header_size + size;
    if (single > static_cast<size_t>(settings.max_request_size))
      throw kafka_error(error_code::message_too_large,
                        fmt::format("The message is {} bytes when serialized which is larger than "
                                    "{}, which is the value of the max.request.size "
                                    "configuration.",
                                    single, settings.max_request_size));
    if (single > static_cast<size_t>(settings.buffer_memory))
      throw kafka_error(error_code::message_too_large,
                        fmt::format("The message is {} bytes when serialized which is larger than "
                                    "the total memory buffer you have configured with the "
                                    "buffer.memory configuration.",
                                    single));
    std::unique_lock lock(mu);
    if (closed) throw std::logic_error("Cannot perform operation after producer has been closed");
    if (txn == txn_state::uninitialized || txn == txn_state::ready)
      throw std::logic_error("Cannot send a transactional record outside a transaction");
    if (txn == txn_state::fatal) std::rethrow_exception(txn_failure);
    // The common case costs neither a hash nor a clock reading: the last topic, known.
    topic_state* t = last_topic;
    if (!t || t->name != r.topic) {
      auto it = topics.find(r.topic);
      t = it == topics.end() ? nullptr : it->second.get();
    }
    if (!t || t->partition_count == 0 || (r.partition && *r.partition >= t->partition_count))
      t = wait_for_topic(lock, r.topic, r.partition, clock::now() + settings.max_block);
    last_topic = t;
    std::optional<clock::time_point> deadline;
    while (buffered > 0 && buffered + static_cast<int64_t>(size) > settings.buffer_memory) {
      if (!deadline) deadline = clock::now() + settings.max_block;
      if (cl->on_io_thread() || cv.wait_until(lock, *deadline) == std::cv_status::timeout)
        if (buffered > 0 && buffered + static_cast<int64_t>(size) > settings.buffer_memory)
          throw kafka_error(error_code::request_timed_out,
                            fmt::format("Failed to allocate memory within the configured max "
                                        "blocking time {} ms.",
                                        settings.max_block.count()));
      if (closed) throw std::logic_error("Cannot perform operation after producer has been closed");
    }
    const bool keyed = r.key && !settings.ignore_keys;
    int32_t p;
    if (r.partition)
      p = *r.partition;
    else if (keyed)
      p = partition_for_key(as_bytes(*r.key), t->partition_count);
    else
      p = t->sticky.partition(t->partition_count, t->available);
    partition_state& ps = t->partitions[static_cast<size_t>(p)];

    bool wake_now = false;
    batch* b = ps.queue.empty() ? nullptr : ps.queue.back().get();
    if (b && !b->full && b->builder && !b->building &&
        b->estimated_size + size > static_cast<size_t>(settings.batch_size) &&
        !b->completions.empty()) {
      b->full = true;
      wake_now = true;
    }
    if (!b || b->full || !b->builder || b->building) {
      auto nb = std::make_unique<batch>();
      nb->topic = r.topic;
      nb->partition = p;
      nb->builder.emplace(new_batch_options());
      // Room for what a full batch holds, but not a large block per batch when batch.size is
      // large and records trickle in (a 1 MB batch.size of 100 B records: 700 KB of fresh
      // memory for every batch otherwise).
      nb->completions.reserve(
          std::min<size_t>(static_cast<size_t>(settings.batch_size) / size + 1, 256));
      nb->created = clock::now();
      nb->deadline = nb->created + settings.delivery_timeout;
      b = nb.get();
      ps.queue.push_back(std::move(nb));
      ++incomplete;
      wake_now = true;
    }
    std::optional<std::span<const uint8_t>> key, value;
    if (r.key) key = as_bytes(*r.key);
    if (r.value) value = as_bytes(*r.value);
    if (r.headers.empty()) {
      b->builder->append(c.timestamp, key, value);
    } else {
      std::vector<rec::record_header> hs;
      hs.reserve(r.headers.size());
      for (const auto& h : r.headers) {
        rec::record_header rh;
        rh.key = h.key;
        if (h.value)
          rh.value = wire::shared_bytes(std::shared_ptr<const void>(), as_bytes(*h.value));
        hs.push_back(std::move(rh));
      }
      b->builder->append(c.timestamp, key, value, hs);
    }
    b->estimated_size += size;
    b->reserved += static_cast<int64_t>(size);
    buffered += static_cast<int64_t>(size);
    b->completions.push_back(std::move(c));
    if (!r.partition && !keyed)
      t->sticky.on_append(p, static_cast<int64_t>(size),
                          b->estimated_size >= static_cast<size_t>(settings.batch_size));
    if (b->estimated_size >= static_cast<size_t>(settings.batch_size)) {
      // Full: build (compress) it here, outside the lock, rather than on the I/O thread.
      b->full = true;
      b->building = true;
      lock.unlock();
      auto bytes = std::make_shared<wire::byte_buffer>(b->builder->build());
      lock.lock();
      b->bytes = std::move(bytes);
      b->builder.reset();
      b->building = false;
      wake_now = true;
    }
    lock.unlock();
    if (wake_now) wake();
  }

  // Makes every batch ready now, then waits until none is incomplete.
  void flush_and_wait(std::optional<clock::time_point> deadline = std::nullopt) {
    if (cl->on_io_thread())
      throw std::logic_error("flush() and close() cannot be called from a send callback");
    std::unique_lock lock(mu);
    ++flushing;
    lock.unlock();
    wake();
    lock.lock();
    if (deadline)
      cv.wait_until(lock, *deadline, [&] { return incomplete == 0; });
    else
      cv.wait(lock, [&] { return incomplete == 0; });
    --flushing;
  }

  void close(milliseconds timeout) {
    if (cl->on_io_thread()) throw std::logic_error("close() cannot be called from a send callback");
    {
      std::lock_guard lock(mu);
      if (closed && loop_done) return;
      closed = true;
    }
    cv.notify_all();
    std::optional<clock::time_point> deadline;
    if (timeout < std::chrono::hours(24 * 365)) deadline = clock::now() + timeout;
    flush_and_wait(deadline);
    bool left;
    {
      std::lock_guard lock(mu);
      left = incomplete > 0;
      if (left) force = true;
    }
    if (left) {
      cl->run([this]() -> asio::awaitable<void> {
        abort_queued(
            kafka_error(error_code::unknown_server_error, "Producer is closed forcefully."));
        for (const auto& [node, n] : node_in_flight)
          if (n > 0) cl->drop_connection(node);
        co_return;
      });
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return incomplete == 0; });
    }
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    asio::post(cl->executor(), [this] { poke(); });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return loop_done; });
  }

  // ---------------------------------------------------------------- I/O thread

  // Fails every queued batch that is not being built (I/O thread).
  void abort_queued(const kafka_error& why) {
    std::vector<batch_ptr> dropped;
    {
      std::lock_guard lock(mu);
      for (auto& [name, t] : topics)
        for (auto& ps : t->partitions)
          for (auto it = ps.queue.begin(); it != ps.queue.end();) {
            if ((*it)->building) {
              ++it;
              continue;
            }
            dropped.push_back(std::move(*it));
            it = ps.queue.erase(it);
          }
    }
    for (auto& b : dropped) finish(*b, -1, -1, std::make_exception_ptr(why));
  }

  // Completes a batch's records and returns its memory.
  void finish(batch& b, int64_t base_offset, int64_t log_append_time, std::exception_ptr error) {
    // One metadata object for the batch: the topic is copied once, not per record.
    record_metadata m;
    m.topic = b.topic;
    m.partition = b.partition;
    int64_t i = 0;
    for (auto& c : b.completions) {
      m.offset = (error || base_offset < 0) ? -1 : base_offset + i;
      m.timestamp = error ? -1 : (log_append_time >= 0 ? log_append_time : c.timestamp);
      deliver(c, m, error);
      ++i;
    }
    {
      std::lock_guard lock(mu);
      buffered -= b.reserved;
      --incomplete;
      if (error && transactional() && !txn_failure) txn_failure = error;
    }
    cv.notify_all();
  }

  void update_topics(const metadata_snapshot& snapshot) {
    std::lock_guard lock(mu);
    for (auto& [name, t] : topics) {
      const topic_metadata* tm = snapshot.find(name);
      if (!tm) {
        if (t->partition_count == 0) t->error = error_code::unknown_topic_or_partition;
        continue;
      }
      t->error = tm->error;
      if (tm->partitions.empty()) continue;
      const auto count = static_cast<int32_t>(tm->partitions.size());
      if (count > t->partition_count) {
        t->partitions.resize(static_cast<size_t>(count));
        t->partition_count = count;
      }
      t->leaders.assign(static_cast<size_t>(t->partition_count), -1);
      t->available.clear();
      for (const auto& p : tm->partitions) {
        if (p.partition < 0 || p.partition >= t->partition_count) continue;
        t->leaders[static_cast<size_t>(p.partition)] = p.leader;
        if (p.leader >= 0) t->available.push_back(p.partition);
      }
    }
  }

  asio::awaitable<void> refresh_metadata() {
    std::vector<std::string> names;
    {
      std::lock_guard lock(mu);
      for (const auto& [name, t] : topics) names.push_back(name);
    }
    last_refresh = clock::now();
    auto snapshot = co_await cl->refresh_metadata(std::move(names), settings.allow_auto_create);
    update_topics(*snapshot);
    need_metadata = false;
  }

  asio::awaitable<void> refresh_in_background() {
    metadata_refreshing = true;
    try {
      co_await refresh_metadata();
    } catch (const std::exception& e) {
      lg.debug("metadata refresh: {}", e.what());
    }
    metadata_refreshing = false;
    poke();
  }

  asio::awaitable<std::shared_ptr<connection>> coordinator_connection() {
    co_return co_await cl->coordinator_connection(coordinator_type::transaction,
                                                  *settings.transactional_id);
  }

  void forget_coordinator_on(error_code code) {
    if (code == error_code::not_coordinator || code == error_code::coordinator_not_available)
      cl->forget_coordinator(coordinator_type::transaction, *settings.transactional_id);
  }

  // InitProducerId: a new producer id, or with `bump` a new epoch of the current one (KIP-360).
  asio::awaitable<void> init_producer_id(bool bump) {
    const auto deadline = clock::now() + settings.max_block;
    for (int attempt = 0;; ++attempt) {
      error_code code = error_code::none;
      std::string message;
      try {
        auto conn =
            transactional() ? co_await coordinator_connection() : co_await cl->any_connection();
        const int16_t v = conn->require_version(protocol::api_key::init_producer_id, 5, 0);
        protocol::init_producer_id_request req;
        req.transactional_id = settings.transactional_id;
        req.transaction_timeout_ms = settings.transaction_timeout_ms;
        if (bump && v >= 3 && producer_id >= 0) {
          req.producer_id = producer_id;
          req.producer_epoch = producer_epoch;
        }
        auto resp = co_await conn->call<protocol::init_producer_id_response>(req, v);
        code = to_code(resp.error_code);
        if (code == error_code::none) {
          producer_id = resp.producer_id;
          producer_epoch = resp.producer_epoch;
          lg.debug("producer id {} epoch {}", producer_id, producer_epoch);
          co_return;
        }
        message = "InitProducerId";
        if (transactional()) forget_coordinator_on(code);
      } catch (const kafka_error& e) {
        code = e.code();
        message = e.what();
      }
      const bool retry = protocol::is_retriable(code) ||
                         code == error_code::concurrent_transactions ||
                         code == error_code::coordinator_load_in_progress;
      if (!retry || clock::now() >= deadline) throw kafka_error(code, message);
      co_await cl->backoff(attempt);
    }
  }

  asio::awaitable<void> obtain_producer_id(bool bump) {
    pid_busy = true;
    bool failed = false;
    try {
      // An idempotent producer bumps its epoch itself, as Java's does; Kafka answers
      // InitProducerId without a transactional id with a new producer id anyway.
      if (bump && producer_epoch < INT16_MAX - 1)
        ++producer_epoch;
      else
        co_await init_producer_id(false);
      if (bump) {
        std::lock_guard lock(mu);
        for (auto& [name, t] : topics)
          for (auto& ps : t->partitions) {
            ps.next_sequence = 0;
            ps.acked_sequence = 0;
            for (auto& b : ps.queue) b->base_sequence = -1;
          }
      }
      need_epoch_bump = false;
    } catch (const kafka_error& e) {
      lg.warn("cannot get a producer id: {}", e.what());
      failed = true;
    }
    if (failed) co_await cl->sleep(settings.retry_backoff);
    pid_busy = false;
    poke();
  }

  asio::awaitable<void> add_partitions() {
    adding_partitions = true;
    need_add_partitions = false;
    std::map<std::string, std::vector<int32_t>> wanted;
    {
      std::lock_guard lock(mu);
      for (auto& [name, t] : topics)
        for (size_t p = 0; p < t->partitions.size(); ++p)
          if (t->partitions[p].add_pending && !t->partitions[p].in_transaction)
            wanted[name].push_back(static_cast<int32_t>(p));
    }
    error_code failure = error_code::none;
    for (int attempt = 0; !wanted.empty(); ++attempt) {
      error_code code = error_code::none;
      try {
        auto conn = co_await coordinator_connection();
        const int16_t v = conn->require_version(protocol::api_key::add_partitions_to_txn, 3, 0);
        protocol::add_partitions_to_txn_request req;
        req.v3_and_below_transactional_id = *settings.transactional_id;
        req.v3_and_below_producer_id = producer_id;
        req.v3_and_below_producer_epoch = producer_epoch;
        for (const auto& [name, ps] : wanted) {
          protocol::add_partitions_to_txn_request::add_partitions_to_txn_topic t;
          t.name = name;
          t.partitions = ps;
          req.v3_and_below_topics.push_back(std::move(t));
        }
        auto resp = co_await conn->call<protocol::add_partitions_to_txn_response>(req, v);
        for (const auto& t : resp.results_by_topic_v3_and_below)
          for (const auto& r : t.results_by_partition) {
            const error_code c = to_code(r.partition_error_code);
            if (c == error_code::none) {
              std::lock_guard lock(mu);
              auto& ps = topics[t.name]->partitions[static_cast<size_t>(r.partition_index)];
              ps.in_transaction = true;
              ps.add_pending = false;
              auto& w = wanted[t.name];
              std::erase(w, r.partition_index);
              if (w.empty()) wanted.erase(t.name);
            } else if (c != error_code::operation_not_attempted) {
              code = c;
            }
          }
        if (code == error_code::none && !wanted.empty()) code = error_code::unknown_server_error;
      } catch (const kafka_error& e) {
        code = e.code();
      }
      if (code == error_code::none) break;
      forget_coordinator_on(code);
      const bool retry = protocol::is_retriable(code) ||
                         code == error_code::concurrent_transactions ||
                         code == error_code::coordinator_load_in_progress;
      if (!retry || attempt > 50) {
        failure = code;
        break;
      }
      if (code == error_code::concurrent_transactions)
        co_await cl->sleep(milliseconds(20));
      else
        co_await cl->backoff(attempt);
    }
    if (failure != error_code::none) {
      // The partitions' queued batches fail; the transaction must be aborted.
      std::vector<batch_ptr> dropped;
      {
        std::lock_guard lock(mu);
        for (auto& [name, ps_list] : wanted)
          for (int32_t p : ps_list) {
            auto& ps = topics[name]->partitions[static_cast<size_t>(p)];
            ps.add_pending = false;
            for (auto it = ps.queue.begin(); it != ps.queue.end();) {
              if ((*it)->building) {
                ++it;
                continue;
              }
              dropped.push_back(std::move(*it));
              it = ps.queue.erase(it);
            }
          }
      }
      auto error = std::make_exception_ptr(kafka_error(failure, "AddPartitionsToTxn"));
      for (auto& b : dropped) finish(*b, -1, -1, error);
    }
    adding_partitions = false;
    poke();
  }

  // Puts a batch back for a retry, in sequence order among the batches already numbered.
  void requeue(batch_ptr b) {
    auto& ps = topics[b->topic]->partitions[static_cast<size_t>(b->partition)];
    auto it = ps.queue.begin();
    while (it != ps.queue.end() && (*it)->base_sequence >= 0 && b->base_sequence >= 0 &&
           (*it)->base_sequence < b->base_sequence)
      ++it;
    ps.queue.insert(it, std::move(b));
  }

  // Splits a batch the broker found too large into two, each keeping its records' timestamps,
  // completions and (when numbered) sequences, as Java's producer does.
  std::pair<batch_ptr, batch_ptr> split(batch& b) {
    const rec::batch_view view(std::span<const uint8_t>(*b.bytes), b.bytes);
    const auto records = rec::decode_records(view, std::numeric_limits<size_t>::max());
    const size_t half = records.size() / 2;
    auto make = [&](size_t from, size_t to) {
      auto nb = std::make_unique<batch>();
      nb->topic = b.topic;
      nb->partition = b.partition;
      nb->created = b.created;
      nb->deadline = b.deadline;
      nb->attempts = b.attempts;
      nb->full = true;
      rec::batch_builder builder(new_batch_options());
      for (size_t i = from; i < to; ++i) {
        const auto& r = records[i];
        std::optional<std::span<const uint8_t>> key, value;
        if (r.key) key = r.key->span();
        if (r.value) value = r.value->span();
        builder.append(view.timestamp_of(r), key, value, r.headers);
      }
      nb->bytes = std::make_shared<wire::byte_buffer>(builder.build());
      nb->completions.assign(
          std::make_move_iterator(b.completions.begin() + static_cast<long>(from)),
          std::make_move_iterator(b.completions.begin() + static_cast<long>(to)));
      nb->reserved =
          b.reserved * static_cast<int64_t>(to - from) / static_cast<int64_t>(records.size());
      nb->estimated_size = nb->bytes->size();
      if (b.base_sequence >= 0) {
        nb->base_sequence = static_cast<int32_t>(
            (static_cast<int64_t>(b.base_sequence) + static_cast<int64_t>(from)) %
            (int64_t{INT32_MAX} + 1));
        stamp(*nb->bytes, producer_id, producer_epoch, nb->base_sequence);
      }
      return nb;
    };
    auto first = make(0, half);
    auto second = make(half, records.size());
    second->reserved = b.reserved - first->reserved;
    return {std::move(first), std::move(second)};
  }

  // A batch that came back with `code` (I/O thread): split, retried or failed.
  void handle_failure(batch_ptr b, error_code code, const std::string& message) {
    std::unique_lock lock(mu);
    auto& ps = topics[b->topic]->partitions[static_cast<size_t>(b->partition)];
    --ps.in_flight;
    const auto now = clock::now();
    if (!force && code == error_code::message_too_large && b->completions.size() > 1 &&
        now < b->deadline) {
      auto [first, second] = split(*b);
      ++incomplete;
      requeue(std::move(second));
      requeue(std::move(first));
      return;
    }
    if (!force && settings.idempotent && !transactional() &&
        (code == error_code::out_of_order_sequence_number ||
         code == error_code::unknown_producer_id) &&
        now < b->deadline) {
      // A batch after the last acknowledged one only follows the gap of an earlier failed batch:
      // it is retried as it is. Otherwise the broker lost the producer's state, or (a batch
      // failed and later ones were written, which Kafka accepts from a producer it does not know
      // yet) it can never take this sequence again: bump the epoch and number the unwritten
      // batches again, as Java's producer does.
      if (b->base_sequence <= ps.acked_sequence) need_epoch_bump = true;
      ++b->attempts;
      requeue(std::move(b));
      return;
    }
    if (!force && (protocol::is_retriable(code) || code == error_code::network_exception) &&
        b->attempts < settings.retries && now < b->deadline) {
      ++b->attempts;
      auto pause = settings.retry_backoff * (int64_t{1} << std::min(b->attempts - 1, 20));
      b->retry_at =
          now + std::min(pause, std::max(settings.retry_backoff, settings.retry_backoff_max));
      if (needs_metadata(code)) need_metadata = true;
      requeue(std::move(b));
      return;
    }
    lock.unlock();
    std::string what = message;
    if (now >= b->deadline && protocol::is_retriable(code))
      finish(*b, -1, -1,
             std::make_exception_ptr(kafka_error(
                 error_code::request_timed_out,
                 fmt::format("Expiring {} record(s) for {}-{}: {} ms has passed since batch "
                             "creation ({})",
                             b->completions.size(), b->topic, b->partition,
                             settings.delivery_timeout.count(), message))));
    else
      finish(*b, -1, -1, std::make_exception_ptr(kafka_error(code, what)));
  }

  void handle_success(batch_ptr b, int64_t base_offset, int64_t log_append_time) {
    {
      std::lock_guard lock(mu);
      auto& ps = topics[b->topic]->partitions[static_cast<size_t>(b->partition)];
      --ps.in_flight;
      if (b->base_sequence >= 0) ps.acked_sequence = next_sequence(b->base_sequence, *b);
    }
    finish(*b, base_offset, log_append_time, nullptr);
  }

  asio::awaitable<void> run_job(produce_job job) {
    std::vector<batch_ptr>& batches = job.batches;
    try {
      auto& conn = job.conn;
      // Produce v12+ inside a transaction means transactions v2 (the partition is added
      // implicitly); a v1 transaction must stay at v11.
      const int16_t v = !transactional() ? conn->require_version(protocol::api_key::produce, 12, 3)
                        : txn_version.load() >= 2
                            ? conn->require_version(protocol::api_key::produce, 12, 12)
                            : conn->require_version(protocol::api_key::produce, 11, 3);
      protocol::produce_request req;
      req.transactional_id = settings.transactional_id;
      req.acks = settings.acks;
      req.timeout_ms = static_cast<int32_t>(settings.request_timeout.count());
      for (const auto& b : batches) {
        protocol::produce_request::topic_produce_data* td = nullptr;
        for (auto& t : req.topic_data)
          if (t.name == b->topic) td = &t;
        if (!td) {
          td = &req.topic_data.emplace_back();
          td->name = b->topic;
        }
        auto& pd = td->partition_data.emplace_back();
        pd.index = b->partition;
        pd.records = wire::shared_bytes(b->bytes, std::span<const uint8_t>(*b->bytes));
      }
      if (settings.acks == 0) {
        co_await conn->roundtrip(
            protocol::api_key::produce, v, [&](wire::writer& w) { req.encode(w, v); }, false, {},
            req.encoded_size(v));
        for (auto& b : batches) handle_success(std::move(b), -1, -1);
      } else {
        auto resp = co_await conn->call<protocol::produce_response>(req, v);
        for (const auto& t : resp.responses)
          for (const auto& p : t.partition_responses)
            for (auto& b : batches) {
              if (!b || b->topic != t.name || b->partition != p.index) continue;
              const error_code code = to_code(p.error_code);
              if (code == error_code::none || code == error_code::duplicate_sequence_number) {
                handle_success(std::move(b), p.base_offset, p.log_append_time_ms);
              } else {
                std::string message = fmt::format("producing to {}-{}: {}", t.name, p.index,
                                                  protocol::error_name(code));
                if (p.error_message) message += ": " + *p.error_message;
                for (const auto& re : p.record_errors)
                  if (re.batch_index_error_message)
                    message += fmt::format(" (record {}: {})", re.batch_index,
                                           *re.batch_index_error_message);
                handle_failure(std::move(b), code, message);
              }
              break;
            }
        for (auto& b : batches)
          if (b)
            handle_failure(std::move(b), error_code::network_exception,
                           "no answer for the partition");
      }
    } catch (const kafka_error& e) {
      if (e.code() == error_code::network_exception || e.code() == error_code::request_timed_out) {
        cl->drop_connection(job.node);
        conns.erase(job.node);
      }
      for (auto& b : batches)
        if (b) handle_failure(std::move(b), e.code(), e.what());
    } catch (const std::exception& e) {
      for (auto& b : batches)
        if (b) handle_failure(std::move(b), error_code::unknown_server_error, e.what());
    }
    --total_in_flight;
    --node_in_flight[job.node];
    poke();
  }

  // A broker had a ready batch at `now`, and took it when `drained` (under mu).
  void note_latency(int32_t node, clock::time_point now, bool drained) {
    if (settings.availability_timeout.count() <= 0) return;
    auto [it, fresh] = node_latencies.try_emplace(node, node_latency{now, now});
    it->second.ready = now;
    if (drained) it->second.drained = now;
  }

  // Gives each topic's sticky partitioner the length of every partition's queue (under mu),
  // leaving out partitions without a leader and those whose broker has had a batch ready but
  // taken none for longer than partitioner.availability.timeout.ms.
  void update_load_stats() {
    for (auto& [name, t] : topics) {
      if (t->partition_count < 2) continue;
      t->load_sizes.clear();
      t->load_ids.clear();
      for (int32_t p = 0; p < t->partition_count; ++p) {
        const auto i = static_cast<size_t>(p);
        const int32_t leader = i < t->leaders.size() ? t->leaders[i] : -1;
        if (leader < 0) continue;
        if (settings.availability_timeout.count() > 0) {
          auto it = node_latencies.find(leader);
          if (it != node_latencies.end() &&
              it->second.ready - it->second.drained > settings.availability_timeout)
            continue;
        }
        t->load_sizes.push_back(static_cast<int32_t>(t->partitions[i].queue.size()));
        t->load_ids.push_back(p);
      }
      t->sticky.update_load_stats(t->load_sizes, t->load_ids, t->partition_count);
    }
  }

  // Takes the batches that can go now into per-broker jobs (under mu). `next` becomes the time
  // of the next linger, backoff or delivery deadline.
  void collect(std::vector<produce_job>& jobs, std::vector<batch_ptr>& expired,
               clock::time_point& next) {
    const auto now = clock::now();
    const bool flush_all = flushing > 0 || closed;
    const bool can_drain = !(settings.idempotent && (producer_id < 0 || need_epoch_bump)) &&
                           (txn == txn_state::none || txn == txn_state::in_transaction);
    std::map<int32_t, int> planned;
    if (settings.adaptive_partitioning) update_load_stats();
    for (bool progress = true; progress;) {
      progress = false;
      std::map<int32_t, size_t> job_of;
      for (auto& [name, t] : topics) {
        for (size_t p = 0; p < t->partitions.size(); ++p) {
          auto& ps = t->partitions[p];
          while (!ps.queue.empty() && !ps.queue.front()->building &&
                 now >= ps.queue.front()->deadline) {
            if (ps.queue.front()->base_sequence >= 0 && settings.idempotent && !transactional())
              need_epoch_bump = true;
            expired.push_back(std::move(ps.queue.front()));
            ps.queue.pop_front();
          }
          if (ps.queue.empty()) continue;
          batch& b = *ps.queue.front();
          if (b.building) continue;
          next = std::min(next, b.deadline);
          const bool ready = b.full || b.bytes || flush_all || now >= b.created + settings.linger;
          if (!ready) {
            next = std::min(next, b.created + settings.linger);
            continue;
          }
          if (b.retry_at > now) {
            next = std::min(next, b.retry_at);
            continue;
          }
          if (!can_drain) continue;
          if (b.base_sequence >= 0 && ps.in_flight > 0) continue;
          if (!settings.idempotent && settings.max_in_flight == 1 && ps.in_flight > 0) continue;
          if (transactional() && !ps.in_transaction && txn_version.load() >= 2) {
            // Transactions v2: the leader adds the partition when the first batch arrives.
            ps.in_transaction = true;
          } else if (transactional() && !ps.in_transaction) {
            if (!ps.add_pending) {
              ps.add_pending = true;
              need_add_partitions = true;
            }
            continue;
          }
          const int32_t leader = p < t->leaders.size() ? t->leaders[p] : -1;
          if (leader < 0) {
            need_metadata = true;
            continue;
          }
          auto conn = conns.find(leader);
          if (conn == conns.end() || !conn->second->is_open()) {
            want_connect.insert(leader);
            note_latency(leader, now, false);
            continue;
          }
          auto jit = job_of.find(leader);
          if (jit == job_of.end()) {
            if (node_in_flight[leader] + planned[leader] >= settings.max_in_flight) {
              note_latency(leader, now, false);
              continue;
            }
            jobs.push_back(produce_job{leader, conn->second, 0, {}});
            jit = job_of.emplace(leader, jobs.size() - 1).first;
            ++planned[leader];
          }
          produce_job& job = jobs[jit->second];
          if (!b.bytes) {
            b.bytes = std::make_shared<wire::byte_buffer>(b.builder->build());
            b.builder.reset();
            b.full = true;
          }
          if (!job.batches.empty() &&
              job.bytes + b.bytes->size() > static_cast<size_t>(settings.max_request_size))
            continue;
          if (settings.idempotent && b.base_sequence < 0) {
            b.base_sequence = ps.next_sequence;
            const int64_t n =
                static_cast<int64_t>(ps.next_sequence) + static_cast<int64_t>(b.completions.size());
            ps.next_sequence = static_cast<int32_t>(n > INT32_MAX ? n - INT32_MAX - 1 : n);
            stamp(*b.bytes, producer_id, producer_epoch, b.base_sequence);
          }
          note_latency(leader, now, true);
          job.bytes += b.bytes->size();
          job.batches.push_back(std::move(ps.queue.front()));
          ps.queue.pop_front();
          ++ps.in_flight;
          progress = true;
        }
      }
    }
  }

  asio::awaitable<void> connect(int32_t node) {
    bool failed = false;
    try {
      conns[node] = co_await cl->connection_to(node);
    } catch (const kafka_error& e) {
      lg.debug("connecting to node {}: {}", node, e.what());
      failed = true;
    }
    if (failed) {
      need_metadata = true;
      co_await cl->sleep(std::max(milliseconds(50), cl->settings().get_ms("reconnect.backoff.ms")));
    }
    connecting.erase(node);
    poke();
  }

  bool has_queued() {
    for (auto& [name, t] : topics)
      for (auto& ps : t->partitions)
        if (!ps.queue.empty()) return true;
    return false;
  }

  asio::awaitable<void> sender_loop() {
    auto exec = co_await asio::this_coro::executor;
    for (;;) {
      wake_pending.store(false);
      woken = false;
      std::vector<produce_job> jobs;
      std::vector<batch_ptr> expired;
      auto next = clock::now() + std::chrono::seconds(1);
      bool queued;
      bool stopping;
      {
        std::lock_guard lock(mu);
        collect(jobs, expired, next);
        queued = has_queued();
        stopping = stop;
      }
      for (auto& b : expired)
        finish(*b, -1, -1,
               std::make_exception_ptr(kafka_error(
                   error_code::request_timed_out,
                   fmt::format("Expiring {} record(s) for {}-{}: {} ms has passed since batch "
                               "creation",
                               b->completions.size(), b->topic, b->partition,
                               settings.delivery_timeout.count()))));
      for (auto& job : jobs) {
        ++total_in_flight;
        ++node_in_flight[job.node];
        asio::co_spawn(exec, run_job(std::move(job)), asio::detached);
      }
      if (queued && settings.idempotent && !transactional() && !pid_busy &&
          (producer_id < 0 || (need_epoch_bump && total_in_flight == 0))) {
        // The flags are set here, not in the coroutines: co_spawn starts them later.
        pid_busy = true;
        asio::co_spawn(exec, obtain_producer_id(producer_id >= 0), asio::detached);
      }
      for (int32_t node : want_connect)
        if (connecting.insert(node).second) asio::co_spawn(exec, connect(node), asio::detached);
      want_connect.clear();
      if (need_add_partitions && !adding_partitions) {
        adding_partitions = true;
        asio::co_spawn(exec, add_partitions(), asio::detached);
      }
      if (need_metadata && !metadata_refreshing) {
        const auto due = last_refresh + settings.retry_backoff;
        if (clock::now() >= due) {
          metadata_refreshing = true;
          asio::co_spawn(exec, refresh_in_background(), asio::detached);
        } else
          next = std::min(next, due);
      }
      if (stopping && total_in_flight == 0 && !pid_busy && !adding_partitions &&
          !metadata_refreshing)
        break;
      if (!woken) {
        wake_timer->expires_at(next);
        std::error_code ec;
        co_await wake_timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
    }
    {
      std::lock_guard lock(mu);
      loop_done = true;
    }
    cv.notify_all();
  }

  // ---------------------------------------------------------------- transactions

  void require_transactional() {
    if (!transactional())
      throw std::logic_error("Transactional method invoked on a non-transactional producer");
  }

  asio::awaitable<void> end_txn(bool commit) {
    protocol::end_txn_request req;
    req.transactional_id = *settings.transactional_id;
    req.producer_id = producer_id;
    req.producer_epoch = producer_epoch;
    req.committed = commit;
    const bool v2 = txn_version.load() >= 2;
    auto resp = co_await txn_coordinator_call<protocol::end_txn_response>(
        protocol::api_key::end_txn, v2 ? 5 : 4, v2 ? 5 : 0, req,
        commit ? "EndTxn (commit)" : "EndTxn (abort)");
    // EndTxn v5 (transactions v2) bumps the epoch at every transaction end, or gives a new
    // producer id when the epoch runs out; sequences start again at 0.
    if (resp.producer_id >= 0) {
      producer_id = resp.producer_id;
      producer_epoch = resp.producer_epoch;
      lg.debug("producer id {} epoch {} after EndTxn", producer_id, producer_epoch);
      std::lock_guard lock(mu);
      for (auto& [name, t] : topics)
        for (auto& ps : t->partitions) {
          ps.next_sequence = 0;
          ps.acked_sequence = 0;
        }
    }
  }

  // The transaction protocol the coordinator's cluster has finalized: 2 when its
  // transaction.version feature is at least 2 and it speaks EndTxn v5, else 1 (as Java decides).
  asio::awaitable<int> coordinator_transaction_version() {
    auto conn = co_await coordinator_connection();
    co_return conn->finalized_feature("transaction.version") >= 2 &&
            conn->version_for(protocol::api_key::end_txn, 5, 5) >= 0
        ? 2
        : 1;
  }

  // Sends `req` to the transaction coordinator until it answers NONE. Retriable errors and
  // CONCURRENT_TRANSACTIONS (the previous transaction is still completing) are retried after a
  // backoff, up to 50 times; a coordinator that moved is looked up again.
  template <class Response, class Request>
  asio::awaitable<Response> txn_coordinator_call(protocol::api_key key, int16_t max_version,
                                                 int16_t min_version, const Request& req,
                                                 std::string what) {
    for (int attempt = 0;; ++attempt) {
      error_code code = error_code::none;
      Response resp;
      try {
        auto conn = co_await coordinator_connection();
        const int16_t v = conn->require_version(key, max_version, min_version);
        resp = co_await conn->template call<Response>(req, v);
        code = to_code(resp.error_code);
      } catch (const kafka_error& e) {
        code = e.code();
      }
      if (code == error_code::none) co_return resp;
      forget_coordinator_on(code);
      if (!(protocol::is_retriable(code) || code == error_code::concurrent_transactions) ||
          attempt > 50)
        throw kafka_error(code, what);
      co_await cl->backoff(attempt);
    }
  }

  void reset_transaction() {
    std::lock_guard lock(mu);
    for (auto& [name, t] : topics)
      for (auto& ps : t->partitions) {
        ps.in_transaction = false;
        ps.add_pending = false;
      }
    txn_failure = nullptr;
    txn_started = false;
    txn = txn_state::ready;
  }
};

producer::producer(config settings) {
  settings.check(common | producer_role);
  _impl = std::make_unique<impl>(std::move(settings));
}

producer::~producer() = default;

std::future<record_metadata> producer::send(producer_record record) {
  completion c;
  c.promise.emplace();
  auto f = c.promise->get_future();
  _impl->send(std::move(record), std::move(c));
  return f;
}

void producer::send(producer_record record, send_callback callback) {
  completion c;
  c.callback = std::move(callback);
  _impl->send(std::move(record), std::move(c));
}

void producer::flush() { _impl->flush_and_wait(); }

void producer::close(std::chrono::milliseconds timeout) { _impl->close(timeout); }

std::vector<partition_metadata> producer::partitions_for(const std::string& topic) {
  auto& im = *_impl;
  const auto deadline = clock::now() + im.settings.max_block;
  {
    std::unique_lock lock(im.mu);
    im.wait_for_topic(lock, topic, std::nullopt, deadline);
  }
  auto snapshot = im.cl->metadata_copy();
  if (const topic_metadata* t = snapshot->find(topic)) return t->partitions;
  throw kafka_error(error_code::request_timed_out,
                    fmt::format("Topic {} not present in metadata after {} ms.", topic,
                                im.settings.max_block.count()));
}

cluster& producer::get_cluster() { return *_impl->cl; }

void producer::init_transactions() {
  auto& im = *_impl;
  im.require_transactional();
  {
    std::lock_guard lock(im.mu);
    if (im.txn != txn_state::uninitialized)
      throw std::logic_error("init_transactions() may be called only once");
  }
  im.cl->run([&]() -> asio::awaitable<void> {
    co_await im.init_producer_id(false);
    im.txn_version = co_await im.coordinator_transaction_version();
    lg.debug("transaction protocol version {}", im.txn_version.load());
  });
  std::lock_guard lock(im.mu);
  im.txn = txn_state::ready;
}

int producer::transaction_version() const { return _impl->txn_version.load(); }

void producer::begin_transaction() {
  auto& im = *_impl;
  im.require_transactional();
  {
    std::lock_guard lock(im.mu);
    if (im.txn != txn_state::ready)
      throw std::logic_error(
          "begin_transaction() needs init_transactions() and no open transaction");
  }
  // The cluster may have finalized transactions v2 since the last transaction (as Java, checked
  // at each begin). Moving up to v2 bumps the epoch first, so that no partition added under v1 is
  // taken as part of the first v2 transaction.
  if (im.txn_version.load() < 2)
    im.cl->run([&]() -> asio::awaitable<void> {
      int version = 1;
      try {
        version = co_await im.coordinator_transaction_version();
      } catch (const kafka_error& e) {
        // No coordinator now: stay at version 1; the next transaction looks again.
        lg.debug("transaction version check: {}", e.what());
      }
      if (version < 2) co_return;
      co_await im.init_producer_id(true);
      std::lock_guard lock(im.mu);
      for (auto& [name, t] : im.topics)
        for (auto& ps : t->partitions) {
          ps.next_sequence = 0;
          ps.acked_sequence = 0;
        }
      im.txn_version = 2;
    });
  std::lock_guard lock(im.mu);
  im.txn = txn_state::in_transaction;
}

void producer::send_offsets_to_transaction(
    const std::map<topic_partition, offset_and_metadata>& offsets,
    const consumer_group_metadata& group) {
  auto& im = *_impl;
  im.require_transactional();
  {
    std::lock_guard lock(im.mu);
    if (im.txn != txn_state::in_transaction)
      throw std::logic_error("send_offsets_to_transaction() needs an open transaction");
    im.txn_started = true;
  }
  im.cl->run([&]() -> asio::awaitable<void> {
    // Transactions v2: the group coordinator adds the offsets partition itself.
    if (im.txn_version.load() < 2) {
      protocol::add_offsets_to_txn_request req;
      req.transactional_id = *im.settings.transactional_id;
      req.producer_id = im.producer_id;
      req.producer_epoch = im.producer_epoch;
      req.group_id = group.group_id;
      co_await im.txn_coordinator_call<protocol::add_offsets_to_txn_response>(
          protocol::api_key::add_offsets_to_txn, 3, 0, req, "AddOffsetsToTxn");
    }
    for (int attempt = 0;; ++attempt) {
      error_code code = error_code::none;
      try {
        auto conn = co_await im.cl->coordinator_connection(coordinator_type::group, group.group_id);
        // v5+ tells the group coordinator to add the partition (transactions v2); v4 is the
        // last version of v1. v6 names topics by id, which this request does not.
        const int16_t v = im.txn_version.load() >= 2
                              ? conn->require_version(protocol::api_key::txn_offset_commit, 5, 5)
                              : conn->require_version(protocol::api_key::txn_offset_commit, 4, 0);
        protocol::txn_offset_commit_request req;
        req.transactional_id = *im.settings.transactional_id;
        req.group_id = group.group_id;
        req.producer_id = im.producer_id;
        req.producer_epoch = im.producer_epoch;
        req.generation_id_or_member_epoch = group.generation_id;
        req.member_id = group.member_id;
        req.group_instance_id = group.group_instance_id;
        for (const auto& [tp, offset] : offsets) {
          protocol::txn_offset_commit_request::txn_offset_commit_request_topic* t = nullptr;
          for (auto& x : req.topics)
            if (x.name == tp.topic) t = &x;
          if (!t) {
            t = &req.topics.emplace_back();
            t->name = tp.topic;
          }
          auto& p = t->partitions.emplace_back();
          p.partition_index = tp.partition;
          p.committed_offset = offset.offset;
          if (offset.leader_epoch) p.committed_leader_epoch = *offset.leader_epoch;
          p.committed_metadata = offset.metadata;
        }
        auto resp = co_await conn->call<protocol::txn_offset_commit_response>(req, v);
        for (const auto& t : resp.topics)
          for (const auto& p : t.partitions)
            if (p.error_code != 0) code = to_code(p.error_code);
      } catch (const kafka_error& e) {
        code = e.code();
      }
      if (code == error_code::none) co_return;
      if (code == error_code::not_coordinator || code == error_code::coordinator_not_available)
        im.cl->forget_coordinator(coordinator_type::group, group.group_id);
      if (!(protocol::is_retriable(code) || code == error_code::concurrent_transactions) ||
          attempt > 50)
        throw kafka_error(code, "TxnOffsetCommit");
      co_await im.cl->backoff(attempt);
    }
  });
}

void producer::commit_transaction() {
  auto& im = *_impl;
  im.require_transactional();
  {
    std::lock_guard lock(im.mu);
    if (im.txn != txn_state::in_transaction)
      throw std::logic_error("commit_transaction() needs an open transaction");
  }
  im.flush_and_wait();
  bool started;
  {
    std::lock_guard lock(im.mu);
    if (im.txn_failure) {
      try {
        std::rethrow_exception(im.txn_failure);
      } catch (const kafka_error& e) {
        throw kafka_error(error_code::transaction_abortable,
                          fmt::format("Cannot commit: a record of the transaction failed ({}); "
                                      "abort the transaction",
                                      e.what()));
      }
    }
    started = im.txn_started;
    for (auto& [name, t] : im.topics)
      for (auto& ps : t->partitions)
        if (ps.in_transaction) started = true;
  }
  if (started) im.cl->run([&]() { return im.end_txn(true); });
  im.reset_transaction();
}

void producer::abort_transaction() {
  auto& im = *_impl;
  im.require_transactional();
  {
    std::lock_guard lock(im.mu);
    if (im.txn != txn_state::in_transaction)
      throw std::logic_error("abort_transaction() needs an open transaction");
  }
  im.cl->run([&]() -> asio::awaitable<void> {
    im.abort_queued(kafka_error(error_code::transaction_abortable,
                                "Failing batch since transaction was aborted"));
    co_return;
  });
  {
    std::unique_lock lock(im.mu);
    im.cv.wait(lock, [&] { return im.incomplete == 0; });
  }
  bool started;
  {
    std::lock_guard lock(im.mu);
    started = im.txn_started;
    for (auto& [name, t] : im.topics)
      for (auto& ps : t->partitions)
        if (ps.in_transaction) started = true;
  }
  if (started) im.cl->run([&]() { return im.end_txn(false); });
  im.reset_transaction();
}

}  // namespace brook::client
