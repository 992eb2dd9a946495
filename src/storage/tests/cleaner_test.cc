// Log compaction: the cleaner keeps exactly the latest record per key, removes tombstones after
// their delete horizon (KIP-534), recompresses with the batch's codec, respects
// min.compaction.lag.ms and a dedupe buffer smaller than the key set, keeps producers' last
// batches, and a swap interrupted at any step is finished or undone at the next open.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "base/clock.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"
#include "storage/cleaner.h"
#include "storage/offset_map.h"
#include "storage/partition_log.h"
#include "storage/tests/test_log.h"

namespace brook::storage {
namespace {

namespace rec = protocol::records;
namespace fs = std::filesystem;
using namespace testing;

struct kv {
  std::string key;
  std::optional<std::string> value;  // nullopt: a tombstone
};

wire::byte_buffer batch(const std::vector<kv>& records, rec::codec c = rec::codec::none,
                        int64_t ts = k_now, int64_t producer_id = -1, int32_t sequence = -1) {
  rec::batch_options o;
  o.compression = c;
  o.producer_id = producer_id;
  o.producer_epoch = producer_id >= 0 ? 0 : -1;
  o.base_sequence = sequence;
  rec::batch_builder b(o);
  for (const auto& r : records) {
    std::optional<std::span<const uint8_t>> v;
    if (r.value) v = bytes_of(*r.value);
    b.append(ts, bytes_of(r.key), v);
  }
  return b.build();
}

struct stored {
  int64_t offset;
  std::string key;
  std::optional<std::string> value;
  bool operator==(const stored&) const = default;
};

struct stored_batch {
  int64_t base_offset, last_offset;
  rec::codec codec;
  std::optional<int64_t> delete_horizon;
  int32_t count;
  int64_t producer_id;
};

// Every record and batch from the log start, read as a consumer reads.
std::pair<std::vector<stored>, std::vector<stored_batch>> read_log(partition_log& log) {
  std::vector<stored> records;
  std::vector<stored_batch> batches;
  fetch_batches(log, log.log_start_offset(), 1 << 20, [&](const rec::batch_view& b) {
    batches.push_back({b.base_offset(), b.last_offset(), b.compression(), b.delete_horizon(),
                       b.record_count(), b.producer_id()});
    for (const auto& rr : rec::decode_records(b, 1 << 20)) {
      std::optional<std::string> v;
      if (rr.value) v = std::string(rr.value->span().begin(), rr.value->span().end());
      records.push_back(
          {b.offset_of(rr), std::string(rr.key->span().begin(), rr.key->span().end()), v});
    }
  });
  for (size_t i = 1; i < records.size(); ++i) EXPECT_GT(records[i].offset, records[i - 1].offset);
  return {records, batches};
}

log_config compacted(int64_t segment_bytes = 600) {
  log_config c;
  c.compact = true;
  c.delete_retention = false;
  c.segment_bytes = segment_bytes;
  c.min_cleanable_dirty_ratio = 0.0;
  c.delete_retention_ms = 1000;
  c.index_interval_bytes = 100;
  return c;
}

cleanable_log::executor inline_executor() {
  return [](std::function<void()> f) { f(); };
}

// Produces rounds of every key 0..keys-1 with values "<key>@<round>", one batch of `per_batch`
// records at a time; the last value of each key, and its offset.
std::map<std::string, std::pair<int64_t, std::string>> produce_rounds(
    partition_log& log, int keys, int rounds, int per_batch = 4, rec::codec c = rec::codec::none) {
  std::map<std::string, std::pair<int64_t, std::string>> latest;
  std::vector<kv> pending;
  auto flush = [&] {
    if (pending.empty()) return;
    int64_t base = produce(log, batch(pending, c));
    for (size_t i = 0; i < pending.size(); ++i)
      latest[pending[i].key] = {base + static_cast<int64_t>(i), *pending[i].value};
    pending.clear();
  };
  for (int r = 0; r < rounds; ++r)
    for (int k = 0; k < keys; ++k) {
      pending.push_back(
          {"key" + std::to_string(k), "key" + std::to_string(k) + "@" + std::to_string(r)});
      if (static_cast<int>(pending.size()) == per_batch) flush();
    }
  flush();
  return latest;
}

// The cleaned part holds exactly the latest record per key among those before `cleaned_end` in
// `before`; the records after it are untouched.
void expect_compacted(const std::vector<stored>& after, int64_t cleaned_end,
                      const std::vector<stored>& before) {
  std::map<std::string, stored> latest;
  std::vector<stored> expected;
  for (const auto& r : before)
    if (r.offset < cleaned_end) latest.insert_or_assign(r.key, r);
  for (const auto& [k, r] : latest) expected.push_back(r);
  for (const auto& r : before)
    if (r.offset >= cleaned_end) expected.push_back(r);
  std::sort(expected.begin(), expected.end(),
            [](const stored& a, const stored& b) { return a.offset < b.offset; });
  EXPECT_EQ(after, expected);
}

// Seals the active segment, as segment.ms would.
void roll(partition_log& log) { log.roll_if_due(wall_clock_ms() + (1LL << 40)); }

// A compacted log in a temporary folder, filled by produce_rounds; `before` is every record as
// read before any clean.
struct filled_log {
  temp_dir d;
  log_config c;
  std::unique_ptr<partition_log> log;
  std::vector<stored> before;
  filled_log(int keys, int rounds, log_config config = compacted()) : c(config) {
    log = open_log(d.path / "t-0", c);
    produce_rounds(*log, keys, rounds);
    before = read_log(*log).first;
  }
};

TEST(Cleaner, KeepsExactlyTheLatestRecordPerKey) {
  temp_dir d;
  auto c = compacted();
  auto log = open_log(d.path / "t-0", c);
  produce_rounds(*log, 10, 12);
  ASSERT_GT(log->segment_count(), 5u);
  const int64_t end = log->end_offset(), start = log->log_start_offset();
  const int64_t size_before = log->size_bytes();
  auto [before, _] = read_log(*log);

  log_cleaner cleaner({}, d.path);
  cleaner.attach(*log, "t", 0, inline_executor());
  auto stats = cleaner.clean_once(k_now);
  ASSERT_TRUE(stats.has_value());
  EXPECT_FALSE(stats->map_full);
  EXPECT_GT(stats->groups, 0u);
  EXPECT_EQ(stats->first_dirty, 0);
  // Up to the active segment.
  EXPECT_EQ(stats->end_offset, log->view()->active_base);
  EXPECT_EQ(cleaner.checkpoint("t", 0), stats->end_offset);
  EXPECT_EQ(log->end_offset(), end);
  EXPECT_EQ(log->log_start_offset(), start);
  EXPECT_LT(log->size_bytes(), size_before);

  auto [after, batches] = read_log(*log);
  expect_compacted(after, stats->end_offset, before);
  // The checkpoint file is Kafka's.
  auto text = read_small_file(d.path / "cleaner-offset-checkpoint");
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, fmt::format("0\n1\nt 0 {}\n", stats->end_offset));

