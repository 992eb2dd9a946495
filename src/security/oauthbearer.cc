#include "security/oauthbearer.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "security/base64.h"
#include "security/json.h"
#include "security/scram.h"

namespace brook::security {

namespace {

constexpr size_t k_max_jwks_bytes = 1 << 20;
constexpr size_t k_max_token_bytes = 64 << 10;
constexpr int k_min_rsa_bits = 2048;  // as jose4j

struct pkey_deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

template <class T, void (*Free)(T*)>
struct unique_ossl {
  T* p = nullptr;
  unique_ossl() = default;
  explicit unique_ossl(T* q) : p(q) {}
  unique_ossl(const unique_ossl&) = delete;
  unique_ossl& operator=(const unique_ossl&) = delete;
  ~unique_ossl() {
    if (p) Free(p);
  }
};
using bn_ptr = unique_ossl<BIGNUM, BN_free>;
using param_bld_ptr = unique_ossl<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using params_ptr = unique_ossl<OSSL_PARAM, OSSL_PARAM_free>;
using pkey_ctx_ptr = unique_ossl<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using md_ctx_ptr = unique_ossl<EVP_MD_CTX, EVP_MD_CTX_free>;
using ecdsa_sig_ptr = unique_ossl<ECDSA_SIG, ECDSA_SIG_free>;

// The public key that `params` describe, checked; nullptr when OpenSSL does not take it.
std::shared_ptr<evp_pkey_st> key_from_params(const char* type, OSSL_PARAM_BLD* bld) {
  params_ptr params(OSSL_PARAM_BLD_to_param(bld));
  pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params.p || !ctx.p || EVP_PKEY_fromdata_init(ctx.p) != 1) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.p, &raw, EVP_PKEY_PUBLIC_KEY, params.p) != 1) return nullptr;
  std::shared_ptr<evp_pkey_st> key(raw, pkey_deleter{});
  pkey_ctx_ptr check(EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr));
  if (!check.p || EVP_PKEY_public_check(check.p) != 1) return nullptr;
  return key;
}

std::optional<std::string> b64url_member(const json_value& v, std::string_view name) {
  const std::string* s = v.find_string(name);
  if (!s || s->empty()) return std::nullopt;
  return base64url_decode(*s);
}

bool rsa_key(const json_value& v, jwks::key& k) {
  const auto n = b64url_member(v, "n");
  const auto e = b64url_member(v, "e");
  if (!n || !e) return false;
  bn_ptr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                        static_cast<int>(n->size()), nullptr));
  bn_ptr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                        static_cast<int>(e->size()), nullptr));
  param_bld_ptr bld(OSSL_PARAM_BLD_new());
  if (!bn_n.p || !bn_e.p || !bld.p ||
      OSSL_PARAM_BLD_push_BN(bld.p, OSSL_PKEY_PARAM_RSA_N, bn_n.p) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.p, OSSL_PKEY_PARAM_RSA_E, bn_e.p) != 1)
    return false;
  k.pkey = key_from_params("RSA", bld.p);
  if (!k.pkey) return false;
  k.bits = EVP_PKEY_get_bits(k.pkey.get());
  return true;
}

// Bytes of a coordinate (and of each half of an ES signature) on a curve; 0: not supported.
size_t ec_field_bytes(std::string_view crv) {
  if (crv == "P-256") return 32;
  if (crv == "P-384") return 48;
  if (crv == "P-521") return 66;
  return 0;
}

