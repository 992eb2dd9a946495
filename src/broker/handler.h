// The contract between the dispatcher and the per-API handlers. One Kafka API = one handler
// function in handlers/<api>.cc + one line in handler_list.cc; the version range Brook serves
// lives in that line and nowhere else, and the ApiVersions answer is computed from the list.
#pragma once

#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "net/event.h"
#include "net/server.h"
#include "protocol/generated/api_keys.h"
#include "protocol/generated/request_header.h"
#include "protocol/generated/response_header.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace brook::broker {

class broker;

// What a handler gets besides its request. Lives for the duration of the request on the
// connection's shard.
struct request_context {
  broker& b;
  const net::connection_info& connection;
  const protocol::request_header& header;
  int16_t version;
  // The request frame, which owns the bytes that decoded fields (records) point into.
  std::shared_ptr<wire::byte_buffer> frame;
  // Set when later requests of the connection may start before this one is answered.
  net::event& dispatched;
  // Time the handler spent waiting for data to arrive (a Fetch's long poll): not handling time
  // for client quotas (request_percentage).
  std::chrono::nanoseconds idle{0};
};

// Decodes the body, handles it, and returns the encoded response frame (size prefix and header
// included), or nullopt when the request gets no answer.
using handler_fn = asio::awaitable<std::optional<net::response_frame>> (*)(request_context&,
                                                                           wire::reader&);

struct handler_spec {
  protocol::api_key key;
  int16_t min_version;
  int16_t max_version;
  handler_fn fn;
};

// Every API Brook serves, in key order.
std::span<const handler_spec> handler_list();
const handler_spec* find_handler(int16_t key);

// Encodes a response frame: size, response header (version per API and version), body.
// `file_bytes` is how much of the body are file ranges (records sent with sendfile), which the
// frame's buffer does not hold.
template <class Response>
net::response_frame encode_response(int16_t key, int16_t version, int32_t correlation_id,
                                    const Response& body, size_t file_bytes = 0) {
  protocol::response_header h;
  h.correlation_id = correlation_id;
  const int16_t hv = protocol::response_header_version(key, version);
  const size_t size = h.encoded_size(hv) + body.encoded_size(version);
  wire::writer w(4 + size - file_bytes);
  w.write_int32(static_cast<int32_t>(size));
  h.encode(w, hv);
  body.encode(w, version);
  return net::response_frame{w.take(), false, w.take_splices()};
}

// Client quotas (quota.h) on a request just handled, started at `started`: records what it used
// (Produce: its request bytes; Fetch: `response_bytes`; every API but WriteTxnMarkers: its
// handling time, less ctx.idle, unless `answered` is false) and returns the throttle time in ms (0:
// within its quotas).
int32_t record_client_quotas(request_context& ctx, std::chrono::steady_clock::time_point started,
                             size_t response_bytes, bool answered);
// Holds a throttled client back: versions of an API from KIP-219 on are answered at once and the
// connection muted for `throttle_ms`; older ones get their answer after `throttle_ms`.
asio::awaitable<void> hold_back(request_context& ctx, net::response_frame& frame,
                                int32_t throttle_ms);

// Encodes a typed response after putting the client's quota throttle time in it (for the APIs
// whose responses have one) and holding a throttled client back.
template <class Response>
asio::awaitable<net::response_frame> respond(request_context& ctx,
                                             std::chrono::steady_clock::time_point started,
                                             Response& resp, size_t file_bytes) {
  constexpr int16_t key = static_cast<int16_t>(Response::api_key);
  int32_t throttle_ms = 0;
  if constexpr (requires { resp.throttle_time_ms; }) {
    const size_t response_bytes =
        key == static_cast<int16_t>(protocol::api_key::fetch) ? resp.encoded_size(ctx.version) : 0;
    throttle_ms = record_client_quotas(ctx, started, response_bytes, true);
    if (throttle_ms > resp.throttle_time_ms) resp.throttle_time_ms = throttle_ms;
  }
  auto frame = encode_response(key, ctx.version, ctx.header.correlation_id, resp, file_bytes);
  if (throttle_ms > 0) co_await hold_back(ctx, frame, throttle_ms);
  co_return frame;
}

// Adapts a typed handler `asio::awaitable<Response> F(request_context&, Request&)` (or one that
// returns std::optional<Response>) to handler_fn. `FileBytes(const Response&)`, when given,
// tells how many bytes of the response are file ranges.
template <class Request, auto F, auto FileBytes = nullptr>
asio::awaitable<std::optional<net::response_frame>> typed_handler(request_context& ctx,
                                                                  wire::reader& r) {
  const auto started = std::chrono::steady_clock::now();
  Request req = Request::decode(r, ctx.version);
  auto resp = co_await F(ctx, req);
  if constexpr (requires { resp.has_value(); }) {
    if (!resp) {
      // No answer (Produce with acks=0): a client over its quota is only muted.
      const int32_t throttle_ms = record_client_quotas(ctx, started, 0, false);
      if (throttle_ms <= 0) co_return std::nullopt;
      net::response_frame silent;
      silent.mute_for = std::chrono::milliseconds(throttle_ms);
      co_return silent;
    }
    co_return co_await respond(ctx, started, *resp, 0);
  } else if constexpr (!std::is_null_pointer_v<decltype(FileBytes)>) {
    co_return co_await respond(ctx, started, resp, FileBytes(resp));
  } else {
    co_return co_await respond(ctx, started, resp, 0);
  }
}

}  // namespace brook::broker
