#include "broker/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <string_view>

#include "broker/broker.h"

namespace brook::broker {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Kafka's LIST: blank is the empty list, otherwise items split on commas and trimmed.
std::vector<std::string> parse_list(std::string_view s) {
  std::vector<std::string> out;
  s = trim(s);
  if (s.empty()) return out;
  while (true) {
    auto comma = s.find(',');
    out.emplace_back(trim(s.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<int64_t> parse_integer(std::string_view s, int64_t min, int64_t max) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return std::nullopt;
  }
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) return std::nullopt;
  return v;
}

std::optional<bool> parse_boolean(std::string_view s) {
  s = trim(s);
  auto equal = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == y;
           });
  };
  if (equal(s, "true")) return true;
  if (equal(s, "false")) return false;
  return std::nullopt;
}

namespace {

using protocol::records::codec;
using protocol::records::timestamp_type;

constexpr int64_t k_long_max = std::numeric_limits<int64_t>::max();
constexpr int64_t k_long_min = std::numeric_limits<int64_t>::min();
constexpr int64_t k_int_max = std::numeric_limits<int32_t>::max();
constexpr int64_t k_int_min = std::numeric_limits<int32_t>::min();

std::optional<double> parse_double(std::string_view s) {
  std::string t(trim(s));
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || errno == ERANGE || std::isnan(v)) return std::nullopt;
  return v;
}

std::optional<codec> parse_compression(std::string_view s, bool& keep_producer) {
  s = trim(s);
  keep_producer = false;
  if (s == "producer") {
    keep_producer = true;
    return codec::none;
  }
  if (s == "uncompressed" || s == "none") return codec::none;
  if (s == "gzip") return codec::gzip;
  if (s == "snappy") return codec::snappy;
  if (s == "lz4") return codec::lz4;
  if (s == "zstd") return codec::zstd;
  return std::nullopt;
}

std::string render_compression(const storage::log_config& c) {
  if (c.keep_producer_compression) return "producer";
  switch (c.compression) {
    case codec::none:
      return "uncompressed";
    case codec::gzip:
      return "gzip";
    case codec::snappy:
      return "snappy";
    case codec::lz4:
      return "lz4";
    case codec::zstd:
      return "zstd";
  }
  return "producer";
}

std::string render_cleanup_policy(const storage::log_config& c) {
  if (c.compact && c.delete_retention) return "compact,delete";
  if (c.compact) return "compact";
  if (c.delete_retention) return "delete";
  return "";
}

// Kafka's ConfigDef types, as named in its messages.
enum class config_type { int_, long_, boolean, double_, string, list, replica_list };

struct topic_config_def {
  std::string_view name;
  config_type type;
  // INT and LONG: the accepted range, as Kafka's Range validator states it.
  int64_t min = k_long_min;
  int64_t max = k_long_max;
  // INT: a value outside [min, max] that is accepted too (gzip's -1, "default level").
  std::optional<int64_t> also;
  // STRING and LIST: the accepted values, in Kafka's order; empty: anything.
  std::vector<std::string_view> choices;
  // The broker's effective default, rendered as Kafka renders it.
  std::string (*default_value)(const storage::log_config&);
};

std::string num(int64_t v) { return std::to_string(v); }

