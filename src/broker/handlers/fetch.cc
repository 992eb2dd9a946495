// Fetch for consumers: reads each partition on its shard, and long-polls (max_wait_ms) until
// min_bytes are there. Fetch sessions (KIP-227, v7+): epoch 0 starts one (closing the one named), a
// session id with the next epoch updates it (added and changed partitions in `topics`, removed
// ones in `forgotten_topics_data`) and gets back only the partitions with records or news, and
// epoch -1 closes it.
//
// Isolation (v4+): read_uncommitted reads up to the high watermark; read_committed up to the last
// stable offset, and gets the aborted transactions overlapping the batches returned, whose
// records the client drops. Both learn the last stable offset.
#include <asio/steady_timer.hpp>

#include <chrono>
#include <map>

#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"
#include "protocol/records/legacy.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
using resp_t = protocol::fetch_response;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

// One partition this request reads: from the request itself, or from its session.
struct item {
  std::string topic;
  wire::uuid topic_id;
  int32_t index = 0;
  int64_t fetch_offset = 0;
  int32_t max_bytes = 0;
  int32_t current_leader_epoch = -1;
  const topic_info* info = nullptr;
  resp_t::partition_data out;
};

constexpr int32_t k_final_epoch = -1;
// Decompressed bytes one batch may take while it is down-converted.
constexpr size_t k_max_down_convert = 256u << 20;

// Partition data at least this large is sent from the segment file (sendfile) on connections
// that allow it; below it, one copy and a gathered write cost less than the extra system calls.
constexpr size_t k_sendfile_threshold = 32 * 1024;

resp_t session_error(error_code e) {
  resp_t r;
  r.error_code = code(e);
  return r;
}
}  // namespace

