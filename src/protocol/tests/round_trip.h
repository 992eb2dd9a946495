// Checks shared by the generated round-trip tests (tests/generated/).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "protocol/generated/messages.h"

namespace brook::protocol {

// A value unlike the field's default, so that a field lost in encoding cannot go unnoticed.
template <class T>
T pick(int& seed, T dflt) {
  T v = static_cast<T>(seed++ % 50 + 3);
  if (v == dflt) v = static_cast<T>(v + 1);
  return v;
}

// With BROOK_CODEC_DUMP_DIR set, keeps every checked encoding as
// $BROOK_CODEC_DUMP_DIR/<MessageName>.v<version>.<n>.bin and Brook's JSON rendering of the same
// message beside it as <MessageName>.v<version>.<n>.json (n counts per message and version), for
// tests/compat/kafka-codec to read back with Apache Kafka's own codec and JSON converters.
inline void dump_encoding(std::string_view name, int16_t version, std::span<const uint8_t> bytes,
                          std::string_view json) {
  const char* dir = std::getenv("BROOK_CODEC_DUMP_DIR");
  if (dir == nullptr || *dir == '\0') return;
  static std::map<std::string, int> counts;
  std::string key = std::string(name) + ".v" + std::to_string(version);
  std::string stem = std::string(dir) + "/" + key + "." + std::to_string(counts[key]++);
  auto write = [](const std::string& path, const char* data, size_t size) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data, static_cast<std::streamsize>(size));
    EXPECT_TRUE(out.good()) << "cannot write " << path;
  };
  write(stem + ".bin", reinterpret_cast<const char*>(bytes.data()), bytes.size());
  write(stem + ".json", json.data(), json.size());
}

template <class M>
void check_round_trip(const M& m, int16_t version) {
  SCOPED_TRACE(std::string(M::message_name) + " v" + std::to_string(version));
  wire::writer w;
  ASSERT_NO_THROW(m.encode(w, version));
  auto bytes = w.take();
  EXPECT_EQ(bytes.size(), m.encoded_size(version));
  wire::json_writer j;
  m.write_json(j, version);
  EXPECT_EQ(j.str().front(), '{');
  dump_encoding(M::message_name, version, bytes, j.str());

  wire::reader r(bytes);
  M back = M::decode(r, version);
  EXPECT_TRUE(r.empty()) << r.remaining() << " bytes left over";
  EXPECT_TRUE(back == m);
  wire::writer w2;
  back.encode(w2, version);
  EXPECT_EQ(w2.bytes().size(), bytes.size());
  EXPECT_TRUE(std::ranges::equal(w2.bytes(), bytes));

  // Every proper prefix of a message is incomplete and must be rejected, never overread.
  for (size_t n = 0; n < bytes.size(); ++n) {
    wire::reader p(std::span<const uint8_t>(bytes.data(), n));
    EXPECT_THROW(M::decode(p, version), wire::decode_error) << "prefix of " << n << " bytes";
  }

  // Tagged fields unknown to this build survive a round trip in flexible versions.
  if (M::first_flexible_version >= 0 && version >= M::first_flexible_version) {
    M with_unknown = m;
    with_unknown.unknown_tags.push_back({10000, {1, 2, 3}});
    wire::writer w3;
    with_unknown.encode(w3, version);
    EXPECT_EQ(w3.size(), with_unknown.encoded_size(version));
    auto b3 = w3.take();
    wire::reader r3(b3);
    EXPECT_TRUE(M::decode(r3, version) == with_unknown);
  }
}

}  // namespace brook::protocol
