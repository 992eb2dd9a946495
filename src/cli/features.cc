// `brook features`: the features a broker supports and the levels finalized across the cluster
// (describe), and moving a feature's finalized level (upgrade, downgrade, disable), as
// kafka-features.sh does; --dry-run has the controller check the change without making it.
#include <fmt/format.h>

#include <charconv>
#include <iostream>
#include <set>

#include "cli/cli.h"

namespace brook::cli {

namespace {

using namespace client;

int describe(context& ctx) {
  const auto f = ctx.admin().describe_features();
  std::set<std::string> names;
  for (const auto& [n, r] : f.supported) names.insert(n);
  for (const auto& [n, r] : f.finalized) names.insert(n);
  table t({"feature", "supported_min", "supported_max", "finalized_level", "epoch"});
  for (const auto& n : names) {
    cell min, max, level;
    if (auto it = f.supported.find(n); it != f.supported.end())
      min = int64_t{it->second.min_version}, max = int64_t{it->second.max_version};
    // A feature that is not finalized is at level 0 (disabled), as kafka-features.sh shows it.
    level = int64_t{0};
    if (auto it = f.finalized.find(n); it != f.finalized.end())
      level = int64_t{it->second.max_version_level};
    t.add({n, min, max, level,
           f.finalized_epoch ? cell(*f.finalized_epoch) : cell(std::monostate{})});
  }
  t.print(std::cout, ctx.json());
  return 0;
}

// upgrade and downgrade: --feature NAME=LEVEL...; disable: --feature NAME... (level 0).
int update(context& ctx, const std::string& sub) {
  const auto given = ctx.all("feature");
  if (given.empty()) throw usage_error("--feature is required");
  feature_upgrade_type type = feature_upgrade_type::upgrade;
  if (sub != "upgrade")
    type = ctx.has("unsafe") ? feature_upgrade_type::unsafe_downgrade
                             : feature_upgrade_type::safe_downgrade;
  else if (ctx.has("unsafe"))
    throw usage_error("--unsafe is for downgrade and disable");
  std::map<std::string, feature_update> updates;
  std::string text;
  for (const auto& g : given) {
    std::string name = g;
    int16_t level = 0;
    if (sub != "disable") {
      auto [k, v] = split_key_value(g, "--feature");
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), level);
      if (v.empty() || ec != std::errc() || end != v.data() + v.size())
        throw usage_error(fmt::format("--feature {}: '{}' is not a level", k, v));
      name = k;
    }
    updates[name] = {level, type};
    text += fmt::format("{}{} to level {}", text.empty() ? "" : ", ", name, level);
  }
  const bool dry_run = ctx.has("dry-run");
  ctx.admin().update_features(updates, dry_run);
  report(
      ctx, fmt::format("{} {} ({}).", dry_run ? "Validated" : "Updated", text, to_string(type)),
      {{"features", text}, {"upgrade_type", std::string(to_string(type))}, {"dry_run", dry_run}});
  return 0;
}

}  // namespace

int features_command(context& ctx) {
  const std::string sub = ctx.subcommand();
  if (sub == "describe") return describe(ctx);
  if (sub == "upgrade" || sub == "downgrade" || sub == "disable") return update(ctx, sub);
  throw usage_error(sub.empty() ? "which subcommand? describe, upgrade, downgrade or disable"
                                : fmt::format("unknown subcommand '{}'", sub));
}

}  // namespace brook::cli
