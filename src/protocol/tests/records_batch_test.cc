#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/records/byte_order.h"
#include "protocol/records/checksum.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"

using namespace brook::protocol::records;
using brook::wire::byte_buffer;
using brook::wire::decode_error;
using brook::wire::shared_bytes;

namespace {

constexpr size_t k_limit = 16 << 20;
constexpr codec k_codecs[] = {codec::none, codec::gzip, codec::snappy, codec::lz4, codec::zstd};

std::span<const uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

shared_bytes sb(std::string_view s) {
  return shared_bytes(std::vector<uint8_t>(s.begin(), s.end()));
}

std::string str(const std::optional<shared_bytes>& b) {
  return b ? std::string(reinterpret_cast<const char*>(b->data()), b->size()) : "<null>";
}

std::vector<record_header> some_headers() {
  return {{"trace", sb("abc123")}, {"empty", sb("")}, {"nothing", std::nullopt}};
}

// Three records: with headers; null key; null value. Timestamps 1000, 1005, 990.
byte_buffer sample_batch(batch_options o) {
  batch_builder b(std::move(o));
  auto headers = some_headers();
  b.append(1000, span_of("key-0"), span_of("value-0"), headers);
  b.append(1005, std::nullopt, span_of(std::string(300, 'x')));
  b.append(990, span_of("key-2"), std::nullopt);
  return b.build();
}

// Sets the records_count field and fixes the CRC so that only the count is wrong.
void set_count(byte_buffer& batch, int32_t count) {
  store_be<int32_t>(batch.data() + 57, count);
  store_be<uint32_t>(batch.data() + 17, crc32c(std::span(batch).subspan(21)));
}

void fix_crc(byte_buffer& batch) {
  store_be<uint32_t>(batch.data() + 17, crc32c(std::span(batch).subspan(21)));
}

}  // namespace

TEST(records_batch, builder_round_trip_every_codec) {
  for (codec c : k_codecs) {
    batch_options o;
    o.base_offset = 42;
    o.partition_leader_epoch = 7;
    o.compression = c;
    o.producer_id = 9001;
    o.producer_epoch = 3;
    o.base_sequence = 100;
    auto bytes = sample_batch(o);
    batch_view v(bytes);
    SCOPED_TRACE(codec_name(c));
    EXPECT_NO_THROW(validate(v, k_limit));
    EXPECT_TRUE(v.crc_matches());
    EXPECT_EQ(v.base_offset(), 42);
    EXPECT_EQ(v.batch_length(), static_cast<int32_t>(bytes.size() - 12));
    EXPECT_EQ(v.partition_leader_epoch(), 7);
    EXPECT_EQ(v.magic(), 2);
    EXPECT_EQ(v.compression(), c);
    EXPECT_EQ(v.attributes(), static_cast<int16_t>(c));
    EXPECT_EQ(v.ts_type(), timestamp_type::create_time);
    EXPECT_FALSE(v.is_transactional());
    EXPECT_FALSE(v.is_control());
    EXPECT_EQ(v.last_offset_delta(), 2);
    EXPECT_EQ(v.last_offset(), 44);
    EXPECT_EQ(v.base_timestamp(), 1000);
    EXPECT_EQ(v.max_timestamp(), 1005);
    EXPECT_EQ(v.producer_id(), 9001);
    EXPECT_EQ(v.producer_epoch(), 3);
    EXPECT_EQ(v.base_sequence(), 100);
    EXPECT_EQ(v.last_sequence(), 102);
    EXPECT_EQ(v.record_count(), 3);

    auto records = decode_records(v, k_limit);
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(str(records[0].key), "key-0");
    EXPECT_EQ(str(records[0].value), "value-0");
    EXPECT_EQ(records[0].headers, some_headers());
    EXPECT_FALSE(records[1].key.has_value());
    EXPECT_EQ(str(records[1].value), std::string(300, 'x'));
    EXPECT_TRUE(records[1].headers.empty());
    EXPECT_EQ(str(records[2].key), "key-2");
    EXPECT_FALSE(records[2].value.has_value());
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(records[i].offset_delta, i);
      EXPECT_EQ(v.offset_of(records[i]), 42 + i);
    }
    EXPECT_EQ(v.timestamp_of(records[0]), 1000);
    EXPECT_EQ(v.timestamp_of(records[1]), 1005);
    EXPECT_EQ(v.timestamp_of(records[2]), 990);
    EXPECT_EQ(records[2].timestamp_delta, -10);

    // Encoding the decoded header and records again gives the same batch (and for a codec,
    // the same records after decompression).
    auto again = encode_batch(v.header(), records);
    if (c == codec::none) {
      EXPECT_EQ(again, bytes);
    } else {
      batch_view w(again);
      EXPECT_EQ(w.header(), v.header());
      EXPECT_EQ(decode_records(w, k_limit), records);
    }
  }
}

