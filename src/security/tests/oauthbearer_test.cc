#include "security/oauthbearer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "security/json.h"
#include "security/tests/jwt_vectors.h"

namespace brook::security {
namespace {

namespace v = jwt_vectors;

TEST(Json, ReadsValues) {
  auto doc = parse_json(
      R"( {"a": [1, -2.5, 1e3, true, false, null], "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00",
           "o": {"n": 9007199254740993}, "u": "é"} )");
  ASSERT_TRUE(doc);
  ASSERT_TRUE(doc->is_object());
  const auto* a = doc->find("a");
  ASSERT_TRUE(a && a->is_array());
  ASSERT_EQ(a->items().size(), 6u);
  EXPECT_EQ(a->items()[0].as_int64(), 1);
  EXPECT_EQ(a->items()[1].as_double(), -2.5);
  EXPECT_FALSE(a->items()[1].as_int64());
  EXPECT_EQ(a->items()[2].as_int64(), 1000);
  EXPECT_TRUE(a->items()[3].as_bool());
  EXPECT_TRUE(a->items()[4].is_bool());
  EXPECT_FALSE(a->items()[4].as_bool());
  EXPECT_TRUE(a->items()[5].is_null());
  EXPECT_EQ(*doc->find_string("s"), "x\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(doc->find("o")->find("n")->as_int64(), 9007199254740993);
  EXPECT_EQ(*doc->find_string("u"), "\xc3\xa9");
  EXPECT_EQ(doc->find("missing"), nullptr);
  EXPECT_EQ(doc->find_string("a"), nullptr);
}

TEST(Json, RefusesWhatIsNotStrictJson) {
  for (const char* bad : {"",
                          " ",
                          "{",
                          "}",
                          "[1,]",
                          "{\"a\":1,}",
                          "{\"a\" 1}",
                          "{a:1}",
                          "'a'",
                          "01",
                          "1.",
                          ".5",
                          "-",
                          "1e",
                          "+1",
                          "NaN",
                          "Infinity",
                          "1e999",
                          "tru",
                          "nul",
                          "[1] 2",
                          "{\"a\":1}{",
                          "\"\\x\"",
                          "\"\\u12\"",
                          "\"\\ud800\"",
                          "\"\\udc00\"",
                          "\"\\ud800\\u0041\"",
                          "\"a\nb\"",
                          "\"\xc3\"",
                          "\"\xc0\xaf\"",
                          "\"\xed\xa0\x80\"",
                          "\"\xf5\x80\x80\x80\"",
                          "\"abc",
                          "{\"a\":1,\"a\":2}"}) {
    EXPECT_FALSE(parse_json(bad)) << bad;
  }
  EXPECT_FALSE(parse_json(std::string_view("\"a\0\"", 4)));
}

TEST(Json, BoundsDepthAndSize) {
  std::string deep(100000, '[');
  EXPECT_FALSE(parse_json(deep));
  deep += std::string(100000, ']');
  EXPECT_FALSE(parse_json(deep));
  std::string ok = std::string(32, '[') + std::string(32, ']');
  EXPECT_TRUE(parse_json(ok));
  EXPECT_FALSE(parse_json("[" + ok + "]"));
  EXPECT_FALSE(parse_json("\"" + std::string(100, 'x') + "\"", {.max_depth = 4, .max_bytes = 50}));
}

oauthbearer_config test_config() {
  oauthbearer_config c;
  c.expected_audience = {"brook"};
  c.expected_issuer = "https://issuer.example";
  return c;
}

std::shared_ptr<const jwks> test_keys() {
  auto keys = jwks::parse(v::k_jwks);
  EXPECT_TRUE(keys) << keys.error();
  return *keys;
}

jwt_validator validator(oauthbearer_config c = test_config()) {
  return jwt_validator(std::move(c), test_keys());
}

TEST(Jwks, ParsesRsaAndEcKeysAndSkipsOthers) {
  auto keys = test_keys();
  ASSERT_EQ(keys->keys().size(), 6u);  // the "oct" key is skipped
  EXPECT_EQ(keys->keys()[0].kid, "rsa1");
  EXPECT_EQ(keys->keys()[0].bits, 2048);
  EXPECT_EQ(keys->keys()[1].kid, "");
  EXPECT_EQ(keys->keys()[2].bits, 1024);
  EXPECT_EQ(keys->keys()[5].crv, "P-521");
  EXPECT_FALSE(jwks::parse("{\"keys\": []}"));
  EXPECT_FALSE(jwks::parse("[]"));
  EXPECT_FALSE(
      jwks::parse("{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", \"x\": \"AA\", "
                  "\"y\": \"AA\"}]}"));
  // A point that is not on the curve.
  EXPECT_FALSE(jwks::parse("{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", \"x\": \"" +
                           std::string(43, 'A') + "\", \"y\": \"" + std::string(42, 'A') +
                           "E\"}]}"));
}

TEST(JwtValidator, AcceptsEveryAlgorithm) {
  auto val = validator();
  for (const char* t : {v::k_rs256, v::k_rs384, v::k_rs512, v::k_ps256, v::k_es256, v::k_es384,
                        v::k_es512, v::k_no_kid, v::k_aud_list}) {
    auto r = val.validate(t, v::k_now_ms);
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->principal, "alice");
    EXPECT_EQ(r->expires_at_ms, v::k_far_exp_ms);
    EXPECT_EQ(r->issued_at_ms, v::k_now_ms - 60000);
    EXPECT_EQ(r->scopes, (std::vector<std::string>{"read", "write"}));
  }
  auto r = val.validate(v::k_scope_list, v::k_now_ms);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->scopes, (std::vector<std::string>{"a", "b", "c"}));
}

