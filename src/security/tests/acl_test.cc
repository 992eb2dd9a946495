#include "security/acl.h"

#include <gtest/gtest.h>

namespace brook::security {
namespace {

using o = acl_operation;
using r = resource_type;

acl_binding acl(r type, std::string name, pattern_type pattern, std::string principal, o op,
                acl_permission perm = acl_permission::allow, std::string host = "*") {
  return {type, std::move(name), pattern, std::move(principal), std::move(host), op, perm};
}

struct fixture : ::testing::Test {
  authorizer_config config{true, {}, false};
  acl_set acls;
  requester alice{"User:alice", "10.0.0.1"};
  requester bob{"User:bob", "10.0.0.2"};

  bool can(const requester& who, o op, r type, std::string_view name) {
    return authorize(config, acls, who, op, type, name);
  }
};

TEST_F(fixture, DisabledAllowsEverything) {
  config.enabled = false;
  EXPECT_TRUE(can(alice, o::write, r::topic, "t"));
  EXPECT_EQ(authorized_operations(config, acls, alice, r::cluster, k_cluster_name),
            (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12));
}

TEST_F(fixture, NoAclFoundFollowsTheSetting) {
  EXPECT_FALSE(can(alice, o::read, r::topic, "t"));
  config.allow_if_no_acl = true;
  EXPECT_TRUE(can(alice, o::read, r::topic, "t"));
  // Once any ACL names the resource, the setting no longer applies: bob is not in it.
  acls.add(acl(r::topic, "t", pattern_type::literal, "User:alice", o::read));
  EXPECT_TRUE(can(alice, o::read, r::topic, "t"));
  EXPECT_FALSE(can(bob, o::read, r::topic, "t"));
  EXPECT_TRUE(can(bob, o::read, r::topic, "other"));
  // A wildcard ACL names every resource of its type.
  acls.add(acl(r::topic, "*", pattern_type::literal, "User:carol", o::read));
  EXPECT_FALSE(can(bob, o::read, r::topic, "other"));
  EXPECT_TRUE(can(bob, o::read, r::group, "g"));
}

TEST_F(fixture, SuperUsersBypassDeny) {
  config.super_users = {"User:alice"};
  acls.add(acl(r::topic, "*", pattern_type::literal, "User:*", o::all, acl_permission::deny));
  EXPECT_TRUE(can(alice, o::alter, r::topic, "t"));
  EXPECT_FALSE(can(bob, o::read, r::topic, "t"));
}

TEST_F(fixture, DenyWinsOverAllow) {
  acls.add(acl(r::topic, "t", pattern_type::literal, "User:alice", o::all));
  acls.add(acl(r::topic, "t", pattern_type::literal, "User:alice", o::write, acl_permission::deny));
  EXPECT_TRUE(can(alice, o::read, r::topic, "t"));
  EXPECT_FALSE(can(alice, o::write, r::topic, "t"));
  // A prefixed DENY for everyone covers the literal ALLOW too.
  acls.add(acl(r::topic, "t", pattern_type::prefixed, "User:*", o::read, acl_permission::deny));
  EXPECT_FALSE(can(alice, o::read, r::topic, "t"));
  EXPECT_TRUE(can(alice, o::describe, r::topic, "t"));
}

TEST_F(fixture, WildcardsAndHosts) {
  acls.add(acl(r::topic, "*", pattern_type::literal, "User:*", o::read, acl_permission::allow,
               "10.0.0.1"));
  EXPECT_TRUE(can(alice, o::read, r::topic, "anything"));
  EXPECT_FALSE(can(bob, o::read, r::topic, "anything"));  // other host
  EXPECT_FALSE(can(alice, o::write, r::topic, "anything"));
}

TEST_F(fixture, PrefixedPatterns) {
  acls.add(acl(r::topic, "pay", pattern_type::prefixed, "User:alice", o::write));
  EXPECT_TRUE(can(alice, o::write, r::topic, "payments"));
  EXPECT_TRUE(can(alice, o::write, r::topic, "pay"));
  EXPECT_FALSE(can(alice, o::write, r::topic, "pa"));
  EXPECT_FALSE(can(alice, o::write, r::topic, "xpayments"));
  // A literal ACL whose name is only a prefix of the resource does not apply to it.
  acls.add(acl(r::group, "g", pattern_type::literal, "User:alice", o::read));
  EXPECT_FALSE(can(alice, o::read, r::group, "g1"));
}

TEST_F(fixture, ImpliedOperations) {
  acls.add(acl(r::topic, "t", pattern_type::literal, "User:alice", o::write));
  EXPECT_TRUE(can(alice, o::describe, r::topic, "t"));
  EXPECT_FALSE(can(alice, o::describe_configs, r::topic, "t"));
  acls.add(acl(r::topic, "t", pattern_type::literal, "User:alice", o::alter_configs));
  EXPECT_TRUE(can(alice, o::describe_configs, r::topic, "t"));
  // A DENY of READ does not deny DESCRIBE.
  acls.add(acl(r::topic, "u", pattern_type::literal, "User:alice", o::describe));
  acls.add(acl(r::topic, "u", pattern_type::literal, "User:alice", o::read, acl_permission::deny));
  EXPECT_TRUE(can(alice, o::describe, r::topic, "u"));
  EXPECT_FALSE(can(alice, o::read, r::topic, "u"));
  // ALL implies every operation.
  acls.add(acl(r::cluster, "kafka-cluster", pattern_type::literal, "User:bob", o::all));
  EXPECT_TRUE(can(bob, o::cluster_action, r::cluster, "kafka-cluster"));
  EXPECT_EQ(authorized_operations(config, acls, alice, r::topic, "t"),
            (1 << 4) | (1 << 8) | (1 << 10) | (1 << 11));
}

TEST_F(fixture, AuthorizeByResourceType) {
  EXPECT_FALSE(authorize_any(config, acls, alice, o::write, r::topic));
  acls.add(acl(r::topic, "logs", pattern_type::prefixed, "User:alice", o::write));
  EXPECT_TRUE(authorize_any(config, acls, alice, o::write, r::topic));
  acls.add(
      acl(r::topic, "lo", pattern_type::prefixed, "User:alice", o::write, acl_permission::deny));
  EXPECT_FALSE(authorize_any(config, acls, alice, o::write, r::topic));
  acls.add(acl(r::topic, "x", pattern_type::literal, "User:*", o::all));
  EXPECT_TRUE(authorize_any(config, acls, alice, o::write, r::topic));
  acls.add(acl(r::topic, "*", pattern_type::literal, "User:alice", o::write, acl_permission::deny));
  EXPECT_FALSE(authorize_any(config, acls, alice, o::write, r::topic));
  config.super_users = {"User:alice"};
  EXPECT_TRUE(authorize_any(config, acls, alice, o::write, r::topic));
}

TEST(acl_filter, AnyAndMatch) {
  acl_set s;
  s.add(acl(r::topic, "t1", pattern_type::literal, "User:a", o::read));
  s.add(acl(r::topic, "*", pattern_type::literal, "User:a", o::read));
  s.add(acl(r::topic, "t", pattern_type::prefixed, "User:b", o::write, acl_permission::deny));
  s.add(acl(r::group, "t1", pattern_type::literal, "User:a", o::read));
  EXPECT_EQ(s.find(acl_filter{}).size(), 4u);
  acl_filter any_t1{.type = r::any, .name = "t1"};
  EXPECT_EQ(s.find(any_t1).size(), 2u);  // exact name, any pattern type
  acl_filter match_t1{.type = r::topic, .name = "t1", .pattern = pattern_type::match};
  EXPECT_EQ(s.find(match_t1).size(), 3u);  // literal, wildcard and prefix
  acl_filter prefixed{.pattern = pattern_type::prefixed};
  EXPECT_EQ(s.find(prefixed).size(), 1u);
  acl_filter deny{.permission = acl_permission::deny};
  EXPECT_EQ(s.remove(deny).size(), 1u);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_FALSE(s.add(acl(r::topic, "t1", pattern_type::literal, "User:a", o::read)));
  acl_filter unknown{.type = r::unknown};
  EXPECT_EQ(unknown.invalid_reason(), "Unknown patternFilter.");
}

TEST(acl_binding, Validation) {
  EXPECT_EQ(validate_new_acl(acl(r::any, "t", pattern_type::literal, "User:a", o::read)),
            "Invalid resourceType ANY");
  EXPECT_EQ(validate_new_acl(acl(r::topic, "t", pattern_type::match, "User:a", o::read)),
            "Invalid patternType MATCH");
  EXPECT_EQ(validate_new_acl(acl(r::topic, "t", pattern_type::literal, "User:a", o::any)),
            "Invalid operation ANY");
  EXPECT_EQ(validate_new_acl(acl(r::cluster, "c", pattern_type::literal, "User:a", o::alter)),
            "The only valid name for the CLUSTER resource is kafka-cluster");
  EXPECT_EQ(validate_new_acl(acl(r::topic, "", pattern_type::literal, "User:a", o::read)),
            "Invalid empty resource name");
  EXPECT_TRUE(validate_new_acl(acl(r::topic, "t", pattern_type::literal, "alice", o::read)));
  EXPECT_FALSE(validate_new_acl(acl(r::topic, "t", pattern_type::prefixed, "User:a", o::read)));
}

TEST(acl_names, RoundTrip) {
  EXPECT_EQ(name_of(o::remove), "DELETE");
  EXPECT_EQ(parse_operation("describe_configs"), o::describe_configs);
  EXPECT_EQ(parse_resource_type("TRANSACTIONAL_ID"), r::transactional_id);
  EXPECT_EQ(operation_from(99), o::unknown);
  EXPECT_FALSE(parse_permission("maybe"));
}

TEST(super_users, Parse) {
  std::string error;
  auto s = parse_super_users(" User:admin ; User:ops;", &error);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, (std::set<std::string>{"User:admin", "User:ops"}));
  EXPECT_FALSE(parse_super_users("admin", &error));
  EXPECT_NE(error.find("admin"), std::string::npos);
}

}  // namespace
}  // namespace brook::security
