// The consumer against a live broker: fetching what raw Produce requests wrote, positions and
// offset resets, read_committed, and groups (classic and KIP-848).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include "client/consumer.h"
#include "harness.h"
#include "test_data.h"

namespace brook::client {
namespace {

using namespace std::chrono_literals;
namespace rec = protocol::records;

// Polls until `count` records arrived (or `bound` passed: then the assertions on the result
// fail with what did arrive).
std::vector<consumer_record> poll_for(consumer& c, size_t count,
                                      std::chrono::milliseconds bound = 20s) {
  std::vector<consumer_record> out;
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline)
    for (auto& r : c.poll(200ms)) out.push_back(std::move(r));
  return out;
}

// Polls every consumer until `done()` holds or `bound` passes; returns the records.
template <class Done>
std::vector<consumer_record> poll_all_until(std::vector<consumer*> consumers, Done done,
                                            std::chrono::milliseconds bound = 60s) {
  std::vector<consumer_record> out;
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done() && std::chrono::steady_clock::now() < deadline)
    for (auto* c : consumers)
      for (auto& r : c->poll(100ms)) out.push_back(std::move(r));
  return out;
}

std::string str(const std::optional<wire::shared_bytes>& b) {
  return b ? std::string(reinterpret_cast<const char*>(b->data()), b->size()) : "<null>";
}

TEST(ConsumerFetch, AssignReadsWhatWasProducedWithEveryCodec) {
  cluster admin(test::base_config());
  const std::string topic = test::unique_name("codecs");
  test::create_topic(admin, topic, 3);
  const rec::codec codecs[] = {rec::codec::none, rec::codec::gzip, rec::codec::snappy,
                               rec::codec::lz4, rec::codec::zstd};
  std::map<int32_t, std::vector<test::test_record>> written;
  int n = 0;
  for (size_t i = 0; i < std::size(codecs); ++i) {
    const int32_t partition = static_cast<int32_t>(i % 3);
    std::vector<test::test_record> batch;
    for (int k = 0; k < 10; ++k, ++n) {
      test::test_record r;
      if (k != 3) r.key = "key-" + std::to_string(n);
      if (k != 4) r.value = std::string(static_cast<size_t>(50 + k), 'a' + static_cast<char>(k));
      r.headers = {{"h", "x" + std::to_string(n)}, {"null", std::nullopt}};
      r.timestamp = 1700000000000 + n;
      batch.push_back(r);
    }
    test::produce(admin, topic, partition, batch, codecs[i]);
    for (auto& r : batch) written[partition].push_back(r);
  }
  consumer c(test::base_config({{"auto.offset.reset", "earliest"}}));
  c.assign({{topic, 0}, {topic, 1}, {topic, 2}});
  auto got = poll_for(c, 50);
  ASSERT_EQ(got.size(), 50u);
  std::map<int32_t, std::vector<const consumer_record*>> by_partition;
  for (const auto& r : got) {
    EXPECT_EQ(r.topic(), topic);
    by_partition[r.partition()].push_back(&r);
  }
  for (const auto& [p, records] : written) {
    ASSERT_EQ(by_partition[p].size(), records.size()) << "partition " << p;
    for (size_t i = 0; i < records.size(); ++i) {
      const auto& r = *by_partition[p][i];
      EXPECT_EQ(r.offset(), static_cast<int64_t>(i));
      EXPECT_EQ(r.timestamp(), records[i].timestamp);
      EXPECT_EQ(r.ts_type(), timestamp_type::create_time);
      EXPECT_EQ(str(r.key()), records[i].key.value_or("<null>"));
      EXPECT_EQ(str(r.value()), records[i].value.value_or("<null>"));
      ASSERT_EQ(r.headers().size(), 2u);
      EXPECT_EQ(r.headers()[0].key, "h");
      EXPECT_EQ(str(r.headers()[0].value), *records[i].headers[0].second);
      EXPECT_FALSE(r.headers()[1].value.has_value());
      EXPECT_TRUE(r.leader_epoch().has_value());
    }
  }
  EXPECT_EQ(c.position({topic, 0}), 20);
  EXPECT_EQ(c.position({topic, 1}), 20);
  EXPECT_EQ(c.position({topic, 2}), 10);
}

