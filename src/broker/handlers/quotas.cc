// DescribeClientQuotas and AlterClientQuotas: the client quotas kept in the cluster state
// (broker/quota.h), described and changed with the checks and messages of Kafka's controller.
#include <set>

#include "base/log.h"
#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

// DescribeClientQuotas match types.
constexpr int8_t k_match_exact = 0;
constexpr int8_t k_match_default = 1;
constexpr int8_t k_match_any = 2;

struct filter_error {
  error_code code;
  std::string message;
};

// Kafka's rendering of a ClientQuotaEntity, for messages.
std::string entity_text(const std::vector<std::pair<std::string, std::optional<std::string>>>& e) {
  std::string s = "ClientQuotaEntity(entries={";
  for (size_t i = 0; i < e.size(); ++i)
    s += (i ? ", " : "") + e[i].first + "=" + e[i].second.value_or("null");
  return s + "})";
}

// Whether the entity passes the filter: every exact (or default) component names the entity's
// value of its type, every "any" component a type the entity has; strict: no other types.
bool matches(const quota_entity& entity,
             const std::map<std::string, std::optional<std::string>>& exact,
             const std::set<std::string>& any, bool strict) {
  if (strict && entity.size() != exact.size() + any.size()) return false;
  for (const auto& [type, name] : exact) {
    auto it = entity.find(type);
    if (it == entity.end() || it->second != name) return false;
  }
  for (const auto& type : any)
    if (!entity.contains(type)) return false;
  return true;
}

}  // namespace

asio::awaitable<protocol::describe_client_quotas_response> describe_client_quotas(
    request_context& ctx, protocol::describe_client_quotas_request& req) {
  protocol::describe_client_quotas_response r;
  auto fail = [&r](error_code e, std::string message) {
    r.error_code = code(e);
    r.error_message = std::move(message);
    r.entries = std::nullopt;
    return r;
  };
  if (!authorize_cluster(ctx, acl_operation::describe_configs))
    co_return fail(error_code::cluster_authorization_failed, std::string(k_cluster_auth_message));
  std::map<std::string, std::optional<std::string>> exact;
  std::set<std::string> any;
  for (const auto& c : req.components) {
    const std::string& type = c.entity_type;
    if (type.empty()) co_return fail(error_code::invalid_request, "Invalid empty entity type.");
    if (exact.contains(type) || any.contains(type))
      co_return fail(error_code::invalid_request,
                     "Entity type " + type + " cannot appear more than once in the filter.");
    if (type != k_quota_user && type != k_quota_client_id && type != k_quota_ip)
      co_return fail(error_code::unsupported_version, "Unsupported entity type " + type);
    switch (c.match_type) {
      case k_match_exact:
        if (!c.match)
          co_return fail(error_code::invalid_request,
                         "Request specified MATCH_TYPE_EXACT, but set match string to null.");
        exact[type] = c.match;
        break;
      case k_match_default:
        if (c.match)
          co_return fail(
              error_code::invalid_request,
              "Request specified MATCH_TYPE_DEFAULT, but also specified a match string.");
        exact[type] = std::nullopt;
        break;
      case k_match_any:
        if (c.match)
          co_return fail(
              error_code::invalid_request,
              "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.");
        any.insert(type);
        break;
      default:
        co_return fail(error_code::invalid_request,
                       "Unknown match type " + std::to_string(c.match_type));
    }
  }
  const bool ip = exact.contains(k_quota_ip) || any.contains(k_quota_ip);
  if (ip && exact.size() + any.size() > 1)
    co_return fail(error_code::invalid_request,
                   "Invalid entity filter component combination. IP filter component should not "
                   "be used with user or clientId filter component.");
  // No component, not strict: everything; strict with none: nothing.
  const bool none = exact.empty() && any.empty();
  for (const auto& [entity, values] : ctx.b.local().cluster->client_quotas) {
    if (none ? req.strict : !matches(entity, exact, any, req.strict)) continue;
    protocol::describe_client_quotas_response::entry_data e;
    for (const auto& [type, name] : entity) e.entity.push_back({type, name, {}});
    for (const auto& [key, value] : values) e.values.push_back({key, value, {}});
    r.entries->push_back(std::move(e));
  }
  co_return r;
}

