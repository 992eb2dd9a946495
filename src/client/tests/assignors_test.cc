// The classic group assignors, without a broker.
#include "client/assignors.h"

#include <gtest/gtest.h>

namespace brook::client {
namespace {

member_subscription member(std::string id, std::vector<std::string> topics,
                           std::vector<topic_partition> owned = {}) {
  member_subscription m;
  m.member_id = std::move(id);
  m.topics = std::move(topics);
  m.owned_partitions = std::move(owned);
  return m;
}

std::vector<topic_partition> tps(const std::string& t, std::vector<int32_t> ps) {
  std::vector<topic_partition> out;
  for (auto p : ps) out.push_back({t, p});
  return out;
}

TEST(Assignors, RangeSplitsEachTopicInRanges) {
  const auto a =
      assign_range({member("b", {"t", "u"}), member("a", {"t", "u"})}, {{"t", 5}, {"u", 2}});
  auto expect_a = tps("t", {0, 1, 2});
  expect_a.push_back({"u", 0});
  auto expect_b = tps("t", {3, 4});
  expect_b.push_back({"u", 1});
  EXPECT_EQ(a.at("a"), expect_a);
  EXPECT_EQ(a.at("b"), expect_b);
}

TEST(Assignors, RangeSkipsMembersNotSubscribed) {
  const auto a = assign_range({member("a", {"t"}), member("b", {"u"})}, {{"t", 2}, {"u", 2}});
  EXPECT_EQ(a.at("a"), tps("t", {0, 1}));
  EXPECT_EQ(a.at("b"), tps("u", {0, 1}));
}

TEST(Assignors, RangeOrdersStaticMembersByInstanceId) {
  auto x = member("zzz", {"t"});
  x.group_instance_id = "a";
  auto y = member("aaa", {"t"});
  y.group_instance_id = "b";
  const auto a = assign_range({x, y}, {{"t", 2}});
  EXPECT_EQ(a.at("zzz"), tps("t", {0}));
  EXPECT_EQ(a.at("aaa"), tps("t", {1}));
}

TEST(Assignors, RoundRobinDealsAcrossTopics) {
  const auto a =
      assign_roundrobin({member("a", {"t", "u"}), member("b", {"t", "u"})}, {{"t", 3}, {"u", 1}});
  std::vector<topic_partition> expect_a{{"t", 0}, {"t", 2}};
  std::vector<topic_partition> expect_b{{"t", 1}, {"u", 0}};
  EXPECT_EQ(a.at("a"), expect_a);
  EXPECT_EQ(a.at("b"), expect_b);
}

TEST(Assignors, CooperativeStickyBalancesANewGroup) {
  const auto a = assign_cooperative_sticky({member("a", {"t"}), member("b", {"t"})}, {{"t", 4}});
  EXPECT_EQ(a.at("a").size(), 2u);
  EXPECT_EQ(a.at("b").size(), 2u);
}

TEST(Assignors, CooperativeStickyKeepsOwnedAndWithholdsMovingPartitions) {
  // a owned all four; b joins: a keeps two, the other two are withheld for one round.
  const auto first = assign_cooperative_sticky(
      {member("a", {"t"}, tps("t", {0, 1, 2, 3})), member("b", {"t"})}, {{"t", 4}});
  EXPECT_EQ(first.at("a"), tps("t", {0, 1}));
  EXPECT_TRUE(first.at("b").empty());
  // After a revoked them, the next round gives them to b.
  const auto second = assign_cooperative_sticky(
      {member("a", {"t"}, tps("t", {0, 1})), member("b", {"t"})}, {{"t", 4}});
  EXPECT_EQ(second.at("a"), tps("t", {0, 1}));
  EXPECT_EQ(second.at("b"), tps("t", {2, 3}));
}

TEST(Assignors, CooperativeStickyHandsOverALeaversPartitions) {
  const auto a = assign_cooperative_sticky({member("a", {"t"}, tps("t", {0, 1}))}, {{"t", 4}});
  EXPECT_EQ(a.at("a"), tps("t", {0, 1, 2, 3}));
}

TEST(Assignors, ByName) {
  EXPECT_TRUE(is_known_assignor("range"));
  EXPECT_TRUE(is_cooperative_assignor("cooperative-sticky"));
  EXPECT_FALSE(is_cooperative_assignor("range"));
  EXPECT_THROW(assign_partitions("sticky-ish", {}, {}), config_error);
}

}  // namespace
}  // namespace brook::client
