// The connection and metadata layer against a live broker.
#include <gtest/gtest.h>

#include "client/cluster.h"
#include "harness.h"

namespace brook::client {
namespace {

TEST(Cluster, LearnsBrokersAndNegotiatesVersions) {
  cluster c(test::base_config());
  auto snapshot = c.run([&]() { return c.refresh_metadata(std::nullopt); });
  ASSERT_FALSE(snapshot->brokers.empty());
  EXPECT_FALSE(snapshot->cluster_id.empty());
  const auto node = snapshot->brokers.begin()->first;
  auto version = c.run([&]() -> asio::awaitable<int16_t> {
    auto conn = co_await c.connection_to(node);
    co_return conn->version_for(protocol::api_key::metadata);
  });
  EXPECT_GE(version, 9);
}

TEST(Cluster, UnknownTopicIsNotInTheSnapshot) {
  cluster c(test::base_config());
  const std::string topic = test::unique_name("absent");
  auto snapshot = c.run([&]() { return c.refresh_metadata(std::vector<std::string>{topic}); });
  EXPECT_EQ(snapshot->find(topic), nullptr);
}

TEST(Cluster, UnreachableBootstrapFailsWithNetworkError) {
  cluster c(
      config{{"bootstrap.servers", "127.0.0.1:1"}, {"socket.connection.setup.timeout.ms", "2000"}});
  try {
    c.run([&]() { return c.refresh_metadata(std::nullopt); });
    FAIL() << "metadata from a closed port";
  } catch (const kafka_error& e) {
    EXPECT_EQ(e.code(), protocol::error_code::network_exception);
  }
}

TEST(Cluster, FindsTheGroupCoordinator) {
  cluster c(test::base_config());
  const auto node = c.run([&]() { return c.coordinator(coordinator_type::group, "it-group"); });
  EXPECT_GE(node, 0);
  auto snapshot = c.run([&]() { return c.refresh_metadata(std::nullopt); });
  EXPECT_TRUE(snapshot->brokers.count(node));
}

}  // namespace
}  // namespace brook::client
