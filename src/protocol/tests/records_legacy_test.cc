#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "protocol/records/byte_order.h"
#include "protocol/records/checksum.h"
#include "protocol/records/compression.h"
#include "protocol/records/legacy.h"
#include "protocol/records/record_set.h"

using namespace brook::protocol::records;
using brook::wire::byte_buffer;
using brook::wire::decode_error;
using brook::wire::encode_error;
using brook::wire::shared_bytes;

namespace {

constexpr size_t k_limit = 16 << 20;

std::optional<shared_bytes> sb(std::string_view s) {
  return shared_bytes(std::vector<uint8_t>(s.begin(), s.end()));
}

std::string str(const std::optional<shared_bytes>& b) {
  return b ? std::string(reinterpret_cast<const char*>(b->data()), b->size()) : "<null>";
}

std::vector<legacy_message> sample_messages() {
  std::vector<legacy_message> v(5);
  v[0].key = sb("k0");
  v[0].value = sb("v0");
  v[0].timestamp = 5000;
  v[1].value = sb("no key");
  v[1].timestamp = 5009;
  v[2].key = sb("no value");
  v[2].timestamp = 5001;
  v[3].key = sb("");
  v[3].value = sb("");
  v[3].timestamp = 4000;
  v[4].key = sb("k4");
  v[4].value = sb(std::string(2000, 'q'));
  v[4].timestamp = 5005;
  return v;
}

// One message built by hand, with a correct CRC, around arbitrary key and value bytes.
byte_buffer make_message(int64_t offset, int8_t magic, int8_t attributes, int64_t timestamp,
                         std::optional<std::span<const uint8_t>> key,
                         std::optional<std::span<const uint8_t>> value) {
  byte_buffer b(12);
  store_be<int64_t>(b.data(), offset);
  auto put32 = [&](uint32_t x) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(x >> s));
  };
  put32(0);  // crc, filled below
  b.push_back(static_cast<uint8_t>(magic));
  b.push_back(static_cast<uint8_t>(attributes));
  if (magic == 1) {
    for (int s = 56; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(timestamp >> s));
  }
  for (auto f : {key, value}) {
    put32(f ? static_cast<uint32_t>(f->size()) : 0xffffffffu);
    if (f) b.insert(b.end(), f->begin(), f->end());
  }
  store_be<int32_t>(b.data() + 8, static_cast<int32_t>(b.size() - 12));
  store_be<uint32_t>(b.data() + 12, crc32(std::span(b).subspan(16)));
  return b;
}

// A wrapper whose value is `inner` compressed with `c`.
byte_buffer make_wrapper(int64_t offset, int8_t magic, codec c, std::span<const uint8_t> inner) {
  compress_options o;
  o.legacy_lz4_checksum = magic == 0;
  auto packed = compress(c, inner, o);
  return make_message(offset, magic, static_cast<int8_t>(c), 1, std::nullopt, packed);
}

byte_buffer plain_set(int8_t magic, int64_t base_offset, size_t n = 5) {
  legacy_encode_options o;
  o.magic = magic;
  o.base_offset = base_offset;
  auto messages = sample_messages();
  messages.resize(n);
  return encode_message_set(messages, o);
}

}  // namespace

TEST(records_legacy, uncompressed_round_trip_v0_and_v1) {
  for (int8_t magic : {0, 1}) {
    SCOPED_TRACE(static_cast<int>(magic));
    auto bytes = plain_set(magic, 100);
    auto decoded = decode_message_set(bytes, k_limit);
    auto expected = sample_messages();
    ASSERT_EQ(decoded.size(), expected.size());
    for (size_t i = 0; i < decoded.size(); ++i) {
      EXPECT_EQ(decoded[i].offset, 100 + static_cast<int64_t>(i));
      EXPECT_EQ(decoded[i].magic, magic);
      EXPECT_EQ(decoded[i].attributes, 0);
      EXPECT_EQ(str(decoded[i].key), str(expected[i].key));
      EXPECT_EQ(str(decoded[i].value), str(expected[i].value));
      if (magic == 0) {
        EXPECT_EQ(decoded[i].ts_type, timestamp_type::none);
        EXPECT_EQ(decoded[i].timestamp, k_no_timestamp);
      } else {
        EXPECT_EQ(decoded[i].ts_type, timestamp_type::create_time);
        EXPECT_EQ(decoded[i].timestamp, expected[i].timestamp);
      }
    }
  }
}

