// SASL/SCRAM (RFC 5802, RFC 7677) on the server side, as Kafka's SCRAM-SHA-256 and SCRAM-SHA-512:
// the stored credential (salt, iteration count, StoredKey, ServerKey; never the password) and the
// two-round exchange that checks a client's proof against it.
//
// What the exchange accepts, as Kafka's ScramSaslServer: GS2 header "n,," (or "n,a=<user>," naming
// the user itself), no channel binding, no delegation tokens (the "tokenauth" extension fails),
// credentials of 4096..16384 iterations. Hardening beyond Kafka's: the client-final nonce must be
// the server-first's full nonce (CVE-2024-56128), the proof is compared in constant time
// (CVE-2021-38153), the channel binding attribute must be the base64 of the GS2 header, and an
// unknown user gets a made-up salt and fails at the proof like a wrong password, so the exchange
// does not tell which users exist.
//
// A scram_server lives on the connection that authenticates and is used from that connection's
// shard only; it holds no resources beyond its strings.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace brook::security {

enum class scram_mechanism { sha256, sha512 };

// "SCRAM-SHA-256" / "SCRAM-SHA-512" (exact, as Kafka's ScramMechanism); nullopt for anything else.
std::optional<scram_mechanism> parse_scram_mechanism(std::string_view name);
std::string_view mechanism_name(scram_mechanism m);
// The mechanism's number in the DescribeUserScramCredentials / AlterUserScramCredentials APIs
// (1: SCRAM-SHA-256, 2: SCRAM-SHA-512), and back (nullopt for 0 "UNKNOWN" and anything else).
int8_t mechanism_type(scram_mechanism m);
std::optional<scram_mechanism> scram_mechanism_of_type(int8_t type);

// Kafka's bounds on the iteration count of a credential
// (ScramMechanism.minIterations/maxIterations).
inline constexpr int32_t scram_min_iterations = 4096;
inline constexpr int32_t scram_max_iterations = 16384;

// A stored credential. Every string holds raw bytes (not base64).
struct scram_credential {
  scram_mechanism mechanism = scram_mechanism::sha256;
  int32_t iterations = 0;
  std::string salt;
  std::string stored_key;  // H(HMAC(SaltedPassword, "Client Key"))
  std::string server_key;  // HMAC(SaltedPassword, "Server Key")

  bool operator==(const scram_credential&) const = default;
};

// From a salted password (Hi(password, salt, i), what AlterUserScramCredentials carries) or from a
// plain password (UTF-8 bytes, not SASLprepped, as Kafka).
scram_credential credential_from_salted_password(scram_mechanism m, std::string_view salt,
                                                 std::string_view salted_password,
                                                 int32_t iterations);
scram_credential credential_from_password(scram_mechanism m, std::string_view password,
                                          std::string_view salt, int32_t iterations);

// The RFC 5802 building blocks, for tests and for the credential functions above. SHA-1 is here
// for RFC 5802's own test vector only; it is not offered as a mechanism.
namespace scram_primitives {
enum class digest { sha1, sha256, sha512 };
digest digest_of(scram_mechanism m);
size_t digest_size(digest d);
std::string hash(digest d, std::string_view data);
std::string hmac(digest d, std::string_view key, std::string_view data);
// Hi(): PBKDF2 with HMAC over `d`, output as long as the digest.
std::string hi(digest d, std::string_view password, std::string_view salt, int32_t iterations);
}  // namespace scram_primitives

// One server-side SCRAM exchange. Feed it each client message in turn; it answers the bytes to send
// back and, at the end, success (complete) or failure (failed). After either, further messages
// fail.
class scram_server {
 public:
  // Finds the user's credential for this server's mechanism; nullopt when there is none.
  using lookup_fn = std::function<std::optional<scram_credential>(std::string_view user)>;

  scram_server(scram_mechanism m, lookup_fn lookup);
  // For tests: a fixed server nonce instead of a random one.
  scram_server(scram_mechanism m, lookup_fn lookup, std::string server_nonce);

  struct step {
    std::string response;   // bytes to send back (may be empty)
    bool complete = false;  // authentication succeeded; `user` is the authenticated name
    bool failed = false;    // authentication failed; `error` is the message for the client
    std::string error;
    std::string user;
    // Why it failed, in Kafka's words (ScramSaslServer's exception messages): for logs. `error`
    // is what Kafka tells the client, which for most failures names no reason.
    std::string reason;
  };
  step next(std::string_view client_message);

  scram_mechanism mechanism() const { return _mechanism; }

 private:
  step first(std::string_view message);
  step final(std::string_view message);
  step fail(std::string reason, bool tell_client = false);

  enum class state { client_first, client_final, done };

  scram_mechanism _mechanism;
  lookup_fn _lookup;
  std::string _server_nonce;  // given for tests; otherwise drawn at the first message
  state _state = state::client_first;

  // Kept between the two rounds.
  std::string _gs2_header;
  std::string _client_first_bare;
  std::string _server_first;
  std::string _nonce;  // client nonce + server nonce
  size_t _client_nonce_size = 0;
  std::string _user;
  std::optional<scram_credential> _credential;  // nullopt: unknown user, bound to fail
};

// The message Kafka's SaslServerAuthenticator sends a client whose SASL exchange failed without a
// message meant for it.
std::string sasl_generic_failure(std::string_view mechanism);

}  // namespace brook::security
