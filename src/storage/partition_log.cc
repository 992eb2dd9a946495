#include "storage/partition_log.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>

#include "base/clock.h"
#include "base/log.h"
#include "protocol/records/byte_order.h"
#include "protocol/records/record_batch.h"
#include "storage/cleaner.h"

namespace brook::storage {

namespace {

namespace rec = protocol::records;
using rec::load_be;
using rec::store_be;

const log::logger lg("storage");

constexpr int64_t k_batch_header = static_cast<int64_t>(rec::k_batch_header_size);
constexpr size_t k_max_uncompressed = 256u << 20;
// Every file of a segment, the .log last.
constexpr const char* k_segment_exts[] = {".index", ".timeindex", ".txnindex", ".log"};

// What a stored batch says about its producer; for a control batch `bytes` must hold the whole
// batch, whose record tells the marker.
producer_append producer_append_of(const batch_info& b, std::span<const uint8_t> bytes) {
  const int32_t delta = static_cast<int32_t>(b.last_offset - b.base_offset);
  producer_append a;
  a.producer_id = b.producer_id;
  a.epoch = b.producer_epoch;
  a.first_seq = b.base_sequence;
  a.last_seq = b.base_sequence < 0
                   ? -1
                   : static_cast<int32_t>((int64_t{b.base_sequence} + delta) %
                                          (int64_t{std::numeric_limits<int32_t>::max()} + 1));
  a.first_offset = b.base_offset;
  a.last_offset = b.last_offset;
  a.max_timestamp = b.max_timestamp;
  a.transactional = (b.attributes & rec::k_attr_transactional) != 0;
  a.control = (b.attributes & rec::k_attr_control) != 0;
  if (a.control && !bytes.empty()) {
    try {
      const rec::batch_view v(bytes);
      const auto records = rec::decode_records(v, k_max_uncompressed);
      if (!records.empty() && records.front().key && records.front().value) {
        const auto key = rec::parse_control_key(records.front().key->span());
        if (key.type == static_cast<int16_t>(rec::control_type::abort) ||
            key.type == static_cast<int16_t>(rec::control_type::commit)) {
          a.marker = true;
          a.commit = key.type == static_cast<int16_t>(rec::control_type::commit);
          a.coordinator_epoch =
              rec::parse_end_txn_marker(records.front().value->span()).coordinator_epoch;
        }
      }
    } catch (const wire::decode_error& e) {
      lg.warn("unreadable control batch at offset {}: {}", b.base_offset, e.what());
    }
  }
  return a;
}

}  // namespace

struct partition_log::segment : segment_indexes {
  int64_t base = 0;
  std::shared_ptr<file> log, index, timeindex;
  int64_t size = 0;
  int64_t next_offset = 0;
  int64_t roll_base_ms = -1;
  // The transaction index: in memory, and in <base>.txnindex (opened with its first entry).
  std::vector<aborted_txn> aborted;
  std::shared_ptr<file> txnindex;

  // The position to scan from for `offset`.
  int64_t lookup(int64_t offset) const {
    auto it = std::upper_bound(index_entries.begin(), index_entries.end(), offset - base,
                               [](int64_t rel, const auto& e) { return rel < e.first; });
    return it == index_entries.begin() ? 0 : std::prev(it)->second;
  }

