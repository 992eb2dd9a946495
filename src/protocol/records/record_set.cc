#include "protocol/records/record_set.h"

#include <fmt/format.h>

#include "protocol/records/byte_order.h"

namespace brook::protocol::records {

namespace {
// Offset, length and everything up to and including the magic byte.
constexpr size_t k_bytes_to_magic = 17;
}  // namespace

batch_view record_set_entry::batch() const {
  if (magic != k_magic_v2)
    throw wire::decode_error(
        fmt::format("entry at offset {} has magic {}, not a record batch", offset, magic));
  return batch_view(bytes, owner);
}

std::optional<record_set_entry> record_set_reader::next() {
  size_t left = _bytes.size() - _pos;
  if (left < k_log_overhead) return std::nullopt;
  const uint8_t* p = _bytes.data() + _pos;
  int32_t length = load_be<int32_t>(p + 8);
  if (length < k_min_entry_length_v0)
    throw wire::decode_error(fmt::format("entry at byte {} has length {}, below the minimum {}",
                                         _pos, length, k_min_entry_length_v0));
  if (left < k_bytes_to_magic) return std::nullopt;
  auto magic = static_cast<int8_t>(p[16]);
  int32_t min_length;
  switch (magic) {
    case 0:
      min_length = k_min_entry_length_v0;
      break;
    case 1:
      min_length = k_min_entry_length_v1;
      break;
    case 2:
      min_length = k_min_entry_length_v2;
      break;
    default:
      throw wire::decode_error(fmt::format("entry at byte {} has unknown magic {}", _pos, magic));
  }
  if (length < min_length)
    throw wire::decode_error(
        fmt::format("entry at byte {} (magic {}) has length {}, below the minimum {}", _pos, magic,
                    length, min_length));
  size_t total = k_log_overhead + static_cast<size_t>(length);
  if (left < total) return std::nullopt;
  record_set_entry e;
  e.magic = magic;
  e.offset = load_be<int64_t>(p);
  e.bytes = _bytes.subspan(_pos, total);
  e.owner = _owner;
  _pos += total;
  return e;
}

}  // namespace brook::protocol::records