// A hand-written batch of one record, checked field by field against the layout.
TEST(records_batch, byte_layout) {
  batch_options o;
  o.base_offset = 0x0102030405060708;
  o.partition_leader_epoch = 0x0a0b0c0d;
  batch_builder b(o);
  b.append(0x1122334455, span_of("k"), span_of("vv"));
  auto bytes = b.build();
  // Record: length 9 (zig-zag 18), attributes 0, timestamp delta 0, offset delta 0, key length 1
  // (zig-zag 2), "k", value length 2 (zig-zag 4), "vv", header count 0.
  std::vector<uint8_t> record = {0x12, 0x00, 0x00, 0x00, 0x02, 'k', 0x04, 'v', 'v', 0x00};
  ASSERT_EQ(bytes.size(), 61 + record.size());
  const std::vector<uint8_t> head = {
      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // base offset
      0x00, 0x00, 0x00, 0x3b,                          // batch length 71 - 12 = 59
      0x0a, 0x0b, 0x0c, 0x0d,                          // partition leader epoch
      0x02,                                            // magic
  };
  EXPECT_TRUE(std::equal(head.begin(), head.end(), bytes.begin()));
  const std::vector<uint8_t> after_crc = {
      0x00, 0x00,                                      // attributes
      0x00, 0x00, 0x00, 0x00,                          // last offset delta
      0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // base timestamp
      0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,  // max timestamp
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // producer id
      0xff, 0xff,                                      // producer epoch
      0xff, 0xff, 0xff, 0xff,                          // base sequence
      0x00, 0x00, 0x00, 0x01,                          // records count
  };
  EXPECT_TRUE(std::equal(after_crc.begin(), after_crc.end(), bytes.begin() + 21));
  EXPECT_TRUE(std::equal(record.begin(), record.end(), bytes.begin() + 61));
  uint32_t crc = crc32c(std::span(bytes).subspan(21));
  EXPECT_EQ(load_be<uint32_t>(bytes.data() + 17), crc);
}

TEST(records_batch, records_share_the_buffer_they_came_from) {
  auto bytes = std::make_shared<byte_buffer>(sample_batch({}));
  batch_view v(*bytes, bytes);
  auto records = decode_records(v, k_limit);
  const uint8_t* begin = bytes->data();
  const uint8_t* end = begin + bytes->size();
  ASSERT_TRUE(records[0].key.has_value());
  EXPECT_GE(records[0].key->data(), begin);
  EXPECT_LT(records[0].key->data(), end);
  EXPECT_GE(records[0].headers[0].value->data(), begin);
  // Without an owner the records own copies.
  batch_view unowned(*bytes);
  auto copies = decode_records(unowned, k_limit);
  EXPECT_TRUE(copies[0].key->data() < begin || copies[0].key->data() >= end);
  EXPECT_EQ(copies, records);
}

TEST(records_batch, transactional_idempotent_and_timestamp_attributes) {
  batch_options o;
  o.transactional = true;
  o.producer_id = 5;
  o.producer_epoch = 1;
  o.base_sequence = INT32_MAX - 1;
  o.ts_type = timestamp_type::log_append_time;
  o.log_append_time = 777777;
  auto bytes = sample_batch(o);
  batch_view v(bytes);
  EXPECT_TRUE(v.is_transactional());
  EXPECT_FALSE(v.is_control());
  EXPECT_EQ(v.attributes(), k_attr_transactional | k_attr_log_append_time);
  EXPECT_EQ(v.ts_type(), timestamp_type::log_append_time);
  EXPECT_EQ(v.max_timestamp(), 777777);
  // Sequences wrap: INT32_MAX - 1, INT32_MAX, 0.
  EXPECT_EQ(v.last_sequence(), 0);
  auto records = decode_records(v, k_limit);
  for (const auto& r : records) EXPECT_EQ(v.timestamp_of(r), 777777);
  EXPECT_NO_THROW(validate(v, k_limit));
}

