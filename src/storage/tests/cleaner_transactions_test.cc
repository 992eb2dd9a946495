// Compaction of transactional data, as Kafka's log cleaner does it: the batches of aborted
// transactions go at once; a marker goes once no batch of its transaction is left, after its
// delete horizon; an ABORT marker's transaction index entry goes with the last of its data; a
// producer's last batch (or, after an epoch bump, its last marker) stays, emptied; and through it
// all a read_committed consumer reads what it read before, a read_uncommitted one the same less
// the aborted records.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"
#include "storage/cleaner.h"
#include "storage/partition_log.h"
#include "storage/tests/test_log.h"
#include "storage/txn_index.h"

namespace brook::storage {
namespace {

namespace rec = protocol::records;
namespace fs = std::filesystem;
using testing::k_now;

// Past producer.id.expiration.ms (a day by default): no producer is active any more.
constexpr int64_t k_later = k_now + 2 * 86400000LL;
constexpr int64_t k_retention_ms = 1000;

log_config compacted() {
  log_config c;
  c.compact = true;
  c.delete_retention = false;
  c.min_cleanable_dirty_ratio = 0.0;
  c.delete_retention_ms = k_retention_ms;
  return c;
}

using testing::keyed;

int64_t end_txn(partition_log& log, int64_t pid, bool commit, int16_t epoch = 0,
                int8_t version = 0) {
  auto r = log.append_marker(testing::marker(pid, epoch, commit, 0, version));
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : -1;
}

void roll(partition_log& log) { log.roll_if_due(wall_clock_ms() + (1LL << 40)); }

struct seen_batch {
  int64_t base = 0, last = 0;
  int64_t pid = -1;
  bool control = false, transactional = false;
  int32_t count = 0;
  std::optional<int64_t> horizon;
  // For a control batch with a record: its type (0 ABORT, 1 COMMIT).
  std::optional<int16_t> marker;
};

std::vector<seen_batch> batches(partition_log& log) {
  std::vector<seen_batch> out;
  testing::fetch_batches(log, log.log_start_offset(), 1 << 20, [&](const rec::batch_view& b) {
    seen_batch s{b.base_offset(),      b.last_offset(),  b.producer_id(),    b.is_control(),
                 b.is_transactional(), b.record_count(), b.delete_horizon(), std::nullopt};
    if (b.is_control()) {
      auto records = rec::decode_records(b, 1 << 20);
      if (!records.empty()) s.marker = rec::parse_control_key(records[0].key->span()).type;
    }
    out.push_back(s);
  });
  return out;
}

std::optional<seen_batch> batch_at(partition_log& log, int64_t offset) {
  for (const auto& b : batches(log))
    if (b.base <= offset && offset <= b.last) return b;
  return std::nullopt;
}

using records_t = std::vector<std::pair<int64_t, std::string>>;

void add_records(const rec::batch_view& b, records_t& out) {
  for (const auto& r : rec::decode_records(b, 1 << 20))
    out.emplace_back(b.offset_of(r),
                     std::string(r.key->span().begin(), r.key->span().end()) + "=" +
                         std::string(r.value->span().begin(), r.value->span().end()));
}

// What a read_uncommitted consumer reads: every data record up to the high watermark.
records_t read_uncommitted(partition_log& log) {
  records_t out;
  testing::fetch_batches(log, log.log_start_offset(), 1 << 20, [&](const rec::batch_view& b) {
    if (!b.is_control()) add_records(b, out);
  });
  return out;
}

// What a read_committed consumer reads, fetching `max_bytes` at a time up to the last stable
// offset as the broker answers (each fetch with the aborted transactions it overlaps) and
// dropping records as the Java consumer does.
records_t read_committed(partition_log& log, int32_t max_bytes) {
  records_t out;
  const int64_t lso = log.last_stable_offset();
  int64_t next = log.log_start_offset();
  while (next < lso) {
    auto r = log.read(next, max_bytes, lso, true);
    EXPECT_TRUE(r.has_value());
    if (!r || r->size() == 0) break;
    auto aborted = log.collect_aborted_txns(next, r->last_offset() + 1);
    std::sort(aborted.begin(), aborted.end(),
              [](const auto& a, const auto& b) { return a.first_offset < b.first_offset; });
    size_t pending = 0;
    std::set<int64_t> aborted_pids;
    wire::byte_buffer buf;
    EXPECT_TRUE(r->read_into(buf).has_value());
    rec::record_set_reader reader(buf);
    while (auto e = reader.next()) {
      auto b = e->batch();
      next = b.last_offset() + 1;
      if (b.producer_id() >= 0) {
        while (pending < aborted.size() && aborted[pending].first_offset <= b.last_offset())
          aborted_pids.insert(aborted[pending++].producer_id);
        bool abort_marker = false;
        if (b.is_control()) {
          auto records = rec::decode_records(b, 1 << 20);
          abort_marker = !records.empty() && rec::parse_control_key(records[0].key->span()).type ==
                                                 static_cast<int16_t>(rec::control_type::abort);
        }
        if (abort_marker) {
          aborted_pids.erase(b.producer_id());
        } else if (b.is_transactional() && aborted_pids.contains(b.producer_id())) {
          continue;
        }
      }
      if (!b.is_control()) add_records(b, out);
    }
  }
  return out;
}

// Every transaction index entry names an ABORT marker of its producer that is in the log, and
// the log's entries are those of its segments' files.
void expect_index_matches_markers(partition_log& log) {
  const auto all = batches(log);
  for (const auto& t : log.aborted_txns()) {
    const bool found = std::any_of(all.begin(), all.end(), [&](const seen_batch& b) {
      return b.control && b.pid == t.producer_id && b.last == t.last_offset && b.marker == 0;
    });
    EXPECT_TRUE(found) << "entry of producer " << t.producer_id << " ending at " << t.last_offset
                       << " without its marker";
  }
}

// A compacted log, a cleaner attached on the test's thread, and dirt on demand: a record of a
// key of its own in a segment of its own, so that a clean has something new to read.
struct cleaned_log {
  testing::temp_dir d;
  log_config c = compacted();
  std::unique_ptr<partition_log> log;
  std::unique_ptr<log_cleaner> cleaner;
  int dirt = 0;

