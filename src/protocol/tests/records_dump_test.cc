// A fixed set of record sets in every format and codec Brook writes: record batches of magic 2
// with each codec, log append time, a transactional and an idempotent batch (with a sequence that
// wraps), commit and abort markers; message sets of magic 1 (create and log append time) and
// magic 0 with each codec they have. Each set is built from a plain description, decoded back with
// Brook, and the result must equal what the description says a reader sees.
//
// With BROOK_RECORDS_DUMP_DIR set, each set is also written there as <name>.bin with that
// expectation as <name>.json, for tests/compat/records-interop to read with real Kafka clients'
// decoders. The JSON is one object:
//   {"name", "magic", "codec", "batches": [{
//      "magic", "codec", "base_offset", "last_offset", "partition_leader_epoch",
//      "timestamp_type" ("create_time" | "log_append_time" | "none"), "max_timestamp",
//      "producer_id", "producer_epoch", "base_sequence", "last_sequence", "transactional",
//      "control", "records": [{"offset", "timestamp", "timestamp_type", "key", "value" (standard
//      base64 or null), "headers": [{"key", "value"}], and in control batches "control_type"
//      and "coordinator_epoch"}]}]}
// A legacy entry (one message, or one compressed wrapper with its inner messages) is one batch;
// its max_timestamp is the entry's own timestamp, and the fields magic 0 and 1 lack are -1.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/records/legacy.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"
#include "protocol/wire/json.h"

using namespace brook::protocol::records;
using brook::wire::byte_buffer;
using brook::wire::json_writer;
using brook::wire::shared_bytes;

