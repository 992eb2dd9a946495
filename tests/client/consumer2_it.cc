// The consumer against a live broker, part two: what metadata refreshes bring (new partitions of
// subscribed topics, pattern subscriptions picking up new topics) and max.poll.interval.ms, in
// both group protocols; and fetch sessions.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "client/admin.h"
#include "client/consumer.h"
#include "harness.h"
#include "test_data.h"

namespace brook::client {
namespace {

using namespace std::chrono_literals;

bool kafka_3() { return test::broker_flavour().rfind("kafka-3.", 0) == 0; }

#define SKIP_WITHOUT_KIP848(protocol)        \
  if ((protocol) == "consumer" && kafka_3()) \
  GTEST_SKIP() << "Kafka 3.9 does not enable group.protocol=consumer by default"

// A record as "topic/partition:value".
std::string describe(const consumer_record& r) {
  return r.topic() + "/" + std::to_string(r.partition()) + ":" + std::string(r.value_view());
}

// Polls, adding what arrives to `seen`, until `done()` holds or `bound` passes.
template <class Done>
void poll_until(consumer& c, std::set<std::string>& seen, Done done,
                std::chrono::milliseconds bound = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done() && std::chrono::steady_clock::now() < deadline)
    for (const auto& r : c.poll(100ms)) seen.insert(describe(r));
}

// Records what the listener saw.
struct counting_listener : rebalance_listener {
  std::set<topic_partition> owned;
  int lost_calls = 0;
  void on_partitions_assigned(const std::vector<topic_partition>& p) override {
    owned.insert(p.begin(), p.end());
  }
  void on_partitions_revoked(const std::vector<topic_partition>& p) override {
    for (const auto& tp : p) owned.erase(tp);
  }
  void on_partitions_lost(const std::vector<topic_partition>& p) override {
    ++lost_calls;
    for (const auto& tp : p) owned.erase(tp);
  }
};

config group_config(const std::string& group, const std::string& protocol,
                    std::initializer_list<std::pair<std::string, std::string>> extra = {}) {
  auto c = test::base_config({{"group.id", group},
                              {"group.protocol", protocol},
                              {"auto.offset.reset", "earliest"},
                              {"heartbeat.interval.ms", "200"},
                              {"session.timeout.ms", "10000"},
                              {"metadata.max.age.ms", "300"}});
  for (const auto& [k, v] : extra) c.set(k, v);
  return c;
}

void new_partitions_are_assigned(const std::string& protocol) {
  cluster raw(test::base_config());
  admin adm(test::base_config());
  const std::string topic = test::unique_name("grow-" + protocol);
  test::create_topic(raw, topic, 2);
  test::produce(raw, topic, 0, test::numbered(1, "p0-"));
  counting_listener l;  // outlives the consumer, whose close() calls it
  consumer c(group_config(test::unique_name("g"), protocol));
  c.subscribe({topic}, &l);
  std::set<std::string> seen;
  poll_until(c, seen, [&] { return c.assignment().size() == 2; });
  ASSERT_EQ(c.assignment().size(), 2u);
  adm.create_partitions({{topic, 4}});
  for (int32_t p = 2; p < 4; ++p)
    test::produce(raw, topic, p, test::numbered(2, "p" + std::to_string(p) + "-"));
  const std::set<std::string> wanted{topic + "/0:p0-0", topic + "/2:p2-0", topic + "/2:p2-1",
                                     topic + "/3:p3-0", topic + "/3:p3-1"};
  poll_until(c, seen, [&] { return c.assignment().size() == 4 && seen == wanted; });
  EXPECT_EQ(c.assignment().size(), 4u);
  EXPECT_EQ(l.owned, c.assignment());
  EXPECT_EQ(seen, wanted);
}

TEST(ConsumerMetadata, ClassicGroupTakesNewPartitions) { new_partitions_are_assigned("classic"); }

TEST(ConsumerMetadata, ConsumerProtocolTakesNewPartitions) {
  SKIP_WITHOUT_KIP848(std::string("consumer"));
  new_partitions_are_assigned("consumer");
}

TEST(ConsumerMetadata, PeriodicRefreshSeesNewPartitions) {
  cluster raw(test::base_config());
  admin adm(test::base_config());
  const std::string topic = test::unique_name("refresh");
  test::create_topic(raw, topic, 1);
  cluster watched(test::base_config({{"metadata.max.age.ms", "200"}}));
  std::atomic<int> calls{0};
  watched.add_metadata_listener([&](const metadata_snapshot&) { ++calls; });
  watched.run([&]() { return watched.refresh_metadata(std::vector<std::string>{topic}); });
  const uint64_t generation = watched.metadata_generation();
  adm.create_partitions({{topic, 3}});
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto* t = watched.metadata_copy()->find(topic);
    if (t && t->partitions.size() == 3) break;
    std::this_thread::sleep_for(50ms);
  }
  const auto* t = watched.metadata_copy()->find(topic);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->partitions.size(), 3u);
  EXPECT_GT(watched.metadata_generation(), generation);
  EXPECT_GE(calls.load(), 1);
}