  // Index bookkeeping for a batch at `position`, written through to the index files.
  result<void, storage_error> track(const batch_info& b, int64_t max_ts_batch,
                                    int64_t offset_of_max, int32_t interval) {
    auto added =
        add(base, b.position, b.size, b.last_offset, max_ts_batch, offset_of_max, interval);
    if (added.offset) {
      auto e = encode(index_entries.back());
      if (auto r = index->write_at(static_cast<int64_t>(index_entries.size() - 1) * 8, e); !r)
        return io_error(r.error());
    }
    if (added.time) {
      auto e = encode(time_entries.back());
      if (auto r = timeindex->write_at(static_cast<int64_t>(time_entries.size() - 1) * 12, e); !r)
        return io_error(r.error());
    }
    next_offset = b.last_offset + 1;
    return {};
  }
};

result<void, storage_error> read_result::read_into(wire::byte_buffer& out) const {
  if (_size == 0) return {};
  const size_t at = out.size();
  out.resize(at + _size);
  auto got = _file->read_at(_position, std::span<uint8_t>(out.data() + at, _size));
  if (!got) {
    out.resize(at);
    return io_error(got.error());
  }
  if (*got != _size) {
    out.resize(at);
    return io_error(fmt::format("short read of {}", _file->path().string()));
  }
  return {};
}

partition_log::partition_log(std::filesystem::path dir, log_config config)
    : _dir(std::move(dir)), _config(config) {}

partition_log::~partition_log() {
  if (!_closed) (void)close();
}

result<std::unique_ptr<partition_log>, storage_error> partition_log::open(
    const std::filesystem::path& dir, const log_config& config, const open_options& options) {
  std::unique_ptr<partition_log> l(new partition_log(dir, config));
  if (auto r = l->load(options); !r) return failure{r.error()};
  return l;
}

result<partition_log::segment*, storage_error> partition_log::new_segment(int64_t base,
                                                                          int64_t now_ms) {
  auto s = std::make_unique<segment>();
  s->base = base;
  s->next_offset = base;
  auto log = file::open(_dir / segment_name(base, ".log"), true);
  auto index = file::open(_dir / segment_name(base, ".index"), true);
  auto timeindex = file::open(_dir / segment_name(base, ".timeindex"), true);
  if (!log) return io_error(log.error());
  if (!index) return io_error(index.error());
  if (!timeindex) return io_error(timeindex.error());
  s->log = *log;
  s->index = *index;
  s->timeindex = *timeindex;
  for (auto* f : {s->log.get(), s->index.get(), s->timeindex.get()})
    if (auto r = f->truncate(0); !r) return io_error(r.error());
  std::error_code ec;
  std::filesystem::remove(_dir / segment_name(base, ".txnindex"), ec);
  sync_dir(_dir);
  (void)now_ms;
  _segments.push_back(std::move(s));
  return _segments.back().get();
}

result<void, storage_error> partition_log::recover_segment(segment& s, bool check_crc,
                                                           int64_t from_position) {
  auto file_size = s.log->size();
  if (!file_size) return io_error(file_size.error());
  if (from_position == 0) {
    s.index_entries.clear();
    s.time_entries.clear();
    s.bytes_since_index = 0;
    s.max_ts = -1;
    s.offset_of_max_ts = -1;
    s.next_offset = s.base;
    if (auto r = s.index->truncate(0); !r) return io_error(r.error());
    if (auto r = s.timeindex->truncate(0); !r) return io_error(r.error());
  }
  // Batches whose timestamps need their records (the offset of the max) are rare: only when the
  // batch raises the segment's max, which the header tells.
  scanner sc(*s.log, from_position, *file_size, false, check_crc);
  for (;;) {
    auto b = sc.next();
    if (!b) return failure{b.error()};
    if (!*b) break;
    if ((*b)->base_offset < s.base) {
      lg.warn("{}: batch at offset {} below the segment base {}; cut there", _dir.string(),
              (*b)->base_offset, s.base);
      break;
    }
    // The offset of the record with the max timestamp: the last offset is what a scan of headers
    // can tell without decompressing; appends record the exact one.
    if (auto r = s.track(**b, (*b)->max_timestamp, (*b)->last_offset, _config.index_interval_bytes);
        !r)
      return r;
  }
  s.size = sc.position();
  if (s.size < *file_size) {
    lg.warn("{}: truncating {} from {} to {} bytes ({})", _dir.string(),
            segment_name(s.base, ".log"), *file_size, s.size,
            sc.invalid().empty() ? "invalid batch" : sc.invalid());
    if (auto r = s.log->truncate(s.size); !r) return io_error(r.error());
    if (auto r = s.log->sync(); !r) return io_error(r.error());
  }
  return {};
}

namespace {
// Reads <base>.txnindex into `aborted` (and opens it) when the segment has one.
template <class Segment>
result<void, storage_error> load_txn_index_of(const std::filesystem::path& dir, Segment& s) {
  const auto path = dir / segment_name(s.base, ".txnindex");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  auto f = file::open(path, false);
  if (!f) return io_error(f.error());
  auto size = (*f)->size();
  if (!size) return io_error(size.error());
  wire::byte_buffer bytes(static_cast<size_t>(*size));
  if (auto r = (*f)->read_at(0, bytes); !r) return io_error(r.error());
  s.aborted = decode_txn_index(bytes);
  s.txnindex = *f;
  return {};
}
}  // namespace

result<void, storage_error> partition_log::load(const open_options& options) {
  std::error_code ec;
  std::filesystem::create_directories(_dir, ec);
  if (ec) return io_error(fmt::format("cannot create {}: {}", _dir.string(), ec.message()));

  std::vector<int64_t> bases, swaps, snapshots;
  auto base_of = [](const std::string& name) -> std::optional<int64_t> {
    if (name.size() < 20 || name.find_first_not_of("0123456789") != 20) return std::nullopt;
    try {
      return std::stoll(name.substr(0, 20));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  for (const auto& e : std::filesystem::directory_iterator(_dir, ec)) {
    const auto name = e.path().filename().string();
    const auto ext = e.path().extension().string();
    // A cleaner's unfinished segment, or the indexes of a swap (rebuilt from its log).
    if (ext == ".tmp" || ext == ".deleted" || ext == ".cleaned" ||
        (ext == ".swap" && name.size() != 29)) {
      std::filesystem::remove(e.path(), ec);
      continue;
    }
    const auto base = base_of(name);
    if (!base) continue;
    if (ext == ".swap" && name.ends_with(".log.swap"))
      swaps.push_back(*base);
    else if (ext == ".log" && name.size() == 24)
      bases.push_back(*base);
    else if (ext == ".snapshot" && name.size() == 29)
      snapshots.push_back(*base);
  }
  if (ec) return io_error(fmt::format("cannot list {}: {}", _dir.string(), ec.message()));
  std::sort(bases.begin(), bases.end());
  auto swapped = complete_swaps(swaps, bases);
  if (!swapped) return failure{swapped.error()};

  // The log start offset DeleteRecords left, if any.
  int64_t start_checkpoint = 0;
  if (auto t = read_small_file(_dir / "log-start-offset"); t) {
    try {
      start_checkpoint = std::stoll(*t);
    } catch (const std::exception&) {
    }
  }

  if (bases.empty()) {
    auto s = new_segment(start_checkpoint, options.now_ms);
    if (!s) return failure{s.error()};
  }
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    auto s = std::make_unique<segment>();
    s->base = bases[i];
    s->next_offset = s->base;
    auto log = file::open(_dir / segment_name(s->base, ".log"), false);
    auto index = file::open(_dir / segment_name(s->base, ".index"), true);
    auto timeindex = file::open(_dir / segment_name(s->base, ".timeindex"), true);
    if (!log) return io_error(log.error());
    if (!index) return io_error(index.error());
    if (!timeindex) return io_error(timeindex.error());
    s->log = *log;
    s->index = *index;
    s->timeindex = *timeindex;
    if (auto r = load_txn_index_of(_dir, *s); !r) return r;

    // Trust the indexes where the log was closed cleanly (or rolled, which synced it), as far as
    // they are consistent with the file; then read the tail after the last entry.
    bool rebuild = (last && !options.clean_shutdown) ||
                   std::find(swapped->begin(), swapped->end(), s->base) != swapped->end();
    int64_t from = 0;
    if (!rebuild) {
      auto size = s->log->size();
      if (!size) return io_error(size.error());
      wire::byte_buffer idx(
          static_cast<size_t>(s->index->size().has_value() ? *s->index->size() : 0));
      wire::byte_buffer tix(
          static_cast<size_t>(s->timeindex->size().has_value() ? *s->timeindex->size() : 0));
      bool ok = idx.size() % 8 == 0 && tix.size() % 12 == 0 && s->index->read_at(0, idx) &&
                s->timeindex->read_at(0, tix);
      for (size_t p = 0; ok && p < idx.size(); p += 8) {
        int32_t rel = load_be<int32_t>(&idx[p]), pos = load_be<int32_t>(&idx[p + 4]);
        if (rel < 0 || pos < 0 || pos >= *size ||
            (!s->index_entries.empty() &&
             (rel <= s->index_entries.back().first || pos <= s->index_entries.back().second)))
          ok = false;
        else
          s->index_entries.emplace_back(rel, pos);
      }
      for (size_t p = 0; ok && p < tix.size(); p += 12) {
        int64_t ts = load_be<int64_t>(&tix[p]);
        int32_t rel = load_be<int32_t>(&tix[p + 8]);
        if (rel < 0)
          ok = false;
        else if (s->time_entries.empty() || ts > s->time_entries.back().first)
          s->time_entries.emplace_back(ts, rel);
      }
      if (!ok) {
        lg.warn("{}: rebuilding the indexes of {}", _dir.string(), segment_name(s->base, ".log"));
        rebuild = true;
      } else if (!s->index_entries.empty()) {
        from = s->index_entries.back().second;
        if (!s->time_entries.empty()) {
          s->max_ts = s->time_entries.back().first;
          s->offset_of_max_ts = s->base + s->time_entries.back().second;
        }
      }
    }
    if (rebuild) {
      if (auto r = recover_segment(*s, true, 0); !r) return r;
    } else {
      // Tail scan from the last indexed batch (counted, as after an append, in the bytes since
      // that entry).
      auto file_size = s->log->size();
      if (!file_size) return io_error(file_size.error());
      scanner sc(*s->log, from, *file_size, false, false);
      for (;;) {
        auto b = sc.next();
        if (!b) return failure{b.error()};
        if (!*b) break;
        if ((*b)->max_timestamp > s->max_ts) {
          s->max_ts = (*b)->max_timestamp;
          s->offset_of_max_ts = (*b)->last_offset;
        }
        s->bytes_since_index += (*b)->size;
        s->next_offset = (*b)->last_offset + 1;
      }
      s->size = sc.position();
      if (s->size < *file_size) {
        lg.warn("{}: {} has {} bytes that are not batches ({}); truncating", _dir.string(),
                segment_name(s->base, ".log"), *file_size - s->size, sc.invalid());
        if (auto r = s->log->truncate(s->size); !r) return io_error(r.error());
      }
    }
    if (s->size > 0) {
      s->roll_base_ms = options.now_ms;
    } else if (!last) {
      // An empty sealed segment (the cleaner kept it for its base offset) ages from its file's
      // time, as Kafka's largestTimestamp of an empty segment is its last modified time.
      if (auto m = s->log->modified_ms()) s->roll_base_ms = *m;
    }
    // Entries past what recovery kept (their markers are gone) go; the replay of the producer
    // state writes them again if the markers are there.
    std::erase_if(s->aborted,
                  [&](const aborted_txn& t) { return t.last_offset >= s->next_offset; });
    // The file holds exactly the entries kept: the next one is written after them.
    if (s->txnindex)
      if (auto size = s->txnindex->size();
          size && *size != static_cast<int64_t>(s->aborted.size() * k_txn_index_entry_size))
        if (auto r = s->txnindex->truncate(
                static_cast<int64_t>(s->aborted.size() * k_txn_index_entry_size));
            !r)
          return io_error(r.error());
    if (!_segments.empty() && _segments.back()->next_offset > s->base) {
      return io_error(fmt::format("{}: segment {} overlaps the one before it", _dir.string(),
                                  segment_name(s->base, ".log")));
    }
    _segments.push_back(std::move(s));
  }
  _end = _segments.back()->next_offset;
  _log_start = std::clamp(start_checkpoint, _segments.front()->base, _end);
  _last_flush_ms = options.now_ms;

  // Leader epochs, cut to the log that survived.
  if (auto t = read_small_file(_dir / "leader-epoch-checkpoint"); t) {
    std::istringstream in(*t);
    int version = -1;
    size_t n = 0;
    in >> version >> n;
    int32_t epoch;
    int64_t start;
    while (version == 0 && in >> epoch >> start)
      if (start <= _end && (_epochs.empty() || epoch > _epochs.back().first))
        _epochs.emplace_back(epoch, start);
  }
  const bool recovered_last = !bases.empty() && !options.clean_shutdown;
  if (auto r = load_producers(std::move(snapshots), options.now_ms, recovered_last); !r) return r;
  if (!std::filesystem::exists(_dir / "partition.metadata")) {
    auto text = fmt::format("version: 0\ntopic_id: {}\n", options.topic_id.to_string());
    if (auto r = write_file_atomic(_dir / "partition.metadata", text); !r)
      return io_error(r.error());
  }
  return {};
}

result<std::vector<int64_t>, storage_error> partition_log::complete_swaps(
    const std::vector<int64_t>& swaps, std::vector<int64_t>& bases) {
  std::vector<int64_t> done;
  std::error_code ec;
  for (int64_t base : swaps) {
    const auto swap_path = _dir / (segment_name(base, ".log") + ".swap");
    auto f = file::open(swap_path, false);
    if (!f) return io_error(f.error());
    auto size = (*f)->size();
    if (!size) return io_error(size.error());
    // The swap was synced before it got its name; its batches say which offsets it covers, and
    // which markers it kept (producer id, offset).
    scanner sc(**f, 0, *size, false, true);
    int64_t next = base;
    std::set<std::pair<int64_t, int64_t>> markers;
    for (;;) {
      auto b = sc.next();
      if (!b) return failure{b.error()};
      if (!*b) break;
      next = (*b)->last_offset + 1;
      if (((*b)->attributes & rec::k_attr_control) &&
          (*b)->size > static_cast<int64_t>(rec::k_batch_header_size))
        markers.emplace((*b)->producer_id, (*b)->last_offset);
    }
    f->reset();
    // The segments it replaces: every one starting within its range (and the one at its base,
    // whose names it takes over). Its transaction index: the entries of theirs (or of its own,
    // written at the swap in place of the first one's) whose ABORT marker it kept. The cleaner
    // may have left out some of those (their data all gone): a read_committed consumer skips
    // nothing for them.
    auto replaced = [&](int64_t b) { return b == base || (b > base && b < next); };
    std::vector<aborted_txn> aborted;
    for (int64_t b : bases)
      if (replaced(b))
        if (auto t = read_small_file(_dir / segment_name(b, ".txnindex")); t) {
          auto e = decode_txn_index(
              std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(t->data()), t->size()));
          for (const auto& x : e)
            if (markers.contains({x.producer_id, x.last_offset})) aborted.push_back(x);
        }
    if (aborted.empty())
      std::filesystem::remove(_dir / segment_name(base, ".txnindex"), ec);
    else if (auto r = write_file_atomic(_dir / segment_name(base, ".txnindex"),
                                        encode_txn_index(merge_txn_indexes(std::move(aborted))));
             !r)
      return io_error(r.error());
    for (auto it = bases.begin(); it != bases.end();) {
      if (replaced(*it)) {
        if (*it != base) std::filesystem::remove(_dir / segment_name(*it, ".txnindex"), ec);
        for (const char* ext : {".log", ".index", ".timeindex"})
          std::filesystem::remove(_dir / segment_name(*it, ext), ec);
        it = bases.erase(it);
      } else {
        ++it;
      }
    }
    std::filesystem::rename(swap_path, _dir / segment_name(base, ".log"), ec);
    if (ec) return io_error(fmt::format("cannot rename {}: {}", swap_path.string(), ec.message()));
    lg.warn("{}: completed the swap of cleaned segment {} (offsets {} to {})", _dir.string(),
            segment_name(base, ".log"), base, next);
    bases.insert(std::upper_bound(bases.begin(), bases.end(), base), base);
    done.push_back(base);
  }
  if (!done.empty()) sync_dir(_dir);
  return done;
}

std::shared_ptr<const log_view> partition_log::view() const {
  auto v = std::make_shared<log_view>();
  v->sealed.reserve(_segments.size() - 1);
  for (size_t i = 0; i + 1 < _segments.size(); ++i) {
    const auto& s = *_segments[i];
    v->sealed.push_back({s.base, s.next_offset, s.size, s.max_ts, s.index_entries.size(),
                         s.time_entries.size(), s.log});
  }
  v->active_base = _segments.back()->base;
  v->log_start = _log_start;
  v->end = _end;
  v->last_stable = last_stable_offset();
  v->aborted = aborted_txns();
  v->config = _config;
  return v;
}

void partition_log::publish_view() {
  if (_cleaner) _cleaner->publish(view());
}

void partition_log::attach_cleaner(std::shared_ptr<cleanable_log> handle) {
  _cleaner = std::move(handle);
  _cleaner->owner = this;
  publish_view();
}

void partition_log::set_config(const log_config& c) {
  _config = c;
  publish_view();
}

// Where the run of sealed segments whose log files are `old_logs` starts, if this log still has
// it and it starts at `base`.
std::optional<size_t> partition_log::find_run(const std::vector<std::shared_ptr<file>>& old_logs,
                                              int64_t base) const {
  if (_closed || old_logs.empty()) return std::nullopt;
  auto first = std::find_if(_segments.begin(), _segments.end(),
                            [&](const auto& s) { return s->log == old_logs.front(); });
  const auto n = static_cast<ptrdiff_t>(old_logs.size());
  if (first == _segments.end() || (*first)->base != base ||
      std::distance(first, _segments.end()) <= n)
    return std::nullopt;
  for (ptrdiff_t i = 0; i < n; ++i)
    if (first[i]->log != old_logs[static_cast<size_t>(i)]) return std::nullopt;
  return static_cast<size_t>(first - _segments.begin());
}

namespace {
// The names a cleaned segment goes through: <base>.log.cleaned -> <base>.log.swap -> <base>.log,
// the indexes first each time (a .log.swap is what recovery goes by).
constexpr const char* k_swap_exts[] = {".index", ".timeindex", ".log"};
std::filesystem::path swap_path(const std::filesystem::path& dir, int64_t base, const char* ext,
                                const char* suffix) {
  return dir / (segment_name(base, ext) + suffix);
}
}  // namespace

result<void, storage_error> partition_log::prepare_swap(
    const std::vector<std::shared_ptr<file>>& old_logs, int64_t base) {
  if (!find_run(old_logs, base))
    return failure{storage_error{fmt::format("{}: cleaned segment {} not swapped in: its "
                                             "segments are gone",
                                             _dir.string(), segment_name(base, ".log")),
                                 storage_errc::aborted}};
  std::error_code ec;
  for (const char* ext : k_swap_exts) {
    std::filesystem::rename(swap_path(_dir, base, ext, ".cleaned"),
                            swap_path(_dir, base, ext, ".swap"), ec);
    if (ec) {
      for (const char* e : k_swap_exts) std::filesystem::remove(swap_path(_dir, base, e, ".swap"));
      return io_error(fmt::format("{}: cannot rename {}: {}", _dir.string(),
                                  swap_path(_dir, base, ext, ".cleaned").string(), ec.message()));
    }
  }
  _swap_pending = true;
  return {};
}

result<void, storage_error> partition_log::replace_segments(
    const std::vector<std::shared_ptr<file>>& old_logs, cleaned_segment cleaned) {
  const auto started = std::chrono::steady_clock::now();
  _swap_pending = false;
  const int64_t base = cleaned.base;
  std::error_code ec;
  auto path = [&](const char* ext, const char* suffix) {
    return swap_path(_dir, base, ext, suffix);
  };
  auto at = find_run(old_logs, base);
  if (!at) {
    // DeleteRecords took segments meanwhile (retention waits for a pending swap), or the log
    // was closed: the next start completes the swap of a closed log, whose segments are intact.
    if (!_closed)
      for (const char* ext : k_swap_exts) std::filesystem::remove(path(ext, ".swap"), ec);
    return failure{storage_error{fmt::format("{}: cleaned segment {} not swapped in: its "
                                             "segments are gone",
                                             _dir.string(), segment_name(base, ".log")),
                                 storage_errc::aborted}};
  }
  const auto first = _segments.begin() + static_cast<ptrdiff_t>(*at);
  const auto n = static_cast<ptrdiff_t>(old_logs.size());
  // The cleaned segment's transaction index (the cleaner's list) takes the place of the first
  // old segment's before the old segments go: a crash from here on merges it with those left at
  // the next start, keeping the entries whose marker the cleaned segment holds (complete_swaps).
  std::vector<aborted_txn> aborted = std::move(cleaned.aborted);
  const auto txn_path = _dir / segment_name(base, ".txnindex");
  if (aborted.empty()) {
    std::filesystem::remove(txn_path, ec);
  } else if (aborted != first[0]->aborted) {
    if (auto r = write_file_atomic(txn_path, encode_txn_index(aborted)); !r) {
      // Nothing replaced: the cleaned segment is dropped, as when its segments are gone.
      for (const char* ext : k_swap_exts) std::filesystem::remove(path(ext, ".swap"), ec);
      return failure{
          storage_error{fmt::format("{}: cleaned segment {} not swapped in: {}", _dir.string(),
                                    segment_name(base, ".log"), r.error()),
                        storage_errc::aborted}};
    }
  }
  for (ptrdiff_t i = 0; i < n; ++i) {
    if (first[i]->base == base) continue;
    // The .log last, as every file of a segment goes.
    for (const char* ext : k_segment_exts)
      std::filesystem::remove(_dir / segment_name(first[i]->base, ext), ec);
  }
  for (const char* ext : k_swap_exts) {
    std::filesystem::rename(path(ext, ".swap"), path(ext, ""), ec);
    if (ec)
      // The old segments' files stay readable through their open descriptors; the next start
      // finishes the swap.
      return io_error(fmt::format("{}: cannot rename {}: {}", _dir.string(),
                                  path(ext, ".swap").string(), ec.message()));
  }

  auto s = std::make_unique<segment>();
  static_cast<segment_indexes&>(*s) = std::move(cleaned.indexes);
  s->base = base;
  s->size = cleaned.size;
  s->next_offset = cleaned.next_offset;
  // Opened again under their final names (the same files).
  auto log = file::open(path(".log", ""), false);
  auto index = file::open(path(".index", ""), false);
  auto timeindex = file::open(path(".timeindex", ""), false);
  s->log = log ? *log : cleaned.log;
  s->index = index ? *index : cleaned.index;
  s->timeindex = timeindex ? *timeindex : cleaned.timeindex;
  if (auto m = s->log->modified_ms()) s->roll_base_ms = *m;
  s->aborted = std::move(aborted);
  if (!s->aborted.empty())
    if (auto f = file::open(_dir / segment_name(base, ".txnindex"), false)) s->txnindex = *f;
  const int64_t old_bytes = std::accumulate(first, first + n, int64_t{0},
                                            [](int64_t a, const auto& o) { return a + o->size; });
  _segments.insert(_segments.erase(first, first + n), std::move(s));
  lg.info("{}: swapped in cleaned segment {} for {} segment(s), {} bytes now {} ({} us)",
          _dir.string(), segment_name(base, ".log"), n, old_bytes, cleaned.size,
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                started)
              .count());
  publish_view();
  return {};
}

