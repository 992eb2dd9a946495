// ListOffsets: earliest (-2), latest (-1), max timestamp (-3, KIP-734), earliest local (-4),
// latest tiered (-5, no tiered storage: none), or the first offset at or after a timestamp.
// With isolation_level 1 (read_committed) latest is the last stable offset, and an offset found
// by timestamp (or max timestamp) at or past it is not given, as Kafka answers.
#include "base/clock.h"
#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
using resp_t = protocol::list_offsets_response;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

struct found {
  int16_t error = 0;
  int64_t offset = -1;
  int64_t timestamp = -1;
  int32_t epoch = -1;
};
}  // namespace

asio::awaitable<resp_t> list_offsets(request_context& ctx, protocol::list_offsets_request& req) {
  resp_t r;
  const int16_t v = ctx.version;
  auto cluster = ctx.b.local().cluster;
  for (const auto& t : req.topics) {
    auto& tout = r.topics.emplace_back();
    tout.name = t.name;
    const topic_info* info = cluster->find(t.name);
    const bool may_describe = authorize(ctx, acl_operation::describe, resource_type::topic, t.name);
    for (const auto& p : t.partitions) {
      auto& out = tout.partitions.emplace_back();
      out.partition_index = p.partition_index;
      if (!may_describe) {
        out.error_code = code(error_code::topic_authorization_failed);
        continue;
      }
      if (!has_partition(info, p.partition_index)) {
        out.error_code = code(error_code::unknown_topic_or_partition);
        continue;
      }
      // Deliberately unlike Kafka, which fails an unknown isolation level with
      // UNKNOWN_SERVER_ERROR: the request is invalid, and the answer says so.
      if (req.isolation_level != 0 && req.isolation_level != 1) {
        out.error_code = code(error_code::invalid_request);
        continue;
      }
      // The special timestamps came with versions: max timestamp (-3) with v7, earliest local
      // (-4) with v8, latest tiered (-5) with v9, earliest pending upload (-6) with v11; older
      // requests asking for them are refused.
      const int16_t needs = p.timestamp == -3   ? 7
                            : p.timestamp == -4 ? 8
                            : p.timestamp == -5 ? 9
                            : p.timestamp == -6 ? 11
                                                : 0;
      if (v < needs) {
        out.error_code = code(error_code::unsupported_version);
        continue;
      }
      if (v == 0) {
        // Kafka's legacy answer: segment start offsets by file time, at most max_num_offsets,
        // and for a consumer none above the high watermark.
        auto legacy = co_await ctx.b.on_partition(
            info->id, p.partition_index,
            [ts = p.timestamp, n = p.max_num_offsets,
             consumer = req.replica_id < 0](partition& part) {
              auto offsets = part.log().legacy_offsets_before(ts, n, wall_clock_ms());
              const int64_t hw = part.high_watermark();
              if (consumer &&
                  std::any_of(offsets.begin(), offsets.end(), [hw](int64_t o) { return o > hw; })) {
                std::erase_if(offsets, [hw](int64_t o) { return o > hw; });
                offsets.insert(offsets.begin(), hw);
              }
              return offsets;
            });
        if (legacy)
          out.old_style_offsets = std::move(*legacy);
        else
          out.error_code = code(error_code::unknown_topic_or_partition);
        continue;
      }
      auto looked = co_await ctx.b.on_partition(
          info->id, p.partition_index,
          [ts = p.timestamp, current = p.current_leader_epoch,
           committed = req.isolation_level == 1](partition& part) {
            found f;
            if ((f.error = check_leader_epoch(current, part.leader_epoch()))) return f;
            f.epoch = part.leader_epoch();
            const int64_t last_fetchable =
                committed ? part.last_stable_offset() : part.high_watermark();
            if (ts == -1) {
              f.offset = last_fetchable;
            } else if (ts == -2 || ts == -4) {
              f.offset = part.log_start_offset();
            } else if (ts == -3) {
              auto m = part.log().max_timestamp();
              if (m) {
                f.timestamp = m->timestamp;
                f.offset = m->offset;
              }
            } else if (ts == -5 || ts == -6) {
              // No tiered storage: no offset, and no epoch either.
              f.offset = -1;
              f.epoch = -1;
            } else if (ts < 0) {
              f.error = code(error_code::invalid_request);
            } else {
              auto m = part.log().offset_for_timestamp(ts);
              if (!m) {
                f.error = code(error_code::kafka_storage_error);
              } else if (*m) {
                f.timestamp = (*m)->timestamp;
                f.offset = (*m)->offset;
              } else {
                f.epoch = -1;
              }
            }
            if ((ts >= 0 || ts == -3) && f.offset >= last_fetchable) {
              // Not readable yet at this isolation level.
              f.offset = -1;
              f.timestamp = -1;
              f.epoch = -1;
            }
            return f;
          });
      found f;
      if (looked)
        f = *looked;
      else
        f.error = code(error_code::unknown_topic_or_partition);
      out.error_code = f.error;
      out.offset = f.offset;
      out.timestamp = f.timestamp;
      if (v >= 4) out.leader_epoch = f.epoch;
    }
  }
  co_return r;
}

}  // namespace brook::broker::handlers