TEST(ConsumerFetch, SeekPositionPauseResume) {
  cluster admin(test::base_config());
  const std::string topic = test::unique_name("seek");
  test::create_topic(admin, topic, 2);
  test::produce(admin, topic, 0, test::numbered(10, "a"));
  test::produce(admin, topic, 1, test::numbered(10, "b"));
  consumer c(test::base_config({{"auto.offset.reset", "earliest"}, {"max.poll.records", "7"}}));
  const topic_partition p0{topic, 0}, p1{topic, 1};
  c.assign({p0, p1});
  EXPECT_EQ(c.position(p0), 0);
  c.pause({p1});
  EXPECT_EQ(c.paused(), std::set<topic_partition>{p1});
  auto got = poll_for(c, 10);
  ASSERT_EQ(got.size(), 10u);
  for (const auto& r : got) EXPECT_EQ(r.partition(), 0);
  EXPECT_TRUE(c.poll(300ms).empty());
  EXPECT_EQ(c.position(p0), 10);
  EXPECT_EQ(c.position(p1), 0);

  c.seek(p0, 4);
  c.resume({p1});
  EXPECT_TRUE(c.paused().empty());
  got = poll_for(c, 16);
  ASSERT_EQ(got.size(), 16u);
  std::vector<std::string> a, b;
  for (const auto& r : got) (r.partition() == 0 ? a : b).push_back(std::string(r.value_view()));
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a.front(), "a4");
  EXPECT_EQ(a.back(), "a9");
  ASSERT_EQ(b.size(), 10u);
  EXPECT_EQ(b.front(), "b0");

  c.seek_to_beginning({p1});
  got = poll_for(c, 10);
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(got.front().offset(), 0);
  EXPECT_EQ(got.front().partition(), 1);
  c.seek_to_end({p0, p1});
  EXPECT_EQ(c.position(p0), 10);
  EXPECT_EQ(c.position(p1), 10);
  test::produce(admin, topic, 0, test::numbered(1, "late"));
  got = poll_for(c, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].value_view(), "late0");
  EXPECT_EQ(got[0].offset(), 10);
}

// Answers fetched ahead for a partition that is unassigned are dropped with it: assigned again,
// the partition is fetched from its new position and its buffer accounting starts afresh.
TEST(ConsumerFetch, ReassignAfterPrefetchReadsEverything) {
  cluster admin(test::base_config());
  const std::string topic = test::unique_name("reassign");
  test::create_topic(admin, topic, 2);
  for (int i = 0; i < 5; ++i)
    test::produce(admin, topic, 0, test::numbered(3, "a" + std::to_string(i) + "-"));
  // One batch per answer, one record per poll(): answers pile up in the prefetch buffer.
  consumer c(test::base_config({{"auto.offset.reset", "earliest"},
                                {"max.poll.records", "1"},
                                {"max.partition.fetch.bytes", "1"}}));
  const topic_partition p0{topic, 0}, p1{topic, 1};
  c.assign({p0});
  ASSERT_EQ(poll_for(c, 1).size(), 1u);
  std::this_thread::sleep_for(300ms);  // bounds nothing: lets the fetches ahead arrive
  c.assign({p1});
  c.assign({p0});
  const auto got = poll_for(c, 15);
  ASSERT_EQ(got.size(), 15u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].partition(), 0);
    EXPECT_EQ(got[i].offset(), static_cast<int64_t>(i));
  }
}

