// Transactions in the log: markers end them, the last stable offset follows the open ones, ABORT
// markers fill the segments' transaction indexes (kept over clean restarts, rebuilt after unclean
// ones, deleted with their segments), and a read_committed fetch gets the aborted transactions
// overlapping what it reads.
#include <gtest/gtest.h>

#include <fstream>

#include "base/clock.h"
#include "protocol/records/record_batch.h"
#include "storage/cleaner.h"
#include "storage/producer_state.h"
#include "storage/tests/test_log.h"
#include "storage/txn_index.h"

namespace brook::storage {
namespace {

namespace rec = protocol::records;
namespace fs = std::filesystem;
using testing::k_now;

wire::byte_buffer txn_batch(int64_t pid, int16_t epoch, int32_t seq, int count,
                            bool transactional = true) {
  return testing::producer_batch(pid, epoch, seq, count, transactional);
}

using testing::keyed;
using testing::marker;

int64_t append_marker(partition_log& log, const marker_request& m) {
  auto r = log.append_marker(m);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : -1;
}

std::vector<uint8_t> file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Transactions, ProducerStateOpensAndClosesTransactions) {
  producer_state s;
  producer_append data{7, 1, 0, 1, 10, 11, k_now, true, false};
  s.apply(data);
  EXPECT_EQ(s.first_unstable_offset(), 10);
  producer_append other{8, 0, 0, 0, 12, 12, k_now, true, false};
  s.apply(other);
  EXPECT_EQ(s.first_unstable_offset(), 10);
  EXPECT_EQ(s.ongoing().size(), 2u);
  // A later batch of the same transaction does not move its start.
  s.apply({7, 1, 2, 2, 13, 13, k_now, true, false});
  EXPECT_EQ(s.find(7)->txn_first_offset, 10);
  // A plain batch from a producer in a transaction is refused.
  EXPECT_EQ(s.check({7, 1, 3, 3, 14, 14, k_now, false, false}).kind,
            producer_verdict::invalid_txn_state);
  EXPECT_EQ(s.check({7, 1, 3, 3, 14, 14, k_now, true, false}).kind, producer_verdict::append);

  // Markers: an older producer epoch is refused; version 2 wants a newer one.
  EXPECT_EQ(s.check_marker(7, 0, 0, 0).kind, producer_verdict::invalid_epoch);
  EXPECT_EQ(s.check_marker(7, 1, 0, 0).kind, producer_verdict::append);
  EXPECT_EQ(s.check_marker(7, 1, 0, 2).kind, producer_verdict::invalid_epoch);
  EXPECT_EQ(s.check_marker(7, 2, 0, 2).kind, producer_verdict::append);
  // Unknown producers are not checked.
  EXPECT_EQ(s.check_marker(99, 0, 0, 2).kind, producer_verdict::append);

  producer_append abort{7, 1, -1, -1, 14, 14, k_now, true, true, true, false, 5};
  auto done = s.apply(abort);
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(*done, (completed_txn{7, 10, 14, true}));
  EXPECT_EQ(s.last_stable_offset_after(*done), 12);  // producer 8's transaction is still open
  EXPECT_EQ(s.find(7)->txn_first_offset, -1);
  EXPECT_EQ(s.find(7)->coordinator_epoch, 5);
  EXPECT_EQ(s.first_unstable_offset(), 12);
  // An older coordinator epoch is fenced, whatever the producer epoch.
  EXPECT_EQ(s.check_marker(7, 1, 4, 0).kind, producer_verdict::coordinator_fenced);
  EXPECT_EQ(s.check_marker(7, 1, 5, 0).kind, producer_verdict::append);
  // A marker without a transaction completes nothing.
  EXPECT_FALSE(s.apply({7, 1, -1, -1, 15, 15, k_now, true, true, true, true, 5}).has_value());

  // Snapshots keep the open transactions.
  auto back = producer_state::decode(s.encode());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->first_unstable_offset(), 12);
  auto commit = back->apply({8, 0, -1, -1, 16, 16, k_now, true, true, true, true, 0});
  ASSERT_TRUE(commit.has_value());
  EXPECT_FALSE(commit->aborted);
  EXPECT_EQ(back->last_stable_offset_after(*commit), 17);
  EXPECT_FALSE(back->first_unstable_offset().has_value());
}

