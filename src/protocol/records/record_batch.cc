#include "protocol/records/record_batch.h"

#include <fmt/format.h>

#include <array>
#include <climits>

#include "protocol/records/byte_order.h"
#include "protocol/records/checksum.h"
#include "protocol/wire/reader.h"

namespace brook::protocol::records {

namespace {

// Field offsets within the batch header (see the layout in record_batch.h).
constexpr size_t k_base_offset_at = 0;
constexpr size_t k_batch_length_at = 8;
constexpr size_t k_leader_epoch_at = 12;
constexpr size_t k_magic_at = 16;
constexpr size_t k_crc_at = 17;
constexpr size_t k_attributes_at = 21;
constexpr size_t k_last_offset_delta_at = 23;
constexpr size_t k_base_timestamp_at = 27;
constexpr size_t k_max_timestamp_at = 35;
constexpr size_t k_producer_id_at = 43;
constexpr size_t k_producer_epoch_at = 51;
constexpr size_t k_base_sequence_at = 53;
constexpr size_t k_records_count_at = 57;

// The smallest record: length, attributes, timestamp delta, offset delta, key length, value
// length and header count take one byte each.
constexpr size_t k_min_record_size = 7;
// The smallest header: key length and value length.
constexpr size_t k_min_header_size = 2;

using bytes_ref = std::optional<std::span<const uint8_t>>;

// ---- reading -------------------------------------------------------------------------------

struct record_fields {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  bytes_ref key;
  bytes_ref value;
};

bytes_ref read_varint_bytes(wire::reader& r, const char* what) {
  int32_t len = r.read_varint();
  if (len < -1) throw wire::decode_error(fmt::format("negative {} length {}", what, len));
  if (len == -1) return std::nullopt;
  if (static_cast<size_t>(len) > r.remaining())
    throw wire::decode_error(fmt::format("{} of {} bytes exceeds the {} bytes left in the record",
                                         what, len, r.remaining()));
  return r.read_span(static_cast<size_t>(len));
}

// Reads one record; `on_header(count, index, key, value)` sees each header.
template <class OnHeader>
record_fields read_record(wire::reader& r, OnHeader&& on_header) {
  int32_t len = r.read_varint();
  if (len < 0 || static_cast<size_t>(len) > r.remaining())
    throw wire::decode_error(
        fmt::format("record length {} with {} bytes left in the batch", len, r.remaining()));
  wire::reader body = r.sub_reader(static_cast<size_t>(len));
  record_fields f;
  f.attributes = body.read_int8();
  f.timestamp_delta = body.read_varlong();
  f.offset_delta = body.read_varint();
  f.key = read_varint_bytes(body, "key");
  f.value = read_varint_bytes(body, "value");
  int32_t header_count = body.read_varint();
  if (header_count < 0)
    throw wire::decode_error(fmt::format("negative header count {}", header_count));
  if (static_cast<size_t>(header_count) > body.remaining() / k_min_header_size)
    throw wire::decode_error(
        fmt::format("{} headers cannot fit in the {} bytes left", header_count, body.remaining()));
  for (int32_t i = 0; i < header_count; ++i) {
    int32_t key_len = body.read_varint();
    if (key_len < 0) throw wire::decode_error(fmt::format("header key length {}", key_len));
    if (static_cast<size_t>(key_len) > body.remaining())
      throw wire::decode_error(fmt::format("header key of {} bytes exceeds the {} bytes left",
                                           key_len, body.remaining()));
    auto key = body.read_span(static_cast<size_t>(key_len));
    auto value = read_varint_bytes(body, "header value");
    on_header(header_count, i, key, value);
  }
  if (!body.empty())
    throw wire::decode_error(
        fmt::format("{} bytes left in the record after its last header", body.remaining()));
  return f;
}

void check_record_count(int32_t count, size_t bytes) {
  if (count < 0) throw wire::decode_error(fmt::format("negative record count {}", count));
  if (static_cast<size_t>(count) > bytes / k_min_record_size)
    throw wire::decode_error(
        fmt::format("{} records cannot fit in {} bytes of record data", count, bytes));
}

// Calls on_record(reader, index) once per declared record and checks that they use up `data`.
template <class OnRecord>
void walk_records(std::span<const uint8_t> data, int32_t count, OnRecord&& on_record) {
  check_record_count(count, data.size());
  wire::reader r(data);
  for (int32_t i = 0; i < count; ++i) {
    try {
      on_record(r, i);
    } catch (const wire::decode_error& e) {
      throw wire::decode_error(fmt::format("record {} of {}: {}", i, count, e.what()));
    }
  }
  if (!r.empty())
    throw wire::decode_error(
        fmt::format("{} bytes follow the last of the {} records declared", r.remaining(), count));
}

struct record_data {
  std::span<const uint8_t> bytes;
  std::shared_ptr<const void> owner;
};

record_data uncompressed_records(const batch_view& batch, size_t max_uncompressed) {
  codec c = batch.compression();
  auto data = batch.records_data();
  // Compaction can leave a header with no records and no compressed stream at all.
  if (c == codec::none || (data.empty() && batch.record_count() == 0)) return {data, batch.owner()};
  auto buf = std::make_shared<wire::byte_buffer>(decompress(c, data, max_uncompressed));
  return {*buf, buf};
}

wire::shared_bytes share(const std::shared_ptr<const void>& owner, std::span<const uint8_t> s) {
  if (owner) return wire::shared_bytes(owner, s);
  return wire::shared_bytes(std::vector<uint8_t>(s.begin(), s.end()));
}

void check_batch_header(std::span<const uint8_t> batch) {
  if (batch.size() < k_batch_header_size)
    throw wire::decode_error(
        fmt::format("{} bytes are too few for a record batch header", batch.size()));
  if (batch[k_magic_at] != k_magic_v2)
    throw wire::decode_error(
        fmt::format("record batch magic {}, expected 2", static_cast<int8_t>(batch[k_magic_at])));
}

// ---- writing -------------------------------------------------------------------------------

size_t checked_length(size_t n, const char* what) {
  if (n > static_cast<size_t>(INT32_MAX))
    throw wire::encode_error(fmt::format("{} of {} bytes is too long for a record", what, n));
  return n;
}

size_t varint_bytes_size(const bytes_ref& b, const char* what) {
  if (!b) return 1;
  size_t n = checked_length(b->size(), what);
  return wire::varint_size(static_cast<int32_t>(n)) + n;
}

void write_varint_bytes(wire::writer& w, const bytes_ref& b) {
  if (!b) {
    w.write_varint(-1);
    return;
  }
  w.write_varint(static_cast<int32_t>(b->size()));
  w.write_raw(*b);
}

bytes_ref ref(const std::optional<wire::shared_bytes>& b) {
  if (!b) return std::nullopt;
  return b->span();
}

void write_record(wire::writer& w, int8_t attributes, int64_t timestamp_delta, int32_t offset_delta,
                  const bytes_ref& key, const bytes_ref& value,
                  std::span<const record_header> headers) {
  size_t body = 1 + wire::varlong_size(timestamp_delta) + wire::varint_size(offset_delta) +
                varint_bytes_size(key, "key") + varint_bytes_size(value, "value") +
                wire::varint_size(static_cast<int32_t>(checked_length(headers.size(), "headers")));
  for (const auto& h : headers) {
    size_t key_len = checked_length(h.key.size(), "header key");
    body += wire::varint_size(static_cast<int32_t>(key_len)) + key_len +
            varint_bytes_size(ref(h.value), "header value");
  }
  w.write_varint(static_cast<int32_t>(checked_length(body, "record")));
  w.write_int8(attributes);
  w.write_varlong(timestamp_delta);
  w.write_varint(offset_delta);
  write_varint_bytes(w, key);
  write_varint_bytes(w, value);
  w.write_varint(static_cast<int32_t>(headers.size()));
  for (const auto& h : headers) {
    w.write_varint(static_cast<int32_t>(h.key.size()));
    w.write_raw({reinterpret_cast<const uint8_t*>(h.key.data()), h.key.size()});
    write_varint_bytes(w, ref(h.value));
  }
}

void write_header_space(wire::writer& w) {
  static constexpr std::array<uint8_t, k_batch_header_size> k_zeros{};
  w.write_raw(k_zeros);
}

// Fills the header of `buf`, whose records already follow the first 61 bytes.
void finish_batch(wire::byte_buffer& buf, const batch_header& h, int32_t count) {
  size_t length = buf.size() - k_log_overhead;
  if (length > static_cast<size_t>(INT32_MAX))
    throw wire::encode_error(fmt::format("record batch of {} bytes is too large", buf.size()));
  uint8_t* p = buf.data();
  store_be<int64_t>(p + k_base_offset_at, h.base_offset);
  store_be<int32_t>(p + k_batch_length_at, static_cast<int32_t>(length));
  store_be<int32_t>(p + k_leader_epoch_at, h.partition_leader_epoch);
  p[k_magic_at] = k_magic_v2;
  store_be<int16_t>(p + k_attributes_at, h.attributes);
  store_be<int32_t>(p + k_last_offset_delta_at, h.last_offset_delta);
  store_be<int64_t>(p + k_base_timestamp_at, h.base_timestamp);
  store_be<int64_t>(p + k_max_timestamp_at, h.max_timestamp);
  store_be<int64_t>(p + k_producer_id_at, h.producer_id);
  store_be<int16_t>(p + k_producer_epoch_at, h.producer_epoch);
  store_be<int32_t>(p + k_base_sequence_at, h.base_sequence);
  store_be<int32_t>(p + k_records_count_at, count);
  store_be<uint32_t>(p + k_crc_at, crc32c(std::span(buf).subspan(k_attributes_at)));
}

codec codec_for_encoding(int16_t attributes) {
  int id = attributes & k_attr_codec_mask;
  if (id > static_cast<int>(codec::zstd))
    throw wire::encode_error(fmt::format("unknown compression codec {}", id));
  return static_cast<codec>(id);
}

// Writes the records section (records + header space first when uncompressed) and the header.
template <class WriteRecords>
wire::byte_buffer assemble(const batch_header& h, int32_t count, const compress_options& options,
                           WriteRecords&& write_records) {
  codec c = codec_for_encoding(h.attributes);
  wire::writer w;
  if (c == codec::none) write_header_space(w);
  write_records(w);
  wire::byte_buffer buf;
  if (c == codec::none) {
    buf = w.take();
  } else {
    buf.resize(k_batch_header_size);
    compress_append(c, w.bytes(), buf, options);
  }
  finish_batch(buf, h, count);
  return buf;
}

}  // namespace

// ---- batch_view ----------------------------------------------------------------------------

batch_view::batch_view(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner)
    : _bytes(bytes), _owner(std::move(owner)) {
  check_batch_header(bytes);
  int32_t len = batch_length();
  if (len < 0 || static_cast<uint64_t>(len) + k_log_overhead != bytes.size())
    throw wire::decode_error(
        fmt::format("record batch length {} does not match its {} bytes", len, bytes.size()));
}

int64_t batch_view::base_offset() const { return load_be<int64_t>(&_bytes[k_base_offset_at]); }
int32_t batch_view::batch_length() const { return load_be<int32_t>(&_bytes[k_batch_length_at]); }
int32_t batch_view::partition_leader_epoch() const {
  return load_be<int32_t>(&_bytes[k_leader_epoch_at]);
}
uint32_t batch_view::crc() const { return load_be<uint32_t>(&_bytes[k_crc_at]); }
int16_t batch_view::attributes() const { return load_be<int16_t>(&_bytes[k_attributes_at]); }
codec batch_view::compression() const { return codec_from_id(attributes() & k_attr_codec_mask); }
timestamp_type batch_view::ts_type() const {
  return (attributes() & k_attr_log_append_time) ? timestamp_type::log_append_time
                                                 : timestamp_type::create_time;
}
int32_t batch_view::last_offset_delta() const {
  return load_be<int32_t>(&_bytes[k_last_offset_delta_at]);
}
int64_t batch_view::base_timestamp() const {
  return load_be<int64_t>(&_bytes[k_base_timestamp_at]);
}
int64_t batch_view::max_timestamp() const { return load_be<int64_t>(&_bytes[k_max_timestamp_at]); }
int64_t batch_view::producer_id() const { return load_be<int64_t>(&_bytes[k_producer_id_at]); }
int16_t batch_view::producer_epoch() const {
  return load_be<int16_t>(&_bytes[k_producer_epoch_at]);
}
int32_t batch_view::base_sequence() const { return load_be<int32_t>(&_bytes[k_base_sequence_at]); }
int32_t batch_view::record_count() const { return load_be<int32_t>(&_bytes[k_records_count_at]); }

int32_t batch_view::last_sequence() const {
  int32_t base = base_sequence();
  if (base == k_no_sequence) return k_no_sequence;
  int64_t last = int64_t{base} + last_offset_delta();
  // Sequences continue at 0 after INT32_MAX.
  if (last > INT32_MAX) last -= int64_t{INT32_MAX} + 1;
  return static_cast<int32_t>(last);
}

std::optional<int64_t> batch_view::delete_horizon() const {
  if (!has_delete_horizon()) return std::nullopt;
  return base_timestamp();
}

int64_t batch_view::timestamp_of(const record& r) const {
  if (ts_type() == timestamp_type::log_append_time) return max_timestamp();
  return wrapping_add(base_timestamp(), r.timestamp_delta);
}

uint32_t batch_view::compute_crc() const { return crc32c(_bytes.subspan(k_attributes_at)); }

batch_header batch_view::header() const {
  batch_header h;
  h.base_offset = base_offset();
  h.partition_leader_epoch = partition_leader_epoch();
  h.attributes = attributes();
  h.last_offset_delta = last_offset_delta();
  h.base_timestamp = base_timestamp();
  h.max_timestamp = max_timestamp();
  h.producer_id = producer_id();
  h.producer_epoch = producer_epoch();
  h.base_sequence = base_sequence();
  return h;
}

// ---- validate and decode -------------------------------------------------------------------

void validate(const batch_view& batch, size_t max_uncompressed) {
  uint32_t computed = batch.compute_crc();
  if (computed != batch.crc())
    throw crc_mismatch_error(
        fmt::format("record batch at offset {} is corrupt: stored crc {:#010x}, "
                    "computed {:#010x}",
                    batch.base_offset(), batch.crc(), computed));
  int32_t count = batch.record_count();
  check_record_count(count, SIZE_MAX);
  auto data = uncompressed_records(batch, max_uncompressed);
  auto ignore_header = [](int32_t, int32_t, std::span<const uint8_t>, const bytes_ref&) {};
  walk_records(data.bytes, count, [&](wire::reader& r, int32_t) { read_record(r, ignore_header); });
}

std::vector<record> decode_records(const batch_view& batch, size_t max_uncompressed) {
  int32_t count = batch.record_count();
  check_record_count(count, SIZE_MAX);
  auto data = uncompressed_records(batch, max_uncompressed);
  check_record_count(count, data.bytes.size());
  std::vector<record> out;
  out.reserve(static_cast<size_t>(count));
  walk_records(data.bytes, count, [&](wire::reader& r, int32_t) {
    record& rec = out.emplace_back();
    auto on_header = [&](int32_t n, int32_t i, std::span<const uint8_t> key, const bytes_ref& v) {
      if (i == 0) rec.headers.reserve(static_cast<size_t>(n));
      auto& h = rec.headers.emplace_back();
      h.key.assign(reinterpret_cast<const char*>(key.data()), key.size());
      if (v) h.value = share(data.owner, *v);
    };
    auto f = read_record(r, on_header);
    rec.attributes = f.attributes;
    rec.timestamp_delta = f.timestamp_delta;
    rec.offset_delta = f.offset_delta;
    if (f.key) rec.key = share(data.owner, *f.key);
    if (f.value) rec.value = share(data.owner, *f.value);
  });
  return out;
}

// ---- encode --------------------------------------------------------------------------------

wire::byte_buffer encode_batch(const batch_header& header, std::span<const record> records,
                               const compress_options& options) {
  if (records.size() > static_cast<size_t>(INT32_MAX))
    throw wire::encode_error("too many records for one batch");
  return assemble(header, static_cast<int32_t>(records.size()), options, [&](wire::writer& w) {
    for (const auto& r : records)
      write_record(w, r.attributes, r.timestamp_delta, r.offset_delta, ref(r.key), ref(r.value),
                   r.headers);
  });
}

batch_builder::batch_builder(batch_options options) : _options(std::move(options)) {
  codec_for_encoding(static_cast<int16_t>(_options.compression));
  start();
}

void batch_builder::start() {
  _records = wire::writer();
  if (_options.compression == codec::none) write_header_space(_records);
  _count = 0;
  _base_timestamp = k_no_timestamp;
  _max_timestamp = k_no_timestamp;
}

void batch_builder::append(int64_t timestamp, std::optional<std::span<const uint8_t>> key,
                           std::optional<std::span<const uint8_t>> value,
                           std::span<const record_header> headers) {
  if (_count == INT32_MAX) throw wire::encode_error("too many records for one batch");
  if (_count == 0) _base_timestamp = _options.delete_horizon.value_or(timestamp);
  if (timestamp > _max_timestamp) _max_timestamp = timestamp;
  int64_t delta = static_cast<int64_t>(static_cast<uint64_t>(timestamp) -
                                       static_cast<uint64_t>(_base_timestamp));
  write_record(_records, 0, delta, _count, key, value, headers);
  ++_count;
}

size_t batch_builder::uncompressed_size() const {
  return _options.compression == codec::none ? _records.size()
                                             : k_batch_header_size + _records.size();
}

wire::byte_buffer batch_builder::build() {
  const auto& o = _options;
  batch_header h;
  h.base_offset = o.base_offset;
  h.partition_leader_epoch = o.partition_leader_epoch;
  h.attributes = static_cast<int16_t>(
      static_cast<int16_t>(o.compression) |
      (o.ts_type == timestamp_type::log_append_time ? k_attr_log_append_time : 0) |
      (o.transactional ? k_attr_transactional : 0) | (o.control ? k_attr_control : 0) |
      (o.delete_horizon ? k_attr_delete_horizon : 0));
  h.last_offset_delta = _count > 0 ? _count - 1 : 0;
  h.base_timestamp = _count > 0 ? _base_timestamp : o.delete_horizon.value_or(k_no_timestamp);
  h.max_timestamp =
      o.ts_type == timestamp_type::log_append_time ? o.log_append_time : _max_timestamp;
  h.producer_id = o.producer_id;
  h.producer_epoch = o.producer_epoch;
  h.base_sequence = o.base_sequence;

  wire::byte_buffer buf;
  if (o.compression == codec::none) {
    buf = _records.take();
  } else {
    buf.resize(k_batch_header_size);
    compress_append(o.compression, _records.bytes(), buf, o.compression_options);
  }
  finish_batch(buf, h, _count);
  start();
  return buf;
}

// ---- patches -------------------------------------------------------------------------------

void set_base_offset(std::span<uint8_t> batch, int64_t base_offset) {
  check_batch_header(batch);
  store_be<int64_t>(&batch[k_base_offset_at], base_offset);
}

void set_partition_leader_epoch(std::span<uint8_t> batch, int32_t epoch) {
  check_batch_header(batch);
  store_be<int32_t>(&batch[k_leader_epoch_at], epoch);
}

void set_max_timestamp(std::span<uint8_t> batch, timestamp_type type, int64_t max_timestamp) {
  check_batch_header(batch);
  int16_t attributes = load_be<int16_t>(&batch[k_attributes_at]);
  attributes = static_cast<int16_t>(attributes & ~k_attr_log_append_time);
  if (type == timestamp_type::log_append_time)
    attributes = static_cast<int16_t>(attributes | k_attr_log_append_time);
  store_be<int16_t>(&batch[k_attributes_at], attributes);
  store_be<int64_t>(&batch[k_max_timestamp_at], max_timestamp);
  store_be<uint32_t>(&batch[k_crc_at], crc32c(batch.subspan(k_attributes_at)));
}

// ---- control records -----------------------------------------------------------------------

control_key parse_control_key(std::span<const uint8_t> key) {
  if (key.size() < 4)
    throw wire::decode_error(fmt::format("control record key of {} bytes", key.size()));
  control_key k;
  k.version = load_be<int16_t>(key.data());
  if (k.version < 0)
    throw wire::decode_error(fmt::format("control record key version {}", k.version));
  k.type = load_be<int16_t>(key.data() + 2);
  return k;
}

wire::byte_buffer encode_control_key(control_type type) {
  wire::byte_buffer b(4);
  store_be<int16_t>(b.data(), 0);
  store_be<int16_t>(b.data() + 2, static_cast<int16_t>(type));
  return b;
}

end_txn_marker parse_end_txn_marker(std::span<const uint8_t> value) {
  if (value.size() < 6)
    throw wire::decode_error(fmt::format("end transaction marker of {} bytes", value.size()));
  end_txn_marker m;
  m.version = load_be<int16_t>(value.data());
  if (m.version < 0)
    throw wire::decode_error(fmt::format("end transaction marker version {}", m.version));
  m.coordinator_epoch = load_be<int32_t>(value.data() + 2);
  return m;
}

wire::byte_buffer encode_end_txn_marker(int32_t coordinator_epoch) {
  wire::byte_buffer b(6);
  store_be<int16_t>(b.data(), 0);
  store_be<int32_t>(b.data() + 2, coordinator_epoch);
  return b;
}

wire::byte_buffer build_end_txn_batch(batch_options options, bool commit, int32_t coordinator_epoch,
                                      int64_t timestamp) {
  options.transactional = true;
  options.control = true;
  options.base_sequence = k_no_sequence;
  options.compression = codec::none;
  auto key = encode_control_key(commit ? control_type::commit : control_type::abort);
  auto value = encode_end_txn_marker(coordinator_epoch);
  batch_builder b(std::move(options));
  b.append(timestamp, key, value);
  return b.build();
}

}  // namespace brook::protocol::records
