// The consumer's machinery. State shared by the user's thread and the I/O thread lives in
// consumer::impl under one mutex (`mu`): the assignment with each partition's position, the
// fetched record sets waiting for poll(), and the group state. The I/O thread runs three kinds of
// coroutines: the fetch loop (positions, metadata, one Fetch in flight per leader), the group
// loop (classic heartbeats, or KIP-848 heartbeats that carry the assignment) and short-lived ones
// (join, commit). poll() on the user's thread decodes record sets, applies assignments and calls
// the rebalance listener; it never holds `mu` while calling out to user code or waiting on the
// I/O thread.
#include "client/consumer.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <random>
#include <regex>
#include <utility>

#include "base/log.h"
#include "client/assignors.h"
#include "client/cluster.h"
#include "protocol/generated/consumer_group_heartbeat_request.h"
#include "protocol/generated/consumer_group_heartbeat_response.h"
#include "protocol/generated/consumer_protocol_assignment.h"
#include "protocol/generated/consumer_protocol_subscription.h"
#include "protocol/generated/fetch_request.h"
#include "protocol/generated/fetch_response.h"
#include "protocol/generated/heartbeat_request.h"
#include "protocol/generated/heartbeat_response.h"
#include "protocol/generated/join_group_request.h"
#include "protocol/generated/join_group_response.h"
#include "protocol/generated/leave_group_request.h"
#include "protocol/generated/leave_group_response.h"
#include "protocol/generated/list_offsets_request.h"
#include "protocol/generated/list_offsets_response.h"
#include "protocol/generated/offset_commit_request.h"
#include "protocol/generated/offset_commit_response.h"
#include "protocol/generated/offset_fetch_request.h"
#include "protocol/generated/offset_fetch_response.h"
#include "protocol/generated/sync_group_request.h"
#include "protocol/generated/sync_group_response.h"
#include "protocol/records/legacy.h"
#include "protocol/records/record_set.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace brook::client {

namespace {

inline log::logger lg("consumer");

using protocol::error_code;
using clock = std::chrono::steady_clock;
namespace rec = protocol::records;

// Largest decompressed batch accepted.
constexpr size_t k_max_uncompressed = 256u << 20;
// The consumer protocol version of subscriptions and assignments Brook writes.
constexpr int16_t k_consumer_protocol_version = 3;
// Fetch answers buffered per partition before its next Fetch waits for poll().
constexpr int k_prefetch = 3;

error_code code_of(int16_t c) {
  return protocol::error_from_int(c).value_or(error_code::unknown_server_error);
}

bool is_coordinator_error(error_code c) {
  return c == error_code::not_coordinator || c == error_code::coordinator_not_available ||
         c == error_code::coordinator_load_in_progress;
}

// Errors after which the partition's leader must be looked up again.
bool needs_metadata(error_code c) {
  switch (c) {
    case error_code::not_leader_or_follower:
    case error_code::fenced_leader_epoch:
    case error_code::unknown_leader_epoch:
    case error_code::unknown_topic_or_partition:
    case error_code::unknown_topic_id:
    case error_code::leader_not_available:
    case error_code::kafka_storage_error:
    case error_code::offset_not_available:
    case error_code::replica_not_available:
    case error_code::inconsistent_topic_id:
      return true;
    default:
      return false;
  }
}

// Accepts Java's class names for the assignors too.
std::string assignor_name(std::string n) {
  if (auto dot = n.rfind('.'); dot != std::string::npos) n = n.substr(dot + 1);
  if (n == "RangeAssignor") return "range";
  if (n == "RoundRobinAssignor") return "roundrobin";
  if (n == "CooperativeStickyAssignor") return "cooperative-sticky";
  return n;
}

std::string random_member_id() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<uint64_t>(clock::now().time_since_epoch().count()));
  return wire::uuid::from_halves(gen(), gen()).to_string();
}

template <class T>
std::vector<uint8_t> encode_embedded(const T& value, int16_t version) {
  wire::writer w(64);
  w.write_int16(version);
  value.encode(w, version);
  return w.take();
}

template <class T>
T decode_embedded(std::span<const uint8_t> bytes) {
  wire::reader r(bytes);
  const int16_t v = r.read_int16();
  if (v < 0) throw wire::decode_error("negative consumer protocol version");
  return T::decode(r, std::min(v, T::max_version));
}

}  // namespace

// ---- state -----------------------------------------------------------------------------------

namespace {

enum class position_state { ready, need_committed, need_reset, failed };
enum class reset_strategy { earliest, latest, none };

struct partition_state {
  // The offset of the next record poll() returns.
  int64_t position = -1;
  std::optional<int32_t> last_epoch;
  // The offset the next Fetch asks for; ahead of position while fetched data waits in poll's
  // buffer.
  int64_t fetch_position = -1;
  // Bumped by seek and reset: fetched data and in-flight answers of an older epoch are dropped.
  uint64_t epoch = 0;
  position_state state = position_state::need_committed;
  reset_strategy strategy = reset_strategy::latest;
  bool paused = false;
  bool in_flight = false;
  // Fetched record sets of this partition waiting in the buffer.
  int queued = 0;
  // Their size in bytes.
  size_t queued_bytes = 0;
  std::string failure;
};

// One partition's records from one Fetch answer, decoded by poll() a batch at a time.
struct completed_fetch {
  topic_partition tp;
  std::shared_ptr<const std::string> topic;
  uint64_t epoch = 0;
  wire::shared_bytes records;
  std::vector<protocol::fetch_response::aborted_transaction> aborted;
  // Decoding state (poll()).
  std::optional<rec::record_set_reader> reader;
  size_t aborted_next = 0;
  std::set<int64_t> aborted_producers;
  std::vector<consumer_record> pending;
  size_t pending_next = 0;
  int64_t batch_end = -1;
};

struct commit_result {
  consumer::commit_callback callback;
  std::map<topic_partition, offset_and_metadata> offsets;
  std::exception_ptr error;
};

}  // namespace

struct consumer::impl {
  explicit impl(config settings);
  ~impl() { owner.reset(); }

  // Settings.
  std::string group_id;
  std::optional<std::string> instance_id;
  bool classic = true;
  std::vector<std::string> assignors;
  bool cooperative = false;
  bool auto_commit = false;
  std::chrono::milliseconds auto_commit_interval{5000};
  std::chrono::milliseconds session_timeout{45000};
  std::chrono::milliseconds heartbeat_interval{3000};
  std::chrono::milliseconds rebalance_timeout{300000};
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds retry_backoff{100};
  size_t max_poll_records = 500;
  int32_t fetch_min_bytes = 1;
  int32_t fetch_max_wait = 500;
  int32_t fetch_max_bytes = 52428800;
  int32_t partition_max_bytes = 1048576;
  bool read_committed = false;
  bool check_crcs = true;
  reset_strategy default_reset = reset_strategy::latest;
  std::string rack;
  std::string remote_assignor;

  // The cluster, and a plain pointer to it that stays valid while the cluster's destructor lets
  // the coroutines see their connections close.
  std::unique_ptr<cluster> owner;
  cluster* cl = nullptr;
  bool closed = false;

  // Guarded by mu.
  std::mutex mu;
  std::condition_variable cv;
  std::map<topic_partition, partition_state> parts;
  std::deque<std::unique_ptr<completed_fetch>> completed;
  std::map<std::string, std::shared_ptr<const std::string>, std::less<>> topic_names;
  bool subscribed_mode = false;
  std::set<std::string> subscribed;
  // A pattern subscription: the pattern, and for the classic protocol its compiled form, which
  // each metadata refresh matches against all topics to update `subscribed`.
  std::optional<std::string> pattern;
  std::optional<std::regex> pattern_re;
  rebalance_listener* listener = nullptr;
  std::exception_ptr fatal;
  bool woken = false;
  bool closing = false;
  std::deque<commit_result> commit_results;
  // Group (classic: generation; KIP-848: member epoch).
  std::string member_id;
  int32_t generation = -1;
  bool in_group = false;
  bool need_rejoin = false;
  bool partitions_lost = false;
  bool joining = false;
  std::optional<std::vector<topic_partition>> pending_assignment;
  // Classic: the topics the last JoinGroup subscribed to (a different subscription means joining
  // again), and, on the leader, the partition count of each topic of the group when it assigned
  // (a topic that did not exist is absent); a refresh that disagrees means joining again.
  std::optional<std::set<std::string>> joined_subscription;
  std::optional<std::map<std::string, size_t>> assignment_snapshot;
  // max.poll.interval.ms: when poll() last returned, whether one runs now, and whether the member
  // left the group because none came in time (commits fail until the next poll()).
  clock::time_point last_poll = clock::now();
  bool polling = false;
  bool left_on_poll_timeout = false;
  // KIP-848: the broker's latest assignment, and whether the heartbeat must report ours.
  std::optional<std::set<topic_partition>> target;
  bool group_loop_running = false;
  clock::time_point next_auto_commit;

  // I/O thread only.
  bool fetch_loop_running = false;
  asio::steady_timer* fetch_wake = nullptr;
  bool fetch_wake_pending = false;
  asio::steady_timer* group_wake = nullptr;
  bool group_wake_pending = false;
  bool metadata_needed = false;
  std::set<int32_t> nodes_in_flight;
  std::map<int32_t, clock::time_point> node_backoff;
  // KIP-227: the fetch session with each leader broker, and the partitions it holds as the
  // broker sees them (what the last request sent). Epoch 0 means the next Fetch is a full one
  // that opens a new session.
  struct fetch_session {
    struct entry {
      int64_t offset = -1;
      int32_t leader_epoch = -1;
      wire::uuid topic_id;
      bool operator==(const entry&) const = default;
    };
    int32_t id = 0;
    int32_t epoch = 0;
    std::map<topic_partition, entry> partitions;
  };
  std::map<int32_t, fetch_session> sessions;

