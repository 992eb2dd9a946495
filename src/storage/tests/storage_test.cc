// The log on disk: append, read, roll, recovery after a crash (torn and corrupted tails), indexes,
// retention, DeleteRecords, epochs, and the validator's Kafka rules.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "base/clock.h"
#include "protocol/records/legacy.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"
#include "storage/log_dir.h"
#include "storage/partition_log.h"
#include "storage/tests/test_log.h"
#include "storage/validator.h"

namespace brook::storage {
namespace {

namespace rec = protocol::records;
using protocol::error_code;
namespace fs = std::filesystem;
using namespace testing;

// A producer's batch (base offset 0) of `n` records "k<i>" -> "v<i>".
wire::byte_buffer producer_batch(int n, rec::codec c = rec::codec::none, int64_t ts = k_now,
                                 int value_size = 10) {
  rec::batch_options o;
  o.compression = c;
  rec::batch_builder b(o);
  for (int i = 0; i < n; ++i) {
    std::string k = "k" + std::to_string(i);
    std::string v = "v" + std::to_string(i) + std::string(static_cast<size_t>(value_size), 'x');
    b.append(ts + i, bytes_of(k), bytes_of(v));
  }
  return b.build();
}

// Every record offset and value read back from `from`, fetching as a consumer would.
std::vector<std::pair<int64_t, std::string>> read_all(partition_log& log, int64_t from) {
  std::vector<std::pair<int64_t, std::string>> out;
  fetch_batches(log, from, 1000, [&](const rec::batch_view& b) {
    for (const auto& rr : rec::decode_records(b, 1 << 20)) {
      if (b.offset_of(rr) < from) continue;
      out.emplace_back(b.offset_of(rr),
                       std::string(rr.value->span().begin(), rr.value->span().end()));
    }
  });
  return out;
}

TEST(PartitionLog, AppendsAndReadsBackInKafkasLayout) {
  temp_dir d;
  auto log = open_log(d.path / "t-0");
  EXPECT_EQ(produce(*log, producer_batch(3)), 0);
  EXPECT_EQ(produce(*log, producer_batch(2, rec::codec::lz4)), 3);
  EXPECT_EQ(log->end_offset(), 5);
  auto all = read_all(*log, 0);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[3].first, 3);
  EXPECT_EQ(all[3].second, "v0xxxxxxxxxx");
  EXPECT_TRUE(fs::exists(d.path / "t-0" / "00000000000000000000.log"));
  EXPECT_TRUE(fs::exists(d.path / "t-0" / "00000000000000000000.index"));
  EXPECT_TRUE(fs::exists(d.path / "t-0" / "00000000000000000000.timeindex"));
  EXPECT_TRUE(fs::exists(d.path / "t-0" / "partition.metadata"));
  // Reading from the middle of a batch returns that batch; out of range is an error.
  auto mid = log->read(4, 1000, 5, true);
  ASSERT_TRUE(mid.has_value());
  EXPECT_GT(mid->size(), 0u);
  auto past = log->read(6, 1000, 5, true);
  ASSERT_FALSE(past.has_value());
  EXPECT_EQ(past.error().code, storage_errc::offset_out_of_range);
  auto at_end = log->read(5, 1000, 5, true);
  ASSERT_TRUE(at_end.has_value());
  EXPECT_EQ(at_end->size(), 0u);
}

TEST(PartitionLog, RespectsMaxBytesAndMinOne) {
  temp_dir d;
  auto log = open_log(d.path / "t-0");
  for (int i = 0; i < 3; ++i) produce(*log, producer_batch(1, rec::codec::none, k_now, 500));
  auto one = log->read(0, 10, 3, true);
  ASSERT_TRUE(one.has_value());
  EXPECT_GT(one->size(), 500u);
  EXPECT_LT(one->size(), 1000u);
  auto none = log->read(0, 10, 3, false);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->size(), 0u);
  // The high watermark bound: nothing at or past it.
  auto hw = log->read(0, 1 << 20, 1, true);
  ASSERT_TRUE(hw.has_value());
  EXPECT_LT(hw->size(), 1000u);
}

