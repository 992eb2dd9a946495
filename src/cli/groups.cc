// `brook groups`: consumer groups listed, described with their offsets and lag, deleted, and
// their offsets reset.
#include <fmt/format.h>

#include <iostream>
#include <set>

#include "cli/cli.h"
#include "client/errors.h"

namespace brook::cli {

namespace {

using client::topic_partition;

int list(context& ctx) {
  std::vector<std::string> states;
  for (const auto& s : ctx.all("state"))
    if (!s.empty()) states.push_back(s);
  const auto groups = ctx.admin().list_groups(states, ctx.all("type"));
  table t({"group", "type", "state", "protocol_type"});
  for (const auto& g : groups)
    t.add({g.group_id, g.type ? cell(*g.type) : cell(std::monostate{}),
           g.state ? cell(*g.state) : cell(std::monostate{}), g.protocol_type});
  t.print(std::cout, ctx.json());
  return 0;
}

int describe(context& ctx) {
  auto& a = ctx.admin();
  const std::string group = ctx.need("group");
  const auto d = a.describe_groups({group}).at(0);
  if (ctx.has("state")) {
    table t({"group", "type", "state", "assignor", "coordinator", "members"});
    t.add({d.group_id, d.type, d.state, d.assignor, int64_t{d.coordinator},
           static_cast<int64_t>(d.members.size())});
    t.print(std::cout, ctx.json());
    return 0;
  }
  if (ctx.has("members")) {
    table t({"member_id", "client_id", "host", "instance_id", "partitions"});
    for (const auto& m : d.members) {
      std::string parts;
      for (const auto& tp : m.assignment)
        parts += fmt::format("{}{}-{}", parts.empty() ? "" : ",", tp.topic, tp.partition);
      t.add({m.member_id, m.client_id, m.client_host,
             m.group_instance_id ? cell(*m.group_instance_id) : cell(std::monostate{}), parts});
    }
    t.print(std::cout, ctx.json());
    return 0;
  }
  const auto committed = a.list_consumer_group_offsets(group);
  std::map<topic_partition, const client::member_description*> owner;
  for (const auto& m : d.members)
    for (const auto& tp : m.assignment) owner[tp] = &m;
  std::set<topic_partition> partitions;
  for (const auto& [tp, o] : committed) partitions.insert(tp);
  for (const auto& [tp, m] : owner) partitions.insert(tp);
  std::map<topic_partition, client::offset_spec> specs;
  for (const auto& tp : partitions) specs[tp] = client::offset_spec::latest();
  const auto ends =
      specs.empty() ? std::map<topic_partition, client::listed_offset>{} : a.list_offsets(specs);
  table t({"topic", "partition", "current_offset", "log_end_offset", "lag", "member_id", "host",
           "client_id"});
  for (const auto& tp : partitions) {
    cell current, end, lag, member, host, client;
    auto c = committed.find(tp);
    if (c != committed.end() && c->second.offset >= 0) current = c->second.offset;
    if (auto e = ends.find(tp); e != ends.end()) {
      end = e->second.offset;
      if (c != committed.end() && c->second.offset >= 0)
        lag = std::max<int64_t>(0, e->second.offset - c->second.offset);
    }
    if (auto o = owner.find(tp); o != owner.end()) {
      member = o->second->member_id;
      host = o->second->client_host;
      client = o->second->client_id;
    }
    t.add({tp.topic, int64_t{tp.partition}, current, end, lag, member, host, client});
  }
  if (!ctx.json())
    fmt::print("Group {} ({} group, state {}, {} member{})\n\n", d.group_id, d.type, d.state,
               d.members.size(), d.members.size() == 1 ? "" : "s");
  t.print(std::cout, ctx.json());
  return 0;
}

int remove(context& ctx) {
  const auto groups = ctx.all("group");
  if (groups.empty()) throw usage_error("--group is required");
  ctx.admin().delete_groups(groups);
  std::string joined;
  for (const auto& g : groups) joined += fmt::format("{}{}", joined.empty() ? "" : ", ", g);
  report(ctx, fmt::format("Deleted group{} {}.", groups.size() == 1 ? "" : "s", joined),
         {{"deleted", joined}});
  return 0;
}

// "topic" or "topic:0,1,2".
std::vector<topic_partition> partitions_of(context& ctx, const std::string& arg) {
  const auto colon = arg.find(':');
  const std::string topic = arg.substr(0, colon);
  std::vector<topic_partition> out;
  if (colon != std::string::npos) {
    for (int32_t p : parse_int_list(arg.substr(colon + 1), "--topic")) out.push_back({topic, p});
    return out;
  }
  const auto described = ctx.admin().describe_topics({topic});
  for (const auto& p : described.at(0).partitions) out.push_back({topic, p.partition});
  return out;
}

int reset_offsets(context& ctx) {
  auto& a = ctx.admin();
  const std::string group = ctx.need("group");
  const int given = ctx.has("to-earliest") + ctx.has("to-latest") + ctx.has("to-offset");
  if (given != 1) throw usage_error("give one of --to-earliest, --to-latest or --to-offset N");
  const auto topics = ctx.all("topic");
  if (topics.empty()) throw usage_error("--topic is required");
  std::vector<topic_partition> partitions;
  for (const auto& t : topics)
    for (auto& tp : partitions_of(ctx, t)) partitions.push_back(std::move(tp));
  std::map<topic_partition, client::offset_spec> earliest, latest;
  for (const auto& tp : partitions) {
    earliest[tp] = client::offset_spec::earliest();
    latest[tp] = client::offset_spec::latest();
  }
  const auto lows = a.list_offsets(earliest);
  const auto highs = a.list_offsets(latest);
  std::map<topic_partition, client::offset_and_metadata> target;
  for (const auto& tp : partitions) {
    const int64_t low = lows.at(tp).offset, high = highs.at(tp).offset;
    int64_t offset = ctx.has("to-earliest") ? low : high;
    if (auto n = ctx.get_int("to-offset")) offset = std::clamp<int64_t>(*n, low, high);
    target[tp] = {offset, "", std::nullopt};
  }
  const bool dry = ctx.has("dry-run");
  if (!dry) a.alter_consumer_group_offsets(group, target);
  table t({"group", "topic", "partition", "new_offset"});
  for (const auto& [tp, o] : target) t.add({group, tp.topic, int64_t{tp.partition}, o.offset});
  if (!ctx.json())
    fmt::print("{}\n\n", dry ? "Offsets that would be committed (dry run):" : "Committed offsets:");
  t.print(std::cout, ctx.json());
  return 0;
}

}  // namespace

int groups_command(context& ctx) {
  const std::string sub = ctx.subcommand();
  if (sub == "list") return list(ctx);
  if (sub == "describe") return describe(ctx);
  if (sub == "delete") return remove(ctx);
  if (sub == "reset-offsets") return reset_offsets(ctx);
  throw usage_error(sub.empty() ? "which subcommand? list, describe, delete or reset-offsets"
                                : fmt::format("unknown subcommand '{}'", sub));
}

}  // namespace brook::cli
