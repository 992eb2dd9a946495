// Value types shared by every Kafka message: UUIDs, bytes that share the buffer they came from,
// and tagged fields that this build does not know but must carry through unchanged.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace brook::wire {

// Thrown by readers when the bytes do not form a valid value. The request path turns it into a
// Kafka error code or a clean disconnect; it never escapes to crash the process.
class decode_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by writers when a value cannot be expressed in the requested version, e.g. a
// non-default value in a field the version lacks that the schema does not mark ignorable.
class encode_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The byte buffer that encoders produce.
using byte_buffer = std::vector<uint8_t>;

// Out-of-line throws for generated code: "<what> (version N)". Keeping the formatting out of line
// keeps every generated source free of heavy formatting headers.
[[noreturn]] void throw_decode_error(std::string_view what, int16_t version);
[[noreturn]] void throw_encode_error(std::string_view what, int16_t version);

// A 128-bit UUID as Kafka carries it: 16 bytes, most significant first.
struct uuid {
  std::array<uint8_t, 16> bytes{};

  static uuid from_halves(uint64_t msb, uint64_t lsb);
  uint64_t msb() const;
  uint64_t lsb() const;
  bool is_zero() const { return *this == uuid{}; }
  // Kafka's text form: URL-safe base64 without padding (22 characters).
  std::string to_string() const;
  static std::optional<uuid> parse(std::string_view text);

  auto operator<=>(const uuid&) const = default;
};

// Bytes that either own their storage or share the buffer a message was decoded from, so that
// record batches pass from the socket to the log without a copy. Equality compares contents.
class shared_bytes {
 public:
  shared_bytes() = default;
  explicit shared_bytes(std::vector<uint8_t> owned);
  shared_bytes(std::shared_ptr<const void> owner, std::span<const uint8_t> data)
      : _owner(std::move(owner)), _data(data) {}

  std::span<const uint8_t> span() const { return _data; }
  const uint8_t* data() const { return _data.data(); }
  size_t size() const { return _data.size(); }
  bool empty() const { return _data.empty(); }

  bool operator==(const shared_bytes& o) const { return std::ranges::equal(_data, o._data); }

 private:
  std::shared_ptr<const void> _owner;
  std::span<const uint8_t> _data;
};

// A tagged field whose tag this build does not know: kept as raw bytes and written back as is.
struct raw_tagged_field {
  uint32_t tag = 0;
  std::vector<uint8_t> data;
  bool operator==(const raw_tagged_field&) const = default;
};
using unknown_tagged_fields = std::vector<raw_tagged_field>;

}  // namespace brook::wire