int64_t partition_log::size_bytes() const {
  int64_t n = 0;
  for (const auto& s : _segments) n += s->size;
  return n;
}

result<void, storage_error> partition_log::roll(int64_t now_ms) {
  auto& active = *_segments.back();
  if (active.size == 0) return {};
  // Everything before the new segment is on disk: recovery reads only the last segment.
  if (auto r = active.log->sync(); !r) return io_error(r.error());
  (void)active.index->sync();
  (void)active.timeindex->sync();
  if (active.txnindex) (void)active.txnindex->sync();
  auto s = new_segment(_end, now_ms);
  if (!s) return failure{s.error()};
  write_producer_snapshot();
  publish_view();
  return {};
}

result<void, storage_error> partition_log::append(std::span<const uint8_t> batch,
                                                  const append_info& info) {
  if (info.first_offset != _end || static_cast<int64_t>(batch.size()) < k_batch_header)
    return io_error(fmt::format("{}: append at offset {} but the log ends at {}", _dir.string(),
                                info.first_offset, _end));
  const int64_t now = wall_clock_ms();
  {
    auto& a = *_segments.back();
    const bool full =
        a.size + static_cast<int64_t>(batch.size()) > _config.segment_bytes ||
        static_cast<int64_t>(a.index_entries.size() + 1) * 8 > _config.segment_index_bytes ||
        info.last_offset - a.base > std::numeric_limits<int32_t>::max() ||
        a.size + static_cast<int64_t>(batch.size()) > std::numeric_limits<int32_t>::max();
    const bool old =
        a.roll_base_ms >= 0 && now - a.roll_base_ms >= max_segment_ms() + _config.segment_jitter_ms;
    if (a.size > 0 && (full || old))
      if (auto r = roll(now); !r) return r;
  }
  auto& a = *_segments.back();
  if (auto r = a.log->write_at(a.size, batch); !r) {
    (void)a.log->truncate(a.size);
    return io_error(r.error());
  }
  batch_info b;
  b.position = a.size;
  b.base_offset = info.first_offset;
  b.size = static_cast<int64_t>(batch.size());
  b.last_offset = info.last_offset;
  if (auto r = a.track(b, info.max_timestamp, info.offset_of_max_timestamp,
                       _config.index_interval_bytes);
      !r)
    return r;
  if (a.roll_base_ms < 0) a.roll_base_ms = now;
  a.size += b.size;
  _end = info.last_offset + 1;
  _unflushed_messages += info.record_count;
  if (const auto pid = load_be<int64_t>(batch.data() + 43); pid >= 0) {
    const rec::batch_view v(batch);
    b.max_timestamp = v.max_timestamp();
    b.producer_id = pid;
    b.producer_epoch = v.producer_epoch();
    b.base_sequence = v.base_sequence();
    b.attributes = v.attributes();
    apply_producer_batch(b, batch, &a);
  }
  // flush.messages=1 is left to the caller, who syncs before acknowledging and groups the syncs
  // of concurrent appends (see needs_sync_before_ack()).
  if (_config.flush_messages > 1 && _unflushed_messages >= _config.flush_messages) return flush();
  return {};
}

