#include "protocol/records/checksum.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#define BROOK_CRC32C_X86 1
#endif

namespace brook::protocol::records {

namespace {

// CRC32C in its reflected form. The functions below update the raw register (no pre- or
// post-inversion); the public functions add the inversions.
constexpr uint32_t k_castagnoli_reflected = 0x82f63b78;

struct slicing_tables {
  // t[k][b]: the register after feeding byte b followed by k zero bytes into a zero register.
  std::array<std::array<uint32_t, 256>, 8> t{};
};

constexpr slicing_tables make_slicing_tables() {
  slicing_tables s;
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t r = b;
    for (int i = 0; i < 8; ++i) r = (r >> 1) ^ ((r & 1) ? k_castagnoli_reflected : 0);
    s.t[0][b] = r;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) {
      uint32_t prev = s.t[k - 1][b];
      s.t[k][b] = (prev >> 8) ^ s.t[0][prev & 0xff];
    }
  }
  return s;
}

constexpr slicing_tables k_slicing = make_slicing_tables();

inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

uint32_t software_update(uint32_t reg, const uint8_t* p, size_t n) {
  const auto& t = k_slicing.t;
  while (n >= 8) {
    uint64_t w = load_le64(p) ^ reg;
    reg = t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^ t[4][(w >> 24) & 0xff] ^
          t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^ t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) reg = (reg >> 8) ^ t[0][(reg ^ *p++) & 0xff];
  return reg;
}

#ifdef BROOK_CRC32C_X86

// The crc32 instruction has a latency of three cycles and a throughput of one per cycle, so one
// dependency chain runs at a third of the possible speed. Long inputs are cut into three equal
// lanes computed at once; the lane registers are then joined by "shifting" a register over the
// length of the lanes that follow it (what feeding that many zero bytes would do), which is linear
// in the register and so reduces to four table lookups.
constexpr size_t k_long_lane = 8192;
constexpr size_t k_short_lane = 256;

struct shift_table {
  std::array<std::array<uint32_t, 256>, 4> t{};

  uint32_t apply(uint32_t reg) const {
    return t[0][reg & 0xff] ^ t[1][(reg >> 8) & 0xff] ^ t[2][(reg >> 16) & 0xff] ^ t[3][reg >> 24];
  }
};

shift_table make_shift_table(size_t zero_bytes) {
  static constexpr std::array<uint8_t, 256> k_zeros{};
  std::array<uint32_t, 32> basis{};
  for (int bit = 0; bit < 32; ++bit) {
    uint32_t reg = uint32_t{1} << bit;
    for (size_t left = zero_bytes; left > 0;) {
      size_t n = std::min(left, k_zeros.size());
      reg = software_update(reg, k_zeros.data(), n);
      left -= n;
    }
    basis[bit] = reg;
  }
  shift_table s;
  for (int byte = 0; byte < 4; ++byte) {
    for (uint32_t v = 0; v < 256; ++v) {
      uint32_t x = 0;
      for (int b = 0; b < 8; ++b) {
        if (v & (1u << b)) x ^= basis[byte * 8 + b];
      }
      s.t[byte][v] = x;
    }
  }
  return s;
}

struct lane_shifts {
  shift_table long_lane = make_shift_table(k_long_lane);
  shift_table short_lane = make_shift_table(k_short_lane);
};

const lane_shifts& shifts() {
  static const lane_shifts s;
  return s;
}

template <size_t Lane>
__attribute__((target("sse4.2"))) inline uint32_t hardware_three_lanes(uint32_t reg,
                                                                       const uint8_t* p,
                                                                       const shift_table& shift) {
  uint64_t c0 = reg, c1 = 0, c2 = 0;
  const uint8_t* end = p + Lane;
  for (; p < end; p += 8) {
    c0 = _mm_crc32_u64(c0, load_le64(p));
    c1 = _mm_crc32_u64(c1, load_le64(p + Lane));
    c2 = _mm_crc32_u64(c2, load_le64(p + 2 * Lane));
  }
  uint32_t joined = shift.apply(static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1);
  return shift.apply(joined) ^ static_cast<uint32_t>(c2);
}

