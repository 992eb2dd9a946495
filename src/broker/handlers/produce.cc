// Produce: every partition's records are validated and appended on the partition's shard. The
// appends of one request are all posted before later requests of the connection may start
// (`dispatched`), and a shard runs what it is posted in order, so a connection's writes to a
// partition land in request order even though requests are in flight together.
#include <asio/bind_executor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <chrono>

#include "base/clock.h"
#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"
#include "protocol/records/byte_order.h"
#include "protocol/records/record_batch.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
using resp_t = protocol::produce_response;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

// What a producer is told when its transaction refused a partition, as Kafka translates the
// coordinator's errors: a fenced producer gets INVALID_PRODUCER_EPOCH; a partition missing from
// the transaction INVALID_TXN_STATE before v11 (TRANSACTION_ABORTABLE from then); the coordinator
// being busy or away NOT_ENOUGH_REPLICAS, which every client retries without a metadata refresh.
int16_t produce_txn_error(int16_t e, int16_t version, std::optional<std::string>& message) {
  switch (static_cast<error_code>(e)) {
    case error_code::producer_fenced:
      return code(error_code::invalid_producer_epoch);
    case error_code::transaction_abortable:
      if (version >= 11) return e;
      [[fallthrough]];
    case error_code::invalid_txn_state:
      message = "Partition was not added to the transaction";
      return code(error_code::invalid_txn_state);
    case error_code::concurrent_transactions:
    case error_code::coordinator_load_in_progress:
    case error_code::coordinator_not_available:
    case error_code::not_coordinator:
      message = fmt::format(
          "Unable to verify the partition has been added to the transaction. Underlying error: {}",
          protocol::error_name(static_cast<error_code>(e)));
      return code(error_code::not_enough_replicas);
    default:
      return e;
  }
}

}  // namespace

