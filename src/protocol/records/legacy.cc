#include "protocol/records/legacy.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "protocol/records/byte_order.h"
#include "protocol/records/checksum.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace brook::protocol::records {

namespace {

constexpr size_t k_offset_at = 0;
constexpr size_t k_size_at = 8;
constexpr size_t k_crc_at = 12;
constexpr size_t k_magic_at = 16;
constexpr size_t k_timestamp_at = 18;
constexpr int8_t k_message_codec_mask = 0x07;
constexpr int8_t k_message_log_append_time = 0x08;

// Bytes from the start of the entry to the key length.
size_t key_length_at(int8_t magic) { return magic == 0 ? 18 : 26; }

int32_t read_length(wire::reader& r, const char* what) {
  int32_t len = r.read_int32();
  if (len < -1) throw wire::decode_error(fmt::format("negative {} length {}", what, len));
  if (len > 0 && static_cast<size_t>(len) > r.remaining())
    throw wire::decode_error(fmt::format("{} of {} bytes exceeds the {} bytes left in the message",
                                         what, len, r.remaining()));
  if (len > 0) r.skip(static_cast<size_t>(len));
  return len;
}

wire::shared_bytes share(const std::shared_ptr<const void>& owner, std::span<const uint8_t> s) {
  if (owner) return wire::shared_bytes(owner, s);
  return wire::shared_bytes(std::vector<uint8_t>(s.begin(), s.end()));
}

legacy_message to_message(const legacy_message_view& m, const std::shared_ptr<const void>& owner) {
  legacy_message out;
  out.offset = m.offset();
  out.magic = m.magic();
  out.attributes = m.attributes();
  out.ts_type = m.ts_type();
  out.timestamp = m.timestamp();
  if (auto k = m.key()) out.key = share(owner, *k);
  if (auto v = m.value()) out.value = share(owner, *v);
  return out;
}

void check_crc(const legacy_message_view& m) {
  uint32_t computed = m.compute_crc();
  if (computed != m.crc())
    throw crc_mismatch_error(
        fmt::format("message at offset {} is corrupt: stored crc {:#010x}, computed {:#010x}",
                    m.offset(), m.crc(), computed));
}

using bytes_ref = std::optional<std::span<const uint8_t>>;

void write_length_prefixed(wire::writer& w, const bytes_ref& b) {
  if (!b) {
    w.write_int32(-1);
    return;
  }
  w.write_int32(static_cast<int32_t>(b->size()));
  w.write_raw(*b);
}

void write_message(wire::writer& w, int64_t offset, int8_t magic, int8_t attributes,
                   int64_t timestamp, const bytes_ref& key, const bytes_ref& value) {
  size_t size = key_length_at(magic) - k_crc_at + 4 + (key ? key->size() : 0) + 4 +
                (value ? value->size() : 0);
  if (size > static_cast<size_t>(INT32_MAX))
    throw wire::encode_error(fmt::format("message of {} bytes is too large", size));
  w.write_int64(offset);
  w.write_int32(static_cast<int32_t>(size));
  size_t crc_pos = w.size();
  w.write_uint32(0);
  w.write_int8(magic);
  w.write_int8(attributes);
  if (magic == 1) w.write_int64(timestamp);
  write_length_prefixed(w, key);
  write_length_prefixed(w, value);
  uint32_t crc = crc32(w.bytes().subspan(crc_pos + 4));
  w.patch_int32(crc_pos, static_cast<int32_t>(crc));
}

bytes_ref ref(const std::optional<wire::shared_bytes>& b) {
  if (!b) return std::nullopt;
  return b->span();
}

}  // namespace

legacy_message_view::legacy_message_view(std::span<const uint8_t> bytes,
                                         std::shared_ptr<const void> owner)
    : _bytes(bytes), _owner(std::move(owner)) {
  if (bytes.size() < k_log_overhead + 14)
    throw wire::decode_error(fmt::format("{} bytes are too few for a message", bytes.size()));
  int32_t size = message_size();
  if (size < 0 || static_cast<uint64_t>(size) + k_log_overhead != bytes.size())
    throw wire::decode_error(
        fmt::format("message size {} does not match its {} bytes", size, bytes.size()));
  int8_t m = magic();
  if (m != 0 && m != 1) throw wire::decode_error(fmt::format("message magic {}", m));
  size_t at = key_length_at(m);
  if (bytes.size() < at + 8)
    throw wire::decode_error(
        fmt::format("{} bytes are too few for a magic {} message", bytes.size(), m));
  wire::reader r(bytes.subspan(at));
  _key_at = at + 4;
  _key_len = read_length(r, "key");
  _value_at = _key_at + static_cast<size_t>(std::max(_key_len, 0)) + 4;
  _value_len = read_length(r, "value");
  if (!r.empty())
    throw wire::decode_error(
        fmt::format("{} bytes follow the value of the message", r.remaining()));
}

