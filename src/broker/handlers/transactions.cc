// The transaction coordinator's APIs (coordinator/txn_coordinator.h): AddPartitionsToTxn,
// AddOffsetsToTxn, EndTxn, DescribeTransactions and ListTransactions; and TxnOffsetCommit, which
// the group coordinator serves once the transaction coordinator has verified it. InitProducerId
// with a transactional id is in producers.cc, FindCoordinator in groups.cc.
#include "base/clock.h"
#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

// PRODUCER_FENCED came with KIP-588; older versions of each API name it INVALID_PRODUCER_EPOCH.
int16_t fenced_for(int16_t e, int16_t version, int16_t first_with_fenced) {
  if (e == code(error_code::producer_fenced) && version < first_with_fenced)
    return code(error_code::invalid_producer_epoch);
  return e;
}

bool may_write_txn(request_context& ctx, const std::string& id) {
  return authorize(ctx, acl_operation::write, resource_type::transactional_id, id);
}
}  // namespace

asio::awaitable<protocol::add_partitions_to_txn_response> add_partitions_to_txn(
    request_context& ctx, protocol::add_partitions_to_txn_request& req) {
  using resp_t = protocol::add_partitions_to_txn_response;
  resp_t r;
  const int16_t v = ctx.version;
  auto cluster = ctx.b.local().cluster;

  // One transaction's partitions: the unknown ones fail and the rest are not attempted, else
  // the coordinator's answer for all of them.
  auto serve = [&](const std::string& id, int64_t pid, int16_t epoch, bool verify_only,
                   const auto& topics)
      -> asio::awaitable<std::vector<resp_t::add_partitions_to_txn_topic_result>> {
    std::vector<resp_t::add_partitions_to_txn_topic_result> out;
    std::vector<coordinator::txn_partition> parts;
    bool unknown = false;
    // Clients (v0-3) need WRITE on the transactional id; every caller WRITE on the topics.
    const bool id_ok = v >= 4 || may_write_txn(ctx, id);
    std::set<std::string> refused;
    for (const auto& t : topics) {
      const topic_info* info = cluster->find(t.name);
      const bool topic_ok = authorize(ctx, acl_operation::write, resource_type::topic, t.name);
      if (!topic_ok) refused.insert(t.name);
      for (int32_t p : t.partitions) {
        if (!topic_ok || !has_partition(info, p)) unknown = true;
        parts.push_back({t.name, p});
      }
    }
    std::map<coordinator::txn_partition, int16_t> errors;
    if (!id_ok) {
      for (const auto& p : parts)
        errors[p] = code(error_code::transactional_id_authorization_failed);
    } else if (unknown) {
      // One refused partition fails the request: the others are not attempted.
      for (const auto& p : parts)
        errors[p] = refused.contains(p.topic) ? code(error_code::topic_authorization_failed)
                    : has_partition(cluster->find(p.topic), p.partition)
                        ? code(error_code::operation_not_attempted)
                        : code(error_code::unknown_topic_or_partition);
    } else if (verify_only) {
      auto got = co_await ctx.b.on_txn(id, [&](coordinator::txn_coordinator& c) {
        return c.verify_partitions(id, pid, epoch, parts);
      });
      for (const auto& p : parts)
        errors[p] = got ? got->at(p) : code(error_code::coordinator_not_available);
    } else {
      auto e = co_await ctx.b.on_txn(id, [&](coordinator::txn_coordinator& c) {
        return c.add_partitions(id, pid, epoch, parts);
      });
      const int16_t all = e ? fenced_for(*e, v, 2) : code(error_code::coordinator_not_available);
      for (const auto& p : parts) errors[p] = all;
    }
    for (const auto& t : topics) {
      auto& tout = out.emplace_back();
      tout.name = t.name;
      for (int32_t p : t.partitions) {
        auto& pout = tout.results_by_partition.emplace_back();
        pout.partition_index = p;
        pout.partition_error_code = errors[{t.name, p}];
      }
    }
    co_return out;
  };

  if (v <= 3) {
    r.results_by_topic_v3_and_below =
        co_await serve(req.v3_and_below_transactional_id, req.v3_and_below_producer_id,
                       req.v3_and_below_producer_epoch, false, req.v3_and_below_topics);
    co_return r;
  }
  // v4+ comes from brokers verifying a transaction: CLUSTER_ACTION.
  if (!authorize_cluster(ctx, acl_operation::cluster_action)) {
    r.error_code = code(error_code::cluster_authorization_failed);
    co_return r;
  }
  for (const auto& t : req.transactions) {
    auto& out = r.results_by_transaction.emplace_back();
    out.transactional_id = t.transactional_id;
    out.topic_results = co_await serve(t.transactional_id, t.producer_id, t.producer_epoch,
                                       t.verify_only, t.topics);
  }
  co_return r;
}