TEST(PartitionLog, RollsBySizeAndReopensCleanly) {
  temp_dir d;
  log_config c;
  c.segment_bytes = 2000;
  c.index_interval_bytes = 100;
  {
    auto log = open_log(d.path / "t-0", c);
    for (int i = 0; i < 40; ++i) produce(*log, producer_batch(2, rec::codec::none, k_now, 50), c);
    EXPECT_GT(log->segment_count(), 3u);
    ASSERT_TRUE(log->close().has_value());
  }
  auto log = open_log(d.path / "t-0", c, true);
  EXPECT_EQ(log->end_offset(), 80);
  auto all = read_all(*log, 0);
  ASSERT_EQ(all.size(), 80u);
  for (int64_t i = 0; i < 80; ++i) EXPECT_EQ(all[i].first, i);
  // Random access through the indexes.
  auto r = read_all(*log, 57);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r.front().first, 57);
  EXPECT_EQ(produce(*log, producer_batch(1), c), 80);
}

TEST(PartitionLog, RecoversFromATornOrCorruptTail) {
  temp_dir d;
  const auto dir = d.path / "t-0";
  {
    auto log = open_log(dir);
    for (int i = 0; i < 5; ++i) produce(*log, producer_batch(2));
    // No close: as after kill -9.
    (void)log->flush();
    log.reset();
  }
  const auto seg = dir / "00000000000000000000.log";
  const auto good = fs::file_size(seg);
  // A torn write: half a batch at the end.
  {
    auto b = producer_batch(2);
    std::ofstream out(seg, std::ios::binary | std::ios::app);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size() / 2));
  }
  {
    auto log = open_log(dir, {}, false);
    EXPECT_EQ(log->end_offset(), 10);
    EXPECT_EQ(fs::file_size(seg), good);
    EXPECT_EQ(read_all(*log, 0).size(), 10u);
    log.reset();
  }
  // A flipped byte inside the last batch: cut at that batch.
  {
    std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(good - 5));
    f.put('\x7f');
  }
  auto log = open_log(dir, {}, false);
  EXPECT_EQ(log->end_offset(), 8);
  EXPECT_EQ(read_all(*log, 0).size(), 8u);
  EXPECT_EQ(produce(*log, producer_batch(1)), 8);
}

TEST(PartitionLog, RetentionBySizeAndTimeAndDeleteRecords) {
  temp_dir d;
  log_config c;
  c.segment_bytes = 1000;
  auto log = open_log(d.path / "t-0", c);
  for (int i = 0; i < 20; ++i) produce(*log, producer_batch(1, rec::codec::none, k_now, 300), c);
  const auto segments = log->segment_count();
  ASSERT_GT(segments, 5u);
  c.retention_bytes = 2500;
  log->set_config(c);
  log->enforce_retention(k_now);
  EXPECT_LT(log->segment_count(), segments);
  EXPECT_GT(log->log_start_offset(), 0);
  EXPECT_LE(log->size_bytes(), 2500 + 1000);
  const auto start = log->log_start_offset();
  EXPECT_EQ(read_all(*log, start).front().first, start);
  auto gone = log->read(0, 1000, log->end_offset(), true);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, storage_errc::offset_out_of_range);

  ASSERT_TRUE(log->delete_records_before(18).has_value());
  EXPECT_EQ(log->log_start_offset(), 18);
  EXPECT_EQ(read_all(*log, 18).size(), 2u);

  c.retention_bytes = -1;
  c.retention_ms = 1000;
  log->set_config(c);
  log->enforce_retention(k_now + 60'000);
  EXPECT_EQ(log->log_start_offset(), 20);
  EXPECT_EQ(log->end_offset(), 20);
  EXPECT_EQ(produce(*log, producer_batch(1), c), 20);
  ASSERT_TRUE(log->close().has_value());
  auto again = open_log(d.path / "t-0", c);
  EXPECT_EQ(again->log_start_offset(), 20);
  EXPECT_EQ(again->end_offset(), 21);
}

