// The producer state of one partition, as Kafka keeps it (its ProducerStateManager): for every
// producer id that wrote to the partition, its epoch and the last five batches it appended, so
// that a retried batch is recognised as a duplicate and answered with its first offset, a batch
// out of sequence is refused, and a fenced (older) epoch is refused.
//
// The rules (Kafka's ProducerAppendInfo, for batches that clients send):
//  - a batch whose epoch and sequence range match one of the producer's last five is a duplicate;
//    for a transactional batch, only one of the transaction open now (Brook's own rule: Kafka
//    also takes a batch of an earlier transaction, which a client reusing sequence numbers after
//    an abort then loses from a transaction that commits);
//  - an epoch below the producer's is INVALID_PRODUCER_EPOCH;
//  - at the producer's epoch the first sequence must follow the last one (INT32_MAX wraps to 0);
//  - a new epoch must start at sequence 0;
//  - a producer the partition does not know (never seen, expired, or whose batches retention
//    removed) may start at any sequence;
//  - a producer with a transaction open may only send transactional batches (INVALID_TXN_STATE).
//
// Transactions: a producer's first transactional batch opens its transaction (txn_first_offset);
// the COMMIT or ABORT marker the coordinator has written (a control batch) closes it. The open
// transactions give the last stable offset: a read_committed consumer reads only below the first
// offset of the oldest one. A marker is checked first (check_marker, Kafka's appendEndTxnMarker):
// its producer epoch must not be older than the producer's (strictly newer for transaction
// version 2, whose coordinator bumps the epoch for every marker), and its coordinator epoch not
// older than the last marker's (TRANSACTION_COORDINATOR_FENCED).
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
  // For a control batch: whether it holds a marker (an empty one, or another control record,
  // changes nothing), which one, and the coordinator epoch in its value.
  bool marker = false;
  bool commit = false;
  int32_t coordinator_epoch = -1;
};

// A transaction a marker ended, as Kafka's CompletedTxn: from its first batch to the marker.
struct completed_txn {
  int64_t producer_id = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  bool aborted = false;
  bool operator==(const completed_txn&) const = default;
};

struct producer_verdict {
  enum kind_t {
    append,
    duplicate,
    out_of_order_sequence,
    invalid_epoch,
    invalid_txn_state,
    coordinator_fenced
  } kind = append;
  // For a duplicate, the batch it repeats.
  producer_batch original;
  // For the refusals, Kafka's message (logged; Kafka does not send it to the client).
  std::string message;
};

class producer_state {
 public:
  // Checks a batch a client produced (already given its offsets) against the state.
  producer_verdict check(const producer_append& b) const;
  // Checks a transaction marker the coordinator asks for (WriteTxnMarkers) against the state;
  // `transaction_version` is the one the request carries (0 before KIP-890's version 2).
  producer_verdict check_marker(int64_t producer_id, int16_t epoch, int32_t coordinator_epoch,
                                int8_t transaction_version) const;
  // Records an appended batch (also when replaying the log at open). For a marker that closes
  // an open transaction, the transaction it closed (a marker without one closes nothing).
  std::optional<completed_txn> apply(const producer_append& b);

  // The first offset of the oldest open transaction, if any: the last stable offset when below
  // the high watermark.
  std::optional<int64_t> first_unstable_offset() const {
    if (_ongoing.empty()) return std::nullopt;
    return _ongoing.begin()->first;
  }
  // Kafka's lastStableOffset(completedTxn), asked right after apply() closed `t`: the first
  // offset of the oldest transaction still open, or the offset after the marker.
  int64_t last_stable_offset_after(const completed_txn& t) const {
    return first_unstable_offset().value_or(t.last_offset + 1);
  }
  // The open transactions: first offset -> producer id.
  const std::multimap<int64_t, int64_t>& ongoing() const { return _ongoing; }

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
  void set_txn_first_offset(producer_entry& e, int64_t offset);

  std::map<int64_t, producer_entry> _producers;
  // Derived from the entries' txn_first_offset.
  std::multimap<int64_t, int64_t> _ongoing;
};

}  // namespace brook::storage