asio::awaitable<std::optional<resp_t>> produce(request_context& ctx,
                                               protocol::produce_request& req) {
  resp_t r;
  const int16_t v = ctx.version;
  const bool bad_acks = req.acks != 0 && req.acks != 1 && req.acks != -1;
  auto cluster = ctx.b.local().cluster;
  const auto ex = co_await asio::this_coro::executor;

  struct pending {
    resp_t::partition_produce_response* out;
    produce_outcome result;
  };
  std::vector<std::unique_ptr<pending>> waits;
  auto done = std::make_shared<net::event>(ex);
  auto left = std::make_shared<size_t>(0);
  const int64_t now = wall_clock_ms();

  // Transactional batches (by their flag, whatever the request says) need WRITE on the request's
  // transactional id, and a transactional id at all; otherwise nothing of the request is written
  // (Kafka, CVE-2018-17196). Idempotent batches need only WRITE on their topic, as in Kafka 3.0+
  // (KIP-679): their producer id came from InitProducerId, which checks IDEMPOTENT_WRITE.
  bool has_txn_batches = false;
  for (const auto& t : req.topic_data)
    for (const auto& p : t.partition_data) {
      if (!p.records) continue;
      auto b = p.records->span();
      if (b.size() >= protocol::records::k_batch_header_size &&
          static_cast<int8_t>(b[protocol::records::k_magic_offset]) ==
              protocol::records::k_magic_v2 &&
          (protocol::records::load_be<int16_t>(b.data() + 21) &
           protocol::records::k_attr_transactional))
        has_txn_batches = true;
    }
  if (has_txn_batches && (!req.transactional_id ||
                          !authorize(ctx, acl_operation::write, resource_type::transactional_id,
                                     *req.transactional_id))) {
    for (const auto& t : req.topic_data) {
      auto& tout = r.responses.emplace_back();
      tout.name = t.name;
      tout.topic_id = t.topic_id;
      for (const auto& p : t.partition_data) {
        auto& out = tout.partition_responses.emplace_back();
        out.index = p.index;
        out.base_offset = -1;
        out.error_code = code(error_code::transactional_id_authorization_failed);
      }
    }
    if (req.acks == 0) throw std::runtime_error("acks=0 produce refused; closing as Kafka does");
    co_return r;
  }

  // KIP-890: a transactional batch is written only to a partition that its producer's open
  // transaction holds, at the producer's current epoch. Below v12 (transactions version 1) the
  // client added the partition itself (AddPartitionsToTxn) and it is verified; from v12
  // (version 2) the partition is added here.
  std::map<coordinator::txn_partition, int16_t> unverified;
  {
    std::vector<coordinator::txn_partition> wanted;
    int64_t pid = -1;
    int16_t epoch = -1;
    for (const auto& t : req.topic_data)
      for (const auto& p : t.partition_data) {
        if (!p.records) continue;
        auto b = p.records->span();
        if (b.size() < protocol::records::k_batch_header_size ||
            static_cast<int8_t>(b[protocol::records::k_magic_offset]) !=
                protocol::records::k_magic_v2 ||
            !(protocol::records::load_be<int16_t>(b.data() + 21) &
              protocol::records::k_attr_transactional))
          continue;
        pid = protocol::records::load_be<int64_t>(b.data() + 43);
        epoch = protocol::records::load_be<int16_t>(b.data() + 51);
        const topic_info* info = v >= 13 ? cluster->find(t.topic_id) : cluster->find(t.name);
        if (has_partition(info, p.index)) wanted.push_back({info->name, p.index});
      }
    const std::string id = req.transactional_id.value_or("");
    if (!wanted.empty() && id.empty()) {
      // Transactional records without a transactional id: Kafka refuses them as unauthorized.
      for (const auto& w : wanted)
        unverified[w] = code(error_code::transactional_id_authorization_failed);
    } else if (!wanted.empty() && v >= 12) {
      // The previous transaction's markers may still be being written: retried for a while
      // (Kafka's add.partitions.to.txn.retry.backoff: 20 ms steps up to 100 ms).
      std::optional<int16_t> e;
      for (int attempt = 0;; ++attempt) {
        e = co_await ctx.b.on_txn(id, [&](coordinator::txn_coordinator& c) {
          return c.add_partitions(id, pid, epoch, wanted, 2);
        });
        if (!e || *e != code(error_code::concurrent_transactions) || attempt == 5) break;
        asio::steady_timer pause(ex, std::chrono::milliseconds(20));
        co_await pause.async_wait(asio::use_awaitable);
      }
      const int16_t all = e ? *e : code(error_code::coordinator_not_available);
      if (all != 0)
        for (const auto& w : wanted) unverified[w] = all;
    } else if (!wanted.empty()) {
      auto got = co_await ctx.b.on_txn(id, [&](coordinator::txn_coordinator& c) {
        return c.verify_partitions(id, pid, epoch, wanted);
      });
      for (const auto& w : wanted) {
        const int16_t e = got ? got->at(w) : code(error_code::coordinator_not_available);
        if (e != 0) unverified[w] = e;
      }
    }
  }

  r.responses.reserve(req.topic_data.size());
  for (auto& t : req.topic_data) {
    auto& tout = r.responses.emplace_back();
    tout.name = t.name;
    tout.topic_id = t.topic_id;
    const topic_info* info = v >= 13 ? cluster->find(t.topic_id) : cluster->find(t.name);
    // WRITE on the topic is checked before its existence, except for an unknown topic id.
    const bool may_write =
        (v >= 13 && !info) ||
        authorize(ctx, acl_operation::write, resource_type::topic, info ? info->name : t.name);
    tout.partition_responses.reserve(t.partition_data.size());
    for (auto& p : t.partition_data) {
      auto& out = tout.partition_responses.emplace_back();
      out.index = p.index;
      out.base_offset = -1;
      if (bad_acks) {
        out.error_code = code(error_code::invalid_required_acks);
        continue;
      }
      if (!may_write) {
        out.error_code = code(error_code::topic_authorization_failed);
        continue;
      }
      if (!info) {
        out.error_code =
            code(v >= 13 ? error_code::unknown_topic_id : error_code::unknown_topic_or_partition);
        continue;
      }
      if (!info->has_partition(p.index)) {
        out.error_code = code(error_code::unknown_topic_or_partition);
        continue;
      }
      if (!p.records || p.records->size() == 0) {
        out.error_code = code(error_code::invalid_record);
        out.error_message = "Produce request has no records for this partition";
        continue;
      }
      // Produce v3+ carries magic-2 batches only; Kafka refuses others before anything else,
      // with no message.
      auto bytes = p.records->span();
      if (v >= 3 && bytes.size() > protocol::records::k_magic_offset &&
          static_cast<int8_t>(bytes[protocol::records::k_magic_offset]) !=
              protocol::records::k_magic_v2) {
        out.error_code = code(error_code::invalid_record);
        continue;
      }
      if (auto it = unverified.find({info->name, p.index}); it != unverified.end()) {
        out.error_code = produce_txn_error(it->second, v, out.error_message);
        continue;
      }
      // The records point into this request's frame, which nothing else reads: patch in place.
      std::span<uint8_t> records(const_cast<uint8_t*>(bytes.data()), bytes.size());
      auto w = std::make_unique<pending>();
      w->out = &out;
      ++*left;
      auto append = [&b = ctx.b, id = info->id, index = p.index, records, v,
                     now]() -> asio::awaitable<produce_outcome> {
        auto& state = b.local();
        auto it = state.partitions.find({id, index});
        if (it == state.partitions.end()) {
          produce_outcome o;
          o.error_code = code(error_code::unknown_topic_or_partition);
          co_return o;
        }
        auto& part = *it->second;
        auto o = part.append(records, v, now);
        // flush.messages=1: on disk before the answer, synced together with the appends of
        // other requests on this shard.
        if (o.error_code == 0 && o.base_offset >= 0 && part.log().needs_sync_before_ack() &&
            !co_await state.syncer->sync(part)) {
          o.error_code = code(error_code::kafka_storage_error);
          o.error_message = "The write could not be synced to disk";
        }
        co_return o;
      };
      asio::co_spawn(ctx.b.context_of(info->id, p.index),
                     net::detail::call_in_frame<produce_outcome>(std::move(append)),
                     asio::bind_executor(
                         ex, [w = w.get(), done, left](std::exception_ptr e, produce_outcome o) {
                           if (e) {
                             o = {};
                             o.error_code = code(error_code::kafka_storage_error);
                           }
                           w->result = std::move(o);
                           if (--*left == 0) done->set();
                         }));
      waits.push_back(std::move(w));
    }
  }
  // Every append is queued on its shard: later requests may go.
  ctx.dispatched.set();
  if (*left > 0) co_await done->wait();

  bool any_error = bad_acks;
  for (auto& w : waits) {
    auto& out = *w->out;
    auto& o = w->result;
    out.error_code = o.error_code;
    out.base_offset = o.base_offset;
    out.log_append_time_ms = o.log_append_time;
    out.log_start_offset = o.log_start_offset;
    if (o.error_code != 0) {
      any_error = true;
      // As Kafka: a failed append reports no log start offset (except where the producer state
      // refused the batch), and a message only along with the records it names (record
      // validation errors).
      if (o.error_code != code(error_code::out_of_order_sequence_number) &&
          o.error_code != code(error_code::invalid_producer_epoch))
        out.log_start_offset = -1;
      if (!o.record_errors.empty()) out.error_message = o.error_message;
      for (auto& e : o.record_errors) out.record_errors.push_back({e.batch_index, e.message, {}});
    }
  }
  for (auto& t : r.responses)
    for (auto& p : t.partition_responses)
      if (p.error_code != 0) any_error = true;
  if (req.acks == 0) {
    // No answer for acks=0; on an error Kafka closes the connection so the client notices.
    if (any_error) throw std::runtime_error("acks=0 produce failed; closing as Kafka does");
    co_return std::nullopt;
  }
  co_return r;
}

}  // namespace brook::broker::handlers
