#include "security/acl.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include <fmt/format.h>

namespace brook::security {

namespace {

constexpr std::array<std::string_view, 8> k_resource_types{
    "UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"};
constexpr std::array<std::string_view, 5> k_pattern_types{"UNKNOWN", "ANY", "MATCH", "LITERAL",
                                                          "PREFIXED"};
constexpr std::array<std::string_view, 16> k_operations{"UNKNOWN",
                                                        "ANY",
                                                        "ALL",
                                                        "READ",
                                                        "WRITE",
                                                        "CREATE",
                                                        "DELETE",
                                                        "ALTER",
                                                        "DESCRIBE",
                                                        "CLUSTER_ACTION",
                                                        "DESCRIBE_CONFIGS",
                                                        "ALTER_CONFIGS",
                                                        "IDEMPOTENT_WRITE",
                                                        "CREATE_TOKENS",
                                                        "DESCRIBE_TOKENS",
                                                        "TWO_PHASE_COMMIT"};
constexpr std::array<std::string_view, 4> k_permissions{"UNKNOWN", "ANY", "DENY", "ALLOW"};

template <size_t N>
std::string_view name_in(const std::array<std::string_view, N>& names, int8_t code) {
  return code >= 0 && static_cast<size_t>(code) < N ? names[static_cast<size_t>(code)] : names[0];
}

template <class E, size_t N>
std::optional<E> parse_in(const std::array<std::string_view, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i)
    if (std::equal(text.begin(), text.end(), names[i].begin(), names[i].end(),
                   [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; }))
      return static_cast<E>(i);
  return std::nullopt;
}

template <class E, size_t N>
E from_code(const std::array<std::string_view, N>&, int8_t code) {
  return code >= 0 && static_cast<size_t>(code) < N ? static_cast<E>(code) : static_cast<E>(0);
}

bool implies(acl_operation granted, acl_operation wanted) {
  using o = acl_operation;
  if (granted == o::all || granted == wanted) return true;
  if (wanted == o::describe)
    return granted == o::read || granted == o::write || granted == o::remove || granted == o::alter;
  if (wanted == o::describe_configs) return granted == o::alter_configs;
  return false;
}

// Whether the binding's resource pattern covers the literal name.
bool covers(const acl_binding& b, std::string_view name) {
  if (b.pattern == pattern_type::literal) return b.name == name || b.name == k_wildcard;
  if (b.pattern == pattern_type::prefixed) return name.starts_with(b.name);
  return false;
}

bool principal_and_host_match(const acl_binding& b, const requester& who) {
  if (b.principal != who.principal && b.principal != k_wildcard_principal) return false;
  return b.host == k_wildcard || b.host == who.host;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

std::string_view name_of(resource_type t) { return name_in(k_resource_types, int8_t(t)); }
std::string_view name_of(pattern_type t) { return name_in(k_pattern_types, int8_t(t)); }
std::string_view name_of(acl_operation o) { return name_in(k_operations, int8_t(o)); }
std::string_view name_of(acl_permission p) { return name_in(k_permissions, int8_t(p)); }

std::optional<resource_type> parse_resource_type(std::string_view n) {
  return parse_in<resource_type>(k_resource_types, n);
}
std::optional<pattern_type> parse_pattern_type(std::string_view n) {
  return parse_in<pattern_type>(k_pattern_types, n);
}
std::optional<acl_operation> parse_operation(std::string_view n) {
  return parse_in<acl_operation>(k_operations, n);
}
std::optional<acl_permission> parse_permission(std::string_view n) {
  return parse_in<acl_permission>(k_permissions, n);
}

resource_type resource_type_from(int8_t c) { return from_code<resource_type>(k_resource_types, c); }
pattern_type pattern_type_from(int8_t c) { return from_code<pattern_type>(k_pattern_types, c); }
acl_operation operation_from(int8_t c) { return from_code<acl_operation>(k_operations, c); }
acl_permission permission_from(int8_t c) { return from_code<acl_permission>(k_permissions, c); }

std::vector<acl_operation> supported_operations(resource_type t) {
  using o = acl_operation;
  switch (t) {
    case resource_type::topic:
      return {o::read,   o::write, o::create,           o::describe,
              o::remove, o::alter, o::describe_configs, o::alter_configs};
    case resource_type::group:
      return {o::read, o::describe, o::remove, o::describe_configs, o::alter_configs};
    case resource_type::cluster:
      return {o::create,           o::cluster_action, o::describe_configs, o::alter_configs,
              o::idempotent_write, o::alter,          o::describe};
    case resource_type::transactional_id:
      return {o::describe, o::write, o::two_phase_commit};
    case resource_type::delegation_token:
      return {o::describe};
    case resource_type::user:
      return {o::create_tokens, o::describe_tokens};
    default:
      return {};
  }
}

std::optional<std::string> validate_new_acl(const acl_binding& b) {
  // The broker's checks (AclApis), then the controller's (AclControlManager).
  if (b.type == resource_type::cluster && b.name != k_cluster_name)
    return fmt::format("The only valid name for the CLUSTER resource is {}", k_cluster_name);
  if (b.name.empty()) return std::string("Invalid empty resource name");
  if (b.type == resource_type::unknown || b.type == resource_type::any)
    return fmt::format("Invalid resourceType {}", name_of(b.type));
  if (b.pattern != pattern_type::literal && b.pattern != pattern_type::prefixed)
    return fmt::format("Invalid patternType {}", name_of(b.pattern));
  if (b.operation == acl_operation::unknown || b.operation == acl_operation::any)
    return fmt::format("Invalid operation {}", name_of(b.operation));
  if (b.permission != acl_permission::allow && b.permission != acl_permission::deny)
    return fmt::format("Invalid permissionType {}", name_of(b.permission));
  if (b.principal.find(':') == std::string::npos)
    return fmt::format(
        "Could not parse principal from `{}` (no colon is present separating the principal type "
        "from the principal name)",
        b.principal);
  return std::nullopt;
}

bool acl_filter::matches(const acl_binding& b) const {
  if (type != resource_type::any && type != b.type) return false;
  if (pattern != pattern_type::any && pattern != pattern_type::match && pattern != b.pattern)
    return false;
  if (name) {
    if (pattern == pattern_type::match) {
      if (!covers(b, *name)) return false;
    } else if (*name != b.name) {
      return false;
    }
  }
  if (principal && *principal != b.principal) return false;
  if (host && *host != b.host) return false;
  if (operation != acl_operation::any && operation != b.operation) return false;
  return permission == acl_permission::any || permission == b.permission;
}

std::optional<std::string> acl_filter::invalid_reason() const {
  if (type == resource_type::unknown || pattern == pattern_type::unknown)
    return std::string("Unknown patternFilter.");
  if (operation == acl_operation::unknown || permission == acl_permission::unknown)
    return std::string("Unknown entryFilter.");
  return std::nullopt;
}

bool acl_set::add(const acl_binding& b) { return _acls.insert(b).second; }

std::vector<acl_binding> acl_set::remove(const acl_filter& f) {
  std::vector<acl_binding> out;
  for (auto it = _acls.begin(); it != _acls.end();) {
    if (f.matches(*it)) {
      out.push_back(*it);
      it = _acls.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<acl_binding> acl_set::find(const acl_filter& f) const {
  std::vector<acl_binding> out;
  for (const auto& b : _acls)
    if (f.matches(b)) out.push_back(b);
  return out;
}

std::optional<std::set<std::string>> parse_super_users(std::string_view text, std::string* error) {
  std::set<std::string> out;
  while (!text.empty()) {
    const size_t semi = text.find(';');
    std::string item = trim(text.substr(0, semi));
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    if (item.empty()) continue;
    const size_t colon = item.find(':');
    if (colon == std::string::npos || colon == 0) {
      if (error) *error = fmt::format("'{}' is not a principal of the form Type:Name", item);
      return std::nullopt;
    }
    out.insert(std::move(item));
  }
  return out;
}

bool authorize(const authorizer_config& config, const acl_set& acls, const requester& who,
               acl_operation op, resource_type type, std::string_view name) {
  if (!config.enabled) return true;
  if (config.super_users.contains(std::string(who.principal))) return true;
  bool has_resource_acls = false;
  bool allowed = false;
  // The bindings of the type are contiguous in the set's order.
  auto it = acls.all().lower_bound(acl_binding{type, "", pattern_type::unknown, "", "",
                                               acl_operation::unknown, acl_permission::unknown});
  for (; it != acls.all().end() && it->type == type; ++it) {
    const acl_binding& b = *it;
    if (!covers(b, name)) continue;
    has_resource_acls = true;
    if (!principal_and_host_match(b, who)) continue;
    if (b.permission == acl_permission::deny) {
      // A DENY covers only its own operation (or every operation with ALL).
      if (b.operation == acl_operation::all || b.operation == op) return false;
    } else if (b.permission == acl_permission::allow && implies(b.operation, op)) {
      allowed = true;
    }
  }
  if (allowed) return true;
  return !has_resource_acls && config.allow_if_no_acl;
}

bool authorize_any(const authorizer_config& config, const acl_set& acls, const requester& who,
                   acl_operation op, resource_type type) {
  if (!config.enabled) return true;
  // Super users, and allow.everyone.if.no.acl.found where no ACL covers a made-up name.
  if (authorize(config, acls, who, op, type, "hardcode")) return true;
  std::set<std::string> deny_literal, deny_prefixed;
  std::vector<const acl_binding*> allows;
  bool wildcard_allow = false;
  for (const auto& b : acls.all()) {
    if (b.type != type || !principal_and_host_match(b, who)) continue;
    if (b.operation != op && b.operation != acl_operation::all) continue;
    if (b.permission == acl_permission::deny) {
      if (b.pattern == pattern_type::literal && b.name == k_wildcard) return false;
      (b.pattern == pattern_type::literal ? deny_literal : deny_prefixed).insert(b.name);
    } else if (b.permission == acl_permission::allow) {
      if (b.pattern == pattern_type::literal && b.name == k_wildcard)
        wildcard_allow = true;
      else
        allows.push_back(&b);
    }
  }
  if (wildcard_allow) return true;
  for (const acl_binding* a : allows) {
    if (a->pattern == pattern_type::literal && deny_literal.contains(a->name)) continue;
    bool dominated = false;
    for (size_t n = 1; n <= a->name.size() && !dominated; ++n)
      dominated = deny_prefixed.contains(a->name.substr(0, n));
    if (!dominated) return true;
  }
  return false;
}

int32_t authorized_operations(const authorizer_config& config, const acl_set& acls,
                              const requester& who, resource_type type, std::string_view name) {
  int32_t bits = 0;
  for (auto op : supported_operations(type))
    if (authorize(config, acls, who, op, type, name)) bits |= int32_t{1} << static_cast<int>(op);
  return bits;
}

}  // namespace brook::security
