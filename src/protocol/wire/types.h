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

// A byte range of an open file. Fetch responses carry records this way so that the connection
// sends them from the file (sendfile) rather than through a copy in memory.
struct file_range {
  int fd = -1;
  int64_t position = 0;
  size_t size = 0;
  bool operator==(const file_range&) const = default;
};

// Bytes that either own their storage or share the buffer a message was decoded from, so that
// record batches pass from the socket to the log without a copy. Equality compares contents.
//
// A third form stands for a file range whose bytes are never loaded: only the records field of
// a response holds one, only writer::write_records writes it, and its span() is empty.
class shared_bytes {
 public:
  shared_bytes() = default;
  explicit shared_bytes(std::vector<uint8_t> owned);
  shared_bytes(std::shared_ptr<const void> owner, std::span<const uint8_t> data)
      : _owner(std::move(owner)), _data(data) {}
  // `owner` keeps the file open until the bytes are sent.
  static shared_bytes from_file(std::shared_ptr<const void> owner, file_range range) {
    shared_bytes b;
    b._owner = std::move(owner);
    b._file = range;
    return b;
  }

  std::span<const uint8_t> span() const { return _data; }
  const uint8_t* data() const { return _data.data(); }
  size_t size() const { return _file.fd >= 0 ? _file.size : _data.size(); }
  bool empty() const { return size() == 0; }
  // The file range, or nullptr for bytes in memory.
  const file_range* in_file() const { return _file.fd >= 0 ? &_file : nullptr; }
  const std::shared_ptr<const void>& owner() const { return _owner; }

  bool operator==(const shared_bytes& o) const {
    return _file == o._file && std::ranges::equal(_data, o._data);
  }

 private:
  std::shared_ptr<const void> _owner;
  std::span<const uint8_t> _data;
  file_range _file;
};

// Where a writer's output continues from a file: the bytes of `range` go before buffer offset
// `at`. `owner` keeps the file open.
struct file_splice {
  size_t at = 0;
  file_range range;
  std::shared_ptr<const void> owner;
};

// A tagged field whose tag this build does not know: kept as raw bytes and written back as is.
struct raw_tagged_field {
  uint32_t tag = 0;
  std::vector<uint8_t> data;
  bool operator==(const raw_tagged_field&) const = default;
};
using unknown_tagged_fields = std::vector<raw_tagged_field>;

}  // namespace brook::wire
