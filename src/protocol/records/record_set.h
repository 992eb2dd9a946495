// A record set: entries back to back, as Produce requests and Fetch responses carry them. An
// entry is a record batch (magic 2) or a legacy message (magic 0 or 1; a compressed wrapper is one
// entry), and one set may mix them, e.g. a log written before and after an upgrade.
//
// Every format starts with offset int64, length int32 (bytes that follow) and has its magic byte
// at offset 16, so entries are split without knowing more of their layout.
//
// A Fetch response may stop in the middle of an entry when the broker cut the set at the byte
// limit. That is not an error: the reader stops before the partial entry and reports its size. A
// length below the minimum for the entry's magic, or an unknown magic, is an error.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "protocol/records/record_batch.h"

namespace brook::protocol::records {

// Smallest value of the length field for each magic (bytes after offset and length).
inline constexpr int32_t k_min_entry_length_v0 = 14;
inline constexpr int32_t k_min_entry_length_v1 = 22;
inline constexpr int32_t k_min_entry_length_v2 =
    static_cast<int32_t>(k_batch_header_size - k_log_overhead);

struct record_set_entry {
  int8_t magic = 0;
  // Magic 2: the base offset. Magic 0 and 1: the message's offset (a compressed wrapper's is
  // its last inner offset).
  int64_t offset = 0;
  // The whole entry, offset and length included.
  std::span<const uint8_t> bytes;
  std::shared_ptr<const void> owner;

  // The entry as a record batch; throws wire::decode_error unless magic is 2.
  batch_view batch() const;
};

// Walks the entries of a set without copying them. Does not own the bytes.
class record_set_reader {
 public:
  explicit record_set_reader(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner = {})
      : _bytes(bytes), _owner(std::move(owner)) {}
  // A reader over a temporary buffer would dangle at once.
  record_set_reader(const wire::byte_buffer&&, std::shared_ptr<const void> = {}) = delete;

  // The next complete entry; nullopt at the end of the set or before a partial trailing entry.
  // Throws wire::decode_error for an entry with a bad length or magic.
  std::optional<record_set_entry> next();

  // Once next() has returned nullopt: how many bytes the partial trailing entry has (0 when the
  // set ended cleanly).
  size_t partial_size() const { return _bytes.size() - _pos; }
  // Bytes of complete entries returned so far.
  size_t position() const { return _pos; }

 private:
  std::span<const uint8_t> _bytes;
  std::shared_ptr<const void> _owner;
  size_t _pos = 0;
};

}  // namespace brook::protocol::records