  std::shared_ptr<const std::string> intern(const std::string& topic) {
    auto it = topic_names.find(topic);
    if (it == topic_names.end())
      it = topic_names.emplace(topic, std::make_shared<const std::string>(topic)).first;
    return it->second;
  }

  // I/O thread: a metadata refresh; updates a pattern subscription and notices what needs a
  // rejoin.
  void on_metadata(const metadata_snapshot& md);
  // With mu held: the topics the cluster's periodic refresh must cover.
  void update_refresh_topics();
  // With mu held: whether the member has gone max.poll.interval.ms without a poll().
  bool poll_expired() const {
    return subscribed_mode && in_group && !joining && !polling &&
           clock::now() - last_poll > rebalance_timeout;
  }
  // With mu held: when poll_expired() will hold if no poll() comes (far away when it cannot).
  clock::time_point poll_deadline() const {
    if (!in_group || polling) return clock::time_point::max();
    return last_poll + rebalance_timeout + std::chrono::milliseconds(1);
  }
  // With mu held: leaves the group's state after a poll timeout; returns the member id to leave
  // with.
  std::string forget_membership_on_poll_timeout();
  // Leaves with LeaveGroup (classic) or a heartbeat of member epoch `epoch` (KIP-848: -1 leaves,
  // -2 keeps a static member's place); errors are only logged.
  asio::awaitable<void> send_leave(std::string member, int32_t epoch, std::string reason);

  // From any thread: makes the fetch loop (and the group loop) look at the state again.
  void wake_fetcher();
  void wake_group();
  void ensure_loops();

  // ---- I/O thread ----
  asio::awaitable<void> fetch_loop();
  asio::awaitable<void> init_positions();
  void plan_fetches();
  struct fetch_target {
    topic_partition tp;
    int64_t offset;
    uint64_t epoch;
    int32_t leader_epoch;
  };
  asio::awaitable<void> fetch_from(int32_t node, std::vector<fetch_target> targets);
  // Closes the fetch sessions (a Fetch of epoch -1 to each broker), at close().
  asio::awaitable<void> close_fetch_sessions();
  asio::awaitable<std::map<topic_partition, int64_t>> list_offsets(
      std::map<topic_partition, int64_t> timestamps);
  asio::awaitable<std::shared_ptr<connection>> coordinator_connection();
  asio::awaitable<std::map<topic_partition, offset_and_metadata>> fetch_committed(
      std::set<topic_partition> partitions);
  asio::awaitable<void> commit(std::map<topic_partition, offset_and_metadata> offsets);
  asio::awaitable<void> join_classic();
  asio::awaitable<bool> join_once();
  asio::awaitable<void> classic_heartbeat_loop();
  asio::awaitable<void> consumer_heartbeat_loop();
  asio::awaitable<void> leave_group();

  // ---- user thread ----
  // Java's IllegalStateException after close().
  void ensure_open() const {
    if (closed) throw std::logic_error("the consumer is closed");
  }
  void set_fatal(std::exception_ptr e) {
    fatal = e;
    cv.notify_all();
  }
  void throw_pending_errors(std::unique_lock<std::mutex>& lock);
  size_t drain(std::vector<consumer_record>& out, size_t limit);
  void decode_next(completed_fetch& cf, partition_state& st);
  void drive_group();
  // The assigned partitions, sorted; with mu held.
  std::vector<topic_partition> owned() const;
  void deliver_commit_results();
  std::map<topic_partition, offset_and_metadata> consumed_offsets();
  void maybe_auto_commit();
  void revoke(const std::vector<topic_partition>& partitions, bool lost);
  void assign_partitions(const std::vector<topic_partition>& partitions);
  void remove_partitions(const std::vector<topic_partition>& partitions);
  void commit_sync(std::map<topic_partition, offset_and_metadata> offsets);
  // seek_to_beginning/end: the positions of `partitions` (all when empty) are looked up again.
  void reset_positions(const std::vector<topic_partition>& partitions, reset_strategy strategy);
  // subscribe() by names or by pattern (`regex`).
  void subscribe(std::set<std::string> topics, std::optional<std::string> regex,
                 rebalance_listener* new_listener);
};

consumer::impl::impl(config settings) {
  settings.check(common | consumer_role);
  group_id = settings.get_string("group.id");
  if (auto i = settings.get_string("group.instance.id"); !i.empty()) instance_id = i;
  const std::string protocol = settings.get_string("group.protocol");
  if (protocol == "classic" || protocol == "CLASSIC")
    classic = true;
  else if (protocol == "consumer" || protocol == "CONSUMER")
    classic = false;
  else
    throw config_error(fmt::format("group.protocol: '{}' is not classic or consumer", protocol));
  for (auto& a : settings.get_list("partition.assignment.strategy")) {
    auto n = assignor_name(a);
    if (!is_known_assignor(n))
      throw config_error(fmt::format("partition.assignment.strategy: unknown assignor '{}'", a));
    assignors.push_back(std::move(n));
  }
  if (assignors.empty()) throw config_error("partition.assignment.strategy: no assignor");
  // Like Java: the cooperative protocol only when every assignor supports it.
  cooperative = std::all_of(assignors.begin(), assignors.end(),
                            [](const auto& a) { return is_cooperative_assignor(a); });
  auto_commit = !group_id.empty() && settings.get_bool("enable.auto.commit");
  auto_commit_interval = settings.get_ms("auto.commit.interval.ms");
  session_timeout = settings.get_ms("session.timeout.ms");
  heartbeat_interval = settings.get_ms("heartbeat.interval.ms");
  rebalance_timeout = settings.get_ms("max.poll.interval.ms");
  request_timeout = settings.get_ms("request.timeout.ms");
  retry_backoff = settings.get_ms("retry.backoff.ms");
  max_poll_records =
      static_cast<size_t>(std::max<int64_t>(1, settings.get_int("max.poll.records")));
  fetch_min_bytes = static_cast<int32_t>(settings.get_int("fetch.min.bytes"));
  fetch_max_wait = static_cast<int32_t>(settings.get_int("fetch.max.wait.ms"));
  fetch_max_bytes = static_cast<int32_t>(settings.get_int("fetch.max.bytes"));
  partition_max_bytes = static_cast<int32_t>(settings.get_int("max.partition.fetch.bytes"));
  const auto iso = settings.get_string("isolation.level");
  if (iso == "read_committed")
    read_committed = true;
  else if (iso != "read_uncommitted")
    throw config_error(
        fmt::format("isolation.level: '{}' is not read_uncommitted or "
                    "read_committed",
                    iso));
  check_crcs = settings.get_bool("check.crcs");
  const auto reset = settings.get_string("auto.offset.reset");
  if (reset == "earliest")
    default_reset = reset_strategy::earliest;
  else if (reset == "latest")
    default_reset = reset_strategy::latest;
  else if (reset == "none")
    default_reset = reset_strategy::none;
  else
    throw config_error(
        fmt::format("auto.offset.reset: '{}' is not earliest, latest or none", reset));
  rack = settings.get_string("client.rack");
  remote_assignor = settings.get_string("group.remote.assignor");
  owner = std::make_unique<cluster>(std::move(settings));
  cl = owner.get();
  cl->add_metadata_listener([this](const metadata_snapshot& md) { on_metadata(md); });
  next_auto_commit = clock::now() + auto_commit_interval;
}

void consumer::impl::wake_fetcher() {
  if (closed) return;
  asio::post(cl->executor(), [this] {
    fetch_wake_pending = true;
    if (fetch_wake) fetch_wake->cancel();
  });
}

void consumer::impl::wake_group() {
  if (closed) return;
  asio::post(cl->executor(), [this] {
    group_wake_pending = true;
    if (group_wake) group_wake->cancel();
  });
}

void consumer::impl::ensure_loops() {
  if (closed) return;
  asio::post(cl->executor(), [this] {
    if (!fetch_loop_running) {
      fetch_loop_running = true;
      asio::co_spawn(cl->executor(), fetch_loop(), asio::detached);
    }
  });
}

// ---- fetching (I/O thread) -------------------------------------------------------------------

asio::awaitable<void> consumer::impl::fetch_loop() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int failures = 0;;) {
    fetch_wake_pending = false;
    {
      std::lock_guard lock(mu);
      if (closing) break;
    }
    try {
      if (metadata_needed) {
        metadata_needed = false;
        std::set<std::string> topics;
        {
          std::lock_guard lock(mu);
          for (const auto& [tp, st] : parts) topics.insert(tp.topic);
          topics.insert(subscribed.begin(), subscribed.end());
        }
        if (!topics.empty())
          co_await cl->refresh_metadata(std::vector<std::string>(topics.begin(), topics.end()));
      }
      co_await init_positions();
      plan_fetches();
      failures = 0;
    } catch (const std::exception& e) {
      lg.debug("fetch loop: {}", e.what());
      metadata_needed = true;
      ++failures;
    }
    if (failures > 0) co_await cl->backoff(failures - 1);
    if (fetch_wake_pending) continue;
    timer.expires_after(retry_backoff);
    fetch_wake = &timer;
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    fetch_wake = nullptr;
  }
  fetch_loop_running = false;
}

