// SaslHandshake and SaslAuthenticate: SASL authentication on SASL_PLAINTEXT and SASL_SSL
// listeners, and re-authentication (KIP-368). The dispatcher lets nothing but ApiVersions and
// these two through before a connection is authenticated; after SaslHandshake v0 the client's
// frames are raw SASL tokens, which the dispatcher hands to raw_sasl_token.
//
// A failed authentication is answered (SASL_AUTHENTICATION_FAILED with the reason) and the
// connection closed, as Kafka does.
#include <fmt/format.h>

#include <chrono>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"
#include "security/gssapi.h"
#include "security/oauthbearer.h"
#include "security/scram.h"

namespace brook::broker::handlers {

namespace {

const log::logger lg("sasl");
using protocol::error_code;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// The exchange state of one connection, kept in session::sasl.
struct sasl_state {
  enum class stage { handshake, authenticate, raw } at = stage::handshake;
  std::string mechanism;
  std::unique_ptr<security::sasl_exchange> exchange;
  // Re-authentication: the principal it must keep.
  std::optional<std::string> reauth_of;
  // Whether the client authenticated with SaslAuthenticate v1+ (and so may re-authenticate).
  bool supports_reauth = false;
};

namespace {

sasl_state& state_of(const net::connection_info& conn) {
  auto& s = conn.auth->sasl;
  if (!s) s = std::make_shared<sasl_state>();
  return *static_cast<sasl_state*>(s.get());
}

// SCRAM against the credentials of this shard's cluster snapshot.
class scram_exchange : public security::sasl_exchange {
 public:
  scram_exchange(broker& b, security::scram_mechanism m)
      : _server(m, [&b, m](std::string_view user) -> std::optional<security::scram_credential> {
          const auto* c = b.local().cluster->scram_credential_of(user, m);
          if (!c) return std::nullopt;
          return *c;
        }) {}

  security::sasl_step next(std::string_view message, int64_t) override {
    auto s = _server.next(message);
    security::sasl_step out;
    out.response = std::move(s.response);
    out.complete = s.complete;
    out.failed = s.failed;
    out.error = std::move(s.error);
    out.detail = std::move(s.reason);
    out.user = std::move(s.user);
    return out;
  }

 private:
  security::scram_server _server;
};

// OAUTHBEARER: the token's subject is the user, its expiry the credential's.
class oauthbearer_exchange : public security::sasl_exchange {
 public:
  explicit oauthbearer_exchange(std::shared_ptr<const security::jwt_validator> v)
      : _server(std::move(v)) {}

  security::sasl_step next(std::string_view message, int64_t now_ms) override {
    auto s = _server.next(message, now_ms);
    security::sasl_step out;
    out.response = std::move(s.response);
    out.complete = s.complete;
    out.failed = s.failed;
    out.error = std::move(s.error);
    out.detail = std::move(s.reason);
    out.user = std::move(s.principal_name);
    out.credential_expires_at_ms = s.expires_at_ms;
    return out;
  }