int64_t legacy_message_view::offset() const { return load_be<int64_t>(&_bytes[k_offset_at]); }
int32_t legacy_message_view::message_size() const { return load_be<int32_t>(&_bytes[k_size_at]); }
uint32_t legacy_message_view::crc() const { return load_be<uint32_t>(&_bytes[k_crc_at]); }

codec legacy_message_view::compression() const {
  return codec_from_id(attributes() & k_message_codec_mask);
}

timestamp_type legacy_message_view::ts_type() const {
  if (magic() == 0) return timestamp_type::none;
  return (attributes() & k_message_log_append_time) ? timestamp_type::log_append_time
                                                    : timestamp_type::create_time;
}

int64_t legacy_message_view::timestamp() const {
  if (magic() == 0) return k_no_timestamp;
  return load_be<int64_t>(&_bytes[k_timestamp_at]);
}

uint32_t legacy_message_view::compute_crc() const { return crc32(_bytes.subspan(k_magic_at)); }

std::vector<legacy_message> decode_legacy_entry(const legacy_message_view& entry,
                                                size_t max_uncompressed) {
  check_crc(entry);
  codec c = entry.compression();
  if (c == codec::none) return {to_message(entry, entry.owner())};
  if (c == codec::zstd)
    throw wire::decode_error(fmt::format("zstd in a magic {} message", entry.magic()));
  auto value = entry.value();
  if (!value) throw wire::decode_error("compressed message with a null value");

  decompress_options options;
  options.legacy_lz4_checksum = entry.magic() == 0;
  auto buf = std::make_shared<wire::byte_buffer>(decompress(c, *value, max_uncompressed, options));
  std::vector<legacy_message> out;
  record_set_reader inner(*buf, buf);
  while (auto e = inner.next()) {
    if (e->magic != entry.magic())
      throw wire::decode_error(
          fmt::format("inner message magic {} in a magic {} wrapper", e->magic, entry.magic()));
    legacy_message_view m(e->bytes, buf);
    check_crc(m);
    if (m.compression() != codec::none)
      throw wire::decode_error("compressed message inside a compressed message");
    out.push_back(to_message(m, buf));
  }
  if (inner.partial_size() != 0)
    throw wire::decode_error(fmt::format(
        "compressed message set ends in a partial message of {} bytes", inner.partial_size()));
  if (out.empty()) throw wire::decode_error("compressed message holds no messages");

  if (entry.magic() == 1) {
    int64_t wrapper_offset = entry.offset();
    int64_t last_inner = out.back().offset;
    int64_t base = 0;
    if (wrapper_offset != 0) {
      if (wrapper_offset < last_inner)
        throw wire::decode_error(fmt::format("wrapper offset {} is below its last inner offset {}",
                                             wrapper_offset, last_inner));
      base = wrapper_offset - last_inner;
    }
    bool log_append = entry.ts_type() == timestamp_type::log_append_time;
    for (auto& m : out) {
      m.offset =
          static_cast<int64_t>(static_cast<uint64_t>(base) + static_cast<uint64_t>(m.offset));
      m.ts_type = entry.ts_type();
      if (log_append) m.timestamp = entry.timestamp();
    }
  }
  return out;
}

std::vector<legacy_message> decode_message_set(std::span<const uint8_t> bytes,
                                               size_t max_uncompressed,
                                               std::shared_ptr<const void> owner) {
  std::vector<legacy_message> out;
  record_set_reader reader(bytes, owner);
  while (auto e = reader.next()) {
    if (e->magic == k_magic_v2)
      throw wire::decode_error(fmt::format("record batch at byte {} in a legacy message set",
                                           reader.position() - e->bytes.size()));
    auto messages = decode_legacy_entry(legacy_message_view(e->bytes, e->owner), max_uncompressed);
    if (out.empty()) {
      out = std::move(messages);
    } else {
      out.insert(out.end(), std::make_move_iterator(messages.begin()),
                 std::make_move_iterator(messages.end()));
    }
  }
  if (reader.partial_size() != 0)
    throw wire::decode_error(
        fmt::format("message set ends in a partial entry of {} bytes", reader.partial_size()));
  return out;
}

