#include <gtest/gtest.h>
#include <lz4frame.h>

#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include "protocol/records/checksum.h"
#include "protocol/records/compression.h"

using namespace brook::protocol::records;
using brook::wire::byte_buffer;
using brook::wire::decode_error;

namespace {

constexpr codec k_codecs[] = {codec::none, codec::gzip, codec::snappy, codec::lz4, codec::zstd};
constexpr codec k_compressing[] = {codec::gzip, codec::snappy, codec::lz4, codec::zstd};

// Text-like data: compressible but not trivially.
std::vector<uint8_t> sample(size_t n, uint32_t seed = 7) {
  std::mt19937 rng(seed);
  static constexpr std::string_view k_words[] = {"kafka ",  "brook ",  "record ", "batch ",
                                                 "offset ", "leader ", "epoch ",  "\n"};
  std::vector<uint8_t> v;
  v.reserve(n + 8);
  while (v.size() < n) {
    auto w = k_words[rng() % 8];
    v.insert(v.end(), w.begin(), w.end());
    if (rng() % 5 == 0) v.push_back(static_cast<uint8_t>(rng()));
  }
  v.resize(n);
  return v;
}

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

void put_be32(std::vector<uint8_t>& v, uint32_t x) {
  for (int shift = 24; shift >= 0; shift -= 8) v.push_back(static_cast<uint8_t>(x >> shift));
}

std::vector<uint8_t> xerial_header() {
  std::vector<uint8_t> v = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
  put_be32(v, 1);
  put_be32(v, 1);
  return v;
}

}  // namespace

TEST(records_compression, round_trip_every_codec) {
  for (codec c : k_codecs) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{70000}, size_t{300000}}) {
      auto in = sample(n, static_cast<uint32_t>(n));
      auto packed = compress(c, in);
      auto out = decompress(c, packed, n);
      EXPECT_EQ(out, in) << codec_name(c) << " " << n;
      if (c != codec::none && n >= 70000) {
        EXPECT_LT(packed.size(), n / 2) << codec_name(c);
      }
    }
  }
}

TEST(records_compression, compress_append_keeps_what_was_there) {
  auto in = sample(5000);
  for (codec c : k_codecs) {
    byte_buffer out = {1, 2, 3};
    compress_append(c, in, out);
    ASSERT_GT(out.size(), 3u);
    EXPECT_EQ(out[0], 1);
    EXPECT_EQ(decompress(c, std::span(out).subspan(3), in.size()), in) << codec_name(c);
  }
}

TEST(records_compression, levels) {
  auto in = sample(100000);
  for (int level : {1, 9}) {
    compress_options o;
    o.level = level;
    for (codec c : {codec::gzip, codec::lz4, codec::zstd})
      EXPECT_EQ(decompress(c, compress(c, in, o), in.size()), in) << codec_name(c) << level;
  }
}

TEST(records_compression, output_exactly_at_the_limit_is_fine_one_more_byte_is_not) {
  auto in = sample(50000);
  for (codec c : k_codecs) {
    auto packed = compress(c, in);
    EXPECT_EQ(decompress(c, packed, in.size()).size(), in.size()) << codec_name(c);
    EXPECT_THROW(decompress(c, packed, in.size() - 1), decompression_limit_error) << codec_name(c);
    EXPECT_THROW(decompress(c, packed, 0), decompression_limit_error) << codec_name(c);
  }
}

// The decompression bomb: 100 MB of zeros packs into little; with a 1 MiB limit every codec stops
// early with decompression_limit_error instead of allocating 100 MB.
TEST(records_compression, bounded_decompression_of_a_bomb) {
  std::vector<uint8_t> zeros(100 * 1000 * 1000, 0);
  for (codec c : k_compressing) {
    auto packed = compress(c, zeros);
    EXPECT_LT(packed.size(), 6u * 1000 * 1000) << codec_name(c);
    EXPECT_THROW(decompress(c, packed, 1 << 20), decompression_limit_error) << codec_name(c);
  }
}

TEST(records_compression, decompression_limit_error_is_a_decode_error) {
  auto packed = compress(codec::zstd, sample(10000));
  EXPECT_THROW(decompress(codec::zstd, packed, 100), decode_error);
}

