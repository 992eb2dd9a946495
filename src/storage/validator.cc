#include "storage/validator.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <memory>

#include "protocol/records/legacy.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"

namespace brook::storage {

namespace {

namespace rec = protocol::records;
using protocol::error_code;

// Decompressing one produced batch may take at most this much memory.
constexpr size_t k_max_uncompressed = 256u << 20;

failure<validation_error> fail(error_code code, std::string message) {
  return failure{validation_error{code, std::move(message), {}}};
}

bool timestamp_out_of_range(int64_t ts, const append_options& o) {
  if (ts == rec::k_no_timestamp) return false;
  const auto& c = o.config;
  // Written to avoid overflow with the "unlimited" defaults.
  if (ts<o.now_ms&& static_cast<uint64_t>(o.now_ms) -
         static_cast<uint64_t>(ts)> static_cast<uint64_t>(c.timestamp_before_max_ms))
    return true;
  if (ts > o.now_ms && static_cast<uint64_t>(ts) - static_cast<uint64_t>(o.now_ms) >
                           static_cast<uint64_t>(c.timestamp_after_max_ms))
    return true;
  return false;
}

std::string timestamp_message(int64_t ts, const append_options& o) {
  const auto& c = o.config;
  auto lo = c.timestamp_before_max_ms >= o.now_ms ? std::numeric_limits<int64_t>::min()
                                                  : o.now_ms - c.timestamp_before_max_ms;
  auto hi = c.timestamp_after_max_ms >= std::numeric_limits<int64_t>::max() - o.now_ms
                ? std::numeric_limits<int64_t>::max()
                : o.now_ms + c.timestamp_after_max_ms;
  return fmt::format(
      "Timestamp {} of message is out of range. The timestamp should be within [{}, {}]", ts, lo,
      hi);
}

// Per-record checks shared by every format: keys on compacted topics and timestamps.
void check_record(int32_t index, int64_t ts, bool has_key, const append_options& o,
                  std::vector<record_error>& errors, bool& timestamp_error) {
  if (o.config.compact && !has_key) {
    errors.push_back({index, "Compacted topic cannot accept message without key"});
    return;
  }
  if (o.config.timestamp_type == rec::timestamp_type::create_time &&
      timestamp_out_of_range(ts, o)) {
    errors.push_back({index, timestamp_message(ts, o)});
    timestamp_error = true;
  }
}

failure<validation_error> record_failure(std::vector<record_error> errors, bool timestamp_error) {
  validation_error e;
  if (timestamp_error) {
    e.code = error_code::invalid_timestamp;
    e.message = "One or more records have been rejected due to invalid timestamp";
  } else {
    e.code = error_code::invalid_record;
    std::string first;
    for (size_t i = 0; i < errors.size() && i < 3; ++i)
      first += fmt::format("{}{{batchIndex={}, message={}}}", i ? ", " : "", errors[i].batch_index,
                           errors[i].message);
    e.message = fmt::format(
        "One or more records have been rejected due to {} record errors in total, and only "
        "showing the first three errors at most: [{}]",
        errors.size(), first);
  }
  e.record_errors = std::move(errors);
  return failure{std::move(e)};
}

// The codec the log stores: the producer's, or the topic's compression.type.
rec::codec target_codec(const log_config& c, rec::codec producer) {
  return c.keep_producer_compression ? producer : c.compression;
}

struct rebuilt_record {
  int64_t timestamp;
  std::optional<std::span<const uint8_t>> key, value;
  std::vector<rec::record_header> headers;
};

void build(validated_append& out, std::span<const rebuilt_record> records, rec::batch_options bo,
           int64_t next_offset, const append_options& o) {
  bo.base_offset = next_offset;
  bo.partition_leader_epoch = o.leader_epoch;
  bo.compression_options = compression_options(o.config, bo.compression);
  if (o.config.timestamp_type == rec::timestamp_type::log_append_time) {
    bo.ts_type = rec::timestamp_type::log_append_time;
    bo.log_append_time = o.now_ms;
  } else {
    bo.ts_type = rec::timestamp_type::create_time;
  }
  rec::batch_builder b(bo);
  for (const auto& r : records) b.append(r.timestamp, r.key, r.value, r.headers);
  out.rebuilt = b.build();
  out.rebuilt_used = true;
}

// Fills offsets and timestamps from the records' timestamps (or the log append time).
void finish(validated_append& out, int64_t next_offset, int32_t count, int64_t max_ts,
            int32_t max_ts_index, const append_options& o) {
  out.first_offset = next_offset;
  out.last_offset = next_offset + count - 1;
  out.record_count = count;
  if (o.config.timestamp_type == rec::timestamp_type::log_append_time) {
    out.log_append_time = o.now_ms;
    out.max_timestamp = o.now_ms;
    out.offset_of_max_timestamp = out.last_offset;
  } else {
    out.max_timestamp = max_ts;
    out.offset_of_max_timestamp = max_ts_index < 0 ? out.first_offset : next_offset + max_ts_index;
  }
}

// The decoded records are looked at only while validation runs, and the request's bytes outlive
// them: a non-owning alias lets keys and values point into the request instead of being copied.
std::shared_ptr<const void> borrow(std::span<const uint8_t> bytes) {
  return std::shared_ptr<const void>(std::shared_ptr<const void>{}, bytes.data());
}

result<validated_append, validation_error> validate_v2(std::span<uint8_t> bytes,
                                                       int64_t next_offset,
                                                       const append_options& o) {
  rec::batch_view batch(bytes, borrow(bytes));
  if (batch.base_offset() != 0)
    return fail(
        error_code::invalid_record,
        fmt::format("The baseOffset of the record batch in the append should be 0, but it is {}",
                    batch.base_offset()));
  if (!batch.crc_matches())
    return fail(error_code::corrupt_message,
                fmt::format("Record batch is corrupt (stored crc = {}, computed crc = {})",
                            batch.crc(), batch.compute_crc()));
  rec::codec codec;
  try {
    codec = batch.compression();
  } catch (const wire::decode_error& e) {
    return fail(error_code::corrupt_message, e.what());
  }
  if (codec == rec::codec::zstd && o.produce_version < 7)
    return fail(error_code::unsupported_compression_type,
                "Produce requests with ZStandard compression need version 7 or later");
  const int32_t count = batch.record_count();
  if (batch.last_offset_delta() < 0 || count <= 0)
    return fail(error_code::invalid_record,
                fmt::format("Invalid reported count for record batch: {}", count));
  if (int64_t{batch.last_offset_delta()} + 1 != count)
    return fail(error_code::invalid_record,
                fmt::format("Inconsistent batch offset range [0, {}] and count of records {}",
                            batch.last_offset_delta(), count));
  if (batch.is_control())
    return fail(error_code::invalid_record, "Clients are not allowed to write control records");
  if (batch.producer_id() >= 0 && batch.base_sequence() < 0)
    return fail(error_code::invalid_record,
                fmt::format("Invalid sequence number {} in record batch with producerId {}",
                            batch.base_sequence(), batch.producer_id()));

  std::vector<rec::record> records;
  try {
    records = rec::decode_records(batch, k_max_uncompressed);
  } catch (const rec::decompression_limit_error& e) {
    return fail(error_code::record_list_too_large, e.what());
  } catch (const wire::decode_error& e) {
    return fail(error_code::corrupt_message, e.what());
  }

  std::vector<record_error> errors;
  bool timestamp_error = false;
  int64_t max_ts = rec::k_no_timestamp;
  int32_t max_ts_index = -1;
  bool offsets_in_order = true;
  const bool producer_log_append = batch.ts_type() == rec::timestamp_type::log_append_time;
  for (int32_t i = 0; i < static_cast<int32_t>(records.size()); ++i) {
    const auto& r = records[i];
    const int64_t ts = batch.timestamp_of(r);
    if (r.offset_delta != i) offsets_in_order = false;
    if (producer_log_append) {
      errors.push_back({i, "Producer should not set timestamp type to LogAppendTime."});
      timestamp_error = true;
      continue;
    }
    check_record(i, ts, r.key.has_value(), o, errors, timestamp_error);
    if (ts > max_ts) {
      max_ts = ts;
      max_ts_index = i;
    }
  }
  if (!errors.empty()) return record_failure(std::move(errors), timestamp_error);

  validated_append out;
  const rec::codec target = target_codec(o.config, codec);
  const bool rebuild = target != codec || (codec != rec::codec::none && !offsets_in_order);
  if (rebuild) {
    std::vector<rebuilt_record> rs;
    rs.reserve(records.size());
    for (const auto& r : records) {
      rebuilt_record x{batch.timestamp_of(r), {}, {}, r.headers};
      if (r.key) x.key = r.key->span();
      if (r.value) x.value = r.value->span();
      rs.push_back(std::move(x));
    }
    rec::batch_options bo;
    bo.compression = target;
    bo.transactional = batch.is_transactional();
    bo.producer_id = batch.producer_id();
    bo.producer_epoch = batch.producer_epoch();
    bo.base_sequence = batch.base_sequence();
    build(out, rs, bo, next_offset, o);
  } else {
    rec::set_base_offset(bytes, next_offset);
    rec::set_partition_leader_epoch(bytes, o.leader_epoch);
    if (o.config.timestamp_type == rec::timestamp_type::log_append_time)
      rec::set_max_timestamp(bytes, rec::timestamp_type::log_append_time, o.now_ms);
    else if (batch.max_timestamp() != max_ts)
      rec::set_max_timestamp(bytes, rec::timestamp_type::create_time, max_ts);
    out.in_place = bytes;
  }
  finish(out, next_offset, count, max_ts, max_ts_index, o);
  return out;
}

result<validated_append, validation_error> validate_legacy(std::span<uint8_t> bytes,
                                                           int64_t next_offset,
                                                           const append_options& o) {
  // Each entry is checked on its own for size and CRC before the set is decoded.
  rec::record_set_reader reader(bytes);
  int8_t magic = -1;
  size_t entries = 0;
  rec::codec codec = rec::codec::none;
  try {
    while (auto e = reader.next()) {
      if (magic != -1 && e->magic != magic)
        return fail(error_code::invalid_record,
                    fmt::format("Batch magic {} is not the same as the first batch's magic byte {}",
                                e->magic, magic));
      magic = e->magic;
      if (e->bytes.size() - rec::k_log_overhead > static_cast<size_t>(o.config.max_message_bytes))
        return fail(error_code::message_too_large,
                    fmt::format("The message is {} bytes which is larger than the maximum {}",
                                e->bytes.size(), o.config.max_message_bytes));
      rec::legacy_message_view m(e->bytes);
      if (!m.crc_matches())
        return fail(error_code::corrupt_message,
                    fmt::format("Message is corrupt (stored crc = {}, computed crc = {})", m.crc(),
                                m.compute_crc()));
      codec = m.compression();
      ++entries;
    }
  } catch (const wire::decode_error& e) {
    return fail(error_code::corrupt_message, e.what());
  }
  if (reader.partial_size() != 0)
    return fail(error_code::corrupt_message, "Message set ends in a partial message");
  if (codec != rec::codec::none && entries > 1)
    return fail(error_code::invalid_record, "Compressed outer record has more than one batch");

  std::vector<rec::legacy_message> messages;
  try {
    messages = rec::decode_message_set(bytes, k_max_uncompressed, borrow(bytes));
  } catch (const rec::decompression_limit_error& e) {
    return fail(error_code::record_list_too_large, e.what());
  } catch (const wire::decode_error& e) {
    return fail(error_code::corrupt_message, e.what());
  }
  if (messages.empty())
    return fail(error_code::invalid_record, "Record batch has no batches at all");

  std::vector<record_error> errors;
  bool timestamp_error = false;
  int64_t max_ts = rec::k_no_timestamp;
  int32_t max_ts_index = -1;
  std::vector<rebuilt_record> rs;
  rs.reserve(messages.size());
  for (int32_t i = 0; i < static_cast<int32_t>(messages.size()); ++i) {
    const auto& m = messages[i];
    const int64_t ts = m.magic == 0 ? rec::k_no_timestamp : m.timestamp;
    if (m.magic > 0 && m.ts_type == rec::timestamp_type::log_append_time) {
      errors.push_back({i, "Producer should not set timestamp type to LogAppendTime."});
      timestamp_error = true;
      continue;
    }
    check_record(i, ts, m.key.has_value(), o, errors, timestamp_error);
    if (m.magic > 0 && ts > max_ts) {
      max_ts = ts;
      max_ts_index = i;
    }
    rebuilt_record x{ts, {}, {}, {}};
    if (m.key) x.key = m.key->span();
    if (m.value) x.value = m.value->span();
    rs.push_back(std::move(x));
  }
  if (!errors.empty()) return record_failure(std::move(errors), timestamp_error);

  validated_append out;
  rec::batch_options bo;
  bo.compression = target_codec(o.config, codec);
  build(out, rs, bo, next_offset, o);
  finish(out, next_offset, static_cast<int32_t>(messages.size()), max_ts, max_ts_index, o);
  return out;
}

}  // namespace

result<validated_append, validation_error> validate_for_append(std::span<uint8_t> records,
                                                               int64_t next_offset,
                                                               const append_options& o) {
  if (records.empty()) return validated_append{};
  rec::record_set_reader reader(records);
  std::optional<rec::record_set_entry> first;
  try {
    first = reader.next();
  } catch (const wire::decode_error& e) {
    return fail(error_code::corrupt_message, e.what());
  }
  if (!first)
    return fail(error_code::corrupt_message,
                fmt::format("Record set of {} bytes ends in a partial batch", records.size()));
  if (first->magic != rec::k_magic_v2) return validate_legacy(records, next_offset, o);

  if (first->bytes.size() - rec::k_log_overhead > static_cast<size_t>(o.config.max_message_bytes))
    return fail(error_code::message_too_large,
                fmt::format("The request included a message larger than the max message size the "
                            "server will accept: {} bytes, limit {}",
                            first->bytes.size(), o.config.max_message_bytes));
  if (first->bytes.size() != records.size()) {
    // Anything after the first batch: another batch, or bytes that are not one.
    try {
      if (reader.next())
        return fail(error_code::invalid_record, "Compressed outer record has more than one batch");
    } catch (const wire::decode_error& e) {
      return fail(error_code::corrupt_message, e.what());
    }
    return fail(
        error_code::corrupt_message,
        fmt::format("Record set ends in {} bytes that are not a batch", reader.partial_size()));
  }
  try {
    return validate_v2(records, next_offset, o);
  } catch (const wire::decode_error& e) {
    return fail(error_code::corrupt_message, e.what());
  }
}

rec::compress_options compression_options(const log_config& c, rec::codec codec) {
  rec::compress_options o;
  switch (codec) {
    case rec::codec::gzip:
      o.level = c.compression_gzip_level;
      break;
    case rec::codec::lz4:
      o.level = c.compression_lz4_level;
      break;
    case rec::codec::zstd:
      o.level = c.compression_zstd_level;
      break;
    default:
      break;
  }
  if (o.level == -1 && codec == rec::codec::gzip) o.level = rec::k_default_compression_level;
  return o;
}

}  // namespace brook::storage