TEST(ConsumerFetch, OffsetResetEarliestLatestNone) {
  cluster admin(test::base_config());
  const std::string topic = test::unique_name("reset");
  test::create_topic(admin, topic, 1);
  test::produce(admin, topic, 0, test::numbered(5));
  const topic_partition tp{topic, 0};
  {
    consumer c(test::base_config({{"auto.offset.reset", "earliest"}}));
    c.assign({tp});
    EXPECT_EQ(c.position(tp), 0);
  }
  {
    consumer c(test::base_config({{"auto.offset.reset", "latest"}}));
    c.assign({tp});
    EXPECT_EQ(c.position(tp), 5);
    EXPECT_TRUE(c.poll(300ms).empty());
  }
  {
    consumer c(test::base_config({{"auto.offset.reset", "none"}}));
    c.assign({tp});
    try {
      c.poll(5s);
      c.poll(5s);
      FAIL() << "no error without an offset";
    } catch (const kafka_error& e) {
      EXPECT_EQ(e.code(), protocol::error_code::offset_out_of_range);
    }
    c.seek(tp, 3);
    auto got = poll_for(c, 2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].offset(), 3);
  }
  {
    // Out of range: beyond the end, with earliest, starts over from the log start.
    consumer c(test::base_config({{"auto.offset.reset", "earliest"}}));
    c.assign({tp});
    c.seek(tp, 1000);
    auto got = poll_for(c, 5);
    ASSERT_EQ(got.size(), 5u);
    EXPECT_EQ(got[0].offset(), 0);
  }
}

TEST(ConsumerFetch, ReadCommittedHidesAbortedTransactions) {
  cluster admin(test::base_config());
  const std::string topic = test::unique_name("txn");
  test::create_topic(admin, topic, 1);
  test::produce(admin, topic, 0, test::numbered(2, "plain"));
  test::produce_transaction(admin, topic, 0, test::numbered(3, "aborted"), false);
  test::produce_transaction(admin, topic, 0, test::numbered(2, "committed"), true);
  test::produce(admin, topic, 0, test::numbered(1, "after"));
  const topic_partition tp{topic, 0};
  {
    consumer c(test::base_config(
        {{"auto.offset.reset", "earliest"}, {"isolation.level", "read_committed"}}));
    c.assign({tp});
    auto got = poll_for(c, 5);
    std::vector<std::string> values;
    for (const auto& r : got) values.emplace_back(r.value_view());
    EXPECT_EQ(values,
              (std::vector<std::string>{"plain0", "plain1", "committed0", "committed1", "after0"}));
  }
  {
    consumer c(test::base_config({{"auto.offset.reset", "earliest"}}));
    c.assign({tp});
    auto got = poll_for(c, 8);
    EXPECT_EQ(got.size(), 8u);  // control records are never returned
  }
}

// Records what the listener saw.
struct recording_listener : rebalance_listener {
  std::set<topic_partition> owned;
  int assigned_calls = 0;
  int revoked_calls = 0;
  void on_partitions_assigned(const std::vector<topic_partition>& p) override {
    ++assigned_calls;
    owned.insert(p.begin(), p.end());
  }
  void on_partitions_revoked(const std::vector<topic_partition>& p) override {
    ++revoked_calls;
    for (const auto& tp : p) owned.erase(tp);
  }
};

void two_members_split_and_rebalance(const std::string& protocol,
                                     const std::string& assignor = "range") {
  cluster admin(test::base_config());
  const std::string topic = test::unique_name("group-" + protocol);
  const std::string group = test::unique_name("g");
  test::create_topic(admin, topic, 4);
  for (int32_t p = 0; p < 4; ++p) test::produce(admin, topic, p, test::numbered(5));
  auto settings = test::base_config({{"group.id", group},
                                     {"group.protocol", protocol},
                                     {"auto.offset.reset", "earliest"},
                                     {"heartbeat.interval.ms", "300"},
                                     {"session.timeout.ms", "10000"},
                                     {"auto.commit.interval.ms", "200"}});
  if (protocol == "classic" && !assignor.empty())
    settings.set("partition.assignment.strategy", assignor);
  recording_listener la, lb;
  auto a = std::make_unique<consumer>(settings);
  consumer b(settings);
  a->subscribe({topic}, &la);
  auto first = poll_all_until({a.get()}, [&] { return a->assignment().size() == 4; });
  EXPECT_EQ(a->assignment().size(), 4u);
  b.subscribe({topic}, &lb);
  std::vector<consumer_record> records = first;
  auto more = poll_all_until(
      {a.get(), &b}, [&] { return a->assignment().size() == 2 && b.assignment().size() == 2; });
  records.insert(records.end(), std::make_move_iterator(more.begin()),
                 std::make_move_iterator(more.end()));
  ASSERT_EQ(a->assignment().size(), 2u);
  ASSERT_EQ(b.assignment().size(), 2u);
  std::set<topic_partition> all = a->assignment();
  const auto of_b = b.assignment();
  all.insert(of_b.begin(), of_b.end());
  EXPECT_EQ(all.size(), 4u);
  EXPECT_EQ(la.owned, a->assignment());
  EXPECT_EQ(lb.owned, b.assignment());
  EXPECT_GE(la.revoked_calls, 1);
  if (assignor == "cooperative-sticky") {
    // Cooperative: a kept two of its partitions through the rebalance and never gave up all.
    EXPECT_EQ(la.revoked_calls, 1);
  }
  EXPECT_GE(lb.assigned_calls, 1);
  if (protocol == "classic" && assignor == "range") {
    // range: contiguous halves.
    const std::set<topic_partition> low{{topic, 0}, {topic, 1}}, high{{topic, 2}, {topic, 3}};
    EXPECT_TRUE(a->assignment() == low || a->assignment() == high);
  }
  // Everything gets read (some records may be read twice across the rebalance).
  std::set<std::pair<int32_t, int64_t>> seen;
  for (const auto& r : records) seen.insert({r.partition(), r.offset()});
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (seen.size() < 20 && std::chrono::steady_clock::now() < deadline)
    for (auto* c : {a.get(), &b})
      for (const auto& r : c->poll(100ms)) seen.insert({r.partition(), r.offset()});
  EXPECT_EQ(seen.size(), 20u);
  // A leaving member's partitions go to the other.
  a->close();
  a.reset();
  poll_all_until({&b}, [&] { return b.assignment().size() == 4; });
  EXPECT_EQ(b.assignment().size(), 4u);
  EXPECT_EQ(lb.owned.size(), 4u);
}