  // Nothing dirty is left: no second clean; a reopened log reads the same.
  EXPECT_FALSE(cleaner.clean_once(k_now).has_value());
  ASSERT_TRUE(log->close().has_value());
  log = open_log(d.path / "t-0", c, false);
  EXPECT_EQ(read_log(*log).first, after);
  EXPECT_EQ(log->end_offset(), end);
  // Fetching from a removed offset returns the next batch.
  auto r = log->read(1, 1 << 20, end, true);
  ASSERT_TRUE(r.has_value());
  wire::byte_buffer buf;
  ASSERT_TRUE(r->read_into(buf).has_value());
  rec::record_set_reader reader(buf);
  auto first = reader.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_GE(first->batch().last_offset(), 1);
}

TEST(Cleaner, RemovesTombstonesAfterTheDeleteHorizon) {
  temp_dir d;
  auto c = compacted();
  auto log = open_log(d.path / "t-0", c);
  produce_rounds(*log, 6, 3);
  produce(*log, batch({{"key1", std::nullopt}, {"key2", std::nullopt}}));
  produce_rounds(*log, 0, 0);
  // Roll so that the tombstones are in a sealed segment.
  roll(*log);
  produce(*log, batch({{"other", "x"}}));

  log_cleaner cleaner({}, d.path);
  cleaner.attach(*log, "t", 0, inline_executor());
  const int64_t t1 = k_now + 10;
  ASSERT_TRUE(cleaner.clean_once(t1).has_value());
  auto [records, batches] = read_log(*log);
  // The tombstones stay, their batch stamped with the horizon; the older values are gone.
  std::set<std::string> tombstoned;
  for (const auto& r : records)
    if (!r.value) tombstoned.insert(r.key);
  EXPECT_EQ(tombstoned, (std::set<std::string>{"key1", "key2"}));
  for (const auto& r : records)
    if (r.key == "key1" || r.key == "key2") EXPECT_FALSE(r.value.has_value());
  bool stamped = false;
  for (const auto& b : batches)
    if (b.delete_horizon) {
      EXPECT_EQ(*b.delete_horizon, t1 + c.delete_retention_ms);
      stamped = true;
    }
  EXPECT_TRUE(stamped);

  // New dirty data; a clean before the horizon keeps them, one at the horizon drops them.
  auto dirty_again = [&](int64_t now) {
    produce(*log, batch({{"other", "y"}}));
    roll(*log);
    produce(*log, batch({{"more", "z"}}));
  };
  dirty_again(t1);
  ASSERT_TRUE(cleaner.clean_once(t1 + c.delete_retention_ms - 1).has_value());
  int tombstones = 0;
  for (const auto& r : read_log(*log).first) tombstones += !r.value;
  EXPECT_EQ(tombstones, 2);
  dirty_again(t1 + c.delete_retention_ms);
  ASSERT_TRUE(cleaner.clean_once(t1 + c.delete_retention_ms).has_value());
  for (const auto& r : read_log(*log).first) {
    EXPECT_NE(r.key, "key1");
    EXPECT_NE(r.key, "key2");
  }
}

TEST(Cleaner, RecompressesWithTheBatchCodecAndKeepsOffsets) {
  for (auto codec : {rec::codec::gzip, rec::codec::snappy, rec::codec::lz4, rec::codec::zstd}) {
    temp_dir d;
    auto c = compacted(250);
    auto log = open_log(d.path / "t-0", c);
    produce_rounds(*log, 5, 10, 7, codec);
    auto [original, before] = read_log(*log);
    log_cleaner cleaner({}, d.path);
    cleaner.attach(*log, "t", 0, inline_executor());
    auto stats = cleaner.clean_once(k_now);
    ASSERT_TRUE(stats.has_value());
    auto [records, batches] = read_log(*log);
    expect_compacted(records, stats->end_offset, original);
    // Some batches lost records and were rebuilt.
    EXPECT_TRUE(std::any_of(batches.begin(), batches.end(), [](const stored_batch& b) {
      return b.count > 0 && b.count < b.last_offset - b.base_offset + 1;
    }));
    for (const auto& b : batches) {
      if (b.count > 0) EXPECT_EQ(b.codec, codec);
      // Each batch keeps its base offset and last offset.
      bool found = false;
      for (const auto& o : before)
        found |= o.base_offset == b.base_offset && o.last_offset == b.last_offset;
      EXPECT_TRUE(found) << b.base_offset;
    }
  }
}

TEST(Cleaner, LeavesSegmentsWithinMinCompactionLag) {
  temp_dir d;
  auto c = compacted();
  c.min_compaction_lag_ms = 3600 * 1000;
  auto log = open_log(d.path / "t-0", c);
  produce_rounds(*log, 8, 6);
  auto before = read_log(*log).first;
  log_cleaner cleaner({}, d.path);
  cleaner.attach(*log, "t", 0, inline_executor());
  // Records are k_now: too young ten minutes later.
  EXPECT_FALSE(cleaner.clean_once(k_now + 600 * 1000).has_value());
  auto t = log_cleaner::assess(nullptr, log->view(), std::nullopt, k_now + 600 * 1000);
  EXPECT_EQ(t.first_uncleanable, 0);
  EXPECT_EQ(t.cleanable_bytes, 0);
  auto stats = cleaner.clean_once(k_now + 2 * 3600 * 1000);
  ASSERT_TRUE(stats.has_value());
  expect_compacted(read_log(*log).first, stats->end_offset, before);
}

TEST(Cleaner, MaxCompactionLagForcesACleanBelowTheRatio) {
  temp_dir d;
  auto c = compacted();
  c.min_cleanable_dirty_ratio = 0.99;
  c.max_compaction_lag_ms = 3600 * 1000;
  auto log = open_log(d.path / "t-0", c);
  produce_rounds(*log, 8, 6);
  log_cleaner cleaner({}, d.path);
  cleaner.attach(*log, "t", 0, inline_executor());
  // The whole log is dirty (ratio 1 > 0.99) at first: clean it, then add a little.
  ASSERT_TRUE(cleaner.clean_once(k_now).has_value());
  produce_rounds(*log, 8, 2);
  roll(*log);
  produce(*log, batch({{"x", "y"}}));
  EXPECT_FALSE(cleaner.clean_once(k_now + 60 * 1000).has_value());
  EXPECT_TRUE(cleaner.clean_once(k_now + 2 * 3600 * 1000).has_value());
}

TEST(Cleaner, DedupeBufferSmallerThanTheKeysCleansInSteps) {
  filled_log f(60, 3);
  auto& d = f.d;
  auto& log = f.log;
  auto& before = f.before;
  cleaner_config cc;
  cc.dedupe_buffer_size = 20 * offset_map::k_bytes_per_entry;  // 18 keys at load factor 0.9
  log_cleaner cleaner(cc, d.path);
  cleaner.attach(*log, "t", 0, inline_executor());
  const int64_t active = log->view()->active_base;
  auto first = cleaner.clean_once(k_now);
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->map_full);
  EXPECT_LT(first->end_offset, active);
  EXPECT_EQ(cleaner.checkpoint("t", 0), first->end_offset);
  // Each further clean starts where the last one's map ended, until all is clean.
  int rounds = 1;
  while (cleaner.clean_once(k_now)) ++rounds;
  EXPECT_GT(rounds, 2);
  EXPECT_EQ(cleaner.checkpoint("t", 0), active);
  expect_compacted(read_log(*log).first, active, before);
}

