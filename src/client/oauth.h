// Access tokens for SASL/OAUTHBEARER from an OAuth 2 / OIDC token endpoint (KIP-768's client
// side; librdkafka's sasl.oauthbearer.method=oidc): the client-credentials grant (RFC 6749
// section 4.4), the client's id and secret in an HTTP Basic Authorization header, the scope in the
// form body; the answer's access_token is sent to the broker and its expires_in (or, when absent,
// the JWT's exp claim) says how long it lives.
//
// Settings, under both families' names: the endpoint in sasl.oauthbearer.token.endpoint.url (http:
// or https: only); the id, secret and scope in librdkafka's sasl.oauthbearer.client.id,
// sasl.oauthbearer.client.secret and sasl.oauthbearer.scope, or in Java's sasl.jaas.config
// (OAuthBearerLoginModule with clientId, clientSecret, scope and extension_NAME options);
// sasl.oauthbearer.extensions (librdkafka, "name=value,...") adds SASL extensions to the first
// message; sasl.oauthbearer.header.urlencode=true (Java) form-encodes the id and secret first.
// https endpoints are checked against https.ca.location (librdkafka, a PEM file) or the system's
// CAs. sasl.login.connect.timeout.ms and sasl.login.read.timeout.ms bound the call (10 s each when
// unset; Java has no bound by default).
//
// Refresh: a token is reused until sasl.login.refresh.window.factor (0.8) of its life has passed;
// the next authentication after that (a new connection, or KIP-368 re-authentication when the
// broker limits sessions, as it does to the token's lifetime) fetches a new one first.
//
// Failures: the endpoint refusing (any status but 200; 401 for a wrong secret) or an answer
// without a token is kafka_error(SASL_AUTHENTICATION_FAILED) naming the status and the
// endpoint's error; an unreachable endpoint is NETWORK_EXCEPTION, a slow one REQUEST_TIMED_OUT.
//
// Threads: an oauth_token_source belongs to one client (cluster) and is used only on its I/O
// thread, by the authenticators of its connections; connections that need a token while one is
// being fetched wait for that fetch instead of starting their own.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/config.h"
#include "client/http.h"

namespace brook::client {

struct oidc_settings {
  std::string token_endpoint_url;
  std::string client_id;
  std::string client_secret;
  std::string scope;  // empty: none sent
  // sasl.oauthbearer.header.urlencode (Java): form-encode the id and secret before Basic auth.
  bool urlencode_credentials = false;
  http_options http;
  double refresh_window_factor = 0.8;
};

// A token and when it stops being valid.
struct access_token {
  std::string value;
  std::chrono::system_clock::time_point expires_at;
};

// The access token in a token endpoint's JSON answer, or kafka_error(SASL_AUTHENTICATION_FAILED)
// saying what is missing. `now` dates expires_in.
access_token parse_token_response(std::string_view json, std::chrono::system_clock::time_point now);

// The top-level members of a JSON object whose values are strings or numbers (numbers as their
// text); other members are skipped. nullopt when `json` is not an object.
std::optional<std::map<std::string, std::string>> json_object_scalars(std::string_view json);

// A cached token from a token endpoint, fetched again once it is old (see the file comment).
class oauth_token_source {
 public:
  explicit oauth_token_source(oidc_settings settings);
  // The current token, fetching a new one when there is none or it is due for refresh.
  asio::awaitable<std::string> token();
  const oidc_settings& settings() const { return _settings; }

 private:
  asio::awaitable<access_token> fetch();

  oidc_settings _settings;
  std::optional<access_token> _current;
  std::chrono::system_clock::time_point _refresh_at;
  // One fetch at a time: connections that need a token meanwhile wait on _fetched (cancelled and
  // dropped when the fetch ends, so that no timer outlives the fetch and its io_context) and then
  // look again.
  std::shared_ptr<asio::steady_timer> _fetched;
};

// The SASL extensions of the settings: librdkafka's sasl.oauthbearer.extensions and Java's
// extension_NAME JAAS options. Throws config_error for a name or value RFC 7628 does not allow.
std::vector<std::pair<std::string, std::string>> read_oauth_extensions(const config& settings);

// The OIDC settings when OAUTHBEARER should fetch tokens from an endpoint (a token endpoint URL
// is set, or sasl.oauthbearer.method is oidc); nullopt otherwise. Throws config_error for a
// missing URL, a URL that is not http:/https:, or a missing client id or secret.
std::optional<oidc_settings> read_oidc_settings(const config& settings);

}  // namespace brook::client
