// One partition's log, in Kafka's layout: a folder <topic>-<partition>/ of segments, each named by
// its base offset in 20 digits: a .log of record batches exactly as they were validated (the bytes
// a Fetch sends), a sparse .index (int32 offset relative to the base, int32 file position) and a
// .timeindex (int64 timestamp, int32 relative offset), both big-endian. Beside them:
// leader-epoch-checkpoint and partition.metadata as Kafka writes them, and log-start-offset once
// DeleteRecords has moved the start past a segment boundary.
//
// Only magic-2 batches are stored (the validator converts older formats). Compacted logs are
// rewritten by the cleaner (storage/cleaner.h): their segments then have gaps in their offsets,
// may be empty, and batches may have fewer records than their offset range; reads go by batch
// (the first one ending at or after the offset asked for), so they need no change. The log start
// offset does not move through compaction.
//
// Producer state (the last batches of each idempotent or transactional producer) is kept in
// <offset>.snapshot files beside the segments, see storage/producer_state.h.
//
// Transactions: the broker appends the coordinator's COMMIT and ABORT markers (append_marker).
// The open transactions give the last stable offset (LSO), below which read_committed consumers
// read; each ABORT marker adds the transaction it ends to its segment's <base>.txnindex
// (storage/txn_index.h), from which a read_committed Fetch learns which records to drop.
//
// Recovery: after a clean shutdown the segments are trusted and only the tail after each
// segment's last index entry is read; otherwise the last segment (the only one written since the
// previous roll, which synced the one before) is read batch by batch with CRCs checked, cut at the
// first invalid batch, and its indexes rebuilt; its transaction index too, from the markers met
// while the producer state is replayed from a snapshot at or below its base (as Kafka rebuilds it
// while recovering a segment).
//
// Not thread-safe: owned and used by one shard.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "protocol/wire/types.h"
#include "storage/file.h"
#include "storage/log_config.h"
#include "storage/producer_state.h"
#include "storage/segment_io.h"
#include "storage/txn_index.h"

namespace brook::storage {

class cleanable_log;

struct open_options {
  wire::uuid topic_id;
  int64_t now_ms = 0;
  // The previous run closed this log cleanly: skip the recovery scan.
  bool clean_shutdown = false;
};

// What the validator learned about a batch about to be appended.
struct append_info {
  int64_t first_offset = 0;
  int64_t last_offset = 0;
  int64_t max_timestamp = -1;
  int64_t offset_of_max_timestamp = -1;
  int32_t record_count = 0;
};

struct timestamp_and_offset {
  int64_t timestamp = -1;
  int64_t offset = -1;
};

// A byte range of one segment file, ready to send. Holds the file open.
class read_result {
 public:
  read_result() = default;
  read_result(std::shared_ptr<file> f, int64_t position, size_t size, int64_t last_offset = -1)
      : _file(std::move(f)), _position(position), _size(size), _last_offset(last_offset) {}
  size_t size() const { return _size; }
  int64_t position() const { return _position; }
  // The last offset of the last batch in the range (-1 when empty).
  int64_t last_offset() const { return _last_offset; }
  const std::shared_ptr<file>& source() const { return _file; }
  // Appends the bytes to `out`.
  result<void, storage_error> read_into(wire::byte_buffer& out) const;

 private:
  std::shared_ptr<file> _file;
  int64_t _position = 0;
  size_t _size = 0;
  int64_t _last_offset = -1;
};

// What WriteTxnMarkers asks one partition to write.
struct marker_request {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  bool commit = false;
  int32_t coordinator_epoch = 0;
  // The request's transaction version (KIP-890): 2 wants a marker epoch above the producer's.
  int8_t transaction_version = 0;
  int32_t leader_epoch = 0;
  int64_t now_ms = 0;
};

class partition_log {
 public:
  static result<std::unique_ptr<partition_log>, storage_error> open(
      const std::filesystem::path& dir, const log_config& config, const open_options& options);
  ~partition_log();

  // Appends one validated batch (base offset already assigned: info.first_offset == end_offset()).
  result<void, storage_error> append(std::span<const uint8_t> batch, const append_info& info);

