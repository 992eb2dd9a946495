// The transaction index of a segment, <base>.txnindex beside its .log, in Kafka's format: the
// transactions aborted by a marker in that segment, in marker order, each a 34-byte big-endian
// entry: int16 version (0), int64 producer id, int64 first offset (the transaction's first
// batch), int64 last offset (the ABORT marker), int64 last stable offset (the LSO right after
// the marker: the first offset of the oldest transaction still open then, or the marker + 1).
// A read_committed Fetch gets from it the aborted transactions overlapping what it returns, so
// that the consumer drops their records.
//
// Only aborts are indexed (commits need nothing from a reader). The file is created with its
// first entry and goes with its segment. A segment keeps its entries in memory too: aborts are
// rare, and a Fetch reads them without touching the disk.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace brook::storage {

struct aborted_txn {
  int64_t producer_id = -1;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t last_stable_offset = -1;
  bool operator==(const aborted_txn&) const = default;
};

inline constexpr size_t k_txn_index_entry_size = 34;

std::array<uint8_t, k_txn_index_entry_size> encode_txn_index_entry(const aborted_txn& t);
// The entries of a whole file; a torn last entry (a crash mid-write) or one of an unknown
// version ends the list.
std::vector<aborted_txn> decode_txn_index(std::span<const uint8_t> bytes);
std::string encode_txn_index(std::span<const aborted_txn> entries);

// Kafka's collectAbortedTxns over one segment's entries: those whose marker is at or after
// `fetch_offset` and whose first offset is below `upper_bound` (the offset after the last batch
// returned) are added to `out`. True when the search is complete: an entry's last stable offset
// reached `upper_bound`, so later segments cannot hold a transaction that matters.
bool collect_aborted(std::span<const aborted_txn> entries, int64_t fetch_offset,
                     int64_t upper_bound, std::vector<aborted_txn>& out);

// The union of several segments' entries, in marker order, each once (a swap finished at start
// merges the entries of the segments it replaced with those of the cleaned one).
std::vector<aborted_txn> merge_txn_indexes(std::vector<aborted_txn> entries);

}  // namespace brook::storage