TEST(PartitionLog, TimestampsAndEpochs) {
  temp_dir d;
  auto log = open_log(d.path / "t-0");
  produce(*log, producer_batch(3, rec::codec::none, k_now));
  produce(*log, producer_batch(3, rec::codec::gzip, k_now + 100));
  auto m = log->max_timestamp();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->timestamp, k_now + 102);
  EXPECT_EQ(m->offset, 5);
  auto t = log->offset_for_timestamp(k_now + 1);
  ASSERT_TRUE(t.has_value() && t->has_value());
  EXPECT_EQ((*t)->offset, 1);
  auto t2 = log->offset_for_timestamp(k_now + 101);
  ASSERT_TRUE(t2.has_value() && t2->has_value());
  EXPECT_EQ((*t2)->offset, 4);
  auto none = log->offset_for_timestamp(k_now + 1000);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());

  log->assign_epoch(0, 0);
  log->assign_epoch(2, 4);
  EXPECT_EQ(log->latest_epoch(), 2);
  EXPECT_EQ(log->end_offset_for_epoch(1), (std::pair<int32_t, int64_t>{0, 4}));
  EXPECT_EQ(log->end_offset_for_epoch(2), (std::pair<int32_t, int64_t>{2, 6}));
  ASSERT_TRUE(log->close().has_value());
  auto again = open_log(d.path / "t-0");
  EXPECT_EQ(again->latest_epoch(), 2);
}

TEST(Validator, PatchesInPlaceWithOffsetsEpochAndLogAppendTime) {
  auto batch = producer_batch(4);
  auto v = validate_for_append(batch, 100, options());
  ASSERT_TRUE(v.has_value());
  EXPECT_FALSE(v->rebuilt_used);
  EXPECT_EQ(v->first_offset, 100);
  EXPECT_EQ(v->last_offset, 103);
  EXPECT_EQ(v->max_timestamp, k_now + 3);
  EXPECT_EQ(v->offset_of_max_timestamp, 103);
  rec::batch_view b(v->bytes());
  EXPECT_EQ(b.base_offset(), 100);
  EXPECT_EQ(b.partition_leader_epoch(), 3);
  EXPECT_TRUE(b.crc_matches());

  log_config c;
  c.timestamp_type = rec::timestamp_type::log_append_time;
  auto batch2 = producer_batch(2, rec::codec::snappy);
  auto v2 = validate_for_append(batch2, 0, options(c));
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->log_append_time, k_now);
  rec::batch_view b2(v2->bytes());
  EXPECT_EQ(b2.ts_type(), rec::timestamp_type::log_append_time);
  EXPECT_EQ(b2.max_timestamp(), k_now);
  EXPECT_TRUE(b2.crc_matches());
}

TEST(Validator, RejectsWhatKafkaRejects) {
  auto expect_error = [](wire::byte_buffer batch, error_code code, append_options o = options()) {
    auto v = validate_for_append(batch, 0, o);
    ASSERT_FALSE(v.has_value());
    EXPECT_EQ(v.error().code, code) << v.error().message;
  };
  auto corrupt = producer_batch(2);
  corrupt.back() ^= 1;
  expect_error(corrupt, error_code::corrupt_message);

  auto truncated = producer_batch(2);
  truncated.resize(truncated.size() - 3);
  expect_error(truncated, error_code::corrupt_message);

  auto two = producer_batch(1);
  auto second = producer_batch(1);
  two.insert(two.end(), second.begin(), second.end());
  expect_error(two, error_code::invalid_record);

  log_config small;
  small.max_message_bytes = 100;
  expect_error(producer_batch(20), error_code::message_too_large, options(small));

  auto zstd = options();
  zstd.produce_version = 6;
  expect_error(producer_batch(2, rec::codec::zstd), error_code::unsupported_compression_type, zstd);

  log_config compact;
  compact.compact = true;
  rec::batch_builder nokey(rec::batch_options{});
  nokey.append(k_now, std::nullopt, bytes_of("v"));
  auto v =
      validate_for_append(*std::make_unique<wire::byte_buffer>(nokey.build()), 0, options(compact));
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code, error_code::invalid_record);
  ASSERT_EQ(v.error().record_errors.size(), 1u);

  expect_error(producer_batch(2, rec::codec::none, k_now + 2 * 3600 * 1000),
               error_code::invalid_timestamp);

  rec::batch_options control;
  control.control = true;
  control.producer_id = 5;
  control.producer_epoch = 0;
  auto marker = rec::build_end_txn_batch(control, true, 0, k_now);
  expect_error(marker, error_code::invalid_record);

  auto offset_set = producer_batch(1);
  rec::set_base_offset(offset_set, 7);
  expect_error(offset_set, error_code::invalid_record);
}

