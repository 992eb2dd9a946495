#include "storage/cleaner.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "base/clock.h"
#include "base/log.h"
#include "protocol/records/byte_order.h"
#include "protocol/records/record_batch.h"
#include "protocol/wire/reader.h"
#include "storage/offset_map.h"
#include "storage/partition_log.h"
#include "storage/validator.h"

namespace brook::storage {

namespace {

namespace rec = protocol::records;
const log::logger lg("cleaner");

constexpr const char* k_checkpoint_file = "cleaner-offset-checkpoint";
constexpr size_t k_max_uncompressed = 256u << 20;

failure<storage_error> aborted(std::string why) {
  return failure{storage_error{std::move(why), storage_errc::aborted}};
}

// Kafka's logSegments(from, to) over the sealed segments: those with a base offset in
// [base of the one holding `from`, to), as indices [first, last).
std::pair<size_t, size_t> segments_in(const log_view& v, int64_t from, int64_t to) {
  const auto& s = v.sealed;
  if (from >= to) return {0, 0};
  auto upper = std::upper_bound(s.begin(), s.end(), from,
                                [](int64_t o, const sealed_segment& x) { return o < x.base; });
  size_t first = upper == s.begin() ? 0 : static_cast<size_t>(upper - s.begin()) - 1;
  size_t last = first;
  while (last < s.size() && s[last].base < to) ++last;
  return {first, last};
}

int64_t bytes_of(const log_view& v, std::pair<size_t, size_t> range) {
  int64_t n = 0;
  for (size_t i = range.first; i < range.second; ++i) n += v.sealed[i].size;
  return n;
}

// Kafka's LogSegment.largestTimestamp: the largest record timestamp, else the file's time.
int64_t largest_timestamp(const sealed_segment& s) {
  if (s.max_ts >= 0) return s.max_ts;
  auto m = s.log->modified_ms();
  return m ? *m : 0;
}

// The max timestamp of the segment's first batch (Kafka's getFirstBatchTimestamp), or INT64_MAX.
int64_t first_batch_timestamp(const sealed_segment& s) {
  if (s.size < static_cast<int64_t>(rec::k_batch_header_size)) return INT64_MAX;
  uint8_t h[rec::k_batch_header_size];
  auto got = s.log->read_at(0, {h, sizeof h});
  if (!got || *got != sizeof h) return INT64_MAX;
  const int64_t ts = rec::load_be<int64_t>(h + 35);
  return ts >= 0 ? ts : INT64_MAX;
}

// Kafka's Throttler: sleeps when the bytes of a 300 ms period came faster than the rate.
class throttler {
 public:
  explicit throttler(double bytes_per_second) : _rate(bytes_per_second) {}
  void observe(int64_t bytes, const std::atomic<bool>& stopping) {
    if (_rate >= 1e300 || _rate <= 0) return;
    _observed += bytes;
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - _start).count();
    if (elapsed < 0.3) return;
    const double wanted = double(_observed) / _rate;
    if (wanted > elapsed) {
      auto until = now + std::chrono::duration<double>(wanted - elapsed);
      while (!stopping.load() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    _observed = 0;
    _start = std::chrono::steady_clock::now();
  }

 private:
  double _rate;
  int64_t _observed = 0;
  std::chrono::steady_clock::time_point _start = std::chrono::steady_clock::now();
};

// A record's decision: kept whole, or dropped.
struct kept_record {
  const rec::record* r;
  int64_t timestamp;
};

// The transactions met while a clean visits batches in offset order (Kafka's
// CleanedTransactionMetadata). An aborted transaction of the log becomes ongoing for its producer
// once the visit reaches its first offset; the producer's transactional batches are then its data
// and may go, until its ABORT marker. Any other transactional batch makes its producer's
// transaction an ongoing committed one, until the COMMIT marker. A marker whose transaction had no
// batch left in this visit may go (after its delete horizon); an ABORT marker that had some stays,
// and its transaction goes into the transaction index of the segment being written.
class txn_tracker {
 public:
  // `aborted`: the log's aborted transactions (any order; each once).
  explicit txn_tracker(std::vector<aborted_txn> aborted) : _aborted(std::move(aborted)) {
    std::sort(_aborted.begin(), _aborted.end(), [](const aborted_txn& a, const aborted_txn& b) {
      return a.first_offset < b.first_offset;
    });
  }

  // A data batch: true when it belongs to an aborted transaction (all its records may go).
  bool on_batch(const rec::batch_view& b) {
    reach(b.last_offset());
    if (!b.is_transactional()) return false;
    if (auto it = _ongoing_aborted.find(b.producer_id()); it != _ongoing_aborted.end()) {
      it->second.seen = true;
      return true;
    }
    _ongoing_committed.insert(b.producer_id());
    return false;
  }