  explicit cleaned_log(log_config config = compacted()) : c(config) {
    log = testing::open_log(d.path / "t-0", c);
    attach();
  }
  void attach() {
    cleaner = std::make_unique<log_cleaner>(cleaner_config{}, d.path);
    cleaner->attach(*log, "t", 0, [](std::function<void()> f) { f(); });
  }
  int64_t produce(wire::byte_buffer b) { return testing::produce(*log, std::move(b), c); }
  void add_dirt() {
    produce(keyed("dirt" + std::to_string(dirt++), "x"));
    roll(*log);
  }
  std::optional<clean_stats> clean(int64_t now) {
    add_dirt();
    auto s = cleaner->clean_once(now);
    EXPECT_TRUE(s.has_value());
    return s;
  }
  // Closes and opens the log again; `replay`: without its producer snapshots, so that the
  // producer state is read from the batches.
  void reopen(bool replay = false) {
    cleaner.reset();
    ASSERT_TRUE(log->close());
    if (replay)
      for (const auto& e : fs::directory_iterator(d.path / "t-0"))
        if (e.path().extension() == ".snapshot") fs::remove(e.path());
    log = testing::open_log(d.path / "t-0", c);
    attach();
  }
  fs::path file(int64_t base, const char* ext) const {
    return d.path / "t-0" / segment_name(base, ext);
  }
};

records_t without(records_t all, const std::set<int64_t>& offsets) {
  std::erase_if(all, [&](const auto& r) { return offsets.contains(r.first); });
  return all;
}

// The records of keys other than the dirt's.
records_t no_dirt(records_t all) {
  std::erase_if(all, [](const auto& r) { return r.second.starts_with("dirt"); });
  return all;
}

TEST(CleanerTransactions, AbortedBatchesGoAtOnceTheirMarkerAfterTheHorizon) {
  cleaned_log l;
  auto& log = *l.log;
  l.produce(keyed("a", "a0"));                // 0
  l.produce(keyed("a", "aborted-a", 50, 0));  // 1
  l.produce(keyed("b", "aborted-b", 50, 1));  // 2
  roll(log);
  l.produce(keyed("c", "c0"));                       // 3
  const int64_t abort_at = end_txn(log, 50, false);  // 4
  l.produce(keyed("d", "committed-d", 51, 0));       // 5
  const int64_t commit_at = end_txn(log, 51, true);  // 6
  roll(log);
  l.produce(keyed("e", "e0"));  // 7, in the active segment
  ASSERT_EQ(abort_at, 4);
  ASSERT_EQ(commit_at, 6);
  const auto entry = log.aborted_txns();
  ASSERT_EQ(entry, (std::vector<aborted_txn>{{50, 1, 4, 5}}));
  const auto committed = read_committed(log, 1 << 20);
  const auto uncommitted = read_uncommitted(log);
  ASSERT_EQ(committed, without(uncommitted, {1, 2}));

  // First clean: the aborted batches go; the marker stays (batches of its transaction were met),
  // and its entry moves into the cleaned segment's index; the committed transaction stays whole.
  ASSERT_TRUE(l.clean(k_later));
  EXPECT_EQ(no_dirt(read_uncommitted(log)), without(uncommitted, {1, 2}));
  EXPECT_EQ(no_dirt(read_committed(log, 1 << 20)), committed);
  auto abort_marker = batch_at(log, abort_at);
  ASSERT_TRUE(abort_marker);
  EXPECT_EQ(abort_marker->marker, 0);
  EXPECT_FALSE(abort_marker->horizon);
  EXPECT_EQ(log.aborted_txns(), entry);
  EXPECT_EQ(decode_txn_index(testing::bytes_of(*read_small_file(l.file(0, ".txnindex")))), entry);
  EXPECT_FALSE(fs::exists(l.file(3, ".txnindex")));
  auto commit_marker = batch_at(log, commit_at);
  ASSERT_TRUE(commit_marker);
  EXPECT_EQ(commit_marker->marker, 1);
  EXPECT_FALSE(commit_marker->horizon);

  // Second clean: no batch of the aborted transaction is left; its entry goes, its marker is
  // stamped with its delete horizon and stays until then. The commit marker still has data.
  ASSERT_TRUE(l.clean(k_later + 10));
  abort_marker = batch_at(log, abort_at);
  ASSERT_TRUE(abort_marker);
  EXPECT_EQ(abort_marker->marker, 0);
  EXPECT_EQ(abort_marker->horizon, k_later + 10 + k_retention_ms);
  EXPECT_TRUE(log.aborted_txns().empty());
  EXPECT_FALSE(fs::exists(l.file(0, ".txnindex")));
  EXPECT_FALSE(batch_at(log, commit_at)->horizon);
  EXPECT_EQ(no_dirt(read_committed(log, 1 << 20)), committed);

  // Before the horizon the marker stays as it is; from it on, it goes.
  ASSERT_TRUE(l.clean(k_later + 10 + k_retention_ms - 1));
  EXPECT_EQ(batch_at(log, abort_at)->horizon, k_later + 10 + k_retention_ms);
  ASSERT_TRUE(l.clean(k_later + 10 + k_retention_ms));
  for (const auto& b : batches(log)) EXPECT_NE(b.marker, 0) << b.base;
  // The commit marker keeps its committed record company for good.
  ASSERT_TRUE(l.clean(k_later + 100 * k_retention_ms));
  commit_marker = batch_at(log, commit_at);
  ASSERT_TRUE(commit_marker);
  EXPECT_EQ(commit_marker->marker, 1);
  EXPECT_FALSE(commit_marker->horizon);
  expect_index_matches_markers(log);

  // All of it survives a restart.
  const auto before = read_uncommitted(log);
  l.reopen();
  EXPECT_EQ(read_uncommitted(*l.log), before);
  EXPECT_TRUE(l.log->aborted_txns().empty());
  EXPECT_EQ(l.log->last_stable_offset(), l.log->end_offset());
}

TEST(CleanerTransactions, ACommitMarkerGoesAfterTheHorizonOnceItsDataIsCompactedAway) {
  cleaned_log l;
  auto& log = *l.log;
  l.produce(keyed("k", "committed", 60, 0));              // 0
  const int64_t commit_at = end_txn(log, 60, true);       // 1
  l.produce(keyed("k", "plain"));                         // 2: supersedes offset 0
  l.produce(keyed("j", "committed", 61, 0));              // 3: stays
  const int64_t kept_commit_at = end_txn(log, 61, true);  // 4
  roll(log);
  const records_t latest{{2, "k=plain"}, {3, "j=committed"}};
  auto of_60 = [&] {
    std::vector<seen_batch> out;
    for (const auto& b : batches(log))
      if (b.pid == 60) out.push_back(b);
    return out;
  };

  // The clean that removes the committed record still met its batch: the marker stays.
  ASSERT_TRUE(l.clean(k_later));
  auto left = of_60();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].base, commit_at);
  EXPECT_EQ(left[0].marker, 1);
  EXPECT_FALSE(left[0].horizon);
  EXPECT_EQ(no_dirt(read_committed(log, 1 << 20)), latest);

