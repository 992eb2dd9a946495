#include "client/connection.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <random>

#include "base/log.h"
#include "protocol/generated/api_versions_request.h"
#include "protocol/generated/api_versions_response.h"
#include "protocol/generated/request_header.h"
#include "protocol/generated/response_header.h"
#include "protocol/records/byte_order.h"

namespace brook::client {

namespace {

inline log::logger lg("client");

using protocol::error_code;

// ApiVersions v3 sends the client's software name and version (KIP-511).
constexpr int16_t k_api_versions_version = 3;
constexpr std::string_view k_software_name = "brook";
constexpr std::string_view k_software_version = "0.1.0";

}  // namespace

std::string broker_address::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

broker_address parse_broker_address(std::string_view text) {
  broker_address out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw config_error(fmt::format("'{}' is not host:port", text));
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      throw config_error(fmt::format("'{}' is not host:port", text));
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
      value > 65535)
    throw config_error(fmt::format("'{}' has no valid port", text));
  out.port = static_cast<uint16_t>(value);
  return out;
}

struct connection::pending {
  explicit pending(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  int16_t header_version = 0;
  response_body body;
  std::string failure;
  error_code failure_code = error_code::network_exception;
  bool done = false;
};

connection::connection(asio::any_io_executor ex, broker_address address, connection_options options)
    : _executor(std::move(ex)),
      _address(std::move(address)),
      _options(std::move(options)),
      _reauth_timer(_executor),
      _resumed(_executor),
      _drained(_executor) {
  if (_options.tls)
    _tls = std::make_unique<tls_socket>(_executor, *_options.tls);
  else
    _plain = std::make_unique<plain_socket>(_executor);
}

connection::~connection() = default;

connection::plain_socket& connection::tcp() { return _tls ? _tls->next_layer() : *_plain; }

asio::awaitable<std::shared_ptr<connection>> connection::open(broker_address address,
                                                              connection_options options) {
  auto ex = co_await asio::this_coro::executor;
  std::shared_ptr<connection> c(new connection(ex, std::move(address), std::move(options)));
  co_await c->connect();
  c->_open = true;
  asio::co_spawn(ex, c->read_loop(c), asio::detached);
  try {
    co_await c->negotiate_versions();
    if (c->_options.authenticate) {
      co_await c->_options.authenticate(*c);
      ++c->_authentications;
    }
  } catch (...) {
    c->close();
    throw;
  }
  co_return c;
}

asio::awaitable<void> connection::connect() {
  // The deadline closes the socket, which makes the pending resolve, connect or handshake fail.
  auto deadline = std::make_shared<asio::steady_timer>(_executor);
  deadline->expires_after(_options.connect_timeout);
  auto expired_flag = std::make_shared<bool>(false);
  deadline->async_wait([this, expired_flag, keep = shared_from_this()](std::error_code ec) {
    if (ec) return;
    *expired_flag = true;
    std::error_code ignored;
    tcp().close(ignored);
  });
  const std::string where = _address.to_string();
  try {
    asio::ip::tcp::resolver resolver(_executor);
    auto endpoints = co_await resolver.async_resolve(_address.host, std::to_string(_address.port),
                                                     asio::use_awaitable);
    co_await asio::async_connect(tcp(), endpoints, asio::use_awaitable);
    tcp().set_option(asio::ip::tcp::no_delay(true));
    if (_tls) {
      if (!SSL_set_tlsext_host_name(_tls->native_handle(), _address.host.c_str()))
        throw kafka_error(error_code::network_exception, "cannot set the TLS server name");
      if (_options.verify_host_name)
        _tls->set_verify_callback(asio::ssl::host_name_verification(_address.host));
      co_await _tls->async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    }
  } catch (const std::system_error& e) {
    deadline->cancel();
    if (*expired_flag)
      throw kafka_error(error_code::request_timed_out, fmt::format("connecting to {}", where));
    if (_tls && e.code().category() == asio::error::get_ssl_category())
      throw kafka_error(error_code::sasl_authentication_failed,
                        fmt::format("TLS handshake with {}: {}", where, e.what()));
    throw kafka_error(error_code::network_exception,
                      fmt::format("connecting to {}: {}", where, e.what()));
  }
  deadline->cancel();
  if (*expired_flag)
    throw kafka_error(error_code::request_timed_out, fmt::format("connecting to {}", where));
}

asio::awaitable<void> connection::negotiate_versions() {
  int16_t version = k_api_versions_version;
  for (int attempt = 0; attempt < 2; ++attempt) {
    protocol::api_versions_request req;
    req.client_software_name = std::string(k_software_name);
    req.client_software_version = std::string(k_software_version);
    response_body body = co_await roundtrip(protocol::api_key::api_versions, version,
                                            [&](wire::writer& w) { req.encode(w, version); });
    wire::reader peek = body.reader();
    const int16_t error = peek.read_int16();
    if (error == static_cast<int16_t>(error_code::unsupported_version) && attempt == 0) {
      // The broker answers a version it lacks at version 0, listing its own range for ApiVersions.
      wire::reader r = body.reader();
      const auto resp = protocol::api_versions_response::decode(r, 0);
      int16_t best = -1;
      for (const auto& k : resp.api_keys)
        if (k.api_key == static_cast<int16_t>(protocol::api_key::api_versions))
          best = std::min<int16_t>(k.max_version, version);
      if (best < 0) break;
      version = best;
      continue;
    }
    wire::reader r = body.reader();
    const auto resp = protocol::api_versions_response::decode(r, version);
    throw_if_error(resp.error_code, fmt::format("ApiVersions with {}", _address.to_string()));
    _broker_versions.assign(128, {-1, -1});
    for (const auto& k : resp.api_keys)
      if (k.api_key >= 0 && k.api_key < static_cast<int16_t>(_broker_versions.size()))
        _broker_versions[k.api_key] = {k.min_version, k.max_version};
    _finalized_features.clear();
    for (const auto& f : resp.finalized_features) _finalized_features[f.name] = f.max_version_level;
    _finalized_features_epoch = resp.finalized_features_epoch;
    co_return;
  }
  throw kafka_error(error_code::unsupported_version,
                    fmt::format("{} shares no ApiVersions version", _address.to_string()));
}

int16_t connection::version_for(protocol::api_key key, int16_t hi, int16_t lo) const {
  const auto k = static_cast<int16_t>(key);
  const protocol::api_info* api = protocol::find_api(k);
  if (!api) return -1;
  if (k == static_cast<int16_t>(protocol::api_key::api_versions)) return k_api_versions_version;
  if (k < 0 || static_cast<size_t>(k) >= _broker_versions.size()) return -1;
  const auto [bmin, bmax] = _broker_versions[k];
  if (bmax < 0) return -1;
  const int16_t ours = api->latest_version_unstable ? api->max_version - 1 : api->max_version;
  const int16_t top = std::min({hi, ours, bmax});
  const int16_t bottom = std::max({lo, api->min_version, bmin});
  return top >= bottom ? top : -1;
}

int16_t connection::finalized_feature(std::string_view name) const {
  auto it = _finalized_features.find(name);
  return it == _finalized_features.end() ? 0 : it->second;
}

int16_t connection::require_version(protocol::api_key key, int16_t hi, int16_t lo) const {
  const int16_t v = version_for(key, hi, lo);
  if (v < 0) {
    const protocol::api_info* api = protocol::find_api(static_cast<int16_t>(key));
    throw kafka_error(error_code::unsupported_version,
                      fmt::format("{} supports no usable version of {}", _address.to_string(),
                                  api ? api->name : std::string_view("?")));
  }
  return v;
}

asio::awaitable<response_body> connection::roundtrip(
    protocol::api_key key, int16_t version, const std::function<void(wire::writer&)>& encode,
    bool expect_response, std::chrono::milliseconds extra_timeout, size_t size_hint) {
  const auto k = static_cast<int16_t>(key);
  // While re-authenticating, only the SASL exchange goes out; the rest waits for its end.
  while (_open && _paused && key != protocol::api_key::sasl_handshake &&
         key != protocol::api_key::sasl_authenticate) {
    std::error_code ignored;
    co_await _resumed.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (!_open)
    throw kafka_error(_closed_code,
                      fmt::format("connection to {} is closed{}", _address.to_string(),
                                  _closed_reason.empty() ? "" : ": " + _closed_reason));
  const int16_t header_version = protocol::request_header_version(k, version);
  if (header_version < 0)
    throw kafka_error(error_code::unsupported_version,
                      fmt::format("API {} version {} is unknown", k, version));
  const int32_t id = _next_correlation_id++;
  if (_next_correlation_id == INT32_MAX) _next_correlation_id = 1;

  // 4 bytes of size, then a header of a few dozen bytes (more with a long client id).
  wire::writer w(64 + _options.client_id.size() + size_hint);
  w.write_int32(0);
  protocol::request_header h;
  h.request_api_key = k;
  h.request_api_version = version;
  h.correlation_id = id;
  h.client_id = _options.client_id;
  h.encode(w, header_version);
  encode(w);
  wire::byte_buffer frame = w.take();
  protocol::records::store_be<int32_t>(frame.data(), static_cast<int32_t>(frame.size() - 4));

  std::shared_ptr<pending> p;
  if (expect_response) {
    p = std::make_shared<pending>(_executor);
    p->header_version = protocol::response_header_version(k, version);
    p->timer.expires_after(_options.request_timeout + extra_timeout);
    _pending.emplace(id, p);
  }
  _outgoing.push_back(std::move(frame));
  if (!_writing) {
    _writing = true;
    asio::co_spawn(_executor, write_loop(shared_from_this()), asio::detached);
  }
  if (!expect_response) co_return response_body{};

  std::error_code ec;
  co_await p->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (!p->done) {
    _pending.erase(id);
    if (_paused && _pending.empty()) _drained.cancel();
    throw kafka_error(
        error_code::request_timed_out,
        fmt::format("no answer from {} to API {} v{} within {} ms", _address.to_string(), k,
                    version, (_options.request_timeout + extra_timeout).count()));
  }
  if (!p->failure.empty()) throw kafka_error(p->failure_code, p->failure);
  wire::reader r = p->body.reader();
  protocol::response_header::decode(r, p->header_version);
  p->body.offset = r.position();
  co_return std::move(p->body);
}

asio::awaitable<void> connection::write_loop(std::shared_ptr<connection> self) {
  std::vector<wire::byte_buffer> sending;
  std::vector<asio::const_buffer> buffers;
  try {
    while (_open && !_outgoing.empty()) {
      sending.clear();
      buffers.clear();
      while (!_outgoing.empty() && sending.size() < 64) {
        sending.push_back(std::move(_outgoing.front()));
        _outgoing.pop_front();
      }
      for (const auto& b : sending) buffers.emplace_back(b.data(), b.size());
      if (_tls)
        co_await asio::async_write(*_tls, buffers, asio::use_awaitable);
      else
        co_await asio::async_write(*_plain, buffers, asio::use_awaitable);
    }
  } catch (const std::system_error& e) {
    lg.debug("writing to {}: {}", _address.to_string(), e.what());
    fail_all(fmt::format("writing to {}: {}", _address.to_string(), e.what()),
             error_code::network_exception);
  }
  _writing = false;
}

asio::awaitable<void> connection::read_loop(std::shared_ptr<connection> self) {
  std::string why = "closed";
  error_code code = error_code::network_exception;
  try {
    for (;;) {
      uint8_t size_bytes[4];
      if (_tls)
        co_await asio::async_read(*_tls, asio::buffer(size_bytes), asio::use_awaitable);
      else
        co_await asio::async_read(*_plain, asio::buffer(size_bytes), asio::use_awaitable);
      const int32_t size = protocol::records::load_be<int32_t>(size_bytes);
      if (size < 4 || static_cast<size_t>(size) > _options.max_response_bytes) {
        why = fmt::format("response frame of {} bytes", size);
        lg.warn("{} sent a {}; closing", _address.to_string(), why);
        break;
      }
      response_body body;
      body.size = static_cast<size_t>(size);
      body.buffer = std::shared_ptr<uint8_t[]>(new uint8_t[body.size]);
      const auto into = asio::buffer(body.buffer.get(), body.size);
      if (_tls)
        co_await asio::async_read(*_tls, into, asio::use_awaitable);
      else
        co_await asio::async_read(*_plain, into, asio::use_awaitable);
      const int32_t id = protocol::records::load_be<int32_t>(body.buffer.get());
      auto it = _pending.find(id);
      if (it == _pending.end()) continue;  // its caller gave up waiting
      auto p = std::move(it->second);
      _pending.erase(it);
      _answered = true;
      p->body = std::move(body);
      p->done = true;
      p->timer.cancel();
      if (_paused && _pending.empty()) _drained.cancel();
    }
  } catch (const std::system_error& e) {
    why = e.what();
    // A TLS alert before any answer: the broker refused the handshake (a client certificate it
    // does not accept, with TLS 1.3 reported only now). Not worth retrying, as Kafka's
    // SslAuthenticationException is not.
    if (_tls && !_answered && e.code().category() == asio::error::get_ssl_category()) {
      code = error_code::sasl_authentication_failed;
      why = fmt::format("refused the TLS handshake: {}", e.what());
    }
  }
  fail_all(fmt::format("connection to {} {}", _address.to_string(), why), code);
}

void connection::fail_all(const std::string& why, error_code code) {
  if (_closed_reason.empty()) {
    _closed_reason = why;
    _closed_code = code;
  }
  close();
  auto pending = std::move(_pending);
  _pending.clear();
  for (auto& [id, p] : pending) {
    p->failure = why;
    p->failure_code = code;
    p->done = true;
    p->timer.cancel();
  }
}

void connection::expire_session_after(std::chrono::milliseconds lifetime) {
  // Like Kafka's Java client: at a random point between 85% and 95% of the session, so that many
  // connections do not re-authenticate at once.
  static thread_local std::mt19937 random{std::random_device{}()};
  std::uniform_real_distribution<double> share(0.85, 0.95);
  _reauthenticate_after = std::max(std::chrono::milliseconds(1),
                                   std::chrono::milliseconds(static_cast<int64_t>(
                                       static_cast<double>(lifetime.count()) * share(random))));
  if (!_reauthenticating)
    asio::co_spawn(_executor, reauthenticate_loop(shared_from_this()), asio::detached);
}

asio::awaitable<void> connection::reauthenticate_loop(std::shared_ptr<connection> self) {
  _reauthenticating = true;
  while (_open && _reauthenticate_after.count() > 0) {
    _reauth_timer.expires_after(_reauthenticate_after);
    _reauthenticate_after = std::chrono::milliseconds(0);
    std::error_code ec;
    co_await _reauth_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!_open) break;
    _paused = true;
    _resumed.expires_at(asio::steady_timer::time_point::max());
    while (_open && !_pending.empty()) {
      _drained.expires_at(asio::steady_timer::time_point::max());
      co_await _drained.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!_open) break;
    try {
      co_await _options.authenticate(*this);
      ++_authentications;
      lg.debug("re-authenticated with {}", _address.to_string());
    } catch (const kafka_error& e) {
      lg.warn("re-authentication with {} failed: {}", _address.to_string(), e.what());
      // The broker closes the socket too; calls made later learn why from this.
      _closed_reason = e.what();
      _closed_code = e.code();
      fail_all(e.what(), e.code());
    } catch (const std::exception& e) {
      lg.warn("re-authentication with {} failed: {}", _address.to_string(), e.what());
      fail_all(e.what(), error_code::network_exception);
    }
    _paused = false;
    _resumed.cancel();
  }
  _paused = false;
  _resumed.cancel();
  _reauthenticating = false;
}

void connection::close() {
  if (!_open && !tcp().is_open()) return;
  _open = false;
  std::error_code ignored;
  tcp().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  tcp().close(ignored);
  _outgoing.clear();
  _reauth_timer.cancel();
  _resumed.cancel();
  _drained.cancel();
  // Waiting calls learn of it from the read loop, which ends now.
}

}  // namespace brook::client