TEST(records_batch, delete_horizon) {
  batch_options o;
  o.delete_horizon = 50000;
  auto bytes = sample_batch(o);
  batch_view v(bytes);
  EXPECT_TRUE(v.has_delete_horizon());
  EXPECT_EQ(v.delete_horizon(), 50000);
  EXPECT_EQ(v.base_timestamp(), 50000);
  auto records = decode_records(v, k_limit);
  EXPECT_EQ(v.timestamp_of(records[0]), 1000);
  EXPECT_EQ(v.timestamp_of(records[2]), 990);
  auto plain_bytes = sample_batch({});
  batch_view plain(plain_bytes);
  EXPECT_EQ(plain.delete_horizon(), std::nullopt);
}

TEST(records_batch, end_transaction_markers) {
  for (bool commit : {true, false}) {
    batch_options o;
    o.base_offset = 10;
    o.producer_id = 77;
    o.producer_epoch = 4;
    o.base_sequence = 12;         // cleared: markers carry no sequence
    o.compression = codec::gzip;  // ignored: markers are uncompressed
    auto bytes = build_end_txn_batch(o, commit, 23, 123456);
    batch_view v(bytes);
    EXPECT_NO_THROW(validate(v, k_limit));
    EXPECT_TRUE(v.is_control());
    EXPECT_TRUE(v.is_transactional());
    EXPECT_EQ(v.compression(), codec::none);
    EXPECT_EQ(v.producer_id(), 77);
    EXPECT_EQ(v.producer_epoch(), 4);
    EXPECT_EQ(v.base_sequence(), k_no_sequence);
    EXPECT_EQ(v.record_count(), 1);
    auto records = decode_records(v, k_limit);
    ASSERT_EQ(records.size(), 1u);
    auto key = parse_control_key(records[0].key->span());
    EXPECT_EQ(key.version, 0);
    EXPECT_EQ(key.type, static_cast<int16_t>(commit ? control_type::commit : control_type::abort));
    auto marker = parse_end_txn_marker(records[0].value->span());
    EXPECT_EQ(marker, (end_txn_marker{0, 23}));
    EXPECT_EQ(v.timestamp_of(records[0]), 123456);
  }
  std::vector<uint8_t> key = {0x00, 0x00, 0x00, 0x01};
  EXPECT_EQ(encode_control_key(control_type::commit), key);
  std::vector<uint8_t> newer_key = {0x00, 0x05, 0x00, 0x02, 0xaa};
  EXPECT_EQ(parse_control_key(newer_key), (control_key{5, 2}));
  EXPECT_THROW(parse_control_key(std::vector<uint8_t>{0, 0, 1}), decode_error);
  EXPECT_THROW(parse_control_key(std::vector<uint8_t>{0xff, 0xff, 0, 1}), decode_error);
  EXPECT_THROW(parse_end_txn_marker(std::vector<uint8_t>{0, 0, 0, 0, 1}), decode_error);
}

// The broker assigns offsets and the leader epoch in place; the CRC stays valid because it does
// not cover them. Setting the max timestamp rewrites the CRC.
TEST(records_batch, patching_offsets_epoch_and_timestamp) {
  for (codec c : {codec::none, codec::zstd}) {
    batch_options o;
    o.compression = c;
    auto bytes = sample_batch(o);
    uint32_t crc_before = batch_view(bytes).crc();
    set_base_offset(bytes, 1000000);
    set_partition_leader_epoch(bytes, 12);
    batch_view v(bytes);
    EXPECT_EQ(v.base_offset(), 1000000);
    EXPECT_EQ(v.last_offset(), 1000002);
    EXPECT_EQ(v.partition_leader_epoch(), 12);
    EXPECT_EQ(v.crc(), crc_before);
    EXPECT_NO_THROW(validate(v, k_limit));

    set_max_timestamp(bytes, timestamp_type::log_append_time, 99999);
    batch_view w(bytes);
    EXPECT_NE(w.crc(), crc_before);
    EXPECT_NO_THROW(validate(w, k_limit));
    EXPECT_EQ(w.ts_type(), timestamp_type::log_append_time);
    EXPECT_EQ(w.compression(), c);
    EXPECT_EQ(w.timestamp_of(decode_records(w, k_limit)[0]), 99999);
  }
  std::vector<uint8_t> tiny(20, 0);
  EXPECT_THROW(set_base_offset(tiny, 1), decode_error);
  std::vector<uint8_t> legacy(61, 0);
  legacy[16] = 1;
  EXPECT_THROW(set_partition_leader_epoch(legacy, 1), decode_error);
}

