// The SASL mechanisms' client side, message by message, and the settings they read.
#include "client/sasl.h"

#include <gtest/gtest.h>

#include "client/errors.h"

namespace brook::client {
namespace {

std::string text(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }
std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

constexpr std::string_view k_client_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view k_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

// RFC 7677 section 3: user "user", password "pencil".
TEST(ClientSasl, ScramSha256MatchesRfc7677) {
  scram_client c("SCRAM-SHA-256", "user", "pencil", std::string(k_client_nonce));
  EXPECT_EQ(text(c.first_message()), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  auto final_message = c.respond(bytes(k_server_first));
  ASSERT_TRUE(final_message);
  EXPECT_EQ(text(*final_message),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  EXPECT_FALSE(c.complete());
  EXPECT_FALSE(c.respond(bytes("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")));
  EXPECT_TRUE(c.complete());
}

// No RFC gives a SHA-512 vector: these values come from Python's hashlib and hmac on the same
// inputs as RFC 7677's.
TEST(ClientSasl, ScramSha512MatchesAnIndependentComputation) {
  scram_client c("SCRAM-SHA-512", "user", "pencil", std::string(k_client_nonce));
  c.first_message();
  auto final_message = c.respond(bytes(k_server_first));
  ASSERT_TRUE(final_message);
  EXPECT_EQ(
      text(*final_message),
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ==");
  EXPECT_FALSE(
      c.respond(bytes("v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+"
                      "5ZxXnJq199RVG2rR7N7Zw==")));
  EXPECT_TRUE(c.complete());
}

void expect_auth_failure(const std::function<void()>& f, std::string_view fragment) {
  try {
    f();
    FAIL() << "no failure";
  } catch (const kafka_error& e) {
    EXPECT_EQ(e.code(), protocol::error_code::sasl_authentication_failed);
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ClientSasl, ScramRefusesAServerThatDoesNotKnowThePassword) {
  scram_client c("SCRAM-SHA-256", "user", "pencil", std::string(k_client_nonce));
  c.first_message();
  ASSERT_TRUE(c.respond(bytes(k_server_first)));
  expect_auth_failure([&] { c.respond(bytes("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")); },
                      "signature");
  EXPECT_FALSE(c.complete());
}

TEST(ClientSasl, ScramRefusesBadServerFirstMessages) {
  auto attempt = [](std::string_view server_first) {
    scram_client c("SCRAM-SHA-256", "user", "pencil", std::string(k_client_nonce));
    c.first_message();
    c.respond(bytes(server_first));
  };
  // A nonce that does not start with the client's (a replay from another exchange).
  expect_auth_failure([&] { attempt("r=someoneelse123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"); },
                      "nonce");
  // The server's nonce must add to the client's.
  expect_auth_failure([&] { attempt("r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"); },
                      "nonce");
  expect_auth_failure(
      [&] { attempt("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000"); },
      "iterations");
  expect_auth_failure([&] { attempt("r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ=="); },
                      "'i='");
  expect_auth_failure([&] { attempt("e=unknown-user"); }, "'r='");
}

TEST(ClientSasl, ScramReportsTheServersError) {
  scram_client c("SCRAM-SHA-256", "user", "pencil", std::string(k_client_nonce));
  c.first_message();
  ASSERT_TRUE(c.respond(bytes(k_server_first)));
  expect_auth_failure([&] { c.respond(bytes("e=invalid-proof")); }, "invalid-proof");
}

TEST(ClientSasl, ScramEscapesUserNamesAndMakesFreshNonces) {
  scram_client a("SCRAM-SHA-256", "a,b=c", "x");
  scram_client b("SCRAM-SHA-256", "a,b=c", "x");
  const std::string first_a = text(a.first_message());
  EXPECT_TRUE(first_a.starts_with("n,,n=a=2Cb=3Dc,r=")) << first_a;
  EXPECT_NE(first_a, text(b.first_message()));
  EXPECT_GE(first_a.size(), std::string("n,,n=a=2Cb=3Dc,r=").size() + 24);
}

TEST(ClientSasl, PlainSendsUserAndPassword) {
  auto c = make_sasl_client({"PLAIN", "alice", "alice-secret", ""});
  EXPECT_EQ(text(c->first_message()), std::string("\0alice\0alice-secret", 19));
  EXPECT_FALSE(c->complete());
  EXPECT_FALSE(c->respond({}));
  EXPECT_TRUE(c->complete());
}

TEST(ClientSasl, OauthbearerSendsTheTokenAndAnswersAnErrorWithKvsep) {
  auto c = make_sasl_client({"OAUTHBEARER", "", "", "abc.def.ghi"});
  EXPECT_EQ(text(c->first_message()),
            "n,,\x01"
            "auth=Bearer abc.def.ghi\x01\x01");
  auto answer = c->respond(bytes(R"({"status":"invalid_token"})"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(*answer, std::vector<uint8_t>{0x01});
  EXPECT_FALSE(c->complete());

  auto ok = make_sasl_client({"OAUTHBEARER", "", "", "abc.def.ghi"});
  ok->first_message();
  EXPECT_FALSE(ok->respond({}));
  EXPECT_TRUE(ok->complete());
}

TEST(ClientSasl, Base64RoundTrips) {
  for (std::string_view s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    const std::string encoded = base64_encode(bytes(s));
    EXPECT_EQ(text(base64_decode(encoded)), s) << encoded;
  }
  EXPECT_EQ(base64_encode(bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(bytes("fo")), "Zm8=");
  EXPECT_THROW(base64_decode("Zm9"), kafka_error);
  EXPECT_THROW(base64_decode("Zm9*"), kafka_error);
}

TEST(ClientSasl, ParsesJaasLines) {
  auto options = parse_jaas_options(
      "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"carol\" "
      "password=\"a \\\"quoted\\\" secret\" tokenauth=true;");
  ASSERT_EQ(options.size(), 3u);
  EXPECT_EQ(options[0], (std::pair<std::string, std::string>{"username", "carol"}));
  EXPECT_EQ(options[1].second, "a \"quoted\" secret");
  EXPECT_EQ(options[2], (std::pair<std::string, std::string>{"tokenauth", "true"}));
  EXPECT_THROW(parse_jaas_options("Module required username=\"x\""), config_error);
  EXPECT_THROW(parse_jaas_options("Module username=\"x\";"), config_error);
  EXPECT_THROW(parse_jaas_options("Module required username=\"x;"), config_error);
}

TEST(ClientSasl, ReadsCredentialsUnderEitherFamilysNames) {
  auto java = read_sasl_credentials(
      config{{"sasl.mechanism", "SCRAM-SHA-512"},
             {"sasl.jaas.config",
              "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"dave\" "
              "password=\"dave-secret\";"}});
  EXPECT_EQ(java.mechanism, "SCRAM-SHA-512");
  EXPECT_EQ(java.username, "dave");
  EXPECT_EQ(java.password, "dave-secret");

  auto librdkafka = read_sasl_credentials(config{{"sasl.mechanisms", "PLAIN"},
                                                 {"sasl.mechanism", "SCRAM-SHA-256"},
                                                 {"sasl.username", "bob"},
                                                 {"sasl.password", "bob-secret"}});
  EXPECT_EQ(librdkafka.mechanism, "PLAIN");
  EXPECT_EQ(librdkafka.username, "bob");
  EXPECT_EQ(librdkafka.password, "bob-secret");

  auto oauth = read_sasl_credentials(
      config{{"sasl.mechanism", "OAUTHBEARER"}, {"sasl.oauthbearer.token", "t.o.k"}});
  EXPECT_EQ(oauth.token, "t.o.k");

  // GSSAPI is the default mechanism, as in Kafka's clients, and Brook's client lacks it.
  EXPECT_THROW(read_sasl_credentials(config{{"sasl.username", "x"}}), config_error);
  EXPECT_THROW(read_sasl_credentials(config{{"sasl.mechanism", "PLAIN"}}), config_error);
  EXPECT_THROW(read_sasl_credentials(config{{"sasl.mechanism", "OAUTHBEARER"}}), config_error);
}

TEST(ClientSasl, SaltedPasswordIsPbkdf2) {
  const auto salt = base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  EXPECT_EQ(scram_salted_password("SCRAM-SHA-256", "pencil", salt, 4096).size(), 32u);
  EXPECT_EQ(scram_salted_password("SCRAM-SHA-512", "pencil", salt, 4096).size(), 64u);
  EXPECT_THROW(scram_salted_password("SCRAM-SHA-1", "pencil", salt, 4096), config_error);
}

}  // namespace
}  // namespace brook::client