TEST(Transactions, OnlyTheOpenTransactionsBatchesAreDuplicates) {
  // Producer 7 writes sequences 0-1 and 2 in a transaction; the answer for 2 is lost, the client
  // aborts, and (as librdkafka does) sends sequence 2 again in its next transaction.
  producer_state s;
  s.apply({7, 0, 0, 1, 10, 11, k_now, true, false});
  s.apply({7, 0, 2, 2, 12, 12, k_now, true, false});
  const producer_append again{7, 0, 2, 2, 20, 20, k_now, true, false};
  // While the transaction is open it is a retry.
  auto v = s.check(again);
  ASSERT_EQ(v.kind, producer_verdict::duplicate);
  EXPECT_EQ(v.original.first_offset, 12);
  // Once the marker ended it, it is out of sequence, not a duplicate that would be dropped.
  s.apply({7, 0, -1, -1, 13, 13, k_now, true, true, true, false, 0});
  EXPECT_EQ(s.check(again).kind, producer_verdict::out_of_order_sequence);
  // Nor in the next transaction, once that one is open.
  s.apply({7, 0, 3, 3, 14, 14, k_now, true, false});
  EXPECT_EQ(s.check(again).kind, producer_verdict::out_of_order_sequence);
  EXPECT_EQ(s.check({7, 0, 3, 3, 20, 20, k_now, true, false}).kind, producer_verdict::duplicate);
  EXPECT_EQ(s.check({7, 0, 4, 4, 20, 20, k_now, true, false}).kind, producer_verdict::append);
  // An idempotent producer without transactions keeps Kafka's rule.
  s.apply({8, 0, 0, 0, 15, 15, k_now, false, false});
  EXPECT_EQ(s.check({8, 0, 0, 0, 20, 20, k_now, false, false}).kind, producer_verdict::duplicate);
}

TEST(Transactions, CollectAbortedFollowsKafkasRule) {
  const std::vector<aborted_txn> entries{{1, 0, 5, 6}, {2, 3, 9, 10}, {3, 8, 20, 21}};
  std::vector<aborted_txn> out;
  // From offset 6 up to 30: the transaction ending at 5 is before, the others overlap, and a
  // later segment may hold more (no last stable offset reached 30).
  EXPECT_FALSE(collect_aborted(entries, 6, 30, out));
  EXPECT_EQ(out, (std::vector<aborted_txn>{{2, 3, 9, 10}, {3, 8, 20, 21}}));
  out.clear();
  // Up to 9: the search ends at the entry whose last stable offset (10) reaches 9.
  EXPECT_TRUE(collect_aborted(entries, 6, 9, out));
  EXPECT_EQ(out, (std::vector<aborted_txn>{{2, 3, 9, 10}}));
  out.clear();
  // Up to 8: the one starting at 8 does not overlap, and the search completes at LSO 10 >= 8.
  EXPECT_TRUE(collect_aborted(entries, 0, 8, out));
  EXPECT_EQ(out, (std::vector<aborted_txn>{{1, 0, 5, 6}, {2, 3, 9, 10}}));
  // The file format: 34 bytes an entry, version 0, big-endian; a torn entry is dropped.
  auto bytes = encode_txn_index(entries);
  ASSERT_EQ(bytes.size(), 3 * k_txn_index_entry_size);
  EXPECT_EQ(bytes.substr(0, 10), std::string("\0\0\0\0\0\0\0\0\0\1", 10));
  auto span = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), 100);
  EXPECT_EQ(decode_txn_index(span), (std::vector<aborted_txn>{entries[0], entries[1]}));
  EXPECT_EQ(merge_txn_indexes({entries[2], entries[0], entries[2], entries[1]}), entries);
}