TEST(ConsumerGroup, ClassicRangeSplitsAndRebalances) { two_members_split_and_rebalance("classic"); }

TEST(ConsumerGroup, ClassicCooperativeStickySplitsAndRebalances) {
  two_members_split_and_rebalance("classic", "cooperative-sticky");
}

TEST(ConsumerGroup, ClassicDefaultAssignorsSplitAndRebalance) {
  // partition.assignment.strategy unset: Java's default, range then cooperative-sticky.
  two_members_split_and_rebalance("classic", "");
}

TEST(ConsumerGroup, ConsumerProtocolSplitsAndRebalances) {
  if (test::broker_flavour().rfind("kafka-3.", 0) == 0)
    GTEST_SKIP() << "Kafka 3.9 does not enable group.protocol=consumer by default";
  two_members_split_and_rebalance("consumer");
}

TEST(ConsumerGroup, CommitsSurviveTheConsumer) {
  cluster admin(test::base_config());
  const std::string topic = test::unique_name("commit");
  const std::string group = test::unique_name("g");
  test::create_topic(admin, topic, 2);
  test::produce(admin, topic, 0, test::numbered(6));
  test::produce(admin, topic, 1, test::numbered(3));
  const topic_partition p0{topic, 0}, p1{topic, 1};
  {
    consumer c(test::base_config({{"group.id", group},
                                  {"enable.auto.commit", "false"},
                                  {"auto.offset.reset", "earliest"},
                                  {"max.poll.records", "4"}}));
    c.assign({p0, p1});
    auto got = poll_for(c, 9);
    ASSERT_EQ(got.size(), 9u);
    c.commit_sync();
    c.commit_sync({{p1, offset_and_metadata{2, "meta", std::nullopt}}});
    bool called = false;
    c.commit_async({{p0, offset_and_metadata{5, "", std::nullopt}}},
                   [&](const auto& offsets, std::exception_ptr e) {
                     called = true;
                     EXPECT_EQ(e, nullptr);
                     EXPECT_EQ(offsets.size(), 1u);
                   });
    for (int i = 0; i < 50 && !called; ++i) c.poll(100ms);
    EXPECT_TRUE(called);
  }
  consumer d(test::base_config({{"group.id", group}, {"enable.auto.commit", "false"}}));
  auto committed = d.committed({p0, p1});
  ASSERT_EQ(committed.size(), 2u);
  EXPECT_EQ(committed[p0].offset, 5);
  EXPECT_EQ(committed[p1].offset, 2);
  EXPECT_EQ(committed[p1].metadata, "meta");
  d.assign({p0, p1});
  EXPECT_EQ(d.position(p0), 5);
  auto got = poll_for(d, 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].offset(), got[0].partition() == 0 ? 5 : 2);
}