bool ec_key(const json_value& v, jwks::key& k) {
  const std::string* crv = v.find_string("crv");
  if (!crv) return false;
  const size_t size = ec_field_bytes(*crv);
  const auto x = b64url_member(v, "x");
  const auto y = b64url_member(v, "y");
  if (size == 0 || !x || !y || x->size() != size || y->size() != size) return false;
  const std::string point = "\x04" + *x + *y;
  param_bld_ptr bld(OSSL_PARAM_BLD_new());
  if (!bld.p ||
      OSSL_PARAM_BLD_push_utf8_string(bld.p, OSSL_PKEY_PARAM_GROUP_NAME, crv->c_str(), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.p, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    return false;
  k.crv = *crv;
  k.pkey = key_from_params("EC", bld.p);
  if (!k.pkey) return false;
  k.bits = EVP_PKEY_get_bits(k.pkey.get());
  return true;
}

// What a JWS "alg" asks for.
struct algorithm {
  std::string_view name;
  std::string_view kty;
  std::string_view crv;  // EC only
  const EVP_MD* (*md)();
  bool pss;
};

const algorithm* find_algorithm(std::string_view alg) {
  static const algorithm k_algorithms[] = {
      {"RS256", "RSA", "", EVP_sha256, false},     {"RS384", "RSA", "", EVP_sha384, false},
      {"RS512", "RSA", "", EVP_sha512, false},     {"PS256", "RSA", "", EVP_sha256, true},
      {"PS384", "RSA", "", EVP_sha384, true},      {"PS512", "RSA", "", EVP_sha512, true},
      {"ES256", "EC", "P-256", EVP_sha256, false}, {"ES384", "EC", "P-384", EVP_sha384, false},
      {"ES512", "EC", "P-521", EVP_sha512, false},
  };
  for (const auto& a : k_algorithms)
    if (a.name == alg) return &a;
  return nullptr;
}

// JWS's ECDSA signature is R || S at the curve's size; OpenSSL wants DER.
std::optional<std::string> ecdsa_der(std::string_view raw, size_t half) {
  if (raw.size() != 2 * half) return std::nullopt;
  ecdsa_sig_ptr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(half),
                        nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data() + half),
                        static_cast<int>(half), nullptr);
  if (!sig.p || !r || !s || ECDSA_SIG_set0(sig.p, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.p, &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool verify(const algorithm& alg, const jwks::key& key, std::string_view signed_part,
            std::string_view signature) {
  std::string sig(signature);
  if (alg.kty == "EC") {
    auto der = ecdsa_der(signature, ec_field_bytes(alg.crv));
    if (!der) return false;
    sig = std::move(*der);
  }
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx.p || EVP_DigestVerifyInit(ctx.p, &pctx, alg.md(), nullptr, key.pkey.get()) != 1)
    return false;
  if (alg.pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, alg.md()) != 1))
    return false;
  return EVP_DigestVerify(ctx.p, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(signed_part.data()),
                          signed_part.size()) == 1;
}

bool fits(const algorithm& alg, const jwks::key& key) {
  if (key.kty != alg.kty) return false;
  if (alg.kty == "EC" && key.crv != alg.crv) return false;
  if (alg.kty == "RSA" && key.bits < k_min_rsa_bits) return false;
  if (!key.alg.empty() && key.alg != alg.name) return false;
  return key.use.empty() || key.use == "sig";
}

// A NumericDate claim (seconds since the epoch, maybe fractional) in milliseconds.
std::optional<int64_t> numeric_date_ms(const json_value& v) {
  if (!v.is_number()) return std::nullopt;
  const double ms = std::floor(v.as_double() * 1000);
  if (!(ms > -9.0e15 && ms < 9.0e15)) return std::nullopt;
  return static_cast<int64_t>(ms);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string file_path_of(std::string_view url) {
  if (!url.starts_with("file:")) return {};
  std::string_view rest = url.substr(5);
  if (rest.starts_with("//")) {  // file://host/path: only an empty host or localhost
    rest.remove_prefix(2);
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return {};
    const auto host = rest.substr(0, slash);
    if (!host.empty() && host != "localhost") return {};
    rest.remove_prefix(slash);
  }
  if (!rest.starts_with("/")) return {};
  std::string path;
  for (size_t i = 0; i < rest.size(); ++i) {  // %XX as in any URL
    unsigned v = 0;
    if (rest[i] == '%' && i + 2 < rest.size() &&
        std::sscanf(std::string(rest.substr(i + 1, 2)).c_str(), "%2x", &v) == 1) {
      path += static_cast<char>(v);
      i += 2;
    } else {
      path += rest[i];
    }
  }
  return path;
}

}  // namespace