  // A control batch and its records: true when it may go (Kafka keeps a control record of
  // another type). An ABORT marker that stays adds its transaction to `index` (the transaction
  // index of the segment being written), if any.
  bool on_control(const rec::batch_view& b, const std::vector<rec::record>& records,
                  std::vector<aborted_txn>* index = nullptr) {
    reach(b.last_offset());
    // An empty control batch: a marker an earlier clean emptied.
    if (records.empty()) return true;
    if (!records.front().key) return false;
    const auto type = rec::parse_control_key(records.front().key->span()).type;
    if (type == static_cast<int16_t>(rec::control_type::abort)) {
      auto it = _ongoing_aborted.find(b.producer_id());
      if (it == _ongoing_aborted.end()) return true;
      const auto ended = it->second;
      _ongoing_aborted.erase(it);
      if (!ended.seen) return true;
      if (index) index->push_back(ended.txn);
      return false;
    }
    if (type == static_cast<int16_t>(rec::control_type::commit))
      return _ongoing_committed.erase(b.producer_id()) == 0;
    return false;
  }

 private:
  void reach(int64_t offset) {
    for (; _next < _aborted.size() && _aborted[_next].first_offset <= offset; ++_next)
      _ongoing_aborted.try_emplace(_aborted[_next].producer_id, ongoing{_aborted[_next], false});
  }

  struct ongoing {
    aborted_txn txn;
    // A batch of it was met in this visit.
    bool seen = false;
  };
  std::vector<aborted_txn> _aborted;
  size_t _next = 0;
  std::unordered_map<int64_t, ongoing> _ongoing_aborted;
  std::unordered_set<int64_t> _ongoing_committed;
};

// Each aborted transaction once (a swap finished at start may have listed one twice).
std::vector<aborted_txn> unique_aborted(std::vector<aborted_txn> all) {
  std::sort(all.begin(), all.end(), [](const aborted_txn& a, const aborted_txn& b) {
    return std::pair(a.producer_id, a.last_offset) < std::pair(b.producer_id, b.last_offset);
  });
  all.erase(std::unique(all.begin(), all.end(),
                        [](const aborted_txn& a, const aborted_txn& b) {
                          return a.producer_id == b.producer_id && a.last_offset == b.last_offset;
                        }),
            all.end());
  return all;
}

}  // namespace

// ---- cleanable_log ------------------------------------------------------------------------------

std::shared_ptr<const log_view> cleanable_log::view() const {
  std::lock_guard l(_mu);
  return _view;
}

bool cleanable_log::attached() const {
  std::lock_guard l(_mu);
  return _attached;
}

void cleanable_log::publish(std::shared_ptr<const log_view> v) {
  std::lock_guard l(_mu);
  if (_attached) _view = std::move(v);
}

void cleanable_log::detach(bool removed) {
  {
    std::lock_guard l(_mu);
    if (!_attached) return;
    _attached = false;
    _view.reset();
  }
  owner = nullptr;
  if (removed && on_removed) on_removed();
}

bool cleanable_log::while_attached(const std::function<void()>& f) {
  std::lock_guard l(_mu);
  if (!_attached) return false;
  f();
  return true;
}

// ---- log_cleaner --------------------------------------------------------------------------------

struct log_cleaner::worker {
  std::thread thread;
  std::unique_ptr<offset_map> map;
};

namespace {

// One clean of one log on one cleaner thread (Kafka's Cleaner.doClean).
class cleaning {
 public:
  cleaning(const log_to_clean& job, const cleaner_config& config, offset_map& map, int64_t now,
           const std::atomic<bool>& stopping)
      : _job(job),
        _view(*job.view),
        _config(config),
        _map(map),
        _now(now),
        _stopping(stopping),
        _io_chunk(std::max<size_t>(
            4096, static_cast<size_t>(
                      std::max(1, config.io_buffer_size / std::max(1, config.threads) / 2)))),
        _throttle(config.io_max_bytes_per_second) {}

  result<clean_stats, storage_error> run();

 private:
  // Kafka's checkDone: the cleaner stops, or the log was closed or deleted.
  result<void, storage_error> check_stop() const {
    if (_stopping.load()) return aborted("the cleaner is stopping");
    if (!_job.log->attached()) return aborted("the log was closed");
    return {};
  }
  result<void, storage_error> find_active_producers();
  result<void, storage_error> build_offset_map();
  std::vector<std::vector<size_t>> group_segments(size_t count) const;
  result<void, storage_error> clean_group(const std::vector<size_t>& group);
  // Runs f(log) on the log's owner thread and waits for its result.
  result<void, storage_error> on_owner(
      const std::function<result<void, storage_error>(partition_log&)>& f);
  // The batch as it goes into the cleaned segment (empty: dropped).
  result<wire::byte_buffer, storage_error> filter_batch(std::span<const uint8_t> bytes,
                                                        bool& original);
  // Calls f(batch) for the batches of `s` (with their bytes when `whole`) until f returns false.
  template <class F>
  result<void, storage_error> for_each_batch(const sealed_segment& s, bool whole, F f);

