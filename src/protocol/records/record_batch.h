// Record batches of magic 2, the format every Kafka client since 0.11 produces and the one the
// broker stores. A batch is read in place (batch_view), checked (validate), and its records
// decoded (decode_records) sharing the buffer they came from; batches are built by batch_builder
// or, field for field, by encode_batch. The broker assigns offsets and leader epochs by patching
// two fixed fields that the CRC does not cover, without re-encoding.
//
// Batch layout (big-endian; offsets in bytes from the start of the batch):
//    0  base_offset             int64   offset of the first record; assigned by the broker
//    8  batch_length            int32   bytes that follow this field (total size - 12)
//   12  partition_leader_epoch  int32   assigned by the leader
//   16  magic                   int8    2 (at the same place as in magic 0 and 1 messages)
//   17  crc                     uint32  CRC32C of bytes 21..end: base_offset, batch_length and
//                                       partition_leader_epoch are outside it
//   21  attributes              int16   bits 0-2 codec, 3 timestamp type (1 = log append time),
//                                       4 transactional, 5 control, 6 delete horizon set
//   23  last_offset_delta       int32   also the last sequence delta; kept when compaction
//                                       removes records
//   27  base_timestamp          int64   first record's timestamp, or the delete horizon (bit 6)
//   35  max_timestamp           int64   the log append time when bit 3 is set
//   43  producer_id             int64
//   51  producer_epoch          int16
//   53  base_sequence           int32
//   57  records_count           int32
//   61  records                 one compressed stream when the codec is not none
//
// Record layout (varints are zig-zag encoded, as in wire::reader::read_varint):
//   length varint (bytes that follow), attributes int8 (unused), timestamp_delta varlong,
//   offset_delta varint, key_length varint (-1 = null) + key, value_length varint (-1 = null)
//   + value, header_count varint, then per header: key_length varint + key (UTF-8, not null),
//   value_length varint (-1 = null) + value.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/records/compression.h"
#include "protocol/records/types.h"
#include "protocol/wire/types.h"
#include "protocol/wire/writer.h"

namespace brook::protocol::records {

inline constexpr size_t k_batch_header_size = 61;
inline constexpr int8_t k_magic_v2 = 2;
// Where the magic byte sits in every batch or legacy message: after the offset, the length and
// (v2) the partition leader epoch or (v0, v1) the CRC.
inline constexpr size_t k_magic_offset = 16;

inline constexpr int16_t k_attr_codec_mask = 0x07;
inline constexpr int16_t k_attr_log_append_time = 0x08;
inline constexpr int16_t k_attr_transactional = 0x10;
inline constexpr int16_t k_attr_control = 0x20;
inline constexpr int16_t k_attr_delete_horizon = 0x40;

struct record_header {
  std::string key;
  std::optional<wire::shared_bytes> value;
  bool operator==(const record_header&) const = default;
};

// One record as stored: offset and timestamp relative to its batch (see batch_view::offset_of
// and timestamp_of). Keys, values and header values share the buffer the batch was decoded from
// (or the decompressed buffer) when the batch_view has an owner, and are copies otherwise.
struct record {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<wire::shared_bytes> key;
  std::optional<wire::shared_bytes> value;
  std::vector<record_header> headers;
  bool operator==(const record&) const = default;
};

// Every fixed field of a batch header except those derived from the content (batch_length, crc,
// records_count).
struct batch_header {
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = k_no_partition_leader_epoch;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = k_no_timestamp;
  int64_t max_timestamp = k_no_timestamp;
  int64_t producer_id = k_no_producer_id;
  int16_t producer_epoch = k_no_producer_epoch;
  int32_t base_sequence = k_no_sequence;
  bool operator==(const batch_header&) const = default;
};

// Reads the header fields of one batch in place. Cheap to copy; does not own the bytes unless an
// owner is given.
class batch_view {
 public:
  // Throws wire::decode_error unless `bytes` is exactly one batch: at least 61 bytes, magic 2,
  // and a batch_length that accounts for every byte. The CRC and the records are checked by
  // validate(). `owner` keeps the bytes alive and is shared with decoded records.
  explicit batch_view(std::span<const uint8_t> bytes, std::shared_ptr<const void> owner = {});
  // A view over a temporary buffer would dangle at once.
  batch_view(const wire::byte_buffer&&, std::shared_ptr<const void> = {}) = delete;

  std::span<const uint8_t> bytes() const { return _bytes; }
  const std::shared_ptr<const void>& owner() const { return _owner; }

  int64_t base_offset() const;
  int32_t batch_length() const;
  int32_t partition_leader_epoch() const;
  int8_t magic() const { return static_cast<int8_t>(_bytes[16]); }
  uint32_t crc() const;
  int16_t attributes() const;
  // Throws wire::decode_error for the ids 5..7, which name no codec.
  codec compression() const;
  timestamp_type ts_type() const;
  bool is_transactional() const { return attributes() & k_attr_transactional; }
  bool is_control() const { return attributes() & k_attr_control; }
  bool has_delete_horizon() const { return attributes() & k_attr_delete_horizon; }
  int32_t last_offset_delta() const;
  int64_t base_timestamp() const;
  int64_t max_timestamp() const;
  int64_t producer_id() const;
  int16_t producer_epoch() const;
  int32_t base_sequence() const;
  int32_t record_count() const;
  // The bytes after the header: the records, compressed when the codec is not none.
  std::span<const uint8_t> records_data() const { return _bytes.subspan(k_batch_header_size); }