// Java's Double.toString for the values a ratio takes: "0.5", "1.0", "1.0E-4".
std::string java_double(double v) {
  if (v != 0 && std::fabs(v) < 1e-3) {
    auto s = fmt::format("{:E}", v);  // 1.000000E-04
    auto e = s.find('E');
    auto mantissa = s.substr(0, e);
    while (mantissa.back() == '0') mantissa.pop_back();
    if (mantissa.back() == '.') mantissa += '0';
    return mantissa + "E" + std::to_string(std::stoi(s.substr(e + 1)));
  }
  auto s = fmt::format("{}", v);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

const std::vector<topic_config_def>& topic_configs() {
  using t = config_type;
  using lc = storage::log_config;
  static const std::vector<topic_config_def> defs = [] {
    std::vector<topic_config_def> d = {
        {"cleanup.policy",
         t::list,
         k_long_min,
         k_long_max,
         {},
         {"compact", "delete"},
         [](const lc& c) { return render_cleanup_policy(c); }},
        {"compression.gzip.level",
         t::int_,
         1,
         9,
         -1,
         {},
         [](const lc& c) { return num(c.compression_gzip_level); }},
        {"compression.lz4.level",
         t::int_,
         1,
         17,
         {},
         {},
         [](const lc& c) { return num(c.compression_lz4_level); }},
        {"compression.type",
         t::string,
         k_long_min,
         k_long_max,
         {},
         {"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"},
         [](const lc& c) { return render_compression(c); }},
        {"compression.zstd.level",
         t::int_,
         -131072,
         22,
         {},
         {},
         [](const lc& c) { return num(c.compression_zstd_level); }},
        {"delete.retention.ms",
         t::long_,
         0,
         k_long_max,
         {},
         {},
         [](const lc& c) { return num(c.delete_retention_ms); }},
        {"errors.deadletterqueue.group.enable",
         t::boolean,
         k_long_min,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string("false"); }},
        {"file.delete.delay.ms",
         t::long_,
         0,
         k_long_max,
         {},
         {},
         [](const lc& c) { return num(c.file_delete_delay_ms); }},
        {"flush.messages",
         t::long_,
         1,
         k_long_max,
         {},
         {},
         [](const lc& c) { return num(c.flush_messages); }},
        {"flush.ms", t::long_, 0, k_long_max, {}, {}, [](const lc& c) { return num(c.flush_ms); }},
        {"follower.replication.throttled.replicas",
         t::replica_list,
         k_long_min,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string(); }},
        {"index.interval.bytes",
         t::int_,
         0,
         k_int_max,
         {},
         {},
         [](const lc& c) { return num(c.index_interval_bytes); }},
        {"leader.replication.throttled.replicas",
         t::replica_list,
         k_long_min,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string(); }},
        {"local.retention.bytes",
         t::long_,
         -2,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string("-2"); }},
        {"local.retention.ms",
         t::long_,
         -2,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string("-2"); }},
        {"max.compaction.lag.ms",
         t::long_,
         1,
         k_long_max,
         {},
         {},
         [](const lc& c) { return num(c.max_compaction_lag_ms); }},
        {"max.decompressed.message.bytes",
         t::int_,
         1,
         2147483639,
         {},
         {},
         [](const lc&) { return std::string("2147483639"); }},
        {"max.message.bytes",
         t::int_,
         0,
         k_int_max,
         {},
         {},
         [](const lc& c) { return num(c.max_message_bytes); }},
        {"message.timestamp.after.max.ms",
         t::long_,
         0,
         k_long_max,
         {},
         {},
         [](const lc& c) { return num(c.timestamp_after_max_ms); }},
        {"message.timestamp.before.max.ms",
         t::long_,
         0,
         k_long_max,
         {},
         {},
         [](const lc& c) { return num(c.timestamp_before_max_ms); }},
        {"message.timestamp.type",
         t::string,
         k_long_min,
         k_long_max,
         {},
         {"CreateTime", "LogAppendTime"},
         [](const lc& c) {
           return std::string(c.timestamp_type == timestamp_type::log_append_time ? "LogAppendTime"
                                                                                  : "CreateTime");
         }},
        {"min.cleanable.dirty.ratio",
         t::double_,
         0,
         1,
         {},
         {},
         [](const lc& c) { return java_double(c.min_cleanable_dirty_ratio); }},
        {"min.compaction.lag.ms",
         t::long_,
         0,
         k_long_max,
         {},
         {},
         [](const lc& c) { return num(c.min_compaction_lag_ms); }},
        {"min.insync.replicas",
         t::int_,
         1,
         k_int_max,
         {},
         {},
         [](const lc&) { return std::string("1"); }},
        {"preallocate",
         t::boolean,
         k_long_min,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string("false"); }},
        {"remote.copy.lag.bytes",
         t::long_,
         -1,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string("-1"); }},
        {"remote.copy.lag.ms",
         t::long_,
         -1,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string("0"); }},
        {"remote.log.copy.disable",
         t::boolean,
         k_long_min,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string("false"); }},
        {"remote.log.delete.on.disable",
         t::boolean,
         k_long_min,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string("false"); }},
        {"remote.storage.enable",
         t::boolean,
         k_long_min,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string("false"); }},
        {"retention.bytes",
         t::long_,
         k_long_min,
         k_long_max,
         {},
         {},
         [](const lc& c) { return num(c.retention_bytes); }},
        {"retention.ms",
         t::long_,
         -1,
         k_long_max,
         {},
         {},
         [](const lc& c) { return num(c.retention_ms); }},
        {"segment.bytes",
         t::int_,
         14,
         k_int_max,
         {},
         {},
         [](const lc& c) { return num(c.segment_bytes); }},
        {"segment.index.bytes",
         t::int_,
         4,
         k_int_max,
         {},
         {},
         [](const lc& c) { return num(c.segment_index_bytes); }},
        {"segment.jitter.ms",
         t::long_,
         0,
         k_long_max,
         {},
         {},
         [](const lc& c) { return num(c.segment_jitter_ms); }},
        {"segment.ms",
         t::long_,
         1,
         k_long_max,
         {},
         {},
         [](const lc& c) { return num(c.segment_ms); }},
        {"unclean.leader.election.enable",
         t::boolean,
         k_long_min,
         k_long_max,
         {},
         {},
         [](const lc&) { return std::string("false"); }},
    };
    std::sort(d.begin(), d.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return d;
  }();
  return defs;
}

