// WriteTxnMarkers: the transaction coordinator asks the partitions' leader to end a producer's
// transaction with a COMMIT or ABORT marker in each partition named. Each marker is appended on
// its partition's shard (partition::append_marker) and answered per partition: unknown
// partitions with UNKNOWN_TOPIC_OR_PARTITION, a marker from an older producer epoch with
// INVALID_PRODUCER_EPOCH, one from an older coordinator epoch with TRANSACTION_COORDINATOR_FENCED.
//
// Kafka authorizes the request as ClusterAction; without an authorizer every request passes.
// A marker written to a partition of __consumer_offsets also ends the producer's transactional
// offset commits there in the group coordinator of that partition (on the same shard), as Kafka's
// onTransactionCompleted: a COMMIT makes them the group's offsets, an ABORT drops them, and either
// way OffsetFetch with require_stable stops answering UNSTABLE_OFFSET_COMMIT for them. This matters
// for `kafka-transactions abort` on a __consumer_offsets partition, whose marker the transaction
// coordinator never sends.
#include "base/clock.h"
#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }
}  // namespace

asio::awaitable<protocol::write_txn_markers_response> write_txn_markers(
    request_context& ctx, protocol::write_txn_markers_request& req) {
  protocol::write_txn_markers_response r;
  auto cluster = ctx.b.local().cluster;
  // Brokers (CLUSTER_ACTION) and administrators aborting a transaction (ALTER on the cluster)
  // write markers; anyone else gets the error on every partition.
  const bool allowed = authorize_cluster(ctx, acl_operation::alter) ||
                       authorize_cluster(ctx, acl_operation::cluster_action);
  for (const auto& m : req.markers) {
    auto& mout = r.markers.emplace_back();
    mout.producer_id = m.producer_id;
    for (const auto& t : m.topics) {
      auto& tout = mout.topics.emplace_back();
      tout.name = t.name;
      const topic_info* info = cluster->find(t.name);
      const bool offsets = t.name == k_offsets_topic_name;
      for (int32_t index : t.partition_indexes) {
        auto& out = tout.partitions.emplace_back();
        out.partition_index = index;
        if (!allowed) {
          out.error_code = code(error_code::cluster_authorization_failed);
          continue;
        }
        if (!has_partition(info, index)) {
          out.error_code = code(error_code::unknown_topic_or_partition);
          continue;
        }
        auto written = co_await ctx.b.on_partition(
            info->id, index,
            [pid = m.producer_id, epoch = m.producer_epoch, commit = m.transaction_result,
             coordinator_epoch = m.coordinator_epoch, version = m.transaction_version, offsets,
             index, &b = ctx.b](partition& part) {
              const int16_t e = part.append_marker(pid, epoch, commit, coordinator_epoch, version,
                                                   wall_clock_ms());
              if (e == 0 && offsets) b.local().groups->complete_txn(index, pid, commit);
              return e;
            });
        out.error_code = written ? *written : code(error_code::unknown_topic_or_partition);
      }
    }
  }
  co_return r;
}

}  // namespace brook::broker::handlers
