// The client library over secured listeners of a brookd that tests/client/security_run.sh starts:
// TLS (trusted by PEM and by PKCS12/JKS trust stores), mutual TLS (PEM files and PKCS12 key
// stores), SASL PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER over SSL and plaintext; OAUTHBEARER with
// tokens from an OAuth token endpoint over http and https (token_server.py); GSSAPI with a KDC;
// refusals (wrong passwords, untrusted CAs, host names, missing client certificates, expired
// tokens, a wrong client secret, bad or slow token endpoints, wrong Kerberos services and
// principals); and KIP-368 re-authentication on listeners whose sessions last 2 s (with tokens
// fetched again as they age).
//
// Environment (all set by security_run.sh; without BROOK_SEC_CERTS every test is skipped):
// BROOK_SEC_PLAINTEXT, _SSL, _MTLS, _SASL_SSL, _SASL_PLAINTEXT, _WRONG_HOST (host:port of each
// listener), BROOK_SEC_CERTS (folder of make_certs.sh's files, plus ca-trust.p12),
// BROOK_SEC_PLAIN, _SCRAM256, _SCRAM512 (user:password), BROOK_SEC_TOKEN, _EXPIRED_TOKEN (JWTs);
// BROOK_SEC_TOKEN_HTTP, _HTTPS (the token endpoint's base URLs), _TOKEN_LOG (its log of tokens
// issued), _OAUTH_CLIENT (id:secret); BROOK_SEC_KERBEROS (the GSSAPI listener, host:port; the
// Kerberos tests skip without it), BROOK_SEC_KRB5_DIR (alice.keytab), with KRB5_CONFIG and
// KRB5CCNAME (bob's ticket cache).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>
#include <tuple>

#include "client/admin.h"
#include "client/cluster.h"
#include "client/sasl.h"
#include "harness.h"
#include "protocol/generated/alter_user_scram_credentials_request.h"
#include "protocol/generated/alter_user_scram_credentials_response.h"
#include "protocol/generated/create_topics_request.h"
#include "protocol/generated/create_topics_response.h"
#include "protocol/generated/fetch_request.h"
#include "protocol/generated/fetch_response.h"
#include "protocol/generated/metadata_request.h"
#include "protocol/generated/metadata_response.h"
#include "protocol/generated/produce_request.h"
#include "protocol/generated/produce_response.h"
#include "protocol/records/byte_order.h"
#include "protocol/records/record_batch.h"

