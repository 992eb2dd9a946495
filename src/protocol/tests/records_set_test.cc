#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string_view>
#include <vector>

#include "protocol/generated/fetch_response.h"
#include "protocol/generated/messages.h"
#include "protocol/generated/produce_request.h"
#include "protocol/generated/response_header.h"
#include "protocol/records/byte_order.h"
#include "protocol/records/legacy.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"
#include "protocol/request.h"

using namespace brook;
using namespace brook::protocol::records;
using brook::wire::byte_buffer;
using brook::wire::decode_error;
namespace fs = std::filesystem;

namespace {

constexpr size_t k_limit = 64 << 20;

std::span<const uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

byte_buffer batch(int64_t base_offset, codec c, int records) {
  batch_options o;
  o.base_offset = base_offset;
  o.compression = c;
  batch_builder b(o);
  for (int i = 0; i < records; ++i) b.append(i, span_of("key"), span_of("value"));
  return b.build();
}

void append(byte_buffer& to, const byte_buffer& what) {
  to.insert(to.end(), what.begin(), what.end());
}

}  // namespace

TEST(records_set, walks_batches_and_stops_before_a_partial_one) {
  byte_buffer set;
  append(set, batch(0, codec::none, 3));
  append(set, batch(3, codec::zstd, 2));
  legacy_encode_options lo;
  lo.base_offset = 5;
  lo.compression = codec::gzip;
  std::vector<legacy_message> legacy(2);
  append(set, encode_message_set(legacy, lo));
  append(set, batch(7, codec::lz4, 4));
  size_t complete = set.size();
  auto next = batch(11, codec::none, 5);
  // Cut the next batch at every length: before its length field, before its magic, and inside.
  for (size_t cut :
       {size_t{1}, size_t{11}, size_t{12}, size_t{16}, size_t{17}, size_t{60}, next.size() - 1}) {
    byte_buffer s = set;
    s.insert(s.end(), next.begin(), next.begin() + static_cast<std::ptrdiff_t>(cut));
    record_set_reader reader(s);
    std::vector<std::pair<int8_t, int64_t>> seen;
    while (auto e = reader.next()) seen.emplace_back(e->magic, e->offset);
    const std::vector<std::pair<int8_t, int64_t>> expected = {{2, 0}, {2, 3}, {1, 6}, {2, 7}};
    EXPECT_EQ(seen, expected) << cut;
    EXPECT_EQ(reader.position(), complete);
    EXPECT_EQ(reader.partial_size(), cut);
  }
  record_set_reader whole(set);
  int records = 0;
  while (auto e = whole.next()) {
    if (e->magic == 2) {
      validate(e->batch(), k_limit);
      records += static_cast<int>(decode_records(e->batch(), k_limit).size());
    } else {
      EXPECT_THROW(e->batch(), decode_error);
      records += static_cast<int>(
          decode_legacy_entry(legacy_message_view(e->bytes, e->owner), k_limit).size());
    }
  }
  EXPECT_EQ(records, 11);
  EXPECT_EQ(whole.partial_size(), 0u);
}

TEST(records_set, empty_set) {
  record_set_reader reader(std::span<const uint8_t>{});
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_EQ(reader.partial_size(), 0u);
}

TEST(records_set, bad_lengths_and_magic) {
  auto one = batch(0, codec::none, 1);
  auto with_length = [&](int32_t len) {
    auto b = one;
    store_be<int32_t>(b.data() + 8, len);
    return b;
  };
  for (int32_t len : {-1, 0, 13, 48, INT32_MIN}) {
    auto b = with_length(len);
    record_set_reader reader(b);
    EXPECT_THROW(reader.next(), decode_error) << len;
  }
  // A huge length on a short buffer is a partial entry (Fetch may cut anywhere), not an error.
  {
    auto b = with_length(INT32_MAX);
    record_set_reader reader(b);
    EXPECT_FALSE(reader.next().has_value());
    EXPECT_EQ(reader.partial_size(), b.size());
  }
  for (uint8_t magic : {3, 0x7f, 0xff}) {
    auto b = one;
    b[16] = magic;
    record_set_reader reader(b);
    EXPECT_THROW(reader.next(), decode_error) << int(magic);
  }
  // A magic-1 length below 22 bytes.
  auto b = with_length(15);
  b[16] = 1;
  record_set_reader reader(b);
  EXPECT_THROW(reader.next(), decode_error);
}