asio::awaitable<void> consumer::impl::init_positions() {
  std::set<topic_partition> want_committed;
  std::map<topic_partition, int64_t> want_reset;
  {
    std::lock_guard lock(mu);
    for (auto& [tp, st] : parts) {
      if (st.state == position_state::need_committed) {
        if (group_id.empty())
          st.state = position_state::need_reset;
        else
          want_committed.insert(tp);
      }
      if (st.state == position_state::need_reset) {
        if (st.strategy == reset_strategy::none) {
          st.state = position_state::failed;
          st.failure = fmt::format("no offset for partition {} and auto.offset.reset is none",
                                   tp.to_string());
          cv.notify_all();
          continue;
        }
        want_reset[tp] = st.strategy == reset_strategy::earliest ? -2 : -1;
      }
    }
  }
  if (!want_committed.empty()) {
    auto committed = co_await fetch_committed(want_committed);
    std::lock_guard lock(mu);
    for (const auto& tp : want_committed) {
      auto it = parts.find(tp);
      if (it == parts.end() || it->second.state != position_state::need_committed) continue;
      auto& st = it->second;
      if (auto c = committed.find(tp); c != committed.end() && c->second.offset >= 0) {
        st.position = st.fetch_position = c->second.offset;
        st.last_epoch = c->second.leader_epoch;
        st.state = position_state::ready;
      } else {
        st.state = position_state::need_reset;
        st.strategy = default_reset;
        fetch_wake_pending = true;
      }
    }
    cv.notify_all();
  }
  if (!want_reset.empty()) {
    auto offsets = co_await list_offsets(want_reset);
    std::lock_guard lock(mu);
    for (const auto& [tp, offset] : offsets) {
      auto it = parts.find(tp);
      if (it == parts.end() || it->second.state != position_state::need_reset) continue;
      auto& st = it->second;
      st.position = st.fetch_position = offset;
      st.state = position_state::ready;
      ++st.epoch;
    }
    cv.notify_all();
  }
}

asio::awaitable<std::map<topic_partition, int64_t>> consumer::impl::list_offsets(
    std::map<topic_partition, int64_t> timestamps) {
  std::map<int32_t, std::vector<std::pair<topic_partition, int64_t>>> by_leader;
  auto md = cl->metadata();
  for (const auto& [tp, ts] : timestamps) {
    const int32_t leader = md->leader_of(tp.topic, tp.partition);
    if (leader < 0) {
      metadata_needed = true;
      continue;
    }
    by_leader[leader].emplace_back(tp, ts);
  }
  std::map<topic_partition, int64_t> out;
  for (const auto& [node, list] : by_leader) {
    auto conn = co_await cl->connection_to(node);
    const int16_t v = conn->require_version(protocol::api_key::list_offsets, 9, 1);
    protocol::list_offsets_request req;
    req.replica_id = -1;
    req.isolation_level = read_committed ? 1 : 0;
    req.timeout_ms = static_cast<int32_t>(request_timeout.count());
    for (const auto& [tp, ts] : list) {
      if (req.topics.empty() || req.topics.back().name != tp.topic)
        req.topics.emplace_back().name = tp.topic;
      auto& p = req.topics.back().partitions.emplace_back();
      p.partition_index = tp.partition;
      p.timestamp = ts;
    }
    auto resp = co_await conn->call<protocol::list_offsets_response>(req, v);
    for (const auto& t : resp.topics)
      for (const auto& p : t.partitions) {
        const auto code = code_of(p.error_code);
        if (code == error_code::none) {
          out[{t.name, p.partition_index}] = p.offset;
        } else if (needs_metadata(code)) {
          metadata_needed = true;
        } else {
          throw kafka_error(code, fmt::format("ListOffsets for {}-{}", t.name, p.partition_index));
        }
      }
  }
  co_return out;
}

void consumer::impl::plan_fetches() {
  auto md = cl->metadata();
  const auto now = clock::now();
  std::map<int32_t, std::vector<fetch_target>> by_node;
  {
    std::lock_guard lock(mu);
    for (auto& [tp, st] : parts) {
      // Fetching goes on while poll() works through what came before, up to k_prefetch answers
      // and one fetch.max.bytes per partition, so the application never waits for a round trip.
      if (st.state != position_state::ready || st.paused || st.in_flight ||
          st.queued >= k_prefetch || st.queued_bytes >= static_cast<size_t>(fetch_max_bytes))
        continue;
      const auto* t = md->find(tp.topic);
      if (!t || tp.partition < 0 || static_cast<size_t>(tp.partition) >= t->partitions.size() ||
          t->partitions[static_cast<size_t>(tp.partition)].leader < 0) {
        metadata_needed = true;
        continue;
      }
      const auto& pm = t->partitions[static_cast<size_t>(tp.partition)];
      if (nodes_in_flight.count(pm.leader)) continue;
      if (auto b = node_backoff.find(pm.leader); b != node_backoff.end() && b->second > now)
        continue;
      by_node[pm.leader].push_back({tp, st.fetch_position, st.epoch, pm.leader_epoch});
    }
    for (auto& [node, targets] : by_node)
      for (const auto& t : targets) parts[t.tp].in_flight = true;
  }
  for (auto& [node, targets] : by_node) {
    nodes_in_flight.insert(node);
    asio::co_spawn(cl->executor(), fetch_from(node, std::move(targets)), asio::detached);
  }
}

asio::awaitable<void> consumer::impl::fetch_from(int32_t node, std::vector<fetch_target> targets) {
  try {
    auto conn = co_await cl->connection_to(node);
    int16_t v = conn->require_version(protocol::api_key::fetch, 17, 4);
    auto md = cl->metadata();
    std::map<wire::uuid, std::string> names_by_id;
    for (const auto& t : targets) {
      const auto* tm = md->find(t.tp.topic);
      if (!tm || tm->id.is_zero())
        v = std::min<int16_t>(v, 12);
      else
        names_by_id[tm->id] = tm->name;
    }
    protocol::fetch_request req;
    req.replica_id = -1;
    req.max_wait_ms = fetch_max_wait;
    req.min_bytes = fetch_min_bytes;
    req.max_bytes = fetch_max_bytes;
    req.isolation_level = read_committed ? 1 : 0;
    req.rack_id = rack;
    // Sessions (v7+): a full Fetch (session 0, epoch 0) opens one; later ones name only the
    // partitions that are new or whose fetch offset or leader epoch moved, and forget those no
    // longer fetched from this broker.
    const bool use_session = v >= 7;
    auto& session = sessions[node];
    const bool full = !use_session || session.epoch == 0;
    req.session_id = full ? 0 : session.id;
    req.session_epoch = use_session ? session.epoch : -1;
    std::map<topic_partition, fetch_session::entry> next;
    for (const auto& t : targets) {
      fetch_session::entry e;
      e.offset = t.offset;
      e.leader_epoch = v >= 9 ? t.leader_epoch : -1;
      if (const auto* tm = md->find(t.tp.topic)) e.topic_id = tm->id;
      next[t.tp] = e;
      if (!full) {
        auto old = session.partitions.find(t.tp);
        if (old != session.partitions.end() && old->second == e) continue;
      }
      if (req.topics.empty() || req.topics.back().topic != t.tp.topic) {
        auto& ft = req.topics.emplace_back();
        ft.topic = t.tp.topic;
        ft.topic_id = e.topic_id;
      }
      auto& fp = req.topics.back().partitions.emplace_back();
      fp.partition = t.tp.partition;
      fp.current_leader_epoch = e.leader_epoch;
      fp.fetch_offset = t.offset;
      fp.partition_max_bytes = partition_max_bytes;
    }
    if (!full)
      for (const auto& [tp, e] : session.partitions) {
        if (next.count(tp)) continue;
        if (req.forgotten_topics_data.empty() ||
            req.forgotten_topics_data.back().topic != tp.topic) {
          auto& f = req.forgotten_topics_data.emplace_back();
          f.topic = tp.topic;
          f.topic_id = e.topic_id;
        }
        req.forgotten_topics_data.back().partitions.push_back(tp.partition);
      }
    session.partitions = std::move(next);
    const int32_t sent_epoch = req.session_epoch;
    auto resp = co_await conn->call<protocol::fetch_response>(
        req, v, std::chrono::milliseconds(fetch_max_wait));
    if (use_session) {
      auto& s = sessions[node];
      if (resp.error_code != 0) {
        s = fetch_session{};  // start over with a full Fetch
      } else if (s.epoch == sent_epoch) {
        if (full) {
          if (resp.session_id != 0 && resp.session_id != s.id)
            lg.debug("fetch session {} opened with node {}", resp.session_id, node);
          s.id = resp.session_id;
          s.epoch = resp.session_id == 0 ? 0 : 1;
        } else {
          s.epoch = sent_epoch == std::numeric_limits<int32_t>::max() ? 1 : sent_epoch + 1;
        }
      }
    }
    const auto top_code = code_of(resp.error_code);
    if (top_code == error_code::fetch_session_id_not_found ||
        top_code == error_code::invalid_fetch_session_epoch) {
      lg.debug("fetch from node {}: {}; a full fetch next", node, protocol::error_name(top_code));
    } else if (resp.error_code != 0) {
      lg.debug("fetch from node {}: error {}", node, resp.error_code);
      metadata_needed = true;
    }
    std::lock_guard lock(mu);
    for (auto& topic : resp.responses) {
      std::string name = topic.topic;
      if (v >= 13) {
        auto it = names_by_id.find(topic.topic_id);
        if (it == names_by_id.end()) continue;
        name = it->second;
      }
      for (auto& pd : topic.partitions) {
        topic_partition tp{name, pd.partition_index};
        auto it = parts.find(tp);
        if (it == parts.end()) continue;
        auto& st = it->second;
        auto target = std::find_if(targets.begin(), targets.end(),
                                   [&](const fetch_target& t) { return t.tp == tp; });
        if (target == targets.end() || target->epoch != st.epoch ||
            st.state != position_state::ready)
          continue;
        const auto code = code_of(pd.error_code);
        if (code == error_code::none) {
          if (!pd.records || pd.records->empty()) continue;
          rec::record_set_reader scan(pd.records->span(), pd.records->owner());
          int64_t next = -1;
          while (auto e = scan.next())
            next = (e->magic >= 2 ? e->batch().last_offset() : e->offset) + 1;
          if (next < 0) continue;
          auto cf = std::make_unique<completed_fetch>();
          cf->tp = tp;
          cf->topic = intern(name);
          cf->epoch = st.epoch;
          cf->records = std::move(*pd.records);
          if (read_committed && pd.aborted_transactions) {
            cf->aborted = std::move(*pd.aborted_transactions);
            std::sort(cf->aborted.begin(), cf->aborted.end(),
                      [](const auto& a, const auto& b) { return a.first_offset < b.first_offset; });
          }
          st.fetch_position = std::max(st.fetch_position, next);
          ++st.queued;
          st.queued_bytes += cf->records.size();
          completed.push_back(std::move(cf));
        } else if (code == error_code::offset_out_of_range) {
          if (st.fetch_position != st.position) continue;  // buffered data comes first
          st.state = position_state::need_reset;
          st.strategy = default_reset;
          ++st.epoch;
          fetch_wake_pending = true;
        } else if (needs_metadata(code)) {
          metadata_needed = true;
        } else {
          st.state = position_state::failed;
          st.failure = fmt::format("fetching {}: {}", tp.to_string(), protocol::error_name(code));
        }
      }
    }
    cv.notify_all();
  } catch (const kafka_error& e) {
    lg.debug("fetch from node {}: {}", node, e.what());
    sessions[node] = fetch_session{};
    if (e.code() == error_code::network_exception) cl->drop_connection(node);
    metadata_needed = true;
    node_backoff[node] = clock::now() + retry_backoff;
  } catch (const std::exception& e) {
    lg.warn("fetch from node {}: {}", node, e.what());
    sessions[node] = fetch_session{};
    node_backoff[node] = clock::now() + retry_backoff;
  }
  {
    std::lock_guard lock(mu);
    for (const auto& t : targets)
      if (auto it = parts.find(t.tp); it != parts.end()) it->second.in_flight = false;
  }
  nodes_in_flight.erase(node);
  fetch_wake_pending = true;
  if (fetch_wake) fetch_wake->cancel();
}