  // The next one finds the marker alone: stamped, then gone after delete.retention.ms.
  ASSERT_TRUE(l.clean(k_later + 5));
  left = of_60();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].horizon, k_later + 5 + k_retention_ms);
  ASSERT_TRUE(l.clean(k_later + 5 + k_retention_ms));
  EXPECT_TRUE(of_60().empty());
  EXPECT_EQ(no_dirt(read_committed(log, 1 << 20)), latest);
  EXPECT_EQ(no_dirt(read_uncommitted(log)), latest);
  // The marker of the transaction whose record stays is kept as it is.
  auto kept = batch_at(log, kept_commit_at);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->marker, 1);
  EXPECT_FALSE(kept->horizon);
}

TEST(CleanerTransactions, AProducersLastBatchStaysEmptyAndKeepsItsMarker) {
  cleaned_log l;
  auto& log = *l.log;
  l.produce(keyed("a", "aborted-1", 70, 0));         // 0
  l.produce(keyed("b", "aborted-2", 70, 1));         // 1: producer 70's last sequence
  const int64_t abort_at = end_txn(log, 70, false);  // 2
  roll(log);
  const auto entry = log.aborted_txns();
  ASSERT_EQ(entry.size(), 1u);

  // While producer 70 is active its last batch stays, emptied; as a batch of the aborted
  // transaction met by every clean, it keeps the marker and the index entry.
  for (int64_t now : {k_now, k_now + 10 * k_retention_ms}) {
    ASSERT_TRUE(l.clean(now));
    EXPECT_FALSE(batch_at(log, 0));
    auto last = batch_at(log, 1);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->pid, 70);
    EXPECT_TRUE(last->transactional);
    EXPECT_FALSE(last->control);
    EXPECT_EQ(last->count, 0);
    EXPECT_EQ(last->base, 1);
    EXPECT_EQ(last->last, 1);
    auto marker = batch_at(log, abort_at);
    ASSERT_TRUE(marker);
    EXPECT_EQ(marker->marker, 0);
    EXPECT_FALSE(marker->horizon);
    EXPECT_EQ(log.aborted_txns(), entry);
    EXPECT_TRUE(no_dirt(read_uncommitted(log)).empty());
    EXPECT_TRUE(no_dirt(read_committed(log, 1 << 20)).empty());
  }
  // The producer state read from the log knows producer 70's last sequence.
  l.reopen(true);
  ASSERT_NE(l.log->producers().find(70), nullptr);
  EXPECT_EQ(l.log->producers().find(70)->last_seq(), 1);

  // Once the producer expired, the empty batch goes; then the entry; then the marker.
  ASSERT_TRUE(l.clean(k_later));
  EXPECT_FALSE(batch_at(*l.log, 1));
  EXPECT_EQ(l.log->aborted_txns(), entry);
  ASSERT_TRUE(l.clean(k_later + 1));
  EXPECT_TRUE(l.log->aborted_txns().empty());
  EXPECT_EQ(batch_at(*l.log, abort_at)->horizon, k_later + 1 + k_retention_ms);
  ASSERT_TRUE(l.clean(k_later + 1 + k_retention_ms));
  EXPECT_FALSE(batch_at(*l.log, abort_at));
}