const topic_config_def* find_def(std::string_view name) {
  const auto& defs = topic_configs();
  auto it =
      std::lower_bound(defs.begin(), defs.end(), name,
                       [](const topic_config_def& d, std::string_view n) { return d.name < n; });
  return it != defs.end() && it->name == name ? &*it : nullptr;
}

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// "partition:broker,..." or "*".
bool valid_replica_list(std::string_view value) {
  auto items = parse_list(value);
  if (items.size() == 1 && items[0] == "*") return true;
  for (const auto& item : items) {
    auto colon = item.find(':');
    if (colon == std::string::npos) return false;
    if (!parse_integer(std::string_view(item).substr(0, colon), 0, k_int_max) ||
        !parse_integer(std::string_view(item).substr(colon + 1), 0, k_int_max))
      return false;
  }
  return true;
}

// Empty when valid; else the part of Kafka's message after "configuration <name>: ".
std::string check_value(const topic_config_def& d, const std::string& value) {
  switch (d.type) {
    case config_type::int_:
    case config_type::long_: {
      bool is_int = d.type == config_type::int_;
      auto v =
          parse_integer(value, is_int ? k_int_min : k_long_min, is_int ? k_int_max : k_long_max);
      if (!v) return is_int ? "Not a number of type INT" : "Not a number of type LONG";
      if (d.also && *v == *d.also) return {};
      if (*v < d.min || *v > d.max) {
        if (d.also)
          return fmt::format("Value must be between {} and {} or equal to {}", d.min, d.max,
                             *d.also);
        if (*v < d.min) return fmt::format("Value must be at least {}", d.min);
        return fmt::format("Value must be no more than {}", d.max);
      }
      return {};
    }
    case config_type::double_: {
      auto v = parse_double(value);
      if (!v) return "Not a number of type DOUBLE";
      if (*v < static_cast<double>(d.min)) return fmt::format("Value must be at least {}", d.min);
      if (*v > static_cast<double>(d.max))
        return fmt::format("Value must be no more than {}", d.max);
      return {};
    }
    case config_type::boolean:
      if (!parse_boolean(value)) return "Expected value to be either true or false";
      return {};
    case config_type::string: {
      if (d.choices.empty()) return {};
      auto v = trim(value);
      if (d.name == "compression.type" && v == "none") return {};
      if (std::find(d.choices.begin(), d.choices.end(), v) == d.choices.end())
        return fmt::format("String must be one of: {}", join(d.choices));
      return {};
    }
    case config_type::list:
      for (const auto& item : parse_list(value))
        if (std::find(d.choices.begin(), d.choices.end(), item) == d.choices.end())
          return fmt::format("String must be one of: {}", join(d.choices));
      return {};
    case config_type::replica_list:
      if (!valid_replica_list(value))
        return fmt::format(
            "{} must be the literal '*' or a list of replicas in the following format: "
            "[partitionId]:[brokerId],[partitionId]:[brokerId],...",
            d.name);
      return {};
  }
  return {};
}

template <class T>
void set_integer(T& field, const std::string& value, int64_t min, int64_t max) {
  if (auto v = parse_integer(value, min, max)) field = static_cast<T>(*v);
}

}  // namespace

bool is_topic_config(const std::string& name) { return find_def(name) != nullptr; }

