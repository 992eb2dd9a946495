#include <limits>

#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
using resp_t = protocol::metadata_response;

int16_t code(error_code e) { return static_cast<int16_t>(e); }

void describe(request_context& ctx, const topic_info& t, resp_t::metadata_response_topic& out,
              bool with_ops) {
  out.name = t.name;
  out.topic_id = t.id;
  out.is_internal = t.is_internal;
  if (with_ops)
    out.topic_authorized_operations = authorized_operations(ctx, resource_type::topic, t.name);
  out.partitions.reserve(static_cast<size_t>(t.partitions));
  for (int32_t p = 0; p < t.partitions; ++p) {
    auto& part = out.partitions.emplace_back();
    part.partition_index = p;
    part.leader_id = ctx.b.node_id();
    part.leader_epoch = 0;
    part.replica_nodes = {ctx.b.node_id()};
    part.isr_nodes = {ctx.b.node_id()};
  }
}

}  // namespace

asio::awaitable<protocol::metadata_response> metadata(request_context& ctx,
                                                      protocol::metadata_request& req) {
  resp_t r;
  const int16_t v = ctx.version;
  for (const auto& a : ctx.b.advertised())
    if (a.name == ctx.connection.listener_name) {
      auto& b = r.brokers.emplace_back();
      b.node_id = ctx.b.node_id();
      b.host = a.host;
      b.port = a.port;
    }
  r.cluster_id = ctx.b.cluster_id();
  r.controller_id = ctx.b.node_id();
  if (req.include_cluster_authorized_operations && v >= 8 && v <= 10)
    r.cluster_authorized_operations =
        authorized_operations(ctx, resource_type::cluster, security::k_cluster_name);
  const bool with_ops = req.include_topic_authorized_operations && v >= 8;
  auto cluster = ctx.b.local().cluster;

  // v0: an empty list means every topic; v1+: null means every topic.
  const bool all = !req.topics || (v == 0 && req.topics->empty());
  auto may_describe = [&](const std::string& name) {
    return authorize(ctx, acl_operation::describe, resource_type::topic, name);
  };
  if (all) {
    // Topics the caller may not describe are left out.
    for (const auto& [name, t] : cluster->by_name)
      if (may_describe(name)) describe(ctx, *t, r.topics.emplace_back(), with_ops);
    co_return r;
  }
  // Auto-creation: v4+ asks for it per request; older versions always allow it.
  const bool may_create =
      ctx.b.options().auto_create_topics && (v < 4 || req.allow_auto_topic_creation);
  // Auto-creation needs CREATE on the cluster or on the topic.
  std::optional<bool> create_any;
  for (const auto& want : *req.topics) {
    auto& out = r.topics.emplace_back();
    if (!want.name) {
      // v10+: by topic id.
      out.topic_id = want.topic_id;
      out.name = std::nullopt;
      const topic_info* t = cluster->find(want.topic_id);
      if (t && may_describe(t->name))
        describe(ctx, *t, out, with_ops);
      else
        out.error_code =
            code(t ? error_code::topic_authorization_failed : error_code::unknown_topic_id);
      continue;
    }
    const std::string& name = *want.name;
    out.name = name;
    // A topic the caller may not describe is refused whether it exists or not.
    if (!may_describe(name)) {
      out.error_code = code(error_code::topic_authorization_failed);
      continue;
    }
    // Kafka reports the operations the caller may perform on a name, known or not.
    if (with_ops)
      out.topic_authorized_operations = authorized_operations(ctx, resource_type::topic, name);
    if (const topic_info* t = cluster->find(name)) {
      describe(ctx, *t, out, with_ops);
      continue;
    }
    if (may_create && valid_topic_name(name)) {
      if (!create_any) create_any = authorize_cluster(ctx, acl_operation::create);
      if (!*create_any && !authorize(ctx, acl_operation::create, resource_type::topic, name)) {
        out.error_code = code(error_code::topic_authorization_failed);
        out.is_internal = name.starts_with("__");
        if (with_ops) out.topic_authorized_operations = std::numeric_limits<int32_t>::min();
        continue;
      }
    }
    if (!may_create) {
      out.error_code = code(valid_topic_name(name) ? error_code::unknown_topic_or_partition
                                                   : error_code::invalid_topic_exception);
      continue;
    }
    auto created = co_await ctx.b.create_topic(name, -1, {}, false);
    if (created.error_code == code(error_code::topic_already_exists)) {
      // Another request created it meanwhile.
      cluster = ctx.b.local().cluster;
      if (const topic_info* t = cluster->find(name)) describe(ctx, *t, out, with_ops);
      continue;
    }
    if (created.error_code != 0) {
      out.error_code = created.error_code == code(error_code::invalid_topic_exception)
                           ? created.error_code
                           : code(error_code::unknown_topic_or_partition);
      continue;
    }
    describe(ctx, *created.topic, out, with_ops);
  }
  co_return r;
}

}  // namespace brook::broker::handlers