void expect_refused(const jwt_validator& val, const char* token, std::string_view why,
                    int64_t now_ms = v::k_now_ms) {
  auto r = val.validate(token, now_ms);
  ASSERT_FALSE(r) << token;
  EXPECT_NE(r.error().find(why), std::string::npos) << r.error();
}

TEST(JwtValidator, RefusesBadSignaturesAndAlgorithms) {
  auto val = validator();
  expect_refused(val, v::k_forged, "signature is not valid");
  expect_refused(val, v::k_kid_of_another_key, "signature is not valid");
  expect_refused(val, v::k_unknown_kid, "no RS256 key with kid 'nope'");
  expect_refused(val, v::k_es256_with_p384_kid, "no ES256 key with kid 'ec384'");
  expect_refused(val, v::k_small_rsa, "no RS256 key with kid 'rsa-small'");
  expect_refused(val, v::k_alg_none, "algorithm 'none' is not allowed");
  expect_refused(val, v::k_hs256, "algorithm 'HS256' is not allowed");
  expect_refused(val, v::k_crit, "critical");
  for (const char* garbage : {"", ".", "..", "a.b.c", "a.b", "a.b.c.d", "!!.!!.!!", "e30.e30.",
                              "eyJhbGciOiJSUzI1NiJ9.e30.AAAA"})
    EXPECT_FALSE(val.validate(garbage, v::k_now_ms)) << garbage;
  EXPECT_FALSE(val.validate(std::string(100000, 'a'), v::k_now_ms));
}