  // Whole batches from the one holding `offset`, up to `max_bytes` (the first batch even if larger
  // when `min_one`), none starting at or after `max_offset_excl`. OFFSET_OUT_OF_RANGE outside
  // [log_start_offset, end_offset]; an empty result at end_offset.
  result<read_result, storage_error> read(int64_t offset, int32_t max_bytes,
                                          int64_t max_offset_excl, bool min_one);

  // Appends a COMMIT or ABORT marker for the producer's transaction: a control batch of one
  // record (key: version 0 + type, value: version 0 + coordinator epoch), base sequence -1.
  // Returns its offset; storage_errc::invalid_producer_epoch or coordinator_fenced (nothing
  // written) when the producer state refuses it.
  result<int64_t, storage_error> append_marker(const marker_request& m);

  // The last stable offset: the first offset of the oldest open transaction, or the log end.
  int64_t last_stable_offset() const {
    return std::min(_producers.first_unstable_offset().value_or(_end), _end);
  }
  // The aborted transactions a read_committed Fetch from `fetch_offset` needs when it returns
  // batches up to `upper_bound` (excluded), in marker order (Kafka's collectAbortedTransactions).
  std::vector<aborted_txn> collect_aborted_txns(int64_t fetch_offset, int64_t upper_bound) const;
  // Every segment's aborted transactions, oldest first (tests, tools).
  std::vector<aborted_txn> aborted_txns() const;

  int64_t log_start_offset() const { return _log_start; }
  int64_t end_offset() const { return _end; }
  int64_t size_bytes() const;
  size_t segment_count() const { return _segments.size(); }
  const std::filesystem::path& dir() const { return _dir; }

  // Leader epochs: (epoch, start offset) pairs, kept in leader-epoch-checkpoint.
  int32_t latest_epoch() const { return _epochs.empty() ? -1 : _epochs.back().first; }
  void assign_epoch(int32_t epoch, int64_t start_offset);
  // The end offset of `epoch` (start of the next larger one, or the log end) and the largest epoch
  // at or below it, as OffsetForLeaderEpoch answers; nullopt when no epoch is that small.
  std::optional<std::pair<int32_t, int64_t>> end_offset_for_epoch(int32_t epoch) const;

  // The largest timestamp in the log and the offset of its record.
  std::optional<timestamp_and_offset> max_timestamp() const;
  // ListOffsets v0 (Kafka's legacy fetchOffsetsBefore): each segment's base offset stamped with
  // its file's modification time, plus the log end offset stamped `now_ms` when the last segment
  // holds data; from the newest entry at or before `ts` (-1: the last entry, -2: the first), up
  // to `max_count` offsets, newest first.
  std::vector<int64_t> legacy_offsets_before(int64_t ts, int32_t max_count, int64_t now_ms) const;
  // The first record with a timestamp at or after `ts`.
  result<std::optional<timestamp_and_offset>, storage_error> offset_for_timestamp(int64_t ts);

  void set_config(const log_config& c);
  // Rolls the active segment when segment.ms has passed; flushes by flush.ms.
  void roll_if_due(int64_t now_ms);
  // Deletes the oldest segments past retention.ms or beyond retention.bytes.
  void enforce_retention(int64_t now_ms);
  // DeleteRecords: moves the log start offset to `offset` (at most the end offset) and deletes
  // the segments wholly below it.
  result<void, storage_error> delete_records_before(int64_t offset);

  result<void, storage_error> flush();
  // flush() in two halves, so that the sync itself can run on another thread: begin_flush()
  // names the file to sync, and end_flush() records that the sync succeeded.
  struct flush_ticket {
    std::shared_ptr<file> log;
    int64_t messages = 0;
  };
  flush_ticket begin_flush() const;
  void end_flush(const flush_ticket& t);
  // flush.messages=1: every append must reach the disk before it is acknowledged; the caller
  // calls flush() (once for any number of appends) before answering.
  bool needs_sync_before_ack() const { return _config.flush_messages <= 1; }
  bool has_unflushed() const { return _unflushed_messages > 0; }
  // Flushes and closes (clean shutdown).
  result<void, storage_error> close();
  // Closes and deletes the partition's folder.
  result<void, storage_error> remove();

  // Idempotent and transactional producers (storage/producer_state.h): the caller checks a batch
  // against this state before appending it; append() records it.
  const producer_state& producers() const { return _producers; }
  // Drops the producers idle for producer.id.expiration.ms (from the maintenance loop).
  void expire_producers(int64_t now_ms);

