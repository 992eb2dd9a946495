#include "client/oauth.h"

#include <fmt/format.h>

#include <algorithm>
#include <asio/ssl.hpp>
#include <charconv>
#include <cmath>

#include "client/errors.h"
#include "client/sasl.h"

namespace brook::client {

namespace {

using protocol::error_code;

[[noreturn]] void refused(const std::string& why) {
  throw kafka_error(error_code::sasl_authentication_failed, why);
}

// A bounded JSON reader: enough to pick the scalar members of one object.
class json_reader {
 public:
  explicit json_reader(std::string_view text) : _s(text) {}

  std::optional<std::map<std::string, std::string>> object_scalars() {
    std::map<std::string, std::string> out;
    space();
    if (!eat('{')) return std::nullopt;
    space();
    if (eat('}')) return finish(std::move(out));
    for (;;) {
      space();
      auto key = string();
      if (!key) return std::nullopt;
      space();
      if (!eat(':')) return std::nullopt;
      space();
      if (peek() == '"') {
        auto v = string();
        if (!v) return std::nullopt;
        out.insert_or_assign(std::move(*key), std::move(*v));
      } else if (peek() == '-' || (peek() >= '0' && peek() <= '9')) {
        const size_t start = _i;
        while (_i < _s.size() &&
               std::string_view("+-.eE0123456789").find(_s[_i]) != std::string_view::npos)
          ++_i;
        out.insert_or_assign(std::move(*key), std::string(_s.substr(start, _i - start)));
      } else if (!skip_value(0)) {
        return std::nullopt;
      }
      space();
      if (eat('}')) return finish(std::move(out));
      if (!eat(',')) return std::nullopt;
    }
  }