result<read_result, storage_error> partition_log::read(int64_t offset, int32_t max_bytes,
                                                       int64_t max_offset_excl, bool min_one) {
  if (offset < _log_start || offset > _end)
    return failure{
        storage_error{fmt::format("offset {} is outside [{}, {}]", offset, _log_start, _end),
                      storage_errc::offset_out_of_range}};
  if (offset == _end || offset >= max_offset_excl) return read_result{};
  auto it = std::upper_bound(_segments.begin(), _segments.end(), offset,
                             [](int64_t o, const auto& s) { return o < s->base; });
  if (it != _segments.begin()) --it;
  for (; it != _segments.end(); ++it) {
    auto& s = **it;
    // Every batch of the segment is before the offset, or it has none (compaction can empty a
    // segment): the batches wanted are in a later one.
    if (s.next_offset <= offset || s.size == 0) continue;
    scanner sc(*s.log, s.lookup(offset), s.size, false, false);
    int64_t start = -1, total = 0, last = -1;
    for (;;) {
      auto b = sc.next();
      if (!b) return failure{b.error()};
      if (!*b) break;
      if ((*b)->last_offset < offset) continue;
      if ((*b)->base_offset >= max_offset_excl) break;
      if (total + (*b)->size > max_bytes && !(total == 0 && min_one)) break;
      if (start < 0) start = (*b)->position;
      total += (*b)->size;
      last = (*b)->last_offset;
      if (total >= max_bytes) break;
    }
    if (start < 0) return read_result{};
    return read_result{s.log, start, static_cast<size_t>(total), last};
  }
  return read_result{};
}