 private:
  security::oauthbearer_server _server;
};

std::unique_ptr<security::sasl_exchange> make_exchange(broker& b, const std::string& listener,
                                                       const std::string& mechanism) {
  const auto& sasl = b.options().sasl.at(listener);
  if (mechanism == "PLAIN")
    return security::make_plain_exchange(std::shared_ptr<const std::map<std::string, std::string>>(
        &sasl.plain_users, [](const auto*) {}));
  if (mechanism == "GSSAPI" && sasl.gssapi) return security::make_gssapi_exchange(sasl.gssapi);
  if (mechanism == "OAUTHBEARER" && sasl.oauthbearer)
    return std::make_unique<oauthbearer_exchange>(sasl.oauthbearer);
  if (auto scram = security::parse_scram_mechanism(mechanism))
    return std::make_unique<scram_exchange>(b, *scram);
  return nullptr;
}

// Applies a finished step: the principal, the session's end. Returns the session lifetime for
// the client (0: none), or the reason to refuse.
std::variant<int64_t, std::string> finish(broker& b, const net::connection_info& conn,
                                          sasl_state& st, const security::sasl_step& step) {
  const std::string principal = "User:" + step.user;
  if (st.reauth_of && *st.reauth_of != principal)
    return fmt::format("Cannot change principals during re-authentication from {} to {}",
                       *st.reauth_of, principal);
  const int64_t max_reauth = b.options().sasl.at(conn.listener_name).max_reauth_ms;
  int64_t lifetime = 0;
  const bool expiring_credential = step.credential_expires_at_ms > 0;
  if (expiring_credential || max_reauth > 0) {
    const int64_t credential_left =
        std::max<int64_t>(0, step.credential_expires_at_ms - system_ms());
    if (!expiring_credential)
      lifetime = max_reauth;
    else if (max_reauth <= 0)
      lifetime = credential_left;
    else
      lifetime = std::min(credential_left, max_reauth);
  }
  auto& auth = *conn.auth;
  auth.principal = principal;
  auth.authenticated = true;
  auth.expires_at_ms = expiring_credential || max_reauth > 0 ? steady_ms() + lifetime : 0;
  lg.debug("connection {} authenticated as {} with {}{}", conn.id, principal, st.mechanism,
           st.reauth_of ? " (re-authentication)" : "");
  st.at = sasl_state::stage::handshake;
  st.exchange.reset();
  st.reauth_of.reset();
  return lifetime;
}

template <class Response>
net::response_frame respond(request_context& ctx, const Response& r, bool close) {
  auto frame = encode_response(static_cast<int16_t>(Response::api_key), ctx.version,
                               ctx.header.correlation_id, r);
  frame.close_after = close;
  return frame;
}

}  // namespace

bool is_sasl_listener(const net::connection_info& conn) {
  return conn.security_protocol.starts_with("SASL_");
}

bool expects_raw_sasl_token(const net::connection_info& conn) {
  return conn.auth->sasl && state_of(conn).at == sasl_state::stage::raw;
}

asio::awaitable<std::optional<net::response_frame>> sasl_handshake(request_context& ctx,
                                                                   wire::reader& r) {
  auto req = protocol::sasl_handshake_request::decode(r, ctx.version);
  protocol::sasl_handshake_response resp;
  const auto& conn = ctx.connection;
  if (!is_sasl_listener(conn)) {
    resp.error_code = static_cast<int16_t>(error_code::illegal_sasl_state);
    co_return respond(ctx, resp, false);
  }
  auto& st = state_of(conn);
  auto& auth = *conn.auth;
  if (st.at != sasl_state::stage::handshake)
    throw std::runtime_error("SaslHandshake during SASL authentication");
  if (auth.authenticated) {
    // Re-authentication: only by a client that announced it can (SaslAuthenticate v1+), with
    // the same mechanism, and never to become someone else.
    if (!st.supports_reauth || ctx.version < 1) {
      resp.error_code = static_cast<int16_t>(error_code::illegal_sasl_state);
      co_return respond(ctx, resp, false);
    }
    if (req.mechanism != st.mechanism)
      throw std::runtime_error(fmt::format("re-authentication with mechanism {} instead of {}",
                                           req.mechanism, st.mechanism));
    st.reauth_of = auth.principal;
  }
  const auto& sasl = ctx.b.options().sasl.at(conn.listener_name);
  resp.mechanisms = sasl.mechanisms;
  const bool enabled = std::find(sasl.mechanisms.begin(), sasl.mechanisms.end(), req.mechanism) !=
                       sasl.mechanisms.end();
  st.exchange = enabled ? make_exchange(ctx.b, conn.listener_name, req.mechanism) : nullptr;
  if (!st.exchange) {
    lg.info("connection {} from {}: client asked for SASL mechanism '{}', not one of {}", conn.id,
            conn.peer.address().to_string(), req.mechanism, fmt::join(sasl.mechanisms, ", "));
    resp.error_code = static_cast<int16_t>(error_code::unsupported_sasl_mechanism);
    co_return respond(ctx, resp, true);
  }
  st.mechanism = req.mechanism;
  st.at = ctx.version == 0 ? sasl_state::stage::raw : sasl_state::stage::authenticate;
  co_return respond(ctx, resp, false);
}

asio::awaitable<std::optional<net::response_frame>> sasl_authenticate(request_context& ctx,
                                                                      wire::reader& r) {
  auto req = protocol::sasl_authenticate_request::decode(r, ctx.version);
  protocol::sasl_authenticate_response resp;
  const auto& conn = ctx.connection;
  if (!is_sasl_listener(conn) ||
      (conn.auth->authenticated &&
       (!conn.auth->sasl || state_of(conn).at != sasl_state::stage::authenticate))) {
    resp.error_code = static_cast<int16_t>(error_code::illegal_sasl_state);
    resp.error_message = "SaslAuthenticate request received after successful authentication";
    co_return respond(ctx, resp, false);
  }
  auto& st = state_of(conn);
  if (st.at != sasl_state::stage::authenticate)
    throw std::runtime_error("SaslAuthenticate before SaslHandshake");
  const std::string_view message(reinterpret_cast<const char*>(req.auth_bytes.data()),
                                 req.auth_bytes.size());
  auto step = st.exchange->next(message, system_ms());
  if (step.complete) {
    auto done = finish(ctx.b, conn, st, step);
    if (auto* why = std::get_if<std::string>(&done)) {
      step.failed = true;
      step.error = *why;
    } else {
      st.supports_reauth = ctx.version >= 1;
      if (ctx.version >= 1) resp.session_lifetime_ms = std::get<int64_t>(done);
    }
  }
  if (step.failed) {
    lg.info("connection {} from {}: {} authentication failed: {}{}", conn.id,
            conn.peer.address().to_string(), st.mechanism, step.error,
            step.detail.empty() ? "" : " (" + step.detail + ")");
    resp.error_code = static_cast<int16_t>(error_code::sasl_authentication_failed);
    resp.error_message = step.error;
    co_return respond(ctx, resp, true);
  }
  resp.error_message = std::nullopt;
  resp.auth_bytes.assign(step.response.begin(), step.response.end());
  co_return respond(ctx, resp, false);
}

net::response_frame raw_sasl_token(broker& b, const net::connection_info& conn,
                                   const wire::byte_buffer& frame) {
  auto& st = state_of(conn);
  const std::string_view message(reinterpret_cast<const char*>(frame.data()), frame.size());
  auto step = st.exchange->next(message, system_ms());
  if (step.complete) {
    auto done = finish(b, conn, st, step);
    if (auto* why = std::get_if<std::string>(&done)) {
      step.failed = true;
      step.error = *why;
    }
  }
  if (step.failed)
    throw std::runtime_error(fmt::format("{} authentication failed: {}{}", st.mechanism, step.error,
                                         step.detail.empty() ? "" : " (" + step.detail + ")"));
  wire::writer w(4 + step.response.size());
  w.write_int32(static_cast<int32_t>(step.response.size()));
  w.write_raw(
      std::span(reinterpret_cast<const uint8_t*>(step.response.data()), step.response.size()));
  return net::response_frame{w.take(), false, {}};
}

}  // namespace brook::broker::handlers
