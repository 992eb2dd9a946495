// FindCoordinator and the consumer group APIs: those of the classic protocol (JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup), those of KIP-848 (ConsumerGroupHeartbeat,
// ConsumerGroupDescribe), OffsetCommit, OffsetFetch, OffsetDelete, DescribeGroups, ListGroups and
// DeleteGroups. Each group request runs on the shard that coordinates the group
// (broker::on_group); the state machine is coordinator::group_coordinator.
#include <fmt/format.h>

#include <map>
#include <set>

#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

constexpr int8_t k_key_group = 0;
constexpr int8_t k_key_transaction = 1;

// Kafka names a client's host as Java's InetAddress.toString does: "/" and the address.
std::string client_host(const request_context& ctx) {
  return "/" + ctx.connection.peer.address().to_string();
}
std::string client_id(const request_context& ctx) { return ctx.header.client_id.value_or(""); }

bool may(request_context& ctx, acl_operation op, const std::string& group) {
  return authorize(ctx, op, resource_type::group, group);
}
bool may_topic(request_context& ctx, acl_operation op, const std::string& topic) {
  return authorize(ctx, op, resource_type::topic, topic);
}
}  // namespace

asio::awaitable<protocol::find_coordinator_response> find_coordinator(
    request_context& ctx, protocol::find_coordinator_request& req) {
  protocol::find_coordinator_response r;
  const int16_t v = ctx.version;
  std::vector<std::string> keys = v >= 4 ? req.coordinator_keys : std::vector{req.key};
  advertised_listener self;
  for (const auto& a : ctx.b.advertised())
    if (a.name == ctx.connection.listener_name) self = a;
  for (const auto& key : keys) {
    protocol::find_coordinator_response::coordinator c;
    c.key = key;
    c.node_id = -1;
    c.port = -1;
    if (req.key_type == k_key_group && !may(ctx, acl_operation::describe, key)) {
      c.error_code = code(error_code::group_authorization_failed);
      c.error_message = std::string(k_group_auth_message);
    } else if (req.key_type == k_key_transaction &&
               !authorize(ctx, acl_operation::describe, resource_type::transactional_id, key)) {
      c.error_code = code(error_code::transactional_id_authorization_failed);
      c.error_message = std::string(k_txn_id_auth_message);
    } else if (req.key_type == k_key_group || req.key_type == k_key_transaction) {
      // This node coordinates every group and transactional id, once the internal topic that
      // keeps their state exists.
      const topic_info* t =
          req.key_type == k_key_group ? co_await ctx.b.offsets_topic() : co_await ctx.b.txn_topic();
      if (!t) {
        c.error_code = code(error_code::coordinator_not_available);
      } else {
        c.node_id = ctx.b.node_id();
        c.host = self.host;
        c.port = self.port;
      }
    } else {
      c.error_code = code(error_code::invalid_request);
      c.error_message = fmt::format("Unknown coordinator type {}", req.key_type);
    }
    r.coordinators.push_back(std::move(c));
  }
  if (v < 4 && !r.coordinators.empty()) {
    auto& c = r.coordinators.front();
    r.error_code = c.error_code;
    // Kafka's v1-v3 answers name success too.
    r.error_message = c.error_code == 0 ? std::optional<std::string>("NONE") : c.error_message;
    r.node_id = c.node_id;
    r.host = c.host;
    r.port = c.port;
    r.coordinators.clear();
  }
  co_return r;
}

asio::awaitable<protocol::join_group_response> join_group(request_context& ctx,
                                                          protocol::join_group_request& req) {
  const std::string group = req.group_id;
  if (!may(ctx, acl_operation::read, group)) {
    protocol::join_group_response r;
    r.error_code = code(error_code::group_authorization_failed);
    if (ctx.version >= 7) r.protocol_name = std::nullopt;
    co_return r;
  }
  auto r = co_await ctx.b.on_group(
      group, [req = std::move(req), v = ctx.version, id = client_id(ctx),
              host = client_host(ctx)](coordinator::group_coordinator& c) mutable {
        return c.join(std::move(req), v, id, host);
      });
  // The protocol name may be null from v7 on only.
  if (ctx.version < 7 && !r.protocol_name) r.protocol_name = "";
  co_return r;
}

asio::awaitable<protocol::sync_group_response> sync_group(request_context& ctx,
                                                          protocol::sync_group_request& req) {
  const std::string group = req.group_id;
  if (!may(ctx, acl_operation::read, group)) {
    protocol::sync_group_response r;
    r.error_code = code(error_code::group_authorization_failed);
    co_return r;
  }
  co_return co_await ctx.b.on_group(
      group, [req = std::move(req), v = ctx.version](coordinator::group_coordinator& c) mutable {
        return c.sync(std::move(req), v);
      });
}

