// Bounds-checked reading of Kafka's primitive types from a byte buffer.
//
// Every length and count that comes from the wire is checked against the bytes that remain before
// anything is allocated: a few bytes can never make the decoder reserve gigabytes. Any violation
// throws decode_error. A reader does not own its buffer; `owner`, when given, is shared with the
// zero-copy values (shared_bytes) it hands out.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/wire/types.h"

namespace brook::wire {

class reader {
 public:
  explicit reader(std::span<const uint8_t> buf, std::shared_ptr<const void> owner = {})
      : _begin(buf.data()),
        _pos(buf.data()),
        _end(buf.data() + buf.size()),
        _owner(std::move(owner)) {}

  size_t remaining() const { return static_cast<size_t>(_end - _pos); }
  size_t position() const { return static_cast<size_t>(_pos - _begin); }
  bool empty() const { return _pos == _end; }
  const std::shared_ptr<const void>& owner() const { return _owner; }

  int8_t read_int8() { return static_cast<int8_t>(read_be<uint8_t>()); }
  int16_t read_int16() { return static_cast<int16_t>(read_be<uint16_t>()); }
  uint16_t read_uint16() { return read_be<uint16_t>(); }
  int32_t read_int32() { return static_cast<int32_t>(read_be<uint32_t>()); }
  uint32_t read_uint32() { return read_be<uint32_t>(); }
  int64_t read_int64() { return static_cast<int64_t>(read_be<uint64_t>()); }
  double read_float64() { return std::bit_cast<double>(read_be<uint64_t>()); }
  bool read_bool() { return read_be<uint8_t>() != 0; }
  uuid read_uuid();

  // Unsigned LEB128 of at most 5 bytes (32 bits) / 10 bytes (64 bits).
  uint32_t read_uvarint();
  uint64_t read_uvarlong();
  // Zig-zag encoded signed varints, as in record batches.
  int32_t read_varint() {
    uint32_t v = read_uvarint();
    return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  int64_t read_varlong() {
    uint64_t v = read_uvarlong();
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }

  std::span<const uint8_t> read_span(size_t n) {
    need(n);
    std::span<const uint8_t> s(_pos, n);
    _pos += n;
    return s;
  }
  void skip(size_t n) { read_span(n); }

  // A reader over the next n bytes, sharing this reader's owner; this reader moves past them.
  reader sub_reader(size_t n) { return reader(read_span(n), _owner); }

  // Kafka's length-prefixed types. `compact` selects the flexible-version encoding
  // (unsigned varint of length + 1, 0 for null) over int16/int32 lengths (-1 for null).
  std::optional<std::string> read_nullable_string(bool compact);
  std::string read_string(bool compact);
  std::optional<std::vector<uint8_t>> read_nullable_bytes(bool compact);
  std::vector<uint8_t> read_bytes(bool compact);
  std::optional<shared_bytes> read_nullable_shared_bytes(bool compact);
  shared_bytes read_shared_bytes(bool compact);
  // Element count of an array, -1 for null. A count larger than the bytes that remain is an
  // error: every element takes at least one byte in any version that can carry many of them.
  int32_t read_array_length(bool compact);

 private:
  void need(size_t n) const {
    if (n > remaining()) [[unlikely]]
      throw_short(n);
  }
  [[noreturn]] void throw_short(size_t n) const;
  // Length of a string or bytes value: -1 for null, else checked against the remaining bytes.
  int64_t read_length(bool compact, bool is_bytes);

  template <class T>
  T read_be() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, _pos, sizeof(T));
    _pos += sizeof(T);
    if constexpr (sizeof(T) > 1 && std::endian::native == std::endian::little) v = byteswap(v);
    return v;
  }
  template <class T>
  static T byteswap(T v) {
    if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(v));
    if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(v));
    if constexpr (sizeof(T) == 8) return static_cast<T>(__builtin_bswap64(v));
  }

  const uint8_t* _begin;
  const uint8_t* _pos;
  const uint8_t* _end;
  std::shared_ptr<const void> _owner;
};

}  // namespace brook::wire