TEST(records_batch, empty_batch) {
  batch_builder b({});
  auto bytes = b.build();
  EXPECT_EQ(bytes.size(), 61u);
  batch_view v(bytes);
  EXPECT_EQ(v.record_count(), 0);
  EXPECT_EQ(v.base_timestamp(), k_no_timestamp);
  EXPECT_NO_THROW(validate(v, k_limit));
  EXPECT_TRUE(decode_records(v, k_limit).empty());
  // Compaction keeps an empty header with the original codec bits and no compressed stream.
  store_be<int16_t>(bytes.data() + 21, static_cast<int16_t>(codec::lz4));
  fix_crc(bytes);
  EXPECT_NO_THROW(validate(batch_view(bytes), k_limit));
}

TEST(records_batch, builder_is_reusable) {
  batch_options o;
  o.compression = codec::snappy;
  batch_builder b(o);
  b.append(1, span_of("a"), span_of("b"));
  auto first = b.build();
  EXPECT_EQ(b.record_count(), 0);
  b.append(2, span_of("c"), span_of("d"));
  b.append(3, span_of("e"), span_of("f"));
  EXPECT_GT(b.uncompressed_size(), 61u);
  auto second = b.build();
  EXPECT_EQ(batch_view(first).record_count(), 1);
  auto records = decode_records(batch_view(second), k_limit);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(str(records[0].key), "c");
  EXPECT_EQ(records[1].offset_delta, 1);
}

// ---- bad input ------------------------------------------------------------------------------

TEST(records_batch, view_rejects_wrong_sizes_and_magic) {
  auto bytes = sample_batch({});
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(batch_view(std::span(bytes).first(n)), decode_error) << n;
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_THROW(batch_view{longer}, decode_error);
  auto magic1 = bytes;
  magic1[16] = 1;
  EXPECT_THROW(batch_view{magic1}, decode_error);
  auto negative = bytes;
  store_be<int32_t>(negative.data() + 8, -5);
  EXPECT_THROW(batch_view{negative}, decode_error);
}

TEST(records_batch, crc_mismatch) {
  auto bytes = sample_batch({});
  bytes[70] ^= 0x01;
  batch_view v(bytes);
  EXPECT_FALSE(v.crc_matches());
  EXPECT_THROW(validate(v, k_limit), crc_mismatch_error);
  auto flipped_crc = sample_batch({});
  flipped_crc[17] ^= 0x80;
  EXPECT_THROW(validate(batch_view(flipped_crc), k_limit), crc_mismatch_error);
}

TEST(records_batch, record_count_lies) {
  for (codec c : {codec::none, codec::gzip}) {
    batch_options o;
    o.compression = c;
    for (int32_t count : {0, 2, 4, -1, INT32_MAX}) {
      auto bytes = sample_batch(o);
      set_count(bytes, count);
      batch_view v(bytes);
      EXPECT_THROW(validate(v, k_limit), decode_error) << count;
      EXPECT_THROW(decode_records(v, k_limit), decode_error) << count;
    }
  }
}

TEST(records_batch, unknown_codec_bits) {
  for (int16_t id : {5, 6, 7}) {
    auto bytes = sample_batch({});
    store_be<int16_t>(bytes.data() + 21, id);
    fix_crc(bytes);
    batch_view v(bytes);
    EXPECT_THROW(v.compression(), decode_error);
    EXPECT_THROW(validate(v, k_limit), decode_error);
    EXPECT_THROW(decode_records(v, k_limit), decode_error);
  }
}

