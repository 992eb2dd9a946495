#include "protocol/wire/types.h"

#include <fmt/format.h>

namespace brook::wire {

namespace {
constexpr std::string_view k_b64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}
}  // namespace

uuid uuid::from_halves(uint64_t msb, uint64_t lsb) {
  uuid u;
  for (int i = 0; i < 8; ++i) {
    u.bytes[i] = static_cast<uint8_t>(msb >> (56 - 8 * i));
    u.bytes[8 + i] = static_cast<uint8_t>(lsb >> (56 - 8 * i));
  }
  return u;
}

uint64_t uuid::msb() const {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | bytes[i];
  return v;
}

uint64_t uuid::lsb() const {
  uint64_t v = 0;
  for (int i = 8; i < 16; ++i) v = (v << 8) | bytes[i];
  return v;
}

std::string uuid::to_string() const {
  std::string out;
  out.reserve(22);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += k_b64[(n >> 18) & 63];
    out += k_b64[(n >> 12) & 63];
    out += k_b64[(n >> 6) & 63];
    out += k_b64[n & 63];
  }
  // 16 bytes leave one byte: two characters, no padding.
  uint32_t n = bytes[i] << 16;
  out += k_b64[(n >> 18) & 63];
  out += k_b64[(n >> 12) & 63];
  return out;
}

std::optional<uuid> uuid::parse(std::string_view text) {
  if (text.size() != 22) return std::nullopt;
  uuid u;
  uint32_t acc = 0;
  int bits = 0;
  size_t out = 0;
  for (char c : text) {
    int v = b64_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (out < 16) u.bytes[out++] = static_cast<uint8_t>(acc >> bits);
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-canonical trailing bits
  return u;
}

void throw_decode_error(std::string_view what, int16_t version) {
  throw decode_error(fmt::format("{} (version {})", what, version));
}

void throw_encode_error(std::string_view what, int16_t version) {
  throw encode_error(fmt::format("{} (version {})", what, version));
}

shared_bytes::shared_bytes(std::vector<uint8_t> owned) {
  auto holder = std::make_shared<std::vector<uint8_t>>(std::move(owned));
  _data = std::span<const uint8_t>(holder->data(), holder->size());
  _owner = std::move(holder);
}

}  // namespace brook::wire
