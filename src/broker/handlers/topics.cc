// CreateTopics and DeleteTopics.
#include <fmt/format.h>

#include <set>

#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/config.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }
}  // namespace

asio::awaitable<protocol::create_topics_response> create_topics(
    request_context& ctx, protocol::create_topics_request& req) {
  protocol::create_topics_response r;
  std::map<std::string, int> seen;
  for (const auto& t : req.topics) ++seen[t.name];
  // CREATE on the cluster covers every topic; otherwise each topic needs CREATE on its name.
  const bool create_any = authorize_cluster(ctx, acl_operation::create);
  for (auto& t : req.topics) {
    auto& out = r.topics.emplace_back();
    out.name = t.name;
    out.error_message = std::nullopt;
    auto fail = [&](error_code e, std::string message) {
      out.error_code = code(e);
      out.error_message = std::move(message);
      // Kafka leaves the configs of a failed topic empty, not null.
      out.configs.emplace();
    };
    if (seen[t.name] > 1) {
      fail(error_code::invalid_request, "Found multiple entries for this topic.");
      continue;
    }
    if (!create_any && !authorize(ctx, acl_operation::create, resource_type::topic, t.name)) {
      fail(error_code::topic_authorization_failed, "Authorization failed.");
      continue;
    }
    int32_t partitions = t.num_partitions;
    if (!t.assignments.empty()) {
      // Kafka's checks and messages, in its order.
      if (t.replication_factor != -1) {
        fail(error_code::invalid_request,
             "A manual partition assignment was specified, but replication factor was not set "
             "to -1.");
        continue;
      }
      if (t.num_partitions != -1) {
        fail(error_code::invalid_request,
             "A manual partition assignment was specified, but numPartitions was not set to -1.");
        continue;
      }
      std::optional<std::string> refused;
      std::set<int32_t> indexes;
      std::optional<size_t> replication_factor;
      for (const auto& a : t.assignments) {
        if (!indexes.insert(a.partition_index).second) {
          refused = fmt::format("Found multiple manual partition assignments for partition {}",
                                a.partition_index);
          break;
        }
        if ((refused = check_manual_assignment(a.broker_ids, ctx.b.node_id(), replication_factor)))
          break;
        replication_factor = a.broker_ids.size();
      }
      if (!refused &&
          (*indexes.begin() != 0 || *indexes.rbegin() != static_cast<int32_t>(indexes.size()) - 1))
        refused = "partitions should be a consecutive 0-based integer sequence";
      if (refused) {
        fail(error_code::invalid_replica_assignment, std::move(*refused));
        continue;
      }
      partitions = static_cast<int32_t>(t.assignments.size());
    } else if (t.replication_factor != -1 && t.replication_factor <= 0) {
      fail(error_code::invalid_replication_factor, "Replication factor must be larger than 0.");
      continue;
    } else if (t.replication_factor > 1) {
      fail(error_code::invalid_replication_factor,
           fmt::format(
               "Unable to replicate the partition {} time(s): The target replication "
               "factor of {} cannot be reached because only 1 broker(s) are registered or some "
               "brokers have all their log directories cordoned.",
               t.replication_factor, t.replication_factor));
      continue;
    }
    std::map<std::string, std::string> configs;
    bool null_value = false;
    for (const auto& c : t.configs) {
      if (!c.value)
        null_value = true;
      else
        configs[c.name] = *c.value;
    }
    if (null_value) {
      fail(error_code::invalid_config, "Null value not supported for topic configs");
      continue;
    }
    auto result =
        co_await ctx.b.create_topic(t.name, partitions, std::move(configs), req.validate_only);
    if (result.error_code != 0) {
      fail(static_cast<error_code>(result.error_code), result.message);
      continue;
    }
    out.topic_id = result.topic->id;
    out.num_partitions = result.topic->partitions;
    out.replication_factor = 1;
    if (ctx.version >= 5 &&
        !authorize(ctx, acl_operation::describe_configs, resource_type::topic, t.name)) {
      // Created, but its configs are not the caller's to see.
      out.topic_config_error_code = code(error_code::topic_authorization_failed);
      out.configs.emplace();
    } else if (ctx.version >= 5) {
      out.configs.emplace();
      for (const auto& e : describe_topic_configs(ctx.b, *result.topic)) {
        auto& c = out.configs->emplace_back();
        c.name = e.name;
        c.value = e.value;
        c.read_only = e.read_only;
        c.config_source = e.source;
        c.is_sensitive = e.sensitive;
      }
    }
  }
  co_return r;
}

asio::awaitable<protocol::delete_topics_response> delete_topics(
    request_context& ctx, protocol::delete_topics_request& req) {
  protocol::delete_topics_response r;
  // v0-5 name topics in topic_names; v6+ in topics, by name or id.
  std::vector<protocol::delete_topics_request::delete_topic_state> wanted = req.topics;
  for (const auto& n : req.topic_names) wanted.push_back({n, {}, {}});
  // As Kafka: a name or id asked for twice gets one INVALID_REQUEST answer, and so does an
  // entry with both a name and an id.
  std::map<std::string, int> names;
  std::map<wire::uuid, int> ids;
  for (const auto& w : wanted)
    if (w.name)
      ++names[*w.name];
    else
      ++ids[w.topic_id];
  auto invalid = [&](const auto& w, const char* message) {
    auto& out = r.responses.emplace_back();
    out.name = w.name;
    out.topic_id = w.topic_id;
    out.error_code = code(error_code::invalid_request);
    if (ctx.version >= 5) out.error_message = message;
  };
  for (const auto& w : wanted) {
    if (w.name && !w.topic_id.is_zero()) {
      invalid(w, "You may not specify both topic name and topic id.");
      continue;
    }
    if (int& n = w.name ? names[*w.name] : ids[w.topic_id]; n > 1) {
      invalid(w, w.name ? "Duplicate topic name." : "Duplicate topic id.");
      n = 0;  // answered once
      continue;
    } else if (n == 0) {
      continue;
    }
    auto& out = r.responses.emplace_back();
    out.name = w.name;
    out.topic_id = w.topic_id;
    std::string name;
    auto cluster = ctx.b.local().cluster;
    if (w.name) {
      name = *w.name;
    } else if (const topic_info* t = cluster->find(w.topic_id)) {
      name = t->name;
      // The name of a topic the caller may not describe stays hidden.
      if (authorize(ctx, acl_operation::describe, resource_type::topic, name)) out.name = name;
    } else {
      out.error_code = code(error_code::unknown_topic_id);
      out.error_message = "This server does not host this topic ID.";
      continue;
    }
    // Checked before existence: a topic the caller may not delete is not revealed either.
    if (!authorize(ctx, acl_operation::remove, resource_type::topic, name)) {
      out.error_code = code(error_code::topic_authorization_failed);
      if (ctx.version >= 5) out.error_message = std::string(k_topic_auth_message);
      continue;
    }
    if (!ctx.b.options().delete_topic_enable) {
      out.error_code = code(error_code::topic_deletion_disabled);
      continue;
    }
    if (const topic_info* t = cluster->find(name)) out.topic_id = t->id;
    auto result = co_await ctx.b.delete_topic(name);
    out.error_code = result.error_code;
    if (result.error_code != 0 && ctx.version >= 5) out.error_message = result.message;
  }
  co_return r;
}

}  // namespace brook::broker::handlers