namespace {

constexpr size_t k_limit = 16 << 20;
constexpr int64_t k_t0 = 1700000000000;
constexpr int64_t k_log_append_time = k_t0 + 5000;

using bytes = std::vector<uint8_t>;

bytes to_bytes(std::string_view s) { return bytes(s.begin(), s.end()); }

std::optional<bytes> to_bytes(const std::optional<shared_bytes>& b) {
  if (!b) return std::nullopt;
  return bytes(b->span().begin(), b->span().end());
}

std::optional<std::span<const uint8_t>> span_of(const std::optional<bytes>& b) {
  if (!b) return std::nullopt;
  return std::span<const uint8_t>(*b);
}

// ---- what a reader should see ------------------------------------------------------------------

struct x_header {
  std::string key;
  std::optional<bytes> value;
  bool operator==(const x_header&) const = default;
};

struct x_record {
  int64_t offset = 0;
  int64_t timestamp = k_no_timestamp;
  timestamp_type ts_type = timestamp_type::create_time;
  std::optional<bytes> key;
  std::optional<bytes> value;
  std::vector<x_header> headers;
  // Control batches only: the type in the key and the coordinator epoch of the marker value.
  std::optional<int16_t> control_type;
  std::optional<int32_t> coordinator_epoch;
  bool operator==(const x_record&) const = default;
};

struct x_batch {
  int8_t magic = 2;
  codec compression = codec::none;
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int32_t partition_leader_epoch = k_no_partition_leader_epoch;
  timestamp_type ts_type = timestamp_type::create_time;
  int64_t max_timestamp = k_no_timestamp;
  int64_t producer_id = k_no_producer_id;
  int16_t producer_epoch = k_no_producer_epoch;
  int32_t base_sequence = k_no_sequence;
  int32_t last_sequence = k_no_sequence;
  bool transactional = false;
  bool control = false;
  std::vector<x_record> records;
  bool operator==(const x_batch&) const = default;
};

struct x_set {
  std::string name;
  int8_t magic = 2;
  codec compression = codec::none;
  std::vector<x_batch> batches;
  bool operator==(const x_set&) const = default;
};

const char* ts_type_name(timestamp_type t) {
  switch (t) {
    case timestamp_type::none:
      return "none";
    case timestamp_type::create_time:
      return "create_time";
    case timestamp_type::log_append_time:
      return "log_append_time";
  }
  return "?";
}

void write_bytes(json_writer& w, const std::optional<bytes>& b) {
  if (b) {
    w.bytes(*b);
  } else {
    w.null();
  }
}

std::string to_json(const x_set& s) {
  json_writer w;
  w.begin_object();
  w.key("name");
  w.value(std::string_view(s.name));
  w.key("magic");
  w.value(s.magic);
  w.key("codec");
  w.value(std::string_view(codec_name(s.compression)));
  w.key("batches");
  w.begin_array();
  for (const auto& b : s.batches) {
    w.begin_object();
    w.key("magic");
    w.value(b.magic);
    w.key("codec");
    w.value(std::string_view(codec_name(b.compression)));
    w.key("base_offset");
    w.value(b.base_offset);
    w.key("last_offset");
    w.value(b.last_offset);
    w.key("partition_leader_epoch");
    w.value(b.partition_leader_epoch);
    w.key("timestamp_type");
    w.value(std::string_view(ts_type_name(b.ts_type)));
    w.key("max_timestamp");
    w.value(b.max_timestamp);
    w.key("producer_id");
    w.value(b.producer_id);
    w.key("producer_epoch");
    w.value(b.producer_epoch);
    w.key("base_sequence");
    w.value(b.base_sequence);
    w.key("last_sequence");
    w.value(b.last_sequence);
    w.key("transactional");
    w.value(b.transactional);
    w.key("control");
    w.value(b.control);
    w.key("records");
    w.begin_array();
    for (const auto& r : b.records) {
      w.begin_object();
      w.key("offset");
      w.value(r.offset);
      w.key("timestamp");
      w.value(r.timestamp);
      w.key("timestamp_type");
      w.value(std::string_view(ts_type_name(r.ts_type)));
      w.key("key");
      write_bytes(w, r.key);
      w.key("value");
      write_bytes(w, r.value);
      w.key("headers");
      w.begin_array();
      for (const auto& h : r.headers) {
        w.begin_object();
        w.key("key");
        w.value(std::string_view(h.key));
        w.key("value");
        write_bytes(w, h.value);
        w.end_object();
      }
      w.end_array();
      if (r.control_type) {
        w.key("control_type");
        w.value(*r.control_type);
      }
      if (r.coordinator_epoch) {
        w.key("coordinator_epoch");
        w.value(*r.coordinator_epoch);
      }
      w.end_object();
    }
    w.end_array();
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.take();
}

// ---- the sets, described and built -------------------------------------------------------------

// One record as a producer hands it over. Magic 0 and 1 have no headers and ignore them here.
struct input_record {
  int64_t timestamp = 0;
  std::optional<bytes> key;
  std::optional<bytes> value;
  std::vector<x_header> headers;
};

// Mixed small records: headers (one with a null value, one empty, a repeated key, a non-ASCII
// key), a null key, a null value, an empty key and value, and a timestamp below the first one
// (a negative delta).
std::vector<input_record> small_records() {
  std::vector<input_record> v(5);
  v[0] = {k_t0,
          to_bytes("key-0"),
          to_bytes("value-0"),
          {{"trace-id", to_bytes("abc123")}, {"null-header", std::nullopt}, {"empty", bytes{}}}};
  v[1] = {k_t0 + 5, std::nullopt, to_bytes("no key"), {}};
  v[2] = {k_t0 - 3, to_bytes("tombstone"), std::nullopt, {}};
  v[3] = {k_t0 + 2, bytes{}, bytes{}, {}};
  v[4] = {k_t0 + 7,
          to_bytes("k4"),
          to_bytes("v4"),
          {{"dup", to_bytes("1")},
           {"dup", to_bytes("2")},
           {"\xc3\xbcnicode-\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", bytes{0x00, 0xff, 0x7f, 0x80}}}};
  return v;
}

// Large values: 100 KiB of compressible text (several LZ4 blocks, many snappy chunks), 40 KiB of
// pseudo-random bytes (which LZ4 stores as uncompressed blocks), and a small record after them.
std::vector<input_record> large_records() {
  std::string text;
  for (int line = 0; text.size() < 100 * 1024; ++line) {
    text += "line " + std::to_string(line) + ": the quick brown fox jumps over the lazy dog " +
            std::to_string(line * 7919 % 1000) + "\n";
  }
  text.resize(100 * 1024);
  bytes noise(40 * 1024);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (auto& b : noise) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<uint8_t>(x >> 24);
  }
  std::vector<input_record> v(3);
  v[0] = {k_t0 + 100, to_bytes("big-compressible"), to_bytes(text), {}};
  v[1] = {k_t0 + 101, to_bytes("big-random"), noise, {{"h", to_bytes("v")}}};
  v[2] = {k_t0 + 102, std::nullopt, to_bytes("after the big ones"), {}};
  return v;
}

// Kafka's DefaultRecordBatch.incrementSequence: sequences wrap from INT32_MAX to 0.
int32_t increment_sequence(int32_t base, int32_t delta) {
  if (base > INT32_MAX - delta) return delta - (INT32_MAX - base) - 1;
  return base + delta;
}

struct built_set {
  x_set expected;
  byte_buffer bytes;
};

void add_v2_batch(built_set& s, const batch_options& o, const std::vector<input_record>& recs) {
  batch_builder builder(o);
  for (const auto& r : recs) {
    std::vector<record_header> headers;
    for (const auto& h : r.headers) {
      std::optional<shared_bytes> value;
      if (h.value) value = shared_bytes(*h.value);
      headers.push_back({h.key, value});
    }
    builder.append(r.timestamp, span_of(r.key), span_of(r.value), headers);
  }
  auto buf = builder.build();
  s.bytes.insert(s.bytes.end(), buf.begin(), buf.end());

  const bool log_append = o.ts_type == timestamp_type::log_append_time;
  x_batch b;
  b.magic = 2;
  b.compression = o.compression;
  b.base_offset = o.base_offset;
  b.last_offset = o.base_offset + static_cast<int64_t>(recs.size()) - 1;
  b.partition_leader_epoch = o.partition_leader_epoch;
  b.ts_type = o.ts_type;
  b.max_timestamp = k_no_timestamp;
  for (const auto& r : recs) b.max_timestamp = std::max(b.max_timestamp, r.timestamp);
  if (log_append) b.max_timestamp = o.log_append_time;
  b.producer_id = o.producer_id;
  b.producer_epoch = o.producer_epoch;
  b.base_sequence = o.base_sequence;
  b.last_sequence =
      o.base_sequence == k_no_sequence
          ? k_no_sequence
          : increment_sequence(o.base_sequence, static_cast<int32_t>(recs.size()) - 1);
  b.transactional = o.transactional;
  for (size_t i = 0; i < recs.size(); ++i) {
    x_record r;
    r.offset = o.base_offset + static_cast<int64_t>(i);
    r.timestamp = log_append ? o.log_append_time : recs[i].timestamp;
    r.ts_type = o.ts_type;
    r.key = recs[i].key;
    r.value = recs[i].value;
    r.headers = recs[i].headers;
    b.records.push_back(std::move(r));
  }
  s.expected.batches.push_back(std::move(b));
}

void add_end_txn_batch(built_set& s, const batch_options& o, bool commit, int32_t coordinator_epoch,
                       int64_t timestamp) {
  auto buf = build_end_txn_batch(o, commit, coordinator_epoch, timestamp);
  s.bytes.insert(s.bytes.end(), buf.begin(), buf.end());

  x_batch b;
  b.magic = 2;
  b.compression = codec::none;
  b.base_offset = o.base_offset;
  b.last_offset = o.base_offset;
  b.partition_leader_epoch = o.partition_leader_epoch;
  b.ts_type = timestamp_type::create_time;
  b.max_timestamp = timestamp;
  b.producer_id = o.producer_id;
  b.producer_epoch = o.producer_epoch;
  b.transactional = true;
  b.control = true;
  x_record r;
  r.offset = o.base_offset;
  r.timestamp = timestamp;
  // Key: version 0, type (0 abort, 1 commit). Value: version 0, coordinator epoch (big-endian).
  r.key = bytes{0, 0, 0, static_cast<uint8_t>(commit ? 1 : 0)};
  auto e = static_cast<uint32_t>(coordinator_epoch);
  r.value = bytes{0,
                  0,
                  static_cast<uint8_t>(e >> 24),
                  static_cast<uint8_t>(e >> 16),
                  static_cast<uint8_t>(e >> 8),
                  static_cast<uint8_t>(e)};
  r.control_type = commit ? 1 : 0;
  r.coordinator_epoch = coordinator_epoch;
  b.records.push_back(std::move(r));
  s.expected.batches.push_back(std::move(b));
}

void add_legacy_messages(built_set& s, const legacy_encode_options& o,
                         const std::vector<input_record>& recs) {
  std::vector<legacy_message> messages;
  for (const auto& r : recs) {
    legacy_message m;
    m.magic = o.magic;
    m.timestamp = r.timestamp;
    if (r.key) m.key = shared_bytes(*r.key);
    if (r.value) m.value = shared_bytes(*r.value);
    messages.push_back(std::move(m));
  }
  auto buf = encode_message_set(messages, o);
  s.bytes.insert(s.bytes.end(), buf.begin(), buf.end());

  const bool log_append = o.magic == 1 && o.ts_type == timestamp_type::log_append_time;
  const timestamp_type ts_type = o.magic == 0 ? timestamp_type::none : o.ts_type;
  std::vector<x_record> records;
  for (size_t i = 0; i < recs.size(); ++i) {
    x_record r;
    r.offset = o.base_offset + static_cast<int64_t>(i);
    r.timestamp = o.magic == 0 ? k_no_timestamp
                  : log_append ? o.log_append_time
                               : recs[i].timestamp;
    r.ts_type = ts_type;
    r.key = recs[i].key;
    r.value = recs[i].value;
    records.push_back(std::move(r));
  }
  auto legacy_batch = [&](std::vector<x_record> rs) {
    x_batch b;
    b.magic = o.magic;
    b.compression = o.compression;
    b.base_offset = rs.front().offset;
    b.last_offset = rs.back().offset;
    b.ts_type = ts_type;
    b.max_timestamp = k_no_timestamp;
    for (const auto& r : rs) b.max_timestamp = std::max(b.max_timestamp, r.timestamp);
    b.records = std::move(rs);
    return b;
  };
  if (o.compression == codec::none) {
    for (auto& r : records) s.expected.batches.push_back(legacy_batch({std::move(r)}));
  } else {
    s.expected.batches.push_back(legacy_batch(std::move(records)));
  }
}

std::vector<input_record> without_headers(std::vector<input_record> v) {
  for (auto& r : v) r.headers.clear();
  return v;
}

std::vector<built_set> build_sets() {
  std::vector<built_set> sets;
  auto start = [&](std::string name, int8_t magic, codec c) -> built_set& {
    built_set& s = sets.emplace_back();
    s.expected.name = std::move(name);
    s.expected.magic = magic;
    s.expected.compression = c;
    return s;
  };
  const auto small = small_records();
  const auto large = large_records();

  // Magic 2: every codec, two batches each.
  for (codec c : {codec::none, codec::gzip, codec::snappy, codec::lz4, codec::zstd}) {
    auto& s = start(std::string("v2-") + codec_name(c), 2, c);
    batch_options o;
    o.base_offset = 1000;
    o.partition_leader_epoch = 5;
    o.compression = c;
    add_v2_batch(s, o, small);
    o.base_offset = 1000 + static_cast<int64_t>(small.size());
    add_v2_batch(s, o, large);
  }
  {
    auto& s = start("v2-log-append-time", 2, codec::gzip);
    batch_options o;
    o.base_offset = 3000;
    o.partition_leader_epoch = 6;
    o.compression = codec::gzip;
    o.ts_type = timestamp_type::log_append_time;
    o.log_append_time = k_log_append_time;
    add_v2_batch(s, o, small);
  }
  {
    // A transactional batch, then an idempotent one whose sequence wraps past INT32_MAX.
    auto& s = start("v2-transactional", 2, codec::zstd);
    batch_options o;
    o.base_offset = 4000;
    o.partition_leader_epoch = 7;
    o.compression = codec::zstd;
    o.transactional = true;
    o.producer_id = 4242;
    o.producer_epoch = 3;
    o.base_sequence = 17;
    add_v2_batch(s, o, small);
    o.base_offset = 4000 + static_cast<int64_t>(small.size());
    o.transactional = false;
    o.producer_id = 4243;
    o.producer_epoch = 0;
    o.base_sequence = INT32_MAX - 1;
    add_v2_batch(s, o, small);
  }
  {
    auto& s = start("v2-control", 2, codec::none);
    batch_options o;
    o.base_offset = 4010;
    o.partition_leader_epoch = 7;
    o.producer_id = 4242;
    o.producer_epoch = 3;
    add_end_txn_batch(s, o, true, 9, k_t0 + 10);
    o.base_offset = 4011;
    o.producer_id = 4243;
    o.producer_epoch = 1;
    add_end_txn_batch(s, o, false, 10, k_t0 + 11);
  }

  // Magic 1 (create and log append time) and magic 0: every codec they have.
  const auto small_legacy = without_headers(small);
  const auto large_legacy = without_headers(large);
  for (int8_t magic : {int8_t{1}, int8_t{0}}) {
    for (auto ts : {timestamp_type::create_time, timestamp_type::log_append_time}) {
      if (magic == 0 && ts == timestamp_type::log_append_time) continue;
      for (codec c : {codec::none, codec::gzip, codec::snappy, codec::lz4}) {
        std::string name = "v" + std::to_string(magic) + "-" + codec_name(c);
        if (ts == timestamp_type::log_append_time) name += "-log-append-time";
        auto& s = start(name, magic, c);
        legacy_encode_options o;
        o.magic = magic;
        o.compression = c;
        o.base_offset = 500;
        o.ts_type = ts;
        if (ts == timestamp_type::log_append_time) o.log_append_time = k_log_append_time;
        add_legacy_messages(s, o, small_legacy);
        o.base_offset = 500 + static_cast<int64_t>(small_legacy.size());
        add_legacy_messages(s, o, large_legacy);
      }
    }
  }
  return sets;
}

// ---- what Brook reads --------------------------------------------------------------------------

x_set decode_with_brook(const x_set& like, const byte_buffer& bytes) {
  x_set got;
  got.name = like.name;
  got.magic = like.magic;
  got.compression = like.compression;
  record_set_reader reader(bytes);
  while (auto entry = reader.next()) {
    x_batch b;
    b.magic = entry->magic;
    if (entry->magic == 2) {
      batch_view v = entry->batch();
      validate(v, k_limit);
      b.compression = v.compression();
      b.base_offset = v.base_offset();
      b.last_offset = v.last_offset();
      b.partition_leader_epoch = v.partition_leader_epoch();
      b.ts_type = v.ts_type();
      b.max_timestamp = v.max_timestamp();
      b.producer_id = v.producer_id();
      b.producer_epoch = v.producer_epoch();
      b.base_sequence = v.base_sequence();
      b.last_sequence = v.last_sequence();
      b.transactional = v.is_transactional();
      b.control = v.is_control();
      for (const auto& rec : decode_records(v, k_limit)) {
        x_record r;
        r.offset = v.offset_of(rec);
        r.timestamp = v.timestamp_of(rec);
        r.ts_type = v.ts_type();
        r.key = to_bytes(rec.key);
        r.value = to_bytes(rec.value);
        for (const auto& h : rec.headers) r.headers.push_back({h.key, to_bytes(h.value)});
        if (v.is_control()) {
          EXPECT_TRUE(rec.key && rec.value);
          if (rec.key && rec.value) {
            r.control_type = parse_control_key(rec.key->span()).type;
            r.coordinator_epoch = parse_end_txn_marker(rec.value->span()).coordinator_epoch;
          }
        }
        b.records.push_back(std::move(r));
      }
    } else {
      legacy_message_view v(entry->bytes, entry->owner);
      EXPECT_TRUE(v.crc_matches());
      b.compression = v.compression();
      b.last_offset = v.offset();
      b.ts_type = v.ts_type();
      b.max_timestamp = v.timestamp();
      for (const auto& m : decode_legacy_entry(v, k_limit)) {
        EXPECT_EQ(m.magic, v.magic());
        x_record r;
        r.offset = m.offset;
        r.timestamp = m.timestamp;
        r.ts_type = m.ts_type;
        r.key = to_bytes(m.key);
        r.value = to_bytes(m.value);
        b.records.push_back(std::move(r));
      }
      if (!b.records.empty()) b.base_offset = b.records.front().offset;
    }
    got.batches.push_back(std::move(b));
  }
  EXPECT_EQ(reader.partial_size(), 0u);
  return got;
}

void dump(const std::string& dir, const built_set& s) {
  auto write = [](const std::string& path, const char* data, size_t size) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data, static_cast<std::streamsize>(size));
    EXPECT_TRUE(out.good()) << "cannot write " << path;
  };
  std::string stem = dir + "/" + s.expected.name;
  write(stem + ".bin", reinterpret_cast<const char*>(s.bytes.data()), s.bytes.size());
  std::string json = to_json(s.expected);
  write(stem + ".json", json.data(), json.size());
}

