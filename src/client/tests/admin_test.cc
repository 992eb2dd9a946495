// The Admin client's pieces that need no broker: enum names both ways and the SCRAM salted
// password (PBKDF2-HMAC), checked against RFC 7914's published PBKDF2-HMAC-SHA256 vector.
#include <gtest/gtest.h>

#include "client/admin_types.h"
#include "client/errors.h"

namespace brook::client {
namespace {

std::string hex(const std::vector<uint8_t>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

TEST(AdminTypes, NamesRoundTrip) {
  EXPECT_EQ(to_string(resource_type::transactional_id), "TRANSACTIONAL_ID");
  EXPECT_EQ(parse_resource_type("transactional-id"), resource_type::transactional_id);
  EXPECT_EQ(parse_pattern_type("Prefixed"), pattern_type::prefixed);
  EXPECT_EQ(parse_acl_operation("delete"), acl_operation::remove);
  EXPECT_EQ(to_string(acl_operation::remove), "DELETE");
  EXPECT_EQ(parse_acl_operation("describe_configs"), acl_operation::describe_configs);
  EXPECT_EQ(parse_acl_permission("ALLOW"), acl_permission::allow);
  EXPECT_EQ(parse_scram_mechanism("scram-sha-512"), scram_mechanism::sha_512);
  EXPECT_EQ(to_string(scram_mechanism::sha_256), "SCRAM-SHA-256");
  EXPECT_EQ(to_string(config_source::dynamic_topic_config), "DYNAMIC_TOPIC_CONFIG");
  EXPECT_THROW(parse_acl_operation("juggle"), config_error);
  EXPECT_EQ(parse_feature_upgrade_type("safe-downgrade"), feature_upgrade_type::safe_downgrade);
  EXPECT_EQ(to_string(feature_upgrade_type::unsafe_downgrade), "UNSAFE_DOWNGRADE");
  EXPECT_THROW(parse_feature_upgrade_type("sideways"), config_error);
}

TEST(AdminTypes, SaltedPasswordIsPbkdf2) {
  // RFC 7914 section 11: PBKDF2-HMAC-SHA256, P = "passwd", S = "salt", c = 1 (first 32 bytes).
  const std::string salt = "salt";
  auto out = scram_salted_password(
      scram_mechanism::sha_256, "passwd",
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(salt.data()), salt.size()), 1);
  EXPECT_EQ(hex(out), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
  EXPECT_EQ(scram_salted_password(scram_mechanism::sha_512, "p", {}, 4096).size(), 64u);
}

}  // namespace
}  // namespace brook::client
