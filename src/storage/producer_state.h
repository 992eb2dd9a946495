// The producer state of one partition, as Kafka keeps it (its ProducerStateManager): for every
// producer id that wrote to the partition, its epoch and the last five batches it appended, so
// that a retried batch is recognised as a duplicate and answered with its first offset, a batch
// out of sequence is refused, and a fenced (older) epoch is refused.
//
// The rules (Kafka's ProducerAppendInfo, for batches that clients send):
//  - a batch whose epoch and sequence range match one of the producer's last five is a duplicate;
//  - an epoch below the producer's is INVALID_PRODUCER_EPOCH;
//  - at the producer's epoch the first sequence must follow the last one (INT32_MAX wraps to 0);
//  - a new epoch must start at sequence 0;
//  - a producer the partition does not know (never seen, expired, or whose batches retention
//    removed) may start at any sequence.
//
// Snapshots: the state as of an offset, written to <offset>.snapshot in the partition's folder
// when a segment rolls and when the log closes. Opening a log loads the newest snapshot at or
// below its end and replays the batches after it. Format (big-endian): "BRPS", u16 version 1,
// u32 producer count, then per producer: i64 id, i16 epoch, i32 coordinator epoch, i64 last
// timestamp, i64 first offset of its open transaction (-1: none), u8 batch count, then per batch
// i32 first sequence, i32 last sequence, i64 first offset, i64 last offset, i64 timestamp; a
// CRC-32C of everything before it ends the file.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace brook::storage {

inline constexpr size_t k_producer_batches_retained = 5;

struct producer_batch {
  int32_t first_seq = -1;
  int32_t last_seq = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  // The batch's max timestamp.
  int64_t timestamp = -1;
  bool operator==(const producer_batch&) const = default;
};

struct producer_entry {
  int64_t producer_id = -1;
  int16_t epoch = -1;
  int32_t coordinator_epoch = -1;
  int64_t last_timestamp = -1;
  // The first offset of the producer's open transaction, -1 when none.
  int64_t txn_first_offset = -1;
  // Oldest first, at most k_producer_batches_retained.
  std::deque<producer_batch> batches;

  int32_t last_seq() const { return batches.empty() ? -1 : batches.back().last_seq; }
  int64_t last_offset() const { return batches.empty() ? -1 : batches.back().last_offset; }
  bool operator==(const producer_entry&) const = default;
};

// What an appended batch says about its producer.
struct producer_append {
  int64_t producer_id = -1;
  int16_t epoch = -1;
  int32_t first_seq = -1;
  int32_t last_seq = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t max_timestamp = -1;
  bool transactional = false;
  bool control = false;
};

struct producer_verdict {
  enum kind_t { append, duplicate, out_of_order_sequence, invalid_epoch } kind = append;
  // For a duplicate, the batch it repeats.
  producer_batch original;
  // For the refusals, Kafka's message (logged; Kafka does not send it to the client).
  std::string message;
};

class producer_state {
 public:
  // Checks a batch a client produced (already given its offsets) against the state.
  producer_verdict check(const producer_append& b) const;
  // Records an appended batch (also when replaying the log at open).
  void apply(const producer_append& b);

  // Drops the producers whose last batch lies below `log_start` (retention, DeleteRecords).
  void evict_below(int64_t log_start);
  // Drops the producers without an open transaction whose last timestamp is `expiration_ms` or
  // more before `now_ms` (producer.id.expiration.ms). Returns how many went.
  size_t expire(int64_t now_ms, int64_t expiration_ms);

  const std::map<int64_t, producer_entry>& producers() const { return _producers; }
  const producer_entry* find(int64_t producer_id) const;
  bool empty() const { return _producers.empty(); }

  std::vector<uint8_t> encode() const;
  // None when the bytes are not a whole snapshot (wrong magic or version, short, CRC mismatch).
  static std::optional<producer_state> decode(std::span<const uint8_t> bytes);

 private:
  std::map<int64_t, producer_entry> _producers;
};

}  // namespace brook::storage