asio::awaitable<protocol::add_offsets_to_txn_response> add_offsets_to_txn(
    request_context& ctx, protocol::add_offsets_to_txn_request& req) {
  protocol::add_offsets_to_txn_response r;
  if (!may_write_txn(ctx, req.transactional_id)) {
    r.error_code = code(error_code::transactional_id_authorization_failed);
    co_return r;
  }
  if (!authorize(ctx, acl_operation::read, resource_type::group, req.group_id)) {
    r.error_code = code(error_code::group_authorization_failed);
    co_return r;
  }
  // The group's partition of __consumer_offsets joins the transaction.
  const coordinator::txn_partition p{k_offsets_topic_name, ctx.b.offsets_partition(req.group_id)};
  auto e = co_await ctx.b.on_txn(req.transactional_id, [&](coordinator::txn_coordinator& c) {
    return c.add_partitions(req.transactional_id, req.producer_id, req.producer_epoch, {p});
  });
  r.error_code = e ? fenced_for(*e, ctx.version, 2) : code(error_code::coordinator_not_available);
  co_return r;
}

asio::awaitable<protocol::end_txn_response> end_txn(request_context& ctx,
                                                    protocol::end_txn_request& req) {
  protocol::end_txn_response r;
  if (!may_write_txn(ctx, req.transactional_id)) {
    r.error_code = code(error_code::transactional_id_authorization_failed);
    co_return r;
  }
  // Version 5 is the client of transactions version 2: the epoch moves on, and the answer names
  // the producer id and epoch of its next transaction.
  const int16_t tv = ctx.version >= 5 ? 2 : 1;
  auto a = co_await ctx.b.on_txn(req.transactional_id, [&](coordinator::txn_coordinator& c) {
    return c.end_txn(req.transactional_id, req.producer_id, req.producer_epoch, req.committed, tv);
  });
  if (!a) {
    r.error_code = code(error_code::coordinator_not_available);
    co_return r;
  }
  r.error_code = fenced_for(a->error_code, ctx.version, 2);
  r.producer_id = a->producer_id;
  r.producer_epoch = a->epoch;
  co_return r;
}

asio::awaitable<protocol::describe_transactions_response> describe_transactions(
    request_context& ctx, protocol::describe_transactions_request& req) {
  protocol::describe_transactions_response r;
  for (const auto& id : req.transactional_ids) {
    auto& out = r.transaction_states.emplace_back();
    out.transactional_id = id;
    if (!authorize(ctx, acl_operation::describe, resource_type::transactional_id, id)) {
      out.error_code = code(error_code::transactional_id_authorization_failed);
      continue;
    }
    auto found =
        co_await ctx.b.on_txn(id, [&](coordinator::txn_coordinator& c) { return c.describe(id); });
    if (!found) {
      out.error_code = code(error_code::coordinator_not_available);
      continue;
    }
    if (!*found) {
      out.error_code = code(error_code::transactional_id_not_found);
      continue;
    }
    const auto& m = **found;
    out.transaction_state = coordinator::txn_state_name(m.state);
    out.transaction_timeout_ms = m.timeout_ms;
    out.transaction_start_time_ms = m.start_ms;
    out.producer_id = m.producer_id;
    out.producer_epoch = m.epoch;
    std::map<std::string, std::vector<int32_t>> by_topic;
    // Only the topics the caller may describe are shown.
    for (const auto& p : m.partitions)
      if (authorize(ctx, acl_operation::describe, resource_type::topic, p.topic))
        by_topic[p.topic].push_back(p.partition);
    for (auto& [topic, parts] : by_topic) out.topics.push_back({topic, std::move(parts), {}});
  }
  co_return r;
}

asio::awaitable<protocol::list_transactions_response> list_transactions(
    request_context& ctx, protocol::list_transactions_request& req) {
  protocol::list_transactions_response r;
  std::set<coordinator::txn_state> states;
  for (const auto& name : req.state_filters) {
    if (auto s = coordinator::txn_state_from_name(name))
      states.insert(*s);
    else
      r.unknown_state_filters.push_back(name);
  }
  // Only unknown states asked for: nothing can match.
  if (!req.state_filters.empty() && states.empty()) co_return r;
  const std::set<int64_t> pids(req.producer_id_filters.begin(), req.producer_id_filters.end());
  // Every shard's coordinator in turn (none knows an id before __transaction_state exists).
  const int64_t now = wall_clock_ms();
  for (net::shard_id s = 0; s < ctx.b.shards().size(); ++s) {
    auto found = co_await net::run_on(ctx.b.shards().context(s), [&] {
      return ctx.b.local().txns->list(states, pids, req.duration_filter,
                                      req.transactional_id_pattern, now);
    });
    for (const auto& m : found)
      if (authorize(ctx, acl_operation::describe, resource_type::transactional_id, m.id))
        r.transaction_states.push_back(
            {m.id, m.producer_id, coordinator::txn_state_name(m.state), {}});
  }
  co_return r;
}

