// `brook partitions`: leader elections (kafka-leader-election.sh) and partition reassignments
// (kafka-reassign-partitions.sh, one partition per --partition option) on Kafka clusters of
// several brokers. brookd, a single node, has none of these APIs: the commands end with
// UNSUPPORTED_VERSION there.
#include <fmt/format.h>

#include <iostream>

#include "cli/cli.h"

namespace brook::cli {

namespace {

using namespace client;

// --topic T with --partition N... (every partition of T when none is given).
std::vector<topic_partition> partitions_of(context& ctx) {
  const auto topics = ctx.all("topic");
  const auto numbers = ctx.all("partition");
  if (topics.size() > 1 && !numbers.empty())
    throw usage_error("--partition goes with a single --topic");
  std::vector<topic_partition> out;
  if (!numbers.empty()) {
    for (const auto& n : numbers)
      for (int32_t p : parse_int_list(n, "--partition")) out.push_back({topics.at(0), p});
    return out;
  }
  if (topics.empty()) return out;
  for (const auto& t : ctx.admin().describe_topics(topics))
    for (const auto& p : t.partitions) out.push_back({t.name, p.partition});
  return out;
}

int elect(context& ctx) {
  const std::string type = ctx.get("election-type").value_or("preferred");
  if (type != "preferred" && type != "unclean")
    throw usage_error(fmt::format("--election-type '{}' is not preferred or unclean", type));
  const auto partitions = partitions_of(ctx);
  if (partitions.empty() && !ctx.has("all-topic-partitions"))
    throw usage_error("give --topic (and --partition) or --all-topic-partitions");
  const auto outcomes = ctx.admin().elect_leaders(
      type == "preferred" ? election_type::preferred : election_type::unclean, partitions);
  table t({"topic", "partition", "result"});
  for (const auto& [tp, code] : outcomes)
    t.add({tp.topic, int64_t{tp.partition},
           code == protocol::error_code::none ? std::string("ELECTED")
                                              : std::string(protocol::error_name(code))});
  t.print(std::cout, ctx.json());
  return 0;
}

int list_reassignments(context& ctx) {
  std::optional<std::vector<topic_partition>> which;
  if (ctx.has("topic")) which = partitions_of(ctx);
  table t({"topic", "partition", "replicas", "adding", "removing"});
  for (const auto& [tp, r] : ctx.admin().list_partition_reassignments(which))
    t.add({tp.topic, int64_t{tp.partition}, r.replicas, r.adding_replicas, r.removing_replicas});
  t.print(std::cout, ctx.json());
  return 0;
}

int reassign(context& ctx, bool cancel) {
  const auto partitions = partitions_of(ctx);
  if (partitions.empty()) throw usage_error("--topic is required");
  std::optional<std::vector<int32_t>> replicas;
  if (!cancel) replicas = parse_int_list(ctx.need("replicas"), "--replicas");
  std::map<topic_partition, std::optional<std::vector<int32_t>>> changes;
  for (const auto& tp : partitions) changes[tp] = replicas;
  ctx.admin().alter_partition_reassignments(changes);
  report(ctx,
         fmt::format("{} the reassignment of {} partition{}.", cancel ? "Cancelled" : "Started",
                     partitions.size(), partitions.size() == 1 ? "" : "s"),
         {{"partitions", static_cast<int64_t>(partitions.size())}, {"cancelled", cancel}});
  return 0;
}

}  // namespace

int partitions_command(context& ctx) {
  const std::string sub = ctx.subcommand();
  if (sub == "elect-leaders") return elect(ctx);
  if (sub == "list-reassignments") return list_reassignments(ctx);
  if (sub == "reassign") return reassign(ctx, false);
  if (sub == "cancel-reassignment") return reassign(ctx, true);
  throw usage_error(
      sub.empty()
          ? "which subcommand? elect-leaders, list-reassignments, reassign or cancel-reassignment"
          : fmt::format("unknown subcommand '{}'", sub));
}

}  // namespace brook::cli