asio::awaitable<void> consumer::impl::close_fetch_sessions() {
  for (auto& [node, session] : sessions) {
    if (session.id == 0) continue;
    protocol::fetch_request req;
    req.replica_id = -1;
    req.max_wait_ms = 0;
    req.min_bytes = 0;
    req.max_bytes = fetch_max_bytes;
    req.session_id = session.id;
    req.session_epoch = -1;  // closes the session
    session = fetch_session{};
    try {
      auto conn = co_await cl->connection_to(node);
      const int16_t v = conn->require_version(protocol::api_key::fetch, 17, 7);
      co_await conn->call<protocol::fetch_response>(req, v);
    } catch (const std::exception& e) {
      lg.debug("closing the fetch session with node {}: {}", node, e.what());
    }
  }
}

// ---- commits (I/O thread) --------------------------------------------------------------------

asio::awaitable<std::shared_ptr<connection>> consumer::impl::coordinator_connection() {
  co_return co_await cl->coordinator_connection(coordinator_type::group, group_id);
}

asio::awaitable<std::map<topic_partition, offset_and_metadata>> consumer::impl::fetch_committed(
    std::set<topic_partition> partitions) {
  if (group_id.empty()) throw config_error("group.id: needed for committed offsets");
  const auto deadline = clock::now() + request_timeout;
  for (int attempt = 0;; ++attempt) {
    error_code failure = error_code::none;
    try {
      auto conn = co_await coordinator_connection();
      const int16_t v = conn->require_version(protocol::api_key::offset_fetch, 9, 1);
      protocol::offset_fetch_request req;
      std::map<std::string, std::vector<int32_t>> by_topic;
      for (const auto& tp : partitions) by_topic[tp.topic].push_back(tp.partition);
      if (v >= 8) {
        auto& g = req.groups.emplace_back();
        g.group_id = group_id;
        g.topics.emplace();
        for (auto& [t, ps] : by_topic) {
          auto& rt = g.topics->emplace_back();
          rt.name = t;
          rt.partition_indexes = ps;
        }
      } else {
        req.group_id = group_id;
        req.topics.emplace();
        for (auto& [t, ps] : by_topic) {
          auto& rt = req.topics->emplace_back();
          rt.name = t;
          rt.partition_indexes = ps;
        }
      }
      req.require_stable = true;
      auto resp = co_await conn->call<protocol::offset_fetch_response>(req, v);
      std::map<topic_partition, offset_and_metadata> out;
      auto take = [&](const std::string& topic, const auto& p) {
        const auto code = code_of(p.error_code);
        if (code != error_code::none) {
          if (failure == error_code::none) failure = code;
          return;
        }
        if (p.committed_offset < 0) return;
        offset_and_metadata o;
        o.offset = p.committed_offset;
        o.metadata = p.metadata.value_or("");
        if (p.committed_leader_epoch >= 0) o.leader_epoch = p.committed_leader_epoch;
        out[{topic, p.partition_index}] = std::move(o);
      };
      if (v >= 8) {
        for (const auto& g : resp.groups) {
          if (g.error_code != 0) failure = code_of(g.error_code);
          for (const auto& t : g.topics)
            for (const auto& p : t.partitions) take(t.name, p);
        }
      } else {
        if (resp.error_code != 0) failure = code_of(resp.error_code);
        for (const auto& t : resp.topics)
          for (const auto& p : t.partitions) take(t.name, p);
      }
      if (failure == error_code::none) co_return out;
    } catch (const kafka_error& e) {
      failure = e.code();
    }
    if (is_coordinator_error(failure) || failure == error_code::network_exception)
      cl->forget_coordinator(coordinator_type::group, group_id);
    else if (failure != error_code::unstable_offset_commit && !protocol::is_retriable(failure))
      throw kafka_error(failure, "OffsetFetch");
    if (clock::now() > deadline) throw kafka_error(failure, "OffsetFetch");
    co_await cl->backoff(attempt);
  }
}

asio::awaitable<void> consumer::impl::commit(
    std::map<topic_partition, offset_and_metadata> offsets) {
  if (group_id.empty()) throw config_error("group.id: needed to commit offsets");
  {
    std::lock_guard lock(mu);
    if (left_on_poll_timeout)
      throw kafka_error(error_code::unknown_member_id,
                        fmt::format("commit failed: the consumer left group {} as poll() was not "
                                    "called within max.poll.interval.ms ({} ms); its partitions "
                                    "may be another member's now, and the next poll() joins again",
                                    group_id, rebalance_timeout.count()));
  }
  if (offsets.empty()) co_return;
  const auto deadline = clock::now() + request_timeout;
  for (int attempt = 0;; ++attempt) {
    error_code failure = error_code::none;
    try {
      auto conn = co_await coordinator_connection();
      const int16_t v = conn->require_version(protocol::api_key::offset_commit, 9, 2);
      protocol::offset_commit_request req;
      req.group_id = group_id;
      {
        std::lock_guard lock(mu);
        req.generation_id_or_member_epoch = in_group ? generation : -1;
        req.member_id = in_group ? member_id : "";
      }
      if (v >= 7) req.group_instance_id = instance_id;
      for (const auto& [tp, o] : offsets) {
        if (req.topics.empty() || req.topics.back().name != tp.topic)
          req.topics.emplace_back().name = tp.topic;
        auto& p = req.topics.back().partitions.emplace_back();
        p.partition_index = tp.partition;
        p.committed_offset = o.offset;
        p.committed_leader_epoch = o.leader_epoch.value_or(-1);
        p.committed_metadata = o.metadata;
      }
      lg.debug("group {}: OffsetCommit of {} partitions", group_id, offsets.size());
      auto resp = co_await conn->call<protocol::offset_commit_response>(req, v);
      for (const auto& t : resp.topics)
        for (const auto& p : t.partitions)
          if (p.error_code != 0 && failure == error_code::none) failure = code_of(p.error_code);
      lg.debug("group {}: OffsetCommit answered {}", group_id, protocol::error_name(failure));
      if (failure == error_code::none) co_return;
    } catch (const kafka_error& e) {
      failure = e.code();
    }
    if (is_coordinator_error(failure) || failure == error_code::network_exception)
      cl->forget_coordinator(coordinator_type::group, group_id);
    else if (failure != error_code::stale_member_epoch && failure != error_code::request_timed_out)
      throw kafka_error(failure, "OffsetCommit");
    if (clock::now() > deadline) throw kafka_error(failure, "OffsetCommit");
    co_await cl->backoff(attempt);
  }
}

// ---- classic group (I/O thread) --------------------------------------------------------------

asio::awaitable<void> consumer::impl::join_classic() {
  for (int attempt = 0;; ++attempt) {
    {
      std::lock_guard lock(mu);
      if (closing || !subscribed_mode) {
        joining = false;
        co_return;
      }
    }
    try {
      if (co_await join_once()) co_return;
      continue;  // member id learnt or rebalance restarted: join again at once
    } catch (const kafka_error& e) {
      const auto c = e.code();
      if (is_coordinator_error(c) || c == error_code::network_exception ||
          c == error_code::request_timed_out) {
        cl->forget_coordinator(coordinator_type::group, group_id);
      } else if (!e.retriable()) {
        std::lock_guard lock(mu);
        joining = false;
        set_fatal(std::current_exception());
        co_return;
      }
      lg.debug("join group {}: {}", group_id, e.what());
    } catch (const std::exception& e) {
      std::lock_guard lock(mu);
      joining = false;
      set_fatal(std::current_exception());
      co_return;
    }
    co_await cl->backoff(attempt);
  }
}

