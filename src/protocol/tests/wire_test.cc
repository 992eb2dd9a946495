#include <gtest/gtest.h>

#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

using namespace brook::wire;

TEST(wire, ints_round_trip_big_endian) {
  writer w;
  w.write_int16(-2);
  w.write_int32(0x01020304);
  w.write_int64(-1);
  w.write_float64(1.5);
  auto b = w.take();
  ASSERT_EQ(b.size(), 2u + 4 + 8 + 8);
  EXPECT_EQ(b[2], 0x01);
  EXPECT_EQ(b[5], 0x04);
  reader r(b);
  EXPECT_EQ(r.read_int16(), -2);
  EXPECT_EQ(r.read_int32(), 0x01020304);
  EXPECT_EQ(r.read_int64(), -1);
  EXPECT_EQ(r.read_float64(), 1.5);
  EXPECT_TRUE(r.empty());
}

TEST(wire, varints_match_kafka_encoding) {
  // Zig-zag: 0->0, -1->1, 1->2, -2->3; 300 -> 600 -> 0xd8 0x04.
  writer w;
  w.write_varint(0);
  w.write_varint(-1);
  w.write_varint(1);
  w.write_varint(300);
  w.write_varlong(INT64_MIN);
  w.write_varint(INT32_MIN);
  auto b = w.take();
  EXPECT_EQ(b[0], 0);
  EXPECT_EQ(b[1], 1);
  EXPECT_EQ(b[2], 2);
  EXPECT_EQ(b[3], 0xd8);
  EXPECT_EQ(b[4], 0x04);
  reader r(b);
  EXPECT_EQ(r.read_varint(), 0);
  EXPECT_EQ(r.read_varint(), -1);
  EXPECT_EQ(r.read_varint(), 1);
  EXPECT_EQ(r.read_varint(), 300);
  EXPECT_EQ(r.read_varlong(), INT64_MIN);
  EXPECT_EQ(r.read_varint(), INT32_MIN);
  EXPECT_EQ(varlong_size(INT64_MIN), 10u);
  EXPECT_EQ(varint_size(300), 2u);
}

TEST(wire, overlong_varint_is_an_error) {
  std::vector<uint8_t> six = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  reader r(six);
  EXPECT_THROW(r.read_uvarint(), decode_error);
  std::vector<uint8_t> too_big = {0xff, 0xff, 0xff, 0xff, 0x1f};
  reader r2(too_big);
  EXPECT_THROW(r2.read_uvarint(), decode_error);
}

TEST(wire, strings_and_nulls) {
  writer w;
  w.write_string("abc", false);
  w.write_nullable_string(std::nullopt, false);
  w.write_string("xy", true);
  w.write_nullable_string(std::nullopt, true);
  auto b = w.take();
  reader r(b);
  EXPECT_EQ(r.read_string(false), "abc");
  EXPECT_EQ(r.read_nullable_string(false), std::nullopt);
  EXPECT_EQ(r.read_string(true), "xy");
  EXPECT_EQ(r.read_nullable_string(true), std::nullopt);
}

TEST(wire, lengths_beyond_the_buffer_are_rejected_before_allocating) {
  // An int32 array count of 2^31-1 with three bytes behind it.
  std::vector<uint8_t> b = {0x7f, 0xff, 0xff, 0xff, 1, 2, 3};
  reader r(b);
  EXPECT_THROW(r.read_array_length(false), decode_error);
  std::vector<uint8_t> s = {0x00, 0x10, 'a'};
  reader r2(s);
  EXPECT_THROW(r2.read_string(false), decode_error);
  std::vector<uint8_t> neg = {0xff, 0xfe};
  reader r3(neg);
  EXPECT_THROW(r3.read_nullable_string(false), decode_error);
  std::vector<uint8_t> nul = {0xff, 0xff};
  reader r4(nul);
  EXPECT_THROW(r4.read_string(false), decode_error);
}

TEST(wire, uuid_text_form_is_kafka_base64) {
  uuid u = uuid::from_halves(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
  auto text = u.to_string();
  EXPECT_EQ(text.size(), 22u);
  auto back = uuid::parse(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, u);
  EXPECT_EQ(uuid{}.to_string(), "AAAAAAAAAAAAAAAAAAAAAA");
  EXPECT_FALSE(uuid::parse("not-a-uuid").has_value());
}

TEST(wire, shared_bytes_share_their_owner) {
  auto owner = std::make_shared<std::vector<uint8_t>>(std::vector<uint8_t>{0, 0, 0, 2, 9, 8});
  reader r(*owner, owner);
  auto sb = r.read_shared_bytes(false);
  EXPECT_EQ(sb.size(), 2u);
  EXPECT_EQ(sb.data(), owner->data() + 4);
}