asio::awaitable<protocol::heartbeat_response> heartbeat(request_context& ctx,
                                                        protocol::heartbeat_request& req) {
  if (!may(ctx, acl_operation::read, req.group_id)) {
    protocol::heartbeat_response r;
    r.error_code = code(error_code::group_authorization_failed);
    co_return r;
  }
  co_return co_await ctx.b.on_group(
      req.group_id, [&req](coordinator::group_coordinator& c) { return c.heartbeat(req); });
}

asio::awaitable<protocol::leave_group_response> leave_group(request_context& ctx,
                                                            protocol::leave_group_request& req) {
  const std::string group = req.group_id;
  if (!may(ctx, acl_operation::read, group)) {
    protocol::leave_group_response r;
    r.error_code = code(error_code::group_authorization_failed);
    co_return r;
  }
  co_return co_await ctx.b.on_group(
      group, [req = std::move(req), v = ctx.version](coordinator::group_coordinator& c) mutable {
        return c.leave(std::move(req), v);
      });
}

asio::awaitable<protocol::offset_commit_response> offset_commit(
    request_context& ctx, protocol::offset_commit_request& req) {
  protocol::offset_commit_response r;
  const int16_t v = ctx.version;
  auto cluster = ctx.b.local().cluster;
  std::vector<coordinator::offset_commit_entry> entries;
  std::vector<protocol::offset_commit_response::offset_commit_response_partition*> slots;
  // READ on the group, then READ on each topic.
  const bool group_ok = may(ctx, acl_operation::read, req.group_id);
  for (const auto& t : req.topics) {
    auto& tout = r.topics.emplace_back();
    tout.name = t.name;
    tout.topic_id = t.topic_id;
    const topic_info* info = v >= 10 ? cluster->find(t.topic_id) : cluster->find(t.name);
    const bool topic_ok =
        (v >= 10 && !info) || may_topic(ctx, acl_operation::read, info ? info->name : t.name);
    for (const auto& p : t.partitions) {
      auto& out = tout.partitions.emplace_back();
      out.partition_index = p.partition_index;
      if (!group_ok || !topic_ok) {
        out.error_code = code(!group_ok ? error_code::group_authorization_failed
                                        : error_code::topic_authorization_failed);
        continue;
      }
      if (v == 0) {
        // v0 kept offsets in ZooKeeper; Kafka without ZooKeeper refuses it partition by
        // partition.
        out.error_code = code(error_code::unsupported_version);
        continue;
      }
      if (!has_partition(info, p.partition_index)) {
        out.error_code = code(!info && v >= 10 ? error_code::unknown_topic_id
                                               : error_code::unknown_topic_or_partition);
        continue;
      }
      coordinator::offset_commit_entry e;
      e.topic = info->name;
      e.partition = p.partition_index;
      e.value.offset = p.committed_offset;
      e.value.leader_epoch = v >= 6 ? p.committed_leader_epoch : -1;
      e.value.metadata = p.committed_metadata.value_or("");
      e.value.commit_timestamp = v == 1 ? p.commit_timestamp : -1;
      entries.push_back(std::move(e));
    }
  }
  // The slots are taken after every push_back above, so none moves.
  for (auto& t : r.topics)
    for (auto& p : t.partitions)
      if (p.error_code == 0) slots.push_back(&p);
  if (slots.empty()) co_return r;
  coordinator::commit_identity who;
  who.group_id = req.group_id;
  if (v >= 1) {
    who.generation = req.generation_id_or_member_epoch;
    who.member_id = req.member_id;
  }
  if (v >= 7) who.group_instance_id = req.group_instance_id;
  who.version = v;
  if (entries.empty() && who.group_id.empty()) co_return r;
  auto errors = co_await ctx.b.on_group(
      who.group_id,
      [&who, entries = std::move(entries)](coordinator::group_coordinator& c) mutable {
        return c.commit(who, std::move(entries));
      });
  for (size_t i = 0; i < slots.size() && i < errors.size(); ++i) slots[i]->error_code = errors[i];
  co_return r;
}

