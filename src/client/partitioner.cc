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
  if (!available.empty()) {
    if (available.size() == 1) return available[0];
    // Another partition than the current one when there is a choice.
    for (;;) {
      std::uniform_int_distribution<size_t> pick(0, available.size() - 1);
      const int32_t p = available[pick(_random)];
      if (p != _current) return p;
    }
  }
  if (partition_count <= 1) return 0;
  for (;;) {
    std::uniform_int_distribution<int32_t> pick(0, partition_count - 1);
    const int32_t p = pick(_random);
    if (p != _current) return p;
  }
}

int32_t sticky_partitioner::partition(int32_t partition_count, std::span<const int32_t> available) {
  const bool usable = _current >= 0 && _current < partition_count &&
                      (available.empty() ||
                       std::find(available.begin(), available.end(), _current) != available.end());
  if (!usable || _produced >= _batch_size) {
    _current = choose(partition_count, available);
    _produced = 0;
  }
  return _current;
}

void sticky_partitioner::on_append(int32_t partition, int64_t bytes) {
  if (partition == _current) _produced += bytes;
}

}  // namespace brook::client