std::string validate_topic_configs(const std::map<std::string, std::string>& configs,
                                   const storage::log_config& defaults) {
  for (const auto& [name, value] : configs) {
    const auto* d = find_def(name);
    if (!d) return fmt::format("Unknown topic config name: {}", name);
    if (auto why = check_value(*d, value); !why.empty())
      return fmt::format("Invalid value {} for configuration {}: {}", value, name, why);
  }
  // Kafka's LogConfig.validateValues, over the broker's defaults.
  const auto c = topic_log_config(defaults, configs);
  if (c.min_compaction_lag_ms > c.max_compaction_lag_ms)
    return fmt::format(
        "conflict topic config setting min.compaction.lag.ms ({}) > "
        "max.compaction.lag.ms ({})",
        c.min_compaction_lag_ms, c.max_compaction_lag_ms);
  return {};
}

storage::log_config topic_log_config(const storage::log_config& defaults,
                                     const std::map<std::string, std::string>& configs) {
  storage::log_config c = defaults;
  auto get = [&](const char* name) -> const std::string* {
    auto it = configs.find(name);
    return it == configs.end() ? nullptr : &it->second;
  };
  if (auto v = get("segment.bytes")) set_integer(c.segment_bytes, *v, 14, k_int_max);
  if (auto v = get("segment.ms")) set_integer(c.segment_ms, *v, 1, k_long_max);
  if (auto v = get("segment.jitter.ms")) set_integer(c.segment_jitter_ms, *v, 0, k_long_max);
  if (auto v = get("retention.ms")) {
    if (auto n = parse_integer(*v, k_long_min, k_long_max)) c.retention_ms = *n < 0 ? -1 : *n;
  }
  if (auto v = get("retention.bytes")) {
    if (auto n = parse_integer(*v, k_long_min, k_long_max)) c.retention_bytes = *n < 0 ? -1 : *n;
  }
  if (auto v = get("index.interval.bytes")) set_integer(c.index_interval_bytes, *v, 0, k_int_max);
  if (auto v = get("segment.index.bytes")) set_integer(c.segment_index_bytes, *v, 4, k_int_max);
  if (auto v = get("flush.messages")) set_integer(c.flush_messages, *v, 1, k_long_max);
  if (auto v = get("flush.ms")) set_integer(c.flush_ms, *v, 0, k_long_max);
  if (auto v = get("file.delete.delay.ms")) set_integer(c.file_delete_delay_ms, *v, 0, k_long_max);
  if (auto v = get("max.message.bytes")) set_integer(c.max_message_bytes, *v, 0, k_int_max);
  if (auto v = get("message.timestamp.type")) {
    auto s = trim(*v);
    if (s == "CreateTime") c.timestamp_type = timestamp_type::create_time;
    if (s == "LogAppendTime") c.timestamp_type = timestamp_type::log_append_time;
  }
  if (auto v = get("message.timestamp.before.max.ms"))
    set_integer(c.timestamp_before_max_ms, *v, 0, k_long_max);
  if (auto v = get("message.timestamp.after.max.ms"))
    set_integer(c.timestamp_after_max_ms, *v, 0, k_long_max);
  if (auto v = get("compression.type")) {
    bool keep = false;
    if (auto codec = parse_compression(*v, keep)) {
      c.keep_producer_compression = keep;
      c.compression = *codec;
    }
  }
  if (auto v = get("compression.gzip.level")) {
    if (auto n = parse_integer(*v, -1, 9); n && *n != 0) c.compression_gzip_level = int(*n);
  }
  if (auto v = get("compression.lz4.level")) set_integer(c.compression_lz4_level, *v, 1, 17);
  if (auto v = get("compression.zstd.level"))
    set_integer(c.compression_zstd_level, *v, -131072, 22);
  if (auto v = get("delete.retention.ms")) set_integer(c.delete_retention_ms, *v, 0, k_long_max);
  if (auto v = get("min.compaction.lag.ms"))
    set_integer(c.min_compaction_lag_ms, *v, 0, k_long_max);
  if (auto v = get("max.compaction.lag.ms"))
    set_integer(c.max_compaction_lag_ms, *v, 1, k_long_max);
  if (auto v = get("min.cleanable.dirty.ratio")) {
    if (auto d = parse_double(*v); d && *d >= 0 && *d <= 1) c.min_cleanable_dirty_ratio = *d;
  }
  if (auto v = get("cleanup.policy")) {
    bool compact = false, del = false, valid = true;
    for (const auto& item : parse_list(*v)) {
      if (item == "compact")
        compact = true;
      else if (item == "delete")
        del = true;
      else
        valid = false;
    }
    if (valid) {
      c.compact = compact;
      c.delete_retention = del;
    }
  }
  return c;
}

