// Fetch for consumers: reads each partition on its shard, and long-polls (max_wait_ms) until
// min_bytes are there. Fetch sessions (KIP-227) are not kept yet: a request that asks for a new
// session gets session id 0, which tells the client to keep sending full requests.
#include <asio/steady_timer.hpp>

#include <chrono>

#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
using resp_t = protocol::fetch_response;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

struct target {
  const topic_info* topic = nullptr;
  const protocol::fetch_request::fetch_partition* request = nullptr;
  resp_t::partition_data* out = nullptr;
};
}  // namespace

asio::awaitable<resp_t> fetch(request_context& ctx, protocol::fetch_request& req) {
  resp_t r;
  const int16_t v = ctx.version;
  // Reads change nothing: later requests of the connection need not wait for a long poll.
  ctx.dispatched.set();

  if (req.session_id != 0) {
    r.error_code = code(error_code::fetch_session_id_not_found);
    r.session_id = 0;
    co_return r;
  }
  if (req.session_epoch > 0) {
    r.error_code = code(error_code::invalid_fetch_session_epoch);
    co_return r;
  }
  auto cluster = ctx.b.local().cluster;
  std::vector<target> targets;
  // `targets` points into these vectors: they must not grow once filled.
  r.responses.reserve(req.topics.size());
  for (const auto& t : req.topics) {
    auto& tout = r.responses.emplace_back();
    tout.partitions.reserve(t.partitions.size());
    tout.topic = t.topic;
    tout.topic_id = t.topic_id;
    const topic_info* info = v >= 13 ? cluster->find(t.topic_id) : cluster->find(t.topic);
    for (const auto& p : t.partitions) {
      auto& out = tout.partitions.emplace_back();
      out.partition_index = p.partition;
      out.high_watermark = -1;
      out.aborted_transactions = std::nullopt;
      if (!info) {
        out.error_code =
            code(v >= 13 ? error_code::unknown_topic_id : error_code::unknown_topic_or_partition);
        continue;
      }
      if (p.partition < 0 || p.partition >= info->partitions) {
        out.error_code = code(error_code::unknown_topic_or_partition);
        continue;
      }
      targets.push_back({info, &p, &out});
    }
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
    for (auto& t : targets) {
      const int32_t limit = static_cast<int32_t>(std::min<int64_t>(
          t.request->partition_max_bytes, std::max<int64_t>(0, max_bytes - total)));
      const bool min_one = total == 0;
      const bool register_waiter = !last_round && req.min_bytes > 0;
      auto o =
          co_await net::run_on(ctx.b.context_of(t.topic->id, t.request->partition),
                               [&b = ctx.b, id = t.topic->id, index = t.request->partition,
                                offset = t.request->fetch_offset, limit, min_one, register_waiter,
                                &home = ctx.b.shards().context(ctx.connection.shard),
                                weak = std::weak_ptr<net::event>(wake)]() {
                                 auto& parts = b.local().partitions;
                                 auto it = parts.find({id, index});
                                 if (it == parts.end()) {
                                   fetch_outcome o;
                                   o.error_code = code(error_code::unknown_topic_or_partition);
                                   return o;
                                 }
                                 auto o = it->second->read(offset, limit, min_one);
                                 if (register_waiter && o.records.empty() && o.error_code == 0)
                                   it->second->add_waiter(home, weak);
                                 return o;
                               });
      auto& out = *t.out;
      out.error_code = o.error_code;
      out.high_watermark = o.high_watermark;
      out.last_stable_offset = o.last_stable_offset;
      out.log_start_offset = o.log_start_offset;
      if (v >= 4 && req.isolation_level == 1) out.aborted_transactions.emplace();
      total += static_cast<int64_t>(o.records.size());
      out.records = wire::shared_bytes(std::move(o.records));
    }
    if (total >= req.min_bytes || last_round || targets.empty()) break;
    co_await wake->wait_until(deadline);
  }
  co_return r;
}

}  // namespace brook::broker::handlers
