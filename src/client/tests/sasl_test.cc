// The SASL mechanisms' client side, message by message, and the settings they read.
#include "client/sasl.h"

#include <gtest/gtest.h>

#include "client/errors.h"

namespace brook::client {
namespace {

std::string text(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }
std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

sasl_credentials credentials(std::string mechanism, std::string username, std::string password,
                             std::string token) {
  sasl_credentials c;
  c.mechanism = std::move(mechanism);
  c.username = std::move(username);
  c.password = std::move(password);
  c.token = std::move(token);
  return c;
}

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
  auto c = make_sasl_client(credentials("PLAIN", "alice", "alice-secret", ""));
  EXPECT_EQ(text(c->first_message()), std::string("\0alice\0alice-secret", 19));
  EXPECT_FALSE(c->complete());
  EXPECT_FALSE(c->respond({}));
  EXPECT_TRUE(c->complete());
}

TEST(ClientSasl, OauthbearerSendsTheTokenAndAnswersAnErrorWithKvsep) {
  auto c = make_sasl_client(credentials("OAUTHBEARER", "", "", "abc.def.ghi"));
  EXPECT_EQ(text(c->first_message()),
            "n,,\x01"
            "auth=Bearer abc.def.ghi\x01\x01");
  auto answer = c->respond(bytes(R"({"status":"invalid_token"})"));
  ASSERT_TRUE(answer);
  EXPECT_EQ(*answer, std::vector<uint8_t>{0x01});
  EXPECT_FALSE(c->complete());

  auto ok = make_sasl_client(credentials("OAUTHBEARER", "", "", "abc.def.ghi"));
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

  EXPECT_THROW(read_sasl_credentials(config{{"sasl.mechanism", "PLAIN"}}), config_error);
  EXPECT_THROW(read_sasl_credentials(config{{"sasl.mechanism", "OAUTHBEARER"}}), config_error);
  EXPECT_THROW(read_sasl_credentials(config{{"sasl.mechanism", "DIGEST-MD5"}}), config_error);
}

TEST(ClientSasl, OauthbearerSendsExtensionsAfterTheToken) {
  auto c = read_sasl_credentials(
      config{{"sasl.mechanism", "OAUTHBEARER"},
             {"sasl.oauthbearer.token", "t.o.k"},
             {"sasl.oauthbearer.extensions", "traceId=abc, tenant=blue"},
             {"sasl.jaas.config",
              "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
              "extension_zone=\"eu west\";"}});
  EXPECT_EQ(text(make_sasl_client(c)->first_message()),
            "n,,\x01"
            "auth=Bearer t.o.k\x01traceId=abc\x01tenant=blue\x01zone=eu west\x01\x01");
  EXPECT_THROW(read_sasl_credentials(config{{"sasl.mechanism", "OAUTHBEARER"},
                                            {"sasl.oauthbearer.token", "t"},
                                            {"sasl.oauthbearer.extensions", "auth=x"}}),
               config_error);
  EXPECT_THROW(read_sasl_credentials(config{{"sasl.mechanism", "OAUTHBEARER"},
                                            {"sasl.oauthbearer.token", "t"},
                                            {"sasl.oauthbearer.extensions", "trace_id=x"}}),
               config_error);
}

TEST(ClientSasl, ReadsTheTokenEndpointUnderEitherFamilysNames) {
  auto librdkafka = read_sasl_credentials(
      config{{"sasl.mechanisms", "OAUTHBEARER"},
             {"sasl.oauthbearer.method", "oidc"},
             {"sasl.oauthbearer.token.endpoint.url", "http://127.0.0.1:8080/token"},
             {"sasl.oauthbearer.client.id", "app"},
             {"sasl.oauthbearer.client.secret", "app-secret"},
             {"sasl.oauthbearer.scope", "kafka"}});
  ASSERT_TRUE(librdkafka.token_source);
  EXPECT_EQ(librdkafka.token_source->settings().client_id, "app");
  EXPECT_EQ(librdkafka.token_source->settings().client_secret, "app-secret");
  EXPECT_EQ(librdkafka.token_source->settings().scope, "kafka");
  EXPECT_FALSE(librdkafka.token_source->settings().http.tls);

  auto java = read_sasl_credentials(
      config{{"sasl.mechanism", "OAUTHBEARER"},
             {"sasl.oauthbearer.token.endpoint.url", "https://idp.example/oauth2/token"},
             {"sasl.login.connect.timeout.ms", "2500"},
             {"sasl.jaas.config",
              "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
              "clientId=\"app\" clientSecret=\"s3cret\" scope=\"a b\";"}});
  ASSERT_TRUE(java.token_source);
  EXPECT_EQ(java.token_source->settings().client_id, "app");
  EXPECT_EQ(java.token_source->settings().client_secret, "s3cret");
  EXPECT_EQ(java.token_source->settings().scope, "a b");
  EXPECT_EQ(java.token_source->settings().http.connect_timeout, std::chrono::milliseconds(2500));
  EXPECT_TRUE(java.token_source->settings().http.tls);

  // Java 4.1's names, with its retriever class named.
  auto java41 = read_sasl_credentials(
      config{{"sasl.mechanism", "OAUTHBEARER"},
             {"sasl.oauthbearer.token.endpoint.url", "http://idp/token"},
             {"sasl.oauthbearer.jwt.retriever.class",
              "org.apache.kafka.common.security.oauthbearer.ClientCredentialsJwtRetriever"},
             {"sasl.oauthbearer.client.credentials.client.id", "app41"},
             {"sasl.oauthbearer.client.credentials.client.secret", "s41"}});
  ASSERT_TRUE(java41.token_source);
  EXPECT_EQ(java41.token_source->settings().client_id, "app41");
  EXPECT_EQ(java41.token_source->settings().client_secret, "s41");
  EXPECT_THROW(
      read_sasl_credentials(config{{"sasl.mechanism", "OAUTHBEARER"},
                                   {"sasl.oauthbearer.token.endpoint.url", "http://x/"},
                                   {"sasl.oauthbearer.client.id", "a"},
                                   {"sasl.oauthbearer.client.secret", "b"},
                                   {"sasl.login.callback.handler.class", "com.acme.Mine"}}),
      config_error);

  // Only http and https; a client id and secret are needed; oidc needs the URL.
  auto with = [](std::string url) {
    return config{{"sasl.mechanism", "OAUTHBEARER"},
                  {"sasl.oauthbearer.token.endpoint.url", std::move(url)},
                  {"sasl.oauthbearer.client.id", "a"},
                  {"sasl.oauthbearer.client.secret", "b"}};
  };
  EXPECT_THROW(read_sasl_credentials(with("file:///etc/passwd")), config_error);
  EXPECT_THROW(read_sasl_credentials(with("ftp://idp/token")), config_error);
  EXPECT_THROW(read_sasl_credentials(with("http://user:pw@idp/token")), config_error);
  EXPECT_THROW(read_sasl_credentials(with("http://idp:99999/token")), config_error);
  EXPECT_THROW(read_sasl_credentials(config{{"sasl.mechanism", "OAUTHBEARER"},
                                            {"sasl.oauthbearer.token.endpoint.url", "http://x/"}}),
               config_error);
  EXPECT_THROW(read_sasl_credentials(
                   config{{"sasl.mechanism", "OAUTHBEARER"}, {"sasl.oauthbearer.method", "oidc"}}),
               config_error);
}

TEST(ClientSasl, ParsesHttpUrls) {
  auto u = parse_http_url("https://idp.example/realms/x/token?a=b#frag");
  EXPECT_TRUE(u.https);
  EXPECT_EQ(u.host, "idp.example");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/realms/x/token?a=b");
  auto v6 = parse_http_url("HTTP://[::1]:8080");
  EXPECT_FALSE(v6.https);
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(v6.port, 8080);
  EXPECT_EQ(v6.target, "/");
  EXPECT_THROW(parse_http_url("http://"), config_error);
  EXPECT_THROW(parse_http_url("idp.example/token"), config_error);
  EXPECT_EQ(form_urlencode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
}

TEST(ClientSasl, ReadsHttpAnswers) {
  const http_url url = parse_http_url("http://idp/token");
  auto sized = parse_http_response(
      url, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\n{}  xx");
  EXPECT_EQ(sized.status, 200);
  EXPECT_EQ(sized.header("content-type"), "application/json");
  EXPECT_EQ(sized.body, "{}  ");
  auto chunked = parse_http_response(
      url,
      "HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n"
      "A\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n");
  EXPECT_EQ(chunked.status, 401);
  EXPECT_EQ(chunked.body, "abc0123456789");
  auto to_end = parse_http_response(url, "HTTP/1.0 500 Oops\r\n\r\nall of it");
  EXPECT_EQ(to_end.body, "all of it");
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "", "HTTP/1.1 200 OK\r\n", "SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
           "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
           "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nab",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"}) {
    EXPECT_THROW(parse_http_response(url, bad), kafka_error) << bad;
  }
}

TEST(ClientSasl, ReadsTokenEndpointAnswers) {
  const auto now = std::chrono::system_clock::now();
  auto t = parse_token_response(
      R"({"access_token":"a.b.c","token_type":"Bearer","expires_in":300,"x":{"y":[1,2,{}]}})", now);
  EXPECT_EQ(t.value, "a.b.c");
  EXPECT_EQ(t.expires_at, now + std::chrono::seconds(300));
  // Without expires_in: the JWT's exp ({"sub":"erin","exp":2000000000}).
  auto jwt = parse_token_response(
      R"({"access_token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJlcmluIiwiZXhwIjoyMDAwMDAwMDAwfQ.c2ln"})",
      now);
  EXPECT_EQ(jwt.expires_at,
            std::chrono::system_clock::time_point(std::chrono::seconds(2000000000)));
  const std::string deep = "{\"a\":" + std::string(100, '[');
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "", "[]", "{", R"({"access_token":"x"})", R"({"expires_in":10})",
           R"({"access_token":"a b","expires_in":10})", R"({"access_token":"x","expires_in":-1})",
           R"({"access_token":"x","expires_in":10} trailing)", R"({"access_token":"x\q"})",
           std::string_view(deep)}) {
    EXPECT_THROW(parse_token_response(bad, now), kafka_error) << bad;
  }
  const auto escaped = json_object_scalars(R"({"k":"\u00e9\ud83d\ude00\n","n":-1.5e3})");
  ASSERT_TRUE(escaped);
  EXPECT_EQ(escaped->at("k"), "\xc3\xa9\xf0\x9f\x98\x80\n");
  EXPECT_EQ(escaped->at("n"), "-1.5e3");
}

