// SASL/OAUTHBEARER (RFC 7628) on the server side, with the access token checked as a signed JWT
// (RFC 7519, RFC 7515), as Kafka's OAuthBearerSaslServer with OAuthBearerValidatorCallbackHandler
// and a JWKS endpoint.
//
// The keys come from a JWKS (RFC 7517) in a file named by a file: URL
// (sasl.oauthbearer.jwks.endpoint.url). Signatures: RS256/384/512, PS256/384/512, ES256/384/512;
// "none" and the HMAC algorithms are refused, as is a token with a "crit" header. Claims: exp is
// required, nbf and iat are checked when present, all with the clock skew; iss and aud when
// expected values are configured; the principal is the (configurable) subject claim.
//
// jwks and jwt_validator are immutable once built and may be shared by every shard (OpenSSL
// verifies with a const key from many threads). An oauthbearer_server lives on the connection that
// authenticates, on that connection's shard.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace brook::security {

// The broker settings that shape validation, under Kafka's names.
struct oauthbearer_config {
  std::string jwks_endpoint_url;               // sasl.oauthbearer.jwks.endpoint.url (file: only)
  std::vector<std::string> expected_audience;  // sasl.oauthbearer.expected.audience (empty: any)
  std::string expected_issuer;                 // sasl.oauthbearer.expected.issuer (empty: any)
  std::string sub_claim_name = "sub";          // sasl.oauthbearer.sub.claim.name
  std::string scope_claim_name = "scope";      // sasl.oauthbearer.scope.claim.name
  int64_t clock_skew_seconds = 30;             // sasl.oauthbearer.clock.skew.seconds
};

// A set of public keys for verifying signatures. Keys of a type or curve this code does not verify
// with (symmetric "oct" keys among them) are skipped, as jose4j skips them.
class jwks {
 public:
  struct key {
    std::string kid;  // empty: the JWK has none
    std::string kty;  // "RSA" or "EC"
    std::string crv;  // EC: "P-256", "P-384" or "P-521"
    std::string alg;  // empty: any algorithm of its type
    std::string use;  // empty or "sig"
    int bits = 0;
    std::shared_ptr<evp_pkey_st> pkey;
  };

  // Parses a JWKS document ({"keys": [...]}); an error when it is not one or has no usable key.
  static result<std::shared_ptr<const jwks>, std::string> parse(std::string_view json);
  // Reads the file a file: URL names ("file:/path" or "file:///path"; other schemes are refused).
  static result<std::shared_ptr<const jwks>, std::string> load(std::string_view url);

  const std::vector<key>& keys() const { return _keys; }

 private:
  std::vector<key> _keys;
};

// Checks compact-form JWTs against a key set and the claim rules of a config.
class jwt_validator {
 public:
  // Loads the keys from config.jwks_endpoint_url. Throws std::runtime_error naming the setting when
  // it is empty, not a file: URL, unreadable or not a usable JWKS.
  explicit jwt_validator(oauthbearer_config config);
  jwt_validator(oauthbearer_config config, std::shared_ptr<const jwks> keys);

  struct token {
    std::string principal;
    std::vector<std::string> scopes;
    int64_t expires_at_ms = 0;
    std::optional<int64_t> issued_at_ms;
  };
  // The token's identity, or why it is not valid at `now_ms` (for logs; clients only learn
  // "invalid_token").
  result<token, std::string> validate(std::string_view compact, int64_t now_ms) const;

  const oauthbearer_config& config() const { return _config; }

 private:
  oauthbearer_config _config;
  std::shared_ptr<const jwks> _keys;
};

// One server-side OAUTHBEARER exchange. The client's first message carries the token; a valid one
// completes at once (empty response). An invalid one is answered with RFC 7628's JSON error
// {"status":"invalid_token"}; the client then sends a single 0x01 and the exchange fails with that
// JSON as the message, as Kafka does.
class oauthbearer_server {
 public:
  explicit oauthbearer_server(std::shared_ptr<const jwt_validator> validator);

  struct step {
    std::string response;
    bool complete = false;
    bool failed = false;
    std::string error;  // the message for the client when failed
    std::string principal_name;
    int64_t expires_at_ms = 0;  // the token's exp, for KIP-368 session lifetime
    std::vector<std::string> scopes;
    std::map<std::string, std::string> extensions;  // SASL extensions the client sent
    std::string reason;  // why it failed or the token was refused, in Kafka's words: for logs
  };
  step next(std::string_view client_message, int64_t now_ms);

 private:
  step fail(std::string reason, bool tell_client);

  std::shared_ptr<const jwt_validator> _validator;
  std::string _error_json;  // set after answering a refused token
  bool _done = false;
};

}  // namespace brook::security
