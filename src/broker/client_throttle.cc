// Client quotas applied to requests (broker/quota.h has the measuring): what a request used is
// recorded on its connection's shard, and a client over its quota is held back as Kafka holds
// it back.
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

#include "broker/broker.h"
#include "broker/handler.h"

namespace brook::broker {

namespace {

using protocol::api_key;

// The first version of each API whose clients throttle themselves (KIP-219: the response goes
// out at once and the broker mutes the connection), as Kafka's responses' shouldClientThrottle
// say; older versions, and the APIs not listed, get their response delayed instead.
int16_t first_self_throttling_version(api_key key) {
  switch (key) {
    case api_key::incremental_alter_configs:
    case api_key::offset_delete:
      return 0;
    case api_key::delete_records:
    case api_key::init_producer_id:
    case api_key::add_partitions_to_txn:
    case api_key::add_offsets_to_txn:
    case api_key::end_txn:
    case api_key::txn_offset_commit:
    case api_key::describe_acls:
    case api_key::create_acls:
    case api_key::delete_acls:
    case api_key::alter_configs:
    case api_key::alter_replica_log_dirs:
    case api_key::describe_log_dirs:
    case api_key::create_partitions:
    case api_key::create_delegation_token:
    case api_key::renew_delegation_token:
    case api_key::expire_delegation_token:
    case api_key::describe_delegation_token:
    case api_key::delete_groups:
      return 1;
    case api_key::find_coordinator:
    case api_key::heartbeat:
    case api_key::leave_group:
    case api_key::sync_group:
    case api_key::describe_groups:
    case api_key::list_groups:
    case api_key::api_versions:
    case api_key::delete_topics:
    case api_key::describe_configs:
      return 2;
    case api_key::list_offsets:
    case api_key::join_group:
    case api_key::create_topics:
      return 3;
    case api_key::offset_commit:
    case api_key::offset_fetch:
      return 4;
    case api_key::produce:
    case api_key::metadata:
      return 6;
    case api_key::fetch:
      return 8;
    default:
      return -1;
  }
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int32_t record_client_quotas(request_context& ctx, std::chrono::steady_clock::time_point started,
                             size_t response_bytes, bool answered) {
  auto& state = ctx.b.local();
  const auto& quotas = state.cluster->client_quotas;
  if (quotas.empty()) return 0;
  // The user is the principal's name, whatever its type (Kafka's KafkaPrincipal.getName()).
  std::string_view user = ctx.connection.auth->principal;
  if (auto colon = user.find(':'); colon != std::string_view::npos) user.remove_prefix(colon + 1);
  const std::string_view client =
      ctx.header.client_id ? std::string_view(*ctx.header.client_id) : std::string_view();
  const auto key = static_cast<api_key>(ctx.header.request_api_key);
  const int64_t now = now_ms();
  auto& meter = state.quotas;
  int64_t throttle = 0;
  if (key == api_key::produce)
    throttle = meter.record(quotas, quota_type::produce, user, client,
                            static_cast<double>(ctx.frame->size()), now);
  else if (key == api_key::fetch)
    throttle = meter.record(quotas, quota_type::fetch, user, client,
                            static_cast<double>(response_bytes), now);
  // Request time as a percentage of one second, as Kafka counts a request handler thread's time
  // (brookd counts the handler's elapsed time but for a long poll's wait, so a wait for a
  // partition on another shard or for the disk counts). WriteTxnMarkers is a cluster action,
  // which Kafka does not throttle.
  if (answered && key != api_key::write_txn_markers) {
    const auto elapsed_ns =
        std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now() - started - ctx.idle)
                                 .count());
    const double percent = static_cast<double>(elapsed_ns) * 100.0 / 1e9;
    // Kafka caps a request-time throttle at one window.
    throttle = std::max(throttle, meter.record(quotas, quota_type::request, user, client, percent,
                                               now, meter.config().window_ms));
  }
  return static_cast<int32_t>(std::min<int64_t>(throttle, std::numeric_limits<int32_t>::max()));
}

asio::awaitable<void> hold_back(request_context& ctx, net::response_frame& frame,
                                int32_t throttle_ms) {
  const auto key = static_cast<api_key>(ctx.header.request_api_key);
  const int16_t from = first_self_throttling_version(key);
  if (from >= 0 && ctx.version >= from) {
    frame.mute_for = std::chrono::milliseconds(throttle_ms);
    co_return;
  }
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::milliseconds(throttle_ms));
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace brook::broker
