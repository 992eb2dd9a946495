// Kafka framing over TCP: each request and response is an int32 size followed by that many bytes.
// A server accepts connections on one shard per listener socket; the kernel spreads new
// connections across shards (SO_REUSEPORT), and a connection stays on the shard that accepted it.
//
// Requests on one connection are dispatched in the order they arrived and answered in that
// order. By default a request is handled to completion before the next one starts, which is what
// Kafka does; a handler that can let later requests start early (a Produce whose appends are
// queued in order, a Fetch that only reads) sets its `dispatched` event, and then several
// requests of one connection are in flight at once, at most max_in_flight. Responses that finish
// out of order wait for the ones before them.
//
// Throttling (client quotas): a response may ask that the connection be muted for a while
// (response_frame::mute_for), as Kafka mutes the channel of a client over its quota. The
// response is sent at once; the next request already read, or the next one read, is dispatched
// only once the mute ends. Requests in flight are not held back.
//
// Bad input: a size below 0 or above max_frame_bytes, or an exception from the handler, closes
// that connection with a log line; other connections go on.
//
// Ownership: the app creates one server, calls listen() before the shards start and stop()
// (on any thread) to stop accepting and to close every connection once the requests in flight
// are answered. A connection lives on its shard as a set of coroutines that share it.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/event.h"
#include "net/shards.h"
#include "protocol/wire/types.h"

namespace asio::ssl {
class context;
}

namespace brook::net {

// Who the client of one connection is. Shared by the requests of the connection and changed
// only on its shard: set from the client certificate when a TLS handshake ends, and by SASL
// authentication (SaslHandshake, SaslAuthenticate, and re-authentication, KIP-368).
struct session {
  // The KafkaPrincipal as "Type:Name", which ACLs name: User:ANONYMOUS on a PLAINTEXT listener
  // and before authentication.
  std::string principal = "User:ANONYMOUS";
  // Whether requests other than ApiVersions and SASL's may be served (always on a PLAINTEXT or
  // SSL listener; after authentication on a SASL one).
  bool authenticated = true;
  // State of a SASL exchange in progress, kept by whoever runs it.
  std::shared_ptr<void> sasl;
  // When the authenticated session ends, in steady-clock milliseconds (0: never). After that only
  // a re-authentication (SaslHandshake, SaslAuthenticate) is served; anything else closes the
  // connection, as Kafka does with connections.max.reauth.ms.
  int64_t expires_at_ms = 0;
};

// What a handler knows about the connection a request came on.
struct connection_info {
  uint64_t id = 0;
  shard_id shard = 0;
  std::string listener_name;
  // PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
  std::string security_protocol = "PLAINTEXT";
  asio::ip::tcp::endpoint peer;
  asio::ip::tcp::endpoint local;
  // Responses may carry file ranges (response_frame::splices), sent with sendfile.
  bool zero_copy = false;
  // The subject of the client's certificate (RFC 2253, as Java's X500Principal.getName()) when
  // the TLS client presented one.
  std::optional<std::string> peer_certificate_subject;
  // Never null.
  std::shared_ptr<session> auth = std::make_shared<session>();
};

// A response ready to be written: the bytes include the int32 size prefix. On a zero_copy
// connection it may continue from files: each splice's range goes before its offset in `bytes`.
struct response_frame {
  wire::byte_buffer bytes;
  // Close the connection once this response (and those before it) is written.
  bool close_after = false;
  std::vector<wire::file_splice> splices;
  // Read no further request of the connection for this long (a client throttled for its quota).
  // A response with no bytes is not sent and only mutes.
  std::chrono::milliseconds mute_for{0};
};

// Turns one request frame (without its size prefix) into a response. Runs on the connection's
// shard. Returns nullopt when the request gets no response (Produce with acks=0). Sets
// `dispatched` when later requests of the connection may start before this one completes.
// Throwing closes the connection.
using frame_handler = std::function<asio::awaitable<std::optional<response_frame>>(
    const connection_info&, std::shared_ptr<wire::byte_buffer> frame, event& dispatched)>;

struct listener_config {
  std::string name = "PLAINTEXT";
  // PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (listener.security.protocol.map).
  std::string security_protocol = "PLAINTEXT";
  std::string host = "127.0.0.1";
  // 0 picks a free port; port() then tells which.
  uint16_t port = 9092;
  // socket.request.max.bytes
  int32_t max_frame_bytes = 100 * 1024 * 1024;
  int32_t max_in_flight = 100;
  int32_t send_buffer_bytes = -1;
  int32_t receive_buffer_bytes = -1;
  // Whether responses may be sent from files (sendfile): plaintext listeners only, since TLS
  // has to encrypt every byte in user space.
  bool zero_copy = true;
  // SSL and SASL_SSL listeners: the server context (make_server_tls_context). A handshake that
  // has not ended after handshake_timeout_ms closes the connection.
  std::shared_ptr<asio::ssl::context> tls;
  int64_t handshake_timeout_ms = 10000;
  // The principal name for a client certificate's subject (ssl.principal.mapping.rules; nullopt
  // refuses the client); unset: the subject itself. Only on SSL listeners: SASL decides the
  // principal on SASL_SSL.
  std::function<std::optional<std::string>(const std::string& subject)> principal_of_certificate;
  // Before authentication, frames are capped at this (sasl.server.max.receive.size).
  int32_t max_unauthenticated_frame_bytes = 524288;
};

class server {
 public:
  server(shard_set& shards, frame_handler handler);
  ~server();

  // Binds one socket per shard to the listener's address and starts accepting once the shards
  // run. Throws std::system_error when the address cannot be bound.
  void listen(const listener_config& config);
  // The port of the n-th listener, as bound.
  uint16_t port(size_t listener = 0) const { return _ports.at(listener); }

  // Stops accepting, lets the requests in flight be answered, and closes every connection.
  // The awaitable completes on the calling shard once shard `s` is done; call for every shard.
  asio::awaitable<void> stop_shard(shard_id s);

  uint64_t connections_open() const { return _open.load(std::memory_order_relaxed); }

 private:
  struct per_shard;
  class connection;

  asio::awaitable<void> accept_loop(shard_id s, size_t listener_index,
                                    std::shared_ptr<asio::ip::tcp::acceptor> acceptor);

  shard_set& _shards;
  frame_handler _handler;
  // A deque: connections keep references to their listener's config while more are added.
  std::deque<listener_config> _configs;
  std::vector<uint16_t> _ports;
  std::vector<std::unique_ptr<per_shard>> _per_shard;
  std::atomic<uint64_t> _next_id{1};
  std::atomic<uint64_t> _open{0};
};

}  // namespace brook::net