// The first place two renderings differ, with a little context, instead of two long strings.
std::string first_difference(const std::string& want, const std::string& got) {
  size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  size_t from = i < 80 ? 0 : i - 80;
  return "at character " + std::to_string(i) + ":\n  want ..." + want.substr(from, 160) +
         "\n  got  ..." + got.substr(from, 160);
}

TEST(records_dump, brook_reads_back_every_set_it_builds) {
  auto sets = build_sets();
  ASSERT_EQ(sets.size(), 20u);
  const char* dir = std::getenv("BROOK_RECORDS_DUMP_DIR");
  for (const auto& s : sets) {
    SCOPED_TRACE(s.expected.name);
    x_set got;
    ASSERT_NO_THROW(got = decode_with_brook(s.expected, s.bytes));
    if (!(got == s.expected)) {
      ADD_FAILURE() << first_difference(to_json(s.expected), to_json(got));
    }
    if (dir != nullptr && *dir != '\0') dump(dir, s);
  }
}

TEST(records_dump, sets_are_deterministic) {
  auto a = build_sets();
  auto b = build_sets();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE(a[i].expected.name);
    EXPECT_EQ(a[i].bytes, b[i].bytes);
  }
}

TEST(records_dump, large_values_span_several_codec_blocks) {
  // LZ4 frames hold 64 KiB blocks and snappy-java chunks 32 KiB: the large batch must be bigger
  // than one of either, or the dumps would not exercise multi-block decoding.
  batch_options o;
  batch_builder builder(o);
  for (const auto& r : large_records())
    builder.append(r.timestamp, span_of(r.key), span_of(r.value));
  EXPECT_GT(builder.uncompressed_size(), 2u * 64 * 1024);
}

}  // namespace