asio::awaitable<protocol::offset_fetch_response> offset_fetch(request_context& ctx,
                                                              protocol::offset_fetch_request& req) {
  protocol::offset_fetch_response r;
  const int16_t v = ctx.version;
  auto cluster = ctx.b.local().cluster;
  using wanted_t = std::optional<std::map<std::string, std::vector<int32_t>>>;
  // One group (v0-7) or several (v8+), each with its topics (null: every committed offset).
  struct ask {
    std::string group;
    wanted_t wanted;
    std::map<std::string, wire::uuid> ids;  // v10+: topics named by id
    // v9+: the member asking, whose epoch a consumer group checks.
    std::optional<std::pair<std::string, int32_t>> member = std::nullopt;
  };
  std::vector<ask> asks;
  if (v < 8) {
    ask a{req.group_id, std::nullopt, {}};
    if (req.topics) {
      a.wanted.emplace();
      for (const auto& t : *req.topics) a.wanted->emplace(t.name, t.partition_indexes);
    }
    asks.push_back(std::move(a));
  } else {
    for (const auto& g : req.groups) {
      ask a{g.group_id, std::nullopt, {}};
      if (v >= 9 && g.member_id) a.member.emplace(*g.member_id, g.member_epoch);
      if (g.topics) {
        a.wanted.emplace();
        for (const auto& t : *g.topics) {
          std::string name = t.name;
          if (v >= 10) {
            const topic_info* info = cluster->find(t.topic_id);
            name = info ? info->name : "";
            a.ids[name] = t.topic_id;
          }
          a.wanted->emplace(name, t.partition_indexes);
        }
      }
      asks.push_back(std::move(a));
    }
  }
  if (v == 0) {
    // As OffsetCommit v0: offsets that lived in ZooKeeper, refused by Kafka without it.
    if (req.topics)
      for (const auto& t : *req.topics) {
        auto& tout = r.topics.emplace_back();
        tout.name = t.name;
        for (int32_t p : t.partition_indexes) {
          auto& o = tout.partitions.emplace_back();
          o.partition_index = p;
          o.committed_offset = -1;
          o.error_code = code(error_code::unsupported_version);
        }
      }
    co_return r;
  }
  // require_stable (v7+): a partition with transactional offsets not yet committed gets
  // UNSTABLE_OFFSET_COMMIT, and the client asks again.
  auto mark_unstable = [&](auto& o, const coordinator::group_coordinator::fetched& f,
                           const std::string& topic, int32_t p) {
    if (v >= 7 && req.require_stable && f.unstable.contains({topic, p})) {
      o.error_code = code(error_code::unstable_offset_commit);
      o.committed_offset = -1;
    }
  };
  for (auto& a : asks) {
    coordinator::group_coordinator::fetched f;
    // DESCRIBE on the group; the topics the caller may not describe are answered
    // TOPIC_AUTHORIZATION_FAILED when named and left out when every offset is asked for.
    if (!may(ctx, acl_operation::describe, a.group)) {
      if (v < 8) {
        r.error_code = code(error_code::group_authorization_failed);
        if (v < 2 && a.wanted)
          for (const auto& [topic, parts] : *a.wanted) {
            auto& t = r.topics.emplace_back();
            t.name = topic;
            for (int32_t p : parts) {
              auto& o = t.partitions.emplace_back();
              o.partition_index = p;
              o.committed_offset = -1;
              o.error_code = code(error_code::group_authorization_failed);
            }
          }
      } else {
        auto& g = r.groups.emplace_back();
        g.group_id = a.group;
        g.error_code = code(error_code::group_authorization_failed);
      }
      continue;
    }
    std::map<std::string, std::vector<int32_t>> refused;
    if (a.wanted)
      for (auto it = a.wanted->begin(); it != a.wanted->end();) {
        if (!it->first.empty() && !may_topic(ctx, acl_operation::describe, it->first)) {
          refused.insert(*it);
          it = a.wanted->erase(it);
        } else {
          ++it;
        }
      }
    if (!a.group.empty() || v >= 8)
      f = co_await ctx.b.on_group(a.group, [&a](coordinator::group_coordinator& c) {
        return c.fetch_offsets(a.group, a.wanted, a.member);
      });
    if (!a.wanted)
      std::erase_if(f.offsets, [&](const auto& e) {
        return !may_topic(ctx, acl_operation::describe, e.first);
      });
    // The refused topics, answered after the others.
    auto add_refused = [&](auto& topics) {
      for (const auto& [topic, parts] : refused) {
        auto& t = topics.emplace_back();
        t.name = topic;
        if constexpr (requires { t.topic_id; })
          if (auto it = a.ids.find(topic); it != a.ids.end()) t.topic_id = it->second;
        for (int32_t p : parts) {
          auto& o = t.partitions.emplace_back();
          o.partition_index = p;
          o.committed_offset = -1;
          o.error_code = code(error_code::topic_authorization_failed);
        }
      }
    };
    if (v < 8) {
      r.error_code = f.error_code;
      for (const auto& [topic, parts] : f.offsets) {
        auto& t = r.topics.emplace_back();
        t.name = topic;
        for (const auto& [p, c] : parts) {
          auto& o = t.partitions.emplace_back();
          o.partition_index = p;
          o.committed_offset = c.offset;
          o.committed_leader_epoch = c.leader_epoch;
          o.metadata = c.metadata;
          mark_unstable(o, f, topic, p);
        }
      }
      add_refused(r.topics);
      continue;
    }
    auto& g = r.groups.emplace_back();
    g.group_id = a.group;
    g.error_code = f.error_code;
    for (const auto& [topic, parts] : f.offsets) {
      auto& t = g.topics.emplace_back();
      t.name = topic;
      if (v >= 10) {
        auto it = a.ids.find(topic);
        if (it != a.ids.end()) {
          t.topic_id = it->second;
        } else if (const topic_info* info = cluster->find(topic)) {
          t.topic_id = info->id;
        }
      }
      for (const auto& [p, c] : parts) {
        auto& o = t.partitions.emplace_back();
        o.partition_index = p;
        o.committed_offset = c.offset;
        o.committed_leader_epoch = c.leader_epoch;
        o.metadata = c.metadata;
        mark_unstable(o, f, topic, p);
        if (v >= 10 && topic.empty()) o.error_code = code(error_code::unknown_topic_id);
      }
    }
    add_refused(g.topics);
  }
  co_return r;
}