void partition_log::assign_epoch(int32_t epoch, int64_t start_offset) {
  if (!_epochs.empty() && epoch <= _epochs.back().first) return;
  _epochs.emplace_back(epoch, start_offset);
  write_epochs();
}

std::optional<std::pair<int32_t, int64_t>> partition_log::end_offset_for_epoch(
    int32_t epoch) const {
  if (_epochs.empty()) return std::nullopt;
  if (epoch >= _epochs.back().first) return std::pair{_epochs.back().first, _end};
  auto next = std::upper_bound(_epochs.begin(), _epochs.end(), epoch,
                               [](int32_t e, const auto& p) { return e < p.first; });
  if (next == _epochs.begin()) return std::nullopt;
  return std::pair{std::prev(next)->first, next->second};
}

void partition_log::write_epochs() {
  std::string text = fmt::format("0\n{}\n", _epochs.size());
  for (const auto& [e, o] : _epochs) text += fmt::format("{} {}\n", e, o);
  if (auto r = write_file_atomic(_dir / "leader-epoch-checkpoint", text); !r)
    lg.error("{}: {}", _dir.string(), r.error());
}

void partition_log::write_log_start() {
  if (auto r = write_file_atomic(_dir / "log-start-offset", fmt::format("{}\n", _log_start)); !r)
    lg.error("{}: {}", _dir.string(), r.error());
}

