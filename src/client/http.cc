#include "client/http.h"

#include <fmt/format.h>

#include <asio/ssl.hpp>
#include <charconv>

#include "client/errors.h"

namespace brook::client {

namespace {

using protocol::error_code;

[[noreturn]] void bad_answer(const http_url& url, std::string_view why) {
  throw kafka_error(error_code::sasl_authentication_failed,
                    fmt::format("HTTP answer from {}:{}: {}", url.host, url.port, why));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Decodes a chunked body (RFC 9112 section 7.1); trailers are dropped.
std::string dechunk(const http_url& url, std::string_view data) {
  std::string out;
  for (;;) {
    const size_t eol = data.find("\r\n");
    if (eol == std::string_view::npos) bad_answer(url, "a chunked body ends early");
    std::string_view size_text = data.substr(0, eol);
    if (const auto semi = size_text.find(';'); semi != std::string_view::npos)
      size_text = size_text.substr(0, semi);
    size_text = trim(size_text);
    size_t size = 0;
    auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (size_text.empty() || ec != std::errc() || end != size_text.data() + size_text.size())
      bad_answer(url, "a chunk without a valid size");
    data.remove_prefix(eol + 2);
    if (size == 0) return out;
    if (size > data.size() || data.size() - size < 2 || data.substr(size, 2) != "\r\n")
      bad_answer(url, "a chunk ends early");
    out.append(data.substr(0, size));
    data.remove_prefix(size + 2);
  }
}

}  // namespace

http_response parse_http_response(const http_url& url, std::string_view raw) {
  const size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string_view::npos) bad_answer(url, "no complete header");
  std::string_view head = raw.substr(0, head_end);
  std::string_view rest = raw.substr(head_end + 4);
  http_response r;
  size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  // "HTTP/1.x NNN reason"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12 || status_line[8] != ' ')
    bad_answer(url, fmt::format("'{}' is not an HTTP status line", status_line.substr(0, 80)));
  const std::string_view code = status_line.substr(9, 3);
  auto [end, ec] = std::from_chars(code.data(), code.data() + 3, r.status);
  if (ec != std::errc() || end != code.data() + 3 || r.status < 100)
    bad_answer(url, "a status line without a status code");
  head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
  while (!head.empty()) {
    eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head = eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) bad_answer(url, "a malformed header line");
    r.headers.emplace_back(lower(trim(line.substr(0, colon))),
                           std::string(trim(line.substr(colon + 1))));
  }
  if (lower(r.header("transfer-encoding")).find("chunked") != std::string::npos) {
    r.body = dechunk(url, rest);
  } else if (const std::string length = r.header("content-length"); !length.empty()) {
    size_t n = 0;
    auto [e, c] = std::from_chars(length.data(), length.data() + length.size(), n);
    if (c != std::errc() || e != length.data() + length.size())
      bad_answer(url, "a Content-Length that is not a number");
    if (rest.size() < n) bad_answer(url, "the body is shorter than its Content-Length");
    r.body = std::string(rest.substr(0, n));
  } else {
    r.body = std::string(rest);
  }
  return r;
}

namespace {

// Reads from `stream` until the server closes, at most `limit` bytes.
template <class Stream>
asio::awaitable<std::string> read_all(Stream& stream, const http_url& url, size_t limit) {
  std::string data;
  char chunk[8192];
  for (;;) {
    std::error_code ec;
    const size_t n = co_await stream.async_read_some(asio::buffer(chunk),
                                                     asio::redirect_error(asio::use_awaitable, ec));
    data.append(chunk, n);
    if (data.size() > limit) bad_answer(url, fmt::format("the answer exceeds {} bytes", limit));
    // The end: a clean close, or (TLS) a close without close_notify, which many servers send.
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) co_return data;
    if (ec) throw std::system_error(ec);
  }
}

}  // namespace

std::string http_response::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

http_url parse_http_url(std::string_view text) {
  http_url u;
  std::string_view rest;
  const std::string scheme = lower(text.substr(0, text.find("://")));
  if (text.find("://") == std::string_view::npos || (scheme != "http" && scheme != "https"))
    throw config_error(fmt::format("'{}' is not an http: or https: URL", text));
  u.https = scheme == "https";
  rest = text.substr(scheme.size() + 3);
  const size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (u.target.front() != '/') u.target.insert(0, "/");
  if (const auto hash = u.target.find('#'); hash != std::string::npos) u.target.resize(hash);
  if (authority.find('@') != std::string_view::npos)
    throw config_error(fmt::format("'{}': credentials in the URL are not accepted", text));
  std::string_view port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) throw config_error(fmt::format("'{}': bad host", text));
    u.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':'))
      port = authority.substr(1);
    else if (!authority.empty())
      throw config_error(fmt::format("'{}': bad host", text));
  } else {
    const size_t colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) throw config_error(fmt::format("'{}' names no host", text));
  u.port = u.https ? 443 : 80;
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      throw config_error(fmt::format("'{}' has no valid port", text));
    u.port = static_cast<uint16_t>(value);
  }
  return u;
}

