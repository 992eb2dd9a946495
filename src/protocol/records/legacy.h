// Message sets of magic 0 and 1, the formats before Kafka 0.11. Old clients still produce them
// and fetch them, so the broker reads and writes both.
//
// Message layout (big-endian; offsets in bytes from the start of the entry):
//    0  offset        int64   a compressed wrapper's is the offset of its last inner message
//    8  message_size  int32   bytes that follow this field
//   12  crc           uint32  CRC32 (IEEE) of bytes 16..end
//   16  magic         int8    0 or 1
//   17  attributes    int8    bits 0-2 codec; bit 3 timestamp type (magic 1 only,
//                             1 = log append time)
//   18  timestamp     int64   magic 1 only
//   then key          int32 length (-1 = null) + bytes
//        value        int32 length (-1 = null) + bytes
//
// A compressed wrapper has a null key and a value that holds a compressed message set of
// uncompressed inner messages with the wrapper's magic. In magic 1 the inner offsets count from 0
// and the wrapper carries the absolute offset of the last one (so the broker assigns offsets by
// patching the wrapper alone); in magic 0 they are absolute. The wrapper's timestamp is the max of
// the inner ones, or the log append time. Magic-0 lz4 uses the old frame header (KAFKA-3160).
// There is no zstd before magic 2.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "protocol/records/compression.h"
#include "protocol/records/types.h"
#include "protocol/wire/types.h"

namespace brook::protocol::records {

// One message read in place. Cheap to copy; does not own the bytes unless an owner is given.
class legacy_message_view {
 public:
  // Throws wire::decode_error unless `bytes` is exactly one message: message_size accounts for
  // every byte, magic is 0 or 1, and the key and value lengths fill the message exactly. The CRC
  // is checked by crc_matches() (and by the decode functions).
  explicit legacy_message_view(std::span<const uint8_t> bytes,
                               std::shared_ptr<const void> owner = {});
  // A view over a temporary buffer would dangle at once.
  legacy_message_view(const wire::byte_buffer&&, std::shared_ptr<const void> = {}) = delete;

  std::span<const uint8_t> bytes() const { return _bytes; }
  const std::shared_ptr<const void>& owner() const { return _owner; }

  int64_t offset() const;
  int32_t message_size() const;
  uint32_t crc() const;
  int8_t magic() const { return static_cast<int8_t>(_bytes[16]); }
  int8_t attributes() const { return static_cast<int8_t>(_bytes[17]); }
  // Throws wire::decode_error for the ids 5..7.
  codec compression() const;
  // timestamp_type::none for magic 0.
  timestamp_type ts_type() const;
  // k_no_timestamp for magic 0.
  int64_t timestamp() const;
  std::optional<std::span<const uint8_t>> key() const { return field(_key_at, _key_len); }
  std::optional<std::span<const uint8_t>> value() const { return field(_value_at, _value_len); }

  uint32_t compute_crc() const;
  bool crc_matches() const { return compute_crc() == crc(); }

 private:
  std::optional<std::span<const uint8_t>> field(size_t at, int32_t len) const {
    if (len < 0) return std::nullopt;
    return _bytes.subspan(at, static_cast<size_t>(len));
  }

  std::span<const uint8_t> _bytes;
  std::shared_ptr<const void> _owner;
  size_t _key_at = 0;
  int32_t _key_len = -1;
  size_t _value_at = 0;
  int32_t _value_len = -1;
};

// A message as the consumer sees it: inner messages of a wrapper carry absolute offsets, and in
// magic 1 the wrapper's timestamp type (and, with log append time, its timestamp).
struct legacy_message {
  int64_t offset = 0;
  int8_t magic = 1;
  // The message's own attributes; decoded messages are never compressed.
  int8_t attributes = 0;
  timestamp_type ts_type = timestamp_type::create_time;
  int64_t timestamp = k_no_timestamp;
  std::optional<wire::shared_bytes> key;
  std::optional<wire::shared_bytes> value;
  bool operator==(const legacy_message&) const = default;
};

// The messages of one entry: itself when uncompressed, else the inner messages of the wrapper,
// decompressed within `max_uncompressed` bytes. Checks every CRC (crc_mismatch_error), that inner
// messages have the wrapper's magic and no compression of their own, that the inner set is not
// empty and does not end in a partial message, and that a magic-1 wrapper's offset is not below
// its last relative inner offset (a wrapper offset of 0, which some old librdkafka versions
// send, means the inner offsets are taken as they are).
std::vector<legacy_message> decode_legacy_entry(const legacy_message_view& entry,
                                                size_t max_uncompressed);

// Every message of a message set that must be complete (a Produce request's): a partial trailing
// entry or a magic-2 entry is an error. record_set_reader walks sets that may end in a partial
// entry.
std::vector<legacy_message> decode_message_set(std::span<const uint8_t> bytes,
                                               size_t max_uncompressed,
                                               std::shared_ptr<const void> owner = {});

struct legacy_encode_options {
  int8_t magic = 1;
  codec compression = codec::none;
  // legacy_lz4_checksum is set for magic 0 whatever the caller passes.
  compress_options compression_options{};
  int64_t base_offset = 0;
  // Magic 1 only.
  timestamp_type ts_type = timestamp_type::create_time;
  int64_t log_append_time = k_no_timestamp;
};

// Encodes `messages` at offsets base_offset, base_offset + 1, ...: one entry each without
// compression, or one wrapper holding them all. Of each message only key, value and (magic 1)
// timestamp are used. With log append time, uncompressed messages carry log_append_time as their
// timestamp and a wrapper carries it as its own. Throws wire::encode_error for zstd or a magic
// other than 0 and 1.
wire::byte_buffer encode_message_set(std::span<const legacy_message> messages,
                                     const legacy_encode_options& options);

// Fetch v0-v3 for clients that read only magic 0 (v0, v1) or magic 1 (v2, v3), as Kafka 3.x
// down-converts: each magic-2 batch becomes one message per record when uncompressed, or one
// wrapper of the batch's codec around them; headers are dropped, and magic 0 loses timestamps.
// Control batches are left out, and older entries and a partial trailing entry pass unchanged.
// Returns nullopt when a batch is zstd-compressed, which no magic-0/1 reader knows (Kafka answers
// UNSUPPORTED_COMPRESSION_TYPE). Throws wire::decode_error for a malformed batch.
std::optional<wire::byte_buffer> down_convert(std::span<const uint8_t> record_set, int8_t magic,
                                              size_t max_uncompressed);

// Sets a message's offset (a magic-1 wrapper's: that of its last inner message), which the CRC
// does not cover. Throws wire::decode_error if `message` is too short to hold one.
void set_legacy_offset(std::span<uint8_t> message, int64_t offset);

}  // namespace brook::protocol::records