TEST(Cleaner, KeepsTheLastBatchOfAnActiveProducerEmpty) {
  temp_dir d;
  auto c = compacted();
  auto log = open_log(d.path / "t-0", c);
  // Producer 7's two batches are both overwritten by later plain records.
  produce(*log, batch({{"a", "1"}, {"b", "1"}}, rec::codec::none, k_now, 7, 0));
  produce(*log, batch({{"a", "2"}, {"b", "2"}}, rec::codec::none, k_now, 7, 2));
  produce_rounds(*log, 0, 0);
  produce(*log, batch({{"a", "3"}, {"b", "3"}, {"pad", std::string(700, 'p')}}));
  roll(*log);
  produce(*log, batch({{"c", "1"}}));
  log_cleaner cleaner({}, d.path);
  cleaner.attach(*log, "t", 0, inline_executor());
  ASSERT_TRUE(cleaner.clean_once(k_now + 1000).has_value());
  auto [records, batches] = read_log(*log);
  std::vector<stored_batch> of7;
  for (const auto& b : batches)
    if (b.producer_id == 7) of7.push_back(b);
  ASSERT_EQ(of7.size(), 1u);
  EXPECT_EQ(of7[0].base_offset, 2);
  EXPECT_EQ(of7[0].last_offset, 3);
  EXPECT_EQ(of7[0].count, 0);

  // Once the producer expired, the empty batch goes too.
  produce(*log, batch({{"c", "2"}}));
  roll(*log);
  produce(*log, batch({{"d", "1"}}));
  ASSERT_TRUE(cleaner.clean_once(k_now + 2 * 86400000LL).has_value());
  for (const auto& b : read_log(*log).second) EXPECT_NE(b.producer_id, 7);
}

