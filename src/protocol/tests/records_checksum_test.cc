#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <string_view>
#include <vector>

#include "protocol/records/checksum.h"

using namespace brook::protocol::records;

namespace {

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

}  // namespace

TEST(records_crc32c, check_value) {
  EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c_software(bytes_of("123456789")), 0xE3069283u);
  if (crc32c_hardware_available()) {
    EXPECT_EQ(crc32c_hardware(bytes_of("123456789")), 0xE3069283u);
  }
  EXPECT_EQ(crc32c({}), 0u);
}

// RFC 3720, appendix B.4 (iSCSI): 32-byte patterns.
TEST(records_crc32c, rfc3720_vectors) {
  std::vector<uint8_t> zeros(32, 0), ones(32, 0xff), up(32), down(32);
  std::iota(up.begin(), up.end(), 0);
  for (int i = 0; i < 32; ++i) down[i] = static_cast<uint8_t>(31 - i);
  for (auto fn : {&crc32c, &crc32c_software}) {
    EXPECT_EQ(fn(zeros, 0), 0x8A9136AAu);
    EXPECT_EQ(fn(ones, 0), 0x62A8AB43u);
    EXPECT_EQ(fn(up, 0), 0x46DD794Eu);
    EXPECT_EQ(fn(down, 0), 0x113FDB5Cu);
  }
}

TEST(records_crc32c, chains_over_pieces) {
  auto data = random_bytes(10000, 1);
  uint32_t whole = crc32c(data);
  for (size_t cut : {0, 1, 7, 8, 767, 768, 5000, 9999, 10000}) {
    std::span<const uint8_t> s(data);
    EXPECT_EQ(crc32c(s.subspan(cut), crc32c(s.first(cut))), whole) << cut;
    EXPECT_EQ(crc32c_software(s.subspan(cut), crc32c_software(s.first(cut))), whole) << cut;
  }
}

// The hardware path splits long inputs into three lanes of 8 KiB or 256 bytes and joins them;
// lengths around every boundary and every alignment must agree with the table implementation.
TEST(records_crc32c, hardware_matches_software) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  auto data = random_bytes(3 * 8192 * 3 + 4096, 2);
  std::span<const uint8_t> all(data);
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 1600; ++n) lengths.push_back(n);
  for (size_t base : {3 * 256, 3 * 8192, 2 * 3 * 8192, 3 * 3 * 8192}) {
    for (size_t d = 0; d < 20; ++d) {
      lengths.push_back(base + d);
      lengths.push_back(base - d);
    }
  }
  for (size_t n : lengths) {
    for (size_t align = 0; align < 8; ++align) {
      auto s = all.subspan(align, n);
      ASSERT_EQ(crc32c_hardware(s, 0x12345678), crc32c_software(s, 0x12345678))
          << "length " << n << " alignment " << align;
    }
  }
  auto big = random_bytes((1 << 20) + 13, 3);
  EXPECT_EQ(crc32c_hardware(big), crc32c_software(big));
  EXPECT_EQ(crc32c(big), crc32c_software(big));
}

TEST(records_crc32, ieee_check_value) {
  EXPECT_EQ(crc32(bytes_of("123456789")), 0xCBF43926u);
  EXPECT_EQ(crc32(bytes_of("56789"), crc32(bytes_of("1234"))), 0xCBF43926u);
}

TEST(records_xxh32, reference_values) {
  EXPECT_EQ(xxh32({}), 0x02CC5D05u);
  EXPECT_EQ(xxh32(bytes_of("abc")), 0x32D153FFu);
}