TEST(Validator, ConvertsLegacyMessageSetsAndRecompresses) {
  std::vector<rec::legacy_message> msgs(3);
  for (int i = 0; i < 3; ++i) {
    msgs[i].timestamp = k_now + i;
    msgs[i].key = wire::shared_bytes(std::vector<uint8_t>{'k', static_cast<uint8_t>('0' + i)});
    msgs[i].value = wire::shared_bytes(std::vector<uint8_t>{'v', static_cast<uint8_t>('0' + i)});
  }
  for (int8_t magic : {0, 1}) {
    for (auto c : {rec::codec::none, rec::codec::gzip}) {
      rec::legacy_encode_options eo;
      eo.magic = magic;
      eo.compression = c;
      auto set = rec::encode_message_set(msgs, eo);
      auto v = validate_for_append(set, 10, options());
      ASSERT_TRUE(v.has_value()) << v.error().message;
      EXPECT_TRUE(v->rebuilt_used);
      rec::batch_view b(v->bytes());
      EXPECT_EQ(b.magic(), 2);
      EXPECT_EQ(b.base_offset(), 10);
      EXPECT_EQ(b.record_count(), 3);
      EXPECT_EQ(b.compression(), c);
      EXPECT_EQ(b.max_timestamp(), magic == 0 ? -1 : k_now + 2);
    }
  }
  log_config zstd;
  zstd.keep_producer_compression = false;
  zstd.compression = rec::codec::zstd;
  auto batch = producer_batch(5, rec::codec::gzip);
  auto v = validate_for_append(batch, 0, options(zstd));
  ASSERT_TRUE(v.has_value());
  rec::batch_view b(v->bytes());
  EXPECT_EQ(b.compression(), rec::codec::zstd);
  EXPECT_EQ(rec::decode_records(b, 1 << 20).size(), 5u);
}

TEST(LogDir, MetaPropertiesAndCleanShutdownMarker) {
  temp_dir d;
  auto m = read_or_create_meta_properties(d.path, 1, "");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->cluster_id.size(), 22u);
  auto again = read_or_create_meta_properties(d.path, 1, "");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->cluster_id, m->cluster_id);
  EXPECT_FALSE(read_or_create_meta_properties(d.path, 2, "").has_value());
  EXPECT_FALSE(take_clean_shutdown_marker(d.path));
  write_clean_shutdown_marker(d.path);
  EXPECT_TRUE(take_clean_shutdown_marker(d.path));
  EXPECT_FALSE(take_clean_shutdown_marker(d.path));
}

TEST(PartitionLog, LegacyOffsetsBeforeFollowSegmentFileTimes) {
  temp_dir d;
  log_config c;
  c.segment_bytes = 1000;
  auto log = open_log(d.path / "t-0", c);
  for (int i = 0; i < 6; ++i) produce(*log, producer_batch(1, rec::codec::none, k_now, 300), c);
  ASSERT_GT(log->segment_count(), 2u);
  const int64_t later = brook::wall_clock_ms() + 60'000;
  // Latest: the log end offset first, then the segments' start offsets, newest first.
  auto latest = log->legacy_offsets_before(-1, 100, later);
  ASSERT_EQ(latest.size(), log->segment_count() + 1);
  EXPECT_EQ(latest.front(), log->end_offset());
  EXPECT_EQ(latest.back(), 0);
  EXPECT_TRUE(std::is_sorted(latest.rbegin(), latest.rend()));
  EXPECT_EQ(log->legacy_offsets_before(-1, 1, later), std::vector<int64_t>{log->end_offset()});
  EXPECT_EQ(log->legacy_offsets_before(-2, 5, later), std::vector<int64_t>{0});
  // Every segment file was written before `later`, none before 1970-01-01T00:00:01.
  EXPECT_EQ(log->legacy_offsets_before(later - 1, 100, later).size(), log->segment_count());
  EXPECT_TRUE(log->legacy_offsets_before(1000, 100, later).empty());
  EXPECT_TRUE(log->legacy_offsets_before(-1, 0, later).empty());
}

}  // namespace
}  // namespace brook::storage