asio::awaitable<bool> consumer::impl::join_once() {
  std::vector<std::string> topics;
  protocol::consumer_protocol_subscription sub;
  std::string me;
  bool by_pattern = false;
  {
    std::lock_guard lock(mu);
    by_pattern = pattern_re.has_value();
  }
  // A pattern is matched against every topic (on_metadata updates `subscribed`).
  if (by_pattern) co_await cl->refresh_metadata(std::nullopt);
  {
    std::lock_guard lock(mu);
    topics.assign(subscribed.begin(), subscribed.end());
    joined_subscription = subscribed;
    me = member_id;
    if (cooperative) {
      for (const auto& [tp, st] : parts) {
        if (sub.owned_partitions.empty() || sub.owned_partitions.back().topic != tp.topic)
          sub.owned_partitions.emplace_back().topic = tp.topic;
        sub.owned_partitions.back().partitions.push_back(tp.partition);
      }
      sub.generation_id = generation;
    }
  }
  sub.topics = topics;
  if (!rack.empty()) sub.rack_id = rack;
  if (!by_pattern) co_await cl->refresh_metadata(topics);
  auto conn = co_await coordinator_connection();
  const int16_t jv = conn->require_version(protocol::api_key::join_group, 9, 1);
  protocol::join_group_request join;
  join.group_id = group_id;
  join.session_timeout_ms = static_cast<int32_t>(session_timeout.count());
  join.rebalance_timeout_ms = static_cast<int32_t>(rebalance_timeout.count());
  join.member_id = me;
  if (jv >= 5) join.group_instance_id = instance_id;
  join.protocol_type = "consumer";
  const auto sub_bytes = encode_embedded(sub, k_consumer_protocol_version);
  for (const auto& a : assignors) join.protocols.push_back({a, sub_bytes, {}});
  lg.debug("group {}: JoinGroup as '{}'", group_id, me);
  auto jr = co_await conn->call<protocol::join_group_response>(join, jv, rebalance_timeout);
  lg.debug("group {}: JoinGroup answered {} generation {}", group_id, jr.error_code,
           jr.generation_id);
  const auto jc = code_of(jr.error_code);
  if (jc == error_code::member_id_required) {
    std::lock_guard lock(mu);
    member_id = jr.member_id;
    co_return false;
  }
  if (jc == error_code::unknown_member_id) {
    std::lock_guard lock(mu);
    member_id.clear();
    co_return false;
  }
  if (jc == error_code::rebalance_in_progress) co_return false;
  throw_if_error(jc, fmt::format("JoinGroup of group {}", group_id));
  const std::string protocol_name = jr.protocol_name.value_or("");
  {
    std::lock_guard lock(mu);
    member_id = jr.member_id;
    generation = jr.generation_id;
    if (jr.leader != jr.member_id) assignment_snapshot.reset();
  }

  protocol::sync_group_request sync;
  sync.group_id = group_id;
  sync.generation_id = jr.generation_id;
  sync.member_id = jr.member_id;
  const int16_t sv = conn->require_version(protocol::api_key::sync_group, 5, 1);
  if (sv >= 3) sync.group_instance_id = instance_id;
  if (sv >= 5) {
    sync.protocol_type = "consumer";
    sync.protocol_name = protocol_name;
  }
  if (jr.leader == jr.member_id && !jr.skip_assignment) {
    std::vector<member_subscription> members;
    std::set<std::string> all_topics;
    for (const auto& m : jr.members) {
      member_subscription ms;
      ms.member_id = m.member_id;
      ms.group_instance_id = m.group_instance_id;
      try {
        auto s = decode_embedded<protocol::consumer_protocol_subscription>(m.metadata);
        ms.topics = s.topics;
        ms.generation = s.generation_id;
        for (const auto& t : s.owned_partitions)
          for (auto p : t.partitions) ms.owned_partitions.push_back({t.topic, p});
      } catch (const wire::decode_error& e) {
        lg.warn("group {}: member {} sent a malformed subscription", group_id, m.member_id);
      }
      all_topics.insert(ms.topics.begin(), ms.topics.end());
      members.push_back(std::move(ms));
    }
    auto md = co_await cl->refresh_metadata(
        std::vector<std::string>(all_topics.begin(), all_topics.end()));
    partition_counts counts;
    for (const auto& t : all_topics)
      if (const auto* tm = md->find(t); tm && !tm->partitions.empty())
        counts[t] = static_cast<int32_t>(tm->partitions.size());
    {
      // What the leader assigned from: a later refresh that disagrees means joining again.
      std::lock_guard lock(mu);
      assignment_snapshot.emplace();
      for (const auto& t : all_topics)
        (*assignment_snapshot)[t] = counts.count(t) ? static_cast<size_t>(counts[t]) : 0;
      update_refresh_topics();
    }
    const auto assignment = client::assign_partitions(protocol_name, members, counts);
    for (const auto& [mid, tps] : assignment) {
      protocol::consumer_protocol_assignment a;
      for (const auto& tp : tps) {
        if (a.assigned_partitions.empty() || a.assigned_partitions.back().topic != tp.topic)
          a.assigned_partitions.emplace_back().topic = tp.topic;
        a.assigned_partitions.back().partitions.push_back(tp.partition);
      }
      sync.assignments.push_back({mid, encode_embedded(a, k_consumer_protocol_version), {}});
    }
  }
  auto sr = co_await conn->call<protocol::sync_group_response>(sync, sv, rebalance_timeout);
  lg.debug("group {}: SyncGroup answered {}", group_id, sr.error_code);
  const auto sc = code_of(sr.error_code);
  if (sc == error_code::rebalance_in_progress || sc == error_code::illegal_generation)
    co_return false;
  if (sc == error_code::unknown_member_id) {
    std::lock_guard lock(mu);
    member_id.clear();
    co_return false;
  }
  throw_if_error(sc, fmt::format("SyncGroup of group {}", group_id));
  std::vector<topic_partition> assigned;
  if (!sr.assignment.empty()) {
    auto a = decode_embedded<protocol::consumer_protocol_assignment>(sr.assignment);
    for (const auto& t : a.assigned_partitions)
      for (auto p : t.partitions) assigned.push_back({t.topic, p});
  }
  std::sort(assigned.begin(), assigned.end());
  bool start_heartbeats = false;
  {
    std::lock_guard lock(mu);
    pending_assignment = std::move(assigned);
    in_group = true;
    joining = false;
    cv.notify_all();
    start_heartbeats = !std::exchange(group_loop_running, true);
  }
  // Spawned without mu held: on this thread the loop starts at once and takes mu.
  if (start_heartbeats) asio::co_spawn(cl->executor(), classic_heartbeat_loop(), asio::detached);
  co_return true;
}

asio::awaitable<void> consumer::impl::classic_heartbeat_loop() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto next_heartbeat = clock::now() + heartbeat_interval;
  for (;;) {
    {
      std::lock_guard lock(mu);
      timer.expires_at(std::min(next_heartbeat, poll_deadline()));
    }
    group_wake = &timer;
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    group_wake = nullptr;
    protocol::heartbeat_request req;
    std::optional<std::string> leave_as;
    {
      std::lock_guard lock(mu);
      if (closing || !subscribed_mode) break;
      if (poll_expired()) leave_as = forget_membership_on_poll_timeout();
    }
    if (leave_as) {
      // A static member keeps its place, as in Java: it only forgot its generation.
      if (!instance_id) co_await send_leave(*leave_as, -1, "consumer poll timeout has expired");
      continue;
    }
    if (clock::now() < next_heartbeat) continue;
    next_heartbeat = clock::now() + heartbeat_interval;
    {
      std::lock_guard lock(mu);
      if (joining || !in_group || generation < 0 || need_rejoin) continue;
      req.group_id = group_id;
      req.generation_id = generation;
      req.member_id = member_id;
      req.group_instance_id = instance_id;
    }
    try {
      auto conn = co_await coordinator_connection();
      const int16_t v = conn->require_version(protocol::api_key::heartbeat, 4, 0);
      auto resp = co_await conn->call<protocol::heartbeat_response>(req, v);
      const auto code = code_of(resp.error_code);
      lg.debug("group {}: Heartbeat answered {}", group_id, resp.error_code);
      std::lock_guard lock(mu);
      if (req.generation_id != generation) continue;  // a join happened meanwhile
      switch (code) {
        case error_code::none:
          break;
        case error_code::rebalance_in_progress:
          need_rejoin = true;
          break;
        case error_code::illegal_generation:
          need_rejoin = true;
          partitions_lost = true;
          break;
        case error_code::unknown_member_id:
          member_id.clear();
          generation = -1;
          need_rejoin = true;
          partitions_lost = true;
          break;
        case error_code::fenced_instance_id:
          set_fatal(std::make_exception_ptr(kafka_error(code,
                                                        "Heartbeat: another consumer "
                                                        "took this group.instance.id")));
          break;
        default:
          if (is_coordinator_error(code))
            cl->forget_coordinator(coordinator_type::group, group_id);
          else
            lg.warn("heartbeat of group {}: {}", group_id, protocol::error_name(code));
      }
      cv.notify_all();
    } catch (const std::exception& e) {
      lg.debug("heartbeat of group {}: {}", group_id, e.what());
      cl->forget_coordinator(coordinator_type::group, group_id);
    }
  }
  std::lock_guard lock(mu);
  group_loop_running = false;
}

// ---- KIP-848 group (I/O thread) --------------------------------------------------------------

