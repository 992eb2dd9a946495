// The producer's broker-free parts: Java-compatible murmur2 and key partitioning, the sticky
// partitioner, and settings checked as Java's ProducerConfig checks them.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "client/errors.h"
#include "client/partitioner.h"
#include "client/producer.h"
#include "client/producer_settings.h"

namespace brook::client {
namespace {

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Values computed with the Java client's Utils.murmur2 and Utils.toPositive (kafka-clients 4.4).
TEST(ProducerPartitioner, Murmur2MatchesJava) {
  const std::vector<std::pair<std::string, int32_t>> vectors = {
      {"", 275646681},
      {"a", -1563381124},
      {"ab", 316155434},
      {"abc", 479470107},
      {"abcd", -1323649548},
      {"key-0", 29210041},
      {"key-1", 193331640},
      {"hello world", 1221641059},
      {"The quick brown fox jumps over the lazy dog", 495243318},
      {"\xc3\xa9t\xc3\xa9", -2101193575},
      {"0123456789", -631703640},
  };
  for (const auto& [key, hash] : vectors) EXPECT_EQ(murmur2(bytes_of(key)), hash) << key;
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<size_t>(i)] = static_cast<uint8_t>(i);
  EXPECT_EQ(murmur2(all), -1948347274);
}

TEST(ProducerPartitioner, KeyedPartitionMatchesJava) {
  // toPositive(murmur2(key)) % n, as Java's BuiltInPartitioner.partitionForKey.
  EXPECT_EQ(partition_for_key(bytes_of("a"), 7), 5);
  EXPECT_EQ(partition_for_key(bytes_of("a"), 12), 4);
  EXPECT_EQ(partition_for_key(bytes_of("abcd"), 7), 5);
  EXPECT_EQ(partition_for_key(bytes_of("abcd"), 12), 8);
  EXPECT_EQ(partition_for_key(bytes_of("key-0"), 12), 1);
  EXPECT_EQ(partition_for_key(bytes_of("key-1"), 12), 0);
  EXPECT_EQ(partition_for_key(bytes_of("0123456789"), 7), 1);
  EXPECT_EQ(partition_for_key(bytes_of("\xc3\xa9t\xc3\xa9"), 12), 1);
  EXPECT_EQ(to_positive(-1), 0x7fffffff);
  EXPECT_EQ(to_positive(INT32_MIN), 0);
}

TEST(ProducerPartitioner, StickyStaysUntilABatchIsFull) {
  sticky_partitioner s(1000, 42);
  const std::vector<int32_t> available = {0, 1, 2, 3};
  const int32_t first = s.partition(4, available);
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(s.partition(4, available), first);
    s.on_append(first, 100);
  }
  // 900 bytes so far: one more record stays, then a new partition is drawn (as in Java, the
  // draw may land on the same one again): over many batches every partition gets some.
  EXPECT_EQ(s.partition(4, available), first);
  s.on_append(first, 100);
  std::set<int32_t> seen;
  for (int batch = 0; batch < 100; ++batch) {
    const int32_t p = s.partition(4, available);
    EXPECT_EQ(s.current(), p);
    seen.insert(p);
    s.on_append(p, 1000);
  }
  EXPECT_EQ(seen, (std::set<int32_t>{0, 1, 2, 3}));
}

TEST(ProducerPartitioner, StickyWaitsForAFullBatchUpToTwiceBatchSize) {
  // A different seed per round: each draw would otherwise be the same sequence.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    sticky_partitioner s(1000, seed);
    const std::vector<int32_t> available = {0, 1, 2, 3, 4, 5, 6, 7};
    const int32_t first = s.partition(8, available);
    // batch.size reached but the batch is not full: stay.
    s.on_append(first, 1500, false);
    EXPECT_EQ(s.partition(8, available), first);
    // Twice batch.size: switch whatever the batch (a new draw, the same partition at times).
    s.on_append(first, 500, false);
    s.partition(8, available);
    const int32_t second = s.current();
    // A record for another partition counts nothing.
    s.on_append(second == 0 ? 1 : 0, 5000, true);
    EXPECT_EQ(s.partition(8, available), second);
  }
}