  int64_t last_offset() const { return wrapping_add(base_offset(), last_offset_delta()); }
  // Sequences wrap from INT32_MAX to 0. k_no_sequence when the batch has none.
  int32_t last_sequence() const;
  std::optional<int64_t> delete_horizon() const;
  int64_t offset_of(const record& r) const { return wrapping_add(base_offset(), r.offset_delta); }
  // With log append time every record carries the batch's max timestamp.
  int64_t timestamp_of(const record& r) const;

  uint32_t compute_crc() const;
  bool crc_matches() const { return compute_crc() == crc(); }
  batch_header header() const;

 private:
  static int64_t wrapping_add(int64_t a, int64_t b) {
    return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
  }

  std::span<const uint8_t> _bytes;
  std::shared_ptr<const void> _owner;
};

// Full check of one batch: CRC (crc_mismatch_error), codec id, a non-negative record count, and
// the records themselves, decompressed within `max_uncompressed` bytes when needed: each record's
// fields fill exactly its length, the count matches the records present, no bytes trail them.
// Throws a wire::decode_error on the first problem. Allocates nothing for uncompressed batches.
void validate(const batch_view& batch, size_t max_uncompressed);

// The records of a batch, decompressed within `max_uncompressed` bytes when needed. Checks the
// structure as validate() does, but not the CRC (call validate() or crc_matches() for that).
std::vector<record> decode_records(const batch_view& batch, size_t max_uncompressed);

// Encodes a batch from every header field and the records as given (deltas and attributes
// unchanged); the codec comes from header.attributes. Computes length, count and CRC. Decoding a
// batch and encoding it again this way gives the same bytes when it is uncompressed.
wire::byte_buffer encode_batch(const batch_header& header, std::span<const record> records,
                               const compress_options& options = {});

// What a writer chooses for a new batch; the rest follows from the records appended.
struct batch_options {
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = k_no_partition_leader_epoch;
  codec compression = codec::none;
  compress_options compression_options{};
  timestamp_type ts_type = timestamp_type::create_time;
  // The batch's max timestamp when ts_type is log_append_time.
  int64_t log_append_time = k_no_timestamp;
  bool transactional = false;
  bool control = false;
  // Set by compaction: stored as the base timestamp, with record timestamps relative to it.
  std::optional<int64_t> delete_horizon;
  int64_t producer_id = k_no_producer_id;
  int16_t producer_epoch = k_no_producer_epoch;
  int32_t base_sequence = k_no_sequence;
};

// Builds one batch record by record. Records are encoded as they are appended, so the builder
// holds one copy of the uncompressed data; build() compresses it and writes the header.
class batch_builder {
 public:
  explicit batch_builder(batch_options options);

  // Appends a record at the next offset delta (the number of records appended before it).
  void append(int64_t timestamp, std::optional<std::span<const uint8_t>> key,
              std::optional<std::span<const uint8_t>> value,
              std::span<const record_header> headers = {});

  int32_t record_count() const { return _count; }
  // Size of the batch so far if it were not compressed.
  size_t uncompressed_size() const;

  // Finishes the batch and leaves the builder empty, with the same options, for the next one.
  wire::byte_buffer build();

 private:
  void start();

  batch_options _options;
  wire::writer _records;
  int32_t _count = 0;
  int64_t _base_timestamp = k_no_timestamp;
  int64_t _max_timestamp = k_no_timestamp;
};

// Patches for a batch the broker is about to store. Neither field is under the CRC. Both throw
// wire::decode_error if `batch` is not at least a batch header of magic 2.
void set_base_offset(std::span<uint8_t> batch, int64_t base_offset);
void set_partition_leader_epoch(std::span<uint8_t> batch, int32_t epoch);
// Sets the timestamp type bit and the max timestamp (as a broker does for log append time) and
// recomputes the CRC, which covers both.
void set_max_timestamp(std::span<uint8_t> batch, timestamp_type type, int64_t max_timestamp);

// Control records: the key of every record in a control batch is version int16 + type int16.
enum class control_type : int16_t {
  abort = 0,
  commit = 1,
  leader_change = 2,
  snapshot_header = 3,
  snapshot_footer = 4,
  kraft_version = 5,
  kraft_voters = 6,
};

struct control_key {
  int16_t version = 0;
  int16_t type = 0;
  bool operator==(const control_key&) const = default;
};

// Throws wire::decode_error for a key shorter than 4 bytes or a negative version; a newer version
// is read as version 0, whose fields every later version keeps.
control_key parse_control_key(std::span<const uint8_t> key);
wire::byte_buffer encode_control_key(control_type type);

// Value of an abort or commit marker: version int16 + coordinator_epoch int32.
struct end_txn_marker {
  int16_t version = 0;
  int32_t coordinator_epoch = 0;
  bool operator==(const end_txn_marker&) const = default;
};

end_txn_marker parse_end_txn_marker(std::span<const uint8_t> value);
wire::byte_buffer encode_end_txn_marker(int32_t coordinator_epoch);

// An uncompressed control batch holding one commit or abort marker for the producer named in
// `options`; the transactional and control flags are set and the base sequence cleared here.
wire::byte_buffer build_end_txn_batch(batch_options options, bool commit, int32_t coordinator_epoch,
                                      int64_t timestamp);

}  // namespace brook::protocol::records
