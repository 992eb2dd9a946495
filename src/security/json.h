// A small strict JSON reader (RFC 8259) for what security code reads from outside: JWT headers and
// claims, JWKS files. Input comes from unauthenticated clients, so it is bounded: nesting depth and
// input size have limits, and malformed input (trailing bytes, bad escapes, lone surrogates,
// invalid UTF-8, duplicate object keys, leading zeros, control characters in strings) is refused
// rather than guessed at. Numbers are kept as double and, when integral and in range, as int64 too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brook::security {

class json_value {
 public:
  enum class kind { null, boolean, number, string, array, object };

  kind type() const { return _kind; }
  bool is_null() const { return _kind == kind::null; }
  bool is_bool() const { return _kind == kind::boolean; }
  bool is_number() const { return _kind == kind::number; }
  bool is_string() const { return _kind == kind::string; }
  bool is_array() const { return _kind == kind::array; }
  bool is_object() const { return _kind == kind::object; }

  bool as_bool() const { return _bool; }
  double as_double() const { return _number; }
  // The number as an integer when it has no fraction and fits; nullopt otherwise.
  std::optional<int64_t> as_int64() const { return _integer; }
  const std::string& as_string() const { return _string; }
  const std::vector<json_value>& items() const { return _items; }
  const std::vector<std::pair<std::string, json_value>>& members() const { return _members; }

  // The member named `key` of an object; nullptr when absent or when this is not an object.
  const json_value* find(std::string_view key) const;
  // The member's string value; nullptr when absent or not a string.
  const std::string* find_string(std::string_view key) const;

 private:
  friend class json_parser;
  kind _kind = kind::null;
  bool _bool = false;
  double _number = 0;
  std::optional<int64_t> _integer;
  std::string _string;
  std::vector<json_value> _items;
  std::vector<std::pair<std::string, json_value>> _members;
};

struct json_limits {
  size_t max_depth = 32;
  size_t max_bytes = 1 << 20;
};

// The value `text` holds (whitespace around it allowed, nothing else); nullopt when the text is not
// one JSON value within the limits.
std::optional<json_value> parse_json(std::string_view text, json_limits limits = {});

}  // namespace brook::security
