#include "protocol/wire/json.h"

#include <fmt/format.h>

#include <cmath>

namespace brook::wire {

void json_writer::value(int64_t v) {
  separate();
  fmt::format_to(std::back_inserter(_out), "{}", v);
}

void json_writer::value(uint64_t v) {
  separate();
  fmt::format_to(std::back_inserter(_out), "{}", v);
}

void json_writer::value(double v) {
  separate();
  if (std::isfinite(v)) {
    fmt::format_to(std::back_inserter(_out), "{}", v);
  } else {
    write_escaped(std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
  }
}

void json_writer::bytes(std::span<const uint8_t> b) {
  static constexpr char k_b64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  separate();
  _out += '"';
  size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    uint32_t n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    _out += k_b64[(n >> 18) & 63];
    _out += k_b64[(n >> 12) & 63];
    _out += k_b64[(n >> 6) & 63];
    _out += k_b64[n & 63];
  }
  if (i + 1 == b.size()) {
    uint32_t n = b[i] << 16;
    _out += k_b64[(n >> 18) & 63];
    _out += k_b64[(n >> 12) & 63];
    _out += "==";
  } else if (i + 2 == b.size()) {
    uint32_t n = (b[i] << 16) | (b[i + 1] << 8);
    _out += k_b64[(n >> 18) & 63];
    _out += k_b64[(n >> 12) & 63];
    _out += k_b64[(n >> 6) & 63];
    _out += '=';
  }
  _out += '"';
}

void json_writer::write_escaped(std::string_view s) {
  _out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        _out += "\\\"";
        break;
      case '\\':
        _out += "\\\\";
        break;
      case '\n':
        _out += "\\n";
        break;
      case '\r':
        _out += "\\r";
        break;
      case '\t':
        _out += "\\t";
        break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(_out), "\\u{:04x}", c);
        } else {
          _out += static_cast<char>(c);
        }
    }
  }
  _out += '"';
}

}  // namespace brook::wire