std::optional<timestamp_and_offset> partition_log::max_timestamp() const {
  std::optional<timestamp_and_offset> best;
  for (const auto& s : _segments)
    if (s->max_ts >= 0 && s->offset_of_max_ts >= _log_start &&
        (!best || s->max_ts > best->timestamp))
      best = timestamp_and_offset{s->max_ts, s->offset_of_max_ts};
  return best;
}

std::vector<int64_t> partition_log::legacy_offsets_before(int64_t ts, int32_t max_count,
                                                          int64_t now_ms) const {
  std::vector<std::pair<int64_t, int64_t>> stamps;  // (offset, time)
  for (const auto& sp : _segments) {
    struct stat st {};
    int64_t mtime = 0;
    if (::fstat(sp->log->fd(), &st) == 0)
      mtime = int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
    stamps.emplace_back(std::max(sp->base, _log_start), mtime);
  }
  if (!_segments.empty() && _segments.back()->size > 0) stamps.emplace_back(_end, now_ms);
  int64_t start = static_cast<int64_t>(stamps.size()) - 1;
  if (ts == -2) {
    start = stamps.empty() ? -1 : 0;
  } else if (ts != -1) {
    while (start >= 0 && stamps[start].second > ts) --start;
  }
  std::vector<int64_t> out;
  for (int64_t i = start; i >= 0 && static_cast<int64_t>(out.size()) < max_count; --i)
    out.push_back(stamps[i].first);
  return out;
}

result<std::optional<timestamp_and_offset>, storage_error> partition_log::offset_for_timestamp(
    int64_t ts) {
  for (auto& sp : _segments) {
    auto& s = *sp;
    if (s.max_ts < ts || s.next_offset <= _log_start) continue;
    scanner sc(*s.log, 0, s.size, true, false);
    for (;;) {
      auto b = sc.next();
      if (!b) return failure{b.error()};
      if (!*b) break;
      if ((*b)->max_timestamp < ts || (*b)->last_offset < _log_start) continue;
      try {
        rec::batch_view v((*b)->bytes);
        if (v.ts_type() == rec::timestamp_type::log_append_time)
          return std::optional{
              timestamp_and_offset{v.max_timestamp(), std::max(v.base_offset(), _log_start)}};
        for (const auto& r : rec::decode_records(v, k_max_uncompressed)) {
          const int64_t o = v.offset_of(r), t = v.timestamp_of(r);
          if (o >= _log_start && t >= ts) return std::optional{timestamp_and_offset{t, o}};
        }
      } catch (const wire::decode_error& e) {
        return io_error(fmt::format("{}: unreadable batch at offset {}: {}", _dir.string(),
                                    (*b)->base_offset, e.what()));
      }
    }
  }
  return std::optional<timestamp_and_offset>{};
}