TEST(records_legacy, byte_layout_of_one_v1_message) {
  std::vector<legacy_message> one(1);
  one[0].key = sb("k");
  one[0].value = sb("val");
  one[0].timestamp = 0x0102030405;
  legacy_encode_options o;
  o.base_offset = 9;
  auto bytes = encode_message_set(one, o);
  const std::vector<uint8_t> expected_tail = {
      0x01,                                            // magic
      0x00,                                            // attributes
      0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,  // timestamp
      0x00, 0x00, 0x00, 0x01, 'k',                     // key
      0x00, 0x00, 0x00, 0x03, 'v',  'a',  'l',         // value
  };
  ASSERT_EQ(bytes.size(), 16 + expected_tail.size());
  EXPECT_EQ(load_be<int64_t>(bytes.data()), 9);
  EXPECT_EQ(load_be<int32_t>(bytes.data() + 8), static_cast<int32_t>(4 + expected_tail.size()));
  EXPECT_TRUE(std::equal(expected_tail.begin(), expected_tail.end(), bytes.begin() + 16));
  EXPECT_EQ(load_be<uint32_t>(bytes.data() + 12), crc32(std::span(bytes).subspan(16)));
  legacy_message_view v(bytes);
  EXPECT_EQ(v.offset(), 9);
  EXPECT_EQ(v.timestamp(), 0x0102030405);
  EXPECT_TRUE(v.crc_matches());
}

TEST(records_legacy, compressed_wrappers_round_trip) {
  for (int8_t magic : {0, 1}) {
    for (codec c : {codec::gzip, codec::snappy, codec::lz4}) {
      SCOPED_TRACE(std::string(codec_name(c)) + " magic " + std::to_string(magic));
      legacy_encode_options o;
      o.magic = magic;
      o.compression = c;
      o.base_offset = 1000;
      auto bytes = encode_message_set(sample_messages(), o);

      // One entry: the wrapper, at the offset of the last inner message.
      record_set_reader reader(bytes);
      auto entry = reader.next();
      ASSERT_TRUE(entry.has_value());
      EXPECT_FALSE(reader.next().has_value());
      EXPECT_EQ(reader.partial_size(), 0u);
      legacy_message_view wrapper(entry->bytes);
      EXPECT_EQ(wrapper.offset(), 1004);
      EXPECT_EQ(wrapper.compression(), c);
      EXPECT_FALSE(wrapper.key().has_value());
      if (magic == 1) {
        EXPECT_EQ(wrapper.timestamp(), 5009);  // max of the inner timestamps
      }

      // Inner offsets: relative in magic 1, absolute in magic 0.
      decompress_options dopts;
      dopts.legacy_lz4_checksum = magic == 0;
      auto inner = decompress(c, *wrapper.value(), k_limit, dopts);
      record_set_reader inner_reader(inner);
      int64_t expected_inner = magic == 1 ? 0 : 1000;
      while (auto e = inner_reader.next()) EXPECT_EQ(e->offset, expected_inner++);
      if (c == codec::lz4) {
        auto v = *wrapper.value();
        uint8_t hc =
            magic == 0 ? (xxh32(v.first(6)) >> 8) & 0xff : (xxh32(v.subspan(4, 2)) >> 8) & 0xff;
        EXPECT_EQ(v[6], hc);
      }

      auto decoded = decode_message_set(bytes, k_limit);
      auto expected = sample_messages();
      ASSERT_EQ(decoded.size(), expected.size());
      for (size_t i = 0; i < decoded.size(); ++i) {
        EXPECT_EQ(decoded[i].offset, 1000 + static_cast<int64_t>(i));
        EXPECT_EQ(decoded[i].magic, magic);
        EXPECT_EQ(str(decoded[i].key), str(expected[i].key));
        EXPECT_EQ(str(decoded[i].value), str(expected[i].value));
        if (magic == 1) {
          EXPECT_EQ(decoded[i].timestamp, expected[i].timestamp);
        }
      }
    }
  }
}

