// Producer state: Kafka's rules for duplicates, sequences and epochs, snapshots, and the state a
// log rebuilds when it opens (cleanly, after a crash, after retention).
#include <gtest/gtest.h>

#include "protocol/records/record_batch.h"
#include "storage/producer_state.h"
#include "storage/tests/test_log.h"

namespace brook::storage {
namespace {

using testing::k_now;

producer_append batch(int64_t pid, int16_t epoch, int32_t seq, int32_t count, int64_t offset) {
  return {pid, epoch, seq, seq + count - 1, offset, offset + count - 1, k_now, false, false};
}

TEST(ProducerState, DuplicatesSequencesAndEpochs) {
  producer_state s;
  // An unknown producer may start anywhere.
  EXPECT_EQ(s.check(batch(7, 0, 42, 2, 0)).kind, producer_verdict::append);
  s.apply(batch(7, 0, 0, 2, 0));
  for (int i = 1; i <= 6; ++i) s.apply(batch(7, 0, i * 2, 2, i * 2));
  // The last five batches are duplicates, answered with their offsets.
  for (int i = 2; i <= 6; ++i) {
    auto v = s.check(batch(7, 0, i * 2, 2, 100));
    ASSERT_EQ(v.kind, producer_verdict::duplicate) << i;
    EXPECT_EQ(v.original.first_offset, i * 2);
  }
  // Older ones are out of sequence, as is a gap.
  EXPECT_EQ(s.check(batch(7, 0, 2, 2, 100)).kind, producer_verdict::out_of_order_sequence);
  EXPECT_EQ(s.check(batch(7, 0, 15, 1, 100)).kind, producer_verdict::out_of_order_sequence);
  EXPECT_EQ(s.check(batch(7, 0, 14, 1, 100)).kind, producer_verdict::append);
  // A new epoch starts at 0; an older epoch is fenced.
  EXPECT_EQ(s.check(batch(7, 1, 14, 1, 100)).kind, producer_verdict::out_of_order_sequence);
  EXPECT_EQ(s.check(batch(7, 1, 0, 1, 100)).kind, producer_verdict::append);
  s.apply(batch(7, 1, 0, 1, 14));
  EXPECT_EQ(s.check(batch(7, 0, 14, 1, 100)).kind, producer_verdict::invalid_epoch);
  EXPECT_EQ(s.find(7)->batches.size(), 1u);
  // Sequences wrap from INT32_MAX to 0.
  s.apply({8, 0, INT32_MAX - 1, INT32_MAX, 20, 21, k_now, false, false});
  EXPECT_EQ(s.check(batch(8, 0, 0, 1, 22)).kind, producer_verdict::append);
}

TEST(ProducerState, SnapshotsRoundTripAndRejectDamage) {
  producer_state s;
  s.apply(batch(1, 3, 0, 5, 0));
  s.apply(batch(1, 3, 5, 5, 5));
  producer_append txn = batch(2, 0, 0, 1, 10);
  txn.transactional = true;
  s.apply(txn);
  auto bytes = s.encode();
  auto back = producer_state::decode(bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->producers(), s.producers());
  EXPECT_EQ(back->find(2)->txn_first_offset, 10);
  bytes[bytes.size() / 2] ^= 1;
  EXPECT_FALSE(producer_state::decode(bytes).has_value());
  EXPECT_FALSE(producer_state::decode(std::span(bytes).first(bytes.size() - 3)).has_value());
  EXPECT_FALSE(producer_state::decode({}).has_value());
}

TEST(ProducerState, ExpiryAndRetentionForgetProducers) {
  producer_state s;
  s.apply({1, 0, 0, 0, 0, 0, 1000, false, false});
  s.apply({2, 0, 0, 0, 1, 1, 5000, false, false});
  EXPECT_EQ(s.expire(6000, 2000), 1u);
  EXPECT_EQ(s.find(1), nullptr);
  s.evict_below(2);
  EXPECT_TRUE(s.empty());
}

TEST(ProducerState, LogKeepsItOverCleanAndUncleanRestarts) {
  testing::temp_dir dir;
  log_config c;
  c.segment_bytes = 300;  // a few batches per segment
  {
    auto log = testing::open_log(dir.path, c);
    for (int i = 0; i < 20; ++i) testing::produce(*log, testing::producer_batch(5, 0, i * 3, 3), c);
    testing::produce(*log, testing::producer_batch(6, 2, 0, 1), c);
    EXPECT_GT(log->segment_count(), 3u);
    ASSERT_TRUE(log->close());
  }
  {
    // Clean: the snapshot at the end, nothing replayed.
    auto log = testing::open_log(dir.path, c);
    ASSERT_NE(log->producers().find(5), nullptr);
    EXPECT_EQ(log->producers().find(5)->last_seq(), 59);
    EXPECT_EQ(log->producers().find(5)->batches.size(), k_producer_batches_retained);
    EXPECT_EQ(log->producers().find(6)->epoch, 2);
    auto dup = log->producers().check({5, 0, 57, 59, 100, 102, k_now, false, false});
    EXPECT_EQ(dup.kind, producer_verdict::duplicate);
    EXPECT_EQ(dup.original.first_offset, 57);
    testing::produce(*log, testing::producer_batch(5, 0, 60, 3), c);
    // No close: as after kill -9.
  }
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    if (e.path().extension() == ".snapshot" &&
        e.path().filename().string() == "00000000000000000061.snapshot")
      std::filesystem::remove(e.path());
  {
    // Unclean: an older snapshot plus the batches after it.
    auto log = testing::open_log(dir.path, c, false);
    ASSERT_NE(log->producers().find(5), nullptr);
    EXPECT_EQ(log->producers().find(5)->last_seq(), 62);
    EXPECT_EQ(log->producers().check({5, 0, 60, 62, 200, 202, k_now, false, false}).kind,
              producer_verdict::duplicate);
    EXPECT_EQ(log->producers().check({5, 0, 63, 63, 200, 200, k_now, false, false}).kind,
              producer_verdict::append);
    // DeleteRecords past every batch of producer 5 and 6 forgets them.
    ASSERT_TRUE(log->delete_records_before(log->end_offset()));
    EXPECT_TRUE(log->producers().empty());
    ASSERT_TRUE(log->close());
  }
  {
    // Without any snapshot the whole log is read again.
    for (const auto& e : std::filesystem::directory_iterator(dir.path))
      if (e.path().extension() == ".snapshot") std::filesystem::remove(e.path());
    auto log = testing::open_log(dir.path, c, false);
    EXPECT_TRUE(log->producers().empty());
    testing::produce(*log, testing::producer_batch(9, 0, 0, 1), c);
    ASSERT_TRUE(log->close());
    auto again = testing::open_log(dir.path, c);
    EXPECT_NE(again->producers().find(9), nullptr);
  }
}

}  // namespace
}  // namespace brook::storage