asio::awaitable<protocol::alter_client_quotas_response> alter_client_quotas(
    request_context& ctx, protocol::alter_client_quotas_request& req) {
  using entity_parts = std::vector<std::pair<std::string, std::optional<std::string>>>;
  struct outcome {
    entity_parts parts;
    quota_entity entity;
    std::optional<std::pair<error_code, std::string>> error;
    // Key to value; nullopt removes the key.
    std::map<std::string, std::optional<double>> ops;
  };
  // One outcome per distinct entity, in request order; a second entry for an entity is refused.
  std::vector<outcome> outcomes;
  for (const auto& entry : req.entries) {
    outcome o;
    for (const auto& e : entry.entity) o.parts.emplace_back(e.entity_type, e.entity_name);
    auto bad = check_quota_entity(o.parts, o.entity);
    // An entity Kafka could not even build (a type twice) is its own entry.
    auto same = std::find_if(outcomes.begin(), outcomes.end(), [&](const outcome& x) {
      return bad.empty() && x.entity == o.entity && !x.entity.empty();
    });
    if (same != outcomes.end()) {
      same->error = {error_code::invalid_request,
                     "Ignoring duplicate entity " + entity_text(same->parts)};
      continue;
    }
    bool duplicate_key = false;
    for (const auto& op : entry.ops) {
      if (o.ops.contains(op.key)) duplicate_key = true;
      o.ops[op.key] = op.remove ? std::nullopt : std::optional<double>(op.value);
    }
    if (duplicate_key)
      // Kafka notes the duplicate key and then, finding the entity already failed, says this.
      o.error = {error_code::invalid_request, "Ignoring duplicate entity " + entity_text(o.parts)};
    else if (!bad.empty())
      o.error = {error_code::invalid_request, bad};
    outcomes.push_back(std::move(o));
  }
  // Values are checked against the entity's keys; keys removed need no check.
  // AlterClientQuotas needs ALTER_CONFIGS on the cluster; without it every entity is refused.
  if (!authorize_cluster(ctx, acl_operation::alter_configs))
    for (auto& o : outcomes)
      o.error = {error_code::cluster_authorization_failed, std::string(k_cluster_auth_message)};
  for (auto& o : outcomes) {
    if (o.error) continue;
    for (const auto& [key, value] : o.ops) {
      if (!value) continue;
      if (auto bad = check_quota_value(o.entity, key, *value); !bad.empty()) {
        o.error = {error_code::invalid_request, bad};
        break;
      }
    }
  }
  auto saved = co_await ctx.b.alter_client_quotas(
      [&](client_quota_map& quotas) {
        for (const auto& o : outcomes) {
          if (o.error) continue;
          auto& values = quotas[o.entity];
          for (const auto& [key, value] : o.ops) {
            if (value)
              values[key] = *value;
            else
              values.erase(key);
          }
          if (values.empty()) quotas.erase(o.entity);
        }
      },
      req.validate_only);
  protocol::alter_client_quotas_response r;
  for (auto& o : outcomes) {
    protocol::alter_client_quotas_response::entry_data e;
    if (o.error) {
      e.error_code = code(o.error->first);
      e.error_message = o.error->second;
    } else if (saved.error_code != 0) {
      e.error_code = saved.error_code;
      e.error_message = saved.message;
    } else {
      e.error_message = std::nullopt;
    }
    // Kafka answers with the entity as a map (the order of its types here); one that is not a
    // map (a type twice) as it came.
    if (o.entity.size() == o.parts.size())
      for (const auto& [type, name] : o.entity) e.entity.push_back({type, name, {}});
    else
      for (auto& [type, name] : o.parts) e.entity.push_back({type, name, {}});
    r.entries.push_back(std::move(e));
  }
  co_return r;
}

}  // namespace brook::broker::handlers