TEST(CleanerTransactions, AfterAnEpochBumpTheLastMarkerStaysEmpty) {
  // Transactions version 2: the coordinator bumps the epoch with every marker, so the producer's
  // last record is its marker, which keeps the epoch.
  cleaned_log l;
  auto& log = *l.log;
  l.produce(keyed("k", "committed", 80, 0, 0));            // 0
  const int64_t commit_at = end_txn(log, 80, true, 1, 2);  // 1, epoch 1
  l.produce(keyed("k", "plain"));                          // 2
  roll(log);
  // The data batch is not the producer's last record any more: it goes.
  ASSERT_TRUE(l.clean(k_now));
  EXPECT_FALSE(batch_at(log, 0));
  EXPECT_FALSE(batch_at(log, commit_at)->horizon);
  ASSERT_TRUE(l.clean(k_now + 1));
  EXPECT_EQ(batch_at(log, commit_at)->horizon, k_now + 1 + k_retention_ms);
  // Past the horizon its record goes, its batch stays, empty, while the producer is active.
  ASSERT_TRUE(l.clean(k_now + 1 + k_retention_ms));
  auto m = batch_at(log, commit_at);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->control);
  EXPECT_EQ(m->count, 0);
  EXPECT_EQ(m->pid, 80);
  EXPECT_EQ(no_dirt(read_committed(log, 1 << 20)), (records_t{{2, "k=plain"}}));
  // An empty control batch goes at once when it is nobody's last record.
  ASSERT_TRUE(l.clean(k_later));
  EXPECT_FALSE(batch_at(log, commit_at));
}