  const log_to_clean& _job;
  const log_view& _view;
  const cleaner_config& _config;
  offset_map& _map;
  const int64_t _now;
  const std::atomic<bool>& _stopping;
  const size_t _io_chunk;
  throttler _throttle;
  // Kafka's lastRecordsOfActiveProducers, for the producers still active: the last offset of
  // the last data batch at the producer's latest epoch (-1 when a marker bumped the epoch since,
  // as transactions version 2 does at every end), and that epoch.
  struct last_record {
    int64_t data_offset = -1;
    int16_t epoch = -1;
  };
  std::unordered_map<int64_t, last_record> _producers;
  // The batch holds its producer's last sequence (its last data batch), or, when the producer
  // has none at its epoch, its last marker (the epoch): it stays, emptied if need be.
  bool last_of_producer(const rec::batch_view& v) const {
    const auto it = _producers.find(v.producer_id());
    if (v.producer_id() < 0 || it == _producers.end()) return false;
    if (it->second.data_offset >= 0) return v.last_offset() == it->second.data_offset;
    return v.is_control() && v.producer_epoch() == it->second.epoch;
  }
  // The transactions met by the rewrite, over all groups of this clean, and the transaction
  // index of the segment being written.
  std::optional<txn_tracker> _txns;
  std::vector<aborted_txn> _index;
  clean_stats _stats;
};

template <class F>
result<void, storage_error> cleaning::for_each_batch(const sealed_segment& s, bool whole, F f) {
  scanner sc(*s.log, 0, s.size, whole, false, _io_chunk);
  for (;;) {
    if (auto r = check_stop(); !r) return r;
    auto b = sc.next();
    if (!b) return failure{b.error()};
    if (!*b) break;
    _throttle.observe((*b)->size, _stopping);
    auto more = f(**b);
    if (!more) return failure{more.error()};
    if (!*more) return {};
  }
  if (!sc.invalid().empty())
    return io_error(fmt::format("{}: unreadable segment {}: {}", _job.log->dir.string(),
                                segment_name(s.base, ".log"), sc.invalid()));
  return {};
}

result<void, storage_error> cleaning::find_active_producers() {
  // Every producer's last record in the sealed segments as its producer state follows them (a
  // new epoch forgets the batches of the one before; an empty control batch changes nothing),
  // and the time of its last batch. A producer whose last batch is in the active segment only
  // makes this keep one more empty batch than Kafka.
  std::unordered_map<int64_t, std::pair<last_record, int64_t>> last;
  for (const auto& s : _view.sealed) {
    auto r = for_each_batch(s, false, [&](const batch_info& b) -> result<bool, storage_error> {
      const bool control = b.attributes & rec::k_attr_control;
      if (b.producer_id < 0 || (control && b.size <= int64_t{rec::k_batch_header_size}))
        return true;
      auto& [at, ts] = last[b.producer_id];
      if (b.producer_epoch != at.epoch) at = {-1, b.producer_epoch};
      if (!control) at.data_offset = b.last_offset;
      ts = b.max_timestamp;
      return true;
    });
    if (!r) return r;
  }
  for (const auto& [pid, at] : last)
    if (_now - at.second < _config.producer_id_expiration_ms) _producers[pid] = at.first;
  return {};
}

result<void, storage_error> cleaning::build_offset_map() {
  _map.clear();
  const int64_t start = _job.first_dirty, end = _job.first_uncleanable;
  const auto dirty = segments_in(_view, start, end);
  const auto max_size = std::min<size_t>(
      static_cast<size_t>(double(_map.slots()) * _config.dedupe_buffer_load_factor),
      _map.slots() - 1);
  // Records of aborted transactions stay out of the map: read_committed consumers never see
  // them, so they must not make a committed record of their key look superseded.
  std::vector<aborted_txn> aborted;
  for (const auto& t : _view.aborted)
    if (t.last_offset >= start && t.first_offset < end) aborted.push_back(t);
  txn_tracker txns(unique_aborted(std::move(aborted)));
  for (size_t i = dirty.first; i < dirty.second; ++i) {
    const auto& s = _view.sealed[i];
    const int64_t next_start = i + 1 < dirty.second ? _view.sealed[i + 1].base : end;
    bool full = false;
    auto r = for_each_batch(s, true, [&](const batch_info& b) -> result<bool, storage_error> {
      _stats.bytes_read += b.size;
      if (b.last_offset < start) return true;
      rec::batch_view v(b.bytes);
      bool map_it = false;
      try {
        if (v.is_control())
          txns.on_control(v, rec::decode_records(v, k_max_uncompressed));
        else
          map_it = !txns.on_batch(v);
      } catch (const wire::decode_error& e) {
        return io_error(fmt::format("{}: unreadable batch at offset {}: {}", _job.log->dir.string(),
                                    b.base_offset, e.what()));
      }
      if (map_it) {
        try {
          for (const auto& record : rec::decode_records(v, k_max_uncompressed)) {
            const int64_t offset = v.offset_of(record);
            if (record.key && offset >= start) {
              // Kafka's rule: a full map stops the clean there, mid-batch if need be.
              if (_map.size() >= max_size) {
                full = true;
                return false;
              }
              _map.put(record.key->span(), offset);
            }
          }
        } catch (const wire::decode_error& e) {
          return io_error(fmt::format("{}: unreadable batch at offset {}: {}",
                                      _job.log->dir.string(), b.base_offset, e.what()));
        }
      }
      _map.update_latest_offset(b.last_offset);
      return true;
    });
    if (!r) return r;
    if (full) {
      _stats.map_full = true;
      lg.info("{}: offset map full ({} keys) in segment {}; cleaning up to offset {}",
              _job.log->dir.string(), _map.size(), s.base, _map.latest_offset() + 1);
      break;
    }
    // Offsets missing at the end of a segment (compacted before) are covered too.
    _map.update_latest_offset(next_start - 1);
  }
  return {};
}

std::vector<std::vector<size_t>> cleaning::group_segments(size_t count) const {
  // Kafka's groupSegmentsBySize: as many consecutive segments as fit in segment.bytes of log and
  // segment.index.bytes of each index, with offsets relative to the group's base within int32.
  const auto& s = _view.sealed;
  const int64_t max_size = _view.config.segment_bytes;
  const int64_t max_index = _view.config.segment_index_bytes;
  std::vector<std::vector<size_t>> groups;
  size_t i = 0;
  while (i < count) {
    std::vector<size_t> g{i};
    int64_t log_size = s[i].size;
    int64_t index_size = static_cast<int64_t>(s[i].index_entries) * 8;
    int64_t time_size = static_cast<int64_t>(s[i].time_entries) * 12;
    ++i;
    while (i < count && log_size + s[i].size <= max_size &&
           index_size + static_cast<int64_t>(s[i].index_entries) * 8 <= max_index &&
           time_size + static_cast<int64_t>(s[i].time_entries) * 12 <= max_index) {
      const int64_t last_offset = i + 1 < count ? s[i + 1].base - 1 : _job.first_uncleanable - 1;
      if (s[i].size != 0 && last_offset - s[g.front()].base > INT32_MAX) break;
      g.push_back(i);
      log_size += s[i].size;
      index_size += static_cast<int64_t>(s[i].index_entries) * 8;
      time_size += static_cast<int64_t>(s[i].time_entries) * 12;
      ++i;
    }
    groups.push_back(std::move(g));
  }
  return groups;
}

result<wire::byte_buffer, storage_error> cleaning::filter_batch(std::span<const uint8_t> bytes,
                                                                bool& original) {
  original = false;
  rec::batch_view v(bytes);
  const bool control = v.is_control();
  // Kafka keeps an emptied batch when it holds an active producer's last sequence (or last
  // epoch), or when it is the last one before the uncleanable part (so the last offset is not
  // lost).
  const bool retain_empty = last_of_producer(v) || v.last_offset() + 1 == _job.first_uncleanable;
  const auto horizon = v.delete_horizon();
  auto unreadable = [&](const wire::decode_error& e) {
    return io_error(fmt::format("{}: unreadable batch at offset {}: {}", _job.log->dir.string(),
                                v.base_offset(), e.what()));
  };

  std::vector<rec::record> records;
  // The batch may go as far as transactions go: a data batch of an aborted transaction, or a
  // marker with no batch of its transaction left (which goes only once its delete horizon
  // passed: the first clean that finds it so stamps it, as tombstones are).
  bool discardable = false, discard_records = false;
  try {
    if (control) {
      records = rec::decode_records(v, k_max_uncompressed);
      discardable = _txns->on_control(v, records, &_index);
      discard_records = discardable && horizon && *horizon <= _now;
    } else {
      discardable = discard_records = _txns->on_batch(v);
      if (discard_records) {
        _stats.records_read += v.record_count();
        if (!retain_empty) return wire::byte_buffer{};
      } else {
        records = rec::decode_records(v, k_max_uncompressed);
      }
    }
  } catch (const wire::decode_error& e) {
    return unreadable(e);
  }
  _stats.records_read += static_cast<int64_t>(records.size());
  std::vector<kept_record> kept;
  bool tombstones = false;
  for (const auto& r : records) {
    const int64_t offset = v.offset_of(r);
    bool keep;
    if (discard_records) {
      keep = false;
    } else if (control || offset > _map.latest_offset()) {
      keep = true;
    } else if (!r.key) {
      keep = false;
    } else {
      const bool latest = offset >= _map.get(r.key->span());
      const bool retain_delete = !horizon || _now < *horizon;
      keep = latest && (r.value.has_value() || retain_delete);
    }
    if (!keep) continue;
    kept.push_back({&r, v.timestamp_of(r)});
    if (!r.value) tombstones = true;
  }
  _stats.records_kept += static_cast<int64_t>(kept.size());
  const bool set_horizon = (tombstones || (control && discardable)) && !horizon;
  if (!kept.empty() && kept.size() == records.size() && !set_horizon) {
    original = true;
    return wire::byte_buffer{};
  }
  rec::batch_header h = v.header();
  const int16_t kept_flags = rec::k_attr_codec_mask | rec::k_attr_log_append_time |
                             rec::k_attr_transactional | rec::k_attr_control;
  if (kept.empty()) {
    if (!retain_empty) return wire::byte_buffer{};
    // Kafka's empty batch: the header alone, uncompressed, no base timestamp.
    h.attributes = static_cast<int16_t>(h.attributes & (kept_flags & ~rec::k_attr_codec_mask));
    h.base_timestamp = rec::k_no_timestamp;
    return rec::encode_batch(h, {});
  }
  std::optional<int64_t> new_horizon =
      set_horizon ? std::optional<int64_t>(_now + _view.config.delete_retention_ms) : horizon;
  h.attributes = static_cast<int16_t>((h.attributes & kept_flags) |
                                      (new_horizon ? rec::k_attr_delete_horizon : 0));
  h.base_timestamp = new_horizon ? *new_horizon : kept.front().timestamp;
  if (v.ts_type() == rec::timestamp_type::create_time) {
    h.max_timestamp = rec::k_no_timestamp;
    for (const auto& k : kept) h.max_timestamp = std::max(h.max_timestamp, k.timestamp);
  }
  std::vector<rec::record> out;
  out.reserve(kept.size());
  for (const auto& k : kept) {
    rec::record r = *k.r;
    r.attributes = 0;
    r.timestamp_delta = k.timestamp - h.base_timestamp;
    out.push_back(std::move(r));
  }
  const auto codec = v.compression();
  return rec::encode_batch(h, out, compression_options(log_config{}, codec));
}

result<void, storage_error> cleaning::on_owner(
    const std::function<result<void, storage_error>(partition_log&)>& f) {
  // The task refers to `f` and what it captures: this thread waits until the task ran, or was
  // destroyed without running (its promise then breaks).
  auto done = std::make_shared<std::promise<result<void, storage_error>>>();
  auto result = done->get_future();
  _job.log->run_on_owner([done, &f, log = _job.log] {
    done->set_value(log->owner ? f(*log->owner) : aborted("the log was closed"));
  });
  try {
    return result.get();
  } catch (const std::future_error&) {
    return aborted("the log's owner is gone");
  }
}

result<void, storage_error> cleaning::clean_group(const std::vector<size_t>& group) {
  const auto& dir = _job.log->dir;
  const auto& first = _view.sealed[group.front()];
  const int64_t base = first.base;
  cleaned_segment c;
  c.base = base;
  c.next_offset = base;
  auto cleaned_path = [&](const char* ext) { return dir / (segment_name(base, ext) + ".cleaned"); };
  std::string open_error;
  const bool attached = _job.log->while_attached([&] {
    for (auto [ext, f] : {std::pair{".log", &c.log}, std::pair{".index", &c.index},
                          std::pair{".timeindex", &c.timeindex}}) {
      auto opened = file::open(cleaned_path(ext), true);
      if (!opened) {
        open_error = opened.error();
        return;
      }
      *f = *opened;
      (void)(*f)->truncate(0);
    }
  });
  // Drops the files written for the group (if the log is still there: a log deleted and created
  // again under the same name may have files of these names).
  auto discard = [&] {
    c = {};
    _job.log->while_attached([&] {
      std::error_code ec;
      for (const char* ext : {".log", ".index", ".timeindex"})
        std::filesystem::remove(cleaned_path(ext), ec);
    });
  };
  if (!attached) return aborted("the log was closed");
  if (!open_error.empty()) {
    discard();
    return io_error(open_error);
  }

  wire::byte_buffer out;
  auto flush_out = [&]() -> result<void, storage_error> {
    if (out.empty()) return {};
    if (auto r = c.log->write_at(c.size - static_cast<int64_t>(out.size()), out); !r)
      return io_error(r.error());
    _throttle.observe(static_cast<int64_t>(out.size()), _stopping);
    _stats.bytes_written += static_cast<int64_t>(out.size());
    out.clear();
    return {};
  };
  auto write_batch = [&](std::span<const uint8_t> bytes) -> result<void, storage_error> {
    batch_info b;
    b.position = c.size;
    b.size = static_cast<int64_t>(bytes.size());
    rec::batch_view v(bytes);
    b.last_offset = v.last_offset();
    c.indexes.add(c.base, b.position, b.size, b.last_offset, v.max_timestamp(), b.last_offset,
                  _view.config.index_interval_bytes);
    out.insert(out.end(), bytes.begin(), bytes.end());
    c.size += b.size;
    c.next_offset = b.last_offset + 1;
    if (out.size() >= _io_chunk) return flush_out();
    return {};
  };

  _index.clear();
  auto cleaned = [&]() -> result<void, storage_error> {
    for (size_t i : group) {
      auto r = for_each_batch(_view.sealed[i], true,
                              [&](const batch_info& b) -> result<bool, storage_error> {
                                _stats.bytes_read += b.size;
                                bool original = false;
                                auto filtered = filter_batch(b.bytes, original);
                                if (!filtered) return failure{filtered.error()};
                                result<void, storage_error> w;
                                if (original)
                                  w = write_batch(b.bytes);
                                else if (!filtered->empty())
                                  w = write_batch(*filtered);
                                if (!w) return failure{w.error()};
                                return true;
                              });
      if (!r) return r;
    }
    if (auto r = flush_out(); !r) return r;
    // The ABORT markers kept with data of theirs make the new segment's transaction index.
    c.aborted = std::move(_index);
    // The indexes, then everything on disk before the swap.
    wire::byte_buffer idx, tix;
    for (const auto& e : c.indexes.index_entries) {
      auto b = segment_indexes::encode(e);
      idx.insert(idx.end(), b.begin(), b.end());
    }
    for (const auto& e : c.indexes.time_entries) {
      auto b = segment_indexes::encode(e);
      tix.insert(tix.end(), b.begin(), b.end());
    }
    for (auto [f, bytes] : {std::pair{&c.index, &idx}, std::pair{&c.timeindex, &tix}})
      if (auto r = (*f)->write_at(0, *bytes); !r) return io_error(r.error());
    for (auto* f : {&c.log, &c.index, &c.timeindex})
      if (auto r = (*f)->sync(); !r) return io_error(r.error());
    // Kafka keeps the last modified time of the segments it replaces.
    if (auto m = _view.sealed[group.back()].log->modified_ms()) (void)c.log->set_modified_ms(*m);
    return check_stop();
  }();
  if (!cleaned) {
    discard();
    return cleaned;
  }

  // The swap, in two steps on the owner's thread; the folder syncs between them run here.
  std::vector<std::shared_ptr<file>> old_logs;
  for (size_t i : group) old_logs.push_back(_view.sealed[i].log);
  auto prepared = on_owner([&](partition_log& l) { return l.prepare_swap(old_logs, base); });
  if (!prepared) {
    discard();
    return prepared;
  }
  sync_dir(dir);
  // Failing from here, the log dropped the .swap files itself, or (closed) the next start
  // completes the swap.
  auto swapped =
      on_owner([&](partition_log& l) { return l.replace_segments(old_logs, std::move(c)); });
  if (!swapped) return swapped;
  sync_dir(dir);
  ++_stats.groups;
  return {};
}

result<clean_stats, storage_error> cleaning::run() {
  _stats.first_dirty = _job.first_dirty;
  if (auto r = find_active_producers(); !r) return failure{r.error()};
  if (auto r = build_offset_map(); !r) return failure{r.error()};
  // The rewrite starts at the log start: every aborted transaction of the log may matter.
  _txns.emplace(unique_aborted(_view.aborted));
  const int64_t end_offset = _map.latest_offset() + 1;
  _stats.end_offset = std::max(end_offset, _job.first_dirty);
  if (end_offset <= _job.first_dirty) return _stats;
  size_t count = 0;
  while (count < _view.sealed.size() && _view.sealed[count].base < end_offset) ++count;
  for (const auto& g : group_segments(count))
    if (auto r = clean_group(g); !r) return failure{r.error()};
  return _stats;
}

}  // namespace

log_cleaner::log_cleaner(cleaner_config config, std::filesystem::path log_dir)
    : _config(config), _log_dir(std::move(log_dir)) {
  auto text = read_small_file(_log_dir / k_checkpoint_file);
  if (!text) return;
  std::istringstream in(*text);
  int version = -1;
  size_t n = 0;
  in >> version >> n;
  std::string topic;
  int32_t partition;
  int64_t offset;
  while (version == 0 && in >> topic >> partition >> offset)
    _checkpoints[{topic, partition}] = offset;
}

log_cleaner::~log_cleaner() { stop(); }

void log_cleaner::start() {
  if (!_config.enable) return;
  const int32_t n = std::max(0, _config.threads);
  std::lock_guard l(_mu);
  for (int32_t i = 0; i < n; ++i) {
    auto w = std::make_unique<worker>();
    w->map = std::make_unique<offset_map>(_config.dedupe_buffer_size / std::max(1, n));
    auto* raw = w.get();
    w->thread = std::thread([this, raw] { run(*raw); });
    _workers.push_back(std::move(w));
  }
}

void log_cleaner::stop() {
  std::vector<std::unique_ptr<worker>> workers;
  {
    std::lock_guard l(_mu);
    _stopping = true;
    workers = std::move(_workers);
  }
  _wake.notify_all();
  for (auto& w : workers)
    if (w->thread.joinable()) w->thread.join();
}

void log_cleaner::run(worker& w) {
  for (;;) {
    if (_stopping.load()) return;
    if (clean_once(wall_clock_ms(), w.map.get())) continue;
    std::unique_lock l(_mu);
    _wake.wait_for(l, std::chrono::milliseconds(_config.backoff_ms),
                   [&] { return _stopping.load(); });
  }
}

std::shared_ptr<cleanable_log> log_cleaner::attach(partition_log& log, std::string topic,
                                                   int32_t partition,
                                                   cleanable_log::executor run_on_owner) {
  auto h = std::make_shared<cleanable_log>(topic, partition, log.dir(), std::move(run_on_owner));
  h->on_removed = [this, topic, partition] { forget(topic, partition); };
  {
    std::lock_guard l(_mu);
    _logs.push_back(h);
  }
  log.attach_cleaner(h);
  return h;
}

std::optional<int64_t> log_cleaner::checkpoint(const std::string& topic, int32_t partition) const {
  std::lock_guard l(_mu);
  auto it = _checkpoints.find({topic, partition});
  if (it == _checkpoints.end()) return std::nullopt;
  return it->second;
}

void log_cleaner::write_checkpoints_locked() {
  std::string text = fmt::format("0\n{}\n", _checkpoints.size());
  for (const auto& [tp, offset] : _checkpoints)
    text += fmt::format("{} {} {}\n", tp.first, tp.second, offset);
  if (auto r = write_file_atomic(_log_dir / k_checkpoint_file, text); !r)
    lg.error("cannot write {}: {}", k_checkpoint_file, r.error());
}

void log_cleaner::forget(const std::string& topic, int32_t partition) {
  std::lock_guard l(_mu);
  if (_checkpoints.erase({topic, partition})) write_checkpoints_locked();
}

log_to_clean log_cleaner::assess(std::shared_ptr<cleanable_log> log,
                                 std::shared_ptr<const log_view> view,
                                 std::optional<int64_t> checkpoint, int64_t now_ms) {
  const auto& v = *view;
  log_to_clean t;
  t.log = std::move(log);
  t.view = std::move(view);
  // A checkpoint below the log start (retention, DeleteRecords) or past the end (a log cut at
  // recovery) restarts from the log start.
  const int64_t cp = checkpoint.value_or(v.log_start);
  t.first_dirty = cp < v.log_start || cp > v.end ? v.log_start : cp;
  // Not past the last stable offset (an open transaction stays as it is) nor into the active
  // segment, nor into a segment with records younger than min.compaction.lag.ms.
  int64_t uncleanable = std::min({v.end, v.active_base, v.last_stable});
  const int64_t min_lag = std::max<int64_t>(v.config.min_compaction_lag_ms, 0);
  const auto dirty = segments_in(v, t.first_dirty, v.active_base);
  if (min_lag > 0)
    for (size_t i = dirty.first; i < dirty.second; ++i)
      if (largest_timestamp(v.sealed[i]) > now_ms - min_lag) {
        uncleanable = std::min(uncleanable, v.sealed[i].base);
        break;
      }
  uncleanable = std::max(t.first_dirty, uncleanable);
  // Kafka's calculateCleanableBytes: up to the start of the segment holding that offset.
  const auto from_uncleanable = segments_in(v, uncleanable, v.active_base);
  t.first_uncleanable = from_uncleanable.first < from_uncleanable.second
                            ? v.sealed[from_uncleanable.first].base
                            : v.active_base;
  t.cleanable_bytes = bytes_of(
      v, segments_in(v, std::min(t.first_dirty, t.first_uncleanable), t.first_uncleanable));
  size_t clean_count = 0;
  while (clean_count < v.sealed.size() && v.sealed[clean_count].base < t.first_dirty) ++clean_count;
  t.clean_bytes = bytes_of(v, {0, clean_count});
  // max.compaction.lag.ms: a dirty segment whose first batch is older forces a clean.
  const int64_t max_lag = std::max<int64_t>(v.config.max_compaction_lag_ms, 0);
  const int64_t clean_until = now_ms - max_lag;
  if (clean_until > 0) {
    int64_t earliest = INT64_MAX;
    for (size_t i = dirty.first; i < dirty.second; ++i)
      earliest = std::min(earliest, first_batch_timestamp(v.sealed[i]));
    t.need_compaction_now = earliest < clean_until;
  }
  return t;
}

std::optional<log_to_clean> log_cleaner::grab_filthiest(int64_t now_ms) {
  std::lock_guard l(_mu);
  std::optional<log_to_clean> best;
  std::erase_if(_logs, [](const auto& w) { return w.expired(); });
  for (const auto& weak : _logs) {
    auto log = weak.lock();
    if (!log ||
        std::find(_in_progress.begin(), _in_progress.end(), log.get()) != _in_progress.end())
      continue;
    auto view = log->view();
    if (!view || !view->config.compact) continue;
    const std::pair<std::string, int32_t> key{log->topic, log->partition};
    auto cp = _checkpoints.find(key);
    auto t = assess(log, view, cp == _checkpoints.end() ? std::nullopt : std::optional(cp->second),
                    now_ms);
    if (cp != _checkpoints.end() && cp->second != t.first_dirty) {
      _checkpoints[key] = t.first_dirty;
      write_checkpoints_locked();
    }
    if (t.clean_bytes + t.cleanable_bytes <= 0) continue;
    if (!((t.need_compaction_now && t.cleanable_bytes > 0) ||
          t.ratio() > view->config.min_cleanable_dirty_ratio))
      continue;
    if (!best || t.ratio() > best->ratio()) best = std::move(t);
  }
  if (best) _in_progress.push_back(best->log.get());
  return best;
}

void log_cleaner::done(const log_to_clean& job, std::optional<int64_t> end_offset) {
  std::lock_guard l(_mu);
  std::erase(_in_progress, job.log.get());
  if (end_offset && job.log->attached()) {
    _checkpoints[{job.log->topic, job.log->partition}] = *end_offset;
    write_checkpoints_locked();
  }
}

std::optional<clean_stats> log_cleaner::clean_once(int64_t now_ms, offset_map* map) {
  auto job = grab_filthiest(now_ms);
  if (!job) return std::nullopt;
  std::unique_ptr<offset_map> own;
  if (!map) {
    own = std::make_unique<offset_map>(_config.dedupe_buffer_size /
                                       std::max(1, std::max(0, _config.threads)));
    map = own.get();
  }
  lg.info("{}: cleaning offsets {} to {} ({} of {} bytes dirty)", job->log->dir.string(),
          job->first_dirty, job->first_uncleanable, job->cleanable_bytes,
          job->clean_bytes + job->cleanable_bytes);
  result<clean_stats, storage_error> r = aborted("not run");
  try {
    r = cleaning(*job, _config, *map, now_ms, _stopping).run();
  } catch (const std::exception& e) {
    // The offset map's memory (std::bad_alloc), or a batch that cannot be rebuilt.
    r = io_error(fmt::format("{}: {}", job->log->dir.string(), e.what()));
  }
  map->release();
  if (!r) {
    if (r.error().code == storage_errc::aborted)
      lg.info("{}: cleaning stopped: {}", job->log->dir.string(), r.error().message);
    else
      lg.error("{}: cleaning failed: {}", job->log->dir.string(), r.error().message);
    done(*job, std::nullopt);
    return std::nullopt;
  }
  lg.info(
      "{}: cleaned up to offset {}: {} segment group(s), {} of {} records kept, {} bytes read, {} "
      "written",
      job->log->dir.string(), r->end_offset, r->groups, r->records_kept, r->records_read,
      r->bytes_read, r->bytes_written);
  done(*job, r->end_offset);
  return *r;
}

}  // namespace brook::storage
