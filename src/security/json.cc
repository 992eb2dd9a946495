#include "security/json.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <unordered_set>

namespace brook::security {

const json_value* json_value::find(std::string_view key) const {
  if (_kind != kind::object) return nullptr;
  for (const auto& [k, v] : _members)
    if (k == key) return &v;
  return nullptr;
}

const std::string* json_value::find_string(std::string_view key) const {
  const json_value* v = find(key);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

// Recursive descent; every step checks the bounds, and depth caps the recursion.
class json_parser {
 public:
  json_parser(std::string_view text, json_limits limits) : _s(text), _limits(limits) {}

  std::optional<json_value> parse() {
    if (_s.size() > _limits.max_bytes) return std::nullopt;
    json_value v;
    skip_space();
    if (!value(v, 0)) return std::nullopt;
    skip_space();
    if (_pos != _s.size()) return std::nullopt;
    return v;
  }

 private:
  void skip_space() {
    while (_pos < _s.size() &&
           (_s[_pos] == ' ' || _s[_pos] == '\t' || _s[_pos] == '\n' || _s[_pos] == '\r'))
      ++_pos;
  }
  bool eat(char c) {
    if (_pos < _s.size() && _s[_pos] == c) {
      ++_pos;
      return true;
    }
    return false;
  }
  bool literal(std::string_view word) {
    if (_s.substr(_pos, word.size()) != word) return false;
    _pos += word.size();
    return true;
  }

  bool value(json_value& out, size_t depth) {
    if (_pos >= _s.size()) return false;
    switch (_s[_pos]) {
      case '{':
        return object(out, depth + 1);
      case '[':
        return array(out, depth + 1);
      case '"':
        out._kind = json_value::kind::string;
        return string(out._string);
      case 't':
        out._kind = json_value::kind::boolean;
        out._bool = true;
        return literal("true");
      case 'f':
        out._kind = json_value::kind::boolean;
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number(out);
    }
  }

  bool object(json_value& out, size_t depth) {
    if (depth > _limits.max_depth) return false;
    out._kind = json_value::kind::object;
    ++_pos;  // '{'
    skip_space();
    if (eat('}')) return true;
    std::unordered_set<std::string> names;
    while (true) {
      skip_space();
      std::string key;
      if (_pos >= _s.size() || _s[_pos] != '"' || !string(key)) return false;
      if (!names.insert(key).second) return false;  // duplicate names: refused, not "last wins"
      skip_space();
      if (!eat(':')) return false;
      skip_space();
      json_value v;
      if (!value(v, depth)) return false;
      out._members.emplace_back(std::move(key), std::move(v));
      skip_space();
      if (eat('}')) return true;
      if (!eat(',')) return false;
    }
  }

  bool array(json_value& out, size_t depth) {
    if (depth > _limits.max_depth) return false;
    out._kind = json_value::kind::array;
    ++_pos;  // '['
    skip_space();
    if (eat(']')) return true;
    while (true) {
      skip_space();
      json_value v;
      if (!value(v, depth)) return false;
      out._items.push_back(std::move(v));
      skip_space();
      if (eat(']')) return true;
      if (!eat(',')) return false;
    }
  }

  bool hex4(uint32_t& cp) {
    if (_pos + 4 > _s.size()) return false;
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = _s[_pos++];
      cp <<= 4;
      if (c >= '0' && c <= '9')
        cp |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        cp |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        cp |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | cp >> 12);
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | cp >> 18);
      out += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  // One UTF-8 sequence starting at _pos, checked for shortest form and the surrogate range.
  bool utf8(std::string& out) {
    const auto b0 = static_cast<unsigned char>(_s[_pos]);
    size_t len = 0;
    uint32_t cp = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      len = 2;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      len = 3;
      cp = b0 & 0x0f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      len = 4;
      cp = b0 & 0x07;
    } else {
      return false;
    }
    if (_pos + len > _s.size()) return false;
    for (size_t i = 1; i < len; ++i) {
      const auto b = static_cast<unsigned char>(_s[_pos + i]);
      if ((b & 0xc0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    out.append(_s.substr(_pos, len));
    _pos += len;
    return true;
  }

  bool string(std::string& out) {
    ++_pos;  // '"'
    while (_pos < _s.size()) {
      const char c = _s[_pos];
      if (c == '"') {
        ++_pos;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (static_cast<unsigned char>(c) >= 0x80) {
        if (!utf8(out)) return false;
        continue;
      }
      ++_pos;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (_pos >= _s.size()) return false;
      const char e = _s[_pos++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!hex4(cp)) return false;
          if (cp >= 0xdc00 && cp <= 0xdfff) return false;  // a low surrogate alone
          if (cp >= 0xd800 && cp <= 0xdbff) {
            uint32_t low = 0;
            if (!literal("\\u") || !hex4(low) || low < 0xdc00 || low > 0xdfff) return false;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          append_utf8(out, cp);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool number(json_value& out) {
    const size_t start = _pos;
    auto digits = [&] {
      const size_t from = _pos;
      while (_pos < _s.size() && _s[_pos] >= '0' && _s[_pos] <= '9') ++_pos;
      return _pos > from;
    };
    eat('-');
    if (_pos < _s.size() && _s[_pos] == '0') {
      ++_pos;
    } else if (!digits()) {
      return false;
    }
    bool integral = true;
    if (eat('.')) {
      integral = false;
      if (!digits()) return false;
    }
    if (_pos < _s.size() && (_s[_pos] == 'e' || _s[_pos] == 'E')) {
      integral = false;
      ++_pos;
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    const std::string text(_s.substr(start, _pos - start));
    out._kind = json_value::kind::number;
    out._number = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(out._number)) return false;
    if (integral) {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && p == text.data() + text.size()) out._integer = v;
    } else if (out._number == std::floor(out._number) && std::fabs(out._number) < 9.0e18) {
      out._integer = static_cast<int64_t>(out._number);
    }
    return true;
  }

  std::string_view _s;
  json_limits _limits;
  size_t _pos = 0;
};

std::optional<json_value> parse_json(std::string_view text, json_limits limits) {
  return json_parser(text, limits).parse();
}

}  // namespace brook::security
