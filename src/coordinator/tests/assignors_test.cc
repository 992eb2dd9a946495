// The KIP-848 server assignors: balance, stickiness and range's contiguous shares.
#include "coordinator/assignors.h"

#include <gtest/gtest.h>

namespace brook::coordinator {
namespace {

const wire::uuid k_a = wire::uuid::from_halves(1, 1);
const wire::uuid k_b = wire::uuid::from_halves(2, 2);

assignor_member member(std::string id, std::set<wire::uuid> topics, partition_set previous = {}) {
  return {std::move(id), std::move(topics), std::move(previous)};
}

size_t total(const partition_set& s) {
  size_t n = 0;
  for (const auto& [t, ps] : s) n += ps.size();
  return n;
}

// Every partition of `topics` is assigned exactly once, to a subscriber of its topic.
void expect_complete(const std::map<std::string, partition_set>& out,
                     const std::vector<assignor_member>& members, const topic_sizes& topics) {
  std::map<std::pair<wire::uuid, int32_t>, int> seen;
  for (const auto& m : members)
    for (const auto& [t, ps] : out.at(m.id)) {
      EXPECT_TRUE(m.topics.count(t)) << m.id;
      for (int32_t p : ps) ++seen[{t, p}];
    }
  size_t expected = 0;
  for (const auto& [t, n] : topics) {
    bool subscribed = false;
    for (const auto& m : members) subscribed = subscribed || m.topics.count(t);
    if (!subscribed) continue;
    expected += n;
    for (int32_t p = 0; p < n; ++p) EXPECT_EQ((seen[{t, p}]), 1);
  }
  EXPECT_EQ(seen.size(), expected);
}

TEST(Assignors, UniformBalancesAHomogeneousGroup) {
  std::vector<assignor_member> ms{member("m1", {k_a, k_b}), member("m2", {k_a, k_b}),
                                  member("m3", {k_a, k_b})};
  topic_sizes topics{{k_a, 7}, {k_b, 3}};
  auto out = assign_uniform(ms, topics);
  expect_complete(out, ms, topics);
  for (const auto& m : ms) {
    EXPECT_GE(total(out[m.id]), 3u);
    EXPECT_LE(total(out[m.id]), 4u);
  }
}

TEST(Assignors, UniformIsStickyWhenAMemberJoins) {
  topic_sizes topics{{k_a, 6}};
  std::vector<assignor_member> two{member("m1", {k_a}), member("m2", {k_a})};
  auto before = assign_uniform(two, topics);
  std::vector<assignor_member> three{member("m1", {k_a}, before["m1"]),
                                     member("m2", {k_a}, before["m2"]), member("m3", {k_a})};
  auto after = assign_uniform(three, topics);
  expect_complete(after, three, topics);
  // Each old member gives one partition to the new one and keeps the rest.
  for (const char* id : {"m1", "m2"}) {
    EXPECT_EQ(total(after[id]), 2u);
    for (int32_t p : after[id][k_a]) EXPECT_TRUE(before[id][k_a].count(p)) << id << " " << p;
  }
  EXPECT_EQ(total(after["m3"]), 2u);
}

TEST(Assignors, UniformRespectsHeterogeneousSubscriptions) {
  std::vector<assignor_member> ms{member("m1", {k_a}), member("m2", {k_a, k_b}),
                                  member("m3", {k_b})};
  topic_sizes topics{{k_a, 4}, {k_b, 4}};
  auto out = assign_uniform(ms, topics);
  expect_complete(out, ms, topics);
  for (const auto& m : ms) {
    EXPECT_GE(total(out[m.id]), 2u) << m.id;
    EXPECT_LE(total(out[m.id]), 3u) << m.id;
  }
  // A topic nobody subscribes to, a member with no topics, a member gone from the subscription.
  std::vector<assignor_member> odd{member("x", {}), member("y", {k_a}, {{k_b, {0, 1}}})};
  auto o2 = assign_uniform(odd, topics);
  EXPECT_TRUE(o2["x"].empty());
  EXPECT_EQ(o2["y"].size(), 1u);
  EXPECT_EQ(o2["y"][k_a].size(), 4u);
}

TEST(Assignors, RangeGivesContiguousSharesAndCoPartitions) {
  std::vector<assignor_member> ms{member("b", {k_a, k_b}), member("a", {k_a, k_b}),
                                  member("c", {k_a, k_b})};
  topic_sizes topics{{k_a, 7}, {k_b, 7}};
  auto out = assign_range(ms, topics);
  expect_complete(out, ms, topics);
  EXPECT_EQ(out["a"][k_a], (std::set<int32_t>{0, 1, 2}));
  EXPECT_EQ(out["b"][k_a], (std::set<int32_t>{3, 4}));
  EXPECT_EQ(out["c"][k_a], (std::set<int32_t>{5, 6}));
  for (const char* id : {"a", "b", "c"}) EXPECT_EQ(out[id][k_a], out[id][k_b]) << id;
}

TEST(Assignors, RangeKeepsPartitionsWithinTheShare) {
  topic_sizes topics{{k_a, 4}};
  std::vector<assignor_member> ms{member("a", {k_a}, {{k_a, {2, 3}}}), member("b", {k_a})};
  auto out = assign_range(ms, topics);
  expect_complete(out, ms, topics);
  EXPECT_EQ(out["a"][k_a], (std::set<int32_t>{2, 3}));
  EXPECT_EQ(out["b"][k_a], (std::set<int32_t>{0, 1}));
  EXPECT_EQ(assign("range", ms, topics), out);
  EXPECT_EQ(assign("uniform", ms, topics), assign_uniform(ms, topics));
}

}  // namespace
}  // namespace brook::coordinator