result<std::shared_ptr<const jwks>, std::string> jwks::parse(std::string_view json) {
  auto doc = parse_json(json, {.max_depth = 16, .max_bytes = k_max_jwks_bytes});
  if (!doc || !doc->is_object()) return failure{std::string("not a JSON object")};
  const json_value* keys = doc->find("keys");
  if (!keys || !keys->is_array()) return failure{std::string("no \"keys\" array")};
  auto set = std::make_shared<jwks>();
  for (const auto& v : keys->items()) {
    if (!v.is_object()) continue;
    key k;
    const std::string* kty = v.find_string("kty");
    if (!kty) continue;
    k.kty = *kty;
    if (const auto* kid = v.find_string("kid")) k.kid = *kid;
    if (const auto* alg = v.find_string("alg")) k.alg = *alg;
    if (const auto* use = v.find_string("use")) k.use = *use;
    const bool ok = (*kty == "RSA" && rsa_key(v, k)) || (*kty == "EC" && ec_key(v, k));
    if (ok) set->_keys.push_back(std::move(k));
  }
  if (set->_keys.empty()) return failure{std::string("no usable RSA or EC public key")};
  return std::shared_ptr<const jwks>(std::move(set));
}

result<std::shared_ptr<const jwks>, std::string> jwks::load(std::string_view url) {
  const std::string path = file_path_of(url);
  if (path.empty())
    return failure{fmt::format("'{}' is not a file: URL (only file: URLs are supported)", url)};
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure{fmt::format("cannot read {}", path)};
  std::string text;
  std::array<char, 8192> buf;
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
    text.append(buf.data(), static_cast<size_t>(in.gcount()));
    if (text.size() > k_max_jwks_bytes)
      return failure{fmt::format("{} is larger than {} bytes", path, k_max_jwks_bytes)};
  }
  auto set = parse(text);
  if (!set) return failure{fmt::format("{}: {}", path, set.error())};
  return set;
}

jwt_validator::jwt_validator(oauthbearer_config config) : _config(std::move(config)) {
  if (_config.jwks_endpoint_url.empty())
    throw std::runtime_error(
        "sasl.oauthbearer.jwks.endpoint.url must be set to verify OAUTHBEARER tokens");
  auto keys = jwks::load(_config.jwks_endpoint_url);
  if (!keys)
    throw std::runtime_error(fmt::format("sasl.oauthbearer.jwks.endpoint.url: {}", keys.error()));
  _keys = std::move(*keys);
  if (_config.clock_skew_seconds < 0)
    throw std::runtime_error("sasl.oauthbearer.clock.skew.seconds must not be negative");
}

jwt_validator::jwt_validator(oauthbearer_config config, std::shared_ptr<const jwks> keys)
    : _config(std::move(config)), _keys(std::move(keys)) {}

