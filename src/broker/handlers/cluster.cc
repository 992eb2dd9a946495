// DescribeCluster and DescribeTopicPartitions (KIP-966).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

// Kafka's EndpointType values; CONTROLLER is answered by controller listeners only, which
// brookd does not have.
constexpr int8_t k_endpoint_broker = 1;
constexpr int8_t k_endpoint_controller = 2;
// Kafka's max.request.partition.size.limit default.
constexpr int32_t k_max_request_partition_size_limit = 2000;
}  // namespace

asio::awaitable<protocol::describe_cluster_response> describe_cluster(
    request_context& ctx, protocol::describe_cluster_request& req) {
  protocol::describe_cluster_response r;
  // The answer names the type of the endpoint that answers: a broker's.
  r.endpoint_type = k_endpoint_broker;
  if (req.endpoint_type == k_endpoint_controller) {
    r.error_code = code(error_code::mismatched_endpoint_type);
    r.error_message =
        "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type "
        "CONTROLLER";
    co_return r;
  }
  if (req.endpoint_type != k_endpoint_broker) {
    r.error_code = code(error_code::unsupported_endpoint_type);
    r.error_message =
        "Unsupported endpoint type " + std::to_string(static_cast<int>(req.endpoint_type));
    co_return r;
  }
  r.cluster_id = ctx.b.cluster_id();
  r.controller_id = ctx.b.node_id();
  for (const auto& a : ctx.b.advertised())
    if (a.name == ctx.connection.listener_name) {
      auto& b = r.brokers.emplace_back();
      b.broker_id = ctx.b.node_id();
      b.host = a.host;
      b.port = a.port;
      b.rack = std::nullopt;
      b.is_fenced = false;
    }
  if (req.include_cluster_authorized_operations)
    r.cluster_authorized_operations =
        authorized_operations(ctx, resource_type::cluster, security::k_cluster_name);
  co_return r;
}

asio::awaitable<protocol::describe_topic_partitions_response> describe_topic_partitions(
    request_context& ctx, protocol::describe_topic_partitions_request& req) {
  using resp_t = protocol::describe_topic_partitions_response;
  resp_t r;
  auto cluster = ctx.b.local().cluster;
  const bool all = req.topics.empty();
  const std::string cursor_topic = req.cursor ? req.cursor->topic_name : std::string();

  std::set<std::string> names;
  auto may_describe = [&](const std::string& name) {
    return authorize(ctx, acl_operation::describe, resource_type::topic, name);
  };
  if (all) {
    // Topics the caller may not describe are left out.
    for (const auto& [name, t] : cluster->by_name)
      if (may_describe(name)) names.insert(name);
  } else {
    for (const auto& t : req.topics) names.insert(t.name);
  }
  // An invalid cursor fails every topic of the request (Kafka's error response for it).
  auto invalid = [&](std::string) {
    for (const auto& name : names) {
      auto& t = r.topics.emplace_back();
      t.name = name;
      t.error_code = code(error_code::invalid_request);
    }
  };
  if (req.cursor && !all && !names.contains(cursor_topic)) {
    invalid("DescribeTopicPartitionsRequest topic list should contain the cursor topic: " +
            cursor_topic);
    co_return r;
  }
  if (req.cursor && req.cursor->partition_index < 0) {
    invalid("DescribeTopicPartitionsRequest cursor partition must be valid");
    co_return r;
  }

  int32_t remaining = std::max(
      std::min(req.response_partition_limit, k_max_request_partition_size_limit), int32_t{1});
  for (const auto& name : names) {
    if (name < cursor_topic) continue;
    if (remaining == 0) {
      // Every partition of the previous topic fitted: continue at the start of this one.
      resp_t::cursor next;
      next.topic_name = name;
      next.partition_index = 0;
      r.next_cursor = std::move(next);
      break;
    }
    if (!all && !may_describe(name)) {
      // Refused whether it exists or not.
      auto& out = r.topics.emplace_back();
      out.name = name;
      out.error_code = code(error_code::topic_authorization_failed);
      continue;
    }
    const topic_info* t = cluster->find(name);
    if (!t) {
      if (all) continue;
      auto& out = r.topics.emplace_back();
      out.name = name;
      out.error_code = code(error_code::unknown_topic_or_partition);
      out.is_internal = name == "__consumer_offsets" || name == "__transaction_state";
      // Kafka reports the operations the caller may perform on the name, known or not.
      out.topic_authorized_operations = authorized_operations(ctx, resource_type::topic, name);
      continue;
    }
    auto& out = r.topics.emplace_back();
    out.name = name;
    out.topic_id = t->id;
    out.is_internal = t->is_internal;
    out.topic_authorized_operations = authorized_operations(ctx, resource_type::topic, name);
    const int32_t start = req.cursor && name == cursor_topic ? req.cursor->partition_index : 0;
    const int32_t end = static_cast<int32_t>(
        std::min<int64_t>(t->partitions, static_cast<int64_t>(start) + remaining));
    for (int32_t p = start; p < end; ++p) {
      auto& part = out.partitions.emplace_back();
      part.partition_index = p;
      part.leader_id = ctx.b.node_id();
      part.leader_epoch = 0;
      part.replica_nodes = {ctx.b.node_id()};
      part.isr_nodes = {ctx.b.node_id()};
      part.eligible_leader_replicas = std::vector<int32_t>{};
      part.last_known_elr = std::vector<int32_t>{};
    }
    if (end < t->partitions) {
      resp_t::cursor next;
      next.topic_name = name;
      next.partition_index = end;
      r.next_cursor = std::move(next);
      break;
    }
    remaining -= std::max(end - start, 0);
  }
  co_return r;
}

}  // namespace brook::broker::handlers
