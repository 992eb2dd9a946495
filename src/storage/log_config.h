// The settings of one partition's log, resolved from the topic's configs and the broker's
// defaults (Kafka's names in the comments: topic config / broker default).
#pragma once

#include <cstdint>
#include <limits>

#include "protocol/records/types.h"

namespace brook::storage {

struct log_config {
  // segment.bytes / log.segment.bytes
  int64_t segment_bytes = 1 << 30;
  // segment.ms / log.roll.ms (log.roll.hours)
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;
  // segment.jitter.ms / log.roll.jitter.ms
  int64_t segment_jitter_ms = 0;
  // retention.ms / log.retention.ms (-1: unlimited)
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  // retention.bytes / log.retention.bytes (-1: unlimited)
  int64_t retention_bytes = -1;
  // index.interval.bytes / log.index.interval.bytes
  int32_t index_interval_bytes = 4096;
  // segment.index.bytes / log.index.size.max.bytes: an index is full at this size, which rolls
  // the segment.
  int32_t segment_index_bytes = 10 * 1024 * 1024;
  // flush.messages / log.flush.interval.messages: fdatasync after this many appended messages.
  int64_t flush_messages = std::numeric_limits<int64_t>::max();
  // flush.ms / log.flush.interval.ms
  int64_t flush_ms = std::numeric_limits<int64_t>::max();
  // file.delete.delay.ms / log.segment.delete.delay.ms
  int64_t file_delete_delay_ms = 60000;
  // max.message.bytes / message.max.bytes: the largest record batch accepted.
  int32_t max_message_bytes = 1048588;
  // message.timestamp.type / log.message.timestamp.type
  protocol::records::timestamp_type timestamp_type = protocol::records::timestamp_type::create_time;
  // message.timestamp.before.max.ms, message.timestamp.after.max.ms (KIP-937)
  int64_t timestamp_before_max_ms = std::numeric_limits<int64_t>::max();
  int64_t timestamp_after_max_ms = 3600 * 1000;
  // compression.type / compression.type: "producer" keeps the producer's codec.
  bool keep_producer_compression = true;
  protocol::records::codec compression = protocol::records::codec::none;
  // compression.gzip.level, compression.lz4.level, compression.zstd.level (KIP-390)
  int compression_gzip_level = -1;
  int compression_lz4_level = 9;
  int compression_zstd_level = 3;
  // cleanup.policy contains "compact": records need keys.
  bool compact = false;
  // cleanup.policy contains "delete": retention deletes segments.
  bool delete_retention = true;
  // Compaction (storage/cleaner.h):
  // delete.retention.ms / log.cleaner.delete.retention.ms: how long a cleaned tombstone stays.
  int64_t delete_retention_ms = 24LL * 3600 * 1000;
  // min.compaction.lag.ms / log.cleaner.min.compaction.lag.ms
  int64_t min_compaction_lag_ms = 0;
  // max.compaction.lag.ms / log.cleaner.max.compaction.lag.ms
  int64_t max_compaction_lag_ms = std::numeric_limits<int64_t>::max();
  // producer.id.expiration.ms (a broker setting): how long a producer's state outlives its last
  // batch.
  int64_t producer_id_expiration_ms = 86400000;
  // min.cleanable.dirty.ratio / log.cleaner.min.cleanable.ratio
  double min_cleanable_dirty_ratio = 0.5;
};

}  // namespace brook::storage