TEST(Transactions, MarkersMoveTheLastStableOffsetAndIndexAborts) {
  testing::temp_dir dir;
  auto log = testing::open_log(dir.path);
  testing::produce(*log, txn_batch(1, 0, 0, 2, false));  // 0-1, idempotent only
  EXPECT_EQ(log->last_stable_offset(), 2);
  testing::produce(*log, txn_batch(10, 0, 0, 3));  // 2-4, transaction of producer 10
  testing::produce(*log, txn_batch(11, 0, 0, 1));  // 5, transaction of producer 11
  EXPECT_EQ(log->last_stable_offset(), 2);
  EXPECT_EQ(log->end_offset(), 6);
  // A read bounded by the LSO returns nothing from it.
  auto r = log->read(2, 1 << 20, log->last_stable_offset(), true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->size(), 0u);

  // Epoch checks refuse without writing.
  auto stale = log->append_marker(marker(10, 0, false, 0, 2));
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, storage_errc::invalid_producer_epoch);
  EXPECT_EQ(log->end_offset(), 6);

  EXPECT_EQ(append_marker(*log, marker(10, 0, false, 4)), 6);  // abort producer 10
  EXPECT_EQ(log->last_stable_offset(), 5);
  auto fenced = log->append_marker(marker(10, 0, true, 3));
  ASSERT_FALSE(fenced.has_value());
  EXPECT_EQ(fenced.error().code, storage_errc::coordinator_fenced);

  testing::produce(*log, txn_batch(10, 0, 3, 2));          // 7-8, a new transaction of producer 10
  EXPECT_EQ(append_marker(*log, marker(11, 0, true)), 9);  // commit producer 11
  EXPECT_EQ(log->last_stable_offset(), 7);
  EXPECT_EQ(append_marker(*log, marker(10, 0, false, 4)), 10);  // abort producer 10 again
  EXPECT_EQ(log->last_stable_offset(), 11);
  EXPECT_EQ(log->end_offset(), 11);

  // The marker batch as Kafka writes it.
  auto m = log->read(6, 1 << 20, 7, true);
  ASSERT_TRUE(m.has_value());
  wire::byte_buffer buf;
  ASSERT_TRUE(m->read_into(buf).has_value());
  rec::batch_view v(buf);
  EXPECT_TRUE(v.is_control());
  EXPECT_TRUE(v.is_transactional());
  EXPECT_EQ(v.producer_id(), 10);
  EXPECT_EQ(v.base_sequence(), -1);
  EXPECT_EQ(v.partition_leader_epoch(), 3);
  auto records = rec::decode_records(v, 1 << 20);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(rec::parse_control_key(records[0].key->span()).type, 0);
  EXPECT_EQ(rec::parse_end_txn_marker(records[0].value->span()).coordinator_epoch, 4);

  // Only the aborts are indexed, with the LSO right after each marker.
  const std::vector<aborted_txn> want{{10, 2, 6, 5}, {10, 7, 10, 11}};
  EXPECT_EQ(log->aborted_txns(), want);
  const auto bytes = file_bytes(dir.path / "00000000000000000000.txnindex");
  EXPECT_EQ(decode_txn_index(bytes), want);
  EXPECT_EQ(bytes.size(), 2 * k_txn_index_entry_size);

  // A fetch gets the aborted transactions it overlaps.
  EXPECT_EQ(log->collect_aborted_txns(0, 2), std::vector<aborted_txn>{});
  EXPECT_EQ(log->collect_aborted_txns(0, 7), std::vector<aborted_txn>{want[0]});
  EXPECT_EQ(log->collect_aborted_txns(7, 11), std::vector<aborted_txn>{want[1]});
  EXPECT_EQ(log->collect_aborted_txns(3, 11), want);

  // Clean restart: the index and the producers' state come back.
  ASSERT_TRUE(log->close());
  log = testing::open_log(dir.path);
  EXPECT_EQ(log->aborted_txns(), want);
  EXPECT_EQ(log->last_stable_offset(), 11);
  testing::produce(*log, txn_batch(12, 0, 0, 1));  // 11, left open
  ASSERT_TRUE(log->close());
  log = testing::open_log(dir.path);
  EXPECT_EQ(log->last_stable_offset(), 11);
  EXPECT_EQ(append_marker(*log, marker(12, 0, false)), 12);
  EXPECT_EQ(log->aborted_txns().back(), (aborted_txn{12, 11, 12, 13}));
}

