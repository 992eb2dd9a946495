#include "security/sasl.h"

#include <openssl/crypto.h>

#include <cctype>

namespace brook::security {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

class jaas_reader {
 public:
  explicit jaas_reader(std::string_view t) : _t(t) {}

  void skip_space() {
    while (_i < _t.size() && is_space(_t[_i])) ++_i;
  }
  bool done() {
    skip_space();
    return _i >= _t.size();
  }
  bool eat(char c) {
    skip_space();
    if (_i < _t.size() && _t[_i] == c) {
      ++_i;
      return true;
    }
    return false;
  }
  // A bare word: letters, digits and . _ - $ / : up to a blank, '=' or ';'.
  std::optional<std::string> word() {
    skip_space();
    size_t start = _i;
    while (_i < _t.size() && !is_space(_t[_i]) && _t[_i] != '=' && _t[_i] != ';' && _t[_i] != '"')
      ++_i;
    if (_i == start) return std::nullopt;
    return std::string(_t.substr(start, _i - start));
  }
  // A value: a quoted string (with \" and \\ escapes) or a bare word.
  std::optional<std::string> value() {
    skip_space();
    if (_i < _t.size() && _t[_i] == '"') {
      ++_i;
      std::string out;
      while (_i < _t.size() && _t[_i] != '"') {
        if (_t[_i] == '\\' && _i + 1 < _t.size()) ++_i;
        out += _t[_i++];
      }
      if (_i >= _t.size()) return std::nullopt;
      ++_i;
      return out;
    }
    return word();
  }

 private:
  std::string_view _t;
  size_t _i = 0;
};

class plain_exchange : public sasl_exchange {
 public:
  explicit plain_exchange(std::shared_ptr<const std::map<std::string, std::string>> users)
      : _users(std::move(users)) {}

  sasl_step next(std::string_view message, int64_t) override {
    sasl_step out;
    out.failed = true;
    // authzid NUL authcid NUL passwd
    std::vector<std::string_view> tokens;
    size_t start = 0;
    for (size_t i = 0; i <= message.size(); ++i) {
      if (i == message.size() || message[i] == '\0') {
        tokens.push_back(message.substr(start, i - start));
        start = i + 1;
      }
    }
    if (tokens.size() != 3) {
      out.error =
          "Invalid SASL/PLAIN response: expected 3 tokens, got " + std::to_string(tokens.size());
      return out;
    }
    const auto authzid = tokens[0], user = tokens[1], password = tokens[2];
    if (user.empty()) {
      out.error = "Authentication failed: username not specified";
      return out;
    }
    if (password.empty()) {
      out.error = "Authentication failed: password not specified";
      return out;
    }
    auto it = _users->find(std::string(user));
    // An unknown user costs the same comparison as a wrong password.
    const std::string_view expected = it == _users->end() ? std::string_view() : it->second;
    const bool match = constant_time_equal(password, expected) && it != _users->end();
    if (!match) {
      out.error = "Authentication failed: Invalid username or password";
      return out;
    }
    if (!authzid.empty() && authzid != user) {
      out.error =
          "Authentication failed: Client requested an authorization id that is different from "
          "username";
      return out;
    }
    out.failed = false;
    out.complete = true;
    out.user = std::string(user);
    return out;
  }

 private:
  std::shared_ptr<const std::map<std::string, std::string>> _users;
};

}  // namespace

result<std::vector<jaas_entry>, std::string> parse_jaas(std::string_view text) {
  std::vector<jaas_entry> out;
  jaas_reader r(text);
  while (!r.done()) {
    jaas_entry e;
    auto module = r.word();
    if (!module) return failure{std::string("expected a login module class name")};
    e.login_module = *module;
    auto flag = r.word();
    if (!flag || (*flag != "required" && *flag != "requisite" && *flag != "sufficient" &&
                  *flag != "optional"))
      return failure{
          "expected a control flag (required, requisite, sufficient or optional) after " +
          e.login_module};
    e.flag = *flag;
    while (!r.eat(';')) {
      auto key = r.word();
      if (!key)
        return failure{
            std::string("expected key=value or ';' in the options of " + e.login_module)};
      if (!r.eat('=')) return failure{std::string("expected '=' after option " + *key)};
      auto value = r.value();
      if (!value) return failure{std::string("the value of option " + *key + " is not closed")};
      e.options[*key] = *value;
      if (r.done())
        return failure{std::string("the entry of " + e.login_module + " does not end with ';'")};
    }
    out.push_back(std::move(e));
  }
  if (out.empty()) return failure{std::string("names no login module")};
  return out;
}

std::unique_ptr<sasl_exchange> make_plain_exchange(
    std::shared_ptr<const std::map<std::string, std::string>> users) {
  return std::make_unique<plain_exchange>(std::move(users));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    // Still compare something of a's length, so the time says only that lengths differ.
    volatile unsigned char sink = 0;
    for (char c : a) sink = sink | static_cast<unsigned char>(c);
    (void)sink;
    return false;
  }
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace brook::security
