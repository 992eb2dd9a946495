#include "client/partitioner.h"

#include <algorithm>
#include <cstring>

namespace brook::client {

int32_t murmur2(std::span<const uint8_t> data) {
  // The 32-bit MurmurHash2 variant Kafka uses: little-endian 4-byte blocks, then the tail.
  constexpr uint32_t seed = 0x9747b28c;
  constexpr uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const size_t length = data.size();
  uint32_t h = seed ^ static_cast<uint32_t>(length);
  size_t i = 0;
  for (; i + 4 <= length; i += 4) {
    uint32_t k = static_cast<uint32_t>(data[i]) | static_cast<uint32_t>(data[i + 1]) << 8 |
                 static_cast<uint32_t>(data[i + 2]) << 16 |
                 static_cast<uint32_t>(data[i + 3]) << 24;
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (length - i) {
    case 3:
      h ^= static_cast<uint32_t>(data[i + 2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(data[i + 1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(data[i]);
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t partition_for_key(std::span<const uint8_t> key, int32_t partition_count) {
  if (partition_count <= 0) return 0;
  return to_positive(murmur2(key)) % partition_count;
}

sticky_partitioner::sticky_partitioner(int64_t batch_size, uint64_t seed)
    : _batch_size(std::max<int64_t>(batch_size, 1)), _random(seed) {}

int32_t sticky_partitioner::choose(int32_t partition_count, std::span<const int32_t> available) {
  // A non-negative 31-bit draw, as Java's toPositive(nextInt()).
  const auto r = static_cast<int32_t>(_random() & 0x7fffffff);
  if (!_table.empty()) return weighted_choice(r % _table.back());
  if (!available.empty()) return available[static_cast<size_t>(r) % available.size()];
  return partition_count <= 1 ? 0 : r % partition_count;
}

int32_t sticky_partitioner::weighted_choice(int32_t r) const {
  // The first sum strictly above the draw.
  const auto it = std::upper_bound(_table.begin(), _table.end(), r);
  const auto i = std::min<size_t>(static_cast<size_t>(it - _table.begin()), _table.size() - 1);
  return _table_ids[i];
}

int32_t sticky_partitioner::partition(int32_t partition_count, std::span<const int32_t> available) {
  const bool usable = _current >= 0 && _current < partition_count &&
                      (available.empty() ||
                       std::find(available.begin(), available.end(), _current) != available.end());
  if (!usable || _switch_due) {
    _current = choose(partition_count, available);
    _produced = 0;
    _switch_due = false;
  }
  return _current;
}

void sticky_partitioner::on_append(int32_t partition, int64_t bytes, bool batch_full) {
  if (partition != _current) return;
  _produced += bytes;
  if ((_produced >= _batch_size && batch_full) || _produced >= 2 * _batch_size) _switch_due = true;
}

void sticky_partitioner::update_load_stats(std::span<const int32_t> queue_sizes,
                                           std::span<const int32_t> partition_ids,
                                           int32_t partition_count) {
  const size_t n = std::min(queue_sizes.size(), partition_ids.size());
  if (n == 0 || partition_count < 2) {
    clear_load_stats();
    return;
  }
  int32_t top = queue_sizes[0];
  bool all_equal = true;
  for (size_t i = 1; i < n; ++i) {
    all_equal = all_equal && queue_sizes[i] == queue_sizes[0];
    top = std::max(top, queue_sizes[i]);
  }
  if (all_equal && n == static_cast<size_t>(partition_count)) {
    clear_load_stats();
    return;
  }
  // Weight top + 1 - size: an empty queue weighs most, the longest 1.
  _table.resize(n);
  _table_ids.assign(partition_ids.begin(), partition_ids.begin() + static_cast<long>(n));
  int32_t sum = 0;
  for (size_t i = 0; i < n; ++i) {
    sum += top + 1 - queue_sizes[i];
    _table[i] = sum;
  }
}

void sticky_partitioner::clear_load_stats() {
  _table.clear();
  _table_ids.clear();
}

}  // namespace brook::client