TEST(records_batch, compressed_records_beyond_the_limit) {
  batch_options o;
  o.compression = codec::zstd;
  batch_builder b(o);
  std::vector<uint8_t> big(1 << 20, 'z');
  for (int i = 0; i < 8; ++i) b.append(i, std::nullopt, big);
  auto bytes = b.build();
  EXPECT_LT(bytes.size(), 4096u);
  batch_view v(bytes);
  EXPECT_THROW(validate(v, 1 << 20), decompression_limit_error);
  EXPECT_THROW(decode_records(v, 1 << 20), decompression_limit_error);
  EXPECT_EQ(decode_records(v, 9 << 20).size(), 8u);
}

// Hand-made records with broken fields, wrapped in an otherwise valid batch with a correct CRC.
TEST(records_batch, malformed_records) {
  auto make = [](std::vector<uint8_t> records_data, int32_t count) {
    batch_builder b({});
    auto bytes = b.build();
    bytes.insert(bytes.end(), records_data.begin(), records_data.end());
    store_be<int32_t>(bytes.data() + 8, static_cast<int32_t>(bytes.size() - 12));
    set_count(bytes, count);
    return bytes;
  };
  // A good record for reference: length 6, attrs, ts 0, offset 0, key null, value null, 0 hdrs.
  std::vector<uint8_t> good = {0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00};
  {
    auto bytes = make(good, 1);
    EXPECT_NO_THROW(validate(batch_view(bytes), k_limit));
    auto r = decode_records(batch_view(bytes), k_limit);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_FALSE(r[0].key.has_value());
  }
  const std::vector<std::pair<const char*, std::vector<uint8_t>>> cases = {
      {"negative record length", {0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00}},
      {"record length past the end", {0x7e, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00}},
      {"key length -2", {0x0c, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00}},
      {"key longer than the record", {0x0c, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00}},
      {"negative header count", {0x0c, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01}},
      {"absurd header count", {0x14, 0x00, 0x00, 0x00, 0x01, 0x01, 0xfe, 0xff, 0xff, 0xff, 0x0f}},
      {"null header key", {0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01}},
      {"trailing bytes inside the record", {0x0e, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x55}},
      {"record ends before its fields", {0x08, 0x00, 0x00, 0x00, 0x01}},
      {"overlong varint", {0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00}},
  };
  for (const auto& [what, data] : cases) {
    auto bytes = make(data, 1);
    batch_view v(bytes);
    EXPECT_THROW(validate(v, k_limit), decode_error) << what;
    EXPECT_THROW(decode_records(v, k_limit), decode_error) << what;
  }
  // Bytes after the last declared record.
  auto trailing = good;
  trailing.push_back(0x00);
  auto trailing_batch = make(trailing, 1);
  EXPECT_THROW(validate(batch_view(trailing_batch), k_limit), decode_error);
}

// Every truncation and every single-byte corruption of a valid batch is rejected cleanly (the
// CRC catches corruption; decode without the CRC check must still not misbehave).
TEST(records_batch, fuzzed_bytes_never_crash) {
  for (codec c : k_codecs) {
    batch_options o;
    o.compression = c;
    auto bytes = sample_batch(o);
    std::mt19937 rng(static_cast<uint32_t>(c) + 1);
    for (size_t i = 21; i < bytes.size(); ++i) {
      auto bad = bytes;
      bad[i] ^= static_cast<uint8_t>(1 + rng() % 255);
      batch_view v(bad);
      EXPECT_THROW(validate(v, k_limit), crc_mismatch_error);
      fix_crc(bad);
      try {
        validate(batch_view(bad), k_limit);
        decode_records(batch_view(bad), k_limit);
      } catch (const decode_error&) {
      }
    }
  }
}

TEST(records_batch, encode_rejects_unknown_codec) {
  batch_header h;
  h.attributes = 6;
  EXPECT_THROW(encode_batch(h, {}), brook::wire::encode_error);
  batch_options o;
  o.compression = static_cast<codec>(7);
  EXPECT_THROW(batch_builder{o}, brook::wire::encode_error);
}