// Copies a partition folder as it is at one instant: what a crash would leave.
void snapshot(const fs::path& from, const fs::path& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

TEST(Cleaner, AnInterruptedSwapIsFinishedOrUndoneAtOpen) {
  temp_dir d;
  auto c = compacted();
  const auto dir = d.path / "t-0";
  auto log = open_log(dir, c);
  // Keys written once, so that the first group keeps records.
  produce(*log, batch({{"once1", "a"}, {"once2", "b"}}));
  auto latest = produce_rounds(*log, 10, 12);
  latest["once1"] = {0, "a"};
  latest["once2"] = {1, "b"};
  auto [original, _] = read_log(*log);
  // One group of every sealed segment.
  auto big = c;
  big.segment_bytes = 1 << 20;
  log->set_config(big);

  // Crash images taken when the first group's files are written, before the swap.
  const auto crashes = d.path / "crashes";
  fs::create_directories(crashes);
  int swaps = 0;
  int64_t group_base = -1;
  cleanable_log::executor exec = [&](std::function<void()> f) {
    if (swaps++ == 0) {
      for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".cleaned")
          group_base = std::stoll(e.path().filename().string().substr(0, 20));
      // a: only .cleaned files.
      snapshot(dir, crashes / "a");
      // b: renamed to .swap, old segments all there.
      snapshot(dir, crashes / "b");
      for (const auto& e : fs::directory_iterator(crashes / "b"))
        if (e.path().extension() == ".cleaned")
          fs::rename(e.path(), fs::path(e.path()).replace_extension(".swap"));
      // c: and the old segments after the first deleted.
      snapshot(crashes / "b", crashes / "c");
      const auto view = log->view();
      for (const auto& s : view->sealed)
        if (s.base != group_base)
          for (const char* ext : {".log", ".index", ".timeindex"})
            fs::remove(crashes / "c" / segment_name(s.base, ext));
      // d: the indexes under their final names, the log still .swap.
      snapshot(crashes / "c", crashes / "d");
      for (const char* ext : {".index", ".timeindex"})
        fs::rename(crashes / "d" / (segment_name(group_base, ext) + ".swap"),
                   crashes / "d" / segment_name(group_base, ext));
    }
    f();
  };
  log_cleaner cleaner({}, d.path);
  cleaner.attach(*log, "t", 0, exec);
  auto stats = cleaner.clean_once(k_now);
  ASSERT_TRUE(stats.has_value());
  ASSERT_EQ(group_base, 0);
  auto [cleaned, __] = read_log(*log);
  for (const auto& e : fs::directory_iterator(dir)) {
    EXPECT_NE(e.path().extension(), ".cleaned");
    EXPECT_NE(e.path().extension(), ".swap");
  }

  for (const char* image : {"a", "b", "c", "d"}) {
    SCOPED_TRACE(image);
    for (bool clean_shutdown : {false, true}) {
      const auto copy = d.path / "reopen";
      snapshot(crashes / image, copy);
      auto reopened = open_log(copy, c, clean_shutdown);
      ASSERT_TRUE(reopened);
      auto records = read_log(*reopened).first;
      for (const auto& e : fs::directory_iterator(copy)) {
        EXPECT_NE(e.path().extension(), ".cleaned");
        EXPECT_NE(e.path().extension(), ".swap");
      }
      EXPECT_EQ(reopened->end_offset(), log->end_offset());
      if (std::string(image) == "a") {
        EXPECT_EQ(records, original);
      } else {
        // The first group swapped in; every record that had to survive is there, each from the
        // original log, and every key's latest value is the last one read.
        for (const auto& r : cleaned)
          EXPECT_NE(std::find(records.begin(), records.end(), r), records.end()) << r.offset;
        for (const auto& r : records)
          EXPECT_NE(std::find(original.begin(), original.end(), r), original.end()) << r.offset;
        EXPECT_LT(records.size(), original.size());
      }
      std::map<std::string, std::string> last;
      for (const auto& r : records) last[r.key] = *r.value;
      for (const auto& [k, v] : latest) EXPECT_EQ(last[k], v.second) << k;
    }
  }
}