void partition_log::delete_front_segments(size_t count) {
  count = std::min(count, _segments.size() - 1);
  if (count == 0) return;
  for (size_t i = 0; i < count; ++i) {
    const auto base = _segments[i]->base;
    std::error_code ec;
    for (const char* ext : k_segment_exts)
      std::filesystem::remove(_dir / segment_name(base, ext), ec);
    lg.info("{}: deleted segment {}", _dir.string(), segment_name(base, ".log"));
  }
  _segments.erase(_segments.begin(), _segments.begin() + static_cast<ptrdiff_t>(count));
  _log_start = std::max(_log_start, _segments.front()->base);
  forget_producers_below_start();
  sync_dir(_dir);
  publish_view();
}

void partition_log::roll_if_due(int64_t now_ms) {
  auto& a = *_segments.back();
  if (a.size > 0 && a.roll_base_ms >= 0 &&
      now_ms - a.roll_base_ms >= max_segment_ms() + _config.segment_jitter_ms) {
    if (auto r = roll(now_ms); !r)
      lg.error("{}: roll failed: {}", _dir.string(), r.error().message);
  }
  if (_unflushed_messages > 0 && _config.flush_ms != std::numeric_limits<int64_t>::max() &&
      now_ms - _last_flush_ms >= _config.flush_ms)
    (void)flush();
}

void partition_log::enforce_retention(int64_t now_ms) {
  // A cleaned segment is between its two swap steps: its old segments stay until it is in.
  if (!_config.delete_retention || _swap_pending) return;
  size_t count = 0;
  if (_config.retention_ms >= 0) {
    while (count < _segments.size()) {
      const auto& s = *_segments[count];
      const int64_t ts = s.max_ts >= 0 ? s.max_ts : s.roll_base_ms;
      // The active segment when empty; an empty sealed one (kept by the cleaner) ages by time.
      if ((s.size == 0 && count + 1 == _segments.size()) || ts < 0 ||
          now_ms - ts <= _config.retention_ms)
        break;
      ++count;
    }
    if (count == _segments.size()) {
      // Everything expired: roll so that the active segment can go too.
      if (auto r = roll(now_ms); !r) return;
    }
  }
  if (_config.retention_bytes >= 0) {
    int64_t excess = size_bytes() - _config.retention_bytes;
    for (size_t i = 0; i < count; ++i) excess -= _segments[i]->size;
    while (count + 1 < _segments.size() && _segments[count]->size <= excess) {
      excess -= _segments[count]->size;
      ++count;
    }
  }
  delete_front_segments(count);
}

result<void, storage_error> partition_log::delete_records_before(int64_t offset) {
  if (offset < 0 || offset > _end)
    return failure{
        storage_error{fmt::format("offset {} is outside [{}, {}]", offset, _log_start, _end),
                      storage_errc::offset_out_of_range}};
  if (offset <= _log_start) return {};
  _log_start = offset;
  if (offset == _end)
    if (auto r = roll(wall_clock_ms()); !r) return r;
  size_t count = 0;
  while (count + 1 < _segments.size() && _segments[count]->next_offset <= offset) ++count;
  delete_front_segments(count);
  // The start may have moved inside a segment: producers whose batches all lie below it go (the
  // snapshot files of deleted segments went with them).
  _producers.evict_below(_log_start);
  write_log_start();
  publish_view();
  return {};
}

// ---- Producer state ----------------------------------------------------------------------------

result<void, storage_error> partition_log::load_producers(std::vector<int64_t> snapshots,
                                                          int64_t now_ms, bool rebuild_txn_index) {
  std::sort(snapshots.rbegin(), snapshots.rend());
  int64_t from = _segments.front()->base;
  segment* rebuilt = rebuild_txn_index ? _segments.back().get() : nullptr;
  if (rebuilt) {
    rebuilt->aborted.clear();
    if (rebuilt->txnindex)
      if (auto r = rebuilt->txnindex->truncate(0); !r) return io_error(r.error());
  }
  for (int64_t at : snapshots) {
    const auto path = _dir / segment_name(at, ".snapshot");
    std::error_code ec;
    if (at > _end || at < _segments.front()->base) {
      // Past a log cut short by recovery, or below what is left of it.
      std::filesystem::remove(path, ec);
      continue;
    }
    // The recovered segment's markers must all be replayed.
    if (rebuilt && at > rebuilt->base) continue;
    auto text = read_small_file(path);
    std::optional<producer_state> state;
    if (text)
      state = producer_state::decode(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text->data()), text->size()));
    if (!state) {
      lg.warn("{}: {} is not a whole snapshot; ignored", _dir.string(), path.filename().string());
      std::filesystem::remove(path, ec);
      continue;
    }
    _producers = std::move(*state);
    from = at;
    break;
  }
  // The batches after the snapshot.
  for (const auto& s : _segments) {
    if (s->next_offset <= from || s->size == 0) continue;
    scanner sc(*s->log, s->base >= from ? 0 : s->lookup(from), s->size, false, false);
    for (;;) {
      auto b = sc.next();
      if (!b) return failure{b.error()};
      if (!*b) break;
      const auto& i = **b;
      if (i.last_offset < from || i.producer_id < 0) continue;
      wire::byte_buffer whole;
      if (i.attributes & rec::k_attr_control) {
        // A marker: its record says which, and with which coordinator epoch.
        whole.resize(static_cast<size_t>(i.size));
        auto got = s->log->read_at(i.position, whole);
        if (!got) return io_error(got.error());
        if (*got != whole.size()) whole.clear();
      }
      apply_producer_batch(i, whole, s.get() == rebuilt ? rebuilt : nullptr);
    }
  }
  if (rebuilt && !rebuilt->aborted.empty())
    lg.info("{}: rebuilt the transaction index of {} ({} aborted transactions)", _dir.string(),
            segment_name(rebuilt->base, ".log"), rebuilt->aborted.size());
  forget_producers_below_start();
  _producers.expire(now_ms, _config.producer_id_expiration_ms);
  return {};
}