void pattern_picks_up_topics(const std::string& protocol) {
  cluster raw(test::base_config());
  const std::string base = test::unique_name("pat-" + protocol);
  const std::string before = base + "-before", after = base + "-after", other = base + "x-other";
  test::create_topic(raw, before, 2);
  test::create_topic(raw, other, 1);
  test::produce(raw, before, 1, test::numbered(1, "b"));
  test::produce(raw, other, 0, test::numbered(1, "o"));
  counting_listener l;  // outlives the consumer, whose close() calls it
  consumer c(group_config(test::unique_name("g"), protocol));
  c.subscribe(subscription_pattern(base + "-.*"), &l);
  const std::set<topic_partition> first{{before, 0}, {before, 1}};
  std::set<std::string> seen;
  poll_until(c, seen, [&] { return c.assignment() == first; });
  ASSERT_EQ(c.assignment(), first);
  EXPECT_EQ(c.subscription(), std::set<std::string>{before});
  test::create_topic(raw, after, 1);
  test::produce(raw, after, 0, test::numbered(2, "a"));
  const std::set<std::string> wanted{before + "/1:b0", after + "/0:a0", after + "/0:a1"};
  poll_until(c, seen, [&] { return seen == wanted; });
  EXPECT_EQ(seen, wanted);
  const std::set<topic_partition> all{{before, 0}, {before, 1}, {after, 0}};
  EXPECT_EQ(c.assignment(), all);
  EXPECT_EQ(l.owned, all);
  EXPECT_EQ(c.subscription(), (std::set<std::string>{before, after}));
}

TEST(ConsumerPattern, ClassicPicksUpTopicsBeforeAndAfter) { pattern_picks_up_topics("classic"); }

TEST(ConsumerPattern, ConsumerProtocolPicksUpTopicsBeforeAndAfter) {
  SKIP_WITHOUT_KIP848(std::string("consumer"));
  pattern_picks_up_topics("consumer");
}

TEST(ConsumerPattern, ClassicRejectsABadPattern) {
  consumer c(group_config(test::unique_name("g"), "classic"));
  EXPECT_THROW(c.subscribe(subscription_pattern("it-(")), config_error);
}

void poll_timeout_leaves_and_rejoins(const std::string& protocol, bool is_static) {
  cluster raw(test::base_config());
  admin adm(test::base_config());
  const std::string topic = test::unique_name("slow-" + protocol);
  const std::string group = test::unique_name("g");
  test::create_topic(raw, topic, 2);
  test::produce(raw, topic, 0, test::numbered(2, "x"));
  auto settings = group_config(group, protocol,
                               {{"max.poll.interval.ms", "1500"}, {"enable.auto.commit", "false"}});
  if (is_static) settings.set("group.instance.id", "slow-1");
  counting_listener l;  // outlives the consumer, whose close() calls it
  consumer c(settings);
  c.subscribe({topic}, &l);
  std::set<std::string> seen;
  poll_until(c, seen, [&] { return c.assignment().size() == 2; });
  ASSERT_EQ(c.assignment().size(), 2u);
  c.commit_sync();
  // No poll() now: the consumer leaves once max.poll.interval.ms passed.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (c.group_metadata().generation_id >= 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  EXPECT_LT(c.group_metadata().generation_id, 0);
  try {
    c.commit_sync();
    ADD_FAILURE() << "a commit after the poll timeout succeeded";
  } catch (const kafka_error& e) {
    EXPECT_EQ(e.code(), protocol::error_code::unknown_member_id);
  }
  if (!is_static) {
    // The broker saw the member go.
    std::vector<member_description> members{{}};
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!members.empty() && std::chrono::steady_clock::now() < until) {
      members = adm.describe_groups({group}).at(0).members;
      if (!members.empty()) std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(members.empty());
  }
  // The next poll() reports the partitions lost and joins again.
  test::produce(raw, topic, 1, test::numbered(1, "y"));
  poll_until(c, seen, [&] { return c.assignment().size() == 2 && seen.count(topic + "/1:y0"); });
  EXPECT_EQ(l.lost_calls, 1);
  EXPECT_EQ(c.assignment().size(), 2u);
  EXPECT_EQ(l.owned, c.assignment());
  EXPECT_TRUE(seen.count(topic + "/1:y0"));
  EXPECT_GE(c.group_metadata().generation_id, 0);
  c.commit_sync();
}