namespace {

int8_t kafka_config_type(config_type t) {
  switch (t) {
    case config_type::boolean:
      return 1;
    case config_type::string:
      return 2;
    case config_type::int_:
      return 3;
    case config_type::long_:
      return 5;
    case config_type::double_:
      return 6;
    case config_type::list:
    case config_type::replica_list:
      return k_config_type_list;
  }
  return 0;
}

// The broker settings behind a topic config, the one that wins first (Kafka's
// LogConfig.TopicConfigSynonyms with the retention and roll fallbacks).
std::vector<std::string_view> broker_synonyms(std::string_view topic_config) {
  static const std::map<std::string_view, std::vector<std::string_view>> synonyms = {
      {"cleanup.policy", {"log.cleanup.policy"}},
      {"compression.gzip.level", {"compression.gzip.level"}},
      {"compression.lz4.level", {"compression.lz4.level"}},
      {"compression.type", {"compression.type"}},
      {"compression.zstd.level", {"compression.zstd.level"}},
      {"delete.retention.ms", {"log.cleaner.delete.retention.ms"}},
      {"file.delete.delay.ms", {"log.segment.delete.delay.ms"}},
      {"flush.messages", {"log.flush.interval.messages"}},
      {"flush.ms", {"log.flush.interval.ms", "log.flush.scheduler.interval.ms"}},
      {"index.interval.bytes", {"log.index.interval.bytes"}},
      {"local.retention.bytes", {"log.local.retention.bytes"}},
      {"local.retention.ms", {"log.local.retention.ms"}},
      {"max.compaction.lag.ms", {"log.cleaner.max.compaction.lag.ms"}},
      {"max.message.bytes", {"message.max.bytes"}},
      {"message.timestamp.after.max.ms", {"log.message.timestamp.after.max.ms"}},
      {"message.timestamp.before.max.ms", {"log.message.timestamp.before.max.ms"}},
      {"message.timestamp.type", {"log.message.timestamp.type"}},
      {"min.cleanable.dirty.ratio", {"log.cleaner.min.cleanable.ratio"}},
      {"min.compaction.lag.ms", {"log.cleaner.min.compaction.lag.ms"}},
      {"min.insync.replicas", {"min.insync.replicas"}},
      {"preallocate", {"log.preallocate"}},
      {"retention.bytes", {"log.retention.bytes"}},
      {"retention.ms", {"log.retention.ms", "log.retention.minutes", "log.retention.hours"}},
      {"segment.bytes", {"log.segment.bytes"}},
      {"segment.index.bytes", {"log.index.size.max.bytes"}},
      {"segment.jitter.ms", {"log.roll.jitter.ms", "log.roll.jitter.hours"}},
      {"segment.ms", {"log.roll.ms", "log.roll.hours"}},
      {"unclean.leader.election.enable", {"unclean.leader.election.enable"}},
  };
  auto it = synonyms.find(topic_config);
  return it == synonyms.end() ? std::vector<std::string_view>{} : it->second;
}

// The built-in default of a broker setting behind a topic config; none for the settings Kafka
// leaves unset so that a coarser one decides (log.retention.ms, log.roll.ms, ...).
std::optional<std::string> builtin_broker_default(std::string_view name,
                                                  const topic_config_def& d) {
  if (name == "log.retention.ms" || name == "log.retention.minutes" || name == "log.roll.ms" ||
      name == "log.roll.jitter.ms" || name == "log.flush.interval.ms")
    return std::nullopt;
  if (name == "log.retention.hours" || name == "log.roll.hours") return std::string("168");
  if (name == "log.roll.jitter.hours") return std::string("0");
  if (name == "log.flush.scheduler.interval.ms") return std::to_string(k_long_max);
  return d.default_value(storage::log_config{});
}

bool is_sensitive(std::string_view name) {
  return name.find("password") != std::string_view::npos ||
         name.find("sasl.jaas.config") != std::string_view::npos || name.ends_with(".secret") ||
         name.find("secret.key") != std::string_view::npos || name.ends_with("ssl.keystore.key");
}

std::vector<config_entry> describe_topic_configs(
    const storage::log_config& defaults, const std::map<std::string, std::string>& configs,
    const std::map<std::string, std::string>* static_configs) {
  std::vector<config_entry> out;
  for (const auto& d : topic_configs()) {
    config_entry e;
    e.name = std::string(d.name);
    e.type = kafka_config_type(d.type);
    if (auto it = configs.find(e.name); it != configs.end())
      e.synonyms.push_back({e.name,
                            std::string(trim(it->second)),
                            false,
                            k_config_source_dynamic_topic,
                            false,
                            e.type,
                            {}});
    // Kafka's order: the broker's static settings, then built-in defaults, each over every
    // synonym name; entries before the first one named like the main synonym are dropped
    // (ConfigHelper.configSynonyms), so log.retention.hours' default alone lists nothing.
    auto names = broker_synonyms(d.name);
    std::vector<config_entry> broker_side;
    if (static_configs)
      for (auto name : names)
        if (auto it = static_configs->find(std::string(name)); it != static_configs->end())
          broker_side.push_back({std::string(name),
                                 std::string(trim(it->second)),
                                 false,
                                 k_config_source_static_broker,
                                 false,
                                 e.type,
                                 {}});
    for (auto name : names)
      if (auto v = builtin_broker_default(name, d))
        broker_side.push_back(
            {std::string(name), std::move(*v), false, k_config_source_default, false, e.type, {}});
    if (!names.empty()) {
      auto first = std::find_if(broker_side.begin(), broker_side.end(),
                                [&](const config_entry& s) { return s.name == names.front(); });
      e.synonyms.insert(e.synonyms.end(), std::make_move_iterator(first),
                        std::make_move_iterator(broker_side.end()));
    }
    // The value is the effective one (a static log.retention.hours gives retention.ms in ms).
    e.value = e.synonyms.empty() || e.synonyms.front().source != k_config_source_dynamic_topic
                  ? d.default_value(defaults)
                  : e.synonyms.front().value;
    e.source = e.synonyms.empty() ? k_config_source_default : e.synonyms.front().source;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::vector<config_entry> describe_topic_configs(
    const storage::log_config& defaults, const std::map<std::string, std::string>& configs) {
  return describe_topic_configs(defaults, configs, nullptr);
}

std::vector<config_entry> describe_topic_configs(const broker& b, const topic_info& t) {
  return describe_topic_configs(b.options().log_defaults, t.configs, &b.options().static_configs);
}

int8_t topic_config_type(const std::string& name) {
  const auto* d = find_def(name);
  return d ? kafka_config_type(d->type) : 0;
}

std::string broker_synonym(const std::string& topic_config) {
  auto names = broker_synonyms(topic_config);
  return names.empty() ? std::string() : std::string(names.front());
}

std::vector<config_entry> describe_broker_configs(const broker& b) {
  const auto& o = b.options();
  std::map<std::string, config_entry> by_name;
  auto add = [&](std::string name, std::optional<std::string> value, int8_t source, int8_t type) {
    config_entry e;
    e.name = name;
    e.read_only = true;
    e.sensitive = is_sensitive(name);
    e.value = e.sensitive ? std::nullopt : std::move(value);
    e.source = source;
    e.type = type;
    e.synonyms.push_back({e.name, e.value, true, source, e.sensitive, type, {}});
    by_name.emplace(std::move(name), std::move(e));
  };
  for (const auto& [name, value] : o.static_configs)
    add(name, std::string(trim(value)), k_config_source_static_broker, 0);
  for (const auto& d : topic_configs()) {
    auto names = broker_synonyms(d.name);
    if (!names.empty())
      add(std::string(names.front()), d.default_value(o.log_defaults), k_config_source_default,
          kafka_config_type(d.type));
  }
  add("node.id", std::to_string(o.node_id), k_config_source_default, 3);
  add("broker.id", std::to_string(o.node_id), k_config_source_default, 3);
  add("log.dirs", o.log_dir.string(), k_config_source_default, 2);
  add("num.partitions", std::to_string(o.num_partitions), k_config_source_default, 3);
  add("auto.create.topics.enable", o.auto_create_topics ? "true" : "false", k_config_source_default,
      1);
  add("delete.topic.enable", o.delete_topic_enable ? "true" : "false", k_config_source_default, 1);
  std::vector<config_entry> out;
  for (auto& [name, e] : by_name) out.push_back(std::move(e));
  return out;
}

}  // namespace brook::broker
