// Writing Kafka's primitive types into a growing byte buffer, and the matching size functions
// that let generated code compute an encoding's length without writing it.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/wire/types.h"

namespace brook::wire {

class writer {
 public:
  writer() = default;
  explicit writer(size_t reserve) { _buf.resize(reserve); }

  size_t size() const { return _len; }
  std::span<const uint8_t> bytes() const { return {_buf.data(), _len}; }
  byte_buffer take() {
    _buf.resize(_len);
    _len = 0;
    return std::move(_buf);
  }
  void reserve(size_t n) {
    if (n > _buf.size()) _buf.resize(n);
  }

  void write_int8(int8_t v) { *ensure(1) = static_cast<uint8_t>(v), ++_len; }
  void write_int16(int16_t v) { write_be(static_cast<uint16_t>(v)); }
  void write_uint16(uint16_t v) { write_be(v); }
  void write_int32(int32_t v) { write_be(static_cast<uint32_t>(v)); }
  void write_uint32(uint32_t v) { write_be(v); }
  void write_int64(int64_t v) { write_be(static_cast<uint64_t>(v)); }
  void write_float64(double v) { write_be(std::bit_cast<uint64_t>(v)); }
  void write_bool(bool v) { write_int8(v ? 1 : 0); }
  void write_uuid(const uuid& u) { write_raw(u.bytes); }
  void write_uvarint(uint32_t v) { write_uvarlong(v); }
  void write_uvarlong(uint64_t v) {
    uint8_t* p = ensure(10);
    uint8_t* start = p;
    while (v >= 0x80) {
      *p++ = static_cast<uint8_t>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<uint8_t>(v);
    _len += static_cast<size_t>(p - start);
  }
  void write_varint(int32_t v) {
    write_uvarint((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
  }
  void write_varlong(int64_t v) {
    write_uvarlong((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void write_raw(std::span<const uint8_t> s) {
    if (s.empty()) return;
    std::memcpy(ensure(s.size()), s.data(), s.size());
    _len += s.size();
  }

  // Overwrites 4 bytes already written at `pos` (frame sizes, batch lengths, CRCs).
  void patch_int32(size_t pos, int32_t v) {
    uint32_t be = static_cast<uint32_t>(v);
    if constexpr (std::endian::native == std::endian::little) be = __builtin_bswap32(be);
    std::memcpy(_buf.data() + pos, &be, 4);
  }

  void write_string(std::string_view s, bool compact);
  void write_nullable_string(const std::optional<std::string>& s, bool compact);
  void write_bytes(std::span<const uint8_t> b, bool compact);
  void write_nullable_bytes(const std::optional<std::vector<uint8_t>>& b, bool compact);
  void write_nullable_bytes(const std::optional<shared_bytes>& b, bool compact);
  // A records field: like write_bytes, but a file range is not copied; it is noted as a splice
  // for the sender, and size() and bytes() leave it out.
  void write_records(const shared_bytes& b, bool compact);
  // The file ranges written so far, in order.
  std::vector<file_splice> take_splices() { return std::move(_splices); }
  // n < 0 writes the null marker.
  void write_array_length(int64_t n, bool compact) {
    if (n > 0x7ffffffe) [[unlikely]]
      throw encode_error("array too long");
    if (compact) {
      write_uvarint(static_cast<uint32_t>(n + 1));
    } else {
      write_int32(static_cast<int32_t>(n));
    }
  }
  void write_unknown_tags(const unknown_tagged_fields& tags);

 private:
  // Room for n more bytes at the cursor. The buffer's size is its usable capacity; bytes past
  // _len are scratch, cut off by take().
  uint8_t* ensure(size_t n) {
    if (_len + n > _buf.size()) [[unlikely]]
      grow(n);
    return _buf.data() + _len;
  }
  void grow(size_t n);

  template <class T>
  void write_be(T v) {
    if constexpr (std::endian::native == std::endian::little) {
      if constexpr (sizeof(T) == 2) v = __builtin_bswap16(v);
      if constexpr (sizeof(T) == 4) v = __builtin_bswap32(v);
      if constexpr (sizeof(T) == 8) v = __builtin_bswap64(v);
    }
    std::memcpy(ensure(sizeof(T)), &v, sizeof(T));
    _len += sizeof(T);
  }

  byte_buffer _buf;
  size_t _len = 0;
  std::vector<file_splice> _splices;
};

// Sizes of encodings, for computing lengths before writing.
constexpr size_t uvarint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
constexpr size_t varint_size(int32_t v) {
  return uvarint_size((static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31));
}
constexpr size_t varlong_size(int64_t v) {
  return uvarint_size((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}
// Length prefix of a string (int16) or bytes (int32) value of `len` bytes; len < 0 means null.
constexpr size_t length_prefix_size(int64_t len, bool compact, bool is_bytes) {
  if (compact) return uvarint_size(static_cast<uint64_t>(len + 1));
  return is_bytes ? 4 : 2;
}
constexpr size_t array_length_size(int64_t n, bool compact) {
  return compact ? uvarint_size(static_cast<uint64_t>(n + 1)) : 4;
}
size_t unknown_tags_size(const unknown_tagged_fields& tags);

}  // namespace brook::wire
