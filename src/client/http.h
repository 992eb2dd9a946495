// A small HTTP/1.1 client for the few calls the client library makes outside Kafka's protocol: the
// OAuth 2 token endpoint of SASL/OAUTHBEARER with OIDC (KIP-768). One request per connection
// ("Connection: close"), over plain TCP (http:) or TLS (https:); other URL schemes are refused.
//
// Bounds: the connect (with the TLS handshake) and the whole answer each have a deadline; an answer
// larger than max_response_bytes is refused, as are malformed status lines, headers and chunked
// bodies. Every failure is a kafka_error (see http_request), never a crash or a hang.
//
// Threads: http_request is a coroutine that runs on the caller's executor (the cluster's I/O
// thread); it owns its socket and closes it before returning.
#pragma once

#include <asio.hpp>
#include <asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brook::client {

// The parts of an http: or https: URL.
struct http_url {
  bool https = false;
  std::string host;
  uint16_t port = 0;
  // Path and query, "/" when the URL has none.
  std::string target;
};

// Parses an http: or https: URL. Throws config_error for other schemes, user info in the URL, a
// missing host or a bad port.
http_url parse_http_url(std::string_view url);

struct http_options {
  // For https: the context that says which servers are trusted; null uses the system's CAs.
  std::shared_ptr<asio::ssl::context> tls;
  std::chrono::milliseconds connect_timeout{10000};
  // How long the request may take from the connect's end to the answer's last byte.
  std::chrono::milliseconds read_timeout{10000};
  size_t max_response_bytes = 1u << 20;
};

struct http_response {
  int status = 0;
  // Header names in lower case, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first value of header `name` (lower case), or "".
  std::string header(std::string_view name) const;
};

// Sends one request and reads the answer. Throws kafka_error: NETWORK_EXCEPTION when the server
// cannot be reached or breaks the connection, REQUEST_TIMED_OUT after a deadline,
// SASL_AUTHENTICATION_FAILED when TLS fails (an untrusted certificate) or the answer is not HTTP or
// is too large. Any
// status is returned as it is: the caller judges it.
asio::awaitable<http_response> http_request(
    std::string_view method, const http_url& url,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body,
    const http_options& options);

// Reads a whole answer as received (status line, headers, body in Content-Length, chunked or up to
// the end). Throws kafka_error(SASL_AUTHENTICATION_FAILED) naming `url`'s host when it is not HTTP.
http_response parse_http_response(const http_url& url, std::string_view raw);

// application/x-www-form-urlencoded escaping of one name or value.
std::string form_urlencode(std::string_view text);

}  // namespace brook::client
