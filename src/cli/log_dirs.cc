// `brook log-dirs describe`: each broker's log dirs (error, volume size and free space) and the
// partitions in them with their sizes, as kafka-log-dirs.sh --describe shows them.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "cli/cli.h"

namespace brook::cli {

namespace {

using namespace client;

cell optional_cell(const std::optional<int64_t>& v) {
  return v ? cell(*v) : cell(std::monostate{});
}

int describe(context& ctx) {
  std::vector<int32_t> brokers;
  for (const auto& b : ctx.all("broker")) {
    const auto ids = parse_int_list(b, "--broker");
    brokers.insert(brokers.end(), ids.begin(), ids.end());
  }
  const auto topics = ctx.all("topic");
  const auto wanted = [&](const std::string& topic) {
    return topics.empty() || std::find(topics.begin(), topics.end(), topic) != topics.end();
  };
  const auto described = ctx.admin().describe_log_dirs(brokers);
  table dirs({"broker", "dir", "error", "total_bytes", "usable_bytes", "partitions", "size"});
  table replicas({"broker", "dir", "topic", "partition", "size", "offset_lag", "future"});
  for (const auto& [broker, by_path] : described) {
    for (const auto& [path, d] : by_path) {
      int64_t count = 0, size = 0;
      for (const auto& [tp, r] : d.replicas) {
        if (!wanted(tp.topic)) continue;
        ++count;
        size += r.size;
        replicas.add({int64_t{broker}, path, tp.topic, int64_t{tp.partition}, r.size, r.offset_lag,
                      r.is_future});
      }
      dirs.add({int64_t{broker}, path,
                d.error == protocol::error_code::none
                    ? cell(std::monostate{})
                    : cell(std::string(protocol::error_name(d.error))),
                optional_cell(d.total_bytes), optional_cell(d.usable_bytes), count, size});
    }
  }
  if (ctx.json()) {
    fmt::print("{{\"dirs\":{},\"replicas\":{}}}\n", dirs.to_json(), replicas.to_json());
    return 0;
  }
  dirs.print(std::cout, false);
  if (replicas.size() > 0) {
    std::cout << "\n";
    replicas.print(std::cout, false);
  }
  return 0;
}

}  // namespace

int log_dirs_command(context& ctx) {
  const std::string sub = ctx.subcommand();
  if (sub == "describe") return describe(ctx);
  throw usage_error(sub.empty() ? "which subcommand? describe"
                                : fmt::format("unknown subcommand '{}'", sub));
}

}  // namespace brook::cli
