#include "security/principal.h"

#include <gtest/gtest.h>

namespace brook::security {
namespace {

TEST(Principal, ParsesTypeAndName) {
  auto p = parse_principal("User:alice");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, "User");
  EXPECT_EQ(p->name, "alice");
  EXPECT_EQ(p->text(), "User:alice");
  auto odd = parse_principal("User:CN=a:b");
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->name, "CN=a:b");
  EXPECT_FALSE(parse_principal("alice"));
  EXPECT_FALSE(parse_principal(":alice"));
}

}  // namespace
}  // namespace brook::security

namespace brook::security {
namespace {

TEST(SslPrincipalMapper, AppliesTheFirstMatchingRule) {
  auto m = ssl_principal_mapper::parse(
      "RULE:^CN=([a-zA-Z0-9.-]*),OU=ServiceUsers.*$/$1/L, RULE:^CN=(.*?),OU=(.*?)$/$1@$2/, "
      "DEFAULT");
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ(m->name_of("CN=Kafka-Client,OU=ServiceUsers,O=Brook"), "kafka-client");
  EXPECT_EQ(m->name_of("CN=alice,OU=eng"), "alice@eng");
  EXPECT_EQ(m->name_of("CN=bob"), "CN=bob");
}

TEST(SslPrincipalMapper, NoMatchWithoutDefaultRefuses) {
  auto m = ssl_principal_mapper::parse("RULE:^CN=(.*)$/$1/U");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name_of("CN=alice"), "ALICE");
  EXPECT_FALSE(m->name_of("O=nobody"));
}

TEST(SslPrincipalMapper, RejectsMalformedRules) {
  EXPECT_FALSE(ssl_principal_mapper::parse("RULE:abc"));
  EXPECT_FALSE(ssl_principal_mapper::parse("RULE:(/x/"));
  EXPECT_FALSE(ssl_principal_mapper::parse("SOMETHING"));
  EXPECT_FALSE(ssl_principal_mapper::parse("RULE:^(.*)$/$2/"));
}

}  // namespace
}  // namespace brook::security
