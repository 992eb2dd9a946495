// Vocabulary shared by every record format (message sets of magic 0 and 1, record batches of
// magic 2) and the codecs: compression codec ids, timestamp types, and the errors that let the
// broker tell a corrupt batch (CRC mismatch, Kafka's CORRUPT_MESSAGE) and an oversized
// decompression from any other malformed input. All of them are wire::decode_error, so code that
// only cares that input was bad catches one type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "protocol/wire/types.h"

namespace brook::protocol::records {

// Codec ids as they appear in the low three bits of batch and message attributes.
enum class codec : int8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

// Checks the three attribute bits; 5..7 are not codecs.
codec codec_from_id(int id);
const char* codec_name(codec c);

enum class timestamp_type : int8_t { none = -1, create_time = 0, log_append_time = 1 };

// Offset int64 + length int32: the start of every entry in every format, not counted by its
// length field.
inline constexpr size_t k_log_overhead = 12;

// Kafka's "no value" markers, used as defaults throughout.
inline constexpr int64_t k_no_timestamp = -1;
inline constexpr int64_t k_no_producer_id = -1;
inline constexpr int16_t k_no_producer_epoch = -1;
inline constexpr int32_t k_no_sequence = -1;
inline constexpr int32_t k_no_partition_leader_epoch = -1;

// The stored checksum of a batch or message does not match its bytes.
class crc_mismatch_error : public wire::decode_error {
 public:
  using wire::decode_error::decode_error;
};

// Decompressing would produce more than the caller allowed. Thrown before the output grows past
// the limit, so a small input that claims to inflate to gigabytes costs at most the limit.
class decompression_limit_error : public wire::decode_error {
 public:
  using wire::decode_error::decode_error;
};

}  // namespace brook::protocol::records
