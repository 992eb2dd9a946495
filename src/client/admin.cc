// The Admin client's topic, partition, config, offset, record and cluster calls (groups in
// admin_groups.cc, ACLs and SCRAM users in admin_security.cc).
#include "client/admin.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "client/admin_internal.h"
#include "client/cluster.h"
#include "protocol/generated/create_partitions_request.h"
#include "protocol/generated/create_partitions_response.h"
#include "protocol/generated/create_topics_request.h"
#include "protocol/generated/create_topics_response.h"
#include "protocol/generated/delete_records_request.h"
#include "protocol/generated/delete_records_response.h"
#include "protocol/generated/delete_topics_request.h"
#include "protocol/generated/delete_topics_response.h"
#include "protocol/generated/describe_cluster_request.h"
#include "protocol/generated/describe_cluster_response.h"
#include "protocol/generated/describe_configs_request.h"
#include "protocol/generated/describe_configs_response.h"
#include "protocol/generated/incremental_alter_configs_request.h"
#include "protocol/generated/incremental_alter_configs_response.h"
#include "protocol/generated/list_offsets_request.h"
#include "protocol/generated/list_offsets_response.h"

namespace brook::client {

using detail::failures;
using detail::retrying;
using detail::take_results;
using protocol::api_key;
using protocol::error_code;
using conn_ptr = std::shared_ptr<connection>;

namespace {

config checked(config settings) {
  settings.check(admin_role);
  return settings;
}

// Waits (bounded by default.api.timeout.ms, without failing) until the metadata shows every topic
// with leaders (present = true) or none of them (false): the controller has answered, the brokers
// learn of it a moment later.
asio::awaitable<void> await_metadata(cluster& c, std::vector<std::string> topics, bool present) {
  const auto deadline = detail::steady::now() + c.settings().get_ms("default.api.timeout.ms");
  for (int n = 0; detail::steady::now() < deadline; ++n) {
    auto snap = co_await c.refresh_metadata(topics);
    bool done = true;
    for (const auto& t : topics) {
      const topic_metadata* m = snap->find(t);
      if (!present) {
        done = done && !m;
        continue;
      }
      done = done && m && m->error == error_code::none && !m->partitions.empty() &&
             std::all_of(m->partitions.begin(), m->partitions.end(),
                         [](const auto& p) { return p.leader >= 0; });
    }
    if (done) co_return;
    co_await c.backoff(std::min(n, 3));
  }
}

// Waits (bounded like await_metadata) until the metadata shows each topic with at least the given
// number of partitions, each with a leader.
asio::awaitable<void> await_partition_counts(cluster& c,
                                             const std::map<std::string, int32_t>& counts) {
  const auto deadline = detail::steady::now() + c.settings().get_ms("default.api.timeout.ms");
  std::vector<std::string> topics;
  for (const auto& [t, n] : counts) topics.push_back(t);
  for (int n = 0; detail::steady::now() < deadline; ++n) {
    auto snap = co_await c.refresh_metadata(topics);
    bool done = true;
    for (const auto& [t, count] : counts) {
      const topic_metadata* m = snap->find(t);
      // A topic that is gone failed already; nothing to wait for.
      if (!m) continue;
      done = done && static_cast<int32_t>(m->partitions.size()) >= count &&
             std::all_of(m->partitions.begin(), m->partitions.end(),
                         [](const auto& p) { return p.leader >= 0; });
    }
    if (done) co_return;
    co_await c.backoff(std::min(n, 3));
  }
}

// The connection a config resource's requests go to: a named broker's own, else any.
asio::awaitable<conn_ptr> connection_for(cluster& c, const config_resource& r) {
  if ((r.type == config_resource_type::broker || r.type == config_resource_type::broker_logger) &&
      !r.name.empty()) {
    int32_t node = -1;
    auto [end, ec] = std::from_chars(r.name.data(), r.name.data() + r.name.size(), node);
    if (ec != std::errc() || end != r.name.data() + r.name.size())
      throw kafka_error(error_code::invalid_request,
                        fmt::format("broker '{}' is not a node id", r.name));
    co_return co_await c.connection_to(node);
  }
  co_return co_await c.any_connection();
}

std::string resource_text(const config_resource& r) {
  return fmt::format("{} '{}'", to_string(r.type), r.name);
}

}  // namespace

admin::admin(config settings) : _cluster(std::make_unique<client::cluster>(checked(settings))) {}

admin::~admin() = default;

// --- Topics ---

std::vector<created_topic> admin::create_topics(const std::vector<new_topic>& topics,
                                                bool validate_only) {
  auto& c = *_cluster;
  std::map<std::string, const new_topic*> pending;
  for (const auto& t : topics) pending[t.name] = &t;
  std::map<std::string, created_topic> created;
  failures f;
  return c.run([&]() -> asio::awaitable<std::vector<created_topic>> {
    co_await retrying<void>(c, [&]() -> asio::awaitable<void> {
      auto conn = co_await c.any_connection();
      const int16_t v = conn->require_version(api_key::create_topics, 7, 0);
      protocol::create_topics_request req;
      req.timeout_ms = detail::request_timeout_ms(c);
      req.validate_only = validate_only;
      for (const auto& [name, t] : pending) {
        protocol::create_topics_request::creatable_topic ct;
        ct.name = t->name;
        ct.num_partitions = t->replica_assignment.empty() ? t->partitions : -1;
        ct.replication_factor = t->replica_assignment.empty() ? t->replication_factor : -1;
        if ((ct.num_partitions < 0 || ct.replication_factor < 0) && v < 4)
          throw kafka_error(error_code::unsupported_version,
                            "broker defaults for partitions need CreateTopics v4");
        for (const auto& [p, brokers] : t->replica_assignment)
          ct.assignments.push_back({p, brokers, {}});
        for (const auto& [k, val] : t->configs) ct.configs.push_back({k, val, {}});
        req.topics.push_back(std::move(ct));
      }
      auto resp = co_await conn->call<protocol::create_topics_response>(req, v);
      for (const auto& r : resp.topics) {
        if (!pending.count(r.name)) continue;
        if (f.note(r.error_code, fmt::format("topic '{}'", r.name), r.error_message)) {
          created[r.name] = {r.name, r.topic_id, r.num_partitions, r.replication_factor};
          pending.erase(r.name);
        } else if (!f.retriable(r.error_code)) {
          pending.erase(r.name);
        }
      }
      f.end_attempt();
    });
    if (!validate_only && !created.empty()) {
      std::vector<std::string> names;
      for (const auto& [n, t] : created) names.push_back(n);
      co_await await_metadata(c, names, true);
    }
    f.finish();
    std::vector<created_topic> out;
    for (const auto& t : topics)
      if (auto it = created.find(t.name); it != created.end()) out.push_back(it->second);
    co_return out;
  });
}

void admin::delete_topics(const std::vector<std::string>& names) {
  auto& c = *_cluster;
  std::set<std::string> pending(names.begin(), names.end());
  std::vector<std::string> deleted;
  failures f;
  c.run([&]() -> asio::awaitable<void> {
    co_await retrying<void>(c, [&]() -> asio::awaitable<void> {
      auto conn = co_await c.any_connection();
      const int16_t v = conn->require_version(api_key::delete_topics, 6, 0);
      protocol::delete_topics_request req;
      req.timeout_ms = detail::request_timeout_ms(c);
      for (const auto& n : pending) {
        if (v >= 6)
          req.topics.push_back({n, {}, {}});
        else
          req.topic_names.push_back(n);
      }
      auto resp = co_await conn->call<protocol::delete_topics_response>(req, v);
      for (const auto& r : resp.responses) {
        const std::string name = r.name.value_or("");
        if (!pending.count(name)) continue;
        if (f.note(r.error_code, fmt::format("topic '{}'", name), r.error_message)) {
          deleted.push_back(name);
          pending.erase(name);
        } else if (!f.retriable(r.error_code)) {
          pending.erase(name);
        }
      }
      f.end_attempt();
    });
    if (!deleted.empty()) co_await await_metadata(c, deleted, false);
    f.finish();
  });
}

std::vector<topic_listing> admin::list_topics(bool include_internal) {
  auto& c = *_cluster;
  auto snap = c.run([&]() {
    return retrying<std::shared_ptr<const metadata_snapshot>>(
        c, [&]() { return c.refresh_metadata(std::nullopt); });
  });
  std::vector<topic_listing> out;
  for (const auto& [name, t] : snap->topics)
    if (include_internal || !t.internal) out.push_back({name, t.id, t.internal});
  return out;
}

std::vector<topic_description> admin::describe_topics(const std::vector<std::string>& names) {
  auto& c = *_cluster;
  return c.run([&]() {
    return retrying<std::vector<topic_description>>(
        c, [&]() -> asio::awaitable<std::vector<topic_description>> {
          auto snap = co_await c.refresh_metadata(names);
          std::vector<topic_description> out;
          for (const auto& name : names) {
            const topic_metadata* t = snap->find(name);
            if (!t)
              throw kafka_error(error_code::unknown_topic_or_partition,
                                fmt::format("topic '{}'", name));
            throw_if_error(t->error, fmt::format("topic '{}'", name));
            topic_description d{t->name, t->id, t->internal, {}};
            for (const auto& p : t->partitions)
              d.partitions.push_back({p.partition, p.leader, p.replicas, p.isr});
            out.push_back(std::move(d));
          }
          co_return out;
        });
  });
}

void admin::create_partitions(const std::map<std::string, int32_t>& new_totals,
                              bool validate_only) {
  auto& c = *_cluster;
  std::map<std::string, int32_t> pending = new_totals;
  failures f;
  c.run([&]() -> asio::awaitable<void> {
    co_await retrying<void>(c, [&]() -> asio::awaitable<void> {
      auto conn = co_await c.any_connection();
      const int16_t v = conn->require_version(api_key::create_partitions, 3, 0);
      protocol::create_partitions_request req;
      req.timeout_ms = detail::request_timeout_ms(c);
      req.validate_only = validate_only;
      for (const auto& [name, count] : pending)
        req.topics.push_back({name, count, std::nullopt, {}});
      auto resp = co_await conn->call<protocol::create_partitions_response>(req, v);
      for (const auto& r : resp.results) {
        if (f.note(r.error_code, fmt::format("topic '{}'", r.name), r.error_message) ||
            !f.retriable(r.error_code))
          pending.erase(r.name);
      }
      f.end_attempt();
    });
    if (!validate_only) co_await await_partition_counts(c, new_totals);
    f.finish();
  });
}

// --- Configs ---

std::map<config_resource, std::vector<config_entry>> admin::describe_configs(
    const std::vector<config_resource>& resources, const std::vector<std::string>& keys) {
  auto& c = *_cluster;
  std::map<config_resource, std::vector<config_entry>> out;
  c.run([&]() -> asio::awaitable<void> {
    for (const auto& r : resources) {
      out[r] = co_await retrying<std::vector<config_entry>>(
          c, [&]() -> asio::awaitable<std::vector<config_entry>> {
            auto conn = co_await connection_for(c, r);
            const int16_t v = conn->require_version(api_key::describe_configs, 4, 1);
            protocol::describe_configs_request req;
            protocol::describe_configs_request::describe_configs_resource rr;
            rr.resource_type = static_cast<int8_t>(r.type);
            rr.resource_name = r.name;
            if (keys.empty())
              rr.configuration_keys = std::nullopt;
            else
              rr.configuration_keys = keys;
            req.resources.push_back(std::move(rr));
            auto resp = co_await conn->call<protocol::describe_configs_response>(req, v);
            if (resp.results.empty())
              throw kafka_error(
                  error_code::unknown_server_error,
                  fmt::format("DescribeConfigs answered nothing for {}", resource_text(r)));
            const auto& res = resp.results.front();
            throw_if_error(detail::code_of(res.error_code),
                           detail::describe(resource_text(r), res.error_message));
            std::vector<config_entry> entries;
            for (const auto& e : res.configs) {
              config_entry ce;
              ce.name = e.name;
              ce.value = e.is_sensitive ? std::nullopt : e.value;
              ce.sensitive = e.is_sensitive;
              ce.read_only = e.read_only;
              ce.source = static_cast<config_source>(e.config_source);
              entries.push_back(std::move(ce));
            }
            std::sort(entries.begin(), entries.end(),
                      [](const auto& a, const auto& b) { return a.name < b.name; });
            co_return entries;
          });
    }
  });
  return out;
}

void admin::incremental_alter_configs(
    const std::map<config_resource, std::vector<alter_config>>& changes, bool validate_only) {
  auto& c = *_cluster;
  failures f;
  c.run([&]() -> asio::awaitable<void> {
    for (const auto& change : changes) {
      const config_resource& r = change.first;
      const std::vector<alter_config>& ops = change.second;
      co_await retrying<void>(c, [&]() -> asio::awaitable<void> {
        auto conn = co_await connection_for(c, r);
        const int16_t v = conn->require_version(api_key::incremental_alter_configs, 1, 0);
        protocol::incremental_alter_configs_request req;
        req.validate_only = validate_only;
        protocol::incremental_alter_configs_request::alter_configs_resource rr;
        rr.resource_type = static_cast<int8_t>(r.type);
        rr.resource_name = r.name;
        for (const auto& op : ops) {
          protocol::incremental_alter_configs_request::alterable_config ac;
          ac.name = op.name;
          ac.config_operation = static_cast<int8_t>(op.op);
          if (op.op == alter_config_op::remove)
            ac.value = std::nullopt;
          else
            ac.value = op.value;
          rr.configs.push_back(std::move(ac));
        }
        req.resources.push_back(std::move(rr));
        auto resp = co_await conn->call<protocol::incremental_alter_configs_response>(req, v);
        for (const auto& res : resp.responses)
          f.note(res.error_code, resource_text(r), res.error_message);
        f.end_attempt();
      });
    }
    f.finish();
  });
}

// --- Offsets and records ---

std::map<topic_partition, listed_offset> admin::list_offsets(
    const std::map<topic_partition, offset_spec>& specs, bool read_committed) {
  auto& c = *_cluster;
  std::map<topic_partition, offset_spec> pending = specs;
  std::map<topic_partition, listed_offset> out;
  c.run([&]() {
    return detail::at_leaders(
        c, pending,
        [&](std::shared_ptr<connection> conn, const std::vector<topic_partition>& tps,
            failures& f) -> asio::awaitable<void> {
          const int16_t v = conn->require_version(api_key::list_offsets, 10, 1);
          protocol::list_offsets_request req;
          req.replica_id = -1;
          req.isolation_level = read_committed ? 1 : 0;
          req.timeout_ms = detail::request_timeout_ms(c);
          for (const auto& tp : tps) {
            const offset_spec& s = pending.at(tp);
            int64_t ts = s.timestamp;
            if (s.what == offset_spec::kind::earliest) ts = -2;
            if (s.what == offset_spec::kind::latest) ts = -1;
            if (s.what == offset_spec::kind::max_timestamp) {
              if (v < 7)
                throw kafka_error(error_code::unsupported_version,
                                  "max-timestamp offsets need ListOffsets v7");
              ts = -3;
            }
            if (req.topics.empty() || req.topics.back().name != tp.topic)
              req.topics.push_back({tp.topic, {}, {}});
            protocol::list_offsets_request::list_offsets_partition p;
            p.partition_index = tp.partition;
            p.timestamp = ts;
            req.topics.back().partitions.push_back(p);
          }
          auto resp = co_await conn->call<protocol::list_offsets_response>(req, v);
          take_results(resp.topics, pending, f, [&](const topic_partition& tp, const auto& p) {
            listed_offset lo{p.offset, p.timestamp, std::nullopt};
            if (p.leader_epoch >= 0) lo.leader_epoch = p.leader_epoch;
            out[tp] = lo;
          });
        });
  });
  return out;
}

std::map<topic_partition, int64_t> admin::delete_records(
    const std::map<topic_partition, int64_t>& before) {
  auto& c = *_cluster;
  std::map<topic_partition, int64_t> pending = before;
  std::map<topic_partition, int64_t> out;
  c.run([&]() {
    return detail::at_leaders(
        c, pending,
        [&](std::shared_ptr<connection> conn, const std::vector<topic_partition>& tps,
            failures& f) -> asio::awaitable<void> {
          const int16_t v = conn->require_version(api_key::delete_records, 2, 0);
          protocol::delete_records_request req;
          req.timeout_ms = detail::request_timeout_ms(c);
          for (const auto& tp : tps) {
            if (req.topics.empty() || req.topics.back().name != tp.topic)
              req.topics.push_back({tp.topic, {}, {}});
            req.topics.back().partitions.push_back({tp.partition, pending.at(tp), {}});
          }
          auto resp = co_await conn->call<protocol::delete_records_response>(req, v);
          take_results(resp.topics, pending, f, [&](const topic_partition& tp, const auto& p) {
            out[tp] = p.low_watermark;
          });
        });
  });
  return out;
}

// --- Cluster ---

cluster_description admin::describe_cluster() {
  auto& c = *_cluster;
  return c.run([&]() {
    return retrying<cluster_description>(c, [&]() -> asio::awaitable<cluster_description> {
      auto conn = co_await c.any_connection();
      cluster_description d;
      const int16_t v = conn->version_for(api_key::describe_cluster, 1, 0);
      if (v < 0) {
        auto snap = co_await c.refresh_metadata(std::vector<std::string>{});
        d.cluster_id = snap->cluster_id;
        d.controller = snap->controller;
        for (const auto& [id, b] : snap->brokers) d.brokers.push_back({id, b.host, b.port, {}});
        co_return d;
      }
      protocol::describe_cluster_request req;
      auto resp = co_await conn->call<protocol::describe_cluster_response>(req, v);
      throw_if_error(detail::code_of(resp.error_code),
                     detail::describe("DescribeCluster", resp.error_message));
      d.cluster_id = resp.cluster_id;
      d.controller = resp.controller_id;
      for (const auto& b : resp.brokers) d.brokers.push_back({b.broker_id, b.host, b.port, b.rack});
      std::sort(d.brokers.begin(), d.brokers.end(),
                [](const auto& a, const auto& b) { return a.id < b.id; });
      co_return d;
    });
  });
}

}  // namespace brook::client