TEST(records_legacy, log_append_time) {
  legacy_encode_options o;
  o.ts_type = timestamp_type::log_append_time;
  o.log_append_time = 424242;
  auto plain = decode_message_set(encode_message_set(sample_messages(), o), k_limit);
  for (const auto& m : plain) {
    EXPECT_EQ(m.ts_type, timestamp_type::log_append_time);
    EXPECT_EQ(m.timestamp, 424242);
  }
  o.compression = codec::gzip;
  auto bytes = encode_message_set(sample_messages(), o);
  legacy_message_view wrapper(bytes);
  EXPECT_EQ(wrapper.ts_type(), timestamp_type::log_append_time);
  EXPECT_EQ(wrapper.timestamp(), 424242);
  for (const auto& m : decode_legacy_entry(wrapper, k_limit)) {
    EXPECT_EQ(m.ts_type, timestamp_type::log_append_time);
    EXPECT_EQ(m.timestamp, 424242);
  }
}

// The broker assigns offsets to a magic-1 wrapper by patching the wrapper alone.
TEST(records_legacy, patching_a_v1_wrapper_offset) {
  legacy_encode_options o;
  o.compression = codec::snappy;
  auto bytes = encode_message_set(sample_messages(), o);
  set_legacy_offset(bytes, 77);
  auto decoded = decode_message_set(bytes, k_limit);
  ASSERT_EQ(decoded.size(), 5u);
  EXPECT_EQ(decoded.front().offset, 73);
  EXPECT_EQ(decoded.back().offset, 77);

  // Wrapper offset 0 (some librdkafka versions): inner offsets are taken as they are.
  set_legacy_offset(bytes, 0);
  decoded = decode_message_set(bytes, k_limit);
  EXPECT_EQ(decoded.front().offset, 0);
  EXPECT_EQ(decoded.back().offset, 4);

  // A wrapper offset below the last relative inner offset is invalid.
  set_legacy_offset(bytes, 3);
  EXPECT_THROW(decode_message_set(bytes, k_limit), decode_error);
  EXPECT_THROW(set_legacy_offset(std::span(bytes).first(5), 1), decode_error);
}

TEST(records_legacy, mixed_entries_in_one_set) {
  auto bytes = plain_set(0, 0, 2);
  auto v1 = plain_set(1, 2, 3);
  bytes.insert(bytes.end(), v1.begin(), v1.end());
  legacy_encode_options o;
  o.compression = codec::lz4;
  o.base_offset = 5;
  auto wrapped = encode_message_set(sample_messages(), o);
  bytes.insert(bytes.end(), wrapped.begin(), wrapped.end());
  auto decoded = decode_message_set(bytes, k_limit);
  ASSERT_EQ(decoded.size(), 10u);
  for (size_t i = 0; i < decoded.size(); ++i) EXPECT_EQ(decoded[i].offset, static_cast<int64_t>(i));
  EXPECT_EQ(decoded[0].magic, 0);
  EXPECT_EQ(decoded[9].magic, 1);
}

TEST(records_legacy, values_share_the_buffer) {
  legacy_encode_options o;
  o.compression = codec::none;
  auto bytes = std::make_shared<byte_buffer>(encode_message_set(sample_messages(), o));
  auto decoded = decode_message_set(*bytes, k_limit, bytes);
  EXPECT_GE(decoded[0].value->data(), bytes->data());
  EXPECT_LT(decoded[0].value->data(), bytes->data() + bytes->size());
}

// ---- bad input ------------------------------------------------------------------------------

TEST(records_legacy, encode_errors) {
  legacy_encode_options o;
  o.magic = 2;
  EXPECT_THROW(encode_message_set(sample_messages(), o), encode_error);
  o.magic = 1;
  o.compression = codec::zstd;
  EXPECT_THROW(encode_message_set(sample_messages(), o), encode_error);
  o.compression = codec::gzip;
  EXPECT_TRUE(encode_message_set({}, o).empty());
}