TEST(ProducerPartitioner, LoadStatsWeighShortQueues) {
  sticky_partitioner s(100, 1);
  // Java's example: queues 0 3 1 become weights 4 1 3, sums 4 5 8.
  const std::vector<int32_t> sizes = {0, 3, 1};
  const std::vector<int32_t> ids = {10, 11, 12};
  s.update_load_stats(sizes, ids, 3);
  ASSERT_EQ(s.load_stats_range_end(), 8);
  const std::vector<int32_t> want = {10, 10, 10, 10, 11, 12, 12, 12};
  for (int32_t r = 0; r < 8; ++r) EXPECT_EQ(s.weighted_choice(r), want[r]) << r;
  // Draws follow the weights: partition 10 about half the time, 11 an eighth.
  std::map<int32_t, int> count;
  for (int i = 0; i < 8000; ++i) {
    const int32_t p = s.partition(13, ids);
    ++count[p];
    s.on_append(p, 100);
  }
  EXPECT_GT(count[10], 3400);
  EXPECT_LT(count[11], 1400);
  EXPECT_GT(count[12], 2400);
  EXPECT_EQ(count[10] + count[11] + count[12], 8000);
}

TEST(ProducerPartitioner, EqualQueuesOrOnePartitionDrawUniformly) {
  sticky_partitioner s(100, 1);
  const std::vector<int32_t> ids = {0, 1, 2};
  s.update_load_stats(std::vector<int32_t>{2, 2, 2}, ids, 3);
  EXPECT_EQ(s.load_stats_range_end(), 0);
  s.update_load_stats(std::vector<int32_t>{5}, std::vector<int32_t>{0}, 1);
  EXPECT_EQ(s.load_stats_range_end(), 0);
  // Equal queues, but a partition left out (no leader, or its broker is slow): weighted, so the
  // partition left out is never drawn.
  s.update_load_stats(std::vector<int32_t>{2, 2}, std::vector<int32_t>{0, 2}, 3);
  EXPECT_EQ(s.load_stats_range_end(), 2);
  for (int i = 0; i < 200; ++i) {
    const int32_t p = s.partition(3, ids);
    EXPECT_NE(p, 1);
    s.on_append(p, 100);
  }
  s.clear_load_stats();
  EXPECT_EQ(s.load_stats_range_end(), 0);
}

TEST(ProducerPartitioner, StickyPicksOnlyAvailablePartitions) {
  sticky_partitioner s(10, 7);
  const std::vector<int32_t> available = {2, 5};
  std::set<int32_t> seen;
  for (int i = 0; i < 50; ++i) {
    const int32_t p = s.partition(8, available);
    seen.insert(p);
    s.on_append(p, 10);
  }
  EXPECT_EQ(seen, (std::set<int32_t>{2, 5}));
  // A partition that lost its leader is left at once.
  const int32_t now = s.partition(8, available);
  const std::vector<int32_t> without = {now == 2 ? 5 : 2};
  EXPECT_EQ(s.partition(8, without), without[0]);
}

TEST(ProducerPartitioner, StickyWithoutLeadersStillPicksInRange) {
  sticky_partitioner s(1, 3);
  for (int i = 0; i < 20; ++i) {
    const int32_t p = s.partition(3, {});
    EXPECT_GE(p, 0);
    EXPECT_LT(p, 3);
    s.on_append(p, 1);
  }
  EXPECT_EQ(s.partition(1, {}), 0);
}

config settings(std::initializer_list<std::pair<std::string, std::string>> extra) {
  config c{{"bootstrap.servers", "127.0.0.1:1"}};
  for (const auto& [k, v] : extra) c.set(k, v);
  return c;
}

TEST(ProducerSettings, JavaDefaults) {
  const auto s = read_producer_settings(settings({}));
  EXPECT_EQ(s.acks, -1);
  EXPECT_TRUE(s.idempotent);
  EXPECT_EQ(s.linger.count(), 5);
  EXPECT_EQ(s.batch_size, 16384);
  EXPECT_EQ(s.max_in_flight, 5);
  EXPECT_EQ(s.delivery_timeout.count(), 120000);
  EXPECT_FALSE(s.transactional_id);
  EXPECT_TRUE(s.adaptive_partitioning);
  EXPECT_EQ(s.availability_timeout.count(), 0);
}

