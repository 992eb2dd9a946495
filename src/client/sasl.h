// SASL for the client's connections (security.protocol SASL_PLAINTEXT and SASL_SSL): the client
// side of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (RFC 5802 / RFC 7677), OAUTHBEARER (RFC 7628,
// KIP-255, KIP-768) and GSSAPI (Kerberos V5, RFC 4752; see gssapi.h), spoken over SaslHandshake
// v1 and SaslAuthenticate (the highest of v0-v2 the broker has) right after ApiVersions on every
// connection.
//
// Settings: sasl.mechanism (Java; GSSAPI by default, as there) or sasl.mechanisms (librdkafka;
// wins when both are set); the user and password from sasl.username / sasl.password (librdkafka)
// or from Java's sasl.jaas.config (`<LoginModule> required username="..." password="...";`).
// OAUTHBEARER: either a ready token (a JWT) in sasl.oauthbearer.token, sent as it is, or a token
// endpoint that the client asks for tokens and refreshes them from (see oauth.h); SASL extensions
// from sasl.oauthbearer.extensions or extension_NAME JAAS options. GSSAPI: see gssapi.h.
//
// Failures: a refused mechanism is kafka_error(UNSUPPORTED_SASL_MECHANISM) naming the broker's
// mechanisms; refused credentials (or a SCRAM server signature that does not verify) are
// kafka_error(SASL_AUTHENTICATION_FAILED) with the broker's message. Neither is retriable: the
// cluster gives up on them at once instead of reconnecting.
//
// Re-authentication (KIP-368): when the broker limits the session (session_lifetime_ms > 0 in the
// last SaslAuthenticate answer), the authenticator asks the connection to run it again before the
// session ends (connection::expire_session_after); the connection then holds back new requests,
// waits for those in flight, re-authenticates on the same socket and goes on. A connection is never
// replaced for it, so nothing in flight is lost.
//
// Threads: an authenticator runs on its cluster's I/O thread, on the connection it authenticates;
// the mechanism objects are used by one exchange at a time.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "client/config.h"
#include "client/gssapi.h"
#include "client/oauth.h"

namespace brook::client {

class connection;

// What a client authenticates with.
struct sasl_credentials {
  // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or GSSAPI.
  std::string mechanism;
  std::string username;
  std::string password;
  // OAUTHBEARER: the token (when it is not fetched from token_source).
  std::string token;
  // OAUTHBEARER: where tokens come from when they are fetched (shared by a client's connections).
  std::shared_ptr<oauth_token_source> token_source;
  // OAUTHBEARER: SASL extensions sent with the token, name and value.
  std::vector<std::pair<std::string, std::string>> extensions;
  // GSSAPI: the broker's service name, and where the client's key comes from (see gssapi.h).
  kerberos_settings kerberos;
};

// Reads the SASL settings. Throws config_error for an unsupported mechanism or missing
// credentials.
sasl_credentials read_sasl_credentials(const config& settings);

// The options from a Java JAAS line: `module required key="value" key2=value2;` (quoted values
// may escape with a backslash). Throws config_error when the line does not parse.
std::vector<std::pair<std::string, std::string>> parse_jaas_options(std::string_view jaas);

// The hook for connection_options::authenticate: SaslHandshake, then the mechanism's exchange over
// SaslAuthenticate; schedules re-authentication when the broker limits the session.
std::function<asio::awaitable<void>(connection&)> make_sasl_authenticator(
    sasl_credentials credentials);

// One mechanism's client side, message by message (no I/O).
class sasl_client {
 public:
  virtual ~sasl_client() = default;
  // The first message the client sends.
  virtual std::vector<uint8_t> first_message() = 0;
  // The answer to the server's message `challenge`, or nullopt when the client has nothing more to
  // send. Throws kafka_error(SASL_AUTHENTICATION_FAILED) when the server's message is wrong.
  virtual std::optional<std::vector<uint8_t>> respond(std::span<const uint8_t> challenge) = 0;
  // Whether the exchange ended in success from the client's side (server verified where the
  // mechanism allows).
  virtual bool complete() const = 0;
};

// The client for credentials.mechanism; `broker_host` is the host the connection went to (GSSAPI
// names the broker's principal after it).
std::unique_ptr<sasl_client> make_sasl_client(const sasl_credentials& credentials,
                                              std::string_view broker_host = {});

// SCRAM (RFC 5802) with SHA-256 or SHA-512: client-first, client-final with the proof, and the
// server's signature checked. The nonce is random unless given (tests give RFC vectors' nonces).
class scram_client : public sasl_client {
 public:
  // `mechanism` is SCRAM-SHA-256 or SCRAM-SHA-512.
  scram_client(std::string_view mechanism, std::string username, std::string password,
               std::string client_nonce = {});
  std::vector<uint8_t> first_message() override;
  std::optional<std::vector<uint8_t>> respond(std::span<const uint8_t> challenge) override;
  bool complete() const override { return _state == state::done; }

 private:
  enum class state { initial, sent_first, sent_final, done };
  std::vector<uint8_t> client_final(std::string_view server_first);
  void verify_server_final(std::string_view server_final);

  bool _sha512;
  std::string _username;
  std::string _password;
  std::string _client_nonce;
  std::string _client_first_bare;
  std::string _auth_message;
  std::vector<uint8_t> _server_key;
  state _state = state::initial;
};

// SCRAM's SaltedPassword, Hi(password, salt, iterations) (PBKDF2 with HMAC of the mechanism's
// hash), as AlterUserScramCredentials takes it.
std::vector<uint8_t> scram_salted_password(std::string_view mechanism, std::string_view password,
                                           std::span<const uint8_t> salt, int iterations);

// Standard base64 with padding (RFC 4648), as SCRAM writes salts and proofs.
std::string base64_encode(std::span<const uint8_t> bytes);
// Throws kafka_error(SASL_AUTHENTICATION_FAILED) for input that is not base64.
std::vector<uint8_t> base64_decode(std::string_view text);

}  // namespace brook::client