TEST(Cleaner, DeletingALogWhileItIsCleanedIsSafe) {
  temp_dir d;
  auto c = compacted();
  const auto dir = d.path / "t-0";
  auto log = open_log(dir, c);
  produce_rounds(*log, 10, 12);
  log_cleaner cleaner({}, d.path);
  // The topic is deleted after the cleaner wrote its files, before the swap.
  cleaner.attach(*log, "t", 0, [&](std::function<void()> f) {
    ASSERT_TRUE(log->remove().has_value());
    f();
  });
  EXPECT_FALSE(cleaner.clean_once(k_now).has_value());
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_FALSE(cleaner.checkpoint("t", 0).has_value());
  // A reader holding a file of a replaced segment keeps reading it.
}

TEST(Cleaner, ReadersOfReplacedSegmentsKeepReading) {
  temp_dir d;
  auto c = compacted();
  auto log = open_log(d.path / "t-0", c);
  produce_rounds(*log, 10, 12);
  auto held = log->read(0, 1 << 20, log->end_offset(), true);
  ASSERT_TRUE(held.has_value());
  wire::byte_buffer before;
  ASSERT_TRUE(held->read_into(before).has_value());
  log_cleaner cleaner({}, d.path);
  cleaner.attach(*log, "t", 0, inline_executor());
  ASSERT_TRUE(cleaner.clean_once(k_now).has_value());
  wire::byte_buffer after;
  ASSERT_TRUE(held->read_into(after).has_value());
  EXPECT_EQ(before, after);
}

