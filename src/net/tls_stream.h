// The server side of one TLS session on a connected socket (the connections of SSL and SASL_SSL
// listeners), with OpenSSL working on memory buffers and the socket driven here.
//
// Why not asio::ssl::stream: it moves at most one TLS record (16 KiB) per socket operation and
// completes each through several posted handlers, each costing a pass of the event loop, so a
// 1 MB request took some 60 receive calls and hundreds of loop passes, and a 1 MB response some 60
// sends. Here a receive takes whatever the socket holds (up to 256 KiB, into a buffer shared by
// the shard's connections) and every whole record in it is decrypted in one go; a write seals
// its bytes in full records, 64 KiB at a time, and sends each 64 KiB in one call (the client
// decrypts the first while the next are sealed). Buffers grown by a large request or
// response are given back once empty, so an idle connection holds a few KiB.
//
// Ownership: owned by its connection, on the connection's shard, and used only there; the socket
// outlives it. One read and one write may be in progress at once: OpenSSL is called only between
// suspensions, and every byte it produces (records, alerts, a TLS 1.3 KeyUpdate answered while
// reading) goes out through one queue in the order it was made. Errors are thrown as
// std::system_error: asio::error::eof after the client's close_notify,
// asio::ssl::error::stream_truncated when the socket ends without one, OpenSSL's reasons in
// asio's SSL category, and the socket's own errors (operation_aborted after a cancel).
#pragma once

#include <openssl/ssl.h>

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>

#include <cstdint>
#include <system_error>
#include <vector>

#include "net/event.h"

namespace brook::net {

class tls_stream {
 public:
  tls_stream(asio::ip::tcp::socket& socket, asio::ssl::context& context);
  ~tls_stream();
  tls_stream(const tls_stream&) = delete;
  tls_stream& operator=(const tls_stream&) = delete;

  SSL* native_handle() { return _ssl; }

  // The server handshake; an error code when it failed (what the client was told, an alert,
  // is sent first when possible).
  asio::awaitable<std::error_code> handshake();

  // Fills all of `buffer` with decrypted bytes.
  asio::awaitable<void> read(asio::mutable_buffer buffer);

  // Encrypts all of `buffer` and sends it.
  asio::awaitable<void> write(asio::const_buffer buffer);

 private:
  // Receives what the socket holds (waiting for some) into OpenSSL's input.
  asio::awaitable<void> receive();
  // Sends everything OpenSSL has produced so far, in order.
  asio::awaitable<void> flush();
  // The error of a failed OpenSSL call that returned `result`.
  std::error_code failure(int result);

  asio::ip::tcp::socket& _socket;
  SSL* _ssl = nullptr;
  BIO* _in = nullptr;   // owned by _ssl: ciphertext received, not yet decrypted
  BIO* _out = nullptr;  // owned by _ssl: ciphertext made, not yet sent
  std::vector<uint8_t> _sending;
  turn_lock _flushing;
};

}  // namespace brook::net
