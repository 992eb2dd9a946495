#include "protocol/wire/reader.h"

#include <fmt/format.h>

namespace brook::wire {

void reader::throw_short(size_t n) const {
  throw decode_error(fmt::format("truncated input: need {} bytes at offset {}, {} remain", n,
                                 position(), remaining()));
}

uuid reader::read_uuid() {
  uuid u;
  auto s = read_span(16);
  std::memcpy(u.bytes.data(), s.data(), 16);
  return u;
}

uint32_t reader::read_uvarint() {
  uint32_t value = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    need(1);
    uint8_t b = *_pos++;
    if (shift == 28 && (b & 0xf0) != 0) throw decode_error("varint does not fit in 32 bits");
    value |= static_cast<uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value;
  }
  throw decode_error("varint longer than 5 bytes");
}

uint64_t reader::read_uvarlong() {
  uint64_t value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    need(1);
    uint8_t b = *_pos++;
    if (shift == 63 && (b & 0xfe) != 0) throw decode_error("varlong does not fit in 64 bits");
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return value;
  }
  throw decode_error("varlong longer than 10 bytes");
}

int64_t reader::read_length(bool compact, bool is_bytes) {
  int64_t len;
  if (compact) {
    len = static_cast<int64_t>(read_uvarint()) - 1;
  } else if (is_bytes) {
    len = read_int32();
  } else {
    len = read_int16();
  }
  if (len < -1) throw decode_error(fmt::format("negative length {}", len));
  if (len > 0 && static_cast<uint64_t>(len) > remaining())
    throw decode_error(fmt::format("length {} exceeds the {} bytes that remain", len, remaining()));
  return len;
}

std::optional<std::string> reader::read_nullable_string(bool compact) {
  int64_t len = read_length(compact, false);
  if (len < 0) return std::nullopt;
  auto s = read_span(static_cast<size_t>(len));
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

std::string reader::read_string(bool compact) {
  auto s = read_nullable_string(compact);
  if (!s) throw decode_error("null value for a non-nullable string");
  return std::move(*s);
}

std::optional<std::vector<uint8_t>> reader::read_nullable_bytes(bool compact) {
  int64_t len = read_length(compact, true);
  if (len < 0) return std::nullopt;
  auto s = read_span(static_cast<size_t>(len));
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::vector<uint8_t> reader::read_bytes(bool compact) {
  auto b = read_nullable_bytes(compact);
  if (!b) throw decode_error("null value for non-nullable bytes");
  return std::move(*b);
}

std::optional<shared_bytes> reader::read_nullable_shared_bytes(bool compact) {
  int64_t len = read_length(compact, true);
  if (len < 0) return std::nullopt;
  auto s = read_span(static_cast<size_t>(len));
  if (_owner) return shared_bytes(_owner, s);
  return shared_bytes(std::vector<uint8_t>(s.begin(), s.end()));
}

shared_bytes reader::read_shared_bytes(bool compact) {
  auto b = read_nullable_shared_bytes(compact);
  if (!b) throw decode_error("null value for non-nullable bytes");
  return std::move(*b);
}

int32_t reader::read_array_length(bool compact) {
  int64_t n = compact ? static_cast<int64_t>(read_uvarint()) - 1 : read_int32();
  if (n < -1) throw decode_error(fmt::format("negative array length {}", n));
  if (n > 0 && static_cast<uint64_t>(n) > remaining())
    throw decode_error(
        fmt::format("array of {} elements cannot fit in the {} bytes that remain", n, remaining()));
  return static_cast<int32_t>(n);
}

}  // namespace brook::wire