  // Compaction (see storage/cleaner.h). The cleaner's handle on this log: from now on the log
  // publishes its sealed segments through it, and detaches it when closed or removed.
  void attach_cleaner(std::shared_ptr<cleanable_log> handle);
  // The sealed segments, as the cleaner reads them.
  std::shared_ptr<const log_view> view() const;
  // Swaps in a segment the cleaner wrote for the sealed segments whose log files are `old_logs`,
  // in order; the new one has the first one's base offset. Two steps on this log's thread, with
  // the cleaner syncing the folder after each:
  //  - prepare_swap renames the new segment's files from .cleaned to .swap: from then on a crash
  //    completes the swap at the next open (which deletes the segments within the swapped range
  //    and rebuilds the new segment's indexes); retention waits until the second step.
  //  - replace_segments writes the new segment's transaction index (the cleaner's list) in place
  //    of the first old segment's, deletes the old segments and gives the new one its final
  //    names, the .log last, then takes it in. If DeleteRecords took the old segments
  //    meanwhile, it drops the .swap files instead.
  // Both fail with storage_errc::aborted, changing nothing, when the old segments are no longer
  // a run of this log's sealed segments or the log is closed. open() deletes .cleaned files.
  result<void, storage_error> prepare_swap(const std::vector<std::shared_ptr<file>>& old_logs,
                                           int64_t base);
  result<void, storage_error> replace_segments(const std::vector<std::shared_ptr<file>>& old_logs,
                                               cleaned_segment cleaned);

 private:
  struct segment;
  partition_log(std::filesystem::path dir, log_config config);
  result<void, storage_error> load(const open_options& options);
  result<void, storage_error> recover_segment(segment& s, bool check_crc, int64_t from_position);
  result<void, storage_error> roll(int64_t now_ms);
  result<segment*, storage_error> new_segment(int64_t base_offset, int64_t now_ms);
  void delete_front_segments(size_t count);
  void write_epochs();
  void write_log_start();
  // Producer state: loaded from the newest usable snapshot plus the batches after it; a snapshot
  // as of the log end written at each roll and at close; those below the log start deleted.
  // `rebuild_txn_index`: the last segment was recovered, so its transaction index is rebuilt from
  // the markers replayed (from a snapshot at or below its base).
  result<void, storage_error> load_producers(std::vector<int64_t> snapshots, int64_t now_ms,
                                             bool rebuild_txn_index);
  void write_producer_snapshot();
  // Adds an aborted transaction to the active segment's transaction index.
  void index_aborted(segment& s, const aborted_txn& t);
  // Applies a stored batch (`bytes`: the whole batch for a control one) to the producer state and
  // indexes the transaction an ABORT marker ends when `index` is set.
  void apply_producer_batch(const batch_info& b, std::span<const uint8_t> bytes, segment* index);
  void forget_producers_below_start();
  void publish_view();
  std::optional<size_t> find_run(const std::vector<std::shared_ptr<file>>& old_logs,
                                 int64_t base) const;
  // Kafka's LogConfig.maxSegmentMs: a compacted log rolls by max.compaction.lag.ms too, so that
  // its records do not wait in the active segment for longer than that.
  int64_t max_segment_ms() const {
    return _config.compact && _config.max_compaction_lag_ms > 0
               ? std::min(_config.max_compaction_lag_ms, _config.segment_ms)
               : _config.segment_ms;
  }
  result<std::vector<int64_t>, storage_error> complete_swaps(const std::vector<int64_t>& swaps,
                                                             std::vector<int64_t>& bases);

  std::filesystem::path _dir;
  log_config _config;
  std::vector<std::unique_ptr<segment>> _segments;
  std::vector<std::pair<int32_t, int64_t>> _epochs;
  int64_t _log_start = 0;
  int64_t _end = 0;
  int64_t _unflushed_messages = 0;
  int64_t _last_flush_ms = 0;
  bool _closed = false;
  std::shared_ptr<cleanable_log> _cleaner;
  // Between prepare_swap and replace_segments.
  bool _swap_pending = false;
  producer_state _producers;
};

}  // namespace brook::storage