 private:
  std::optional<std::map<std::string, std::string>> finish(std::map<std::string, std::string> m) {
    space();
    if (_i != _s.size()) return std::nullopt;
    return m;
  }
  char peek() const { return _i < _s.size() ? _s[_i] : '\0'; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++_i;
    return true;
  }
  void space() {
    while (_i < _s.size() && (_s[_i] == ' ' || _s[_i] == '\t' || _s[_i] == '\n' || _s[_i] == '\r'))
      ++_i;
  }
  static void utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  std::optional<uint32_t> hex4() {
    if (_i + 4 > _s.size()) return std::nullopt;
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(_s.data() + _i, _s.data() + _i + 4, v, 16);
    if (ec != std::errc() || end != _s.data() + _i + 4) return std::nullopt;
    _i += 4;
    return v;
  }
  std::optional<std::string> string() {
    if (!eat('"')) return std::nullopt;
    std::string out;
    while (_i < _s.size()) {
      const char c = _s[_i++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (_i >= _s.size()) return std::nullopt;
      const char e = _s[_i++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
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
          auto cp = hex4();
          if (!cp) return std::nullopt;
          if (*cp >= 0xD800 && *cp < 0xDC00 && _s.substr(_i, 2) == "\\u") {
            _i += 2;
            auto low = hex4();
            if (!low || *low < 0xDC00 || *low >= 0xE000) return std::nullopt;
            *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
          }
          utf8(out, *cp);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }
  // Skips an object, array or literal (nested at most 64 deep).
  bool skip_value(int depth) {
    if (depth > 64) return false;
    space();
    const char c = peek();
    if (c == '"') return string().has_value();
    if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      ++_i;
      space();
      if (eat(close)) return true;
      for (;;) {
        space();
        if (c == '{') {
          if (!string()) return false;
          space();
          if (!eat(':')) return false;
        }
        if (!skip_value(depth + 1)) return false;
        space();
        if (eat(close)) return true;
        if (!eat(',')) return false;
      }
    }
    for (std::string_view word : {"true", "false", "null"}) {
      if (_s.substr(_i, word.size()) == word) {
        _i += word.size();
        return true;
      }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      while (_i < _s.size() &&
             std::string_view("+-.eE0123456789").find(_s[_i]) != std::string_view::npos)
        ++_i;
      return true;
    }
    return false;
  }

  std::string_view _s;
  size_t _i = 0;
};

std::optional<double> number(const std::map<std::string, std::string>& m, const std::string& key) {
  const auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || end != it->second.data() + it->second.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

// The claims of a compact JWT, or nullopt when the token is not one.
std::optional<std::map<std::string, std::string>> jwt_claims(std::string_view token) {
  const size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string payload(token.substr(first + 1, second - first - 1));
  for (char& c : payload) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (payload.size() % 4 != 0) payload += '=';
  try {
    const auto bytes = base64_decode(payload);
    return json_object_scalars(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const kafka_error&) {
    return std::nullopt;
  }
}

bool extension_name_ok(std::string_view name) {
  if (name.empty() || name == "auth") return false;
  for (char c : name)
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  return true;
}

bool extension_value_ok(std::string_view value) {
  for (char c : value)
    if (!((c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n'))
      return false;
  return true;
}

}  // namespace

std::optional<std::map<std::string, std::string>> json_object_scalars(std::string_view json) {
  return json_reader(json).object_scalars();
}

access_token parse_token_response(std::string_view json,
                                  std::chrono::system_clock::time_point now) {
  const auto members = json_object_scalars(json);
  if (!members) refused("the token endpoint's answer is not a JSON object");
  const auto token = members->find("access_token");
  if (token == members->end() || token->second.empty())
    refused("the token endpoint's answer has no access_token");
  access_token out;
  out.value = token->second;
  for (char c : out.value)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) > 0x7e)
      refused("the access_token has characters a bearer token may not have");
  if (const auto seconds = number(*members, "expires_in")) {
    if (*seconds <= 0 || *seconds > 1e9) refused("the token endpoint's expires_in is out of range");
    out.expires_at = now + std::chrono::milliseconds(static_cast<int64_t>(*seconds * 1000));
    return out;
  }
  // Without expires_in, the JWT's own exp claim (seconds since the epoch).
  if (const auto claims = jwt_claims(out.value)) {
    if (const auto exp = number(*claims, "exp"); exp && *exp > 0 && *exp < 1e12) {
      out.expires_at = std::chrono::system_clock::time_point(
          std::chrono::milliseconds(static_cast<int64_t>(*exp * 1000)));
      return out;
    }
  }
  refused("the token endpoint's answer has no expires_in and the token no exp claim");
}

oauth_token_source::oauth_token_source(oidc_settings settings) : _settings(std::move(settings)) {}

asio::awaitable<std::string> oauth_token_source::token() {
  for (;;) {
    if (_current && std::chrono::system_clock::now() < _refresh_at) co_return _current->value;
    if (!_fetched) break;
    // Another connection is fetching: wait for its end, then look again (after a failure, this
    // one tries for itself).
    const auto fetched = _fetched;
    std::error_code ignored;
    co_await fetched->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  _fetched = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                  asio::steady_timer::time_point::max());
  struct done_fetching {
    oauth_token_source* self;
    ~done_fetching() {
      self->_fetched->cancel();
      self->_fetched.reset();
    }
  } done{this};
  const auto issued = std::chrono::system_clock::now();
  access_token fresh = co_await fetch();
  const auto life = fresh.expires_at - issued;
  _refresh_at = issued + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             life * _settings.refresh_window_factor);
  _current = std::move(fresh);
  co_return _current->value;
}

asio::awaitable<access_token> oauth_token_source::fetch() {
  const http_url url = parse_http_url(_settings.token_endpoint_url);
  const std::string credentials =
      _settings.urlencode_credentials
          ? form_urlencode(_settings.client_id) + ":" + form_urlencode(_settings.client_secret)
          : _settings.client_id + ":" + _settings.client_secret;
  std::vector<std::pair<std::string, std::string>> headers{
      {"Authorization",
       "Basic " + base64_encode(std::span<const uint8_t>(
                      reinterpret_cast<const uint8_t*>(credentials.data()), credentials.size()))},
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Accept", "application/json"},
      {"Cache-Control", "no-cache"}};
  std::string body = "grant_type=client_credentials";
  if (!_settings.scope.empty()) body += "&scope=" + form_urlencode(_settings.scope);
  const auto now = std::chrono::system_clock::now();
  const http_response r = co_await http_request("POST", url, headers, body, _settings.http);
  if (r.status != 200) {
    // OAuth's error answer: {"error": "...", "error_description": "..."}.
    std::string detail;
    if (const auto m = json_object_scalars(r.body)) {
      if (const auto e = m->find("error"); e != m->end()) detail = e->second;
      if (const auto d = m->find("error_description"); d != m->end())
        detail += (detail.empty() ? "" : ": ") + d->second;
    }
    if (detail.empty()) detail = r.body.substr(0, 200);
    refused(fmt::format("the token endpoint {} answered HTTP {}{}", _settings.token_endpoint_url,
                        r.status, detail.empty() ? "" : " (" + detail + ")"));
  }
  co_return parse_token_response(r.body, now);
}

std::vector<std::pair<std::string, std::string>> read_oauth_extensions(const config& settings) {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](std::string name, std::string value) {
    if (!extension_name_ok(name))
      throw config_error(
          fmt::format("SASL extension name '{}' is not letters only (or is auth)", name));
    if (!extension_value_ok(value))
      throw config_error(fmt::format("SASL extension {}'s value has forbidden characters", name));
    out.emplace_back(std::move(name), std::move(value));
  };
  for (const auto& item : settings.get_list("sasl.oauthbearer.extensions")) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw config_error(fmt::format("sasl.oauthbearer.extensions: '{}' is not name=value", item));
    add(item.substr(0, eq), item.substr(eq + 1));
  }
  if (const std::string jaas = settings.get_string("sasl.jaas.config"); !jaas.empty())
    for (auto& [k, v] : parse_jaas_options(jaas))
      if (k.starts_with("extension_")) add(k.substr(10), std::move(v));
  return out;
}

std::optional<oidc_settings> read_oidc_settings(const config& settings) {
  // Java names the code that gets tokens; only its own token endpoint clients are known here.
  auto foreign = [&](std::string_view key, std::initializer_list<std::string_view> known) {
    const std::string name = settings.get_string(key);
    const std::string_view simple = std::string_view(name).substr(name.rfind('.') + 1);
    if (!name.empty() && std::find(known.begin(), known.end(), simple) == known.end())
      throw config_error(fmt::format("{}: '{}' is a Java class this client cannot run", key, name));
  };
  foreign("sasl.login.callback.handler.class", {"OAuthBearerLoginCallbackHandler"});
  foreign("sasl.oauthbearer.jwt.retriever.class",
          {"ClientCredentialsJwtRetriever", "DefaultJwtRetriever"});
  oidc_settings s;
  s.token_endpoint_url = settings.get_string("sasl.oauthbearer.token.endpoint.url");
  const std::string method = settings.get_string("sasl.oauthbearer.method");
  if (method != "default" && method != "oidc")
    throw config_error(
        fmt::format("sasl.oauthbearer.method: '{}' is neither default nor oidc", method));
  if (s.token_endpoint_url.empty()) {
    if (method == "oidc")
      throw config_error(
          "sasl.oauthbearer.token.endpoint.url: sasl.oauthbearer.method=oidc needs the token "
          "endpoint");
    return std::nullopt;
  }
  parse_http_url(s.token_endpoint_url);  // refuses other schemes now, not at the first connect
  s.client_id = settings.get_string("sasl.oauthbearer.client.id");
  if (s.client_id.empty())
    s.client_id = settings.get_string("sasl.oauthbearer.client.credentials.client.id");
  s.client_secret = settings.get_string("sasl.oauthbearer.client.secret");
  if (s.client_secret.empty())
    s.client_secret = settings.get_string("sasl.oauthbearer.client.credentials.client.secret");
  s.scope = settings.get_string("sasl.oauthbearer.scope");
  if (const std::string jaas = settings.get_string("sasl.jaas.config"); !jaas.empty()) {
    for (auto& [k, v] : parse_jaas_options(jaas)) {
      if (k == "clientId" && s.client_id.empty()) s.client_id = std::move(v);
      if (k == "clientSecret" && s.client_secret.empty()) s.client_secret = std::move(v);
      if (k == "scope" && s.scope.empty()) s.scope = std::move(v);
    }
  }
  if (s.client_id.empty())
    throw config_error(
        "sasl.oauthbearer.client.id: the token endpoint needs a client id (or clientId= in "
        "sasl.jaas.config)");
  if (s.client_secret.empty())
    throw config_error(
        "sasl.oauthbearer.client.secret: the token endpoint needs a client secret (or "
        "clientSecret= in sasl.jaas.config)");
  s.urlencode_credentials = settings.get_bool("sasl.oauthbearer.header.urlencode");
  if (settings.contains("sasl.login.connect.timeout.ms"))
    s.http.connect_timeout = settings.get_ms("sasl.login.connect.timeout.ms");
  if (settings.contains("sasl.login.read.timeout.ms"))
    s.http.read_timeout = settings.get_ms("sasl.login.read.timeout.ms");
  const std::string factor = settings.get_string("sasl.login.refresh.window.factor");
  double f = 0;
  auto [end, ec] = std::from_chars(factor.data(), factor.data() + factor.size(), f);
  if (ec != std::errc() || end != factor.data() + factor.size() || f < 0.5 || f > 1.0)
    throw config_error(fmt::format(
        "sasl.login.refresh.window.factor: '{}' is not a number from 0.5 to 1.0", factor));
  s.refresh_window_factor = f;
  if (parse_http_url(s.token_endpoint_url).https) {
    auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    tls->set_verify_mode(asio::ssl::verify_peer);
    try {
      if (const std::string ca = settings.get_string("https.ca.location"); !ca.empty())
        tls->load_verify_file(ca);
      else
        tls->set_default_verify_paths();
    } catch (const std::system_error& e) {
      throw config_error(fmt::format("https.ca.location: {}", e.what()));
    }
    s.http.tls = std::move(tls);
  }
  return s;
}

}  // namespace brook::client
