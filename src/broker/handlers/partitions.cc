// CreatePartitions, DeleteRecords, OffsetForLeaderEpoch and DescribeLogDirs.
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <set>

#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }
}  // namespace

int16_t check_leader_epoch(int32_t current, int32_t leader_epoch) {
  if (current == -1 || current == leader_epoch) return 0;
  return code(current < leader_epoch ? error_code::fenced_leader_epoch
                                     : error_code::unknown_leader_epoch);
}

std::optional<std::string> check_manual_assignment(const std::vector<int32_t>& replicas,
                                                   int32_t node_id,
                                                   std::optional<size_t> replication_factor) {
  // Kafka's checks and messages (the KRaft controller's), in its order.
  if (replicas.empty()) return "The manual partition assignment includes an empty replica list.";
  std::set<int32_t> seen;
  for (int32_t id : replicas) {
    if (!seen.insert(id).second)
      return fmt::format("The manual partition assignment includes the broker {} more than once.",
                         id);
    if (id != node_id)
      return fmt::format(
          "The manual partition assignment includes broker {}, but no such broker is registered.",
          id);
  }
  if (replication_factor && replicas.size() != *replication_factor)
    return fmt::format(
        "The manual partition assignment includes a partition with {} replica(s), but this is not "
        "consistent with previous partitions, which have {} replica(s).",
        replicas.size(), *replication_factor);
  return std::nullopt;
}

asio::awaitable<protocol::create_partitions_response> create_partitions(
    request_context& ctx, protocol::create_partitions_request& req) {
  protocol::create_partitions_response r;
  std::map<std::string, int> seen;
  for (const auto& t : req.topics) ++seen[t.name];
  for (const auto& t : req.topics) {
    auto& out = r.results.emplace_back();
    out.name = t.name;
    auto fail = [&](error_code e, std::optional<std::string> message) {
      out.error_code = code(e);
      out.error_message = std::move(message);
    };
    if (seen[t.name] > 1) {
      fail(error_code::invalid_request, "Duplicate topic name.");
      continue;
    }
    if (!authorize(ctx, acl_operation::alter, resource_type::topic, t.name)) {
      fail(error_code::topic_authorization_failed, std::nullopt);
      continue;
    }
    const topic_info* info = ctx.b.local().cluster->find(t.name);
    if (info && t.assignments && !t.assignments->empty()) {
      if (t.count > info->partitions &&
          t.assignments->size() != static_cast<size_t>(t.count - info->partitions)) {
        fail(error_code::invalid_replica_assignment,
             fmt::format("Attempted to add {} additional partition(s), but only {} assignment(s) "
                         "were specified.",
                         t.count - info->partitions, t.assignments->size()));
        continue;
      }
      std::optional<std::string> refused;
      for (const auto& a : *t.assignments)
        if (!refused) refused = check_manual_assignment(a.broker_ids, ctx.b.node_id(), 1);
      if (refused) {
        fail(error_code::invalid_replica_assignment, std::move(*refused));
        continue;
      }
    }
    std::string name = t.name;
    auto result = co_await ctx.b.add_partitions(name, t.count, req.validate_only);
    if (result.error_code != 0)
      fail(static_cast<error_code>(result.error_code),
           result.message.empty() ? std::nullopt : std::optional<std::string>(result.message));
  }
  co_return r;
}

asio::awaitable<protocol::delete_records_response> delete_records(
    request_context& ctx, protocol::delete_records_request& req) {
  protocol::delete_records_response r;
  auto cluster = ctx.b.local().cluster;
  for (const auto& t : req.topics) {
    auto& tout = r.topics.emplace_back();
    tout.name = t.name;
    const topic_info* info = cluster->find(t.name);
    const bool may_delete = authorize(ctx, acl_operation::remove, resource_type::topic, t.name);
    for (const auto& p : t.partitions) {
      auto& out = tout.partitions.emplace_back();
      out.partition_index = p.partition_index;
      out.low_watermark = -1;
      if (!may_delete) {
        out.error_code = code(error_code::topic_authorization_failed);
        continue;
      }
      if (!has_partition(info, p.partition_index)) {
        out.error_code = code(error_code::unknown_topic_or_partition);
        continue;
      }
      auto outcome = co_await ctx.b.on_partition(
          info->id, p.partition_index,
          [offset = p.offset](partition& part) -> std::pair<int16_t, int64_t> {
            // -1: up to the high watermark (Kafka's DeleteRecordsRequest.HIGH_WATERMARK).
            const int64_t target = offset == -1 ? part.high_watermark() : offset;
            if (target < 0 || target > part.high_watermark())
              return {code(error_code::offset_out_of_range), -1};
            if (target > part.log_start_offset()) {
              if (auto d = part.log().delete_records_before(target); !d)
                return {code(error_code::kafka_storage_error), -1};
            }
            return {0, part.log_start_offset()};
          });
      if (!outcome) outcome.emplace(code(error_code::unknown_topic_or_partition), -1);
      out.error_code = outcome->first;
      out.low_watermark = outcome->second;
    }
  }
  co_return r;
}