asio::awaitable<resp_t> fetch(request_context& ctx, protocol::fetch_request& req) {
  const int16_t v = ctx.version;
  const bool by_id = v >= 13;
  // Reads change nothing: later requests of the connection need not wait for a long poll.
  ctx.dispatched.set();

  auto& state = ctx.b.local();
  auto cluster = state.cluster;
  fetch_session* session = nullptr;
  bool incremental = false;
  if (v >= 7) {
    if (req.session_epoch == 0 || req.session_epoch == k_final_epoch) {
      // A full fetch: it closes the session it names (clients reset a session this way), and
      // epoch 0 opens a new one.
      if (req.session_id != 0) state.fetch_sessions.erase(req.session_id);
      if (req.session_epoch == 0) session = &state.fetch_sessions.create();
    } else {
      session = state.fetch_sessions.find(req.session_id);
      if (!session) co_return session_error(error_code::fetch_session_id_not_found);
      if (req.session_epoch != session->epoch)
        co_return session_error(error_code::invalid_fetch_session_epoch);
      incremental = true;
    }
  }

  // What to read: the request's partitions, or the session's after applying the request.
  std::vector<item> items;
  if (session) {
    if (!incremental) session->partitions.clear();
    for (const auto& f : req.forgotten_topics_data)
      for (int32_t index : f.partitions)
        std::erase_if(session->partitions, [&](const fetch_session::partition& p) {
          return p.index == index && (by_id ? p.topic_id == f.topic_id : p.topic == f.topic);
        });
    for (const auto& t : req.topics)
      for (const auto& p : t.partitions) {
        auto* sp = session->find(t.topic, t.topic_id, p.partition, by_id);
        if (!sp) {
          sp = &session->partitions.emplace_back();
          sp->topic = t.topic;
          sp->topic_id = t.topic_id;
          sp->index = p.partition;
        }
        sp->fetch_offset = p.fetch_offset;
        sp->max_bytes = p.partition_max_bytes;
        sp->current_leader_epoch = p.current_leader_epoch;
      }
    session->last_used = std::chrono::steady_clock::now();
    items.reserve(session->partitions.size());
    for (const auto& sp : session->partitions)
      items.push_back({sp.topic,
                       sp.topic_id,
                       sp.index,
                       sp.fetch_offset,
                       sp.max_bytes,
                       sp.current_leader_epoch,
                       nullptr,
                       {}});
  } else {
    for (const auto& t : req.topics)
      for (const auto& p : t.partitions)
        items.push_back({t.topic,
                         t.topic_id,
                         p.partition,
                         p.fetch_offset,
                         p.partition_max_bytes,
                         p.current_leader_epoch,
                         nullptr,
                         {}});
  }

  // `session` must not be used across the waits below: it is looked up again after them.
  const int32_t session_id = session ? session->id : 0;
  std::vector<item*> readable;
  // A fetch with a replica id comes from a follower: it needs CLUSTER_ACTION instead of READ
  // (and a client that claims to be one without it reads nothing; CVE-2018-1288).
  const int32_t replica_id = v >= 15 ? req.replica_state.replica_id : req.replica_id;
  const bool follower = replica_id >= 0;
  const bool follower_allowed = follower && authorize_cluster(ctx, acl_operation::cluster_action);
  std::map<std::string, bool> may_read;
  for (auto& it : items) {
    it.out.partition_index = it.index;
    it.out.high_watermark = -1;
    it.out.aborted_transactions = std::nullopt;
    it.info = by_id ? cluster->find(it.topic_id) : cluster->find(it.topic);
    bool allowed = follower_allowed;
    if (!follower && (it.info || !by_id)) {
      const std::string& name = it.info ? it.info->name : it.topic;
      auto [m, fresh] = may_read.try_emplace(name, false);
      if (fresh) m->second = authorize(ctx, acl_operation::read, resource_type::topic, name);
      allowed = m->second;
    }
    const bool known = has_partition(it.info, it.index);
    if (known && allowed) {
      readable.push_back(&it);
      continue;
    }
    // As Kafka answers partitions it does not know: empty records and aborted transactions, not
    // null ones.
    // An unknown topic id is reported as such, except to a follower refused altogether.
    const bool unknown_id = !it.info && by_id && (!follower || follower_allowed);
    it.out.error_code = code(unknown_id ? error_code::unknown_topic_id
                             : !allowed ? error_code::topic_authorization_failed
                                        : error_code::unknown_topic_or_partition);
    it.out.records = wire::shared_bytes();
    if (v >= 4) it.out.aborted_transactions.emplace();
  }

  const auto ex = co_await asio::this_coro::executor;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, req.max_wait_ms));
  // Fetch responses of v3+ are bounded by max_bytes; the first partition with data returns at
  // least one whole batch even when it is larger (KIP-74), so a consumer never gets stuck.
  const int64_t max_bytes = v >= 3 ? std::max(0, req.max_bytes) : INT32_MAX;
  for (;;) {
    int64_t total = 0;
    auto wake = std::make_shared<net::event>(ex);
    const bool last_round = std::chrono::steady_clock::now() >= deadline;
    for (auto* t : readable) {
      const int32_t limit = static_cast<int32_t>(
          std::min<int64_t>(t->max_bytes, std::max<int64_t>(0, max_bytes - total)));
      const bool min_one = total == 0;
      const bool register_waiter = !last_round && req.min_bytes > 0;
      // Fetch v0-v3 records are converted for their old readers, in memory.
      const size_t file_threshold =
          ctx.connection.zero_copy && v >= 4 ? k_sendfile_threshold : SIZE_MAX;
      // Fetch v4 brought isolation levels; older ones read uncommitted.
      const bool read_committed = v >= 4 && req.isolation_level == 1;
      auto read = co_await ctx.b.on_partition(
          t->info->id, t->index,
          [offset = t->fetch_offset, limit, min_one, register_waiter, file_threshold,
           read_committed, current = t->current_leader_epoch,
           &home = ctx.b.shards().context(ctx.connection.shard),
           weak = std::weak_ptr<net::event>(wake)](partition& part) {
            if (auto e = check_leader_epoch(current, part.leader_epoch()))
              return fetch_outcome{.error_code = e};
            auto o = part.read(offset, limit, min_one, file_threshold, read_committed);
            if (register_waiter && o.records.empty() && o.file.size() == 0 && o.error_code == 0)
              part.add_waiter(home, weak);
            return o;
          });
      fetch_outcome o;
      if (read)
        o = std::move(*read);
      else
        o.error_code = code(error_code::unknown_topic_or_partition);
      auto& out = t->out;
      out.error_code = o.error_code;
      // A partition with an error carries no offsets, as in Kafka's answers.
      out.high_watermark = o.error_code ? -1 : o.high_watermark;
      out.last_stable_offset = o.error_code ? -1 : o.last_stable_offset;
      out.log_start_offset = o.error_code ? -1 : o.log_start_offset;
      if (read_committed) {
        // As Kafka: an empty list, not a null one, when none overlaps.
        auto& aborted = out.aborted_transactions.emplace();
        for (const auto& a : o.aborted) {
          auto& x = aborted.emplace_back();
          x.producer_id = a.producer_id;
          x.first_offset = a.first_offset;
        }
      }
      if (o.file.size() > 0) {
        total += static_cast<int64_t>(o.file.size());
        out.records = wire::shared_bytes::from_file(
            o.file.source(), {o.file.source()->fd(), o.file.position(), o.file.size()});
      } else {
        if (v <= 3 && !o.records.empty()) {
          std::optional<wire::byte_buffer> old;
          try {
            old = protocol::records::down_convert(o.records, v <= 1 ? 0 : 1, k_max_down_convert);
          } catch (const std::exception&) {
            old = wire::byte_buffer{};
          }
          if (!old) {
            // zstd, which magic 0 and 1 cannot carry.
            out.error_code = code(error_code::unsupported_compression_type);
            out.high_watermark = out.last_stable_offset = out.log_start_offset = -1;
            o.records.clear();
          } else {
            o.records = std::move(*old);
          }
        }
        total += static_cast<int64_t>(o.records.size());
        out.records = wire::shared_bytes(std::move(o.records));
      }
    }
    if (total >= req.min_bytes || last_round || readable.empty()) break;
    const auto waiting = std::chrono::steady_clock::now();
    co_await wake->wait_until(deadline);
    ctx.idle += std::chrono::steady_clock::now() - waiting;
  }

  resp_t r;
  if (session) {
    r.session_id = session_id;
    // Another request may have closed or evicted the session while this one waited.
    session = state.fetch_sessions.find(session_id);
  }
  for (auto& it : items) {
    if (session) {
      auto* sp = session->find(it.topic, it.topic_id, it.index, by_id);
      if (sp) {
        const bool news = (it.out.records && !it.out.records->empty()) ||
                          it.out.error_code != sp->error_code ||
                          it.out.high_watermark != sp->high_watermark ||
                          it.out.last_stable_offset != sp->last_stable_offset ||
                          it.out.log_start_offset != sp->log_start_offset;
        sp->high_watermark = it.out.high_watermark;
        sp->last_stable_offset = it.out.last_stable_offset;
        sp->log_start_offset = it.out.log_start_offset;
        sp->error_code = it.out.error_code;
        if (incremental && !news) continue;
      }
    }
    const bool same_topic =
        !r.responses.empty() &&
        (by_id ? r.responses.back().topic_id == it.topic_id : r.responses.back().topic == it.topic);
    if (!same_topic) {
      auto& tout = r.responses.emplace_back();
      tout.topic = it.topic;
      tout.topic_id = it.topic_id;
    }
    r.responses.back().partitions.push_back(std::move(it.out));
  }
  if (session) ++session->epoch;
  co_return r;
}

size_t fetch_file_bytes(const resp_t& r) {
  size_t n = 0;
  for (const auto& t : r.responses)
    for (const auto& p : t.partitions)
      if (p.records && p.records->in_file()) n += p.records->size();
  return n;
}

}  // namespace brook::broker::handlers