asio::awaitable<protocol::offset_delete_response> offset_delete(
    request_context& ctx, protocol::offset_delete_request& req) {
  protocol::offset_delete_response r;
  std::map<std::string, std::vector<int32_t>> wanted;
  auto cluster = ctx.b.local().cluster;
  // DELETE on the group, READ on each topic.
  if (!may(ctx, acl_operation::remove, req.group_id)) {
    r.error_code = code(error_code::group_authorization_failed);
    co_return r;
  }
  std::set<std::string> refused;
  for (const auto& t : req.topics) {
    if (!may_topic(ctx, acl_operation::read, t.name)) {
      refused.insert(t.name);
      continue;
    }
    for (const auto& p : t.partitions) wanted[t.name].push_back(p.partition_index);
  }
  auto done =
      co_await ctx.b.on_group(req.group_id, [&req, &wanted](coordinator::group_coordinator& c) {
        return c.delete_offsets(req.group_id, wanted);
      });
  r.error_code = done.error_code;
  if (done.error_code != 0) co_return r;
  for (const auto& t : req.topics) {
    auto& tout = r.topics.emplace_back();
    tout.name = t.name;
    const topic_info* info = cluster->find(t.name);
    for (const auto& p : t.partitions) {
      auto& out = tout.partitions.emplace_back();
      out.partition_index = p.partition_index;
      if (refused.contains(t.name)) {
        out.error_code = code(error_code::topic_authorization_failed);
        continue;
      }
      if (!has_partition(info, p.partition_index)) {
        out.error_code = code(error_code::unknown_topic_or_partition);
        continue;
      }
      out.error_code = done.partitions[t.name][p.partition_index];
    }
  }
  co_return r;
}

asio::awaitable<protocol::describe_groups_response> describe_groups(
    request_context& ctx, protocol::describe_groups_request& req) {
  protocol::describe_groups_response r;
  const int16_t v = ctx.version;
  for (const auto& id : req.groups) {
    if (!may(ctx, acl_operation::describe, id)) {
      auto& d = r.groups.emplace_back();
      d.group_id = id;
      d.error_code = code(error_code::group_authorization_failed);
      continue;
    }
    auto d = co_await ctx.b.on_group(
        id, [&id, v](coordinator::group_coordinator& c) { return c.describe(id, v); });
    if (v >= 3 && req.include_authorized_operations)
      d.authorized_operations = authorized_operations(ctx, resource_type::group, id);
    r.groups.push_back(std::move(d));
  }
  co_return r;
}

asio::awaitable<protocol::list_groups_response> list_groups(request_context& ctx,
                                                            protocol::list_groups_request& req) {
  protocol::list_groups_response r;
  // Groups live on the shards that own their partitions of __consumer_offsets: ask each shard.
  if (!ctx.b.local().cluster->find(k_offsets_topic_name)) co_return r;
  for (net::shard_id s = 0; s < ctx.b.shards().size(); ++s) {
    auto part = co_await net::run_on(ctx.b.shards().context(s), [&] {
      return ctx.b.local().groups->list(req.states_filter, req.types_filter);
    });
    for (auto& g : part) r.groups.push_back(std::move(g));
  }
  // DESCRIBE on the cluster lists every group; otherwise those the caller may describe.
  if (!authorize_cluster(ctx, acl_operation::describe))
    std::erase_if(r.groups,
                  [&](const auto& g) { return !may(ctx, acl_operation::describe, g.group_id); });
  co_return r;
}

