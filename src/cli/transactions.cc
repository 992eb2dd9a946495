// `brook transactions`: what kafka-transactions.sh shows and does — the transactions of every
// coordinator, one transaction's state and partitions, the producers a partition's leader knows
// (with their open transactions), and aborting a hanging transaction on one partition.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <iostream>
#include <stdexcept>

#include "cli/cli.h"

namespace brook::cli {

namespace {

using namespace client;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

cell optional_cell(const std::optional<int64_t>& v) {
  return v ? cell(*v) : cell(std::monostate{});
}

topic_partition partition_of(context& ctx) {
  const auto p = ctx.get_int("partition");
  if (!p) throw usage_error("--partition is required");
  return {ctx.need("topic"), static_cast<int32_t>(*p)};
}

int list(context& ctx) {
  list_transactions_options o;
  o.states = ctx.all("state");
  for (const auto& id : ctx.all("producer-id")) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
    if (id.empty() || ec != std::errc() || end != id.data() + id.size())
      throw usage_error(fmt::format("--producer-id: '{}' is not a number", id));
    o.producer_ids.push_back(v);
  }
  o.duration_ms = ctx.get_int("duration-ms").value_or(-1);
  o.transactional_id_pattern = ctx.get("transactional-id-pattern");
  table t({"transactional_id", "coordinator", "producer_id", "state"});
  for (const auto& l : ctx.admin().list_transactions(o))
    t.add({l.transactional_id, int64_t{l.coordinator}, l.producer_id, l.state});
  t.print(std::cout, ctx.json());
  return 0;
}

int describe(context& ctx) {
  const auto ids = ctx.all("transactional-id");
  if (ids.empty()) throw usage_error("--transactional-id is required");
  table t({"transactional_id", "coordinator", "producer_id", "producer_epoch", "state",
           "timeout_ms", "start_time_ms", "duration_ms", "partitions"});
  const int64_t now = now_ms();
  for (const auto& d : ctx.admin().describe_transactions(ids)) {
    std::string partitions;
    for (const auto& tp : d.partitions)
      partitions += fmt::format("{}{}", partitions.empty() ? "" : ",", tp.to_string());
    std::optional<int64_t> duration;
    if (d.transaction_start_time_ms) duration = now - *d.transaction_start_time_ms;
    t.add({d.transactional_id, int64_t{d.coordinator}, d.producer_id, int64_t{d.producer_epoch},
           d.state, int64_t{d.transaction_timeout_ms}, optional_cell(d.transaction_start_time_ms),
           optional_cell(duration), partitions});
  }
  t.print(std::cout, ctx.json());
  return 0;
}

int describe_producers(context& ctx) {
  const auto tp = partition_of(ctx);
  table t({"producer_id", "producer_epoch", "last_sequence", "last_timestamp", "coordinator_epoch",
           "current_transaction_start_offset"});
  const auto producers = ctx.admin().describe_producers({tp});
  for (const auto& p : producers.at(tp)) {
    std::optional<int64_t> coordinator_epoch;
    if (p.coordinator_epoch) coordinator_epoch = *p.coordinator_epoch;
    t.add({p.producer_id, int64_t{p.producer_epoch}, int64_t{p.last_sequence}, p.last_timestamp,
           optional_cell(coordinator_epoch), optional_cell(p.current_transaction_start_offset)});
  }
  t.print(std::cout, ctx.json());
  return 0;
}

// With --start-offset, the producer comes from describe_producers (the one whose open
// transaction starts there), as kafka-transactions.sh does; else from --producer-id,
// --producer-epoch and --coordinator-epoch.
int abort(context& ctx) {
  abort_transaction_spec spec;
  spec.partition = partition_of(ctx);
  auto& a = ctx.admin();
  if (auto start = ctx.get_int("start-offset")) {
    if (ctx.has("producer-id")) throw usage_error("give --start-offset or --producer-id, not both");
    const auto producers = a.describe_producers({spec.partition})[spec.partition];
    const producer_state* found = nullptr;
    for (const auto& p : producers)
      if (p.current_transaction_start_offset == *start) found = &p;
    if (!found)
      throw std::runtime_error(fmt::format("no open transaction starts at offset {} of {}", *start,
                                           spec.partition.to_string()));
    spec.producer_id = found->producer_id;
    spec.producer_epoch = static_cast<int16_t>(found->producer_epoch);
    spec.coordinator_epoch = found->coordinator_epoch.value_or(0);
  } else {
    const auto id = ctx.get_int("producer-id");
    const auto epoch = ctx.get_int("producer-epoch");
    const auto coordinator_epoch = ctx.get_int("coordinator-epoch");
    if (!id || !epoch || !coordinator_epoch)
      throw usage_error(
          "give --start-offset, or --producer-id, --producer-epoch and --coordinator-epoch");
    spec.producer_id = *id;
    spec.producer_epoch = static_cast<int16_t>(*epoch);
    spec.coordinator_epoch = static_cast<int32_t>(*coordinator_epoch);
  }
  a.abort_transaction(spec);
  report(ctx,
         fmt::format("Aborted the transaction of producer {} (epoch {}) on {}.", spec.producer_id,
                     spec.producer_epoch, spec.partition.to_string()),
         {{"topic", spec.partition.topic},
          {"partition", int64_t{spec.partition.partition}},
          {"producer_id", spec.producer_id},
          {"producer_epoch", int64_t{spec.producer_epoch}},
          {"coordinator_epoch", int64_t{spec.coordinator_epoch}}});
  return 0;
}

}  // namespace

int transactions_command(context& ctx) {
  const std::string sub = ctx.subcommand();
  if (sub == "list") return list(ctx);
  if (sub == "describe") return describe(ctx);
  if (sub == "describe-producers") return describe_producers(ctx);
  if (sub == "abort") return abort(ctx);
  throw usage_error(sub.empty() ? "which subcommand? list, describe, describe-producers or abort"
                                : fmt::format("unknown subcommand '{}'", sub));
}

}  // namespace brook::cli