TEST(records_legacy, crc_mismatch) {
  for (codec c : {codec::none, codec::gzip}) {
    legacy_encode_options o;
    o.compression = c;
    auto bytes = encode_message_set(sample_messages(), o);
    bytes[bytes.size() - 3] ^= 0x20;  // inside the last value, or the compressed data
    EXPECT_THROW(decode_message_set(bytes, k_limit), crc_mismatch_error) << codec_name(c);
  }
  // A corrupt inner message is caught too.
  auto inner = plain_set(1, 0, 2);
  inner[30] ^= 1;
  auto wrapper = make_wrapper(1, 1, codec::gzip, inner);
  EXPECT_THROW(decode_message_set(wrapper, k_limit), crc_mismatch_error);
}

TEST(records_legacy, bad_wrappers) {
  auto inner = plain_set(1, 0, 3);
  EXPECT_EQ(decode_message_set(make_wrapper(2, 1, codec::gzip, inner), k_limit).size(), 3u);

  // zstd did not exist before magic 2.
  auto zstd_wrapper = make_message(2, 1, static_cast<int8_t>(codec::zstd), 1, std::nullopt,
                                   compress(codec::zstd, inner));
  EXPECT_THROW(decode_message_set(zstd_wrapper, k_limit), decode_error);
  // A compressed message with a null value.
  auto null_value =
      make_message(2, 1, static_cast<int8_t>(codec::gzip), 1, std::nullopt, std::nullopt);
  EXPECT_THROW(decode_message_set(null_value, k_limit), decode_error);
  // Inner messages must not be compressed themselves.
  auto nested = make_wrapper(0, 1, codec::gzip, make_wrapper(2, 1, codec::gzip, inner));
  EXPECT_THROW(decode_message_set(nested, k_limit), decode_error);
  // Inner magic must be the wrapper's.
  EXPECT_THROW(decode_message_set(make_wrapper(2, 0, codec::gzip, inner), k_limit), decode_error);
  // No inner messages at all.
  EXPECT_THROW(decode_message_set(make_wrapper(0, 1, codec::gzip, {}), k_limit), decode_error);
  // A partial inner message.
  auto partial = inner;
  partial.resize(partial.size() - 3);
  EXPECT_THROW(decode_message_set(make_wrapper(2, 1, codec::gzip, partial), k_limit), decode_error);
  // An unknown codec id.
  auto bad_codec = make_message(0, 1, 6, 1, std::nullopt, inner);
  EXPECT_THROW(decode_message_set(bad_codec, k_limit), decode_error);
  // Inflating past the limit.
  std::vector<uint8_t> big_value(1 << 20, 'b');
  auto big = make_message(0, 1, 0, 1, std::nullopt, big_value);
  EXPECT_THROW(decode_message_set(make_wrapper(0, 1, codec::gzip, big), 1000),
               decompression_limit_error);
}

TEST(records_legacy, malformed_messages) {
  auto good = plain_set(1, 0, 1);
  EXPECT_NO_THROW(legacy_message_view{good});
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_THROW(legacy_message_view(std::span(good).first(n)), decode_error) << n;

  auto magic2 = good;
  magic2[16] = 2;
  EXPECT_THROW(legacy_message_view{magic2}, decode_error);

  // Key length larger than the message, key length -2, bytes after the value.
  auto long_key = good;
  store_be<int32_t>(long_key.data() + 26, 1000);
  EXPECT_THROW(legacy_message_view{long_key}, decode_error);
  auto negative_key = good;
  store_be<int32_t>(negative_key.data() + 26, -2);
  EXPECT_THROW(legacy_message_view{negative_key}, decode_error);
  auto trailing = good;
  trailing.push_back(0);
  store_be<int32_t>(trailing.data() + 8, static_cast<int32_t>(trailing.size() - 12));
  EXPECT_THROW(legacy_message_view{trailing}, decode_error);

  // A set that ends in a partial entry, or holds a record batch, is not a legacy message set.
  auto two = plain_set(1, 0, 2);
  EXPECT_THROW(decode_message_set(std::span(two).first(two.size() - 1), k_limit), decode_error);
  auto v2 = good;
  v2.resize(12 + 49, 0);
  store_be<int32_t>(v2.data() + 8, 49);
  v2[16] = 2;
  EXPECT_THROW(decode_message_set(v2, k_limit), decode_error);
}
