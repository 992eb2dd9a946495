#include "storage/segment_io.h"

#include <fmt/format.h>

#include <algorithm>

#include "protocol/records/byte_order.h"
#include "protocol/records/record_batch.h"

namespace brook::storage {

namespace {
namespace rec = protocol::records;
using rec::load_be;
using rec::store_be;
constexpr int64_t k_batch_header = static_cast<int64_t>(rec::k_batch_header_size);
}  // namespace

std::string segment_name(int64_t base, const char* ext) {
  return fmt::format("{:020d}{}", base, ext);
}

result<std::optional<batch_info>, storage_error> scanner::next() {
  if (_pos >= _end) return std::optional<batch_info>{};
  if (_end - _pos < k_batch_header) return stop("partial batch header");
  if (auto r = fill(_pos, k_batch_header); !r) return failure{r.error()};
  const uint8_t* h = at(_pos);
  batch_info b;
  b.position = _pos;
  b.base_offset = load_be<int64_t>(h);
  const int32_t length = load_be<int32_t>(h + 8);
  b.magic = static_cast<int8_t>(h[16]);
  b.size = int64_t{length} + static_cast<int64_t>(rec::k_log_overhead);
  if (b.magic != rec::k_magic_v2) return stop(fmt::format("magic {}", b.magic));
  if (length < k_batch_header - static_cast<int64_t>(rec::k_log_overhead) || b.size > _end - _pos)
    return stop(fmt::format("batch length {}", length));
  b.last_offset = b.base_offset + load_be<int32_t>(h + 23);
  b.max_timestamp = load_be<int64_t>(h + 35);
  b.producer_id = load_be<int64_t>(h + 43);
  b.producer_epoch = load_be<int16_t>(h + 51);
  b.base_sequence = load_be<int32_t>(h + 53);
  b.attributes = load_be<int16_t>(h + 21);
  if (b.base_offset < _min_offset || b.last_offset < b.base_offset)
    return stop(fmt::format("offset {} out of order", b.base_offset));
  if (_whole) {
    if (auto r = fill(_pos, b.size); !r) return failure{r.error()};
    b.bytes = std::span<const uint8_t>(at(_pos), static_cast<size_t>(b.size));
    if (_check_crc && !rec::batch_view(b.bytes).crc_matches()) return stop("CRC mismatch");
  }
  _min_offset = b.last_offset + 1;
  _pos += b.size;
  return std::optional<batch_info>{b};
}

result<std::optional<batch_info>, storage_error> scanner::stop(std::string why) {
  _invalid = fmt::format("{} at position {}", why, _pos);
  return std::optional<batch_info>{};
}

result<void, storage_error> scanner::fill(int64_t pos, int64_t n) {
  if (pos >= _buf_start && pos + n <= _buf_start + static_cast<int64_t>(_buf.size())) return {};
  const int64_t want =
      std::min<int64_t>(std::max<int64_t>(n, static_cast<int64_t>(_chunk)), _end - pos);
  _buf.resize(static_cast<size_t>(want));
  auto got = _f.read_at(pos, _buf);
  if (!got) return io_error(got.error());
  _buf.resize(*got);
  _buf_start = pos;
  if (static_cast<int64_t>(*got) < n)
    return io_error(fmt::format("short read of {}", _f.path().string()));
  return {};
}

segment_indexes::added segment_indexes::add(int64_t base, int64_t position, int64_t size,
                                            int64_t last_offset, int64_t batch_max_ts,
                                            int64_t offset_of_max, int32_t interval) {
  added a;
  if (batch_max_ts > max_ts) {
    max_ts = batch_max_ts;
    offset_of_max_ts = offset_of_max;
  }
  if (bytes_since_index > interval) {
    index_entries.emplace_back(static_cast<int32_t>(last_offset - base),
                               static_cast<int32_t>(position));
    a.offset = true;
    if (max_ts >= 0 && (time_entries.empty() || max_ts > time_entries.back().first)) {
      time_entries.emplace_back(max_ts, static_cast<int32_t>(offset_of_max_ts - base));
      a.time = true;
    }
    bytes_since_index = 0;
  }
  bytes_since_index += size;
  return a;
}

std::array<uint8_t, 8> segment_indexes::encode(const std::pair<int32_t, int32_t>& e) {
  std::array<uint8_t, 8> out{};
  store_be<int32_t>(out.data(), e.first);
  store_be<int32_t>(out.data() + 4, e.second);
  return out;
}

std::array<uint8_t, 12> segment_indexes::encode(const std::pair<int64_t, int32_t>& e) {
  std::array<uint8_t, 12> out{};
  store_be<int64_t>(out.data(), e.first);
  store_be<int32_t>(out.data() + 8, e.second);
  return out;
}

}  // namespace brook::storage
