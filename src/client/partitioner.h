// How the producer picks a partition for a record without one, the way the Java client does, so
// that Brook's producers and Java's put the same key on the same partition:
//
//  - a keyed record goes to murmur2(key) made positive (top bit cleared), modulo the topic's
//    partition count (all partitions, available or not), as Java's BuiltInPartitioner does;
//  - a keyless record (or any record with partitioner.ignore.keys) goes to the topic's "sticky"
//    partition (KIP-480, KIP-794): every keyless record stays on one partition until batch.size
//    bytes went there and its last batch is full (or, whatever the batch, twice batch.size), so
//    that batches fill up instead of spreading one record per partition. Then the next one is
//    drawn at random among the partitions that have a leader:
//      - uniformly, without load statistics (partitioner.adaptive.partitioning.enable=false, one
//        partition, or every queue equally long);
//      - with adaptive partitioning (KIP-794 part 2, on by default), weighted by how few batches
//        wait for each partition, so that a slow broker, whose queues grow, gets fewer new
//        batches: each partition's weight is (longest queue + 1 - its queue), and the draw finds
//        its partition in the running sum of those weights (a cumulative frequency table), as
//        Java's BuiltInPartitioner does. The producer gives the queue lengths after each pass of
//        its sender (update_load_stats), leaving out partitions without a leader and, with
//        partitioner.availability.timeout.ms > 0, those whose broker could not take a ready
//        batch for longer than that.
//
// Threads: sticky_partitioner is not synchronised; the producer calls it under its own lock.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

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

  // Counts `bytes` appended to `partition`. The next call to partition() draws a new partition
  // once batch.size bytes went to the current one and `batch_full` (its last batch takes no more
  // records), or once twice batch.size went there.
  void on_append(int32_t partition, int64_t bytes, bool batch_full = true);

  // Adaptive partitioning: `queue_sizes[i]` batches wait for partition `partition_ids[i]` (the
  // partitions that may be drawn, all with a leader), out of the topic's `partition_count`.
  // Later draws are weighted by them, except when every partition of the topic is listed with
  // the same queue length (then uniform, as without statistics).
  void update_load_stats(std::span<const int32_t> queue_sizes,
                         std::span<const int32_t> partition_ids, int32_t partition_count);
  // Back to uniform draws.
  void clear_load_stats();

  // The current sticky partition, or -1 before the first choice.
  int32_t current() const { return _current; }

  // For tests: the end of the range of weighted draws (the table's last sum), 0 without load
  // statistics; and the partition a draw `r` in [0, end) picks.
  int32_t load_stats_range_end() const { return _table.empty() ? 0 : _table.back(); }
  int32_t weighted_choice(int32_t r) const;

 private:
  int32_t choose(int32_t partition_count, std::span<const int32_t> available);

  int64_t _batch_size;
  std::mt19937_64 _random;
  int32_t _current = -1;
  int64_t _produced = 0;
  bool _switch_due = false;
  // Cumulative frequency table and its partitions; empty for uniform draws.
  std::vector<int32_t> _table;
  std::vector<int32_t> _table_ids;
};

}  // namespace brook::client
