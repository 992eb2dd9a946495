#include "net/server.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/ssl/error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include <deque>
#include <unordered_map>

#include "base/log.h"
#include "net/tls.h"
#include "net/tls_stream.h"

namespace brook::net {

namespace {
const log::logger lg("net");

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
}  // namespace

struct server::per_shard {
  std::vector<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors;
  std::unordered_map<uint64_t, std::weak_ptr<connection>> connections;
  bool stopping = false;
};

// One client connection: a read loop that dispatches requests in order, one coroutine per
// request in flight, and a write loop that answers in order. All three share the connection.
class server::connection : public std::enable_shared_from_this<connection> {
 public:
  connection(server& srv, per_shard& home, asio::ip::tcp::socket socket, connection_info info,
             const listener_config& config)
      : _server(srv),
        _home(home),
        _socket(std::move(socket)),
        _info(std::move(info)),
        _config(config),
        _wake_writer(_socket.get_executor()),
        _space(_socket.get_executor()),
        _mute_timer(_socket.get_executor()) {
    if (_config.tls) _tls = std::make_unique<tls_stream>(_socket, *_config.tls);
  }

  const connection_info& info() const { return _info; }

  asio::awaitable<void> read_loop() {
    auto self = shared_from_this();
    if (_tls && !co_await handshake()) {
      close();
      co_return;
    }
    asio::co_spawn(_socket.get_executor(), write_loop(), asio::detached);
    try {
      for (;;) {
        uint8_t size_bytes[4];
        co_await read(asio::buffer(size_bytes));
        const int32_t size = static_cast<int32_t>(load_be32(size_bytes));
        const bool authenticated = _info.auth->authenticated;
        const int32_t limit = authenticated ? _config.max_frame_bytes
                                            : std::min(_config.max_frame_bytes,
                                                       _config.max_unauthenticated_frame_bytes);
        if (size < 0 || size > limit) {
          lg.warn("closing connection {} from {}: request frame of {} bytes is outside 0..{} ({})",
                  _info.id, endpoint_text(_info.peer), size, limit,
                  authenticated ? "socket.request.max.bytes"
                                : "sasl.server.max.receive.size, before authentication");
          break;
        }
        auto frame = std::make_shared<wire::byte_buffer>(static_cast<size_t>(size));
        co_await read(asio::buffer(*frame));
        co_await wait_unmuted();
        auto s = std::make_shared<slot>(_socket.get_executor());
        _queue.push_back(s);
        asio::co_spawn(_socket.get_executor(), process(std::move(frame), s), asio::detached);
        co_await s->dispatched.wait();
        while (!_closing && _queue.size() >= static_cast<size_t>(_config.max_in_flight)) {
          _space.reset();
          co_await _space.wait();
        }
        if (_closing) break;
      }
    } catch (const std::system_error& e) {
      if (e.code() != asio::error::eof && e.code() != asio::error::operation_aborted &&
          e.code() != asio::error::connection_reset &&
          e.code() != asio::ssl::error::stream_truncated)
        lg.debug("connection {}: read ended: {}", _info.id, e.code().message());
    }
    _reading_done = true;
    _wake_writer.set();
  }

  // Stops reading new requests; the ones in flight are still answered.
  void stop_reading() {
    std::error_code ec;
    _socket.shutdown(asio::ip::tcp::socket::shutdown_receive, ec);
    _stop_requested = true;
    _mute_timer.cancel();
  }

 private:
  asio::awaitable<void> read(asio::mutable_buffer buffer) {
    if (_tls)
      co_await _tls->read(buffer);
    else
      co_await asio::async_read(_socket, buffer, asio::use_awaitable);
  }

