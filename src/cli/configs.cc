// `brook configs`: a topic's or broker's configs with their sources, and incremental changes.
#include <fmt/format.h>

#include <iostream>

#include "cli/cli.h"

namespace brook::cli {

namespace {

client::config_resource resource_of(context& ctx) {
  const int given = ctx.has("topic") + ctx.has("broker") + ctx.has("broker-defaults");
  if (given != 1) throw usage_error("name one of --topic, --broker or --broker-defaults");
  if (auto t = ctx.get("topic")) return {client::config_resource_type::topic, *t};
  if (auto b = ctx.get("broker")) return {client::config_resource_type::broker, *b};
  return {client::config_resource_type::broker, ""};
}

std::string resource_text(const client::config_resource& r) {
  if (r.type == client::config_resource_type::topic) return "topic " + r.name;
  return r.name.empty() ? "the broker defaults" : "broker " + r.name;
}

int describe(context& ctx) {
  const auto r = resource_of(ctx);
  const auto configs = ctx.admin().describe_configs({r}).at(r);
  const bool all = ctx.has("all");
  table t({"name", "value", "source", "sensitive", "read_only"});
  for (const auto& e : configs) {
    if (!all && (e.is_default() || e.source == client::config_source::unknown)) continue;
    t.add({e.name, e.value ? cell(*e.value) : cell(std::monostate{}),
           std::string(client::to_string(e.source)), e.sensitive, e.read_only});
  }
  t.print(std::cout, ctx.json());
  return 0;
}

int alter(context& ctx) {
  const auto r = resource_of(ctx);
  std::vector<client::alter_config> ops;
  auto add = [&](std::string_view option, client::alter_config_op op) {
    for (const auto& kv : ctx.all(option)) {
      auto [k, v] = split_key_value(kv, fmt::format("--{}", option));
      ops.push_back({k, op, v});
    }
  };
  add("set", client::alter_config_op::set);
  add("append", client::alter_config_op::append);
  add("subtract", client::alter_config_op::subtract);
  for (const auto& k : ctx.all("delete")) ops.push_back({k, client::alter_config_op::remove, ""});
  if (ops.empty())
    throw usage_error("nothing to change: give --set, --delete, --append or --subtract");
  ctx.admin().incremental_alter_configs({{r, ops}});
  report(ctx,
         fmt::format("Updated {} config{} of {}.", ops.size(), ops.size() == 1 ? "" : "s",
                     resource_text(r)),
         {{"resource", resource_text(r)}, {"changed", static_cast<int64_t>(ops.size())}});
  return 0;
}

}  // namespace

int configs_command(context& ctx) {
  const std::string sub = ctx.subcommand();
  if (sub == "describe") return describe(ctx);
  if (sub == "alter") return alter(ctx);
  throw usage_error(sub.empty() ? "which subcommand? describe or alter"
                                : fmt::format("unknown subcommand '{}'", sub));
}

}  // namespace brook::cli
