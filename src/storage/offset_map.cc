#include "storage/offset_map.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace brook::storage {

namespace {

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

uint64_t fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

uint64_t load_le(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

}  // namespace

std::pair<uint64_t, uint64_t> hash128(std::span<const uint8_t> data) {
  constexpr uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
  uint64_t h1 = 0, h2 = 0;
  const size_t blocks = data.size() / 16;
  const uint8_t* p = data.data();
  for (size_t i = 0; i < blocks; ++i, p += 16) {
    uint64_t k1 = load_le(p, 8), k2 = load_le(p + 8, 8);
    h1 ^= rotl(k1 * c1, 31) * c2;
    h1 = (rotl(h1, 27) + h2) * 5 + 0x52dce729;
    h2 ^= rotl(k2 * c2, 33) * c1;
    h2 = (rotl(h2, 31) + h1) * 5 + 0x38495ab5;
  }
  const size_t tail = data.size() & 15;
  if (tail > 8) h2 ^= rotl(load_le(p + 8, tail - 8) * c2, 33) * c1;
  if (tail > 0) h1 ^= rotl(load_le(p, std::min<size_t>(tail, 8)) * c1, 31) * c2;
  h1 ^= data.size();
  h2 ^= data.size();
  h1 += h2;
  h2 += h1;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

offset_map::offset_map(int64_t memory_bytes)
    : _slots(std::max<size_t>(
          2, static_cast<size_t>(std::max<int64_t>(memory_bytes, 0)) / k_bytes_per_entry)) {}

offset_map::~offset_map() { release(); }

void offset_map::release() {
  std::free(_table);
  _table = nullptr;
  _size = 0;
}

void offset_map::clear() {
  // calloc of a large block maps fresh zero pages: clearing costs nothing until pages are used.
  release();
  _table = static_cast<slot*>(std::calloc(_slots, sizeof(slot)));
  if (!_table) throw std::bad_alloc();
  _latest = -1;
}

const offset_map::slot* offset_map::find(uint64_t h1, uint64_t h2) const {
  size_t i = static_cast<size_t>(h1 % _slots);
  for (;;) {
    const slot& s = _table[i];
    if (s.offset_plus_one == 0 || (s.h1 == h1 && s.h2 == h2)) return &s;
    if (++i == _slots) i = 0;
  }
}

void offset_map::put(std::span<const uint8_t> key, int64_t offset) {
  // The cleaner never fills the map beyond its load factor, so a free slot always exists.
  auto [h1, h2] = hash128(key);
  auto* s = const_cast<slot*>(find(h1, h2));
  if (s->offset_plus_one == 0) {
    ++_size;
    s->h1 = h1;
    s->h2 = h2;
  }
  s->offset_plus_one = static_cast<uint64_t>(offset) + 1;
  _latest = offset;
}

int64_t offset_map::get(std::span<const uint8_t> key) const {
  if (!_table) return -1;
  auto [h1, h2] = hash128(key);
  const slot* s = find(h1, h2);
  return s->offset_plus_one == 0 ? -1 : static_cast<int64_t>(s->offset_plus_one - 1);
}

}  // namespace brook::storage