result<jwt_validator::token, std::string> jwt_validator::validate(std::string_view compact,
                                                                  int64_t now_ms) const {
  using R = result<token, std::string>;
  auto bad = [](std::string why) -> R {
    return failure{fmt::format("Could not validate the access token: {}", why)};
  };
  if (compact.size() > k_max_token_bytes) return bad("the token is too large");
  const size_t dot1 = compact.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : compact.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || compact.find('.', dot2 + 1) != std::string_view::npos)
    return bad("not a JWS in compact form (three parts separated by '.')");
  const auto header_text = base64url_decode(compact.substr(0, dot1));
  const auto payload_text = base64url_decode(compact.substr(dot1 + 1, dot2 - dot1 - 1));
  const auto signature = base64url_decode(compact.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature)
    return bad("a part of the token is not base64url");
  const json_limits limits{.max_depth = 16, .max_bytes = k_max_token_bytes};
  const auto header = parse_json(*header_text, limits);
  if (!header || !header->is_object()) return bad("the JOSE header is not a JSON object");
  const std::string* alg_name = header->find_string("alg");
  if (!alg_name) return bad("the JOSE header has no \"alg\"");
  const algorithm* alg = find_algorithm(*alg_name);
  if (!alg) return bad(fmt::format("the signature algorithm '{}' is not allowed", *alg_name));
  if (header->find("crit")) return bad("the JOSE header has critical extensions (\"crit\")");
  const json_value* kid_value = header->find("kid");
  if (kid_value && !kid_value->is_string()) return bad("the \"kid\" header is not a string");

  // Keys to try: those with the token's kid; for a token without kid, the keys without one, or the
  // only key of the right type.
  std::vector<const jwks::key*> candidates;
  std::vector<const jwks::key*> fitting;
  for (const auto& k : _keys->keys()) {
    if (!fits(*alg, k)) continue;
    fitting.push_back(&k);
    if (kid_value ? k.kid == kid_value->as_string() : k.kid.empty()) candidates.push_back(&k);
  }
  if (!kid_value && candidates.empty() && fitting.size() == 1) candidates = fitting;
  if (candidates.empty())
    return bad(kid_value ? fmt::format("no {} key with kid '{}'", alg->name, kid_value->as_string())
                         : fmt::format("no {} key for a token without kid", alg->name));
  const std::string_view signed_part = compact.substr(0, dot2);
  bool verified = false;
  for (const auto* k : candidates)
    if (verify(*alg, *k, signed_part, *signature)) {
      verified = true;
      break;
    }
  if (!verified) return bad("the signature is not valid");

  const auto claims = parse_json(*payload_text, limits);
  if (!claims || !claims->is_object()) return bad("the claims are not a JSON object");
  const int64_t skew_ms = _config.clock_skew_seconds * 1000;
  token t;
  const json_value* exp = claims->find("exp");
  if (!exp) return bad("no expiration time (\"exp\") claim");
  const auto exp_ms = numeric_date_ms(*exp);
  if (!exp_ms) return bad("the \"exp\" claim is not a NumericDate");
  if (now_ms >= *exp_ms + skew_ms)
    return bad(fmt::format("the token expired at {} ms (now {} ms, skew {} s)", *exp_ms, now_ms,
                           _config.clock_skew_seconds));
  t.expires_at_ms = *exp_ms;
  if (const json_value* nbf = claims->find("nbf")) {
    const auto nbf_ms = numeric_date_ms(*nbf);
    if (!nbf_ms) return bad("the \"nbf\" claim is not a NumericDate");
    if (now_ms + skew_ms < *nbf_ms)
      return bad(fmt::format("the token is not valid before {} ms (now {} ms)", *nbf_ms, now_ms));
  }
  if (const json_value* iat = claims->find("iat")) {
    const auto iat_ms = numeric_date_ms(*iat);
    if (!iat_ms) return bad("the \"iat\" claim is not a NumericDate");
    if (*iat_ms > now_ms + skew_ms)
      return bad(
          fmt::format("the token was issued in the future, at {} ms (now {} ms)", *iat_ms, now_ms));
    t.issued_at_ms = *iat_ms;
  }
  if (!_config.expected_issuer.empty()) {
    const std::string* iss = claims->find_string("iss");
    if (!iss || *iss != _config.expected_issuer)
      return bad(fmt::format("the issuer (\"iss\") is not '{}'", _config.expected_issuer));
  }
  if (!_config.expected_audience.empty()) {
    const json_value* aud = claims->find("aud");
    auto expected = [&](const json_value& v) {
      if (!v.is_string()) return false;
      for (const auto& a : _config.expected_audience)
        if (v.as_string() == a) return true;
      return false;
    };
    bool ok = false;
    if (aud && aud->is_string()) ok = expected(*aud);
    if (aud && aud->is_array())
      for (const auto& a : aud->items()) ok = ok || expected(a);
    if (!ok) return bad("no expected audience in the \"aud\" claim");
  }
  const std::string* sub = claims->find_string(_config.sub_claim_name);
  const std::string_view principal = sub ? trim(*sub) : std::string_view();
  if (principal.empty())
    return bad(fmt::format("Could not extract the '{}' claim from the access token",
                           _config.sub_claim_name));
  t.principal = std::string(principal);
  if (const json_value* scope = claims->find(_config.scope_claim_name)) {
    if (scope->is_string()) {
      std::istringstream words(scope->as_string());
      for (std::string w; words >> w;) t.scopes.push_back(w);
    } else if (scope->is_array()) {
      for (const auto& s : scope->items()) {
        if (!s.is_string())
          return bad(
              fmt::format("the '{}' claim is not a list of strings", _config.scope_claim_name));
        t.scopes.push_back(s.as_string());
      }
    } else {
      return bad(
          fmt::format("the '{}' claim is neither a string nor a list", _config.scope_claim_name));
    }
  }
  return t;
}

oauthbearer_server::oauthbearer_server(std::shared_ptr<const jwt_validator> validator)
    : _validator(std::move(validator)) {}

oauthbearer_server::step oauthbearer_server::fail(std::string reason, bool tell_client) {
  _done = true;
  step s;
  s.failed = true;
  s.error = tell_client ? reason : sasl_generic_failure("OAUTHBEARER");
  s.reason = std::move(reason);
  return s;
}