TEST(ClientSasl, ReadsKerberosSettings) {
  auto librdkafka = read_sasl_credentials(config{{"sasl.mechanism", "GSSAPI"},
                                                 {"sasl.kerberos.keytab", "/k/alice.keytab"},
                                                 {"sasl.kerberos.principal", "alice@R"}});
  EXPECT_EQ(librdkafka.kerberos.service_name, "kafka");
  EXPECT_EQ(librdkafka.kerberos.keytab, "/k/alice.keytab");
  EXPECT_EQ(librdkafka.kerberos.principal, "alice@R");
  EXPECT_TRUE(librdkafka.kerberos.ccache.starts_with("MEMORY:")) << librdkafka.kerberos.ccache;

  // GSSAPI is the default mechanism, as in Kafka's clients.
  auto java = read_sasl_credentials(
      config{{"sasl.kerberos.service.name", "brook"},
             {"sasl.jaas.config",
              "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true "
              "storeKey=true keyTab=\"/k/bob.keytab\" principal=\"bob@R\";"}});
  EXPECT_EQ(java.mechanism, "GSSAPI");
  EXPECT_EQ(java.kerberos.service_name, "brook");
  EXPECT_EQ(java.kerberos.keytab, "/k/bob.keytab");
  EXPECT_EQ(java.kerberos.principal, "bob@R");
  EXPECT_NE(java.kerberos.ccache, librdkafka.kerberos.ccache);

  auto cache = read_sasl_credentials(config{});
  EXPECT_EQ(cache.kerberos.keytab, "");
  EXPECT_EQ(cache.kerberos.ccache, "");
}

TEST(ClientSasl, SaltedPasswordIsPbkdf2) {
  const auto salt = base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  EXPECT_EQ(scram_salted_password("SCRAM-SHA-256", "pencil", salt, 4096).size(), 32u);
  EXPECT_EQ(scram_salted_password("SCRAM-SHA-512", "pencil", salt, 4096).size(), 64u);
  EXPECT_THROW(scram_salted_password("SCRAM-SHA-1", "pencil", salt, 4096), config_error);
}

}  // namespace
}  // namespace brook::client