TEST(records_set, entries_share_the_owner) {
  auto bytes = std::make_shared<byte_buffer>(batch(0, codec::none, 2));
  record_set_reader reader(*bytes, bytes);
  auto e = reader.next();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->owner, bytes);
  auto records = decode_records(e->batch(), k_limit);
  EXPECT_GE(records[0].value->data(), bytes->data());
  EXPECT_LT(records[0].value->data(), bytes->data() + bytes->size());
}

// Record sets written by real clients (Produce requests) and by Apache Kafka (Fetch responses),
// recorded in tests/data/captures: every batch validates, decodes, and re-encodes byte for byte
// when it is uncompressed.
TEST(records_set, real_client_batches) {
  const fs::path dir = fs::path(BROOK_TEST_DATA_DIR) / "captures";
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " is missing";
  auto read_file = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return byte_buffer(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  std::map<std::string, int> batches_by_codec;
  int records = 0;
  auto check_set = [&](const wire::shared_bytes& set, const std::string& what) {
    record_set_reader reader(set.span());
    while (auto e = reader.next()) {
      if (e->magic != 2) {
        EXPECT_NO_THROW(decode_legacy_entry(legacy_message_view(e->bytes), k_limit)) << what;
        ++batches_by_codec["legacy"];
        continue;
      }
      try {
        auto v = e->batch();
        validate(v, k_limit);
        auto decoded = decode_records(v, k_limit);
        records += static_cast<int>(decoded.size());
        ++batches_by_codec[codec_name(v.compression())];
        if (v.compression() == codec::none) {
          auto again = encode_batch(v.header(), decoded);
          EXPECT_TRUE(std::ranges::equal(again, e->bytes)) << what << ": re-encoding differs";
        } else {
          auto again = encode_batch(v.header(), decoded);
          batch_view w(again);
          EXPECT_EQ(decode_records(w, k_limit), decoded) << what;
        }
      } catch (const decode_error& err) {
        ADD_FAILURE() << what << ": " << err.what();
      }
    }
  };
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (!name.ends_with(".req.bin")) continue;
    const std::string what = entry.path().parent_path().filename().string() + "/" + name;
    auto req = read_file(entry.path());
    wire::reader r(req);
    protocol::decoded_request_header h;
    try {
      h = protocol::decode_request_header(r);
    } catch (const decode_error&) {
      continue;  // the codec's own capture test reports these
    }
    const int16_t key = h.header.request_api_key;
    const int16_t version = h.header.request_api_version;
    try {
      if (key == 0) {
        auto p = protocol::produce_request::decode(r, version);
        for (const auto& t : p.topic_data)
          for (const auto& part : t.partition_data)
            if (part.records) check_set(*part.records, what);
      } else if (key == 1) {
        auto resp_path = entry.path();
        resp_path.replace_filename(name.substr(0, name.size() - 8) + ".resp.bin");
        if (!fs::exists(resp_path)) continue;
        auto resp = read_file(resp_path);
        wire::reader rr(resp);
        protocol::response_header::decode(rr, protocol::response_header_version(key, version));
        auto f = protocol::fetch_response::decode(rr, version);
        for (const auto& t : f.responses)
          for (const auto& part : t.partitions)
            if (part.records) check_set(*part.records, what + " (response)");
      }
    } catch (const decode_error& err) {
      ADD_FAILURE() << what << ": frame: " << err.what();
    }
  }
  for (const auto& [c, n] : batches_by_codec)
    std::printf("captures: %s: %d batches\n", c.c_str(), n);
  std::printf("captures: %d records\n", records);
  EXPECT_GT(records, 0);
}
