#include "client/sasl.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>

#include "client/connection.h"
#include "client/errors.h"
#include "protocol/generated/sasl_authenticate_request.h"
#include "protocol/generated/sasl_authenticate_response.h"
#include "protocol/generated/sasl_handshake_request.h"
#include "protocol/generated/sasl_handshake_response.h"

namespace brook::client {

namespace {

using protocol::error_code;

// RFC 7677 and Kafka's ScramMechanism: servers asking for fewer iterations are refused.
constexpr int k_min_scram_iterations = 4096;

[[noreturn]] void fail(const std::string& why) {
  throw kafka_error(error_code::sasl_authentication_failed, why);
}

std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

const EVP_MD* scram_digest(std::string_view mechanism) {
  if (mechanism == "SCRAM-SHA-256") return EVP_sha256();
  if (mechanism == "SCRAM-SHA-512") return EVP_sha512();
  throw config_error(fmt::format("sasl.mechanism: '{}' is not a SCRAM mechanism", mechanism));
}

std::vector<uint8_t> hmac(const EVP_MD* md, std::span<const uint8_t> key, std::string_view data) {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const uint8_t*>(data.data()),
       data.size(), out.data(), &n);
  out.resize(n);
  return out;
}

std::vector<uint8_t> digest(const EVP_MD* md, std::span<const uint8_t> data) {
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &n, md, nullptr);
  out.resize(n);
  return out;
}

// RFC 5802's saslname: ',' and '=' escaped.
std::string sasl_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ',')
      out += "=2C";
    else if (c == '=')
      out += "=3D";
    else
      out += c;
  }
  return out;
}

// The attributes of a SCRAM message ("r=...,s=...,i=..."), in order.
std::vector<std::pair<char, std::string_view>> scram_attributes(std::string_view message) {
  std::vector<std::pair<char, std::string_view>> out;
  while (!message.empty()) {
    const auto comma = message.find(',');
    const std::string_view item = message.substr(0, comma);
    if (item.size() < 2 || item[1] != '=') fail(fmt::format("malformed SCRAM message '{}'", item));
    out.emplace_back(item[0], item.substr(2));
    if (comma == std::string_view::npos) break;
    message.remove_prefix(comma + 1);
  }
  return out;
}

std::string_view attribute(const std::vector<std::pair<char, std::string_view>>& attributes,
                           char name) {
  for (const auto& [k, v] : attributes)
    if (k == name) return v;
  fail(fmt::format("SCRAM message without '{}='", name));
}

std::string random_nonce() {
  uint8_t raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1) fail("no random bytes for the SCRAM nonce");
  std::string nonce = base64_encode(raw);
  // Printable and without ',' as RFC 5802 requires; '=' padding is not needed.
  nonce.erase(std::remove(nonce.begin(), nonce.end(), '='), nonce.end());
  return nonce;
}

class plain_client : public sasl_client {
 public:
  plain_client(std::string username, std::string password)
      : _username(std::move(username)), _password(std::move(password)) {}
  std::vector<uint8_t> first_message() override {
    // authzid (empty), authcid, password, separated by NUL (RFC 4616).
    std::string m;
    m.push_back('\0');
    m += _username;
    m.push_back('\0');
    m += _password;
    return bytes_of(m);
  }
  std::optional<std::vector<uint8_t>> respond(std::span<const uint8_t>) override {
    _done = true;
    return std::nullopt;
  }
  bool complete() const override { return _done; }

 private:
  std::string _username;
  std::string _password;
  bool _done = false;
};

class oauthbearer_client : public sasl_client {
 public:
  oauthbearer_client(std::string token, std::vector<std::pair<std::string, std::string>> extensions)
      : _token(std::move(token)), _extensions(std::move(extensions)) {}
  std::vector<uint8_t> first_message() override {
    // GS2 header without authzid, then auth=Bearer and the extensions, each pair ending in a
    // kvsep, and a last kvsep (RFC 7628 section 3.1).
    std::string m = fmt::format(
        "n,,\x01"
        "auth=Bearer {}\x01",
        _token);
    for (const auto& [k, v] : _extensions) m += fmt::format("{}={}\x01", k, v);
    m += '\x01';
    return bytes_of(m);
  }
  std::optional<std::vector<uint8_t>> respond(std::span<const uint8_t> challenge) override {
    if (_failed) fail("OAUTHBEARER: the broker accepted after reporting an error");
    if (challenge.empty()) {
      _done = true;
      return std::nullopt;
    }
    // A server message is an error (a JSON status); the client answers with a lone kvsep and the
    // broker then fails the exchange with its message (RFC 7628 section 3.2.3).
    _failed = true;
    return std::vector<uint8_t>{0x01};
  }
  bool complete() const override { return _done; }