TEST(ConsumerGroup, AutoCommitOnCloseInAGroup) {
  cluster admin(test::base_config());
  const std::string topic = test::unique_name("autocommit");
  const std::string group = test::unique_name("g");
  test::create_topic(admin, topic, 1);
  test::produce(admin, topic, 0, test::numbered(4));
  {
    consumer c(test::base_config({{"group.id", group},
                                  {"auto.offset.reset", "earliest"},
                                  {"heartbeat.interval.ms", "300"}}));
    c.subscribe({topic});
    auto got = poll_for(c, 4, 30s);
    ASSERT_EQ(got.size(), 4u);
  }
  consumer d(test::base_config({{"group.id", group}}));
  auto committed = d.committed({{topic, 0}});
  ASSERT_EQ(committed.size(), 1u);
  EXPECT_EQ(committed.begin()->second.offset, 4);
}

TEST(ConsumerGroup, StaticMemberKeepsItsPartitions) {
  cluster admin(test::base_config());
  const std::string topic = test::unique_name("static");
  const std::string group = test::unique_name("g");
  test::create_topic(admin, topic, 4);
  auto settings = test::base_config({{"group.id", group},
                                     {"group.instance.id", "member-1"},
                                     {"partition.assignment.strategy", "range"},
                                     {"heartbeat.interval.ms", "300"},
                                     {"session.timeout.ms", "10000"}});
  int32_t generation = -1;
  {
    consumer c(settings);
    c.subscribe({topic});
    poll_all_until({&c}, [&] { return c.assignment().size() == 4; });
    ASSERT_EQ(c.assignment().size(), 4u);
    generation = c.group_metadata().generation_id;
    EXPECT_EQ(c.group_metadata().group_instance_id, "member-1");
  }
  // The static member did not leave: coming back with the same instance id, it gets its
  // partitions back without a new generation.
  consumer c(settings);
  c.subscribe({topic});
  poll_all_until({&c}, [&] { return c.assignment().size() == 4; });
  EXPECT_EQ(c.assignment().size(), 4u);
  EXPECT_EQ(c.group_metadata().generation_id, generation);
}

TEST(ConsumerFetch, WakeupInterruptsPoll) {
  cluster admin(test::base_config());
  const std::string topic = test::unique_name("wakeup");
  test::create_topic(admin, topic, 1);
  consumer c(test::base_config());
  c.assign({{topic, 0}});
  std::thread waker([&] {
    std::this_thread::sleep_for(200ms);
    c.wakeup();
  });
  EXPECT_THROW(c.poll(30s), wakeup_error);
  waker.join();
  EXPECT_TRUE(c.poll(10ms).empty());
}

TEST(ConsumerFetch, Throughput) {
  const char* n_env = std::getenv("BROOK_CONSUMER_BENCH");
  if (!n_env) GTEST_SKIP() << "set BROOK_CONSUMER_BENCH=<records> to measure";
  const int total = std::atoi(n_env);
  cluster admin(test::base_config());
  const std::string topic = test::unique_name("bench");
  test::create_topic(admin, topic, 1);
  std::vector<test::test_record> batch;
  for (int i = 0; i < 1000; ++i) batch.push_back({std::nullopt, std::string(100, 'x'), {}, -1});
  for (int i = 0; i < total / 1000; ++i) test::produce(admin, topic, 0, batch);
  consumer c(test::base_config({{"auto.offset.reset", "earliest"}}));
  c.assign({{topic, 0}});
  const auto start = std::chrono::steady_clock::now();
  size_t n = 0, bytes = 0;
  while (n < static_cast<size_t>(total)) {
    for (const auto& r : c.poll(1s)) {
      ++n;
      bytes += r.value()->size();
    }
    if (std::chrono::steady_clock::now() - start > 120s) break;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("consumed %zu records (%zu value bytes) in %.3f s: %.0f records/s\n", n, bytes, secs,
              static_cast<double>(n) / secs);
  EXPECT_EQ(n, static_cast<size_t>(total));
}

}  // namespace
}  // namespace brook::client