// Producers writing transactions that commit and abort, interleaved with plain records over a
// few keys, cleaned again and again as time passes: after every clean a read_committed consumer
// reads exactly the latest committed value of each key below the cleaned offset (and the rest
// as before), a read_uncommitted one reads the same there (no aborted record is left), and every
// transaction index entry has its marker.
TEST(CleanerTransactions, ReadCommittedIsKeptAndAbortedRecordsGoWhateverTheMix) {
  auto c = compacted();
  c.segment_bytes = 900;
  for (unsigned seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(seed);
    cleaned_log l(c);
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    struct producer {
      bool open = false;
      int32_t seq = 0;
    };
    std::map<int64_t, producer> producers{{100, {}}, {101, {}}, {102, {}}, {103, {}}};
    for (int step = 0; step < 400; ++step) {
      const int what = pick(100);
      const auto key = "k" + std::to_string(pick(15));
      if (what < 35) {
        l.produce(keyed(key, "plain" + std::to_string(step)));
      } else if (what < 80) {
        const int64_t pid = 100 + pick(4);
        auto& p = producers[pid];
        l.produce(
            keyed(key, "txn" + std::to_string(pid) + "-" + std::to_string(step), pid, p.seq++));
        p.open = true;
      } else if (what < 96) {
        const int64_t pid = 100 + pick(4);
        if (producers[pid].open) end_txn(*l.log, pid, pick(2) == 0);
        producers[pid].open = false;
      } else {
        roll(*l.log);
      }
    }
    // Producer 103's last transaction stays open for the first clean, which stops before it.
    for (auto& [pid, p] : producers)
      if (p.open && pid != 103) end_txn(*l.log, pid, pick(2) == 0);
    if (!producers[103].open) l.produce(keyed("k1", "open", 103, producers[103].seq++));
    l.produce(keyed("k0", "last"));
    ASSERT_GT(l.log->segment_count(), 8u);
    ASSERT_FALSE(l.log->aborted_txns().empty());

    int aborted_markers = -1;
    for (int64_t now : {k_now, k_now + 1, k_now + 1 + k_retention_ms, k_later, k_later + 1,
                        k_later + 1 + k_retention_ms, k_later + 2 + k_retention_ms}) {
      SCOPED_TRACE(now);
      if (now == k_now + 1) end_txn(*l.log, 103, pick(2) == 0);
      l.add_dirt();
      const auto committed_before = read_committed(*l.log, 1 << 20);
      auto stats = l.cleaner->clean_once(now);
      ASSERT_TRUE(stats.has_value());
      const int64_t end = stats->end_offset;
      // A read_committed consumer: the latest committed record of each key below `end`, every
      // record from `end` on as before.
      std::map<std::string, std::pair<int64_t, std::string>> latest;
      records_t expected;
      for (const auto& [offset, kv] : committed_before) {
        if (offset >= end) {
          expected.emplace_back(offset, kv);
          continue;
        }
        latest.insert_or_assign(kv.substr(0, kv.find('=')), std::pair(offset, kv));
      }
      for (const auto& [k, r] : latest) expected.push_back(r);
      std::sort(expected.begin(), expected.end());
      EXPECT_EQ(read_committed(*l.log, 1 << 20), expected);
      EXPECT_EQ(read_committed(*l.log, 300), expected);
      // A read_uncommitted one reads the same below `end`.
      records_t below;
      for (const auto& r : read_uncommitted(*l.log))
        if (r.first < end) below.push_back(r);
      records_t committed_below;
      for (const auto& r : expected)
        if (r.first < end) committed_below.push_back(r);
      EXPECT_EQ(below, committed_below);
      expect_index_matches_markers(*l.log);
      aborted_markers = 0;
      for (const auto& b : batches(*l.log))
        if (b.marker == 0 && b.last < end) ++aborted_markers;
    }
    // Long after, with every producer expired, no ABORT marker is left in the cleaned part.
    EXPECT_EQ(aborted_markers, 0);
    const auto before = read_committed(*l.log, 1 << 20);
    l.reopen();
    EXPECT_EQ(read_committed(*l.log, 1 << 20), before);
    expect_index_matches_markers(*l.log);
  }
}