void partition_log::apply_producer_batch(const batch_info& b, std::span<const uint8_t> bytes,
                                         segment* index) {
  const auto done = _producers.apply(producer_append_of(b, bytes));
  if (done && done->aborted && index)
    index_aborted(*index, {done->producer_id, done->first_offset, done->last_offset,
                           _producers.last_stable_offset_after(*done)});
}

void partition_log::index_aborted(segment& s, const aborted_txn& t) {
  s.aborted.push_back(t);
  if (!s.txnindex) {
    auto f = file::open(_dir / segment_name(s.base, ".txnindex"), true);
    if (!f) {
      lg.error("{}: {}", _dir.string(), f.error());
      return;
    }
    s.txnindex = *f;
  }
  const auto e = encode_txn_index_entry(t);
  if (auto r = s.txnindex->write_at(
          static_cast<int64_t>((s.aborted.size() - 1) * k_txn_index_entry_size), e);
      !r)
    lg.error("{}: {}", _dir.string(), r.error());
}

std::vector<aborted_txn> partition_log::collect_aborted_txns(int64_t fetch_offset,
                                                             int64_t upper_bound) const {
  std::vector<aborted_txn> out;
  // Entries of earlier segments end before the segment holding the fetch offset.
  auto it = std::upper_bound(_segments.begin(), _segments.end(), fetch_offset,
                             [](int64_t o, const auto& s) { return o < s->base; });
  if (it != _segments.begin()) --it;
  for (; it != _segments.end(); ++it)
    if (collect_aborted((*it)->aborted, fetch_offset, upper_bound, out)) break;
  return out;
}

std::vector<aborted_txn> partition_log::aborted_txns() const {
  std::vector<aborted_txn> out;
  for (const auto& s : _segments) out.insert(out.end(), s->aborted.begin(), s->aborted.end());
  return out;
}

result<int64_t, storage_error> partition_log::append_marker(const marker_request& m) {
  const auto verdict = _producers.check_marker(m.producer_id, m.producer_epoch, m.coordinator_epoch,
                                               m.transaction_version);
  if (verdict.kind != producer_verdict::append)
    return failure{storage_error{verdict.message, verdict.kind == producer_verdict::invalid_epoch
                                                      ? storage_errc::invalid_producer_epoch
                                                      : storage_errc::coordinator_fenced}};
  rec::batch_options o;
  o.base_offset = _end;
  o.partition_leader_epoch = m.leader_epoch;
  o.producer_id = m.producer_id;
  o.producer_epoch = m.producer_epoch;
  const auto batch = rec::build_end_txn_batch(o, m.commit, m.coordinator_epoch, m.now_ms);
  append_info info;
  info.first_offset = _end;
  info.last_offset = _end;
  info.max_timestamp = m.now_ms;
  info.offset_of_max_timestamp = _end;
  info.record_count = 1;
  if (auto r = append(batch, info); !r) return failure{r.error()};
  return info.first_offset;
}

void partition_log::write_producer_snapshot() {
  const auto path = _dir / segment_name(_end, ".snapshot");
  const auto bytes = _producers.encode();
  if (auto r = write_file_atomic(
          path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
      !r)
    lg.warn("{}: cannot write {}: {}", _dir.string(), path.filename().string(), r.error());
}

void partition_log::forget_producers_below_start() {
  _producers.evict_below(_log_start);
  // Snapshots below the first segment describe batches that are gone.
  std::error_code ec;
  const int64_t first = _segments.front()->base;
  for (const auto& e : std::filesystem::directory_iterator(_dir, ec)) {
    const auto name = e.path().filename().string();
    if (e.path().extension() != ".snapshot" || name.size() != 29) continue;
    int64_t at = 0;
    auto [end, err] = std::from_chars(name.data(), name.data() + 20, at);
    if (err == std::errc() && end == name.data() + 20 && at < first)
      std::filesystem::remove(e.path(), ec);
  }
}

void partition_log::expire_producers(int64_t now_ms) {
  if (const auto n = _producers.expire(now_ms, _config.producer_id_expiration_ms); n > 0)
    lg.info("{}: {} producers expired", _dir.string(), n);
}

result<void, storage_error> partition_log::flush() {
  auto& a = *_segments.back();
  if (auto r = a.log->sync(); !r) return io_error(r.error());
  _unflushed_messages = 0;
  _last_flush_ms = wall_clock_ms();
  return {};
}

partition_log::flush_ticket partition_log::begin_flush() const {
  return {_segments.back()->log, _unflushed_messages};
}

void partition_log::end_flush(const flush_ticket& t) {
  // After a roll the new segment's appends are still to be synced; the roll synced the old one.
  if (_segments.empty() || t.log != _segments.back()->log) return;
  _unflushed_messages = std::max<int64_t>(0, _unflushed_messages - t.messages);
  _last_flush_ms = wall_clock_ms();
}

result<void, storage_error> partition_log::close() {
  if (_closed) return {};
  _closed = true;
  auto& a = *_segments.back();
  auto r = flush();
  (void)a.index->sync();
  (void)a.timeindex->sync();
  if (a.txnindex) (void)a.txnindex->sync();
  write_producer_snapshot();
  _segments.clear();
  if (_cleaner) _cleaner->detach(false);
  return r;
}

result<void, storage_error> partition_log::remove() {
  _closed = true;
  _segments.clear();
  if (_cleaner) _cleaner->detach(true);
  std::error_code ec;
  std::filesystem::remove_all(_dir, ec);
  if (ec) return io_error(fmt::format("cannot delete {}: {}", _dir.string(), ec.message()));
  return {};
}

}  // namespace brook::storage