TEST(Transactions, UncleanRestartRebuildsTheIndex) {
  testing::temp_dir dir;
  log_config c;
  c.segment_bytes = 400;
  std::vector<aborted_txn> want;
  int64_t lso = -1;
  {
    auto log = testing::open_log(dir.path, c);
    for (int i = 0; i < 12; ++i) {
      testing::produce(*log, txn_batch(20 + i % 2, 0, i / 2 * 2, 2), c);
      if (i % 3 == 2) append_marker(*log, marker(20 + i % 2, 0, i % 2 == 0));
    }
    testing::produce(*log, txn_batch(30, 0, 0, 1), c);  // open at the crash
    want = log->aborted_txns();
    lso = log->last_stable_offset();
    ASSERT_LT(lso, log->end_offset() - 1);  // an older transaction is still open
    ASSERT_GE(want.size(), 2u);
    EXPECT_GT(log->segment_count(), 2u);
    // No close: as after kill -9.
  }
  // The last segment's index is lost (it was never synced); it is rebuilt from its markers.
  std::vector<fs::path> segments;
  for (const auto& e : fs::directory_iterator(dir.path))
    if (e.path().extension() == ".log") segments.push_back(e.path());
  std::sort(segments.begin(), segments.end());
  auto last_index = segments.back();
  last_index.replace_extension(".txnindex");
  fs::remove(last_index);
  {
    auto log = testing::open_log(dir.path, c, false);
    EXPECT_EQ(log->aborted_txns(), want);
    EXPECT_EQ(log->last_stable_offset(), lso);
    ASSERT_TRUE(log->close());
  }
  // A marker cut by recovery takes its index entry with it.
  {
    auto log = testing::open_log(dir.path, c);
    append_marker(*log, marker(30, 0, false));
    EXPECT_EQ(log->aborted_txns().size(), want.size() + 1);
  }
  std::vector<fs::path> now;
  for (const auto& e : fs::directory_iterator(dir.path))
    if (e.path().extension() == ".log") now.push_back(e.path());
  std::sort(now.begin(), now.end());
  // The marker's batch torn, as a crash can leave it.
  fs::resize_file(now.back(), fs::file_size(now.back()) - 3);
  {
    auto log = testing::open_log(dir.path, c, false);
    EXPECT_EQ(log->aborted_txns(), want);
    EXPECT_EQ(log->last_stable_offset(), lso);
    // Producer 30's transaction is open again: its abort is indexed again.
    append_marker(*log, marker(30, 0, false));
    EXPECT_EQ(log->aborted_txns().size(), want.size() + 1);
    EXPECT_EQ(log->aborted_txns().back().producer_id, 30);
  }
}

TEST(Transactions, RetentionDeletesTheIndexWithItsSegment) {
  testing::temp_dir dir;
  log_config c;
  c.segment_bytes = 300;
  auto log = testing::open_log(dir.path, c);
  for (int i = 0; i < 8; ++i) {
    testing::produce(*log, txn_batch(40, 0, i, 1), c);
    append_marker(*log, marker(40, 0, false));
  }
  ASSERT_GT(log->segment_count(), 3u);
  auto count_indexes = [&] {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir.path))
      if (e.path().extension() == ".txnindex") ++n;
    return n;
  };
  const int before = count_indexes();
  EXPECT_GE(before, 3);
  EXPECT_EQ(log->aborted_txns().size(), 8u);
  ASSERT_TRUE(log->delete_records_before(log->end_offset() - 2));
  EXPECT_LT(count_indexes(), before);
  // What is left: the entries of the segments that are left, the last one among them.
  const auto left = log->aborted_txns();
  ASSERT_FALSE(left.empty());
  EXPECT_LT(left.size(), 8u);
  EXPECT_EQ(left.back(),
            (aborted_txn{40, log->end_offset() - 2, log->end_offset() - 1, log->end_offset()}));

  // Time retention removes every sealed segment with its index.
  c.retention_ms = 1;
  log->set_config(c);
  log->enforce_retention(k_now + 365LL * 24 * 3600 * 1000);
  EXPECT_EQ(count_indexes(), 0);
  EXPECT_TRUE(log->aborted_txns().empty());
}

