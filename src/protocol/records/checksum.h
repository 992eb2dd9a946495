// Checksums used by Kafka's record formats:
// - CRC32C (Castagnoli) covers record batches of magic 2. It is computed over every batch a broker
//   receives, so it uses the SSE4.2 crc32 instruction when the CPU has it (chosen at run time; the
//   rest of the build needs no -msse4.2) and a slicing-by-8 table otherwise.
// - CRC32 (IEEE, zlib's) covers messages of magic 0 and 1.
// - XXH32 appears in LZ4 frame headers; Kafka's magic-0 LZ4 header needs it computed by hand.
//
// All CRC functions take and return the finished CRC value, so calls chain over pieces:
// crc32c(b, crc32c(a)) == crc32c(a followed by b).
#pragma once

#include <cstdint>
#include <span>

namespace brook::protocol::records {

uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc = 0);

// Both implementations, exposed so that tests and benchmarks can compare them.
uint32_t crc32c_software(std::span<const uint8_t> data, uint32_t crc = 0);
bool crc32c_hardware_available();
// Precondition: crc32c_hardware_available().
uint32_t crc32c_hardware(std::span<const uint8_t> data, uint32_t crc = 0);

uint32_t crc32(std::span<const uint8_t> data, uint32_t crc = 0);

uint32_t xxh32(std::span<const uint8_t> data, uint32_t seed = 0);

}  // namespace brook::protocol::records