std::string form_urlencode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '*')
      out += c;
    else if (c == ' ')
      out += '+';
    else
      out += fmt::format("%{:02X}", u);
  }
  return out;
}

asio::awaitable<http_response> http_request(
    std::string_view method, const http_url& url,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body,
    const http_options& options) {
  auto ex = co_await asio::this_coro::executor;
  std::shared_ptr<asio::ssl::context> tls = options.tls;
  if (url.https && !tls) {
    tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    tls->set_default_verify_paths();
    tls->set_verify_mode(asio::ssl::verify_peer);
  }
  using tls_stream = asio::ssl::stream<asio::ip::tcp::socket>;
  auto stream = url.https ? std::make_shared<tls_stream>(ex, *tls) : nullptr;
  auto plain = url.https ? nullptr : std::make_shared<asio::ip::tcp::socket>(ex);
  asio::ip::tcp::socket& tcp = url.https ? stream->next_layer() : *plain;

  // A deadline closes the socket, which ends whatever waits on it.
  auto deadline = std::make_shared<asio::steady_timer>(ex);
  auto expired = std::make_shared<bool>(false);
  auto arm = [&](std::chrono::milliseconds after) {
    deadline->expires_after(after);
    deadline->async_wait([expired, plain, stream](std::error_code ec) {
      if (ec) return;
      *expired = true;
      std::error_code ignored;
      (plain ? *plain : stream->next_layer()).close(ignored);
    });
  };
  const std::string where = fmt::format("{}:{}", url.host, url.port);
  std::string raw;
  try {
    arm(options.connect_timeout);
    asio::ip::tcp::resolver resolver(ex);
    auto endpoints =
        co_await resolver.async_resolve(url.host, std::to_string(url.port), asio::use_awaitable);
    co_await asio::async_connect(tcp, endpoints, asio::use_awaitable);
    if (stream) {
      if (!SSL_set_tlsext_host_name(stream->native_handle(), url.host.c_str()))
        throw kafka_error(error_code::network_exception, "cannot set the TLS server name");
      stream->set_verify_callback(asio::ssl::host_name_verification(url.host));
      co_await stream->async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    }
    deadline->cancel();
    if (*expired) throw std::system_error(asio::error::timed_out);
    arm(options.read_timeout);

    std::string request = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\n", method, url.target,
                                      url.host.find(':') != std::string::npos
                                          ? fmt::format("[{}]:{}", url.host, url.port)
                                          : where);
    for (const auto& [k, v] : headers) request += fmt::format("{}: {}\r\n", k, v);
    request += fmt::format("Content-Length: {}\r\nConnection: close\r\n\r\n", body.size());
    request += body;
    if (stream) {
      co_await asio::async_write(*stream, asio::buffer(request), asio::use_awaitable);
      raw = co_await read_all(*stream, url, options.max_response_bytes);
    } else {
      co_await asio::async_write(*plain, asio::buffer(request), asio::use_awaitable);
      raw = co_await read_all(*plain, url, options.max_response_bytes);
    }
  } catch (const std::system_error& e) {
    deadline->cancel();
    std::error_code ignored;
    tcp.close(ignored);
    if (*expired)
      throw kafka_error(error_code::request_timed_out,
                        fmt::format("no answer from {} in time", where));
    // An endpoint whose certificate is not trusted will not become so by retrying.
    if (url.https && e.code().category() == asio::error::get_ssl_category())
      throw kafka_error(error_code::sasl_authentication_failed,
                        fmt::format("TLS handshake with {}: {}", where, e.what()));
    throw kafka_error(error_code::network_exception,
                      fmt::format("HTTP request to {}: {}", where, e.what()));
  } catch (...) {
    deadline->cancel();
    std::error_code ignored;
    tcp.close(ignored);
    throw;
  }
  deadline->cancel();
  std::error_code ignored;
  tcp.close(ignored);
  co_return parse_http_response(url, raw);
}

}  // namespace brook::client
