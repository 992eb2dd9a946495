// InitProducerId and DescribeProducers: producer ids for idempotent producers (transactional ids
// go to the transaction coordinator), and the producer state that partitions keep
// (storage/producer_state.h).
#include "base/log.h"
#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
const log::logger lg("producers");
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }
}  // namespace

asio::awaitable<protocol::init_producer_id_response> init_producer_id(
    request_context& ctx, protocol::init_producer_id_request& req) {
  protocol::init_producer_id_response r;
  auto fail = [&r](error_code e) {
    r.error_code = code(e);
    r.producer_id = -1;
    r.producer_epoch = -1;
    return r;
  };
  // A transactional producer needs WRITE on its id; an idempotent one IDEMPOTENT_WRITE on the
  // cluster or WRITE on some topic (Kafka 3.0+, KIP-679).
  if (req.transactional_id &&
      !authorize(ctx, acl_operation::write, resource_type::transactional_id, *req.transactional_id))
    co_return fail(error_code::transactional_id_authorization_failed);
  // Two-phase commit (KIP-939) needs TWO_PHASE_COMMIT on the id too.
  if (req.transactional_id && req.enable2_pc &&
      !authorize(ctx, acl_operation::two_phase_commit, resource_type::transactional_id,
                 *req.transactional_id))
    co_return fail(error_code::transactional_id_authorization_failed);
  if (!req.transactional_id && !authorize_cluster(ctx, acl_operation::idempotent_write) &&
      !authorize_any(ctx, acl_operation::write, resource_type::topic))
    co_return fail(error_code::cluster_authorization_failed);
  // Both or neither of the producer id and epoch (KIP-360).
  if ((req.producer_id == -1) != (req.producer_epoch == -1))
    co_return fail(error_code::invalid_request);
  if (req.transactional_id) {
    if (req.transactional_id->empty()) co_return fail(error_code::invalid_request);
    std::optional<std::pair<int64_t, int16_t>> expected;
    if (req.producer_id != -1) expected = std::pair{req.producer_id, req.producer_epoch};
    const std::string id = *req.transactional_id;
    auto a = co_await ctx.b.on_txn(id, [&](coordinator::txn_coordinator& c) {
      return c.init_producer_id(id, req.transaction_timeout_ms, expected);
    });
    if (!a) co_return fail(error_code::coordinator_not_available);
    if (a->error_code != 0) {
      // PRODUCER_FENCED came with version 4 (KIP-588).
      co_return fail(a->error_code == code(error_code::producer_fenced) && ctx.version < 4
                         ? error_code::invalid_producer_epoch
                         : static_cast<error_code>(a->error_code));
    }
    r.producer_id = a->producer_id;
    r.producer_epoch = a->epoch;
    co_return r;
  }
  // An idempotent producer gets a new id every time, whatever id and epoch it had (as Kafka).
  auto id = ctx.b.producer_ids().next();
  if (!id) {
    lg.error("no producer id: {}", id.error());
    co_return fail(error_code::coordinator_load_in_progress);
  }
  r.producer_id = *id;
  r.producer_epoch = 0;
  co_return r;
}

asio::awaitable<protocol::describe_producers_response> describe_producers(
    request_context& ctx, protocol::describe_producers_request& req) {
  protocol::describe_producers_response r;
  auto cluster = ctx.b.local().cluster;
  for (const auto& t : req.topics) {
    auto& tout = r.topics.emplace_back();
    tout.name = t.name;
    const topic_info* info = cluster->find(t.name);
    const bool may_read = authorize(ctx, acl_operation::read, resource_type::topic, t.name);
    for (int32_t p : t.partition_indexes) {
      auto& pout = tout.partitions.emplace_back();
      pout.partition_index = p;
      if (!may_read) {
        pout.error_code = code(error_code::topic_authorization_failed);
        continue;
      }
      if (!has_partition(info, p)) {
        // Kafka names the problem for an unknown topic, not for an unknown partition of one.
        pout.error_code = code(error_code::unknown_topic_or_partition);
        if (!info) pout.error_message = "This server does not host this topic-partition.";
        continue;
      }
      using list = std::vector<protocol::describe_producers_response::producer_state>;
      auto found = co_await ctx.b.on_partition(info->id, p, [](partition& part) {
        list out;
        for (const auto& [id, e] : part.log().producers().producers()) {
          auto& s = out.emplace_back();
          s.producer_id = id;
          s.producer_epoch = e.epoch;
          s.last_sequence = e.last_seq();
          s.last_timestamp = e.last_timestamp;
          s.coordinator_epoch = e.coordinator_epoch;
          s.current_txn_start_offset = e.txn_first_offset;
        }
        return out;
      });
      if (!found) {
        pout.error_code = code(error_code::unknown_topic_or_partition);
        pout.error_message = "This server does not host this topic-partition.";
      } else {
        pout.active_producers = std::move(*found);
      }
    }
  }
  co_return r;
}

}  // namespace brook::broker::handlers
