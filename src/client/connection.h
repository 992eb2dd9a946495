// One connection from the client to one broker: Kafka framing, pipelined requests matched to their
// responses by correlation id, and the API versions both sides support (ApiVersions, asked first
// on every connection).
//
// Ownership and threads: a connection lives on its client's I/O thread (see cluster.h) and is used
// only there. It is shared (std::shared_ptr) by the coroutines waiting on it; close() fails every
// waiting call with NETWORK_EXCEPTION and the read and write loops end on their own once the
// socket is closed. Requests go out in the order call() is entered; any number may wait at once.
//
// Re-authentication (KIP-368): when the authenticate hook reports a session lifetime
// (expire_session_after), the connection runs the hook again at 85-95% of it, as Kafka's Java
// client does: new requests are held back, those in flight are answered, the hook runs (its SASL
// requests pass), then the held-back requests go out. The socket stays; nothing in flight is lost.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "client/errors.h"
#include "protocol/generated/api_keys.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace brook::client {

struct broker_address {
  std::string host;
  uint16_t port = 0;
  // -1 for a bootstrap address whose node is not known yet.
  int32_t node_id = -1;
  std::string to_string() const;
  bool operator==(const broker_address&) const = default;
};

// Parses "host:port" ("[v6]:port" too); throws config_error.
broker_address parse_broker_address(std::string_view text);

struct connection_options {
  std::string client_id = "brook";
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
  // Largest response frame accepted; a larger size prefix closes the connection.
  size_t max_response_bytes = 256u << 20;
  // TLS (SSL and SASL_SSL): a client context, and whether to check the broker's host name.
  std::shared_ptr<asio::ssl::context> tls;
  bool verify_host_name = true;
  // Runs after ApiVersions and before the connection is handed out: SASL, when configured.
  std::function<asio::awaitable<void>(class connection&)> authenticate;
};

// A response body, with the buffer it was read into (records in it share that buffer).
// The buffer is not zero-filled before the socket fills it (fetch responses run to megabytes).
struct response_body {
  std::shared_ptr<uint8_t[]> buffer;
  size_t size = 0;
  // Where the body starts in `buffer` (after the response header).
  size_t offset = 0;
  wire::reader reader() const {
    if (!buffer) return wire::reader({});
    return wire::reader(std::span<const uint8_t>(buffer.get() + offset, size - offset), buffer);
  }
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  // Connects (TLS handshake included), negotiates versions and authenticates. Throws kafka_error:
  // NETWORK_EXCEPTION when the broker cannot be reached, REQUEST_TIMED_OUT after connect_timeout.
  static asio::awaitable<std::shared_ptr<connection>> open(broker_address address,
                                                           connection_options options);

  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  const broker_address& address() const { return _address; }
  void set_node_id(int32_t id) { _address.node_id = id; }
  bool is_open() const { return _open; }
  // Closes the socket; waiting calls fail with NETWORK_EXCEPTION.
  void close();

  // The version to speak for `key`: the highest that the broker, Brook's codec and [lo, hi] all
  // allow, never a version Kafka marks unstable; -1 when there is none.
  int16_t version_for(protocol::api_key key, int16_t hi = INT16_MAX, int16_t lo = 0) const;
  // Like version_for, but throws kafka_error(UNSUPPORTED_VERSION) when there is none.
  int16_t require_version(protocol::api_key key, int16_t hi = INT16_MAX, int16_t lo = 0) const;

  // The cluster's finalized feature levels as the broker reported them in ApiVersions (v3+):
  // name -> max version level (e.g. "transaction.version" -> 2). Empty when the broker reports
  // none (older brokers, or a feature at level 0).
  const std::map<std::string, int16_t, std::less<>>& finalized_features() const {
    return _finalized_features;
  }
  // The level of one finalized feature, 0 when it is not finalized.
  int16_t finalized_feature(std::string_view name) const;
  // The epoch of those features (-1 when the broker gave none); higher is newer.
  int64_t finalized_features_epoch() const { return _finalized_features_epoch; }

