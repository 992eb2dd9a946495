// The cleaner's key -> latest offset map, Kafka's SkimpyOffsetMap in spirit: a fixed amount of
// memory (log.cleaner.dedupe.buffer.size / log.cleaner.threads) divided into slots of 24 bytes,
// each a 128-bit hash of a key and the key's offset, with open addressing. Keys themselves are not
// kept, so two keys with the same 128-bit hash would count as one; with a hash of that width the
// chance of that among even billions of keys is negligible (Kafka makes the same trade with MD5).
//
// The memory is taken zeroed from the system when the map is first used for a log and given back
// by release(), so an idle cleaner holds nothing and a map with few keys touches few pages.
//
// Not thread-safe: each cleaner thread has its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace brook::storage {

class offset_map {
 public:
  explicit offset_map(int64_t memory_bytes);
  ~offset_map();
  offset_map(const offset_map&) = delete;
  offset_map& operator=(const offset_map&) = delete;

  static constexpr size_t k_bytes_per_entry = 24;

  size_t slots() const { return _slots; }
  // Distinct keys put since clear().
  size_t size() const { return _size; }
  // Empties the map (taking zeroed memory on first use) and forgets the latest offset.
  void clear();
  // Gives the memory back until the next clear().
  void release();
  // Records `offset` as the latest for `key` and as the latest offset seen.
  void put(std::span<const uint8_t> key, int64_t offset);
  // The offset put for `key`, or -1.
  int64_t get(std::span<const uint8_t> key) const;
  // The last offset the map covers (-1 after clear()).
  int64_t latest_offset() const { return _latest; }
  void update_latest_offset(int64_t offset) { _latest = offset; }
  double utilization() const { return _slots ? double(_size) / double(_slots) : 0.0; }

 private:
  struct slot {
    uint64_t h1, h2;
    // offset + 1; 0 marks an empty slot.
    uint64_t offset_plus_one;
  };
  static_assert(sizeof(slot) == k_bytes_per_entry);
  const slot* find(uint64_t h1, uint64_t h2) const;

  size_t _slots;
  slot* _table = nullptr;
  size_t _size = 0;
  int64_t _latest = -1;
};

// MurmurHash3 x64 128 (public domain algorithm by Austin Appleby), seed 0.
std::pair<uint64_t, uint64_t> hash128(std::span<const uint8_t> data);

}  // namespace brook::storage
