#include "security/principal.h"

#include <re2/re2.h>

#include <cctype>

namespace brook::security {

std::optional<principal> parse_principal(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return principal{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

}  // namespace brook::security

namespace brook::security {

struct ssl_principal_mapper::rule {
  bool is_default = false;
  std::unique_ptr<RE2> pattern;
  std::string replacement;  // in RE2's rewrite syntax
  char case_change = 0;     // 'L', 'U' or 0
};

namespace {

// Reads up to an unescaped '/', keeping escapes as they are.
std::optional<std::string> until_slash(std::string_view text, size_t& i) {
  std::string out;
  while (i < text.size() && text[i] != '/') {
    if (text[i] == '\\' && i + 1 < text.size()) out += text[i++];
    out += text[i++];
  }
  if (i >= text.size()) return std::nullopt;
  ++i;  // the slash
  return out;
}

// Java's replacement syntax ($1, \x) in RE2's (\1, \\).
std::string rewrite_of(std::string_view java) {
  std::string out;
  for (size_t i = 0; i < java.size(); ++i) {
    const char c = java[i];
    if (c == '$' && i + 1 < java.size() && std::isdigit(static_cast<unsigned char>(java[i + 1]))) {
      out += '\\';
      out += java[++i];
    } else if (c == '\\' && i + 1 < java.size()) {
      const char lit = java[++i];
      if (lit == '\\') out += '\\';
      out += lit;
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

result<ssl_principal_mapper, std::string> ssl_principal_mapper::parse(std::string_view rules) {
  ssl_principal_mapper m;
  size_t i = 0;
  auto skip = [&] {
    while (i < rules.size() && (rules[i] == ' ' || rules[i] == '\t' || rules[i] == '\n')) ++i;
  };
  for (;;) {
    skip();
    if (i >= rules.size()) break;
    auto r = std::make_shared<rule>();
    if (rules.substr(i).starts_with("DEFAULT")) {
      r->is_default = true;
      i += 7;
    } else if (rules.substr(i).starts_with("RULE:")) {
      i += 5;
      auto pattern = until_slash(rules, i);
      auto replacement = pattern ? until_slash(rules, i) : std::nullopt;
      if (!replacement) return failure{std::string("a RULE needs pattern/replacement/")};
      if (i < rules.size() && (rules[i] == 'L' || rules[i] == 'U')) r->case_change = rules[i++];
      RE2::Options options;
      options.set_log_errors(false);
      r->pattern = std::make_unique<RE2>(*pattern, options);
      if (!r->pattern->ok())
        return failure{"pattern '" + *pattern +
                       "' is not a valid regular expression: " + r->pattern->error()};
      r->replacement = rewrite_of(*replacement);
      std::string why;
      if (!r->pattern->CheckRewriteString(r->replacement, &why))
        return failure{"replacement '" + *replacement + "' does not fit its pattern: " + why};
    } else {
      return failure{"expected RULE:pattern/replacement/ or DEFAULT at '" +
                     std::string(rules.substr(i)) + "'"};
    }
    m._rules.push_back(std::move(r));
    skip();
    if (i < rules.size()) {
      if (rules[i] != ',') return failure{std::string("rules are separated by commas")};
      ++i;
    }
  }
  if (m._rules.empty()) return failure{std::string("names no rule")};
  return m;
}

std::optional<std::string> ssl_principal_mapper::name_of(const std::string& subject) const {
  for (const auto& r : _rules) {
    if (r->is_default) return subject;
    if (!RE2::FullMatch(subject, *r->pattern)) continue;
    std::string name = subject;
    RE2::Replace(&name, *r->pattern, r->replacement);
    for (auto& c : name) {
      if (r->case_change == 'L') c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (r->case_change == 'U') c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return name;
  }
  return std::nullopt;
}

}  // namespace brook::security