asio::awaitable<protocol::txn_offset_commit_response> txn_offset_commit(
    request_context& ctx, protocol::txn_offset_commit_request& req) {
  protocol::txn_offset_commit_response r;
  const int16_t v = ctx.version;
  auto cluster = ctx.b.local().cluster;
  std::vector<coordinator::offset_commit_entry> entries;
  // WRITE on the transactional id, READ on the group (each failing the whole request), then
  // READ on each topic.
  std::optional<error_code> refused;
  if (!may_write_txn(ctx, req.transactional_id))
    refused = error_code::transactional_id_authorization_failed;
  else if (!authorize(ctx, acl_operation::read, resource_type::group, req.group_id))
    refused = error_code::group_authorization_failed;
  for (const auto& t : req.topics) {
    auto& tout = r.topics.emplace_back();
    tout.name = t.name;
    tout.topic_id = t.topic_id;
    // v6 names topics by id (KIP-1319); offsets are kept by name.
    const topic_info* info = v >= 6 ? cluster->find(t.topic_id) : cluster->find(t.name);
    const bool topic_ok =
        (v >= 6 && !info) ||
        authorize(ctx, acl_operation::read, resource_type::topic, info ? info->name : t.name);
    for (const auto& p : t.partitions) {
      auto& out = tout.partitions.emplace_back();
      out.partition_index = p.partition_index;
      if (refused || !topic_ok) {
        out.error_code = code(refused ? *refused : error_code::topic_authorization_failed);
        continue;
      }
      if (!has_partition(info, p.partition_index)) {
        out.error_code = code(!info && v >= 6 ? error_code::unknown_topic_id
                                              : error_code::unknown_topic_or_partition);
        continue;
      }
      coordinator::offset_commit_entry e;
      e.topic = info->name;
      e.partition = p.partition_index;
      e.value.offset = p.committed_offset;
      e.value.leader_epoch = v >= 2 ? p.committed_leader_epoch : -1;
      e.value.metadata = p.committed_metadata.value_or("");
      entries.push_back(std::move(e));
    }
  }
  std::vector<protocol::txn_offset_commit_response::txn_offset_commit_response_partition*> slots;
  for (auto& t : r.topics)
    for (auto& p : t.partitions)
      if (p.error_code == 0) slots.push_back(&p);
  if (slots.empty()) co_return r;
  auto fail_all = [&](int16_t e) {
    for (auto* s : slots) s->error_code = e;
  };
  if (req.group_id.empty()) {
    fail_all(code(error_code::invalid_group_id));
    co_return r;
  }
  // KIP-890: the group's partition of __consumer_offsets must be in the producer's transaction,
  // at the producer's current epoch: added by AddOffsetsToTxn before v5 (transactions version 1)
  // and verified here, added here from v5 (version 2).
  const coordinator::txn_partition offsets{k_offsets_topic_name,
                                           ctx.b.offsets_partition(req.group_id)};
  auto verified = co_await ctx.b.on_txn(
      req.transactional_id,
      [&](coordinator::txn_coordinator& c) -> asio::awaitable<std::optional<int16_t>> {
        if (v >= 5)
          co_return co_await c.add_partitions(req.transactional_id, req.producer_id,
                                              req.producer_epoch, {offsets}, 2);
        co_return c
            .verify_partitions(req.transactional_id, req.producer_id, req.producer_epoch, {offsets})
            .at(offsets);
      });
  if (!verified || !*verified) {
    fail_all(code(error_code::coordinator_not_available));
    co_return r;
  }
  if (int16_t e = **verified; e != 0) {
    // TRANSACTION_ABORTABLE came with version 4 (KIP-890).
    if (e == code(error_code::transaction_abortable) && v < 4)
      e = code(error_code::invalid_txn_state);
    fail_all(fenced_for(e, v, 3));
    co_return r;
  }
  coordinator::commit_identity who;
  who.group_id = req.group_id;
  if (v >= 3) {
    who.generation = req.generation_id_or_member_epoch;
    who.member_id = req.member_id;
    who.group_instance_id = req.group_instance_id;
  }
  who.producer = std::pair{req.producer_id, req.producer_epoch};
  auto errors = co_await ctx.b.on_group(
      who.group_id,
      [&who, entries = std::move(entries)](coordinator::group_coordinator& c) mutable {
        return c.commit(who, std::move(entries));
      });
  for (size_t i = 0; i < slots.size() && i < errors.size(); ++i)
    slots[i]->error_code = fenced_for(errors[i], v, 3);
  co_return r;
}

}  // namespace brook::broker::handlers
