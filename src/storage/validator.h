// Validation of the records a client produces, before they reach the log, following Kafka's rules
// (its LogValidator and the checks around it), and the assignment of offsets.
//
// A magic-2 batch that needs no change beyond its offsets, leader epoch and (for log append time)
// max timestamp is patched in place in the request buffer and appended as it came: nothing is
// copied. A batch is rebuilt when the topic's compression.type differs from the producer's codec,
// when a compressed batch's inner offsets are not 0, 1, 2, ..., and for legacy message sets
// (magic 0 and 1), which are converted to one magic-2 batch, as Kafka does with its default
// message format.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "protocol/errors.h"
#include "protocol/records/compression.h"
#include "protocol/wire/types.h"
#include "storage/log_config.h"

namespace brook::storage {

struct append_options {
  log_config config;
  int64_t now_ms = 0;
  int32_t leader_epoch = 0;
  // The Produce request's version: zstd needs v7 or later.
  int16_t produce_version = 0;
};

struct validated_append {
  // The batch to write: the request's own bytes when patched in place, else `rebuilt`.
  std::span<const uint8_t> bytes() const {
    return rebuilt_used ? std::span<const uint8_t>(rebuilt) : std::span<const uint8_t>(in_place);
  }

  std::span<uint8_t> in_place;
  wire::byte_buffer rebuilt;
  bool rebuilt_used = false;

  int64_t first_offset = -1;
  int64_t last_offset = -1;
  int64_t max_timestamp = -1;
  int64_t offset_of_max_timestamp = -1;
  // The time stamped on the batch when the topic uses LogAppendTime, else -1.
  int64_t log_append_time = -1;
  // 0 when the request held no records (Kafka answers such a request without an error).
  int32_t record_count = 0;
};

struct record_error {
  int32_t batch_index = 0;
  std::string message;
};

struct validation_error {
  protocol::error_code code = protocol::error_code::corrupt_message;
  std::string message;
  // Per-record problems (INVALID_RECORD, INVALID_TIMESTAMP), as the Produce response reports them.
  std::vector<record_error> record_errors;
};

// The compression settings of a topic for `codec` (its compression.*.level); a default
// log_config gives Kafka's default level of each codec.
protocol::records::compress_options compression_options(const log_config& c,
                                                        protocol::records::codec codec);

// Validates `records` (one partition's data from a Produce request) and assigns offsets from
// `next_offset`. May patch `records` in place.
result<validated_append, validation_error> validate_for_append(std::span<uint8_t> records,
                                                               int64_t next_offset,
                                                               const append_options& options);

}  // namespace brook::storage
