#include "cli/cli.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <ostream>

#include "protocol/wire/json.h"

namespace brook::cli {

namespace {

// Options every command takes.
const std::vector<option_spec> k_common = {
    {"bootstrap-server", 'b', true},
    {"command-config", 0, true},
    {"json", 0, false},
    {"help", 'h', false},
};
// -X key=value is handled apart: its value is the next word, and it repeats.

const option_spec* find_spec(const std::vector<option_spec>& spec, std::string_view name,
                             char short_name) {
  for (const auto* list : {&k_common, &spec})
    for (const auto& o : *list)
      if ((!name.empty() && o.name == name) || (short_name && o.short_name == short_name))
        return &o;
  return nullptr;
}

void json_cell(wire::json_writer& j, const cell& c) {
  if (std::holds_alternative<std::monostate>(c)) {
    j.null();
  } else if (const auto* s = std::get_if<std::string>(&c)) {
    j.value(std::string_view(*s));
  } else if (const auto* i = std::get_if<int64_t>(&c)) {
    j.value(*i);
  } else if (const auto* b = std::get_if<bool>(&c)) {
    j.value(*b);
  } else if (const auto* d = std::get_if<double>(&c)) {
    j.value(*d);
  } else {
    j.begin_array();
    for (int32_t v : std::get<std::vector<int32_t>>(c)) j.value(v);
    j.end_array();
  }
}

std::string text_cell(const cell& c) {
  if (std::holds_alternative<std::monostate>(c)) return "-";
  if (const auto* s = std::get_if<std::string>(&c)) return s->empty() ? "-" : *s;
  if (const auto* i = std::get_if<int64_t>(&c)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&c)) return *b ? "yes" : "no";
  if (const auto* d = std::get_if<double>(&c)) return fmt::format("{}", *d);
  std::string out;
  for (int32_t v : std::get<std::vector<int32_t>>(c))
    out += fmt::format("{}{}", out.empty() ? "" : ",", v);
  return out;
}

}  // namespace

context::context(std::vector<std::string> args, const std::vector<option_spec>& spec) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      _positional.insert(_positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a == "-X" || (a.size() > 2 && a.starts_with("-X"))) {
      std::string v = a.size() > 2 ? a.substr(2) : "";
      if (v.empty()) {
        if (i + 1 >= args.size()) throw usage_error("-X needs key=value");
        v = args[++i];
      }
      _options["X"].push_back(v);
      continue;
    }
    if (a.size() < 2 || a[0] != '-' || (a[1] >= '0' && a[1] <= '9')) {
      _positional.push_back(a);
      continue;
    }
    std::string name;
    std::optional<std::string> inline_value;
    const option_spec* o = nullptr;
    if (a.starts_with("--")) {
      name = a.substr(2);
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
      }
      o = find_spec(spec, name, 0);
    } else {
      if (a.size() > 2) inline_value = a.substr(2);
      o = find_spec(spec, "", a[1]);
    }
    if (!o) throw usage_error(fmt::format("unknown option '{}'", a));
    if (!o->takes_value) {
      if (inline_value) throw usage_error(fmt::format("--{} takes no value", o->name));
      _options[std::string(o->name)].push_back("");
      continue;
    }
    if (!inline_value && o->value_optional &&
        (i + 1 >= args.size() || args[i + 1].starts_with("-"))) {
      _options[std::string(o->name)].push_back("");
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) throw usage_error(fmt::format("--{} needs a value", o->name));
      inline_value = args[++i];
    }
    _options[std::string(o->name)].push_back(*inline_value);
  }
}

bool context::has(std::string_view name) const { return _options.count(name) > 0; }

std::vector<std::string> context::all(std::string_view name) const {
  auto it = _options.find(name);
  return it == _options.end() ? std::vector<std::string>{} : it->second;
}

std::optional<std::string> context::get(std::string_view name) const {
  auto it = _options.find(name);
  if (it == _options.end() || it->second.empty() || it->second.back().empty()) return std::nullopt;
  return it->second.back();
}

std::string context::need(std::string_view name) const {
  if (auto v = get(name)) return *v;
  throw usage_error(fmt::format("--{} is required", name));
}

std::optional<int64_t> context::get_int(std::string_view name) const {
  auto v = get(name);
  if (!v) return std::nullopt;
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (v->empty() || ec != std::errc() || end != v->data() + v->size())
    throw usage_error(fmt::format("--{}: '{}' is not a number", name, *v));
  return out;
}

client::config context::settings() const {
  client::config c;
  if (auto b = get("bootstrap-server")) {
    c.set("bootstrap.servers", *b);
  } else if (const char* env = std::getenv("BROOK_BOOTSTRAP"); env && *env) {
    c.set("bootstrap.servers", env);
  } else {
    c.set("bootstrap.servers", "127.0.0.1:9092");
  }
  c.set("client.id", "brook-cli");
  if (auto file = get("command-config")) {
    const auto from_file = client::config::from_properties_file(*file);
    for (const auto& [k, v] : from_file.entries()) c.set(k, v);
  }
  for (const auto& kv : all("X")) {
    auto [k, v] = split_key_value(kv, "-X");
    c.set(k, v);
  }
  return c;
}

client::admin& context::admin() {
  if (!_admin) {
    client::config c = settings();
    if (_shared_settings) c = c.for_roles(client::common | client::admin_role);
    _admin = std::make_unique<client::admin>(std::move(c));
  }
  return *_admin;
}

std::string table::to_json() const {
  wire::json_writer j;
  j.begin_array();
  for (const auto& row : _rows) {
    j.begin_object();
    for (size_t i = 0; i < _columns.size() && i < row.size(); ++i) {
      j.key(_columns[i]);
      json_cell(j, row[i]);
    }
    j.end_object();
  }
  j.end_array();
  return j.take();
}

void table::print(std::ostream& out, bool json) const {
  if (json) {
    out << to_json() << "\n";
    return;
  }
  std::vector<std::vector<std::string>> text;
  std::vector<std::string> header;
  for (const auto& c : _columns) {
    std::string h = c;
    for (auto& ch : h) ch = ch == '_' ? ' ' : static_cast<char>(std::toupper(ch));
    header.push_back(h);
  }
  text.push_back(header);
  for (const auto& row : _rows) {
    std::vector<std::string> t;
    for (const auto& c : row) t.push_back(text_cell(c));
    text.push_back(std::move(t));
  }
  std::vector<size_t> width(_columns.size(), 0);
  for (const auto& row : text)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  for (const auto& row : text) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

void report(context& ctx, const std::string& text,
            const std::vector<std::pair<std::string, cell>>& fields) {
  if (!ctx.json()) {
    fmt::print("{}\n", text);
    return;
  }
  wire::json_writer j;
  j.begin_object();
  for (const auto& [k, v] : fields) {
    j.key(k);
    json_cell(j, v);
  }
  j.end_object();
  fmt::print("{}\n", j.str());
}

std::pair<std::string, std::string> split_key_value(const std::string& text,
                                                    std::string_view what) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw usage_error(fmt::format("{}: '{}' is not key=value", what, text));
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::vector<int32_t> parse_int_list(const std::string& text, std::string_view what) {
  std::vector<int32_t> out;
  std::string_view rest = text;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    int32_t v = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size())
      throw usage_error(fmt::format("{}: '{}' is not a list of numbers", what, text));
    out.push_back(v);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace brook::cli
