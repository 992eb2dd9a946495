// The contract between the dispatcher and the per-API handlers. One Kafka API = one handler
// function in handlers/<api>.cc + one line in handler_list.cc; the version range Brook serves
// lives in that line and nowhere else, and the ApiVersions answer is computed from the list.
#pragma once

#include <asio/awaitable.hpp>

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

// Adapts a typed handler `asio::awaitable<Response> F(request_context&, Request&)` (or one that
// returns std::optional<Response>) to handler_fn. `FileBytes(const Response&)`, when given,
// tells how many bytes of the response are file ranges.
template <class Request, auto F, auto FileBytes = nullptr>
asio::awaitable<std::optional<net::response_frame>> typed_handler(request_context& ctx,
                                                                  wire::reader& r) {
  Request req = Request::decode(r, ctx.version);
  auto resp = co_await F(ctx, req);
  constexpr int16_t key = static_cast<int16_t>(Request::api_key);
  if constexpr (requires { resp.has_value(); }) {
    if (!resp) co_return std::nullopt;
    co_return encode_response(key, ctx.version, ctx.header.correlation_id, *resp);
  } else if constexpr (!std::is_null_pointer_v<decltype(FileBytes)>) {
    co_return encode_response(key, ctx.version, ctx.header.correlation_id, resp, FileBytes(resp));
  } else {
    co_return encode_response(key, ctx.version, ctx.header.correlation_id, resp);
  }
}

}  // namespace brook::broker