namespace {

// RFC 7628's client initial response, as Kafka's OAuthBearerClientInitialResponse reads it:
// "n," [ "a=" saslname ] "," 0x01 *(key "=" value 0x01) 0x01, with an "auth" pair.
struct initial_response {
  std::string authzid;
  std::string token;
  std::map<std::string, std::string> extensions;
};

result<initial_response, std::string> parse_initial_response(std::string_view m) {
  const std::string invalid = "Invalid OAUTHBEARER client first message";
  using R = result<initial_response, std::string>;
  initial_response out;
  if (!m.starts_with("n,")) return failure{invalid};
  m.remove_prefix(2);
  if (m.starts_with("a=")) {
    const size_t comma = m.find(',');
    if (comma == std::string_view::npos || comma == 2) return failure{invalid};
    const auto name = m.substr(2, comma - 2);
    for (size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      if (c == '=') {
        const auto code = name.substr(i + 1, 2);
        if (code != "2C" && code != "3D") return failure{invalid};
        out.authzid += code == "2C" ? ',' : '=';
        i += 2;
      } else if (c < 0x01 || static_cast<unsigned char>(c) > 0x7f) {
        return failure{invalid};
      } else {
        out.authzid += c;
      }
    }
    m.remove_prefix(comma);
  }
  if (!m.starts_with(",\x01") || !m.ends_with("\x01\x01") || m.size() < 3) return failure{invalid};
  m = m.substr(2, m.size() - 3);  // pairs, each ending in 0x01
  bool have_auth = false;
  std::string auth;
  while (!m.empty()) {
    const size_t end = m.find('\x01');
    const auto pair = m.substr(0, end);
    m.remove_prefix(end + 1);
    const size_t eq = pair.find('=');
    if (eq == 0 || eq == std::string_view::npos || eq + 1 == pair.size()) return failure{invalid};
    const auto key = pair.substr(0, eq);
    const auto value = pair.substr(eq + 1);
    for (char c : key)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return failure{invalid};
    for (char c : value)
      if (!((c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n'))
        return failure{invalid};
    if (key == "auth") {
      have_auth = true;
      auth = std::string(value);
    } else if (!out.extensions.emplace(key, value).second) {
      return failure{invalid};
    }
  }
  if (!have_auth) return failure{invalid + ": 'auth' not specified"};
  // auth: scheme, one or more spaces, the token (b64token, RFC 6750).
  const size_t space = auth.find(' ');
  if (space == 0 || space == std::string::npos) return failure{invalid + ": invalid 'auth' format"};
  const std::string scheme = auth.substr(0, space);
  for (char c : scheme)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return failure{invalid + ": invalid 'auth' format"};
  std::string_view token = std::string_view(auth).substr(space);
  while (token.starts_with(' ')) token.remove_prefix(1);
  std::string_view body = token;
  while (body.ends_with('=')) body.remove_suffix(1);
  if (body.empty()) return failure{invalid + ": invalid 'auth' format"};
  for (char c : body)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '~' || c == '+' || c == '/' || c == '.'))
      return failure{invalid + ": invalid 'auth' format"};
  std::string lower = scheme;
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  if (lower != "bearer")
    return failure{fmt::format("Invalid scheme in OAUTHBEARER client first message: {}", scheme)};
  out.token = std::string(token);
  return R(std::move(out));
}

}  // namespace

oauthbearer_server::step oauthbearer_server::next(std::string_view client_message, int64_t now_ms) {
  if (_done) return fail("Unexpected message after the OAUTHBEARER exchange ended", false);
  if (client_message == "\x01" && !_error_json.empty())
    return fail(std::move(_error_json), true);  // the client acknowledged our error
  _error_json.clear();
  auto parsed = parse_initial_response(client_message);
  if (!parsed) return fail(parsed.error(), false);
  auto token = _validator->validate(parsed->token, now_ms);
  step s;
  if (!token) {
    _error_json = "{\"status\":\"invalid_token\"}";
    s.response = _error_json;
    s.reason = token.error();
    return s;
  }
  if (!parsed->authzid.empty() && parsed->authzid != token->principal)
    return fail(fmt::format("Authentication failed: Client requested an authorization id ({}) "
                            "that is different from the token's principal name ({})",
                            parsed->authzid, token->principal),
                true);
  _done = true;
  s.complete = true;
  s.principal_name = std::move(token->principal);
  s.expires_at_ms = token->expires_at_ms;
  s.scopes = std::move(token->scopes);
  s.extensions = std::move(parsed->extensions);
  return s;
}

}  // namespace brook::security