TEST(Cleaner, ASwapAfterDeleteRecordsTookItsSegmentsIsAbandoned) {
  // DeleteRecords removes the first segments while their replacement is being written (before
  // the first swap step), or between the two steps.
  for (int at_call : {0, 1}) {
    SCOPED_TRACE(at_call);
    filled_log f(10, 12);
    auto& d = f.d;
    auto& log = f.log;
    const auto size = log->size_bytes();
    log_cleaner cleaner({}, d.path);
    int calls = 0;
    cleaner.attach(*log, "t", 0, [&](std::function<void()> task) {
      if (calls++ == at_call) ASSERT_TRUE(log->delete_records_before(40).has_value());
      task();
    });
    EXPECT_FALSE(cleaner.clean_once(k_now).has_value());
    EXPECT_FALSE(cleaner.checkpoint("t", 0).has_value());
    EXPECT_EQ(log->log_start_offset(), 40);
    EXPECT_LT(log->size_bytes(), size);
    for (const auto& e : fs::directory_iterator(d.path / "t-0")) {
      EXPECT_NE(e.path().extension(), ".cleaned");
      EXPECT_NE(e.path().extension(), ".swap");
    }
    std::vector<stored> kept;
    for (const auto& r : f.before)
      if (r.offset >= 40) kept.push_back(r);
    EXPECT_EQ(read_log(*log).first, kept);
    // The next round cleans from the new log start.
    auto stats = cleaner.clean_once(k_now);
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(stats->first_dirty, 40);
    EXPECT_EQ(log->log_start_offset(), 40);
  }
}

TEST(Cleaner, CleansOnItsThreadAndSwapsOnTheOwners) {
  filled_log f(10, 12);
  auto& d = f.d;
  auto& log = f.log;
  auto& before = f.before;
  cleaner_config cc;
  cc.backoff_ms = 10;
  log_cleaner cleaner(cc, d.path);
  // The owner's queue, run by this thread, as a shard runs what is posted to it.
  std::mutex mu;
  std::vector<std::function<void()>> queue;
  cleaner.attach(*log, "t", 0, [&](std::function<void()> f) {
    std::lock_guard l(mu);
    queue.push_back(std::move(f));
  });
  cleaner.start();
  const auto active = log->view()->active_base;
  for (int i = 0; i < 2000 && cleaner.checkpoint("t", 0) != active; ++i) {
    std::vector<std::function<void()>> run;
    {
      std::lock_guard l(mu);
      run.swap(queue);
    }
    for (auto& f : run) f();
    // The log keeps serving reads and appends meanwhile.
    EXPECT_TRUE(log->read(0, 1 << 20, log->end_offset(), true).has_value());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  cleaner.stop();
  EXPECT_EQ(cleaner.checkpoint("t", 0), active);
  expect_compacted(read_log(*log).first, active, before);
}

TEST(OffsetMap, PutGetAndCapacity) {
  offset_map m(100 * offset_map::k_bytes_per_entry);
  EXPECT_EQ(m.slots(), 100u);
  m.clear();
  EXPECT_EQ(m.get(bytes_of("a")), -1);
  m.put(bytes_of("a"), 5);
  m.put(bytes_of("b"), 6);
  m.put(bytes_of("a"), 7);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.get(bytes_of("a")), 7);
  EXPECT_EQ(m.get(bytes_of("b")), 6);
  EXPECT_EQ(m.latest_offset(), 7);
  for (int i = 0; i < 80; ++i) m.put(bytes_of("k" + std::to_string(i)), 100 + i);
  for (int i = 0; i < 80; ++i) EXPECT_EQ(m.get(bytes_of("k" + std::to_string(i))), 100 + i);
  m.clear();
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.get(bytes_of("a")), -1);
  EXPECT_EQ(m.latest_offset(), -1);
  // Distinct short keys hash apart.
  EXPECT_NE(hash128(bytes_of("a")), hash128(bytes_of("b")));
  EXPECT_NE(hash128(bytes_of("")), hash128(bytes_of(std::string(1, '\0'))));
}

}  // namespace
}  // namespace brook::storage
