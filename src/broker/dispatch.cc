#include "broker/dispatch.h"

#include <fmt/format.h>

#include <chrono>

#include "broker/broker.h"
#include "broker/handler.h"
#include "broker/handlers/handlers.h"
#include "protocol/request.h"

namespace brook::broker {

namespace {
// Thrown to close a connection; the server logs the message.
class close_connection : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Before SASL authentication only ApiVersions and SASL's own requests are served; once an
// authenticated session has expired (connections.max.reauth.ms, a token's expiry) only a
// re-authentication is. Anything else closes the connection, as Kafka does.
void check_authenticated(const net::connection_info& conn, int16_t key, const char* name) {
  const auto k = static_cast<protocol::api_key>(key);
  if (k == protocol::api_key::sasl_handshake || k == protocol::api_key::sasl_authenticate) return;
  const auto& auth = *conn.auth;
  if (!auth.authenticated) {
    if (k == protocol::api_key::api_versions) return;
    throw close_connection(
        fmt::format("request {} (key {}) before SASL authentication ended", name, key));
  }
  if (auth.expires_at_ms > 0 && std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now().time_since_epoch())
                                        .count() > auth.expires_at_ms)
    throw close_connection(fmt::format(
        "the session of {} expired without re-authentication (request {})", auth.principal, name));
}

asio::awaitable<std::optional<net::response_frame>> dispatch(
    broker& b, const net::connection_info& conn, std::shared_ptr<wire::byte_buffer> frame,
    net::event& dispatched) {
  if (handlers::expects_raw_sasl_token(conn)) co_return handlers::raw_sasl_token(b, conn, *frame);
  wire::reader r(*frame, frame);
  protocol::decoded_request_header h;
  try {
    h = protocol::decode_request_header(r);
  } catch (const wire::decode_error& e) {
    throw close_connection(fmt::format("unreadable request header: {}", e.what()));
  }
  const int16_t key = h.header.request_api_key;
  const int16_t version = h.header.request_api_version;
  const handler_spec* spec = find_handler(key);
  const auto* info = protocol::find_api(key);
  const char* name = info ? info->name.data() : "unknown";
  if (spec && key == static_cast<int16_t>(protocol::api_key::api_versions) &&
      version > spec->max_version)
    co_return handlers::api_versions_unsupported(h.header.correlation_id);
  if (!spec || version < spec->min_version || version > spec->max_version)
    throw close_connection(
        fmt::format("request {} (key {}) version {} from client '{}' is not served by this broker",
                    name, key, version, h.header.client_id.value_or("")));
  check_authenticated(conn, key, name);
  request_context ctx{b, conn, h.header, version, frame, dispatched};
  try {
    co_return co_await spec->fn(ctx, r);
  } catch (const wire::decode_error& e) {
    throw close_connection(fmt::format("malformed {} v{} request from client '{}': {}", name,
                                       version, h.header.client_id.value_or(""), e.what()));
  }
}

}  // namespace

net::frame_handler make_dispatcher(broker& b) {
  return [&b](const net::connection_info& conn, std::shared_ptr<wire::byte_buffer> frame,
              net::event& dispatched) { return dispatch(b, conn, std::move(frame), dispatched); };
}

}  // namespace brook::broker