asio::awaitable<void> consumer::impl::consumer_heartbeat_loop() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto interval = heartbeat_interval;
  bool regex_sent = false;
  for (int failures = 0;;) {
    group_wake_pending = false;
    bool failed = false;
    protocol::consumer_group_heartbeat_request req;
    std::vector<std::string> topics;
    std::optional<std::string> leave_as;
    std::optional<std::string> regex;
    bool idle = false;
    {
      std::lock_guard lock(mu);
      if (closing || !subscribed_mode) break;
      if (poll_expired()) leave_as = forget_membership_on_poll_timeout();
      // After a poll timeout the member stays out until the next poll().
      idle = left_on_poll_timeout;
      regex = pattern;
      if (member_id.empty()) member_id = random_member_id();
      req.group_id = group_id;
      req.member_id = member_id;
      req.member_epoch = std::max(generation, 0);
      req.instance_id = instance_id;
      if (!rack.empty()) req.rack_id = rack;
      req.rebalance_timeout_ms = static_cast<int32_t>(rebalance_timeout.count());
      topics.assign(subscribed.begin(), subscribed.end());
      req.subscribed_topic_names = topics;
      if (!remote_assignor.empty()) req.server_assignor = remote_assignor;
    }
    if (leave_as) co_await send_leave(*leave_as, -1, "consumer poll timeout has expired");
    if (idle) {
      // Out of the group until the next poll() wakes this loop.
      if (!group_wake_pending) {
        timer.expires_after(interval);
        group_wake = &timer;
        std::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        group_wake = nullptr;
      }
      continue;
    }
    try {
      auto md = co_await cl->refresh_metadata(topics);
      req.topic_partitions.emplace();
      {
        std::lock_guard lock(mu);
        // A member joining (epoch 0) reports no partitions, as the broker requires.
        for (const auto& [tp, st] : parts) {
          if (req.member_epoch == 0) break;
          const auto* tm = md->find(tp.topic);
          if (!tm) continue;
          if (req.topic_partitions->empty() || req.topic_partitions->back().topic_id != tm->id)
            req.topic_partitions->emplace_back().topic_id = tm->id;
          req.topic_partitions->back().partitions.push_back(tp.partition);
        }
      }
      auto conn = co_await coordinator_connection();
      const int16_t v = conn->require_version(protocol::api_key::consumer_group_heartbeat, 1, 0);
      if (v == 0 && req.member_epoch == 0) req.member_id.clear();
      if (regex) {
        if (v < 1) {
          std::lock_guard lock(mu);
          set_fatal(std::make_exception_ptr(
              kafka_error(error_code::unsupported_version,
                          "the broker takes no SubscribedTopicRegex (ConsumerGroupHeartbeat v0)")));
          break;
        }
        req.subscribed_topic_names = std::vector<std::string>{};
        req.subscribed_topic_regex = *regex;
        regex_sent = true;
      } else if (regex_sent) {
        req.subscribed_topic_regex = std::string();  // no pattern any more
      }
      auto resp = co_await conn->call<protocol::consumer_group_heartbeat_response>(req, v);
      const auto code = code_of(resp.error_code);
      if (code == error_code::fenced_member_epoch || code == error_code::unknown_member_id) {
        lg.debug("group {}: ConsumerGroupHeartbeat at epoch {} answered {}: joining again",
                 group_id, req.member_epoch, protocol::error_name(code));
        std::lock_guard lock(mu);
        generation = 0;
        in_group = false;
        partitions_lost = true;
        target = std::set<topic_partition>{};
        cv.notify_all();
        continue;
      }
      if (is_coordinator_error(code)) {
        cl->forget_coordinator(coordinator_type::group, group_id);
        co_await cl->backoff(failures++);
        continue;
      }
      if (code != error_code::none) {
        std::lock_guard lock(mu);
        set_fatal(std::make_exception_ptr(kafka_error(
            code, fmt::format("ConsumerGroupHeartbeat of group {}{}{}", group_id,
                              resp.error_message ? ": " : "", resp.error_message.value_or("")))));
        break;
      }
      failures = 0;
      if (resp.heartbeat_interval_ms > 0)
        interval = std::chrono::milliseconds(resp.heartbeat_interval_ms);
      std::optional<std::set<topic_partition>> next;
      if (resp.assignment) {
        next.emplace();
        std::map<wire::uuid, std::string> names;
        for (const auto& [n, t] : md->topics) names[t.id] = n;
        bool unknown = false;
        for (const auto& tps : resp.assignment->topic_partitions) {
          auto it = names.find(tps.topic_id);
          if (it == names.end()) {
            unknown = true;
            continue;
          }
          for (auto p : tps.partitions) next->insert({it->second, p});
        }
        if (unknown) {
          // A topic id we cannot name yet: look at all topics once, then retry.
          auto all = co_await cl->refresh_metadata(std::nullopt);
          for (const auto& [n, t] : all->topics) names[t.id] = n;
          next->clear();
          for (const auto& tps : resp.assignment->topic_partitions)
            if (auto it = names.find(tps.topic_id); it != names.end())
              for (auto p : tps.partitions) next->insert({it->second, p});
        }
      }
      std::lock_guard lock(mu);
      if (resp.member_id) member_id = *resp.member_id;
      generation = resp.member_epoch;
      in_group = true;
      if (next) target = std::move(next);
      cv.notify_all();
    } catch (const std::exception& e) {
      lg.debug("consumer group heartbeat of {}: {}", group_id, e.what());
      cl->forget_coordinator(coordinator_type::group, group_id);
      failed = true;
    }
    if (failed) {
      co_await cl->backoff(failures++);
      continue;
    }
    if (group_wake_pending) continue;
    {
      std::lock_guard lock(mu);
      timer.expires_at(std::min(clock::now() + interval, poll_deadline()));
    }
    group_wake = &timer;
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    group_wake = nullptr;
  }
  std::lock_guard lock(mu);
  group_loop_running = false;
}

asio::awaitable<void> consumer::impl::leave_group() {
  std::string me;
  {
    std::lock_guard lock(mu);
    if (!in_group || member_id.empty()) co_return;
    me = member_id;
    in_group = false;
  }
  if (classic && instance_id) co_return;  // a static member keeps its place, as in Java
  co_await send_leave(me, instance_id ? -2 : -1, "the consumer is closing");
}

asio::awaitable<void> consumer::impl::send_leave(std::string member, int32_t epoch,
                                                 std::string reason) {
  try {
    auto conn = co_await coordinator_connection();
    if (classic) {
      const int16_t v = conn->require_version(protocol::api_key::leave_group, 5, 0);
      protocol::leave_group_request req;
      req.group_id = group_id;
      if (v >= 3)
        req.members.push_back({member, std::nullopt, reason, {}});
      else
        req.member_id = member;
      co_await conn->call<protocol::leave_group_response>(req, v);
    } else {
      const int16_t v = conn->require_version(protocol::api_key::consumer_group_heartbeat, 1, 0);
      protocol::consumer_group_heartbeat_request req;
      req.group_id = group_id;
      req.member_id = member;
      req.instance_id = instance_id;
      req.member_epoch = epoch;
      co_await conn->call<protocol::consumer_group_heartbeat_response>(req, v);
    }
  } catch (const std::exception& e) {
    lg.debug("leaving group {}: {}", group_id, e.what());
  }
}

std::string consumer::impl::forget_membership_on_poll_timeout() {
  lg.warn("group {}: poll() was not called within max.poll.interval.ms ({} ms): leaving the group",
          group_id, rebalance_timeout.count());
  std::string me = member_id;
  left_on_poll_timeout = true;
  in_group = false;
  partitions_lost = true;
  // An assignment the broker sent before is void: the member must earn a new one.
  target.reset();
  if (classic) {
    member_id.clear();
    generation = -1;
    need_rejoin = true;
  } else {
    generation = 0;
  }
  cv.notify_all();
  return me;
}

void consumer::impl::on_metadata(const metadata_snapshot& md) {
  std::lock_guard lock(mu);
  if (!subscribed_mode || !classic) return;
  if (pattern_re) {
    std::set<std::string> matched;
    for (const auto& [name, t] : md.topics)
      if (!t.internal && std::regex_match(name, *pattern_re)) matched.insert(name);
    if (matched != subscribed) {
      lg.debug("group {}: the pattern matches {} topics now", group_id, matched.size());
      subscribed = std::move(matched);
      update_refresh_topics();
    }
  }
  if (!in_group || joining) return;
  bool rejoin = joined_subscription && *joined_subscription != subscribed;
  if (assignment_snapshot)
    for (const auto& [topic, count] : *assignment_snapshot) {
      const auto* t = md.find(topic);
      if ((t ? t->partitions.size() : 0) != count) rejoin = true;
    }
  if (rejoin && !need_rejoin) {
    lg.debug("group {}: subscribed topics changed: joining again", group_id);
    need_rejoin = true;
    cv.notify_all();
  }
}

void consumer::impl::update_refresh_topics() {
  std::set<std::string> topics = subscribed;
  if (assignment_snapshot)
    for (const auto& [t, count] : *assignment_snapshot) topics.insert(t);
  cl->set_refresh_topics(std::move(topics), pattern_re.has_value());
}

// ---- user thread -----------------------------------------------------------------------------

void consumer::impl::throw_pending_errors(std::unique_lock<std::mutex>& lock) {
  if (woken) {
    woken = false;
    throw wakeup_error();
  }
  if (fatal) {
    auto e = fatal;
    fatal = nullptr;
    std::rethrow_exception(e);
  }
  for (const auto& [tp, st] : parts)
    if (st.state == position_state::failed)
      throw kafka_error(error_code::offset_out_of_range, st.failure);
  (void)lock;
}

void consumer::impl::decode_next(completed_fetch& cf, partition_state& st) {
  cf.pending.clear();
  cf.pending_next = 0;
  if (cf.batch_end >= 0) {
    st.position = std::max(st.position, cf.batch_end);
    cf.batch_end = -1;
  }
  auto e = cf.reader->next();
  if (!e) return;
  if (e->magic < 2) {
    rec::legacy_message_view view(e->bytes, e->owner);
    if (check_crcs && !view.crc_matches())
      throw kafka_error(error_code::corrupt_message, fmt::format("CRC mismatch in {} at offset {}",
                                                                 cf.tp.to_string(), e->offset));
    cf.batch_end = e->offset + 1;
    if (e->offset < st.position) return;
    for (auto& m : rec::decode_legacy_entry(view, k_max_uncompressed)) {
      if (m.offset < st.position) continue;
      cf.pending.emplace_back(cf.topic, cf.tp.partition, m.offset, m.timestamp, m.ts_type,
                              std::move(m.key), std::move(m.value), std::vector<record_header>{},
                              std::nullopt);
    }
    return;
  }
  const rec::batch_view batch = e->batch();
  const int64_t last = batch.last_offset();
  cf.batch_end = last + 1;
  if (last < st.position) return;
  if (check_crcs && !batch.crc_matches())
    throw kafka_error(
        error_code::corrupt_message,
        fmt::format("CRC mismatch in {} at offset {}", cf.tp.to_string(), batch.base_offset()));
  if (read_committed) {
    while (cf.aborted_next < cf.aborted.size() && cf.aborted[cf.aborted_next].first_offset <= last)
      cf.aborted_producers.insert(cf.aborted[cf.aborted_next++].producer_id);
    if (batch.is_control()) {
      if (batch.is_transactional() && batch.record_count() > 0) {
        auto records = rec::decode_records(batch, k_max_uncompressed);
        if (!records.empty() && records.front().key) {
          auto key = rec::parse_control_key(records.front().key->span());
          if (key.type == static_cast<int16_t>(rec::control_type::abort))
            cf.aborted_producers.erase(batch.producer_id());
        }
      }
      return;
    }
    if (batch.is_transactional() && cf.aborted_producers.count(batch.producer_id())) return;
  } else if (batch.is_control()) {
    return;
  }
  auto records = rec::decode_records(batch, k_max_uncompressed);
  const auto type = batch.ts_type();
  const int32_t epoch = batch.partition_leader_epoch();
  const std::optional<int32_t> leader_epoch =
      epoch >= 0 ? std::optional<int32_t>(epoch) : std::nullopt;
  cf.pending.reserve(records.size());
  for (auto& r : records) {
    const int64_t offset = batch.offset_of(r);
    if (offset < st.position) continue;
    cf.pending.emplace_back(cf.topic, cf.tp.partition, offset, batch.timestamp_of(r), type,
                            std::move(r.key), std::move(r.value), std::move(r.headers),
                            leader_epoch);
  }
}

