// The C++ half of tests/compat/offsets-records: both tests do nothing unless their environment
// variable names a file.
//
// BROOK_OFFSETS_DUMP=<file>: writes Brook's encoding of every compat sample, one a line:
//   <name> TAB <key hex> TAB <value hex, or "-" for a tombstone>
// BROOK_OFFSETS_KAFKA=<file>: reads lines of the same form that Kafka's own classes wrote, decodes
//   each with Brook, checks that the record equals Brook's sample of the same name (when there is
//   one) and that Brook writes it back byte for byte. Prints
//   "offsets-records brook: N passed, N failed".
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "coordinator/tests/compat_samples.h"

namespace brook::coordinator {
namespace {

std::string to_hex(std::span<const uint8_t> b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(b.size() * 2);
  for (uint8_t c : b) {
    s.push_back(digits[c >> 4]);
    s.push_back(digits[c & 15]);
  }
  return s;
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> out;
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

TEST(offsets_compat, dump) {
  const char* path = env("BROOK_OFFSETS_DUMP");
  if (path == nullptr) GTEST_SKIP() << "BROOK_OFFSETS_DUMP not set";
  std::ofstream out(path, std::ios::trunc);
  ASSERT_TRUE(out.good()) << "cannot write " << path;
  for (const auto& s : testing::compat_samples()) {
    auto e = encode_record(s.record);
    ASSERT_TRUE(e) << s.name << ": " << e.error().message;
    out << s.name << '\t' << to_hex(e->key) << '\t' << (e->value ? to_hex(*e->value) : "-") << '\n';
  }
  ASSERT_TRUE(out.good());
}

TEST(offsets_compat, read_kafka_encodings) {
  const char* path = env("BROOK_OFFSETS_KAFKA");
  if (path == nullptr) GTEST_SKIP() << "BROOK_OFFSETS_KAFKA not set";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "cannot read " << path;
  std::map<std::string, offsets_record> ours;
  for (auto& s : testing::compat_samples()) ours.emplace(s.name, std::move(s.record));

  int passed = 0, failed = 0;
  auto fail = [&](const std::string& name, const std::string& why) {
    ++failed;
    std::cout << "FAIL " << name << ": " << why << "\n";
    ADD_FAILURE() << name << ": " << why;
  };
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string name, key_hex, value_hex;
    if (!std::getline(fields, name, '\t') || !std::getline(fields, key_hex, '\t') ||
        !std::getline(fields, value_hex)) {
      fail(line, "not <name> TAB <key> TAB <value>");
      continue;
    }
    auto key = from_hex(key_hex);
    std::optional<std::vector<uint8_t>> value;
    if (value_hex != "-") value = from_hex(value_hex);
    if (!key || (value_hex != "-" && !value)) {
      fail(name, "bad hex");
      continue;
    }
    std::optional<std::span<const uint8_t>> value_span;
    if (value) value_span = std::span<const uint8_t>(*value);
    auto rec = decode_record(*key, value_span);
    if (!rec) {
      fail(name, "Brook cannot decode Kafka's bytes: " + rec.error().message);
      continue;
    }
    if (auto it = ours.find(name); it != ours.end() && !(*rec == it->second)) {
      fail(name, "Brook reads Kafka's bytes as a record unlike its own sample");
      continue;
    }
    auto again = encode_record(*rec);
    if (!again) {
      fail(name, "Brook cannot re-encode: " + again.error().message);
      continue;
    }
    std::string key_back = to_hex(again->key);
    std::string value_back = again->value ? to_hex(*again->value) : "-";
    if (key_back != key_hex || value_back != value_hex) {
      fail(name, "re-encoded bytes differ\n  kafka " + key_hex + " " + value_hex + "\n  brook " +
                     key_back + " " + value_back);
      continue;
    }
    ++passed;
  }
  std::cout << "offsets-records brook: " << passed << " passed, " << failed << " failed"
            << std::endl;
  EXPECT_GT(passed, 0);
}

}  // namespace
}  // namespace brook::coordinator
