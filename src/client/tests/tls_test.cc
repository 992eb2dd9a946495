// The client's TLS context from Java's and librdkafka's settings: what is refused, and how.
#include "client/tls.h"

#include <gtest/gtest.h>

#include "client/errors.h"

namespace brook::client {
namespace {

std::string message_of(const config& c) {
  try {
    make_client_tls(c);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

TEST(ClientTls, DefaultsCheckHostNamesWithSystemCertificates) {
  auto t = make_client_tls(config{});
  ASSERT_TRUE(t.context);
  EXPECT_TRUE(t.verify_host_name);
}

TEST(ClientTls, EmptyAlgorithmSkipsTheHostNameCheck) {
  EXPECT_FALSE(
      make_client_tls(config{{"ssl.endpoint.identification.algorithm", ""}}).verify_host_name);
  EXPECT_TRUE(
      make_client_tls(config{{"ssl.endpoint.identification.algorithm", "HTTPS"}}).verify_host_name);
  EXPECT_NE(message_of(config{{"ssl.endpoint.identification.algorithm", "ldap"}})
                .find("ssl.endpoint.identification.algorithm"),
            std::string::npos);
  EXPECT_FALSE(
      make_client_tls(config{{"enable.ssl.certificate.verification", "false"}}).verify_host_name);
}

TEST(ClientTls, RefusalsNameTheSetting) {
  EXPECT_NE(message_of(config{{"ssl.ca.location", "/nonexistent/ca.pem"}}).find("ssl.ca.location"),
            std::string::npos);
  EXPECT_NE(message_of(config{{"ssl.truststore.location", "/nonexistent/trust.p12"}})
                .find("ssl.truststore.location"),
            std::string::npos);
  EXPECT_NE(message_of(config{{"ssl.certificate.location", "/nonexistent/c.pem"}})
                .find("ssl.key.location"),
            std::string::npos);
  EXPECT_NE(message_of(config{{"ssl.keystore.location", "/nonexistent/k.p12"},
                              {"ssl.keystore.type", "PKCS12"}})
                .find("ssl.keystore.location"),
            std::string::npos);
  EXPECT_NE(
      message_of(config{{"ssl.truststore.location", "/dev/null"}, {"ssl.truststore.type", "BKS"}})
          .find("ssl.truststore.type"),
      std::string::npos);
}

}  // namespace
}  // namespace brook::client