TEST(ConsumerPollInterval, ClassicLeavesAndRejoins) {
  poll_timeout_leaves_and_rejoins("classic", false);
}

TEST(ConsumerPollInterval, ClassicStaticMemberRejoins) {
  poll_timeout_leaves_and_rejoins("classic", true);
}

TEST(ConsumerPollInterval, ConsumerProtocolLeavesAndRejoins) {
  SKIP_WITHOUT_KIP848(std::string("consumer"));
  poll_timeout_leaves_and_rejoins("consumer", false);
}

// Fetch sessions (KIP-227): after the first full Fetch, the consumer sends only what changed;
// pausing, resuming and seeking take partitions out of the session and put them back.
TEST(ConsumerFetchSession, ManyPartitionsPauseResumeSeek) {
  cluster raw(test::base_config());
  const std::string topic = test::unique_name("session");
  constexpr int32_t n = 12;
  test::create_topic(raw, topic, n);
  std::vector<topic_partition> all;
  for (int32_t p = 0; p < n; ++p) {
    all.push_back({topic, p});
    test::produce(raw, topic, p, test::numbered(3, "a"));
  }
  consumer c(test::base_config({{"auto.offset.reset", "earliest"},
                                {"max.poll.records", "5"},
                                {"fetch.max.wait.ms", "100"}}));
  c.assign(all);
  // Every partition's records, in order.
  std::map<int32_t, std::vector<std::string>> got;
  size_t count = 0;
  auto poll_for = [&](size_t total) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (count < total && std::chrono::steady_clock::now() < deadline)
      for (const auto& r : c.poll(100ms)) {
        got[r.partition()].push_back(std::to_string(r.offset()) + ":" +
                                     std::string(r.value_view()));
        ++count;
      }
  };
  poll_for(3 * n);
  ASSERT_EQ(count, 3u * n);
  for (int32_t p = 0; p < n; ++p)
    EXPECT_EQ(got[p], (std::vector<std::string>{"0:a0", "1:a1", "2:a2"})) << "partition " << p;

  // Paused partitions leave the session; the others keep being fetched.
  std::vector<topic_partition> half(all.begin(), all.begin() + n / 2);
  c.pause(half);
  for (int32_t p = 0; p < n; ++p) test::produce(raw, topic, p, test::numbered(2, "b"));
  poll_for(3 * n + n);
  EXPECT_TRUE(c.poll(300ms).empty());
  EXPECT_EQ(count, 3u * n + n);
  for (int32_t p = 0; p < n; ++p)
    EXPECT_EQ(got[p].size(), p < n / 2 ? 3u : 5u) << "partition " << p;

  c.resume(half);
  poll_for(3 * n + 2 * n);
  EXPECT_EQ(count, 5u * n);
  for (int32_t p = 0; p < n; ++p)
    EXPECT_EQ(got[p], (std::vector<std::string>{"0:a0", "1:a1", "2:a2", "3:b0", "4:b1"}))
        << "partition " << p;

  // Seeking moves a partition's fetch offset within the session.
  got.clear();
  count = 0;
  c.seek({topic, 0}, 3);
  c.seek({topic, 7}, 1);
  poll_for(2 + 4);
  EXPECT_EQ(count, 6u);
  EXPECT_EQ(got[0], (std::vector<std::string>{"3:b0", "4:b1"}));
  EXPECT_EQ(got[7], (std::vector<std::string>{"1:a1", "2:a2", "3:b0", "4:b1"}));
  // And new records still arrive everywhere.
  got.clear();
  count = 0;
  for (int32_t p = 0; p < n; ++p) test::produce(raw, topic, p, test::numbered(1, "c"));
  poll_for(n);
  EXPECT_EQ(count, static_cast<size_t>(n));
  for (int32_t p = 0; p < n; ++p)
    EXPECT_EQ(got[p], std::vector<std::string>{"5:c0"}) << "partition " << p;
}

}  // namespace
}  // namespace brook::client
