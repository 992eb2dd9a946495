// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs. Topic and group resources are
// described and changed; the broker resource is described (its settings are read-only: Brook has
// no dynamic broker configs, so altering one is answered as Kafka answers a non-dynamic setting).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/config.h"
#include "broker/group_configs.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

// Kafka's ConfigResource.Type.
constexpr int8_t k_resource_topic = 2;
constexpr int8_t k_resource_broker = 4;
constexpr int8_t k_resource_group = 32;

std::string resource_type_name(int8_t t) {
  switch (t) {
    case 2:
      return "TOPIC";
    case 4:
      return "BROKER";
    case 8:
      return "BROKER_LOGGER";
    case 16:
      return "CLIENT_METRICS";
    case 32:
      return "GROUP";
    default:
      return "UNKNOWN";
  }
}

// The error for a resource the caller may not describe or alter (`op`: DESCRIBE_CONFIGS or
// ALTER_CONFIGS) as Kafka checks it before anything else: topics and groups by name, brokers,
// broker loggers and client metrics on the cluster. nullopt when allowed.
std::optional<error_code> config_auth_error(request_context& ctx, int8_t type,
                                            const std::string& name, acl_operation op) {
  switch (type) {
    case k_resource_topic:
      if (authorize(ctx, op, resource_type::topic, name)) return std::nullopt;
      return error_code::topic_authorization_failed;
    case k_resource_group:
      if (authorize(ctx, op, resource_type::group, name)) return std::nullopt;
      return error_code::group_authorization_failed;
    case k_resource_broker:
    case 8:   // BROKER_LOGGER
    case 16:  // CLIENT_METRICS
      if (authorize_cluster(ctx, op)) return std::nullopt;
      return error_code::cluster_authorization_failed;
    default:
      return std::nullopt;
  }
}

std::string_view auth_message(error_code e) {
  return e == error_code::topic_authorization_failed   ? k_topic_auth_message
         : e == error_code::group_authorization_failed ? k_group_auth_message
                                                       : k_cluster_auth_message;
}

struct failure {
  int16_t error_code = 0;
  std::string message;
};