// Raw snappy declares its length up front: a declaration beyond the limit fails at once, one
// within it is not trusted (a 40-byte input claiming 50 MB is just corrupt).
TEST(records_compression, snappy_declared_length_is_not_trusted) {
  // varint 100'000'000, then a 3-byte literal.
  std::vector<uint8_t> raw = {0x80, 0xc2, 0xd7, 0x2f, 0x08, 'a', 'b', 'c'};
  EXPECT_THROW(decompress(codec::snappy, raw, 1 << 20), decompression_limit_error);
  EXPECT_THROW(decompress(codec::snappy, raw, size_t{200} << 20), decode_error);
  try {
    decompress(codec::snappy, raw, size_t{200} << 20);
  } catch (const decompression_limit_error&) {
    ADD_FAILURE() << "not a limit problem";
  } catch (const decode_error&) {
  }
}

TEST(records_compression, snappy_writes_xerial_framing) {
  auto in = sample(80000);
  auto packed = compress(codec::snappy, in);
  auto header = xerial_header();
  ASSERT_GE(packed.size(), header.size());
  EXPECT_TRUE(std::equal(header.begin(), header.end(), packed.begin()));
  // 80000 bytes in 32 KiB blocks: three blocks, each an int32 length and a raw snappy chunk.
  size_t pos = header.size(), blocks = 0;
  while (pos < packed.size()) {
    uint32_t len = (uint32_t{packed[pos]} << 24) | (uint32_t{packed[pos + 1]} << 16) |
                   (uint32_t{packed[pos + 2]} << 8) | packed[pos + 3];
    pos += 4 + len;
    ++blocks;
  }
  EXPECT_EQ(pos, packed.size());
  EXPECT_EQ(blocks, 3u);
}

// Built by hand: header, then two raw snappy chunks made of one literal each
// (varint length, tag (len - 1) << 2, bytes).
TEST(records_compression, snappy_decodes_hand_built_xerial_frames) {
  auto framed = xerial_header();
  std::vector<uint8_t> chunk1 = {0x05, 0x10, 'h', 'e', 'l', 'l', 'o'};
  std::vector<uint8_t> chunk2 = {0x07, 0x18, 'w', 'o', 'r', 'l', 'd', '!', '!'};
  put_be32(framed, static_cast<uint32_t>(chunk1.size()));
  framed.insert(framed.end(), chunk1.begin(), chunk1.end());
  put_be32(framed, static_cast<uint32_t>(chunk2.size()));
  framed.insert(framed.end(), chunk2.begin(), chunk2.end());
  EXPECT_EQ(decompress(codec::snappy, framed, 100), bytes("helloworld!!"));

  // The same chunk without framing is raw snappy.
  EXPECT_EQ(decompress(codec::snappy, chunk1, 100), bytes("hello"));

  // snappy-java repeats the header where two streams were concatenated.
  auto twice = framed;
  twice.insert(twice.end(), framed.begin(), framed.end());
  EXPECT_EQ(decompress(codec::snappy, twice, 100), bytes("helloworld!!helloworld!!"));

  // A header alone is an empty stream.
  EXPECT_TRUE(decompress(codec::snappy, xerial_header(), 100).empty());

  // A copy element: "abcd" then copy 8 bytes from offset 4 (tag 1: len-4 in bits 2-4).
  std::vector<uint8_t> copy = {0x0c, 0x0c, 'a', 'b', 'c', 'd', 0x11, 0x04};
  EXPECT_EQ(decompress(codec::snappy, copy, 100), bytes("abcdabcdabcd"));
}

TEST(records_compression, snappy_bad_framing_is_an_error) {
  auto framed = xerial_header();
  put_be32(framed, 100);  // block longer than what follows
  framed.push_back(0x05);
  EXPECT_THROW(decompress(codec::snappy, framed, 1000), decode_error);

  auto negative = xerial_header();
  put_be32(negative, 0x80000000u);
  EXPECT_THROW(decompress(codec::snappy, negative, 1000), decode_error);

  auto short_header = xerial_header();
  short_header.resize(12);
  EXPECT_THROW(decompress(codec::snappy, short_header, 1000), decode_error);

  auto dangling = xerial_header();
  dangling.push_back(0);
  dangling.push_back(0);
  EXPECT_THROW(decompress(codec::snappy, dangling, 1000), decode_error);
}