 private:
  std::string _token;
  std::vector<std::pair<std::string, std::string>> _extensions;
  bool _done = false;
  bool _failed = false;
};

}  // namespace

// --- base64 ---

std::string base64_encode(std::span<const uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<uint8_t> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) fail(fmt::format("'{}' is not base64", text));
  std::vector<uint8_t> out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) fail(fmt::format("'{}' is not base64", text));
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '=' && padding < 2; --i) ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

// --- SCRAM ---

std::vector<uint8_t> scram_salted_password(std::string_view mechanism, std::string_view password,
                                           std::span<const uint8_t> salt, int iterations) {
  const EVP_MD* md = scram_digest(mechanism);
  std::vector<uint8_t> out(static_cast<size_t>(EVP_MD_get_size(md)));
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), iterations, md, static_cast<int>(out.size()),
                        out.data()) != 1)
    fail("PBKDF2 failed");
  return out;
}

scram_client::scram_client(std::string_view mechanism, std::string username, std::string password,
                           std::string client_nonce)
    : _sha512(mechanism == "SCRAM-SHA-512"),
      _username(std::move(username)),
      _password(std::move(password)),
      _client_nonce(client_nonce.empty() ? random_nonce() : std::move(client_nonce)) {
  scram_digest(mechanism);  // refuses other names
}

std::vector<uint8_t> scram_client::first_message() {
  _client_first_bare = fmt::format("n={},r={}", sasl_name(_username), _client_nonce);
  _state = state::sent_first;
  // GS2 header "n,,": no channel binding, no authorization identity.
  return bytes_of("n,," + _client_first_bare);
}

std::optional<std::vector<uint8_t>> scram_client::respond(std::span<const uint8_t> challenge) {
  const std::string_view message(reinterpret_cast<const char*>(challenge.data()), challenge.size());
  switch (_state) {
    case state::sent_first:
      _state = state::sent_final;
      return client_final(message);
    case state::sent_final:
      verify_server_final(message);
      _state = state::done;
      return std::nullopt;
    default:
      fail("SCRAM: unexpected server message");
  }
}

std::vector<uint8_t> scram_client::client_final(std::string_view server_first) {
  const auto attributes = scram_attributes(server_first);
  for (const auto& [k, v] : attributes)
    if (k == 'm') fail("SCRAM: the server asks for an extension the client does not know");
  const std::string_view nonce = attribute(attributes, 'r');
  if (!nonce.starts_with(_client_nonce) || nonce.size() == _client_nonce.size())
    fail("SCRAM: the server's nonce does not extend the client's");
  const std::vector<uint8_t> salt = base64_decode(attribute(attributes, 's'));
  const std::string_view iterations_text = attribute(attributes, 'i');
  int iterations = 0;
  auto [end, ec] = std::from_chars(iterations_text.data(),
                                   iterations_text.data() + iterations_text.size(), iterations);
  if (ec != std::errc() || end != iterations_text.data() + iterations_text.size())
    fail(fmt::format("SCRAM: '{}' is not an iteration count", iterations_text));
  if (iterations < k_min_scram_iterations)
    fail(fmt::format("SCRAM: the server asks for {} iterations, fewer than the minimum {}",
                     iterations, k_min_scram_iterations));

  const std::string_view mechanism = _sha512 ? "SCRAM-SHA-512" : "SCRAM-SHA-256";
  const EVP_MD* md = scram_digest(mechanism);
  const auto salted = scram_salted_password(mechanism, _password, salt, iterations);
  const auto client_key = hmac(md, salted, "Client Key");
  const auto stored_key = digest(md, client_key);
  // "biws" is base64("n,,"), the GS2 header sent first.
  const std::string without_proof = fmt::format("c=biws,r={}", nonce);
  _auth_message = fmt::format("{},{},{}", _client_first_bare, server_first, without_proof);
  const auto signature = hmac(md, stored_key, _auth_message);
  std::vector<uint8_t> proof(client_key.size());
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = client_key[i] ^ signature[i];
  _server_key = hmac(md, salted, "Server Key");
  return bytes_of(fmt::format("{},p={}", without_proof, base64_encode(proof)));
}

