// One partition as its owning shard serves it: the log, the Produce path (validate, assign
// offsets, append) and the waiters of long-polling Fetch requests. Single replica for now, so the
// high watermark is the log end offset; leaders and followers come with replication.
//
// Owned by the shard_state of shard_of(topic, index); used only on that shard's thread. Fetches
// on other shards register waiters that are woken (by a message to their shard) on append.
#pragma once

#include <asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/event.h"
#include "storage/log_config.h"
#include "storage/partition_log.h"

namespace brook::broker {

struct record_error {
  int32_t batch_index = 0;
  std::string message;
};

struct produce_outcome {
  int16_t error_code = 0;
  std::string error_message;
  int64_t base_offset = -1;
  int64_t log_append_time = -1;
  int64_t log_start_offset = -1;
  std::vector<record_error> record_errors;
};

struct fetch_outcome {
  int16_t error_code = 0;
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;
  int64_t log_start_offset = -1;
  // read_committed: the aborted transactions overlapping the batches returned.
  std::vector<storage::aborted_txn> aborted;
  // The records: in memory, or (when the reader may send from files) as a segment file range.
  wire::byte_buffer records;
  storage::read_result file;
};

class partition {
 public:
  partition(std::string topic, wire::uuid topic_id, int32_t index,
            std::unique_ptr<storage::partition_log> log, storage::log_config config);

  const std::string& topic() const { return _topic; }
  int32_t index() const { return _index; }
  int32_t leader_epoch() const { return _leader_epoch; }
  storage::partition_log& log() { return *_log; }
  void set_config(storage::log_config c) {
    _config = c;
    _log->set_config(c);
  }

  // Validates and appends one Produce request's records for this partition. `records` is
  // patched in place (offsets, epochs) where Kafka patches in place.
  // `from_coordinator`: a coordinator's own write (sequences not checked).
  produce_outcome append(std::span<uint8_t> records, int16_t produce_version, int64_t now_ms,
                         bool from_coordinator = false);

  // Appends a COMMIT or ABORT marker (WriteTxnMarkers) at the current leader epoch; returns a
  // Kafka error code (0, INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED,
  // KAFKA_STORAGE_ERROR) and wakes long polls: the marker moves the last stable offset.
  int16_t append_marker(int64_t producer_id, int16_t producer_epoch, bool commit,
                        int32_t coordinator_epoch, int8_t transaction_version, int64_t now_ms);

  int64_t high_watermark() const { return _log->end_offset(); }
  // Below the high watermark while a transaction is open.
  int64_t last_stable_offset() const { return _log->last_stable_offset(); }
  int64_t log_start_offset() const { return _log->log_start_offset(); }

  // Reads whole batches from `offset`, below the high watermark, or for `read_committed` below
  // the last stable offset and with the aborted transactions the batches overlap. A range of at
  // least `file_threshold` bytes is left in the segment file for the connection to send from
  // there; smaller ones are copied.
  fetch_outcome read(int64_t offset, int32_t max_bytes, bool min_one_batch,
                     size_t file_threshold = SIZE_MAX, bool read_committed = false);

  // Rolls by time and applies retention; called from the shard's maintenance loop.
  void maintain(int64_t now_ms);
  // Flushes and closes the log (clean shutdown).
  void close();
  // Deletes the partition's files (DeleteTopics).
  void remove();

  // Wakes `ev` (on `home`, its shard) after the next append. Waiters whose event is gone are
  // dropped as new ones come.
  void add_waiter(asio::io_context& home, std::weak_ptr<net::event> ev);

 private:
  void wake_waiters();

  std::string _topic;
  wire::uuid _topic_id;
  int32_t _index;
  int32_t _leader_epoch = 0;
  std::unique_ptr<storage::partition_log> _log;
  storage::log_config _config;
  std::vector<std::pair<asio::io_context*, std::weak_ptr<net::event>>> _waiters;
};

}  // namespace brook::broker