TEST(JwtValidator, ChecksTimesWithTheClockSkew) {
  auto val = validator();
  expect_refused(val, v::k_expired, "expired");
  expect_refused(val, v::k_not_yet_valid, "not valid before");
  expect_refused(val, v::k_issued_in_future, "issued in the future");
  expect_refused(val, v::k_no_exp, "no expiration time");
  // Expired 10 s ago: inside the default 30 s skew, outside a 5 s one.
  EXPECT_TRUE(val.validate(v::k_expired_10s_ago, v::k_now_ms));
  auto strict = test_config();
  strict.clock_skew_seconds = 5;
  expect_refused(validator(strict), v::k_expired_10s_ago, "expired");
  // The far-future tokens expire too, at their exp plus the skew.
  expect_refused(val, v::k_rs256, "expired", v::k_far_exp_ms + 30000);
  EXPECT_TRUE(val.validate(v::k_rs256, v::k_far_exp_ms + 29999));
  // Not yet valid in an hour: fine once the hour (less the skew) has passed.
  EXPECT_TRUE(val.validate(v::k_not_yet_valid, v::k_now_ms + 3600000 - 30000));
}

TEST(JwtValidator, ChecksIssuerAudienceAndSubject) {
  auto val = validator();
  expect_refused(val, v::k_wrong_iss, "issuer");
  expect_refused(val, v::k_wrong_aud, "audience");
  expect_refused(val, v::k_no_sub, "Could not extract the 'sub' claim");
  expect_refused(val, v::k_principal_claim, "Could not extract the 'sub' claim");
  auto lax = test_config();
  lax.expected_audience.clear();
  lax.expected_issuer.clear();
  EXPECT_TRUE(validator(lax).validate(v::k_wrong_iss, v::k_now_ms));
  EXPECT_TRUE(validator(lax).validate(v::k_wrong_aud, v::k_now_ms));
  auto custom = test_config();
  custom.sub_claim_name = "principal";
  auto r = validator(custom).validate(v::k_principal_claim, v::k_now_ms);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->principal, "bob");
  auto many = test_config();
  many.expected_audience = {"x", "brook"};
  EXPECT_TRUE(validator(many).validate(v::k_rs256, v::k_now_ms));
}

TEST(JwtValidator, LoadsKeysFromAFileUrlOrSaysWhichSettingIsWrong) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("brook-jwks-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "jwks.json";
  std::ofstream(file) << v::k_jwks;
  auto c = test_config();
  for (const std::string& url :
       {"file:" + file.string(), "file://" + file.string(), "file://localhost" + file.string()}) {
    c.jwks_endpoint_url = url;
    jwt_validator val(c);
    EXPECT_TRUE(val.validate(v::k_es512, v::k_now_ms)) << url;
  }
  for (const std::string& url :
       {std::string(""), std::string("https://issuer.example/jwks"),
        "file:" + (dir / "missing.json").string(), std::string("file:relative"),
        "file://otherhost" + file.string()}) {
    c.jwks_endpoint_url = url;
    try {
      jwt_validator val(c);
      ADD_FAILURE() << url;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("sasl.oauthbearer.jwks.endpoint.url"), std::string::npos)
          << e.what();
    }
  }
  std::ofstream(file) << "{\"keys\": [";
  c.jwks_endpoint_url = "file:" + file.string();
  EXPECT_THROW(jwt_validator val(c), std::runtime_error);
  std::filesystem::remove_all(dir);
}

std::string initial(std::string_view token, std::string_view gs2 = "n,,",
                    std::string_view extra = "") {
  return std::string(gs2) + "\x01" + "auth=Bearer " + std::string(token) + "\x01" +
         std::string(extra) + "\x01";
}

oauthbearer_server server() {
  return oauthbearer_server(std::make_shared<const jwt_validator>(validator()));
}

TEST(OauthbearerServer, AcceptsAValidToken) {
  auto s = server();
  auto step = s.next(initial(v::k_rs256, "n,,", "traceId=123\x01"), v::k_now_ms);
  ASSERT_TRUE(step.complete) << step.reason;
  EXPECT_FALSE(step.failed);
  EXPECT_EQ(step.response, "");
  EXPECT_EQ(step.principal_name, "alice");
  EXPECT_EQ(step.expires_at_ms, v::k_far_exp_ms);
  EXPECT_EQ(step.extensions.at("traceId"), "123");
  // Nothing more is accepted.
  EXPECT_TRUE(s.next(initial(v::k_rs256), v::k_now_ms).failed);
  // The authorization id may name the principal.
  auto other = server();
  EXPECT_TRUE(other.next(initial(v::k_es256, "n,a=alice,"), v::k_now_ms).complete);
}

