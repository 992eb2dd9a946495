// Kafka's names of the Admin client's enums (admin_types.h), both ways.
#include "client/admin_types.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "client/errors.h"

namespace brook::client {

namespace {

template <class E>
using name_table = std::initializer_list<std::pair<E, std::string_view>>;

const name_table<resource_type> k_resource_types = {
    {resource_type::unknown, "UNKNOWN"},
    {resource_type::any, "ANY"},
    {resource_type::topic, "TOPIC"},
    {resource_type::group, "GROUP"},
    {resource_type::cluster, "CLUSTER"},
    {resource_type::transactional_id, "TRANSACTIONAL_ID"},
    {resource_type::delegation_token, "DELEGATION_TOKEN"},
    {resource_type::user, "USER"},
};

const name_table<pattern_type> k_pattern_types = {
    {pattern_type::unknown, "UNKNOWN"},   {pattern_type::any, "ANY"},
    {pattern_type::match, "MATCH"},       {pattern_type::literal, "LITERAL"},
    {pattern_type::prefixed, "PREFIXED"},
};

const name_table<acl_operation> k_operations = {
    {acl_operation::unknown, "UNKNOWN"},
    {acl_operation::any, "ANY"},
    {acl_operation::all, "ALL"},
    {acl_operation::read, "READ"},
    {acl_operation::write, "WRITE"},
    {acl_operation::create, "CREATE"},
    {acl_operation::remove, "DELETE"},
    {acl_operation::alter, "ALTER"},
    {acl_operation::describe, "DESCRIBE"},
    {acl_operation::cluster_action, "CLUSTER_ACTION"},
    {acl_operation::describe_configs, "DESCRIBE_CONFIGS"},
    {acl_operation::alter_configs, "ALTER_CONFIGS"},
    {acl_operation::idempotent_write, "IDEMPOTENT_WRITE"},
    {acl_operation::create_tokens, "CREATE_TOKENS"},
    {acl_operation::describe_tokens, "DESCRIBE_TOKENS"},
    {acl_operation::two_phase_commit, "TWO_PHASE_COMMIT"},
};

const name_table<acl_permission> k_permissions = {
    {acl_permission::unknown, "UNKNOWN"},
    {acl_permission::any, "ANY"},
    {acl_permission::deny, "DENY"},
    {acl_permission::allow, "ALLOW"},
};

const name_table<scram_mechanism> k_mechanisms = {
    {scram_mechanism::unknown, "UNKNOWN"},
    {scram_mechanism::sha_256, "SCRAM-SHA-256"},
    {scram_mechanism::sha_512, "SCRAM-SHA-512"},
};

const name_table<config_resource_type> k_config_resource_types = {
    {config_resource_type::unknown, "UNKNOWN"},
    {config_resource_type::topic, "TOPIC"},
    {config_resource_type::broker, "BROKER"},
    {config_resource_type::broker_logger, "BROKER_LOGGER"},
    {config_resource_type::client_metrics, "CLIENT_METRICS"},
    {config_resource_type::group, "GROUP"},
};

const name_table<config_source> k_config_sources = {
    {config_source::unknown, "UNKNOWN"},
    {config_source::dynamic_topic_config, "DYNAMIC_TOPIC_CONFIG"},
    {config_source::dynamic_broker_config, "DYNAMIC_BROKER_CONFIG"},
    {config_source::dynamic_default_broker_config, "DYNAMIC_DEFAULT_BROKER_CONFIG"},
    {config_source::static_broker_config, "STATIC_BROKER_CONFIG"},
    {config_source::default_config, "DEFAULT_CONFIG"},
    {config_source::dynamic_broker_logger_config, "DYNAMIC_BROKER_LOGGER_CONFIG"},
    {config_source::client_metrics_config, "CLIENT_METRICS_CONFIG"},
    {config_source::group_config, "GROUP_CONFIG"},
};

const name_table<alter_config_op> k_alter_ops = {
    {alter_config_op::set, "SET"},
    {alter_config_op::remove, "DELETE"},
    {alter_config_op::append, "APPEND"},
    {alter_config_op::subtract, "SUBTRACT"},
};

const name_table<feature_upgrade_type> k_upgrade_types = {
    {feature_upgrade_type::unknown, "UNKNOWN"},
    {feature_upgrade_type::upgrade, "UPGRADE"},
    {feature_upgrade_type::safe_downgrade, "SAFE_DOWNGRADE"},
    {feature_upgrade_type::unsafe_downgrade, "UNSAFE_DOWNGRADE"},
};

template <class E>
std::string_view name_of(const name_table<E>& table, E value) {
  for (const auto& [e, n] : table)
    if (e == value) return n;
  return "UNKNOWN";
}

// Upper case, '-' read as '_' (and the other way round for names that have '-').
std::string normalized(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (ch == '-') ch = '_';
  }
  return out;
}

template <class E>
E parse(const name_table<E>& table, std::string_view name, std::string_view what) {
  const std::string want = normalized(name);
  std::string known;
  for (const auto& [e, n] : table) {
    if (normalized(n) == want) return e;
    known += fmt::format("{}{}", known.empty() ? "" : ", ", n);
  }
  throw config_error(fmt::format("'{}' is not a {} (one of {})", name, what, known));
}

}  // namespace

std::string_view to_string(config_resource_type t) { return name_of(k_config_resource_types, t); }
std::string_view to_string(config_source s) { return name_of(k_config_sources, s); }
std::string_view to_string(alter_config_op op) { return name_of(k_alter_ops, op); }
std::string_view to_string(resource_type t) { return name_of(k_resource_types, t); }
std::string_view to_string(pattern_type t) { return name_of(k_pattern_types, t); }
std::string_view to_string(acl_operation op) { return name_of(k_operations, op); }
std::string_view to_string(acl_permission p) { return name_of(k_permissions, p); }
std::string_view to_string(scram_mechanism m) { return name_of(k_mechanisms, m); }
std::string_view to_string(feature_upgrade_type t) { return name_of(k_upgrade_types, t); }

resource_type parse_resource_type(std::string_view name) {
  return parse(k_resource_types, name, "resource type");
}
pattern_type parse_pattern_type(std::string_view name) {
  return parse(k_pattern_types, name, "pattern type");
}
acl_operation parse_acl_operation(std::string_view name) {
  return parse(k_operations, name, "operation");
}
acl_permission parse_acl_permission(std::string_view name) {
  return parse(k_permissions, name, "permission type");
}
scram_mechanism parse_scram_mechanism(std::string_view name) {
  return parse(k_mechanisms, name, "SCRAM mechanism");
}
feature_upgrade_type parse_feature_upgrade_type(std::string_view name) {
  return parse(k_upgrade_types, name, "feature upgrade type");
}

}  // namespace brook::client
