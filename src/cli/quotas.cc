// `brook quotas`: client quotas of users, client ids and ips (and their defaults), described as a
// table of entity and quota, and changed as kafka-configs.sh --alter --add-config does.
#include <fmt/format.h>

#include <charconv>
#include <iostream>

#include "cli/cli.h"

namespace brook::cli {

namespace {

using namespace client;

// One entity type's options: --user NAME or --user-defaults, etc.
struct entity_option {
  std::string_view type;
  std::string_view name_option;
  std::string_view default_option;
};

constexpr entity_option k_entity_options[] = {
    {k_quota_user, "user", "user-defaults"},
    {k_quota_client_id, "client-id", "client-defaults"},
    {k_quota_ip, "ip", "ip-defaults"},
};

// The entity the options name; empty when they name none.
client_quota_entity entity_of(context& ctx) {
  client_quota_entity e;
  for (const auto& o : k_entity_options) {
    const bool named = ctx.has(o.name_option), defaults = ctx.has(o.default_option);
    if (named && defaults)
      throw usage_error(
          fmt::format("give --{} or --{}, not both", o.name_option, o.default_option));
    if (named) e[std::string(o.type)] = ctx.need(o.name_option);
    if (defaults) e[std::string(o.type)] = std::nullopt;
  }
  return e;
}

// How a part of an entity prints: its name, "<default>", or nothing when the entity has no part
// of that type.
cell part(const client_quota_entity& e, std::string_view type) {
  auto it = e.find(std::string(type));
  if (it == e.end()) return std::monostate{};
  return it->second.value_or("<default>");
}

double parse_value(const std::string& key, const std::string& text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw usage_error(fmt::format("--add {}: '{}' is not a number", key, text));
  return v;
}

int describe(context& ctx) {
  const auto entity = entity_of(ctx);
  client_quota_filter filter;
  for (const auto& [type, name] : entity)
    filter.components.push_back(name ? quota_filter_component::of_entity(type, *name)
                                     : quota_filter_component::of_default_entity(type));
  filter.strict = ctx.has("exact");
  const auto quotas = ctx.admin().describe_client_quotas(filter);
  table t({"user", "client_id", "ip", "quota", "value"});
  for (const auto& [e, values] : quotas)
    for (const auto& [key, value] : values)
      t.add({part(e, k_quota_user), part(e, k_quota_client_id), part(e, k_quota_ip), key, value});
  t.print(std::cout, ctx.json());
  return 0;
}

int alter(context& ctx) {
  const auto entity = entity_of(ctx);
  if (entity.empty())
    throw usage_error("name an entity: --user, --client-id, --ip or their --*-defaults");
  client_quota_alteration a{entity, {}};
  for (const auto& kv : ctx.all("add")) {
    auto [k, v] = split_key_value(kv, "--add");
    a.ops.push_back({k, parse_value(k, v)});
  }
  for (const auto& k : ctx.all("delete")) a.ops.push_back({k, std::nullopt});
  if (a.ops.empty()) throw usage_error("nothing to change: give --add or --delete");
  const bool validate_only = ctx.has("validate-only");
  ctx.admin().alter_client_quotas({a}, validate_only);
  std::string who;
  for (const auto& [type, name] : entity)
    who += fmt::format("{}{}={}", who.empty() ? "" : ", ", type, name.value_or("<default>"));
  report(ctx,
         fmt::format("{} {} quota{} of {}.", validate_only ? "Validated" : "Updated", a.ops.size(),
                     a.ops.size() == 1 ? "" : "s", who),
         {{"entity", who},
          {"changed", static_cast<int64_t>(a.ops.size())},
          {"validate_only", validate_only}});
  return 0;
}

}  // namespace

int quotas_command(context& ctx) {
  const std::string sub = ctx.subcommand();
  if (sub == "describe") return describe(ctx);
  if (sub == "alter") return alter(ctx);
  throw usage_error(sub.empty() ? "which subcommand? describe or alter"
                                : fmt::format("unknown subcommand '{}'", sub));
}

}  // namespace brook::cli