asio::awaitable<protocol::delete_groups_response> delete_groups(
    request_context& ctx, protocol::delete_groups_request& req) {
  protocol::delete_groups_response r;
  for (const auto& id : req.groups_names) {
    auto& out = r.results.emplace_back();
    out.group_id = id;
    if (!may(ctx, acl_operation::remove, id)) {
      out.error_code = code(error_code::group_authorization_failed);
      continue;
    }
    out.error_code = co_await ctx.b.on_group(
        id, [&id](coordinator::group_coordinator& c) { return c.delete_group(id); });
  }
  co_return r;
}

asio::awaitable<protocol::consumer_group_heartbeat_response> consumer_group_heartbeat(
    request_context& ctx, protocol::consumer_group_heartbeat_request& req) {
  if (ctx.b.local().cluster->feature_level("group.version") < 1) {
    // group.version 0 (UpdateFeatures) turns the consumer protocol off, as in Kafka.
    protocol::consumer_group_heartbeat_response r;
    r.error_code = code(error_code::unsupported_version);
    r.member_id = std::nullopt;
    r.heartbeat_interval_ms = 0;
    r.assignment = std::nullopt;
    co_return r;
  }
  // READ on the group; DESCRIBE on every topic the member subscribes to by name.
  auto refuse = [](error_code e, std::optional<std::string> message) {
    protocol::consumer_group_heartbeat_response r;
    r.error_code = code(e);
    r.error_message = std::move(message);
    r.member_id = std::nullopt;
    r.heartbeat_interval_ms = 0;
    r.assignment = std::nullopt;
    return r;
  };
  if (!may(ctx, acl_operation::read, req.group_id))
    co_return refuse(error_code::group_authorization_failed, std::string(k_group_auth_message));
  if (req.subscribed_topic_names)
    for (const auto& t : *req.subscribed_topic_names)
      if (!may_topic(ctx, acl_operation::describe, t))
        co_return refuse(error_code::topic_authorization_failed, std::nullopt);
  const std::string group = req.group_id;
  co_return co_await ctx.b.on_group(
      group, [req = std::move(req), v = ctx.version, id = client_id(ctx),
              host = client_host(ctx)](coordinator::group_coordinator& c) mutable {
        return c.consumer_heartbeat(std::move(req), v, id, host);
      });
}

asio::awaitable<protocol::consumer_group_describe_response> consumer_group_describe(
    request_context& ctx, protocol::consumer_group_describe_request& req) {
  protocol::consumer_group_describe_response r;
  // As Kafka: the invalid (empty) ids are answered first, then the groups in order.
  for (const auto& id : req.group_ids)
    if (id.empty()) r.groups.emplace_back().error_code = code(error_code::invalid_group_id);
  const bool enabled = ctx.b.local().cluster->feature_level("group.version") >= 1;
  for (const auto& id : req.group_ids) {
    if (id.empty()) continue;
    if (!enabled) {
      auto& d = r.groups.emplace_back();
      d.group_id = id;
      d.error_code = code(error_code::unsupported_version);
      continue;
    }
    if (!may(ctx, acl_operation::describe, id)) {
      auto& d = r.groups.emplace_back();
      d.group_id = id;
      d.error_code = code(error_code::group_authorization_failed);
      d.error_message = std::string(k_group_auth_message);
      continue;
    }
    auto d = co_await ctx.b.on_group(
        id, [&id](coordinator::group_coordinator& c) { return c.consumer_describe(id); });
    // A group whose members hold topics the caller may not describe is not described.
    bool hidden_topics = false;
    for (const auto& m : d.members)
      for (const auto* a : {&m.assignment, &m.target_assignment})
        for (const auto& tp : a->topic_partitions)
          if (!hidden_topics && !may_topic(ctx, acl_operation::describe, tp.topic_name))
            hidden_topics = true;
    if (hidden_topics) {
      d = {};
      d.group_id = id;
      d.error_code = code(error_code::topic_authorization_failed);
      d.error_message =
          "The group has described topic(s) that the client is not authorized to describe.";
      r.groups.push_back(std::move(d));
      continue;
    }
    if (req.include_authorized_operations && d.error_code == 0)
      d.authorized_operations = authorized_operations(ctx, resource_type::group, id);
    r.groups.push_back(std::move(d));
  }
  co_return r;
}

}  // namespace brook::broker::handlers