  // Returns once the connection is no longer muted (or is stopping).
  asio::awaitable<void> wait_unmuted() {
    while (!_closing && !_stop_requested && std::chrono::steady_clock::now() < _muted_until) {
      _mute_timer.expires_at(_muted_until);
      std::error_code ec;
      co_await _mute_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
  }

  // The TLS handshake, bounded in time; false (logged) when it failed. Sets the principal from
  // the client's certificate on an SSL listener.
  asio::awaitable<bool> handshake() {
    asio::steady_timer deadline(_socket.get_executor());
    deadline.expires_after(std::chrono::milliseconds(_config.handshake_timeout_ms));
    bool done = false;
    deadline.async_wait([this, self = shared_from_this(), &done](std::error_code ec) {
      if (!ec && !done) {
        std::error_code ignored;
        _socket.cancel(ignored);
      }
    });
    const std::error_code ec = co_await _tls->handshake();
    done = true;
    deadline.cancel();
    if (ec) {
      lg.warn("closing connection {} from {}: TLS handshake failed: {}", _info.id,
              endpoint_text(_info.peer),
              ec == asio::error::operation_aborted
                  ? fmt::format("not done after {} ms", _config.handshake_timeout_ms)
                  : ec.message());
      co_return false;
    }
    if (X509* cert = SSL_get1_peer_certificate(_tls->native_handle())) {
      _info.peer_certificate_subject = certificate_subject(cert);
      X509_free(cert);
      if (_info.security_protocol == "SSL") {
        const auto& subject = *_info.peer_certificate_subject;
        auto name = _config.principal_of_certificate ? _config.principal_of_certificate(subject)
                                                     : std::optional<std::string>(subject);
        if (!name) {
          lg.warn(
              "closing connection {} from {}: no rule of ssl.principal.mapping.rules applies to "
              "{}",
              _info.id, endpoint_text(_info.peer), subject);
          co_return false;
        }
        _info.auth->principal = "User:" + *name;
      }
    }
    co_return true;
  }

  void close() {
    std::error_code ec;
    _socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    _socket.close(ec);
    _home.connections.erase(_info.id);
    _server._open.fetch_sub(1, std::memory_order_relaxed);
    lg.debug("connection {} from {} closed", _info.id, endpoint_text(_info.peer));
  }

  struct slot {
    explicit slot(const asio::any_io_executor& ex) : dispatched(ex) {}
    event dispatched;
    std::optional<response_frame> response;
    bool done = false;
    bool close = false;
  };

  static std::string endpoint_text(const asio::ip::tcp::endpoint& e) {
    return e.address().to_string() + ":" + std::to_string(e.port());
  }

  asio::awaitable<void> process(std::shared_ptr<wire::byte_buffer> frame, std::shared_ptr<slot> s) {
    auto self = shared_from_this();
    try {
      s->response = co_await _server._handler(_info, std::move(frame), s->dispatched);
      if (s->response && s->response->close_after) s->close = true;
      if (s->response && s->response->mute_for.count() > 0)
        _muted_until =
            std::max(_muted_until, std::chrono::steady_clock::now() + s->response->mute_for);
    } catch (const std::exception& e) {
      lg.warn("closing connection {} from {}: {}", _info.id, endpoint_text(_info.peer), e.what());
      s->response.reset();
      s->close = true;
    }
    s->done = true;
    s->dispatched.set();
    _wake_writer.set();
  }

  asio::awaitable<void> write_loop() {
    auto self = shared_from_this();
    std::vector<std::shared_ptr<slot>> batch;
    std::vector<asio::const_buffer> buffers;
    try {
      for (;;) {
        batch.clear();
        buffers.clear();
        bool close = false;
        while (!_queue.empty() && _queue.front()->done && !close) {
          auto s = std::move(_queue.front());
          _queue.pop_front();
          close = s->close;
          batch.push_back(std::move(s));
        }
        if (!batch.empty()) _space.set();
        // Consecutive in-memory bytes go out in one gathered write; a file range flushes what is
        // gathered before it (marked as having more to come) and is then sent from the file.
        for (const auto& s : batch) {
          if (!s->response) continue;
          const auto& r = *s->response;
          size_t from = 0;
          for (const auto& sp : r.splices) {
            if (sp.at > from)
              buffers.emplace_back(asio::buffer(r.bytes.data() + from, sp.at - from));
            co_await send_more(buffers);
            co_await send_file(sp.range);
            from = sp.at;
          }
          if (from < r.bytes.size())
            buffers.emplace_back(asio::buffer(r.bytes.data() + from, r.bytes.size() - from));
        }
        if (!buffers.empty()) co_await write(buffers);
        if (close || (_reading_done && _queue.empty())) break;
        if (batch.empty()) {
          _wake_writer.reset();
          // Re-check after reset: a request may have completed while we wrote. With reading
          // done, answers still in flight are waited for, not polled.
          const bool ready = !_queue.empty() && _queue.front()->done;
          if (!ready && !(_reading_done && _queue.empty())) co_await _wake_writer.wait();
        }
      }
    } catch (const std::system_error& e) {
      lg.debug("connection {}: write ended: {}", _info.id, e.code().message());
    }
    _closing = true;
    _space.set();
    _mute_timer.cancel();
    close();
  }

  // Plaintext: one gathered write. TLS: the buffers are joined first, since each would otherwise
  // be sealed in records of its own (a 4-byte size in a record of its own, say).
  asio::awaitable<void> write(const std::vector<asio::const_buffer>& buffers) {
    if (!_tls) {
      co_await asio::async_write(_socket, buffers, asio::use_awaitable);
      co_return;
    }
    if (buffers.size() == 1) {
      co_await _tls->write(buffers.front());
      co_return;
    }
    _joined.clear();
    for (const auto& b : buffers) {
      const auto* p = static_cast<const uint8_t*>(b.data());
      _joined.insert(_joined.end(), p, p + b.size());
    }
    co_await _tls->write(asio::buffer(_joined));
    if (_joined.capacity() > (1u << 20)) std::vector<uint8_t>().swap(_joined);
  }

  // Writes all of `buffers` with MSG_MORE, so the kernel holds a partial packet for the file
  // bytes that follow, and clears them.
  asio::awaitable<void> send_more(std::vector<asio::const_buffer>& buffers) {
    size_t first = 0;
    while (first < buffers.size()) {
      const size_t n = co_await _socket.async_send(std::span(buffers).subspan(first), MSG_MORE,
                                                   asio::use_awaitable);
      size_t left = n;
      while (first < buffers.size() && left >= buffers[first].size())
        left -= buffers[first++].size();
      if (left > 0) buffers[first] += left;
    }
    buffers.clear();
  }

  asio::awaitable<void> send_file(const wire::file_range& range) {
    if (!_socket.native_non_blocking()) _socket.native_non_blocking(true);
    off_t position = range.position;
    size_t left = range.size;
    while (left > 0) {
      const ssize_t n = ::sendfile(_socket.native_handle(), range.fd, &position, left);
      if (n > 0) {
        left -= static_cast<size_t>(n);
      } else if (n == 0) {
        // The file is shorter than the range it promised: the frame cannot be completed.
        lg.warn("closing connection {}: segment file ended {} bytes early", _info.id, left);
        throw std::system_error(std::make_error_code(std::errc::io_error));
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        co_await _socket.async_wait(asio::ip::tcp::socket::wait_write, asio::use_awaitable);
      } else if (errno != EINTR) {
        throw std::system_error(errno, std::system_category(), "sendfile");
      }
    }
  }

  server& _server;
  per_shard& _home;
  asio::ip::tcp::socket _socket;
  std::unique_ptr<tls_stream> _tls;
  std::vector<uint8_t> _joined;
  connection_info _info;
  const listener_config& _config;
  std::deque<std::shared_ptr<slot>> _queue;
  event _wake_writer;
  event _space;
  asio::steady_timer _mute_timer;
  std::chrono::steady_clock::time_point _muted_until{};
  bool _reading_done = false;
  bool _closing = false;
  bool _stop_requested = false;
};

server::server(shard_set& shards, frame_handler handler)
    : _shards(shards), _handler(std::move(handler)) {
  for (shard_id s = 0; s < shards.size(); ++s) _per_shard.push_back(std::make_unique<per_shard>());
}

server::~server() = default;

void server::listen(const listener_config& config) {
  _configs.push_back(config);
  if (config.tls) _configs.back().zero_copy = false;
  const size_t index = _configs.size() - 1;
  auto address = asio::ip::make_address(config.host);
  uint16_t port = config.port;
  if (port != 0) {
    // The shards' sockets share the port through SO_REUSEPORT, which would also let a second
    // brookd of the same user listen there and take half the connections. A socket without it
    // cannot bind while anything listens on the port, so this one tells.
    asio::ip::tcp::acceptor probe(_shards.context(0));
    asio::ip::tcp::endpoint ep(address, port);
    probe.open(ep.protocol());
    probe.set_option(asio::socket_base::reuse_address(true));
    probe.bind(ep);
    probe.close();
  }
  for (shard_id s = 0; s < _shards.size(); ++s) {
    auto acceptor = std::make_shared<asio::ip::tcp::acceptor>(_shards.context(s));
    asio::ip::tcp::endpoint ep(address, port);
    acceptor->open(ep.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    int one = 1;
    if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
    acceptor->bind(ep);
    acceptor->listen(asio::socket_base::max_listen_connections);
    // With port 0 the first socket picks the port and the others join it.
    port = acceptor->local_endpoint().port();
    _per_shard[s]->acceptors.push_back(acceptor);
    asio::co_spawn(_shards.context(s), accept_loop(s, index, acceptor), asio::detached);
  }
  _ports.push_back(port);
  lg.info("listening on {}://{}:{} with {} shards", config.name, config.host, port, _shards.size());
}

asio::awaitable<void> server::accept_loop(shard_id s, size_t listener_index,
                                          std::shared_ptr<asio::ip::tcp::acceptor> acceptor) {
  const listener_config& config = _configs[listener_index];
  for (;;) {
    std::error_code ec;
    asio::ip::tcp::socket socket =
        co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      lg.warn("accept on {}:{} failed: {}", config.host, config.port, ec.message());
      // Out of file descriptors and the like: back off rather than spin.
      asio::steady_timer t(acceptor->get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (_per_shard[s]->stopping) continue;
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    if (config.send_buffer_bytes > 0)
      socket.set_option(asio::socket_base::send_buffer_size(config.send_buffer_bytes), ec);
    if (config.receive_buffer_bytes > 0)
      socket.set_option(asio::socket_base::receive_buffer_size(config.receive_buffer_bytes), ec);
    connection_info info;
    info.id = _next_id.fetch_add(1, std::memory_order_relaxed);
    info.shard = s;
    info.listener_name = config.name;
    info.peer = socket.remote_endpoint(ec);
    info.local = socket.local_endpoint(ec);
    info.zero_copy = config.zero_copy;
    info.security_protocol = config.security_protocol;
    info.auth->authenticated = !config.security_protocol.starts_with("SASL_");
    auto c = std::make_shared<connection>(*this, *_per_shard[s], std::move(socket), std::move(info),
                                          config);
    _per_shard[s]->connections[c->info().id] = c;
    _open.fetch_add(1, std::memory_order_relaxed);
    asio::co_spawn(acceptor->get_executor(), c->read_loop(), asio::detached);
  }
}

asio::awaitable<void> server::stop_shard(shard_id s) {
  co_await run_on(_shards.context(s), [this, s]() -> asio::awaitable<void> {
    auto& ps = *_per_shard[s];
    ps.stopping = true;
    for (auto& a : ps.acceptors) {
      std::error_code ec;
      a->close(ec);
    }
    for (auto& [id, weak] : ps.connections)
      if (auto c = weak.lock()) c->stop_reading();
    // Requests in flight get up to 30 s (a long-polling Fetch ends well before).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    asio::steady_timer t(_shards.context(s));
    while (!ps.connections.empty() && std::chrono::steady_clock::now() < deadline) {
      t.expires_after(std::chrono::milliseconds(10));
      co_await t.async_wait(asio::use_awaitable);
    }
    if (!ps.connections.empty())
      lg.warn("shard {}: {} connections still open at shutdown", s, ps.connections.size());
  });
}

}  // namespace brook::net