namespace brook::client {
namespace {

using protocol::error_code;
using settings = std::initializer_list<std::pair<std::string, std::string>>;
using settings_list = std::vector<std::pair<std::string, std::string>>;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool configured() { return !env("BROOK_SEC_CERTS").empty(); }

#define SKIP_UNLESS_SECURED() \
  if (!configured())          \
  GTEST_SKIP() << "no secured brookd (tests/client/security_run.sh sets BROOK_SEC_*)"

std::string cert(const std::string& name) { return env("BROOK_SEC_CERTS") + "/" + name; }

std::pair<std::string, std::string> user_of(const char* var) {
  const std::string v = env(var);
  const auto colon = v.find(':');
  return {v.substr(0, colon), v.substr(colon + 1)};
}

// Settings for the listener named by `listener_var`, plus `extra`.
config secured(const char* listener_var, settings extra) {
  config c{{"bootstrap.servers", env(listener_var)},
           {"request.timeout.ms", "15000"},
           {"socket.connection.setup.timeout.ms", "10000"}};
  for (const auto& [k, v] : extra) c.set(k, v);
  return c;
}

std::string jaas(std::string_view module, const std::pair<std::string, std::string>& user) {
  return fmt::format(
      "org.apache.kafka.common.security.{} required username=\"{}\" password=\"{}\";", module,
      user.first, user.second);
}

// Creates a topic, writes one record with a raw Produce and reads it back with a raw Fetch, all
// over the cluster's connections; returns the value read.
asio::awaitable<std::string> produce_and_fetch(cluster& c, std::string topic, std::string value) {
  auto conn = co_await c.any_connection();
  protocol::create_topics_request create;
  create.topics.emplace_back();
  create.topics.back().name = topic;
  create.topics.back().num_partitions = 1;
  create.topics.back().replication_factor = 1;
  const auto created = co_await conn->call<protocol::create_topics_response>(
      create, conn->require_version(protocol::api_key::create_topics, 7, 2));
  if (created.topics.size() != 1) throw std::runtime_error("CreateTopics answered no topic");
  throw_if_error(created.topics[0].error_code, "CreateTopics");

  int32_t leader = -1;
  for (int attempt = 0; leader < 0; ++attempt) {
    auto snapshot = co_await c.refresh_metadata(std::vector<std::string>{topic});
    leader = snapshot->leader_of(topic, 0);
    if (leader < 0 && attempt > 50) throw std::runtime_error("the topic has no leader");
    if (leader < 0) co_await c.backoff(attempt);
  }
  auto to_leader = co_await c.connection_to(leader);

  protocol::records::batch_builder builder(protocol::records::batch_options{});
  const std::vector<uint8_t> bytes(value.begin(), value.end());
  builder.append(0, std::nullopt, std::span<const uint8_t>(bytes));
  protocol::produce_request produce;
  produce.acks = -1;
  produce.timeout_ms = 10000;
  produce.topic_data.emplace_back();
  produce.topic_data.back().name = topic;
  produce.topic_data.back().partition_data.emplace_back();
  produce.topic_data.back().partition_data.back().index = 0;
  produce.topic_data.back().partition_data.back().records = wire::shared_bytes(builder.build());
  const auto produced = co_await to_leader->call<protocol::produce_response>(
      produce, to_leader->require_version(protocol::api_key::produce, 12, 3));
  const auto& p = produced.responses.at(0).partition_responses.at(0);
  throw_if_error(p.error_code, "Produce");

  protocol::fetch_request fetch;
  fetch.max_wait_ms = 100;
  fetch.topics.emplace_back();
  fetch.topics.back().topic = topic;
  fetch.topics.back().partitions.emplace_back();
  fetch.topics.back().partitions.back().fetch_offset = p.base_offset;
  fetch.topics.back().partitions.back().partition_max_bytes = 1 << 20;
  const auto fetched = co_await to_leader->call<protocol::fetch_response>(
      fetch, to_leader->require_version(protocol::api_key::fetch, 12, 4));
  const auto& f = fetched.responses.at(0).partitions.at(0);
  throw_if_error(f.error_code, "Fetch");
  if (!f.records || f.records->empty()) throw std::runtime_error("Fetch returned no records");
  // The partition holds only this record's batch: offset, length (bytes after it), the rest.
  const auto set = f.records->span();
  if (set.size() < 12) throw std::runtime_error("a record set shorter than a batch header");
  const auto length = protocol::records::load_be<int32_t>(set.data() + 8);
  protocol::records::batch_view batch(set.subspan(0, 12 + static_cast<size_t>(length)));
  const auto records = protocol::records::decode_records(batch, 1 << 20);
  if (records.empty() || !records[0].value) throw std::runtime_error("a batch without a value");
  const auto v = records[0].value->span();
  co_return std::string(v.begin(), v.end());
}

void expect_round_trip(config settings) {
  cluster c(std::move(settings));
  const std::string topic = test::unique_name("security");
  const std::string value = "over " + topic;
  EXPECT_EQ(c.run([&] { return produce_and_fetch(c, topic, value); }), value);
}

// The error a client with `settings` meets when it first talks to the cluster.
kafka_error first_failure(config settings) {
  cluster c(std::move(settings));
  try {
    c.run([&] { return c.refresh_metadata(std::nullopt); });
  } catch (const kafka_error& e) {
    std::printf("  refused as expected: %s\n", e.what());
    return e;
  }
  ADD_FAILURE() << "the client was let in";
  return kafka_error(error_code::none, "");
}

// The SCRAM users of BROOK_SEC_SCRAM256/512, made once with AlterUserScramCredentials over the
// plaintext listener, then waited for until they can log in.
void ensure_scram_users() {
  static std::once_flag once;
  std::call_once(once, [] {
    cluster admin(config{{"bootstrap.servers", env("BROOK_SEC_PLAINTEXT")}});
    protocol::alter_user_scram_credentials_request req;
    for (auto [var, mechanism, type] : {std::tuple{"BROOK_SEC_SCRAM256", "SCRAM-SHA-256", 1},
                                        std::tuple{"BROOK_SEC_SCRAM512", "SCRAM-SHA-512", 2}}) {
      const auto [user, password] = user_of(var);
      protocol::alter_user_scram_credentials_request::scram_credential_upsertion u;
      u.name = user;
      u.mechanism = static_cast<int8_t>(type);
      u.iterations = 8192;
      u.salt = {'s', 'a', 'l', 't', '-', static_cast<uint8_t>('0' + type)};
      u.salted_password = scram_salted_password(mechanism, password, u.salt, u.iterations);
      req.upsertions.push_back(std::move(u));
    }
    const auto resp =
        admin.run([&]() -> asio::awaitable<protocol::alter_user_scram_credentials_response> {
          auto conn = co_await admin.any_connection();
          co_return co_await conn->call<protocol::alter_user_scram_credentials_response>(req, 0);
        });
    for (const auto& r : resp.results)
      ASSERT_EQ(r.error_code, 0) << r.user << ": " << r.error_message.value_or("");
    // The credentials reach the listeners through the metadata log: wait until one logs in.
    for (int attempt = 0;; ++attempt) {
      try {
        cluster probe(secured(
            "BROOK_SEC_SASL_PLAINTEXT",
            {{"security.protocol", "SASL_PLAINTEXT"},
             {"sasl.mechanism", "SCRAM-SHA-512"},
             {"sasl.jaas.config", jaas("scram.ScramLoginModule", user_of("BROOK_SEC_SCRAM512"))}}));
        probe.run([&] { return probe.refresh_metadata(std::nullopt); });
        return;
      } catch (const kafka_error& e) {
        ASSERT_LT(attempt, 50) << e.what();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  });
}

// --- TLS ---

TEST(SecurityTls, RoundTripTrustingAPemCa) {
  SKIP_UNLESS_SECURED();
  expect_round_trip(secured("BROOK_SEC_SSL",
                            {{"security.protocol", "SSL"}, {"ssl.ca.location", cert("ca.pem")}}));
}

TEST(SecurityTls, RoundTripWithJavaTrustStores) {
  SKIP_UNLESS_SECURED();
  // A PKCS12 trust store, named JKS as Java's default type.
  expect_round_trip(secured("BROOK_SEC_SSL", {{"security.protocol", "SSL"},
                                              {"ssl.truststore.location", cert("ca-trust.p12")},
                                              {"ssl.truststore.password", "brook-pass"}}));
  expect_round_trip(secured("BROOK_SEC_SSL", {{"security.protocol", "SSL"},
                                              {"ssl.truststore.type", "PEM"},
                                              {"ssl.truststore.location", cert("ca.pem")}}));
}

TEST(SecurityTls, UntrustedBrokerIsRefused) {
  SKIP_UNLESS_SECURED();
  const auto e = first_failure(secured(
      "BROOK_SEC_SSL", {{"security.protocol", "SSL"}, {"ssl.ca.location", cert("other-ca.pem")}}));
  EXPECT_EQ(e.code(), error_code::sasl_authentication_failed) << e.what();
  EXPECT_NE(std::string(e.what()).find("TLS"), std::string::npos) << e.what();
  // The system's CAs do not know the test CA either.
  const auto system = first_failure(secured("BROOK_SEC_SSL", {{"security.protocol", "SSL"}}));
  EXPECT_EQ(system.code(), error_code::sasl_authentication_failed) << system.what();
}

TEST(SecurityTls, HostNameIsCheckedUnlessTheAlgorithmIsEmpty) {
  SKIP_UNLESS_SECURED();
  // This listener's certificate names elsewhere.invalid, not 127.0.0.1.
  const auto e = first_failure(secured(
      "BROOK_SEC_WRONG_HOST", {{"security.protocol", "SSL"}, {"ssl.ca.location", cert("ca.pem")}}));
  EXPECT_EQ(e.code(), error_code::sasl_authentication_failed) << e.what();
  expect_round_trip(
      secured("BROOK_SEC_WRONG_HOST", {{"security.protocol", "SSL"},
                                       {"ssl.ca.location", cert("ca.pem")},
                                       {"ssl.endpoint.identification.algorithm", ""}}));
}

TEST(SecurityTls, VerificationCanBeTurnedOff) {
  SKIP_UNLESS_SECURED();
  expect_round_trip(secured("BROOK_SEC_SSL", {{"security.protocol", "SSL"},
                                              {"enable.ssl.certificate.verification", "false"}}));
}

TEST(SecurityMtls, RoundTripWithPemFiles) {
  SKIP_UNLESS_SECURED();
  expect_round_trip(secured("BROOK_SEC_MTLS", {{"security.protocol", "SSL"},
                                               {"ssl.ca.location", cert("ca.pem")},
                                               {"ssl.certificate.location", cert("alice.crt")},
                                               {"ssl.key.location", cert("alice.key")}}));
}

TEST(SecurityMtls, RoundTripWithAPkcs12KeyStore) {
  SKIP_UNLESS_SECURED();
  expect_round_trip(secured("BROOK_SEC_MTLS", {{"security.protocol", "SSL"},
                                               {"ssl.truststore.type", "PEM"},
                                               {"ssl.truststore.location", cert("ca.pem")},
                                               {"ssl.keystore.type", "PKCS12"},
                                               {"ssl.keystore.location", cert("alice.p12")},
                                               {"ssl.keystore.password", "brook-pass"}}));
}

TEST(SecurityMtls, NoOrUntrustedClientCertificateIsRefused) {
  SKIP_UNLESS_SECURED();
  const auto none = first_failure(secured(
      "BROOK_SEC_MTLS", {{"security.protocol", "SSL"}, {"ssl.ca.location", cert("ca.pem")}}));
  EXPECT_EQ(none.code(), error_code::sasl_authentication_failed) << none.what();
  const auto mallory =
      first_failure(secured("BROOK_SEC_MTLS", {{"security.protocol", "SSL"},
                                               {"ssl.ca.location", cert("ca.pem")},
                                               {"ssl.certificate.location", cert("mallory.crt")},
                                               {"ssl.key.location", cert("mallory.key")}}));
  EXPECT_EQ(mallory.code(), error_code::sasl_authentication_failed) << mallory.what();
}

// --- SASL ---

TEST(SecuritySasl, PlainOverSslWithEitherFamilysSettings) {
  SKIP_UNLESS_SECURED();
  const auto alice = user_of("BROOK_SEC_PLAIN");
  expect_round_trip(secured("BROOK_SEC_SASL_SSL", {{"security.protocol", "SASL_SSL"},
                                                   {"ssl.ca.location", cert("ca.pem")},
                                                   {"sasl.mechanisms", "PLAIN"},
                                                   {"sasl.username", alice.first},
                                                   {"sasl.password", alice.second}}));
  expect_round_trip(
      secured("BROOK_SEC_SASL_SSL", {{"security.protocol", "SASL_SSL"},
                                     {"ssl.truststore.type", "PEM"},
                                     {"ssl.truststore.location", cert("ca.pem")},
                                     {"sasl.mechanism", "PLAIN"},
                                     {"sasl.jaas.config", jaas("plain.PlainLoginModule", alice)}}));
}

TEST(SecuritySasl, ScramSha256AndSha512) {
  SKIP_UNLESS_SECURED();
  ensure_scram_users();
  expect_round_trip(secured(
      "BROOK_SEC_SASL_PLAINTEXT",
      {{"security.protocol", "SASL_PLAINTEXT"},
       {"sasl.mechanism", "SCRAM-SHA-256"},
       {"sasl.jaas.config", jaas("scram.ScramLoginModule", user_of("BROOK_SEC_SCRAM256"))}}));
  const auto dave = user_of("BROOK_SEC_SCRAM512");
  expect_round_trip(secured("BROOK_SEC_SASL_PLAINTEXT", {{"security.protocol", "SASL_PLAINTEXT"},
                                                         {"sasl.mechanism", "SCRAM-SHA-512"},
                                                         {"sasl.username", dave.first},
                                                         {"sasl.password", dave.second}}));
  expect_round_trip(
      secured("BROOK_SEC_SASL_SSL", {{"security.protocol", "SASL_SSL"},
                                     {"ssl.ca.location", cert("ca.pem")},
                                     {"sasl.mechanism", "SCRAM-SHA-512"},
                                     {"sasl.jaas.config", jaas("scram.ScramLoginModule", dave)}}));
}

// Delegation tokens (admin.h) need a SASL connection: security_run.sh gives its Kafkas a token
// secret; brookd, a single node, has no token APIs.
TEST(SecuritySasl, DelegationTokensCreateDescribeRenewExpire) {
  SKIP_UNLESS_SECURED();
  ensure_scram_users();
  const auto dave = user_of("BROOK_SEC_SCRAM512");
  admin a(secured("BROOK_SEC_SASL_PLAINTEXT", {{"security.protocol", "SASL_PLAINTEXT"},
                                               {"sasl.mechanism", "SCRAM-SHA-512"},
                                               {"sasl.username", dave.first},
                                               {"sasl.password", dave.second}}));
  if (test::broker_flavour() == "brook") {
    try {
      a.create_delegation_token();
      FAIL() << "brookd created a delegation token";
    } catch (const kafka_error& e) {
      EXPECT_EQ(e.code(), protocol::error_code::unsupported_version);
    }
    return;
  }
  const std::string owner = "User:" + dave.first;
  const auto t = a.create_delegation_token({.renewers = {owner}});
  EXPECT_FALSE(t.token_id.empty());
  EXPECT_FALSE(t.hmac.empty());
  EXPECT_EQ(t.owner, owner);
  EXPECT_EQ(t.token_requester, owner);
  EXPECT_LE(t.issue_timestamp_ms, t.expiry_timestamp_ms);
  EXPECT_LE(t.expiry_timestamp_ms, t.max_timestamp_ms);

  auto find = [&](const std::vector<delegation_token>& tokens) -> const delegation_token* {
    for (const auto& d : tokens)
      if (d.token_id == t.token_id) return &d;
    return nullptr;
  };
  // Kafka's brokers learn of a token from the controller a moment after it was made: wait
  // (bounded) until the answer shows `present`.
  auto settle = [&](bool present) {
    auto tokens = a.describe_delegation_tokens();
    for (int i = 0; i < 100 && (find(tokens) != nullptr) != present; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      tokens = a.describe_delegation_tokens();
    }
    return tokens;
  };
  const auto described = settle(true);
  const delegation_token* d = find(described);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->hmac, t.hmac);
  EXPECT_EQ(d->owner, owner);
  EXPECT_EQ(d->renewers, std::vector<std::string>{owner});
  EXPECT_EQ(d->max_timestamp_ms, t.max_timestamp_ms);
  EXPECT_NE(find(a.describe_delegation_tokens(std::vector<std::string>{owner})), nullptr);
  EXPECT_EQ(find(a.describe_delegation_tokens(std::vector<std::string>{"User:nobody"})), nullptr);

  const int64_t renewed = a.renew_delegation_token(t.hmac, 60000);
  EXPECT_GE(renewed, t.issue_timestamp_ms);
  EXPECT_LE(renewed, t.max_timestamp_ms);
  // A negative period expires the token now: it is gone.
  a.expire_delegation_token(t.hmac, -1);
  EXPECT_EQ(find(settle(false)), nullptr);
  try {
    a.renew_delegation_token(t.hmac);
    FAIL() << "an expired token was renewed";
  } catch (const kafka_error& e) {
    EXPECT_EQ(e.code(), protocol::error_code::delegation_token_not_found);
  }
}

TEST(SecuritySasl, OauthbearerWithAReadyToken) {
  SKIP_UNLESS_SECURED();
  expect_round_trip(
      secured("BROOK_SEC_SASL_SSL", {{"security.protocol", "SASL_SSL"},
                                     {"ssl.ca.location", cert("ca.pem")},
                                     {"sasl.mechanism", "OAUTHBEARER"},
                                     {"sasl.oauthbearer.token", env("BROOK_SEC_TOKEN")}}));
}

TEST(SecuritySasl, WrongPasswordsFailWithTheBrokersMessage) {
  SKIP_UNLESS_SECURED();
  ensure_scram_users();
  const auto plain = first_failure(
      secured("BROOK_SEC_SASL_SSL", {{"security.protocol", "SASL_SSL"},
                                     {"ssl.ca.location", cert("ca.pem")},
                                     {"sasl.mechanism", "PLAIN"},
                                     {"sasl.username", user_of("BROOK_SEC_PLAIN").first},
                                     {"sasl.password", "not-her-password"}}));
  EXPECT_EQ(plain.code(), error_code::sasl_authentication_failed) << plain.what();
  EXPECT_EQ(std::string(plain.what()).find("no reason given"), std::string::npos) << plain.what();
  EXPECT_FALSE(plain.retriable());

  const auto scram = first_failure(
      secured("BROOK_SEC_SASL_PLAINTEXT", {{"security.protocol", "SASL_PLAINTEXT"},
                                           {"sasl.mechanism", "SCRAM-SHA-256"},
                                           {"sasl.username", user_of("BROOK_SEC_SCRAM256").first},
                                           {"sasl.password", "not-her-password"}}));
  EXPECT_EQ(scram.code(), error_code::sasl_authentication_failed) << scram.what();
  EXPECT_NE(std::string(scram.what()).find("SCRAM-SHA-256"), std::string::npos) << scram.what();
}

TEST(SecuritySasl, ExpiredTokenIsRefused) {
  SKIP_UNLESS_SECURED();
  const auto e = first_failure(
      secured("BROOK_SEC_SASL_SSL", {{"security.protocol", "SASL_SSL"},
                                     {"ssl.ca.location", cert("ca.pem")},
                                     {"sasl.mechanism", "OAUTHBEARER"},
                                     {"sasl.oauthbearer.token", env("BROOK_SEC_EXPIRED_TOKEN")}}));
  EXPECT_EQ(e.code(), error_code::sasl_authentication_failed) << e.what();
}

// --- re-authentication ---

// Keeps requests in flight on one connection of a listener whose sessions last 2 s until the
// connection has authenticated `sessions` times; every request must succeed on that connection.
// With `until`, also keeps going until it holds (bounded by the same deadline).
void expect_sessions_renewed(config settings, int sessions,
                             const std::function<bool()>& until = {}) {
  cluster c(std::move(settings));
  struct outcome {
    int authentications = 0;
    int answered = 0;
    std::string failure;
    bool same_connection = false;
  };
  const auto o = c.run([&]() -> asio::awaitable<outcome> {
    auto conn = co_await c.any_connection();
    outcome out;
    bool stop = false;
    int running = 0;
    auto ex = co_await asio::this_coro::executor;
    // Three request loops, so that requests are in flight whenever re-authentication starts.
    for (int w = 0; w < 3; ++w) {
      ++running;
      asio::co_spawn(
          ex,
          [&]() -> asio::awaitable<void> {
            try {
              while (!stop) {
                protocol::metadata_request req;
                req.topics.emplace();
                co_await conn->call<protocol::metadata_response>(
                    req, conn->require_version(protocol::api_key::metadata, 12, 1));
                ++out.answered;
              }
            } catch (const std::exception& e) {
              out.failure = e.what();
            }
            --running;
          },
          asio::detached);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while ((conn->authentications() < sessions || (until && !until())) && out.failure.empty() &&
           std::chrono::steady_clock::now() < deadline)
      co_await c.sleep(std::chrono::milliseconds(50));
    stop = true;
    while (running > 0) co_await c.sleep(std::chrono::milliseconds(10));
    out.authentications = conn->authentications();
    out.same_connection = conn->is_open() && (co_await c.any_connection()) == conn;
    co_return out;
  });
  EXPECT_EQ(o.failure, "");
  EXPECT_GE(o.authentications, sessions);
  EXPECT_GT(o.answered, sessions);
  EXPECT_TRUE(o.same_connection);
  if (until) EXPECT_TRUE(until());
}

TEST(SecurityReauth, ScramSessionsAreRenewedOnTheSameConnection) {
  SKIP_UNLESS_SECURED();
  ensure_scram_users();
  expect_sessions_renewed(
      secured(
          "BROOK_SEC_SASL_PLAINTEXT",
          {{"security.protocol", "SASL_PLAINTEXT"},
           {"sasl.mechanism", "SCRAM-SHA-256"},
           {"sasl.jaas.config", jaas("scram.ScramLoginModule", user_of("BROOK_SEC_SCRAM256"))}}),
      4);
}

TEST(SecurityReauth, PlainSessionsAreRenewedOnTheSameConnection) {
  SKIP_UNLESS_SECURED();
  const auto bob = user_of("BROOK_SEC_PLAIN");
  expect_sessions_renewed(
      secured("BROOK_SEC_SASL_PLAINTEXT", {{"security.protocol", "SASL_PLAINTEXT"},
                                           {"sasl.mechanism", "PLAIN"},
                                           {"sasl.username", bob.first},
                                           {"sasl.password", bob.second}}),
      4);
}

}  // namespace
}  // namespace brook::client

namespace brook::client {
namespace {

// --- OAUTHBEARER with a token endpoint (tests/client/token_server.py) ---

bool token_endpoint_configured() { return !env("BROOK_SEC_TOKEN_HTTP").empty(); }

#define SKIP_UNLESS_TOKEN_ENDPOINT()                                                    \
  SKIP_UNLESS_SECURED();                                                                \
  if (!token_endpoint_configured())                                                     \
  GTEST_SKIP() << "no token endpoint (security_run.sh starts token_server.py and sets " \
                  "BROOK_SEC_TOKEN_HTTP)"

// The lines of the token server's log ("path client scope") that start with `path`.
std::vector<std::string> tokens_issued(std::string_view path) {
  std::ifstream in(env("BROOK_SEC_TOKEN_LOG"));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(std::string(path) + " ")) out.push_back(line);
  return out;
}

// librdkafka's names for the endpoint at `base` + `path`.
settings_list oidc(const std::string& base, std::string_view path, std::string secret = {}) {
  const auto app = user_of("BROOK_SEC_OAUTH_CLIENT");
  return {{"sasl.mechanism", "OAUTHBEARER"},
          {"sasl.oauthbearer.method", "oidc"},
          {"sasl.oauthbearer.token.endpoint.url", base + std::string(path)},
          {"sasl.oauthbearer.client.id", app.first},
          {"sasl.oauthbearer.client.secret", secret.empty() ? app.second : secret},
          {"sasl.oauthbearer.scope", "kafka"}};
}

config with(config c, const settings_list& extra) {
  for (const auto& [k, v] : extra) c.set(k, v);
  return c;
}

TEST(SecurityOauth, TokenFromAnHttpEndpointWithLibrdkafkasNames) {
  SKIP_UNLESS_TOKEN_ENDPOINT();
  const size_t before = tokens_issued("/token").size();
  expect_round_trip(
      with(secured("BROOK_SEC_SASL_SSL", {{"security.protocol", "SASL_SSL"},
                                          {"ssl.ca.location", cert("ca.pem")},
                                          {"sasl.oauthbearer.extensions", "traceId=abc123"}}),
           oidc(env("BROOK_SEC_TOKEN_HTTP"), "/token")));
  const auto issued = tokens_issued("/token");
  ASSERT_EQ(issued.size(), before + 1);
  EXPECT_EQ(issued.back(), "/token " + user_of("BROOK_SEC_OAUTH_CLIENT").first + " kafka");
}

TEST(SecurityOauth, TokenFromAnHttpsEndpointWithJavasNames) {
  SKIP_UNLESS_TOKEN_ENDPOINT();
  const auto app = user_of("BROOK_SEC_OAUTH_CLIENT");
  const size_t before = tokens_issued("/token").size();
  expect_round_trip(secured(
      "BROOK_SEC_SASL_SSL",
      {{"security.protocol", "SASL_SSL"},
       {"ssl.truststore.type", "PEM"},
       {"ssl.truststore.location", cert("ca.pem")},
       {"sasl.mechanism", "OAUTHBEARER"},
       {"sasl.oauthbearer.token.endpoint.url", env("BROOK_SEC_TOKEN_HTTPS") + "/token"},
       {"https.ca.location", cert("ca.pem")},
       {"sasl.jaas.config",
        fmt::format("org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                    "clientId=\"{}\" clientSecret=\"{}\" scope=\"kafka read\";",
                    app.first, app.second)}}));
  const auto issued = tokens_issued("/token");
  ASSERT_EQ(issued.size(), before + 1);
  EXPECT_EQ(issued.back(), "/token " + app.first + " kafka read");
  // The endpoint's certificate must be trusted: with another CA, no token and no connection.
  const auto e = first_failure(
      secured("BROOK_SEC_SASL_SSL",
              {{"security.protocol", "SASL_SSL"},
               {"ssl.ca.location", cert("ca.pem")},
               {"sasl.mechanism", "OAUTHBEARER"},
               {"sasl.oauthbearer.token.endpoint.url", env("BROOK_SEC_TOKEN_HTTPS") + "/token"},
               {"https.ca.location", cert("other-ca.pem")},
               {"sasl.oauthbearer.client.id", app.first},
               {"sasl.oauthbearer.client.secret", app.second}}));
  EXPECT_EQ(e.code(), error_code::sasl_authentication_failed) << e.what();
  EXPECT_NE(std::string(e.what()).find("TLS handshake"), std::string::npos) << e.what();
  EXPECT_EQ(tokens_issued("/token").size(), before + 1);
}

TEST(SecurityOauth, WrongClientSecretOrBadAnswersAreRefusedCleanly) {
  SKIP_UNLESS_TOKEN_ENDPOINT();
  auto over_ssl = [](const settings_list& extra) {
    return with(secured("BROOK_SEC_SASL_SSL",
                        {{"security.protocol", "SASL_SSL"}, {"ssl.ca.location", cert("ca.pem")}}),
                extra);
  };
  const auto wrong =
      first_failure(over_ssl(oidc(env("BROOK_SEC_TOKEN_HTTP"), "/token", "not-the-secret")));
  EXPECT_EQ(wrong.code(), error_code::sasl_authentication_failed) << wrong.what();
  EXPECT_FALSE(wrong.retriable());
  EXPECT_NE(std::string(wrong.what()).find("401"), std::string::npos) << wrong.what();
  EXPECT_NE(std::string(wrong.what()).find("invalid_client"), std::string::npos) << wrong.what();

  const auto garbage = first_failure(over_ssl(oidc(env("BROOK_SEC_TOKEN_HTTP"), "/garbage")));
  EXPECT_EQ(garbage.code(), error_code::sasl_authentication_failed) << garbage.what();
  EXPECT_NE(std::string(garbage.what()).find("JSON"), std::string::npos) << garbage.what();

  // An endpoint that never answers: the read timeout ends the call.
  auto hang = oidc(env("BROOK_SEC_TOKEN_HTTP"), "/hang");
  hang.emplace_back("sasl.login.read.timeout.ms", "300");
  const auto slow = first_failure(over_ssl(hang));
  EXPECT_NE(std::string(slow.what()).find("in time"), std::string::npos) << slow.what();
}

TEST(SecurityOauth, TokensAreRefreshedForReauthentication) {
  SKIP_UNLESS_TOKEN_ENDPOINT();
  // Tokens of 8 s (token_server.py's /short), refreshed at half their life; the listener's
  // sessions last 2 s, so the re-authentications after 4 s must fetch a new token. (A token is
  // never sent with less than 3 s to live, so the broker never cuts a session short for it.)
  const size_t before = tokens_issued("/short").size();
  expect_sessions_renewed(
      with(secured("BROOK_SEC_SASL_PLAINTEXT", {{"security.protocol", "SASL_PLAINTEXT"},
                                                {"sasl.login.refresh.window.factor", "0.5"}}),
           oidc(env("BROOK_SEC_TOKEN_HTTP"), "/short")),
      3, [&] { return tokens_issued("/short").size() >= before + 2; });
}

// --- GSSAPI (a KDC that security_run.sh starts) ---

#define SKIP_UNLESS_KERBEROS()           \
  SKIP_UNLESS_SECURED();                 \
  if (env("BROOK_SEC_KERBEROS").empty()) \
  GTEST_SKIP() << "no KDC (security_run.sh starts one when krb5-kdc is installed)"

std::string keytab(const std::string& user) {
  return env("BROOK_SEC_KRB5_DIR") + "/" + user + ".keytab";
}

TEST(SecurityKerberos, KeytabWithLibrdkafkasNames) {
  SKIP_UNLESS_KERBEROS();
  expect_round_trip(
      secured("BROOK_SEC_KERBEROS", {{"security.protocol", "SASL_PLAINTEXT"},
                                     {"sasl.mechanisms", "GSSAPI"},
                                     {"sasl.kerberos.service.name", "kafka"},
                                     {"sasl.kerberos.keytab", keytab("alice")},
                                     {"sasl.kerberos.principal", "alice@BROOK.TEST"}}));
}

TEST(SecurityKerberos, KeytabFromJavasJaasLine) {
  SKIP_UNLESS_KERBEROS();
  expect_round_trip(
      secured("BROOK_SEC_KERBEROS",
              {{"security.protocol", "SASL_PLAINTEXT"},
               {"sasl.mechanism", "GSSAPI"},
               {"sasl.kerberos.service.name", "kafka"},
               {"sasl.jaas.config",
                fmt::format("com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true "
                            "storeKey=true keyTab=\"{}\" principal=\"alice@BROOK.TEST\";",
                            keytab("alice"))}}));
}

TEST(SecurityKerberos, TicketCacheAfterKinit) {
  SKIP_UNLESS_KERBEROS();
  // KRB5CCNAME names the cache that security_run.sh filled with kinit as bob.
  expect_round_trip(secured("BROOK_SEC_KERBEROS", {{"security.protocol", "SASL_PLAINTEXT"},
                                                   {"sasl.mechanism", "GSSAPI"}}));
}

TEST(SecurityKerberos, WrongServiceOrPrincipalIsRefused) {
  SKIP_UNLESS_KERBEROS();
  // A ticket for other/localhost: the broker's keytab cannot read it.
  const auto other =
      first_failure(secured("BROOK_SEC_KERBEROS", {{"security.protocol", "SASL_PLAINTEXT"},
                                                   {"sasl.mechanism", "GSSAPI"},
                                                   {"sasl.kerberos.service.name", "other"},
                                                   {"sasl.kerberos.keytab", keytab("alice")}}));
  EXPECT_EQ(other.code(), error_code::sasl_authentication_failed) << other.what();
  // No service principal for this name at all: the KDC refuses the ticket.
  const auto unknown =
      first_failure(secured("BROOK_SEC_KERBEROS", {{"security.protocol", "SASL_PLAINTEXT"},
                                                   {"sasl.mechanism", "GSSAPI"},
                                                   {"sasl.kerberos.service.name", "nobody"},
                                                   {"sasl.kerberos.keytab", keytab("alice")}}));
  EXPECT_EQ(unknown.code(), error_code::sasl_authentication_failed) << unknown.what();
  EXPECT_NE(std::string(unknown.what()).find("GSSAPI"), std::string::npos) << unknown.what();
  // A principal whose key the keytab does not hold.
  const auto bob =
      first_failure(secured("BROOK_SEC_KERBEROS", {{"security.protocol", "SASL_PLAINTEXT"},
                                                   {"sasl.mechanism", "GSSAPI"},
                                                   {"sasl.kerberos.keytab", keytab("alice")},
                                                   {"sasl.kerberos.principal", "bob@BROOK.TEST"}}));
  EXPECT_EQ(bob.code(), error_code::sasl_authentication_failed) << bob.what();
}

TEST(SecurityKerberos, SessionsAreRenewedOnTheSameConnection) {
  SKIP_UNLESS_KERBEROS();
  expect_sessions_renewed(
      secured("BROOK_SEC_KERBEROS", {{"security.protocol", "SASL_PLAINTEXT"},
                                     {"sasl.mechanism", "GSSAPI"},
                                     {"sasl.kerberos.keytab", keytab("alice")},
                                     {"sasl.kerberos.principal", "alice@BROOK.TEST"}}),
      3);
}

}  // namespace
}  // namespace brook::client
