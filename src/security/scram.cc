#include "security/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <vector>

#include <fmt/format.h>

#include "base/assert.h"
#include "security/base64.h"

namespace brook::security {

std::optional<scram_mechanism> parse_scram_mechanism(std::string_view name) {
  if (name == "SCRAM-SHA-256") return scram_mechanism::sha256;
  if (name == "SCRAM-SHA-512") return scram_mechanism::sha512;
  return std::nullopt;
}

std::string_view mechanism_name(scram_mechanism m) {
  return m == scram_mechanism::sha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
}

int8_t mechanism_type(scram_mechanism m) { return m == scram_mechanism::sha256 ? 1 : 2; }

std::optional<scram_mechanism> scram_mechanism_of_type(int8_t type) {
  if (type == 1) return scram_mechanism::sha256;
  if (type == 2) return scram_mechanism::sha512;
  return std::nullopt;
}

std::string sasl_generic_failure(std::string_view mechanism) {
  return fmt::format(
      "Authentication failed during authentication due to invalid credentials with SASL "
      "mechanism {}",
      mechanism);
}

namespace scram_primitives {

namespace {
const EVP_MD* md(digest d) {
  switch (d) {
    case digest::sha1:
      return EVP_sha1();
    case digest::sha256:
      return EVP_sha256();
    case digest::sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}
}  // namespace

digest digest_of(scram_mechanism m) {
  return m == scram_mechanism::sha256 ? digest::sha256 : digest::sha512;
}

size_t digest_size(digest d) { return static_cast<size_t>(EVP_MD_get_size(md(d))); }

std::string hash(digest d, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out;
  unsigned int len = 0;
  BROOK_ASSERT(EVP_Digest(data.data(), data.size(), out.data(), &len, md(d), nullptr) == 1,
               "EVP_Digest failed");
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

std::string hmac(digest d, std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out;
  unsigned int len = 0;
  BROOK_ASSERT(HMAC(md(d), key.data(), static_cast<int>(key.size()),
                    reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                    &len) != nullptr,
               "HMAC failed");
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

std::string hi(digest d, std::string_view password, std::string_view salt, int32_t iterations) {
  std::string out(digest_size(d), '\0');
  BROOK_ASSERT(iterations > 0, "Hi() needs a positive iteration count");
  BROOK_ASSERT(PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                                 reinterpret_cast<const unsigned char*>(salt.data()),
                                 static_cast<int>(salt.size()), iterations, md(d),
                                 static_cast<int>(out.size()),
                                 reinterpret_cast<unsigned char*>(out.data())) == 1,
               "PKCS5_PBKDF2_HMAC failed");
  return out;
}

}  // namespace scram_primitives

namespace sp = scram_primitives;

scram_credential credential_from_salted_password(scram_mechanism m, std::string_view salt,
                                                 std::string_view salted_password,
                                                 int32_t iterations) {
  const auto d = sp::digest_of(m);
  scram_credential c;
  c.mechanism = m;
  c.iterations = iterations;
  c.salt = std::string(salt);
  c.stored_key = sp::hash(d, sp::hmac(d, salted_password, "Client Key"));
  c.server_key = sp::hmac(d, salted_password, "Server Key");
  return c;
}

scram_credential credential_from_password(scram_mechanism m, std::string_view password,
                                          std::string_view salt, int32_t iterations) {
  return credential_from_salted_password(
      m, salt, sp::hi(sp::digest_of(m), password, salt, iterations), iterations);
}

namespace {

// `count` characters of [0-9A-Za-z] from the CSPRNG; empty when it fails.
std::string random_alphanumeric(size_t count) {
  static constexpr std::string_view k_chars =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  std::array<unsigned char, 64> buf;
  while (out.size() < count) {
    if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) return {};
    for (unsigned char b : buf) {
      if (b >= 248) continue;  // 248 = 4 * 62: keeps the draw uniform
      out += k_chars[b % 62];
      if (out.size() == count) break;
    }
  }
  return out;
}

// A per-process secret behind the made-up salts of unknown users: the same user gets the same salt
// on every attempt (as a real one would), and nobody outside can tell it from a real salt.
const std::string& fake_salt_key() {
  static const std::string key = [] {
    std::string k(32, '\0');
    BROOK_ASSERT(RAND_bytes(reinterpret_cast<unsigned char*>(k.data()), 32) == 1,
                 "RAND_bytes failed");
    return k;
  }();
  return key;
}

// Shaped like the salts Kafka's tools make: a random number written in base 36.
std::string fake_salt(scram_mechanism m, std::string_view user) {
  const std::string mac =
      sp::hmac(sp::digest::sha256, fake_salt_key(), fmt::format("{}\n{}", mechanism_name(m), user));
  std::string out;
  for (size_t i = 0; i < 26; ++i)
    out += "0123456789abcdefghijklmnopqrstuvwxyz"[static_cast<unsigned char>(mac[i]) % 36];
  return out;
}

// RFC 5802's saslname: "=2C" is ',' and "=3D" is '='; any other '=', a ',' or a NUL is invalid.
std::optional<std::string> decode_saslname(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\0' || c == ',') return std::nullopt;
    if (c == '=') {
      const auto code = s.substr(i + 1, 2);
      if (code == "2C")
        out += ',';
      else if (code == "3D")
        out += '=';
      else
        return std::nullopt;
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = s.find(',', start);
    parts.push_back(s.substr(start, comma == std::string_view::npos ? s.npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

// RFC 5802's printable: 0x21..0x7E except ','.
bool printable(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  return true;
}

// An extension attribute as Kafka takes it: letters, '=', then 1+ bytes of 0x01..0x7F.
bool extension(std::string_view attr, std::string_view* key, std::string_view* value) {
  const size_t eq = attr.find('=');
  if (eq == 0 || eq == std::string_view::npos) return false;
  for (char c : attr.substr(0, eq))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  *key = attr.substr(0, eq);
  *value = attr.substr(eq + 1);
  if (value->empty()) return false;
  for (char c : *value)
    if (c < 0x01 || static_cast<unsigned char>(c) > 0x7f) return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string mechanism_enum_name(scram_mechanism m) {
  return m == scram_mechanism::sha256 ? "SCRAM_SHA_256" : "SCRAM_SHA_512";
}

}  // namespace

scram_server::scram_server(scram_mechanism m, lookup_fn lookup)
    : _mechanism(m), _lookup(std::move(lookup)) {}

scram_server::scram_server(scram_mechanism m, lookup_fn lookup, std::string server_nonce)
    : _mechanism(m), _lookup(std::move(lookup)), _server_nonce(std::move(server_nonce)) {}

scram_server::step scram_server::fail(std::string reason, bool tell_client) {
  _state = state::done;
  _credential.reset();
  step s;
  s.failed = true;
  s.error = tell_client ? reason : sasl_generic_failure(mechanism_name(_mechanism));
  s.reason = std::move(reason);
  return s;
}

scram_server::step scram_server::next(std::string_view client_message) {
  switch (_state) {
    case state::client_first:
      return first(client_message);
    case state::client_final:
      return final(client_message);
    case state::done:
      break;
  }
  return fail("Unexpected challenge in Sasl server state FAILED");
}

scram_server::step scram_server::first(std::string_view message) {
  const auto bad_format = [&] {
    return fail(fmt::format("Invalid SCRAM client first message format: {}", message));
  };
  // GS2 header: "n," then an optional "a=<authzid>", then ",". "y" and "p=" (channel binding)
  // are not offered.
  if (!message.starts_with("n,")) return bad_format();
  std::string authzid;
  size_t pos = 2;
  if (message.substr(pos).starts_with("a=")) {
    const size_t comma = message.find(',', pos);
    if (comma == std::string_view::npos) return bad_format();
    auto decoded = decode_saslname(message.substr(pos + 2, comma - pos - 2));
    if (!decoded) return bad_format();
    authzid = std::move(*decoded);
    pos = comma;
  }
  if (pos >= message.size() || message[pos] != ',') return bad_format();
  _gs2_header = std::string(message.substr(0, pos + 1));
  const std::string_view bare = message.substr(pos + 1);

  const auto attrs = split_commas(bare);
  // A mandatory extension ("m=") is one this server does not know, so it must fail (RFC 5802).
  if (attrs.size() < 2 || !attrs[0].starts_with("n=") || !attrs[1].starts_with("r="))
    return bad_format();
  auto user = decode_saslname(attrs[0].substr(2));
  const std::string_view client_nonce = attrs[1].substr(2);
  if (!user || !printable(client_nonce)) return bad_format();
  bool token_auth = false;
  for (size_t i = 2; i < attrs.size(); ++i) {
    std::string_view key, value;
    if (!extension(attrs[i], &key, &value)) return bad_format();
    if (key == "tokenauth" && iequals(value, "true")) token_auth = true;
  }
  if (token_auth)
    return fail(
        fmt::format("Token Authentication failed: delegation tokens are not supported: {}", *user));
  if (!authzid.empty() && authzid != *user)
    return fail(
        "Authentication failed: Client requested an authorization id that is different from "
        "username",
        true);

  _credential = _lookup(*user);
  if (_credential) {
    if (_credential->iterations < scram_min_iterations)
      return fail(fmt::format("Iterations {} is less than the minimum {} for {}",
                              _credential->iterations, scram_min_iterations,
                              mechanism_enum_name(_mechanism)));
    if (_credential->iterations > scram_max_iterations)
      return fail(fmt::format("Iterations {} is more than the maximum {} for {}",
                              _credential->iterations, scram_max_iterations,
                              mechanism_enum_name(_mechanism)));
    if (_credential->mechanism != _mechanism)
      return fail("Authentication failed: Credentials could not be obtained");
  }
  std::string salt = _credential ? _credential->salt : fake_salt(_mechanism, *user);
  const int32_t iterations = _credential ? _credential->iterations : scram_min_iterations;

  if (_server_nonce.empty()) _server_nonce = random_alphanumeric(32);
  if (_server_nonce.empty())
    return fail("Authentication failed: Credentials could not be obtained");
  _user = std::move(*user);
  _client_first_bare = std::string(bare);
  _nonce = std::string(client_nonce) + _server_nonce;
  _client_nonce_size = client_nonce.size();
  _server_first = fmt::format("r={},s={},i={}", _nonce, base64_encode(salt), iterations);
  _state = state::client_final;
  step s;
  s.response = _server_first;
  return s;
}

scram_server::step scram_server::final(std::string_view message) {
  const auto bad_format = [&] {
    return fail(fmt::format("Invalid SCRAM client final message format: {}", message));
  };
  const auto attrs = split_commas(message);
  if (attrs.size() < 3 || !attrs[0].starts_with("c=") || !attrs[1].starts_with("r=") ||
      !attrs.back().starts_with("p="))
    return bad_format();
  for (size_t i = 2; i + 1 < attrs.size(); ++i) {
    std::string_view key, value;
    if (!extension(attrs[i], &key, &value)) return bad_format();
  }
  const auto binding = base64_decode(attrs[0].substr(2));
  const auto proof = base64_decode(attrs.back().substr(2));
  if (!binding || !proof || !printable(attrs[1].substr(2))) return bad_format();
  // No channel binding: the attribute must carry the GS2 header itself ("biws" for "n,,").
  if (*binding != _gs2_header) return fail("Invalid channel binding in the final client message.");
  // RFC 5802 wants the nonce of the server's first message back. librdkafka before 2.6.1 sends
  // its own nonce in front of it once more; Kafka 3.8.1 and 3.9 accept that (they check that the
  // nonce ends with the server's), so Debian 12's kcat and confluent-kafka builds on old
  // librdkafka can log in. Brook accepts exactly that form too, and nothing else.
  const std::string_view echoed = attrs[1].substr(2);
  const bool librdkafka_form = echoed.size() == _client_nonce_size + _nonce.size() &&
                               echoed.substr(0, _client_nonce_size) ==
                                   std::string_view(_nonce).substr(0, _client_nonce_size) &&
                               echoed.substr(_client_nonce_size) == _nonce;
  if (echoed != _nonce && !librdkafka_form)
    return fail("Invalid client nonce in the final client message.");

  const auto d = sp::digest_of(_mechanism);
  const std::string_view without_proof =
      message.substr(0, message.size() - attrs.back().size() - 1);
  const std::string auth_message =
      fmt::format("{},{},{}", _client_first_bare, _server_first, without_proof);
  if (!_credential) {
    // An unknown user: spend the same work as for a known one, then fail the same way.
    sp::hash(d, sp::hmac(d, std::string(sp::digest_size(d), '\0'), auth_message));
    return fail("Authentication failed: Invalid user credentials");
  }
  if (proof->size() != sp::digest_size(d)) return fail("Invalid client credentials");
  std::string client_key = sp::hmac(d, _credential->stored_key, auth_message);  // ClientSignature
  for (size_t i = 0; i < client_key.size(); ++i) client_key[i] ^= (*proof)[i];
  const std::string computed_stored_key = sp::hash(d, client_key);
  if (computed_stored_key.size() != _credential->stored_key.size() ||
      CRYPTO_memcmp(computed_stored_key.data(), _credential->stored_key.data(),
                    computed_stored_key.size()) != 0)
    return fail("Invalid client credentials");

  step s;
  s.response = "v=" + base64_encode(sp::hmac(d, _credential->server_key, auth_message));
  s.complete = true;
  s.user = std::move(_user);
  _credential.reset();
  _state = state::done;
  return s;
}

}  // namespace brook::security