void scram_client::verify_server_final(std::string_view server_final) {
  const auto attributes = scram_attributes(server_final);
  for (const auto& [k, v] : attributes)
    if (k == 'e') fail(fmt::format("SCRAM: the server refused: {}", v));
  const auto claimed = base64_decode(attribute(attributes, 'v'));
  const EVP_MD* md = _sha512 ? EVP_sha512() : EVP_sha256();
  const auto expected = hmac(md, _server_key, _auth_message);
  if (claimed.size() != expected.size() ||
      CRYPTO_memcmp(claimed.data(), expected.data(), expected.size()) != 0)
    fail("SCRAM: the server's signature does not verify; it does not know the password");
}

// --- settings ---

std::vector<std::pair<std::string, std::string>> parse_jaas_options(std::string_view jaas) {
  auto bad = [&](std::string_view why) {
    return config_error(fmt::format("sasl.jaas.config: {} in '{}'", why, jaas));
  };
  size_t i = 0;
  auto skip_space = [&] {
    while (i < jaas.size() && std::isspace(static_cast<unsigned char>(jaas[i]))) ++i;
  };
  auto word = [&] {
    skip_space();
    const size_t start = i;
    while (i < jaas.size() && !std::isspace(static_cast<unsigned char>(jaas[i])) &&
           jaas[i] != '=' && jaas[i] != ';')
      ++i;
    return std::string(jaas.substr(start, i - start));
  };
  if (word().empty()) throw bad("no login module");
  const std::string flag = word();
  if (flag != "required" && flag != "requisite" && flag != "sufficient" && flag != "optional")
    throw bad("no control flag (required)");
  std::vector<std::pair<std::string, std::string>> out;
  for (;;) {
    skip_space();
    if (i >= jaas.size()) throw bad("no closing ';'");
    if (jaas[i] == ';') break;
    std::string key = word();
    skip_space();
    if (key.empty() || i >= jaas.size() || jaas[i] != '=') throw bad("an option without '='");
    ++i;
    skip_space();
    std::string value;
    if (i < jaas.size() && jaas[i] == '"') {
      ++i;
      for (;; ++i) {
        if (i >= jaas.size()) throw bad("an unclosed quote");
        if (jaas[i] == '"') break;
        if (jaas[i] == '\\' && i + 1 < jaas.size()) ++i;
        value += jaas[i];
      }
      ++i;
    } else {
      value = word();
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return out;
}

sasl_credentials read_sasl_credentials(const config& settings) {
  sasl_credentials c;
  c.mechanism = settings.get_string("sasl.mechanisms");
  if (c.mechanism.empty()) c.mechanism = settings.get_string("sasl.mechanism");
  const std::string& m = c.mechanism;
  if (m != "PLAIN" && m != "SCRAM-SHA-256" && m != "SCRAM-SHA-512" && m != "OAUTHBEARER" &&
      m != "GSSAPI")
    throw config_error(
        fmt::format("sasl.mechanism: '{}' is not supported (GSSAPI, PLAIN, SCRAM-SHA-256, "
                    "SCRAM-SHA-512 or OAUTHBEARER)",
                    m));
  if (m == "OAUTHBEARER") {
    c.extensions = read_oauth_extensions(settings);
    if (auto oidc = read_oidc_settings(settings)) {
      c.token_source = std::make_shared<oauth_token_source>(std::move(*oidc));
      return c;
    }
    c.token = settings.get_string("sasl.oauthbearer.token");
    if (c.token.empty())
      throw config_error(
          "sasl.oauthbearer.token: OAUTHBEARER needs a token, or a token endpoint "
          "(sasl.oauthbearer.token.endpoint.url)");
    return c;
  }
  if (m == "GSSAPI") {
    c.kerberos = read_kerberos_settings(settings);
    return c;
  }
  c.username = settings.get_string("sasl.username");
  c.password = settings.get_string("sasl.password");
  if (const std::string jaas = settings.get_string("sasl.jaas.config"); !jaas.empty()) {
    for (auto& [k, v] : parse_jaas_options(jaas)) {
      if (k == "username" && c.username.empty()) c.username = std::move(v);
      if (k == "password" && !settings.contains("sasl.password")) c.password = std::move(v);
    }
  }
  if (c.username.empty())
    throw config_error(fmt::format(
        "sasl.username: {} needs a user (sasl.username, or username= in sasl.jaas.config)", m));
  return c;
}

std::unique_ptr<sasl_client> make_sasl_client(const sasl_credentials& c,
                                              std::string_view broker_host) {
  if (c.mechanism == "PLAIN") return std::make_unique<plain_client>(c.username, c.password);
  if (c.mechanism == "OAUTHBEARER")
    return std::make_unique<oauthbearer_client>(c.token, c.extensions);
  if (c.mechanism == "GSSAPI") return make_gssapi_client(c.kerberos, broker_host);
  return std::make_unique<scram_client>(c.mechanism, c.username, c.password);
}

// --- the exchange ---

namespace {

asio::awaitable<void> authenticate(connection& conn,
                                   std::shared_ptr<const sasl_credentials> shared) {
  const sasl_credentials& credentials = *shared;
  const std::string where = conn.address().to_string();
  // A token from the endpoint (fetched again when the cached one is due for refresh), got before
  // the handshake so that the broker does not wait on the endpoint.
  std::optional<sasl_credentials> token;
  if (credentials.token_source) {
    token = credentials;
    token->token = co_await credentials.token_source->token();
  }
  const int16_t handshake_version = conn.require_version(protocol::api_key::sasl_handshake, 1, 1);
  protocol::sasl_handshake_request handshake;
  handshake.mechanism = credentials.mechanism;
  const auto h =
      co_await conn.call<protocol::sasl_handshake_response>(handshake, handshake_version);
  if (h.error_code != 0) {
    const auto code =
        protocol::error_from_int(h.error_code).value_or(error_code::unsupported_sasl_mechanism);
    std::string enabled;
    for (const auto& name : h.mechanisms) enabled += (enabled.empty() ? "" : ", ") + name;
    throw kafka_error(code, fmt::format("{} does not enable SASL mechanism {} (it has: {})", where,
                                        credentials.mechanism, enabled));
  }
  const int16_t version = conn.require_version(protocol::api_key::sasl_authenticate, 2, 0);
  auto client = make_sasl_client(token ? *token : credentials, conn.address().host);
  std::vector<uint8_t> message = client->first_message();
  int64_t lifetime_ms = 0;
  for (;;) {
    protocol::sasl_authenticate_request request;
    request.auth_bytes = std::move(message);
    const auto r = co_await conn.call<protocol::sasl_authenticate_response>(request, version);
    if (r.error_code != 0) {
      const auto code =
          protocol::error_from_int(r.error_code).value_or(error_code::sasl_authentication_failed);
      const std::string broker_message = r.error_message.value_or("");
      throw kafka_error(
          code, fmt::format("{} authentication with {} failed: {}", credentials.mechanism, where,
                            broker_message.empty() ? "no reason given" : broker_message));
    }
    lifetime_ms = r.session_lifetime_ms;
    auto next = client->respond(r.auth_bytes);
    if (!next) break;
    message = std::move(*next);
  }
  if (!client->complete())
    fail(fmt::format("{} authentication with {} did not complete", credentials.mechanism, where));
  if (lifetime_ms > 0) conn.expire_session_after(std::chrono::milliseconds(lifetime_ms));
}

}  // namespace

std::function<asio::awaitable<void>(connection&)> make_sasl_authenticator(
    sasl_credentials credentials) {
  auto shared = std::make_shared<const sasl_credentials>(std::move(credentials));
  return [shared](connection& conn) { return authenticate(conn, shared); };
}

}  // namespace brook::client