  // Sends a request body written by `encode` and returns the response body (header read and
  // dropped). With expect_response false (Produce with acks=0) it returns once the frame is
  // queued, with an empty body. Throws kafka_error: REQUEST_TIMED_OUT after request_timeout,
  // NETWORK_EXCEPTION when the connection breaks.
  // `size_hint`, the body's encoded size when known, sizes the frame once (a Produce request of
  // megabytes would otherwise be copied as the buffer grows).
  asio::awaitable<response_body> roundtrip(protocol::api_key key, int16_t version,
                                           const std::function<void(wire::writer&)>& encode,
                                           bool expect_response = true,
                                           std::chrono::milliseconds extra_timeout = {},
                                           size_t size_hint = 0);

  // Typed form: encodes `request` at `version` and decodes the response as Response.
  template <class Response, class Request>
  asio::awaitable<Response> call(const Request& request, int16_t version,
                                 std::chrono::milliseconds extra_timeout = {}) {
    response_body body = co_await roundtrip(
        static_cast<protocol::api_key>(Request::api_key), version,
        [&](wire::writer& w) { request.encode(w, version); }, true, extra_timeout,
        request.encoded_size(version));
    wire::reader r = body.reader();
    co_return Response::decode(r, version);
  }

  const connection_options& options() const { return _options; }

  // For the authenticate hook: the broker ends the session after `lifetime`; the connection runs
  // the hook again before then (see the file comment). Each successful run may call it again.
  void expire_session_after(std::chrono::milliseconds lifetime);
  // How many times the authenticate hook has completed on this connection (1 after open()).
  int authentications() const { return _authentications; }

 private:
  struct pending;
  using plain_socket = asio::ip::tcp::socket;
  using tls_socket = asio::ssl::stream<asio::ip::tcp::socket>;

  connection(asio::any_io_executor ex, broker_address address, connection_options options);
  asio::awaitable<void> connect();
  asio::awaitable<void> negotiate_versions();
  asio::awaitable<void> read_loop(std::shared_ptr<connection> self);
  asio::awaitable<void> write_loop(std::shared_ptr<connection> self);
  void fail_all(const std::string& why, protocol::error_code code);
  plain_socket& tcp();
  asio::awaitable<void> reauthenticate_loop(std::shared_ptr<connection> self);

  asio::any_io_executor _executor;
  broker_address _address;
  connection_options _options;
  std::unique_ptr<plain_socket> _plain;
  std::unique_ptr<tls_socket> _tls;
  bool _open = false;
  bool _writing = false;
  int32_t _next_correlation_id = 1;
  std::deque<wire::byte_buffer> _outgoing;
  std::map<int32_t, std::shared_ptr<pending>> _pending;
  // Per API key, the broker's [min, max]; {-1, -1} when it lacks the API.
  std::vector<std::pair<int16_t, int16_t>> _broker_versions;
  std::map<std::string, int16_t, std::less<>> _finalized_features;
  int64_t _finalized_features_epoch = -1;
  // Whether any response arrived: a TLS error before the first one is a refused handshake
  // (TLS 1.3 reports a refused client certificate only after the client's handshake ends).
  bool _answered = false;
  // Why the connection closed, for calls made after that.
  std::string _closed_reason;
  protocol::error_code _closed_code = protocol::error_code::network_exception;
  // Re-authentication: when to run the hook again (zero: not scheduled), whether its loop runs
  // (_reauthenticating), whether new requests are held back (_paused; they wait on _resumed) and
  // the timer that wakes the re-authentication when the last request in flight is answered
  // (_drained).
  std::chrono::milliseconds _reauthenticate_after{0};
  bool _reauthenticating = false;
  bool _paused = false;
  int _authentications = 0;
  asio::steady_timer _reauth_timer;
  asio::steady_timer _resumed;
  asio::steady_timer _drained;
};

}  // namespace brook::client
