// What the log and its cleaner share about segments: file names, a reader of a segment file batch
// by batch, the sparse indexes built as batches are written, and the read-only picture of a log's
// sealed segments that the cleaner threads work from.
//
// Segment files are named by their base offset in 20 digits: <base>.log, <base>.index,
// <base>.timeindex. The cleaner writes a replacement as <base>.log.cleaned (and .index.cleaned,
// .timeindex.cleaned), renames it to .swap when it is about to replace the old segments and to
// the final names once they are gone (see partition_log::replace_segments). A segment with
// aborted transactions also has a <base>.txnindex (storage/txn_index.h); the cleaner hands the
// entries of a cleaned segment over with it, and the log writes them at the swap.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "protocol/wire/types.h"
#include "storage/file.h"
#include "storage/log_config.h"
#include "storage/txn_index.h"

namespace brook::storage {

enum class storage_errc {
  io,
  offset_out_of_range,
  aborted,
  // Transaction markers the producer state refuses (see producer_state::check_marker).
  invalid_producer_epoch,
  coordinator_fenced
};

struct storage_error {
  std::string message;
  storage_errc code = storage_errc::io;
};

inline failure<storage_error> io_error(std::string message) {
  return failure{storage_error{std::move(message), storage_errc::io}};
}

// "00000000000000000042.log" for (42, ".log").
std::string segment_name(int64_t base, const char* ext);

// The fixed fields of a stored batch, read from its first 61 bytes.
struct batch_info {
  int64_t position = 0;
  int64_t base_offset = 0;
  int64_t size = 0;  // offset and length fields included
  int64_t last_offset = 0;
  int64_t max_timestamp = -1;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int16_t attributes = 0;
  int8_t magic = 0;
  std::span<const uint8_t> bytes;  // the whole batch when the scanner was asked for it
};

// Reads the batches of a segment file in order, through a buffer of `chunk` bytes (grown for a
// larger batch), stopping at `end` or at the first batch that is not a plausible magic-2 batch
// (or, with check_crc, fails its CRC). A batch's bytes stay valid until the next call.
class scanner {
 public:
  static constexpr size_t k_default_chunk = 1 << 20;
  scanner(const file& f, int64_t from, int64_t end, bool whole, bool check_crc,
          size_t chunk = k_default_chunk)
      : _f(f),
        _pos(from),
        _end(end),
        _whole(whole || check_crc),
        _check_crc(check_crc),
        _chunk(chunk) {}

  result<std::optional<batch_info>, storage_error> next();
  // Where the valid batches end.
  int64_t position() const { return _pos; }
  const std::string& invalid() const { return _invalid; }

 private:
  result<std::optional<batch_info>, storage_error> stop(std::string why);
  const uint8_t* at(int64_t pos) const { return _buf.data() + (pos - _buf_start); }
  result<void, storage_error> fill(int64_t pos, int64_t n);

  const file& _f;
  int64_t _pos;
  int64_t _end;
  bool _whole;
  bool _check_crc;
  size_t _chunk;
  int64_t _min_offset = INT64_MIN;
  wire::byte_buffer _buf;
  int64_t _buf_start = 0;
  std::string _invalid;
};

// A segment's sparse indexes as its batches are written, with Kafka's rule: an entry for the
// batch that comes once more than index.interval.bytes were written since the last one. The
// .index holds (int32 last offset of that batch - base, int32 position), the .timeindex (int64
// largest timestamp so far, int32 its record's offset - base), both big-endian; a time entry is
// added only when the largest timestamp grew.
struct segment_indexes {
  std::vector<std::pair<int32_t, int32_t>> index_entries;
  std::vector<std::pair<int64_t, int32_t>> time_entries;
  int64_t bytes_since_index = 0;
  int64_t max_ts = -1;
  int64_t offset_of_max_ts = -1;

  struct added {
    bool offset = false;
    bool time = false;
  };
  // Accounts for a batch of `size` bytes at `position` of the segment based at `base`.
  added add(int64_t base, int64_t position, int64_t size, int64_t last_offset, int64_t batch_max_ts,
            int64_t offset_of_max, int32_t interval);
  static std::array<uint8_t, 8> encode(const std::pair<int32_t, int32_t>& e);
  static std::array<uint8_t, 12> encode(const std::pair<int64_t, int32_t>& e);
};

// A sealed (no longer appended) segment as the cleaner sees it. Sealed segments never change;
// the cleaner replaces them through their owner.
struct sealed_segment {
  int64_t base = 0;
  int64_t next_offset = 0;
  int64_t size = 0;
  // The largest record timestamp, -1 when none.
  int64_t max_ts = -1;
  size_t index_entries = 0;
  size_t time_entries = 0;
  std::shared_ptr<file> log;
};

// A log's state as its owner last published it for the cleaner: immutable once published.
struct log_view {
  std::vector<sealed_segment> sealed;
  int64_t active_base = 0;
  int64_t log_start = 0;
  int64_t end = 0;
  // The last stable offset when published: the cleaner leaves open transactions alone. A
  // transaction opened since starts in the active segment, which is not cleaned anyway.
  int64_t last_stable = INT64_MAX;
  // Every aborted transaction of the log then (transaction indexes), oldest first: every one
  // ending below last_stable is there.
  std::vector<aborted_txn> aborted;
  log_config config;
};

// A segment the cleaner wrote to replace some sealed segments (files at their .cleaned names).
struct cleaned_segment {
  int64_t base = 0;
  int64_t next_offset = 0;
  int64_t size = 0;
  segment_indexes indexes;
  std::shared_ptr<file> log, index, timeindex;
  // Its transaction index: the aborted transactions whose ABORT marker it kept with data of
  // theirs, in marker order.
  std::vector<aborted_txn> aborted;
};

}  // namespace brook::storage
