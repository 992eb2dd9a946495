// `brook topics` and `brook cluster`: topic listing, description, creation, deletion and partition
// increases; the cluster's description.
#include <fmt/format.h>

#include <iostream>

#include "cli/cli.h"
#include "client/errors.h"

namespace brook::cli {

namespace {

using protocol::error_code;

std::vector<std::string> topic_args(context& ctx, bool from_positional) {
  std::vector<std::string> out = ctx.all("topic");
  if (from_positional) out.insert(out.end(), ctx.positional().begin() + 1, ctx.positional().end());
  return out;
}

int list(context& ctx) {
  auto& a = ctx.admin();
  const auto listed = a.list_topics(ctx.has("internal"));
  std::vector<std::string> names;
  for (const auto& t : listed) names.push_back(t.name);
  const auto described =
      names.empty() ? std::vector<client::topic_description>{} : a.describe_topics(names);
  table t({"topic", "id", "partitions", "replication_factor", "internal"});
  for (const auto& d : described) {
    const int64_t rf =
        d.partitions.empty() ? 0 : static_cast<int64_t>(d.partitions[0].replicas.size());
    t.add({d.name, d.id.to_string(), static_cast<int64_t>(d.partitions.size()), rf, d.internal});
  }
  t.print(std::cout, ctx.json());
  return 0;
}

int describe(context& ctx) {
  auto& a = ctx.admin();
  auto names = topic_args(ctx, true);
  if (names.empty())
    for (const auto& t : a.list_topics(true)) names.push_back(t.name);
  table t({"topic", "partition", "leader", "replicas", "isr", "topic_id"});
  for (const auto& d :
       names.empty() ? std::vector<client::topic_description>{} : a.describe_topics(names))
    for (const auto& p : d.partitions)
      t.add({d.name, int64_t{p.partition},
             p.leader >= 0 ? cell(int64_t{p.leader}) : cell(std::monostate{}), p.replicas, p.isr,
             d.id.to_string()});
  t.print(std::cout, ctx.json());
  return 0;
}

int create(context& ctx) {
  client::new_topic nt;
  nt.name = ctx.need("topic");
  if (auto p = ctx.get_int("partitions")) nt.partitions = static_cast<int32_t>(*p);
  if (auto r = ctx.get_int("replication-factor")) nt.replication_factor = static_cast<int16_t>(*r);
  for (const auto& kv : ctx.all("config")) {
    auto [k, v] = split_key_value(kv, "--config");
    nt.configs[k] = v;
  }
  const bool validate = ctx.has("validate-only");
  try {
    auto created = ctx.admin().create_topics({nt}, validate);
    const auto& c = created.at(0);
    report(ctx,
           fmt::format("{} topic {} ({} partitions, replication factor {}).",
                       validate ? "Validated" : "Created", nt.name, c.partitions,
                       c.replication_factor),
           {{"topic", nt.name},
            {"id", c.id.to_string()},
            {"partitions", int64_t{c.partitions}},
            {"replication_factor", int64_t{c.replication_factor}},
            {"created", !validate}});
  } catch (const client::kafka_error& e) {
    if (e.code() != error_code::topic_already_exists || !ctx.has("if-not-exists")) throw;
    report(ctx, fmt::format("Topic {} already exists.", nt.name),
           {{"topic", nt.name}, {"created", false}});
  }
  return 0;
}

int remove(context& ctx) {
  auto names = topic_args(ctx, true);
  if (names.empty()) throw usage_error("--topic is required");
  auto& a = ctx.admin();
  if (ctx.has("if-exists")) {
    std::vector<std::string> present;
    const auto listed = a.list_topics(true);
    for (const auto& n : names)
      for (const auto& t : listed)
        if (t.name == n) present.push_back(n);
    names = present;
  }
  if (!names.empty()) a.delete_topics(names);
  std::vector<std::string> quoted;
  std::string text = names.empty() ? "No topic to delete." : "Deleted topic";
  for (size_t i = 0; i < names.size(); ++i)
    text += fmt::format("{}{}", i == 0 ? (names.size() > 1 ? "s " : " ") : ", ", names[i]);
  if (!names.empty()) text += ".";
  std::string joined;
  for (const auto& n : names) joined += fmt::format("{}{}", joined.empty() ? "" : ",", n);
  report(ctx, text, {{"deleted", joined}});
  return 0;
}

int alter(context& ctx) {
  const std::string name = ctx.need("topic");
  const auto count = ctx.get_int("partitions");
  if (!count) throw usage_error("--partitions is required");
  ctx.admin().create_partitions({{name, static_cast<int32_t>(*count)}});
  report(ctx, fmt::format("Topic {} now has {} partitions.", name, *count),
         {{"topic", name}, {"partitions", *count}});
  return 0;
}

}  // namespace

int topics_command(context& ctx) {
  const std::string sub = ctx.subcommand();
  if (sub == "list") return list(ctx);
  if (sub == "describe") return describe(ctx);
  if (sub == "create") return create(ctx);
  if (sub == "delete") return remove(ctx);
  if (sub == "alter") return alter(ctx);
  throw usage_error(sub.empty() ? "which subcommand? list, describe, create, delete or alter"
                                : fmt::format("unknown subcommand '{}'", sub));
}

int cluster_command(context& ctx) {
  const auto d = ctx.admin().describe_cluster();
  table brokers({"id", "host", "port", "rack", "controller"});
  for (const auto& b : d.brokers)
    brokers.add({int64_t{b.id}, b.host, int64_t{b.port},
                 b.rack ? cell(*b.rack) : cell(std::monostate{}), b.id == d.controller});
  if (ctx.json()) {
    fmt::print("{{\"cluster_id\":\"{}\",\"controller\":{},\"brokers\":{}}}\n", d.cluster_id,
               d.controller, brokers.to_json());
    return 0;
  }
  fmt::print("Cluster ID: {}\nController: {}\n\n", d.cluster_id, d.controller);
  brokers.print(std::cout, false);
  return 0;
}

}  // namespace brook::cli
