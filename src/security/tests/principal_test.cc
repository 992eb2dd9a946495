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