// Called with mu held.
size_t consumer::impl::drain(std::vector<consumer_record>& out, size_t limit) {
  bool released = false;
  for (auto it = completed.begin(); it != completed.end() && out.size() < limit;) {
    completed_fetch& cf = **it;
    auto pit = parts.find(cf.tp);
    if (pit == parts.end() || pit->second.epoch != cf.epoch ||
        pit->second.state != position_state::ready) {
      if (pit != parts.end()) {
        --pit->second.queued;
        pit->second.queued_bytes -= cf.records.size();
      }
      it = completed.erase(it);
      released = true;
      continue;
    }
    auto& st = pit->second;
    if (st.paused) {
      ++it;
      continue;
    }
    if (!cf.reader) cf.reader.emplace(cf.records.span(), cf.records.owner());
    bool exhausted = false;
    while (out.size() < limit) {
      if (cf.pending_next < cf.pending.size()) {
        auto& r = cf.pending[cf.pending_next++];
        st.position = r.offset() + 1;
        st.last_epoch = r.leader_epoch();
        out.push_back(std::move(r));
        continue;
      }
      decode_next(cf, st);
      if (cf.pending.empty() && cf.batch_end < 0) {
        exhausted = true;
        break;
      }
    }
    if (exhausted) {
      --st.queued;
      st.queued_bytes -= cf.records.size();
      it = completed.erase(it);
      released = true;
    } else {
      ++it;
    }
  }
  if (released) wake_fetcher();
  return out.size();
}

std::map<topic_partition, offset_and_metadata> consumer::impl::consumed_offsets() {
  std::map<topic_partition, offset_and_metadata> out;
  std::lock_guard lock(mu);
  for (const auto& [tp, st] : parts)
    if (st.state == position_state::ready && st.position >= 0)
      out[tp] = offset_and_metadata{st.position, "", st.last_epoch};
  return out;
}

void consumer::impl::commit_sync(std::map<topic_partition, offset_and_metadata> offsets) {
  cl->run([&]() { return commit(std::move(offsets)); });
}

void consumer::impl::maybe_auto_commit() {
  if (!auto_commit || clock::now() < next_auto_commit) return;
  next_auto_commit = clock::now() + auto_commit_interval;
  auto offsets = consumed_offsets();
  if (offsets.empty()) return;
  asio::co_spawn(
      cl->executor(),
      [this, offsets]() -> asio::awaitable<void> {
        try {
          co_await commit(offsets);
        } catch (const std::exception& e) {
          lg.debug("auto commit of group {}: {}", group_id, e.what());
        }
      },
      asio::detached);
}

void consumer::impl::deliver_commit_results() {
  std::deque<commit_result> results;
  {
    std::lock_guard lock(mu);
    results.swap(commit_results);
  }
  for (auto& r : results)
    if (r.callback) r.callback(r.offsets, r.error);
}

void consumer::impl::assign_partitions(const std::vector<topic_partition>& partitions) {
  std::lock_guard lock(mu);
  for (const auto& tp : partitions) {
    auto [it, fresh] = parts.try_emplace(tp);
    if (fresh) it->second.strategy = default_reset;
  }
}

void consumer::impl::remove_partitions(const std::vector<topic_partition>& partitions) {
  std::lock_guard lock(mu);
  for (const auto& tp : partitions) parts.erase(tp);
  // Their buffered answers go too: a partition assigned again starts with an empty buffer.
  std::erase_if(completed, [&](const auto& cf) { return !parts.count(cf->tp); });
}

void consumer::impl::revoke(const std::vector<topic_partition>& partitions, bool lost) {
  if (partitions.empty()) return;
  if (!lost && auto_commit) {
    auto offsets = consumed_offsets();
    std::erase_if(offsets, [&](const auto& kv) {
      return !std::binary_search(partitions.begin(), partitions.end(), kv.first);
    });
    try {
      commit_sync(std::move(offsets));
    } catch (const std::exception& e) {
      lg.debug("commit before revoking partitions of group {}: {}", group_id, e.what());
    }
  }
  if (listener) {
    if (lost)
      listener->on_partitions_lost(partitions);
    else
      listener->on_partitions_revoked(partitions);
  }
  remove_partitions(partitions);
}

namespace {

// What `next` takes away from `current` and what it adds (both sorted).
std::pair<std::vector<topic_partition>, std::vector<topic_partition>> difference(
    const std::vector<topic_partition>& current, const std::vector<topic_partition>& next) {
  std::vector<topic_partition> revoked, added;
  std::set_difference(current.begin(), current.end(), next.begin(), next.end(),
                      std::back_inserter(revoked));
  std::set_difference(next.begin(), next.end(), current.begin(), current.end(),
                      std::back_inserter(added));
  return {std::move(revoked), std::move(added)};
}

}  // namespace

std::vector<topic_partition> consumer::impl::owned() const {
  std::vector<topic_partition> out;
  for (const auto& [tp, st] : parts) out.push_back(tp);
  return out;
}

void consumer::impl::drive_group() {
  std::unique_lock lock(mu);
  if (!subscribed_mode) return;
  if (classic) {
    if (pending_assignment) {
      auto next = std::move(*pending_assignment);
      pending_assignment.reset();
      auto [revoked, added] = difference(owned(), next);
      lock.unlock();
      if (!revoked.empty()) {
        revoke(revoked, false);
        // Cooperative: what we gave up goes to others in a second rebalance.
        std::lock_guard again(mu);
        need_rejoin = true;
      }
      assign_partitions(added);
      if (listener) listener->on_partitions_assigned(added);
      wake_fetcher();
      lock.lock();
    }
    if (in_group && !joining && joined_subscription && *joined_subscription != subscribed)
      need_rejoin = true;
    if (need_rejoin && !joining) {
      const bool lost = partitions_lost;
      need_rejoin = false;
      partitions_lost = false;
      const auto current = owned();
      lock.unlock();
      if (lost)
        revoke(current, true);
      else if (!cooperative)
        revoke(current, false);
      lock.lock();
      joining = true;
      lock.unlock();
      asio::co_spawn(cl->executor(), join_classic(), asio::detached);
    }
    return;
  }
  // KIP-848: reconcile with the broker's assignment.
  if (partitions_lost) {
    partitions_lost = false;
    const auto current = owned();
    lock.unlock();
    revoke(current, true);
    lock.lock();
  }
  if (target) {
    const std::vector<topic_partition> next(target->begin(), target->end());
    target.reset();
    if (pattern) {
      subscribed.clear();
      for (const auto& tp : next) subscribed.insert(tp.topic);
    }
    auto [revoked, added] = difference(owned(), next);
    lock.unlock();
    revoke(revoked, false);
    assign_partitions(added);
    if (listener && !added.empty()) listener->on_partitions_assigned(added);
    if (!revoked.empty() || !added.empty()) {
      wake_fetcher();
      wake_group();  // acknowledge at once
    }
  }
}

void consumer::impl::reset_positions(const std::vector<topic_partition>& partitions,
                                     reset_strategy strategy) {
  {
    std::lock_guard lock(mu);
    for (auto& [tp, st] : parts) {
      if (!partitions.empty() &&
          std::find(partitions.begin(), partitions.end(), tp) == partitions.end())
        continue;
      st.state = position_state::need_reset;
      st.strategy = strategy;
      ++st.epoch;
    }
  }
  wake_fetcher();
}

// ---- consumer --------------------------------------------------------------------------------

consumer::consumer(config settings) : _impl(std::make_unique<impl>(std::move(settings))) {}

consumer::~consumer() {
  try {
    close();
  } catch (const std::exception& e) {
    lg.warn("closing the consumer: {}", e.what());
  }
}

void consumer::assign(const std::vector<topic_partition>& partitions) {
  auto& m = *_impl;
  m.ensure_open();
  {
    std::lock_guard lock(m.mu);
    if (m.subscribed_mode) throw std::logic_error("assign() after subscribe()");
    std::set<topic_partition> wanted(partitions.begin(), partitions.end());
    std::erase_if(m.parts, [&](const auto& kv) { return !wanted.count(kv.first); });
    // Answers fetched ahead for the partitions dropped go with them.
    std::erase_if(m.completed, [&](const auto& cf) { return !m.parts.count(cf->tp); });
    for (const auto& tp : wanted) {
      auto [it, fresh] = m.parts.try_emplace(tp);
      if (fresh) it->second.strategy = m.default_reset;
    }
  }
  m.ensure_loops();
  m.wake_fetcher();
}

void consumer::subscribe(const std::vector<std::string>& topics, rebalance_listener* listener) {
  _impl->subscribe(std::set<std::string>(topics.begin(), topics.end()), std::nullopt, listener);
}

void consumer::subscribe_pattern(const subscription_pattern& pattern,
                                 rebalance_listener* listener) {
  _impl->subscribe({}, pattern.regex(), listener);
}