// liblz4 writes a correct header checksum: the second byte of XXH32 over FLG and BD. Kafka's
// magic-0 writer hashed the magic number too (KAFKA-3160).
TEST(records_compression, lz4_header_checksum_old_and_new) {
  auto in = sample(1000);
  auto modern = compress(codec::lz4, in);
  ASSERT_GE(modern.size(), 7u);
  EXPECT_EQ(modern[4], 0x60);  // version 01, independent blocks, no checksums or size
  EXPECT_EQ(modern[5], 0x40);  // 64 KiB blocks
  EXPECT_EQ(modern[6], (xxh32(std::span(modern).subspan(4, 2)) >> 8) & 0xff);

  compress_options legacy;
  legacy.legacy_lz4_checksum = true;
  auto old = compress(codec::lz4, in, legacy);
  EXPECT_EQ(old[6], (xxh32(std::span(old).first(6)) >> 8) & 0xff);
  ASSERT_NE(old[6], modern[6]);

  decompress_options ignore;
  ignore.legacy_lz4_checksum = true;
  EXPECT_EQ(decompress(codec::lz4, old, in.size(), ignore), in);
  EXPECT_EQ(decompress(codec::lz4, modern, in.size(), ignore), in);
  EXPECT_THROW(decompress(codec::lz4, old, in.size()), decode_error);
}

// Checks xxh32 on long input against liblz4's content checksum (XXH32 of the whole content).
TEST(records_compression, xxh32_matches_lz4_content_checksum) {
  for (size_t n : {size_t{15}, size_t{16}, size_t{17}, size_t{1000}, size_t{100003}}) {
    auto in = sample(n, 3);
    LZ4F_preferences_t prefs{};
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    std::vector<uint8_t> out(LZ4F_compressFrameBound(n, &prefs));
    size_t len = LZ4F_compressFrame(out.data(), out.size(), in.data(), n, &prefs);
    ASSERT_FALSE(LZ4F_isError(len));
    uint32_t stored = uint32_t{out[len - 4]} | (uint32_t{out[len - 3]} << 8) |
                      (uint32_t{out[len - 2]} << 16) | (uint32_t{out[len - 1]} << 24);
    EXPECT_EQ(xxh32(in), stored) << n;
  }
}

TEST(records_compression, concatenated_gzip_members_and_zstd_frames) {
  for (codec c : {codec::gzip, codec::zstd}) {
    auto a = compress(c, bytes("first "));
    auto b = compress(c, bytes("second"));
    a.insert(a.end(), b.begin(), b.end());
    EXPECT_EQ(decompress(c, a, 100), bytes("first second")) << codec_name(c);
  }
}

TEST(records_compression, trailing_garbage_is_an_error) {
  auto in = sample(3000);
  for (codec c : {codec::gzip, codec::lz4, codec::zstd}) {
    auto packed = compress(c, in);
    packed.push_back(0x42);
    packed.push_back(0x17);
    EXPECT_THROW(decompress(c, packed, in.size() * 2), decode_error) << codec_name(c);
  }
}

TEST(records_compression, truncated_input_is_an_error) {
  auto in = sample(100000);
  for (codec c : k_compressing) {
    auto packed = compress(c, in);
    for (size_t cut = 0; cut < packed.size(); cut += std::max<size_t>(1, packed.size() / 97)) {
      std::span<const uint8_t> part(packed.data(), cut);
      if (c == codec::snappy) {
        // Xerial framing can end cleanly between blocks; what decodes is then a prefix.
        try {
          auto out = decompress(c, part, in.size());
          EXPECT_TRUE(std::equal(out.begin(), out.end(), in.begin())) << cut;
        } catch (const decode_error&) {
        }
        continue;
      }
      EXPECT_THROW(decompress(c, part, in.size()), decode_error) << codec_name(c) << " " << cut;
    }
  }
}

// Flipped bytes: every codec either reports an error or returns bounded output; never crashes.
TEST(records_compression, corrupted_input_never_crashes) {
  auto in = sample(20000);
  std::mt19937 rng(11);
  for (codec c : k_compressing) {
    auto packed = compress(c, in);
    for (int round = 0; round < 300; ++round) {
      auto bad = packed;
      for (int flips = 0; flips < 1 + round % 3; ++flips)
        bad[rng() % bad.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
      try {
        auto out = decompress(c, bad, in.size());
        EXPECT_LE(out.size(), in.size());
      } catch (const decode_error&) {
      }
    }
  }
}

TEST(records_compression, garbage_and_empty_input) {
  std::vector<uint8_t> junk = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 0x05};
  for (codec c : k_compressing) {
    EXPECT_THROW(decompress(c, junk, 1000), decode_error) << codec_name(c);
    EXPECT_THROW(decompress(c, {}, 1000), decode_error) << codec_name(c);
  }
  EXPECT_TRUE(decompress(codec::none, {}, 0).empty());
}

TEST(records_compression, codec_ids) {
  EXPECT_EQ(codec_from_id(4), codec::zstd);
  for (int id : {-1, 5, 6, 7}) EXPECT_THROW(codec_from_id(id), decode_error);
  EXPECT_THROW(decompress(static_cast<codec>(6), bytes("x"), 10), decode_error);
}
