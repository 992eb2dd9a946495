// How the producer picks a partition for a record without one, the way the Java client does, so
// that Brook's producers and Java's put the same key on the same partition:
//
//  - a keyed record goes to murmur2(key) made positive (top bit cleared), modulo the topic's
//    partition count (all partitions, available or not), as Java's BuiltInPartitioner does;
//  - a keyless record (or any record with partitioner.ignore.keys) goes to the topic's "sticky"
//    partition (KIP-480, KIP-794): every keyless record stays on one partition until about
//    batch.size bytes went there, then a new one is chosen at random among the partitions that
//    have a leader, so that batches fill up instead of spreading one record per partition.
//
// Threads: sticky_partitioner is not synchronised; the producer calls it under its own lock.
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace brook::client {

// Kafka's 32-bit murmur2 (seed 0x9747b28c), equal to Java's Utils.murmur2.
int32_t murmur2(std::span<const uint8_t> data);

// Java's Utils.toPositive: clears the sign bit (not abs()).
inline int32_t to_positive(int32_t v) { return v & 0x7fffffff; }

// The partition of a keyed record among `partition_count` partitions.
int32_t partition_for_key(std::span<const uint8_t> key, int32_t partition_count);

// The sticky choice for one topic's keyless records.
class sticky_partitioner {
 public:
  // `batch_size` is the producer's batch.size; `seed` makes tests repeatable.
  explicit sticky_partitioner(int64_t batch_size, uint64_t seed = std::random_device{}());

  // The partition for the next keyless record. `available` lists the partitions that have a
  // leader (may be empty: then any of `partition_count` is picked).
  int32_t partition(int32_t partition_count, std::span<const int32_t> available);

  // Counts `bytes` appended to `partition`; once batch.size bytes went to the current sticky
  // partition, the next call to partition() picks another one.
  void on_append(int32_t partition, int64_t bytes);

  // The current sticky partition, or -1 before the first choice.
  int32_t current() const { return _current; }

 private:
  int32_t choose(int32_t partition_count, std::span<const int32_t> available);

  int64_t _batch_size;
  std::mt19937_64 _random;
  int32_t _current = -1;
  int64_t _produced = 0;
};

}  // namespace brook::client