asio::awaitable<protocol::offset_for_leader_epoch_response> offset_for_leader_epoch(
    request_context& ctx, protocol::offset_for_leader_epoch_request& req) {
  protocol::offset_for_leader_epoch_response r;
  auto cluster = ctx.b.local().cluster;
  // Followers use it with CLUSTER_ACTION; consumers (KIP-320) with DESCRIBE on the topic.
  const bool cluster_action = authorize_cluster(ctx, acl_operation::cluster_action);
  for (const auto& t : req.topics) {
    auto& tout = r.topics.emplace_back();
    tout.topic = t.topic;
    const topic_info* info = cluster->find(t.topic);
    const bool allowed =
        cluster_action || authorize(ctx, acl_operation::describe, resource_type::topic, t.topic);
    for (const auto& p : t.partitions) {
      auto& out = tout.partitions.emplace_back();
      out.partition = p.partition;
      if (!allowed) {
        out.error_code = code(error_code::topic_authorization_failed);
        continue;
      }
      if (!has_partition(info, p.partition)) {
        out.error_code = code(error_code::unknown_topic_or_partition);
        continue;
      }
      auto answer = co_await ctx.b.on_partition(
          info->id, p.partition,
          [index = p.partition, current = p.current_leader_epoch,
           epoch = p.leader_epoch](partition& part) {
            protocol::offset_for_leader_epoch_response::epoch_end_offset e;
            e.partition = index;
            if ((e.error_code = check_leader_epoch(current, part.leader_epoch()))) return e;
            // Kafka's LeaderEpochFileCache.endOffsetFor: undefined for -1 and for an epoch above
            // the latest; the latest ends at the log end; an older one at the start of the next;
            // one below the first at the first's start.
            const int32_t latest = part.log().latest_epoch();
            if (epoch == -1) return e;
            if (latest == -1 || epoch > latest) return e;
            if (auto found = part.log().end_offset_for_epoch(epoch)) {
              e.leader_epoch = found->first;
              e.end_offset = std::min(found->second, part.high_watermark());
            } else {
              e.leader_epoch = epoch;
              e.end_offset = part.log_start_offset();
            }
            return e;
          });
      if (!answer) {
        answer.emplace();
        answer->partition = p.partition;
        answer->error_code = code(error_code::unknown_topic_or_partition);
      }
      out = *answer;
      if (ctx.version == 0) out.leader_epoch = -1;  // v1+
    }
  }
  co_return r;
}

asio::awaitable<protocol::describe_log_dirs_response> describe_log_dirs(
    request_context& ctx, protocol::describe_log_dirs_request& req) {
  protocol::describe_log_dirs_response r;
  if (!authorize_cluster(ctx, acl_operation::describe)) {
    r.error_code = code(error_code::cluster_authorization_failed);
    co_return r;
  }
  auto cluster = ctx.b.local().cluster;
  // Wanted partitions by topic name; every partition when the request names none (null).
  std::map<std::string, std::set<int32_t>> wanted;
  if (req.topics)
    for (const auto& t : *req.topics)
      wanted[t.topic].insert(t.partitions.begin(), t.partitions.end());
  struct part_size {
    std::string topic;
    int32_t index = 0;
    int64_t size = 0;
  };
  std::vector<part_size> sizes;
  for (net::shard_id s = 0; s < ctx.b.shards().size(); ++s) {
    auto found = co_await net::run_on(ctx.b.shards().context(s), [&b = ctx.b] {
      std::vector<part_size> out;
      for (auto& [key, p] : b.local().partitions)
        out.push_back({p->topic(), p->index(), p->log().size_bytes()});
      return out;
    });
    sizes.insert(sizes.end(), found.begin(), found.end());
  }
  std::map<std::string, std::map<int32_t, int64_t>> by_topic;
  for (const auto& p : sizes) {
    if (!cluster->find(p.topic)) continue;
    if (req.topics) {
      auto it = wanted.find(p.topic);
      if (it == wanted.end() || !it->second.contains(p.index)) continue;
    }
    by_topic[p.topic][p.index] = p.size;
  }
  auto& dir = r.results.emplace_back();
  std::error_code ec;
  auto path = std::filesystem::absolute(ctx.b.options().log_dir, ec);
  dir.log_dir = (ec ? ctx.b.options().log_dir : path.lexically_normal()).string();
  if (dir.log_dir.size() > 1 && dir.log_dir.back() == '/') dir.log_dir.pop_back();
  for (const auto& [name, parts] : by_topic) {
    auto& t = dir.topics.emplace_back();
    t.name = name;
    for (const auto& [index, size] : parts) {
      auto& p = t.partitions.emplace_back();
      p.partition_index = index;
      p.partition_size = size;
      p.offset_lag = 0;
      p.is_future_key = false;
    }
  }
  auto space = std::filesystem::space(ctx.b.options().log_dir, ec);
  if (!ec && ctx.version >= 4) {
    dir.total_bytes = static_cast<int64_t>(space.capacity);
    dir.usable_bytes = static_cast<int64_t>(space.available);
  }
  co_return r;
}

}  // namespace brook::broker::handlers