// Copies a partition folder as it is at one instant: what a crash would leave.
void snapshot(const fs::path& from, const fs::path& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

TEST(CleanerTransactions, AnInterruptedSwapKeepsOnlyEntriesWhoseMarkerIsThere) {
  cleaned_log l;
  const auto dir = l.d.path / "t-0";
  l.produce(keyed("a", "aborted", 90, 0));  // 0
  l.produce(keyed("x", "x0"));              // 1
  roll(*l.log);
  const int64_t abort_at = end_txn(*l.log, 90, false);  // 2
  l.produce(keyed("y", "y0"));                          // 3
  roll(*l.log);
  const auto entry = l.log->aborted_txns();
  ASSERT_EQ(entry, (std::vector<aborted_txn>{{90, 0, 2, 3}}));
  const records_t committed{{1, "x=x0"}, {3, "y=y0"}};

  // Crash images at the swap of each clean: the cleaned segment renamed to .swap, the old ones
  // all there (b); then the cleaned segment's transaction index written in place of the first
  // old one's and the other old segments deleted (c). Every clean here makes one group of all
  // the sealed segments.
  const auto crashes = l.d.path / "crashes";
  fs::create_directories(crashes);
  int calls = 0;
  std::string stage;
  std::vector<int64_t> replaced;
  l.cleaner = std::make_unique<log_cleaner>(cleaner_config{}, l.d.path);
  l.cleaner->attach(*l.log, "t", 0, [&](std::function<void()> f) {
    if (calls++ % 2 == 0) {
      replaced.clear();
      const auto view = l.log->view();
      for (const auto& s : view->sealed) replaced.push_back(s.base);
      snapshot(dir, crashes / (stage + "b"));
      for (const auto& e : fs::directory_iterator(crashes / (stage + "b")))
        if (e.path().extension() == ".cleaned")
          fs::rename(e.path(), fs::path(e.path()).replace_extension(".swap"));
    }
    f();
  });
  auto image_c = [&] {
    const auto c = crashes / (stage + "c");
    snapshot(crashes / (stage + "b"), c);
    for (int64_t base : replaced)
      for (const char* ext : {".index", ".timeindex", ".txnindex", ".log"})
        if (base != 0 || std::string(ext) == ".txnindex") fs::remove(c / segment_name(base, ext));
    if (fs::exists(dir / segment_name(0, ".txnindex")))
      fs::copy_file(dir / segment_name(0, ".txnindex"), c / segment_name(0, ".txnindex"));
  };
  auto reopen_images = [&](const std::vector<aborted_txn>& allowed) {
    for (const char* image : {"b", "c"}) {
      SCOPED_TRACE(stage + image);
      const auto copy = l.d.path / "reopen";
      snapshot(crashes / (stage + image), copy);
      auto reopened = testing::open_log(copy, l.c, false);
      ASSERT_TRUE(reopened);
      EXPECT_EQ(no_dirt(read_committed(*reopened, 1 << 20)), committed);
      expect_index_matches_markers(*reopened);
      for (const auto& t : reopened->aborted_txns())
        EXPECT_NE(std::find(allowed.begin(), allowed.end(), t), allowed.end());
      ASSERT_TRUE(reopened->close());
    }
  };

  // First clean: the aborted record goes, the marker and its entry stay.
  stage = "1";
  ASSERT_TRUE(l.clean(k_later));
  ASSERT_EQ(l.log->aborted_txns(), entry);
  image_c();
  reopen_images(entry);
  // Second: the entry goes, the marker is stamped (an image may keep the entry: its marker is
  // there).
  stage = "2";
  ASSERT_TRUE(l.clean(k_later + 1));
  ASSERT_TRUE(l.log->aborted_txns().empty());
  image_c();
  reopen_images(entry);
  // Third: the marker goes. An old segment's index that still names it (as an older broker
  // could leave it) does not bring the entry back.
  stage = "3";
  ASSERT_TRUE(l.clean(k_later + 1 + k_retention_ms));
  ASSERT_FALSE(batch_at(*l.log, abort_at));
  image_c();
  const auto stale = encode_txn_index(entry);
  for (const char* image : {"b", "c"})
    for (int64_t base : replaced)
      if (fs::exists(crashes / (std::string("3") + image) / segment_name(base, ".log")))
        ASSERT_TRUE(write_file_atomic(
            crashes / (std::string("3") + image) / segment_name(base, ".txnindex"), stale));
  reopen_images({});
}

}  // namespace
}  // namespace brook::storage
