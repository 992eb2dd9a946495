// The producer's settings, read from a config and checked the way Java's ProducerConfig checks
// them (see producer.h for the idempotence rules), so the checks are testable without a broker.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "client/config.h"
#include "protocol/records/compression.h"

namespace brook::client {

struct producer_settings {
  // 0, 1 or -1 (all).
  int16_t acks = -1;
  std::chrono::milliseconds linger{5};
  int64_t batch_size = 16384;
  protocol::records::codec compression = protocol::records::codec::none;
  protocol::records::compress_options compression_options{};
  int64_t retries = INT32_MAX;
  std::chrono::milliseconds retry_backoff{100};
  std::chrono::milliseconds retry_backoff_max{1000};
  std::chrono::milliseconds delivery_timeout{120000};
  std::chrono::milliseconds request_timeout{30000};
  bool idempotent = true;
  int max_in_flight = 5;
  int64_t buffer_memory = 32 << 20;
  int64_t max_request_size = 1 << 20;
  std::chrono::milliseconds max_block{60000};
  bool ignore_keys = false;
  bool adaptive_partitioning = true;
  std::chrono::milliseconds availability_timeout{0};
  bool allow_auto_create = true;
  std::optional<std::string> transactional_id;
  int32_t transaction_timeout_ms = 60000;
};

// Throws config_error naming the offending key, with Java's rule and wording where it has one.
producer_settings read_producer_settings(const config& settings);

}  // namespace brook::client
