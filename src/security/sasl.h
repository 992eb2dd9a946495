// SASL on the broker side: the settings of a SASL listener, the mechanisms it offers, and one
// server exchange per authentication. The framing (SaslHandshake, SaslAuthenticate, or raw tokens
// after SaslHandshake v0) is the dispatcher's; this file only turns client messages into answers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace brook::security {

// A JAAS login module entry: `Class flag key="value" ...;` (sasl.jaas.config).
struct jaas_entry {
  std::string login_module;
  std::string flag;
  std::map<std::string, std::string> options;
};
// Parses a sasl.jaas.config value (one or more entries, each ending in ';'); the error says what
// is wrong without echoing secrets.
result<std::vector<jaas_entry>, std::string> parse_jaas(std::string_view text);

// What one SASL listener offers.
struct listener_sasl {
  // sasl.enabled.mechanisms, upper case: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER.
  std::vector<std::string> mechanisms;
  // PLAIN: user name -> password, from the PlainLoginModule's user_<name> options.
  std::map<std::string, std::string> plain_users;
  // connections.max.reauth.ms: 0 means sessions never expire.
  int64_t max_reauth_ms = 0;
  // OAUTHBEARER: the token validator (its JWKS, expected audience and issuer).
  std::shared_ptr<const class jwt_validator> oauthbearer;
  // GSSAPI: the broker's service name, host and realm (of its keytab principal).
  std::shared_ptr<const struct gssapi_config> gssapi;
};

// One step of a server exchange.
struct sasl_step {
  std::string response;   // bytes for the client (may be empty)
  bool complete = false;  // authenticated as `user`
  bool failed = false;    // refused; `error` is the message for the client
  std::string error;
  // What the log says besides `error`, when the client should not learn it.
  std::string detail;
  std::string user;
  // When the credential itself expires (an OAUTHBEARER token), steady-clock ms; 0: never.
  int64_t credential_expires_at_ms = 0;
};

class sasl_exchange {
 public:
  virtual ~sasl_exchange() = default;
  // `now_ms` is the system clock in ms (for token expiry).
  virtual sasl_step next(std::string_view client_message, int64_t now_ms) = 0;
};

// PLAIN (RFC 4616) against the listener's user_<name> passwords, compared in constant time.
std::unique_ptr<sasl_exchange> make_plain_exchange(
    std::shared_ptr<const std::map<std::string, std::string>> users);

// Equality of two secrets in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace brook::security
