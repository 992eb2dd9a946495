#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "broker/cluster_state.h"

namespace brook::broker {
namespace {

// ACLs live in the cluster file, one line each; names, principals and hosts may hold any
// character.
TEST(ClusterAcls, KeptInTheClusterFile) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("brook-acls-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  using namespace security;
  acl_set acls;
  acls.add({resource_type::topic, "pay", pattern_type::prefixed, "User:alice", "*",
            acl_operation::write, acl_permission::allow});
  acls.add({resource_type::group, "a group %20\n", pattern_type::literal, "User:bob smith",
            "10.0.0.1", acl_operation::read, acl_permission::deny});
  acls.add({resource_type::cluster, "kafka-cluster", pattern_type::literal, "User:*", "*",
            acl_operation::describe_configs, acl_permission::allow});
  cluster_snapshot empty;
  auto s = empty.with_acls(acls);
  ASSERT_TRUE(save_cluster(dir, *s));
  auto loaded = load_cluster(dir);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ((*loaded)->acls, acls);
  EXPECT_EQ((*loaded)->acls.size(), 3u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace brook::broker