// Every data record of the log as (offset, key=value).
std::vector<std::pair<int64_t, std::string>> data_records(partition_log& log) {
  std::vector<std::pair<int64_t, std::string>> out;
  testing::fetch_batches(log, log.log_start_offset(), 1 << 20, [&](const rec::batch_view& b) {
    if (b.is_control()) return;
    for (const auto& r : rec::decode_records(b, 1 << 20))
      out.emplace_back(b.offset_of(r),
                       std::string(r.key->span().begin(), r.key->span().end()) + "=" +
                           std::string(r.value->span().begin(), r.value->span().end()));
  });
  return out;
}

TEST(Transactions, CleanerKeepsOpenTransactionsCommittedValuesAndTheIndex) {
  testing::temp_dir dir;
  log_config c;
  c.compact = true;
  c.delete_retention = false;
  c.min_cleanable_dirty_ratio = 0.0;
  auto log = testing::open_log(dir.path / "t-0", c);
  auto roll = [&] { log->roll_if_due(wall_clock_ms() + (1LL << 40)); };
  testing::produce(*log, keyed("k", "committed"), c);       // 0
  testing::produce(*log, keyed("k", "aborted", 50, 0), c);  // 1
  roll();
  append_marker(*log, marker(50, 0, false));   // 2, in the second segment
  testing::produce(*log, keyed("x", "1"), c);  // 3
  roll();
  testing::produce(*log, keyed("j", "open", 51, 0), c);  // 4, left open
  testing::produce(*log, keyed("j", "later"), c);        // 5
  roll();
  testing::produce(*log, keyed("z", "1"), c);  // 6, active segment
  ASSERT_EQ(log->segment_count(), 4u);
  ASSERT_EQ(log->last_stable_offset(), 4);
  const auto aborted = log->aborted_txns();
  ASSERT_EQ(aborted, (std::vector<aborted_txn>{{50, 1, 2, 3}}));
  ASSERT_TRUE(fs::exists(dir.path / "t-0" / "00000000000000000002.txnindex"));

  log_cleaner cleaner({}, dir.path);
  cleaner.attach(*log, "t", 0, [](std::function<void()> f) { f(); });
  auto stats = cleaner.clean_once(k_now);
  ASSERT_TRUE(stats.has_value());
  // Up to the segment of the open transaction, not into it.
  EXPECT_EQ(stats->end_offset, 4);
  EXPECT_EQ(log->segment_count(), 3u);
  // The aborted record did not supersede the committed one, and went (its batch stays, empty:
  // it holds producer 50's last sequence); the open transaction's segment is untouched.
  EXPECT_EQ(data_records(*log),
            (std::vector<std::pair<int64_t, std::string>>{
                {0, "k=committed"}, {3, "x=1"}, {4, "j=open"}, {5, "j=later"}, {6, "z=1"}}));
  // The cleaned segment took the second segment's index entry: the marker stays with a batch
  // of its transaction.
  EXPECT_EQ(log->aborted_txns(), aborted);
  EXPECT_EQ(log->collect_aborted_txns(0, 4), aborted);
  EXPECT_FALSE(fs::exists(dir.path / "t-0" / "00000000000000000002.txnindex"));
  EXPECT_EQ(decode_txn_index(file_bytes(dir.path / "t-0" / "00000000000000000000.txnindex")),
            aborted);
  ASSERT_TRUE(log->close());
  log = testing::open_log(dir.path / "t-0", c);
  EXPECT_EQ(log->aborted_txns(), aborted);
  EXPECT_EQ(log->last_stable_offset(), 4);
}

}  // namespace
}  // namespace brook::storage
