// Helpers shared by the storage tests: a temporary folder, appends as the broker makes them.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <span>
#include <string>

#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"
#include "storage/partition_log.h"
#include "storage/validator.h"

namespace brook::storage::testing {

namespace fs = std::filesystem;

inline constexpr int64_t k_now = 1'700'000'000'000;

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("brook-storage-test-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};

inline std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// `count` records of one producer: idempotent, or part of its transaction.
inline wire::byte_buffer producer_batch(int64_t pid, int16_t epoch, int32_t seq, int count,
                                        bool transactional = false) {
  protocol::records::batch_options o;
  o.producer_id = pid;
  o.producer_epoch = epoch;
  o.base_sequence = seq;
  o.transactional = transactional;
  protocol::records::batch_builder b(o);
  for (int i = 0; i < count; ++i) b.append(k_now, std::nullopt, bytes_of("v"));
  return b.build();
}

// One record `key`=`value`: plain (pid -1), or in the transaction of producer `pid`.
inline wire::byte_buffer keyed(const std::string& key, const std::string& value, int64_t pid = -1,
                               int32_t seq = -1, int16_t epoch = 0) {
  protocol::records::batch_options o;
  o.producer_id = pid;
  o.producer_epoch = pid >= 0 ? epoch : -1;
  o.base_sequence = seq;
  o.transactional = pid >= 0;
  protocol::records::batch_builder b(o);
  b.append(k_now, bytes_of(key), bytes_of(value));
  return b.build();
}

// The coordinator's COMMIT or ABORT marker for producer `pid`, as append_marker takes it.
inline marker_request marker(int64_t pid, int16_t epoch, bool commit, int32_t coordinator_epoch = 0,
                             int8_t version = 0) {
  marker_request m;
  m.producer_id = pid;
  m.producer_epoch = epoch;
  m.commit = commit;
  m.coordinator_epoch = coordinator_epoch;
  m.transaction_version = version;
  m.leader_epoch = 3;
  m.now_ms = k_now;
  return m;
}

inline append_options options(log_config c = {}) {
  append_options o;
  o.config = c;
  o.now_ms = k_now;
  o.leader_epoch = 3;
  o.produce_version = 9;
  return o;
}

// Validates and appends like the broker does; returns the base offset.
inline int64_t produce(partition_log& log, wire::byte_buffer batch, const log_config& c = {}) {
  auto v = validate_for_append(batch, log.end_offset(), options(c));
  EXPECT_TRUE(v.has_value()) << (v ? "" : v.error().message);
  if (!v) return -1;
  append_info info{v->first_offset, v->last_offset, v->max_timestamp, v->offset_of_max_timestamp,
                   v->record_count};
  auto r = log.append(v->bytes(), info);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return v->first_offset;
}

inline std::unique_ptr<partition_log> open_log(const fs::path& dir, log_config c = {},
                                               bool clean = true) {
  open_options o;
  o.now_ms = k_now;
  o.clean_shutdown = clean;
  auto l = partition_log::open(dir, c, o);
  EXPECT_TRUE(l.has_value()) << (l ? "" : l.error().message);
  return l ? std::move(*l) : nullptr;
}

// Reads the log from `from` to its end as a consumer fetches it, `max_bytes` at a time, and calls
// f(batch) for each batch (its CRC checked) that ends at or after the offset asked for.
inline void fetch_batches(partition_log& log, int64_t from, int32_t max_bytes,
                          const std::function<void(const protocol::records::batch_view&)>& f) {
  int64_t next = from;
  while (next < log.end_offset()) {
    auto r = log.read(next, max_bytes, log.end_offset(), true);
    EXPECT_TRUE(r.has_value());
    if (!r || r->size() == 0) break;
    wire::byte_buffer buf;
    EXPECT_TRUE(r->read_into(buf).has_value());
    protocol::records::record_set_reader reader(buf);
    while (auto e = reader.next()) {
      auto b = e->batch();
      EXPECT_TRUE(b.crc_matches());
      EXPECT_GE(b.last_offset(), next);
      f(b);
      next = b.last_offset() + 1;
    }
  }
}

}  // namespace brook::storage::testing