std::optional<int32_t> parse_node_id(const std::string& s) {
  int32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// DescribeConfigs of a broker: "" (the cluster-wide dynamic defaults, none in Brook) or this node.
std::optional<failure> check_describe_broker(const broker& b, const std::string& name) {
  if (name.empty()) return std::nullopt;
  auto id = parse_node_id(name);
  if (!id)
    return failure{code(error_code::invalid_request),
                   fmt::format("Broker id must be an integer, but it is: {}", name)};
  if (*id != b.node_id())
    return failure{code(error_code::invalid_request),
                   fmt::format("Unexpected broker id, expected {} or empty string, but received {}",
                               b.node_id(), name)};
  return std::nullopt;
}

// AlterConfigs/IncrementalAlterConfigs of a broker: Brook's broker settings are all static.
failure alter_broker(const broker& b, const std::string& name,
                     const std::vector<std::string>& config_names) {
  if (!name.empty()) {
    auto id = parse_node_id(name);
    if (!id)
      return {code(error_code::invalid_request),
              fmt::format("Node id must be an integer, but it is: {}", name)};
    if (*id != b.node_id())
      return {code(error_code::invalid_request),
              fmt::format("Unexpected broker id, expected {}, but received {}", b.node_id(), name)};
  }
  if (config_names.empty()) return {};
  std::string set;
  for (const auto& n : config_names) set += (set.empty() ? "" : ", ") + n;
  return {code(error_code::invalid_request),
          fmt::format("Cannot update these configs dynamically: Set({})", set)};
}

// A resource type Kafka knows but Brook does not serve yet (broker loggers, client metrics), or
// one Kafka does not know, refused with Kafka's message for the API.
bool known_type(int8_t t) { return resource_type_name(t) != "UNKNOWN"; }

failure unsupported_type(int8_t t) {
  return {code(error_code::invalid_request),
          fmt::format("Unsupported resource type: {}", resource_type_name(t))};
}

failure unknown_alter_type(int8_t t) {
  return {code(error_code::invalid_request), fmt::format("Unknown resource type {}", t)};
}

// An empty topic name is the cluster's topic defaults, which Kafka does not let clients alter.
failure default_topic_refused() {
  return {code(error_code::invalid_request), "Default topic resources are not allowed."};
}

// Groups have no cluster-wide entry either.
failure default_group_refused() {
  return {code(error_code::invalid_request), "Default group resources are not allowed."};
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    auto comma = v.find(',', start);
    auto item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

asio::awaitable<protocol::describe_configs_response> describe_configs(
    request_context& ctx, protocol::describe_configs_request& req) {
  using resp_t = protocol::describe_configs_response;
  resp_t r;
  const int16_t v = ctx.version;
  auto cluster = ctx.b.local().cluster;
  for (const auto& res : req.resources) {
    auto& out = r.results.emplace_back();
    out.resource_type = res.resource_type;
    out.resource_name = res.resource_name;
    // Kafka answers a described resource with an empty message, not null.
    out.error_message = "";
    auto fail = [&](failure f) {
      out.error_code = f.error_code;
      out.error_message = std::move(f.message);
    };
    if (auto e = config_auth_error(ctx, res.resource_type, res.resource_name,
                                   acl_operation::describe_configs)) {
      fail({code(*e), std::string(auth_message(*e))});
      continue;
    }
    std::vector<config_entry> entries;
    if (res.resource_type == k_resource_topic) {
      if (res.resource_name.empty()) {
        fail({code(error_code::invalid_topic_exception),
              "Topic name is invalid: the empty string is not allowed"});
        continue;
      }
      const topic_info* t = cluster->find(res.resource_name);
      if (!t) {
        out.error_code = code(error_code::unknown_topic_or_partition);
        continue;
      }
      entries = describe_topic_configs(ctx.b, *t);
    } else if (res.resource_type == k_resource_broker) {
      if (auto f = check_describe_broker(ctx.b, res.resource_name)) {
        fail(std::move(*f));
        continue;
      }
      if (!res.resource_name.empty()) entries = describe_broker_configs(ctx.b);
    } else if (res.resource_type == k_resource_group) {
      // Any group id, whether or not the group exists: its configs, else the broker's defaults.
      if (res.resource_name.empty()) {
        fail({code(error_code::invalid_request), "Group name must not be empty"});
        continue;
      }
      entries = describe_group_configs(ctx.b.options().group_defaults,
                                       cluster->group_configs_of(res.resource_name));
    } else if (known_type(res.resource_type)) {
      fail(unsupported_type(res.resource_type));
      continue;
    } else {
      // Kafka's generic message: it fails such a resource before looking at it.
      fail({code(error_code::invalid_request),
            "This most likely occurs because of a request being malformed by the client library "
            "or the message was sent to an incompatible broker. See the broker logs for more "
            "details."});
      continue;
    }
    for (auto& e : entries) {
      // Null or empty: every config (Kafka's ConfigHelper).
      if (res.configuration_keys && !res.configuration_keys->empty() &&
          std::find(res.configuration_keys->begin(), res.configuration_keys->end(), e.name) ==
              res.configuration_keys->end())
        continue;
      auto& c = out.configs.emplace_back();
      c.name = e.name;
      c.value = e.sensitive ? std::nullopt : e.value;
      c.read_only = e.read_only;
      c.is_sensitive = e.sensitive;
      // Fields outside the version must keep their defaults.
      if (v == 0)
        c.is_default = e.source == k_config_source_default;
      else
        c.config_source = e.source;
      if (v >= 3) {
        c.config_type = e.type;
        c.documentation = std::nullopt;
      }
      if (v >= 1 && req.include_synonyms)
        for (const auto& s : e.synonyms) {
          auto& syn = c.synonyms.emplace_back();
          syn.name = s.name;
          syn.value = s.sensitive ? std::nullopt : s.value;
          syn.source = s.source;
        }
    }
  }
  co_return r;
}

asio::awaitable<protocol::alter_configs_response> alter_configs(
    request_context& ctx, protocol::alter_configs_request& req) {
  protocol::alter_configs_response r;
  for (const auto& res : req.resources) {
    auto& out = r.responses.emplace_back();
    out.resource_type = res.resource_type;
    out.resource_name = res.resource_name;
    out.error_message = std::nullopt;
    auto fail = [&](failure f) {
      out.error_code = f.error_code;
      out.error_message = std::move(f.message);
    };
    if (auto e = config_auth_error(ctx, res.resource_type, res.resource_name,
                                   acl_operation::alter_configs)) {
      out.error_code = code(*e);
      continue;
    }
    std::map<std::string, std::string> configs;
    std::vector<std::string> names;
    std::optional<failure> bad;
    for (const auto& c : res.configs) {
      names.push_back(c.name);
      if (configs.contains(c.name) && !bad)
        bad = failure{code(error_code::invalid_request), "Error due to duplicate config keys"};
      if (!c.value && !bad)
        bad = failure{code(error_code::invalid_request),
                      fmt::format("Null value not supported for : {}", c.name)};
      configs[c.name] = c.value.value_or("");
    }
    if (res.resource_type == k_resource_broker) {
      if (auto f = alter_broker(ctx.b, res.resource_name, names); f.error_code != 0) fail(f);
      continue;
    }
    const bool group = res.resource_type == k_resource_group;
    if (res.resource_type != k_resource_topic && !group) {
      // The legacy AlterConfigs knows no broker loggers.
      bool known = known_type(res.resource_type) && res.resource_type != 8;
      fail(known ? unsupported_type(res.resource_type) : unknown_alter_type(res.resource_type));
      continue;
    }
    if (res.resource_name.empty()) {
      fail(group ? default_group_refused() : default_topic_refused());
      continue;
    }
    if (bad) {
      fail(std::move(*bad));
      continue;
    }
    // The legacy AlterConfigs replaces every override.
    broker::config_editor edit =
        [&configs](std::map<std::string, std::string>& current) -> broker::config_edit_error {
      current = configs;
      return {};
    };
    if (group) {
      auto e = co_await ctx.b.alter_group_configs(res.resource_name, edit, req.validate_only);
      if (e.error_code != 0) fail({e.error_code, e.message});
      continue;
    }
    auto result = co_await ctx.b.alter_topic_configs(res.resource_name, edit, req.validate_only);
    if (result.error_code != 0) fail({result.error_code, result.message});
  }
  co_return r;
}

asio::awaitable<protocol::incremental_alter_configs_response> incremental_alter_configs(
    request_context& ctx, protocol::incremental_alter_configs_request& req) {
  protocol::incremental_alter_configs_response r;
  const auto& defaults = ctx.b.options().log_defaults;
  for (const auto& res : req.resources) {
    auto& out = r.responses.emplace_back();
    out.resource_type = res.resource_type;
    out.resource_name = res.resource_name;
    out.error_message = std::nullopt;
    auto fail = [&](failure f) {
      out.error_code = f.error_code;
      out.error_message = std::move(f.message);
    };
    if (auto e = config_auth_error(ctx, res.resource_type, res.resource_name,
                                   acl_operation::alter_configs)) {
      out.error_code = code(*e);
      continue;
    }
    std::set<std::string> seen;
    std::vector<std::string> names;
    std::optional<failure> bad;
    for (const auto& c : res.configs) {
      names.push_back(c.name);
      if (!seen.insert(c.name).second && !bad)
        bad = failure{code(error_code::invalid_request), "Error due to duplicate config keys"};
      if (c.config_operation < 0 || c.config_operation > 3) {
        if (!bad)
          bad = failure{code(error_code::invalid_request),
                        fmt::format("Unknown alter config operation type {}", c.config_operation)};
      } else if (c.config_operation != 1 && !c.value && !bad) {
        bad = failure{code(error_code::invalid_request),
                      fmt::format("Null value not supported for : {}", c.name)};
      }
    }
    if (res.resource_type == k_resource_broker) {
      if (bad) {
        fail(std::move(*bad));
        continue;
      }
      if (auto f = alter_broker(ctx.b, res.resource_name, names); f.error_code != 0) fail(f);
      continue;
    }
    const bool group = res.resource_type == k_resource_group;
    if (res.resource_type != k_resource_topic && !group) {
      fail(known_type(res.resource_type) ? unsupported_type(res.resource_type)
                                         : unknown_alter_type(res.resource_type));
      continue;
    }
    if (res.resource_name.empty()) {
      fail(group ? default_group_refused() : default_topic_refused());
      continue;
    }
    if (bad) {
      fail(std::move(*bad));
      continue;
    }
    const auto& ops = res.configs;
    if (group) {
      broker::config_editor edit =
          [&ops](std::map<std::string, std::string>& current) -> broker::config_edit_error {
        for (const auto& op : ops) {
          if (op.config_operation == 0) {
            current[op.name] = *op.value;
          } else if (op.config_operation == 1) {
            current.erase(op.name);
          } else {
            // Kafka refuses APPEND and SUBTRACT on every group config, its one LIST included.
            return {code(error_code::invalid_config),
                    fmt::format("Can't {} to key {} because its type is not LIST.",
                                op.config_operation == 2 ? "APPEND" : "SUBTRACT", op.name)};
          }
        }
        return {};
      };
      auto e = co_await ctx.b.alter_group_configs(res.resource_name, edit, req.validate_only);
      if (e.error_code != 0) fail({e.error_code, e.message});
      continue;
    }
    broker::config_editor edit =
        [&ops,
         &defaults](std::map<std::string, std::string>& current) -> broker::config_edit_error {
      for (const auto& op : ops) {
        if (op.config_operation == 0) {
          current[op.name] = *op.value;
          continue;
        }
        if (op.config_operation == 1) {
          current.erase(op.name);
          continue;
        }
        const char* what = op.config_operation == 2 ? "APPEND" : "SUBTRACT";
        const int8_t type = topic_config_type(op.name);
        if (type != 0 && type != k_config_type_list)
          return {code(error_code::invalid_config),
                  fmt::format("Can't {} to key {} because its type is not LIST.", what, op.name)};
        std::string old;
        if (auto it = current.find(op.name); it != current.end()) {
          old = it->second;
        } else {
          for (const auto& e : describe_topic_configs(defaults, {}))
            if (e.name == op.name) old = e.value.value_or("");
        }
        auto items = split_list(old);
        for (const auto& item : split_list(*op.value)) {
          auto it = std::find(items.begin(), items.end(), item);
          if (op.config_operation == 2 && it == items.end()) items.push_back(item);
          if (op.config_operation == 3 && it != items.end()) items.erase(it);
        }
        current[op.name] = join_list(items);
      }
      return {};
    };
    auto result = co_await ctx.b.alter_topic_configs(res.resource_name, edit, req.validate_only);
    if (result.error_code != 0) fail({result.error_code, result.message});
  }
  co_return r;
}

}  // namespace brook::broker::handlers