void consumer::impl::subscribe(std::set<std::string> topics, std::optional<std::string> regex,
                               rebalance_listener* new_listener) {
  ensure_open();
  if (group_id.empty()) throw config_error("group.id: needed for subscribe()");
  std::optional<std::regex> compiled;
  if (regex && classic) {
    try {
      compiled.emplace(*regex, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw config_error(fmt::format("subscription pattern '{}': {}", *regex, e.what()));
    }
  }
  bool start = false;
  {
    std::lock_guard lock(mu);
    if (!subscribed_mode && !parts.empty()) throw std::logic_error("subscribe() after assign()");
    start = !subscribed_mode;
    if (regex != pattern) {
      // The next join (classic) or heartbeat (KIP-848) matches the new pattern.
      if (in_group) need_rejoin = true;
      if (regex) topics.clear();
    } else if (regex) {
      topics = subscribed;  // the same pattern again
    }
    if (topics != subscribed && in_group) need_rejoin = true;
    subscribed = std::move(topics);
    pattern = std::move(regex);
    pattern_re = std::move(compiled);
    subscribed_mode = true;
    listener = new_listener;
    update_refresh_topics();
    if (start) {
      if (classic) {
        need_rejoin = true;
      } else if (!group_loop_running) {
        group_loop_running = true;
        asio::co_spawn(cl->executor(), consumer_heartbeat_loop(), asio::detached);
      }
    }
  }
  ensure_loops();
  if (!classic) wake_group();
}

void consumer::unsubscribe() {
  auto& m = *_impl;
  m.ensure_open();
  std::vector<topic_partition> current;
  bool was_subscribed;
  {
    std::lock_guard lock(m.mu);
    was_subscribed = m.subscribed_mode;
    current = m.owned();
  }
  if (was_subscribed) {
    m.revoke(current, false);
    m.cl->run([&]() { return m.leave_group(); });
  }
  std::lock_guard lock(m.mu);
  m.parts.clear();
  m.completed.clear();
  m.subscribed.clear();
  m.pattern.reset();
  m.pattern_re.reset();
  m.joined_subscription.reset();
  m.assignment_snapshot.reset();
  m.left_on_poll_timeout = false;
  m.update_refresh_topics();
  m.subscribed_mode = false;
  m.listener = nullptr;
  m.need_rejoin = false;
  m.pending_assignment.reset();
  m.target.reset();
  m.generation = -1;
  m.in_group = false;
  m.member_id.clear();
  m.wake_group();
}

std::set<std::string> consumer::subscription() const {
  std::lock_guard lock(_impl->mu);
  return _impl->subscribed;
}

std::set<topic_partition> consumer::assignment() const {
  std::lock_guard lock(_impl->mu);
  std::set<topic_partition> out;
  for (const auto& [tp, st] : _impl->parts) out.insert(tp);
  return out;
}

std::vector<consumer_record> consumer::poll(std::chrono::milliseconds timeout) {
  auto& m = *_impl;
  m.ensure_open();
  const auto deadline = clock::now() + timeout;
  bool rejoin = false;
  {
    std::lock_guard lock(m.mu);
    m.polling = true;
    rejoin = std::exchange(m.left_on_poll_timeout, false);
  }
  // The poll timer (max.poll.interval.ms) runs again from when this poll() returns.
  struct poll_timer {
    impl& m;
    ~poll_timer() {
      std::lock_guard lock(m.mu);
      m.polling = false;
      m.last_poll = clock::now();
    }
  } timer{m};
  if (rejoin && !m.classic) m.wake_group();
  m.deliver_commit_results();
  m.maybe_auto_commit();
  std::vector<consumer_record> out;
  for (;;) {
    m.drive_group();
    std::unique_lock lock(m.mu);
    m.throw_pending_errors(lock);
    if (m.closing) return out;
    m.drain(out, m.max_poll_records);
    if (!out.empty()) return out;
    const bool group_work = (m.pending_assignment.has_value() || m.target.has_value() ||
                             (m.need_rejoin && !m.joining) || m.partitions_lost);
    if (group_work) continue;
    if (clock::now() >= deadline) return out;
    m.cv.wait_until(lock, deadline);
  }
}

void consumer::commit_sync() { commit_sync(_impl->consumed_offsets()); }

void consumer::commit_sync(const std::map<topic_partition, offset_and_metadata>& offsets) {
  _impl->ensure_open();
  _impl->deliver_commit_results();
  _impl->commit_sync(offsets);
}

void consumer::commit_async(commit_callback callback) {
  commit_async(_impl->consumed_offsets(), std::move(callback));
}

void consumer::commit_async(const std::map<topic_partition, offset_and_metadata>& offsets,
                            commit_callback callback) {
  auto& m = *_impl;
  m.ensure_open();
  if (m.group_id.empty()) throw config_error("group.id: needed to commit offsets");
  asio::co_spawn(
      m.cl->executor(),
      [&m, offsets, callback = std::move(callback)]() -> asio::awaitable<void> {
        std::exception_ptr error;
        try {
          co_await m.commit(offsets);
        } catch (...) {
          error = std::current_exception();
        }
        std::lock_guard lock(m.mu);
        m.commit_results.push_back({callback, offsets, error});
        m.cv.notify_all();
      },
      asio::detached);
}

std::map<topic_partition, offset_and_metadata> consumer::committed(
    const std::set<topic_partition>& partitions) {
  auto& m = *_impl;
  m.ensure_open();
  m.deliver_commit_results();
  return m.cl->run([&]() { return m.fetch_committed(partitions); });
}

void consumer::seek(const topic_partition& partition, int64_t offset) {
  auto& m = *_impl;
  if (offset < 0) throw std::invalid_argument("seek to a negative offset");
  {
    std::lock_guard lock(m.mu);
    auto it = m.parts.find(partition);
    if (it == m.parts.end())
      throw std::logic_error(fmt::format("{} is not assigned", partition.to_string()));
    auto& st = it->second;
    st.position = st.fetch_position = offset;
    st.last_epoch.reset();
    st.state = position_state::ready;
    st.failure.clear();
    ++st.epoch;
  }
  m.wake_fetcher();
}

void consumer::seek_to_beginning(const std::vector<topic_partition>& partitions) {
  _impl->reset_positions(partitions, reset_strategy::earliest);
}

void consumer::seek_to_end(const std::vector<topic_partition>& partitions) {
  _impl->reset_positions(partitions, reset_strategy::latest);
}

int64_t consumer::position(const topic_partition& partition) {
  auto& m = *_impl;
  m.ensure_open();
  m.ensure_loops();
  m.wake_fetcher();
  const auto deadline = clock::now() + m.request_timeout;
  std::unique_lock lock(m.mu);
  for (;;) {
    auto it = m.parts.find(partition);
    if (it == m.parts.end())
      throw std::logic_error(fmt::format("{} is not assigned", partition.to_string()));
    if (it->second.state == position_state::ready) return it->second.position;
    if (it->second.state == position_state::failed)
      throw kafka_error(error_code::offset_out_of_range, it->second.failure);
    if (m.woken) {
      m.woken = false;
      throw wakeup_error();
    }
    if (m.cv.wait_until(lock, deadline) == std::cv_status::timeout)
      throw kafka_error(error_code::request_timed_out,
                        fmt::format("position of {}", partition.to_string()));
  }
}

void consumer::pause(const std::vector<topic_partition>& partitions) {
  std::lock_guard lock(_impl->mu);
  for (const auto& tp : partitions) {
    auto it = _impl->parts.find(tp);
    if (it == _impl->parts.end())
      throw std::logic_error(fmt::format("{} is not assigned", tp.to_string()));
    it->second.paused = true;
  }
}

void consumer::resume(const std::vector<topic_partition>& partitions) {
  {
    std::lock_guard lock(_impl->mu);
    for (const auto& tp : partitions)
      if (auto it = _impl->parts.find(tp); it != _impl->parts.end()) it->second.paused = false;
  }
  _impl->wake_fetcher();
}

std::set<topic_partition> consumer::paused() const {
  std::lock_guard lock(_impl->mu);
  std::set<topic_partition> out;
  for (const auto& [tp, st] : _impl->parts)
    if (st.paused) out.insert(tp);
  return out;
}

consumer_group_metadata consumer::group_metadata() const {
  std::lock_guard lock(_impl->mu);
  consumer_group_metadata g;
  g.group_id = _impl->group_id;
  g.generation_id = _impl->in_group ? _impl->generation : -1;
  g.member_id = _impl->member_id;
  g.group_instance_id = _impl->instance_id;
  return g;
}

void consumer::wakeup() {
  std::lock_guard lock(_impl->mu);
  _impl->woken = true;
  _impl->cv.notify_all();
}

void consumer::close() {
  auto& m = *_impl;
  if (m.closed) return;
  bool subscribed;
  std::vector<topic_partition> current;
  {
    std::lock_guard lock(m.mu);
    if (m.closing) return;
    subscribed = m.subscribed_mode;
    current = m.owned();
  }
  try {
    if (subscribed) {
      m.revoke(current, false);
      m.cl->run([&]() { return m.leave_group(); });
    } else if (m.auto_commit) {
      m.commit_sync(m.consumed_offsets());
    }
  } catch (const std::exception& e) {
    lg.debug("closing the consumer of group {}: {}", m.group_id, e.what());
  }
  m.deliver_commit_results();
  {
    std::lock_guard lock(m.mu);
    m.closing = true;
    m.cv.notify_all();
  }
  m.wake_fetcher();
  m.wake_group();
  // Closing the sessions waits behind a Fetch still in flight; past this bound the broker lets
  // them expire.
  auto sessions_closed =
      asio::co_spawn(m.cl->executor(), m.close_fetch_sessions(), asio::use_future);
  sessions_closed.wait_for(std::chrono::milliseconds(m.fetch_max_wait) + std::chrono::seconds(1));
  m.closed = true;
  m.owner.reset();
}

}  // namespace brook::client