TEST(ProducerSettings, DefaultIdempotenceIsDroppedSilently) {
  EXPECT_FALSE(read_producer_settings(settings({{"acks", "1"}})).idempotent);
  EXPECT_FALSE(read_producer_settings(settings({{"acks", "0"}})).idempotent);
  EXPECT_FALSE(read_producer_settings(settings({{"retries", "0"}})).idempotent);
  EXPECT_TRUE(read_producer_settings(settings({{"acks", "all"}})).idempotent);
  EXPECT_EQ(read_producer_settings(settings({{"acks", "all"}})).acks, -1);
}

TEST(ProducerSettings, ExplicitIdempotenceConflictsAreErrors) {
  EXPECT_THROW(read_producer_settings(settings({{"enable.idempotence", "true"}, {"acks", "1"}})),
               config_error);
  EXPECT_THROW(read_producer_settings(settings({{"enable.idempotence", "true"}, {"retries", "0"}})),
               config_error);
  // More than 5 in flight conflicts with idempotence even when it is only the default (Java).
  EXPECT_THROW(read_producer_settings(settings({{"max.in.flight.requests.per.connection", "6"}})),
               config_error);
  const auto s = read_producer_settings(
      settings({{"enable.idempotence", "false"}, {"max.in.flight.requests.per.connection", "6"}}));
  EXPECT_FALSE(s.idempotent);
  EXPECT_EQ(s.max_in_flight, 6);
}

TEST(ProducerSettings, TransactionsNeedIdempotence) {
  EXPECT_THROW(read_producer_settings(
                   settings({{"transactional.id", "t"}, {"enable.idempotence", "false"}})),
               config_error);
  // acks=1 turns default idempotence off, which a transactional id cannot do without.
  EXPECT_THROW(read_producer_settings(settings({{"transactional.id", "t"}, {"acks", "1"}})),
               config_error);
  const auto s = read_producer_settings(settings({{"transactional.id", "t"}}));
  EXPECT_TRUE(s.idempotent);
  EXPECT_EQ(*s.transactional_id, "t");
}

TEST(ProducerSettings, BadValuesAreErrors) {
  EXPECT_THROW(read_producer_settings(settings({{"acks", "2"}})), config_error);
  EXPECT_THROW(read_producer_settings(settings({{"compression.type", "brotli"}})), config_error);
  EXPECT_THROW(
      read_producer_settings(settings({{"compression.type", "gzip"}, {"compression.level", "12"}})),
      config_error);
  EXPECT_THROW(read_producer_settings(settings({{"delivery.timeout.ms", "1000"}})), config_error);
  // Not set by the user: raised to linger.ms + request.timeout.ms.
  EXPECT_EQ(
      read_producer_settings(settings({{"request.timeout.ms", "200000"}})).delivery_timeout.count(),
      200005);
  EXPECT_EQ(read_producer_settings(settings({{"compression.type", "zstd"}})).compression,
            protocol::records::codec::zstd);
  EXPECT_THROW(read_producer_settings(settings({{"partitioner.availability.timeout.ms", "-1"}})),
               config_error);
  const auto s =
      read_producer_settings(settings({{"partitioner.adaptive.partitioning.enable", "false"},
                                       {"partitioner.availability.timeout.ms", "250"}}));
  EXPECT_FALSE(s.adaptive_partitioning);
  EXPECT_EQ(s.availability_timeout.count(), 250);
}

TEST(ProducerSettings, ConstructorRefusesConsumerSettings) {
  EXPECT_THROW(producer(settings({{"group.id", "g"}})), config_error);
  EXPECT_THROW(producer(settings({{"acks", "x"}})), config_error);
}

TEST(ProducerSettings, TooLargeRecordFailsItsFuture) {
  producer p(settings({{"max.request.size", "1000"}}));
  auto f = p.send(producer_record{.topic = "t", .value = std::string(2000, 'x')});
  try {
    f.get();
    FAIL() << "a record over max.request.size was accepted";
  } catch (const kafka_error& e) {
    EXPECT_EQ(e.code(), protocol::error_code::message_too_large);
  }
  p.close(std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace brook::client