TEST(OauthbearerServer, AnswersAnInvalidTokenWithTheJsonErrorThenFails) {
  auto s = server();
  auto step = s.next(initial(v::k_expired), v::k_now_ms);
  EXPECT_FALSE(step.complete);
  EXPECT_FALSE(step.failed);
  EXPECT_EQ(step.response, "{\"status\":\"invalid_token\"}");
  EXPECT_NE(step.reason.find("expired"), std::string::npos);
  auto final = s.next("\x01", v::k_now_ms);
  EXPECT_TRUE(final.failed);
  EXPECT_EQ(final.error, "{\"status\":\"invalid_token\"}");
  EXPECT_TRUE(s.next("\x01", v::k_now_ms).failed);
}

TEST(OauthbearerServer, AnotherAuthorizationIdFailsWithKafkasMessage) {
  auto s = server();
  auto step = s.next(initial(v::k_rs256, "n,a=bob,"), v::k_now_ms);
  EXPECT_TRUE(step.failed);
  EXPECT_EQ(step.error,
            "Authentication failed: Client requested an authorization id (bob) that is different "
            "from the token's principal name (alice)");
}

TEST(OauthbearerServer, RefusesMalformedInitialResponses) {
  const std::string generic =
      "Authentication failed during authentication due to invalid credentials with SASL "
      "mechanism OAUTHBEARER";
  const std::string tok = v::k_rs256;
  const std::pair<std::string, std::string> cases[] = {
      {"", "Invalid OAUTHBEARER client first message"},
      {"\x01", "Invalid OAUTHBEARER client first message"},
      {"y,,\x01"
       "auth=Bearer " +
           tok + "\x01\x01",
       "Invalid OAUTHBEARER client first message"},
      {"n,,auth=Bearer " + tok, "Invalid OAUTHBEARER client first message"},
      {"n,,\x01"
       "auth=Bearer " +
           tok + "\x01",
       "Invalid OAUTHBEARER client first message"},
      {"n,,\x01\x01", "Invalid OAUTHBEARER client first message: 'auth' not specified"},
      {"n,,\x01"
       "x=1\x01\x01",
       "Invalid OAUTHBEARER client first message: 'auth' not specified"},
      {"n,,\x01"
       "auth=Bearer\x01\x01",
       "Invalid OAUTHBEARER client first message: invalid 'auth' format"},
      {"n,,\x01"
       "auth=Bearer a b\x01\x01",
       "Invalid OAUTHBEARER client first message: invalid 'auth' format"},
      {"n,,\x01"
       "auth=Basic " +
           tok + "\x01\x01",
       "Invalid scheme in OAUTHBEARER client first message: Basic"},
      {"n,,\x01"
       "auth=Bearer " +
           tok +
           "\x01"
           "9=x\x01\x01",
       "Invalid OAUTHBEARER client first message"},
      {"n,a=,\x01"
       "auth=Bearer " +
           tok + "\x01\x01",
       "Invalid OAUTHBEARER client first message"},
  };
  for (const auto& [message, reason] : cases) {
    auto s = server();
    auto step = s.next(message, v::k_now_ms);
    EXPECT_TRUE(step.failed) << message;
    EXPECT_EQ(step.reason, reason) << message;
    EXPECT_EQ(step.error, generic);
  }
  // The scheme is not case-sensitive.
  auto s = server();
  EXPECT_TRUE(s.next("n,,\x01"
                     "auth=bearer  " +
                         tok + "\x01\x01",
                     v::k_now_ms)
                  .complete);
}

}  // namespace
}  // namespace brook::security