wire::byte_buffer encode_message_set(std::span<const legacy_message> messages,
                                     const legacy_encode_options& options) {
  int8_t magic = options.magic;
  if (magic != 0 && magic != 1)
    throw wire::encode_error(fmt::format("legacy message magic {}", magic));
  if (static_cast<int>(options.compression) < 0 || options.compression > codec::zstd)
    throw wire::encode_error("unknown compression codec");
  if (options.compression == codec::zstd)
    throw wire::encode_error("zstd needs record batches (magic 2)");
  bool log_append = magic == 1 && options.ts_type == timestamp_type::log_append_time;
  int8_t ts_bit = log_append ? k_message_log_append_time : 0;

  wire::writer w;
  if (options.compression == codec::none) {
    for (size_t i = 0; i < messages.size(); ++i) {
      const auto& m = messages[i];
      int64_t ts = log_append ? options.log_append_time : m.timestamp;
      write_message(w, options.base_offset + static_cast<int64_t>(i), magic, ts_bit, ts, ref(m.key),
                    ref(m.value));
    }
    return w.take();
  }
  if (messages.empty()) return {};

  wire::writer inner;
  int64_t max_timestamp = k_no_timestamp;
  for (size_t i = 0; i < messages.size(); ++i) {
    const auto& m = messages[i];
    int64_t offset =
        magic == 1 ? static_cast<int64_t>(i) : options.base_offset + static_cast<int64_t>(i);
    write_message(inner, offset, magic, ts_bit, m.timestamp, ref(m.key), ref(m.value));
    max_timestamp = std::max(max_timestamp, m.timestamp);
  }
  compress_options copts = options.compression_options;
  copts.legacy_lz4_checksum = magic == 0;
  auto compressed = compress(options.compression, inner.bytes(), copts);
  int64_t last_offset = options.base_offset + static_cast<int64_t>(messages.size()) - 1;
  auto attributes = static_cast<int8_t>(static_cast<int8_t>(options.compression) | ts_bit);
  int64_t ts = log_append ? options.log_append_time : max_timestamp;
  write_message(w, last_offset, magic, attributes, ts, std::nullopt, compressed);
  return w.take();
}

void set_legacy_offset(std::span<uint8_t> message, int64_t offset) {
  if (message.size() < k_log_overhead)
    throw wire::decode_error(fmt::format("{} bytes are too few for a message", message.size()));
  store_be<int64_t>(&message[k_offset_at], offset);
}

std::optional<wire::byte_buffer> down_convert(std::span<const uint8_t> record_set, int8_t magic,
                                              size_t max_uncompressed) {
  wire::byte_buffer out;
  record_set_reader reader(record_set);
  auto append = [&](const wire::byte_buffer& b) { out.insert(out.end(), b.begin(), b.end()); };
  while (auto entry = reader.next()) {
    if (entry->magic <= magic) {
      out.insert(out.end(), entry->bytes.begin(), entry->bytes.end());
      continue;
    }
    batch_view batch(entry->bytes);
    if (batch.is_control()) continue;
    const codec c = batch.compression();
    if (c == codec::zstd) return std::nullopt;
    auto records = decode_records(batch, max_uncompressed);
    if (records.empty()) continue;
    std::vector<legacy_message> messages;
    messages.reserve(records.size());
    bool contiguous = true;
    for (size_t i = 0; i < records.size(); ++i) {
      legacy_message m;
      m.magic = magic;
      m.offset = batch.offset_of(records[i]);
      m.timestamp = magic > 0 ? batch.timestamp_of(records[i]) : k_no_timestamp;
      m.key = records[i].key;
      m.value = records[i].value;
      if (i > 0 && m.offset != messages.back().offset + 1) contiguous = false;
      messages.push_back(std::move(m));
    }
    legacy_encode_options o;
    o.magic = magic;
    o.ts_type = batch.ts_type();
    if (batch.ts_type() == timestamp_type::log_append_time)
      o.log_append_time = batch.max_timestamp();
    if (c != codec::none && contiguous) {
      // One wrapper of the batch's codec around all its records.
      o.compression = c;
      o.base_offset = messages.front().offset;
      append(encode_message_set(messages, o));
      continue;
    }
    // Uncompressed, or with gaps that a wrapper's consecutive offsets cannot express: one
    // message per record at its own offset.
    for (const auto& m : messages) {
      o.base_offset = m.offset;
      append(encode_message_set(std::span<const legacy_message>(&m, 1), o));
    }
  }
  // A partial trailing entry (the fetch size cut it) goes on as it is; clients skip it.
  if (reader.partial_size() > 0)
    out.insert(out.end(), record_set.end() - static_cast<std::ptrdiff_t>(reader.partial_size()),
               record_set.end());
  return out;
}

}  // namespace brook::protocol::records
