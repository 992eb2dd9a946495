#include "net/tls_stream.h"

#include <openssl/buffer.h>
#include <openssl/err.h>

#include <asio/read.hpp>
#include <asio/ssl/error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <algorithm>
#include <new>

namespace brook::net {

namespace {
// What one receive may take from the socket: the bytes of a large request in few calls.
constexpr size_t k_receive_bytes = 256 * 1024;
// What one write seals before sending it: four full records.
constexpr size_t k_seal_bytes = 64 * 1024;
// Buffers grown past these by a large request or response are given back once empty, so that
// an idle connection holds little.
constexpr size_t k_keep_input_bytes = 64 * 1024;
constexpr size_t k_keep_output_bytes = 1u << 20;

BIO* memory_bio() {
  BIO* b = BIO_new(BIO_s_mem());
  if (!b) throw std::bad_alloc();
  // An empty buffer means "more to come", not the end of the stream.
  BIO_set_mem_eof_return(b, -1);
  return b;
}

size_t capacity(BIO* b) {
  BUF_MEM* m = nullptr;
  BIO_get_mem_ptr(b, &m);
  return m ? m->max : 0;
}
}  // namespace

tls_stream::tls_stream(asio::ip::tcp::socket& socket, asio::ssl::context& context)
    : _socket(socket) {
  _ssl = SSL_new(context.native_handle());
  if (!_ssl) throw std::bad_alloc();
  try {
    _in = memory_bio();
    _out = memory_bio();
  } catch (...) {
    BIO_free(_in);
    SSL_free(_ssl);
    throw;
  }
  SSL_set_bio(_ssl, _in, _out);
  SSL_set_accept_state(_ssl);
  // Synchronous socket calls return would_block instead of blocking the shard; Asio's own
  // asynchronous operations are unaffected.
  std::error_code ignored;
  _socket.non_blocking(true, ignored);
}

tls_stream::~tls_stream() { SSL_free(_ssl); }

std::error_code tls_stream::failure(int result) {
  const int e = SSL_get_error(_ssl, result);
  if (e == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  if (e == SSL_ERROR_SSL || e == SSL_ERROR_SYSCALL) {
    const unsigned long reason = ERR_get_error();
    ERR_clear_error();
    if (reason != 0) return {static_cast<int>(reason), asio::error::get_ssl_category()};
    return asio::ssl::error::stream_truncated;
  }
  return asio::ssl::error::unexpected_result;
}

asio::awaitable<std::error_code> tls_stream::handshake() {
  try {
    for (;;) {
      ERR_clear_error();
      const int r = SSL_do_handshake(_ssl);
      const int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(_ssl, r);
      if (e != SSL_ERROR_NONE && e != SSL_ERROR_WANT_READ) {
        const std::error_code ec = failure(r);
        // Tell the client why (an alert) if the socket still takes it.
        try {
          co_await flush();
        } catch (const std::system_error&) {
        }
        co_return ec;
      }
      co_await flush();
      if (e == SSL_ERROR_NONE) co_return std::error_code();
      co_await receive();
    }
  } catch (const std::system_error& error) {
    co_return error.code();
  }
}

asio::awaitable<void> tls_stream::read(asio::mutable_buffer buffer) {
  auto* at = static_cast<uint8_t*>(buffer.data());
  size_t left = buffer.size();
  while (left > 0) {
    size_t n = 0;
    ERR_clear_error();
    const int r = SSL_read_ex(_ssl, at, left, &n);
    // Reading may have produced bytes to send (a TLS 1.3 KeyUpdate answered, an alert).
    if (BIO_ctrl_pending(_out) > 0) co_await flush();
    if (r == 1) {
      at += n;
      left -= n;
    } else if (SSL_get_error(_ssl, r) == SSL_ERROR_WANT_READ) {
      co_await receive();
    } else {
      throw std::system_error(failure(r));
    }
  }
  if (BIO_ctrl_pending(_in) == 0 && capacity(_in) > k_keep_input_bytes) {
    _in = memory_bio();
    SSL_set0_rbio(_ssl, _in);  // frees the grown one
  }
}

asio::awaitable<void> tls_stream::write(asio::const_buffer buffer) {
  const auto* at = static_cast<const uint8_t*>(buffer.data());
  size_t left = buffer.size();
  do {
    // A few records at a time: the client decrypts the first while the next are sealed.
    const size_t chunk = std::min(left, k_seal_bytes);
    if (chunk > 0) {
      size_t n = 0;
      ERR_clear_error();
      // The output is a memory buffer, so the whole chunk is sealed now.
      const int r = SSL_write_ex(_ssl, at, chunk, &n);
      if (r != 1) throw std::system_error(failure(r));
      at += chunk;
      left -= chunk;
    }
    co_await flush();
  } while (left > 0);
}

asio::awaitable<void> tls_stream::receive() {
  // One buffer for the shard's connections: it is filled and emptied with no suspension between.
  thread_local std::vector<uint8_t> received(k_receive_bytes);
  for (;;) {
    std::error_code ec;
    const size_t n = _socket.read_some(asio::buffer(received), ec);
    if (!ec) {
      if (BIO_write(_in, received.data(), static_cast<int>(n)) != static_cast<int>(n))
        throw std::bad_alloc();
      co_return;
    }
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      co_await _socket.async_wait(asio::socket_base::wait_read, asio::use_awaitable);
    } else if (ec == asio::error::eof) {
      throw std::system_error(asio::ssl::error::stream_truncated);
    } else if (ec != asio::error::interrupted) {
      throw std::system_error(ec);
    }
  }
}

asio::awaitable<void> tls_stream::flush() {
  // Whoever holds the turn sends everything made so far, including what the other one added
  // while it waited: when flush returns, the caller's bytes are out.
  auto turn = co_await _flushing.acquire();
  while (const size_t pending = BIO_ctrl_pending(_out)) {
    // Copied out, since OpenSSL may append to (and move) its buffer while this one is sent.
    if (_sending.size() < pending) _sending.resize(pending);
    if (BIO_read(_out, _sending.data(), static_cast<int>(pending)) != static_cast<int>(pending))
      throw std::system_error(asio::ssl::error::unexpected_result);
    co_await asio::async_write(_socket, asio::buffer(_sending.data(), pending),
                               asio::use_awaitable);
  }
  if (_sending.size() > k_keep_output_bytes) std::vector<uint8_t>().swap(_sending);
  if (capacity(_out) > k_keep_output_bytes) {
    _out = memory_bio();
    SSL_set0_wbio(_ssl, _out);  // frees the grown one, which is empty
  }
}

}  // namespace brook::net
