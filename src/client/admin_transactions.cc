// The Admin client's transaction calls, for operators of transactional producers, as Kafka's
// kafka-transactions.sh uses them: listing the transactions of every broker's coordinator
// (ListTransactions), describing transactions at their coordinator (DescribeTransactions), the
// producers a partition leader knows (DescribeProducers), and aborting a hanging transaction on
// one partition with an abort marker written at its leader (WriteTxnMarkers). Everything runs on
// the cluster's I/O thread inside the retry loop of admin_internal.h.
#include <fmt/format.h>

#include <algorithm>

#include "client/admin.h"
#include "client/admin_internal.h"
#include "client/cluster.h"
#include "protocol/generated/describe_producers_request.h"
#include "protocol/generated/describe_producers_response.h"
#include "protocol/generated/describe_transactions_request.h"
#include "protocol/generated/describe_transactions_response.h"
#include "protocol/generated/list_transactions_request.h"
#include "protocol/generated/list_transactions_response.h"
#include "protocol/generated/write_txn_markers_request.h"
#include "protocol/generated/write_txn_markers_response.h"

namespace brook::client {

using detail::failures;
using detail::retrying;
using detail::take_results;
using protocol::api_key;
using protocol::error_code;

std::vector<transaction_listing> admin::list_transactions(
    const list_transactions_options& options) {
  auto& c = *_cluster;
  return c.run([&]() {
    return retrying<std::vector<transaction_listing>>(
        c, [&]() -> asio::awaitable<std::vector<transaction_listing>> {
          // Every broker coordinates some transactional ids: ask them all.
          auto snap = co_await c.refresh_metadata(std::vector<std::string>{});
          std::map<std::string, transaction_listing> by_id;
          for (const auto& [node, address] : snap->brokers) {
            auto conn = co_await c.connection_to(node);
            // The duration filter came with v1 (KIP-994), the id pattern with v2 (KIP-1152): a
            // broker without them would ignore the filter, so refuse as Java does.
            int16_t lo = 0;
            if (options.duration_ms >= 0) lo = 1;
            if (options.transactional_id_pattern) lo = 2;
            const int16_t v = conn->require_version(api_key::list_transactions, 2, lo);
            protocol::list_transactions_request req;
            req.state_filters = options.states;
            req.producer_id_filters = options.producer_ids;
            req.duration_filter = options.duration_ms;
            req.transactional_id_pattern = options.transactional_id_pattern;
            auto resp = co_await conn->call<protocol::list_transactions_response>(req, v);
            throw_if_error(detail::code_of(resp.error_code),
                           fmt::format("ListTransactions at broker {}", node));
            for (const auto& t : resp.transaction_states)
              by_id[t.transactional_id] = {t.transactional_id, t.producer_id, t.transaction_state,
                                           node};
          }
          std::vector<transaction_listing> out;
          for (auto& [id, t] : by_id) out.push_back(std::move(t));
          co_return out;
        });
  });
}

std::vector<transaction_description> admin::describe_transactions(
    const std::vector<std::string>& transactional_ids) {
  auto& c = *_cluster;
  std::set<std::string> pending(transactional_ids.begin(), transactional_ids.end());
  std::map<std::string, transaction_description> found;
  failures f;
  c.run([&]() -> asio::awaitable<void> {
    co_await retrying<void>(c, [&]() -> asio::awaitable<void> {
      std::map<int32_t, std::vector<std::string>> by_coordinator;
      for (const auto& id : pending)
        by_coordinator[co_await c.coordinator(coordinator_type::transaction, id)].push_back(id);
      for (const auto& [node, ids] : by_coordinator) {
        std::shared_ptr<connection> conn;
        try {
          conn = co_await c.connection_to(node);
        } catch (const kafka_error&) {
          for (const auto& id : ids) c.forget_coordinator(coordinator_type::transaction, id);
          throw;
        }
        const int16_t v = conn->require_version(api_key::describe_transactions, 0, 0);
        protocol::describe_transactions_request req;
        req.transactional_ids = ids;
        auto resp = co_await conn->call<protocol::describe_transactions_response>(req, v);
        for (const auto& t : resp.transaction_states) {
          if (!pending.count(t.transactional_id)) continue;
          const auto code = detail::code_of(t.error_code);
          if (code == error_code::not_coordinator || code == error_code::coordinator_not_available)
            c.forget_coordinator(coordinator_type::transaction, t.transactional_id);
          if (!f.note(t.error_code, fmt::format("transactional id '{}'", t.transactional_id))) {
            if (!f.retriable(t.error_code)) pending.erase(t.transactional_id);
            continue;
          }
          transaction_description d;
          d.transactional_id = t.transactional_id;
          d.coordinator = node;
          d.state = t.transaction_state;
          d.producer_id = t.producer_id;
          d.producer_epoch = t.producer_epoch;
          d.transaction_timeout_ms = t.transaction_timeout_ms;
          if (t.transaction_start_time_ms >= 0)
            d.transaction_start_time_ms = t.transaction_start_time_ms;
          for (const auto& topic : t.topics)
            for (int32_t p : topic.partitions) d.partitions.push_back({topic.topic, p});
          std::sort(d.partitions.begin(), d.partitions.end());
          found[t.transactional_id] = std::move(d);
          pending.erase(t.transactional_id);
        }
      }
      f.end_attempt();
    });
    f.finish();
  });
  std::vector<transaction_description> out;
  for (const auto& id : transactional_ids)
    if (auto it = found.find(id); it != found.end()) out.push_back(it->second);
  return out;
}

std::map<topic_partition, std::vector<producer_state>> admin::describe_producers(
    const std::vector<topic_partition>& partitions) {
  auto& c = *_cluster;
  std::map<topic_partition, bool> pending;
  for (const auto& tp : partitions) pending[tp] = true;
  std::map<topic_partition, std::vector<producer_state>> out;
  c.run([&]() {
    return detail::at_leaders(
        c, pending,
        [&](std::shared_ptr<connection> conn, const std::vector<topic_partition>& tps,
            failures& f) -> asio::awaitable<void> {
          const int16_t v = conn->require_version(api_key::describe_producers, 0, 0);
          protocol::describe_producers_request req;
          for (const auto& tp : tps) {
            if (req.topics.empty() || req.topics.back().name != tp.topic)
              req.topics.push_back({tp.topic, {}, {}});
            req.topics.back().partition_indexes.push_back(tp.partition);
          }
          auto resp = co_await conn->call<protocol::describe_producers_response>(req, v);
          take_results(resp.topics, pending, f, [&](const topic_partition& tp, const auto& p) {
            auto& producers = out[tp];
            producers.clear();
            for (const auto& s : p.active_producers) {
              producer_state ps;
              ps.producer_id = s.producer_id;
              ps.producer_epoch = s.producer_epoch;
              ps.last_sequence = s.last_sequence;
              ps.last_timestamp = s.last_timestamp;
              if (s.coordinator_epoch >= 0) ps.coordinator_epoch = s.coordinator_epoch;
              if (s.current_txn_start_offset >= 0)
                ps.current_transaction_start_offset = s.current_txn_start_offset;
              producers.push_back(ps);
            }
            std::sort(producers.begin(), producers.end(),
                      [](const auto& a, const auto& b) { return a.producer_id < b.producer_id; });
          });
        });
  });
  return out;
}

void admin::abort_transaction(const abort_transaction_spec& spec) {
  auto& c = *_cluster;
  std::map<topic_partition, bool> pending{{spec.partition, true}};
  c.run([&]() {
    return detail::at_leaders(
        c, pending,
        [&](std::shared_ptr<connection> conn, const std::vector<topic_partition>&,
            failures& f) -> asio::awaitable<void> {
          const int16_t v = conn->require_version(api_key::write_txn_markers, 2, 0);
          protocol::write_txn_markers_request req;
          protocol::write_txn_markers_request::writable_txn_marker m;
          m.producer_id = spec.producer_id;
          m.producer_epoch = spec.producer_epoch;
          m.coordinator_epoch = spec.coordinator_epoch;
          m.transaction_result = false;  // abort
          m.topics.push_back({spec.partition.topic, {spec.partition.partition}, {}});
          req.markers.push_back(std::move(m));
          auto resp = co_await conn->call<protocol::write_txn_markers_response>(req, v);
          bool answered = false;
          for (const auto& marker : resp.markers) {
            if (marker.producer_id != spec.producer_id) continue;
            take_results(marker.topics, pending, f, [&](const topic_partition&, const auto&) {});
            answered = true;
          }
          if (!answered || (pending.count(spec.partition) && !f.retry))
            f.note(
                static_cast<int16_t>(error_code::unknown_server_error),
                fmt::format("WriteTxnMarkers answered nothing for {}", spec.partition.to_string()));
        });
  });
}

}  // namespace brook::client