__attribute__((target("sse4.2"))) uint32_t hardware_update(uint32_t reg, const uint8_t* p,
                                                           size_t n) {
  if (n >= 3 * k_short_lane) {
    const lane_shifts& s = shifts();
    for (; n >= 3 * k_long_lane; p += 3 * k_long_lane, n -= 3 * k_long_lane)
      reg = hardware_three_lanes<k_long_lane>(reg, p, s.long_lane);
    for (; n >= 3 * k_short_lane; p += 3 * k_short_lane, n -= 3 * k_short_lane)
      reg = hardware_three_lanes<k_short_lane>(reg, p, s.short_lane);
  }
  uint64_t r64 = reg;
  for (; n >= 8; p += 8, n -= 8) r64 = _mm_crc32_u64(r64, load_le64(p));
  reg = static_cast<uint32_t>(r64);
  for (; n > 0; --n) reg = _mm_crc32_u8(reg, *p++);
  return reg;
}

#endif  // BROOK_CRC32C_X86

using update_fn = uint32_t (*)(uint32_t, const uint8_t*, size_t);

update_fn pick_update() {
#ifdef BROOK_CRC32C_X86
  if (crc32c_hardware_available()) return hardware_update;
#endif
  return software_update;
}

}  // namespace

bool crc32c_hardware_available() {
#ifdef BROOK_CRC32C_X86
  static const bool available = __builtin_cpu_supports("sse4.2");
  return available;
#else
  return false;
#endif
}

uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc) {
  static const update_fn update = pick_update();
  return ~update(~crc, data.data(), data.size());
}

uint32_t crc32c_software(std::span<const uint8_t> data, uint32_t crc) {
  return ~software_update(~crc, data.data(), data.size());
}

uint32_t crc32c_hardware(std::span<const uint8_t> data, uint32_t crc) {
#ifdef BROOK_CRC32C_X86
  return ~hardware_update(~crc, data.data(), data.size());
#else
  return crc32c_software(data, crc);
#endif
}

uint32_t crc32(std::span<const uint8_t> data, uint32_t crc) {
  return static_cast<uint32_t>(::crc32_z(crc, data.data(), data.size()));
}

uint32_t xxh32(std::span<const uint8_t> data, uint32_t seed) {
  constexpr uint32_t p1 = 0x9e3779b1u, p2 = 0x85ebca77u, p3 = 0xc2b2ae3du, p4 = 0x27d4eb2fu,
                     p5 = 0x165667b1u;
  auto lane = [](const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
    return v;
  };
  auto round = [](uint32_t acc, uint32_t input) { return std::rotl(acc + input * p2, 13) * p1; };

  const uint8_t* p = data.data();
  size_t n = data.size();
  uint32_t acc;
  if (n >= 16) {
    uint32_t v1 = seed + p1 + p2, v2 = seed + p2, v3 = seed, v4 = seed - p1;
    for (; n >= 16; p += 16, n -= 16) {
      v1 = round(v1, lane(p));
      v2 = round(v2, lane(p + 4));
      v3 = round(v3, lane(p + 8));
      v4 = round(v4, lane(p + 12));
    }
    acc = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
  } else {
    acc = seed + p5;
  }
  acc += static_cast<uint32_t>(data.size());
  for (; n >= 4; p += 4, n -= 4) acc = std::rotl(acc + lane(p) * p3, 17) * p4;
  for (; n > 0; ++p, --n) acc = std::rotl(acc + *p * p5, 11) * p1;
  acc ^= acc >> 15;
  acc *= p2;
  acc ^= acc >> 13;
  acc *= p3;
  acc ^= acc >> 16;
  return acc;
}

}  // namespace brook::protocol::records
