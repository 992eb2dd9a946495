#include "broker/group_configs.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <regex>
#include <set>

namespace brook::broker {

namespace {

enum class gtype { int_, long_, boolean, string, list };

constexpr int64_t k_none = std::numeric_limits<int64_t>::min();
constexpr int64_t k_int_min = std::numeric_limits<int32_t>::min();
constexpr int64_t k_int_max = std::numeric_limits<int32_t>::max();

struct group_config_def {
  std::string_view name;
  gtype type;
  // Internal: accepted and described once set, but not listed otherwise.
  bool internal = false;
  // The broker setting that gives the default (the config's synonym), or empty: then the default
  // is `fallback` and the synonym is the config itself.
  std::string_view broker_key;
  std::string_view fallback;
  // INT and LONG: the least value the config's own type accepts (k_none: any).
  int64_t at_least = k_none;
};

// In Kafka's order of definition, which is the order its checks of types and values follow.
const std::vector<group_config_def>& group_configs() {
  using g = gtype;
  static const std::vector<group_config_def> defs{
      {"consumer.session.timeout.ms", g::int_, false, "group.consumer.session.timeout.ms", "", 1},
      {"consumer.heartbeat.interval.ms", g::int_, false, "group.consumer.heartbeat.interval.ms", "",
       1},
      {"consumer.assignment.interval.ms", g::int_, false, "group.consumer.assignment.interval.ms",
       "", 0},
      {"consumer.assignor.offload.enable", g::boolean, true,
       "group.consumer.assignor.offload.enable", ""},
      {"share.session.timeout.ms", g::int_, false, "group.share.session.timeout.ms", "", 1},
      {"share.heartbeat.interval.ms", g::int_, false, "group.share.heartbeat.interval.ms", "", 1},
      {"share.record.lock.duration.ms", g::int_, false, "group.share.record.lock.duration.ms", "",
       1000},
      {"share.delivery.count.limit", g::int_, false, "group.share.delivery.count.limit", "", 2},
      {"share.partition.max.record.locks", g::int_, false, "group.share.partition.max.record.locks",
       "", 100},
      {"share.auto.offset.reset", g::string, false, "", "latest"},
      {"share.isolation.level", g::string, false, "", "read_uncommitted"},
      {"share.renew.acknowledge.enable", g::boolean, false, "", "true"},
      {"share.assignment.interval.ms", g::int_, false, "group.share.assignment.interval.ms", "", 0},
      {"share.assignor.offload.enable", g::boolean, true, "group.share.assignor.offload.enable",
       ""},
      {"streams.session.timeout.ms", g::int_, false, "group.streams.session.timeout.ms", "", 1},
      {"streams.heartbeat.interval.ms", g::int_, false, "group.streams.heartbeat.interval.ms", "",
       1},
      {"streams.num.standby.replicas", g::int_, false, "group.streams.num.standby.replicas", "", 0},
      {"streams.initial.rebalance.delay.ms", g::int_, false,
       "group.streams.initial.rebalance.delay.ms", "", 0},
      {"streams.assignment.interval.ms", g::int_, false, "group.streams.assignment.interval.ms", "",
       0},
      {"streams.assignor.offload.enable", g::boolean, true, "group.streams.assignor.offload.enable",
       ""},
      {"streams.task.offset.interval.ms", g::int_, true, "group.streams.task.offset.interval.ms",
       "", 1},
      {"streams.num.warmup.replicas", g::int_, true, "group.streams.num.warmup.replicas", "", 0},
      {"streams.rack.aware.assignment.tags", g::list, false,
       "group.streams.rack.aware.assignment.tags", ""},
      {"streams.acceptable.recovery.lag", g::long_, true, "group.streams.acceptable.recovery.lag",
       "", 0},
      {"streams.assignor.name", g::string, false, "group.streams.assignors", ""},
      {"errors.deadletterqueue.topic.name", g::string, false, "", ""},
      {"errors.deadletterqueue.copy.record.enable", g::boolean, false, "", "false"},
  };
  return defs;
}

const group_config_def* find_def(std::string_view name) {
  for (const auto& d : group_configs())
    if (d.name == name) return &d;
  return nullptr;
}

int8_t kafka_type(gtype t) {
  switch (t) {
    case gtype::boolean:
      return 1;
    case gtype::string:
      return 2;
    case gtype::int_:
      return 3;
    case gtype::long_:
      return 5;
    case gtype::list:
      return 7;
  }
  return 0;
}

// Java's Duration.parse (ISO-8601 PnDTnHnMn.nS, case-insensitive, signs allowed on the whole and
// on each part), then Kafka's rule that the duration is not negative.
bool valid_reset_duration(const std::string& text) {
  static const std::regex form(
      R"(([-+]?)P(?:([-+]?[0-9]+)D)?(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?)"
      R"((?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?)",
      std::regex::icase);
  std::smatch m;
  if (!std::regex_match(text, m, form)) return false;
  // At least one part, and a T is followed by at least one.
  if (!m[2].matched && !m[4].matched && !m[5].matched && !m[6].matched) return false;
  if (m[3].matched && !m[4].matched && !m[5].matched && !m[6].matched) return false;
  auto part = [&](int i) -> long double { return m[i].matched ? std::stold(m[i].str()) : 0.0L; };
  long double seconds = part(2) * 86400 + part(4) * 3600 + part(5) * 60 + part(6);
  if (m[7].matched && m[7].length() > 0) {
    long double frac = std::stold("0." + m[7].str());
    seconds += (m[6].str().starts_with('-') ? -frac : frac);
  }
  if (m[1].str() == "-") seconds = -seconds;
  return seconds >= 0;
}

bool valid_auto_offset_reset(const std::string& v) {
  if (v == "earliest" || v == "latest") return true;
  constexpr std::string_view prefix = "by_duration:";
  if (!v.starts_with(prefix)) return false;
  return valid_reset_duration(std::string(trim(std::string_view(v).substr(prefix.size()))));
}

std::string invalid_value(std::string_view value, std::string_view name, std::string_view why) {
  return fmt::format("Invalid value {} for configuration {}: {}", value, name, why);
}

// Kafka's ConfigDef.parse of one config: its type, then its own validator.
std::string check_type(const group_config_def& d, const std::string& raw) {
  switch (d.type) {
    case gtype::int_:
    case gtype::long_: {
      const bool is_int = d.type == gtype::int_;
      auto v = parse_integer(raw, is_int ? k_int_min : std::numeric_limits<int64_t>::min(),
                             is_int ? k_int_max : std::numeric_limits<int64_t>::max());
      if (!v)
        return invalid_value(raw, d.name,
                             is_int ? "Not a number of type INT" : "Not a number of type LONG");
      if (d.at_least != k_none && *v < d.at_least)
        return invalid_value(std::to_string(*v), d.name,
                             fmt::format("Value must be at least {}", d.at_least));
      return {};
    }
    case gtype::boolean:
      if (!parse_boolean(raw))
        return invalid_value(raw, d.name, "Expected value to be either true or false");
      return {};
    case gtype::string: {
      const std::string v(trim(raw));
      if (d.name == "share.auto.offset.reset" && !valid_auto_offset_reset(v))
        return invalid_value(
            v, d.name,
            fmt::format("Invalid value `{}` for configuration {}. The value must be either "
                        "'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.",
                        v, d.name));
      if (d.name == "share.isolation.level" && v != "read_committed" && v != "read_uncommitted")
        return invalid_value(v, d.name, "String must be one of: read_committed, read_uncommitted");
      return {};
    }
    case gtype::list:
      return {};
  }
  return {};
}

// The broker setting `key` as a number (Kafka's default when it is missing or not a number).
int64_t setting(const group_settings& broker, std::string_view key) {
  for (const auto* s : {&broker, &default_group_settings()}) {
    auto it = s->find(key);
    if (it == s->end()) continue;
    if (auto v = parse_integer(it->second, std::numeric_limits<int64_t>::min(),
                               std::numeric_limits<int64_t>::max()))
      return *v;
  }
  return 0;
}

std::string broker_value(const group_settings& broker, std::string_view key) {
  auto it = broker.find(key);
  if (it != broker.end()) return it->second;
  it = default_group_settings().find(key);
  return it == default_group_settings().end() ? std::string() : it->second;
}

// The default of a config: its broker setting's value, or its own fallback.
std::string default_value(const group_config_def& d, const group_settings& broker) {
  if (d.broker_key.empty()) return std::string(d.fallback);
  auto v = broker_value(broker, d.broker_key);
  // The assignor a streams group uses by default is the first one the broker lists.
  if (d.name == "streams.assignor.name") {
    auto names = parse_list(v);
    return names.empty() ? std::string() : names.front();
  }
  return v;
}

std::string java_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + "]";
}

// Kafka's checks of values against the broker's settings (GroupConfig.validateValues), for the
// configs present.
std::string check_values(const std::map<std::string, std::string>& configs,
                         const group_settings& broker) {
  auto value = [&](std::string_view key) -> std::optional<int64_t> {
    auto it = configs.find(std::string(key));
    if (it == configs.end()) return std::nullopt;
    return parse_integer(it->second, std::numeric_limits<int64_t>::min(),
                         std::numeric_limits<int64_t>::max());
  };
  std::string bad;
  auto range = [&](std::string_view key, std::string_view min_key, std::string_view max_key) {
    auto v = value(key);
    if (!bad.empty() || !v) return;
    const int64_t lo = setting(broker, min_key), hi = setting(broker, max_key);
    if (*v < lo || *v > hi)
      bad = fmt::format("{} must be in the range {} to {} inclusive.", key, lo, hi);
  };
  auto at_most = [&](std::string_view key, std::string_view max_key) {
    auto v = value(key);
    if (!bad.empty() || !v) return;
    if (const int64_t hi = setting(broker, max_key); *v > hi)
      bad = fmt::format("{} must be less than or equal to {}", key, hi);
  };
  auto at_least = [&](std::string_view key, std::string_view min_key) {
    auto v = value(key);
    if (!bad.empty() || !v) return;
    if (const int64_t lo = setting(broker, min_key); *v < lo)
      bad = fmt::format("{} must be greater than or equal to {}", key, lo);
  };
  auto session_over_heartbeat = [&](std::string_view kind) {
    if (!bad.empty()) return;
    const auto session_key = fmt::format("{}.session.timeout.ms", kind);
    const auto interval_key = fmt::format("{}.heartbeat.interval.ms", kind);
    auto session = value(session_key), interval = value(interval_key);
    if (!session && !interval) return;
    const int64_t s = session.value_or(setting(broker, "group." + session_key));
    const int64_t i = interval.value_or(setting(broker, "group." + interval_key));
    if (s <= i) bad = fmt::format("{} must be greater than {}", session_key, interval_key);
  };
  range("consumer.heartbeat.interval.ms", "group.consumer.min.heartbeat.interval.ms",
        "group.consumer.max.heartbeat.interval.ms");
  range("consumer.session.timeout.ms", "group.consumer.min.session.timeout.ms",
        "group.consumer.max.session.timeout.ms");
  range("consumer.assignment.interval.ms", "group.consumer.min.assignment.interval.ms",
        "group.consumer.max.assignment.interval.ms");
  range("share.heartbeat.interval.ms", "group.share.min.heartbeat.interval.ms",
        "group.share.max.heartbeat.interval.ms");
  range("share.session.timeout.ms", "group.share.min.session.timeout.ms",
        "group.share.max.session.timeout.ms");
  range("share.record.lock.duration.ms", "group.share.min.record.lock.duration.ms",
        "group.share.max.record.lock.duration.ms");
  range("share.delivery.count.limit", "group.share.min.delivery.count.limit",
        "group.share.max.delivery.count.limit");
  range("share.partition.max.record.locks", "group.share.min.partition.max.record.locks",
        "group.share.max.partition.max.record.locks");
  range("share.assignment.interval.ms", "group.share.min.assignment.interval.ms",
        "group.share.max.assignment.interval.ms");
  range("streams.heartbeat.interval.ms", "group.streams.min.heartbeat.interval.ms",
        "group.streams.max.heartbeat.interval.ms");
  range("streams.session.timeout.ms", "group.streams.min.session.timeout.ms",
        "group.streams.max.session.timeout.ms");
  at_most("streams.num.standby.replicas", "group.streams.max.standby.replicas");
  range("streams.assignment.interval.ms", "group.streams.min.assignment.interval.ms",
        "group.streams.max.assignment.interval.ms");
  at_least("streams.task.offset.interval.ms", "group.streams.min.task.offset.interval.ms");
  at_most("streams.num.warmup.replicas", "group.streams.max.warmup.replicas");
  if (auto it = configs.find("streams.assignor.name"); bad.empty() && it != configs.end()) {
    const auto names = parse_list(broker_value(broker, "group.streams.assignors"));
    const std::string name(trim(it->second));
    if (std::find(names.begin(), names.end(), name) == names.end())
      bad = fmt::format(
          "streams.assignor.name '{}' is not a registered task assignor. Registered assignors "
          "are: {}.",
          name, java_list(names));
  }
  session_over_heartbeat("consumer");
  session_over_heartbeat("share");
  session_over_heartbeat("streams");
  if (auto it = configs.find("errors.deadletterqueue.topic.name");
      bad.empty() && it != configs.end() && trim(it->second).starts_with("__"))
    bad = "errors.deadletterqueue.topic.name: DLQ topic name must not start with '__'";
  return bad;
}

}  // namespace

const group_settings& default_group_settings() {
  static const group_settings defaults{
      {"group.consumer.session.timeout.ms", "45000"},
      {"group.consumer.min.session.timeout.ms", "45000"},
      {"group.consumer.max.session.timeout.ms", "60000"},
      {"group.consumer.heartbeat.interval.ms", "5000"},
      {"group.consumer.min.heartbeat.interval.ms", "5000"},
      {"group.consumer.max.heartbeat.interval.ms", "15000"},
      {"group.consumer.assignment.interval.ms", "1000"},
      {"group.consumer.min.assignment.interval.ms", "0"},
      {"group.consumer.max.assignment.interval.ms", "15000"},
      {"group.consumer.assignor.offload.enable", "true"},
      {"group.share.session.timeout.ms", "45000"},
      {"group.share.min.session.timeout.ms", "45000"},
      {"group.share.max.session.timeout.ms", "60000"},
      {"group.share.heartbeat.interval.ms", "5000"},
      {"group.share.min.heartbeat.interval.ms", "5000"},
      {"group.share.max.heartbeat.interval.ms", "15000"},
      {"group.share.record.lock.duration.ms", "30000"},
      {"group.share.min.record.lock.duration.ms", "15000"},
      {"group.share.max.record.lock.duration.ms", "60000"},
      {"group.share.delivery.count.limit", "5"},
      {"group.share.min.delivery.count.limit", "2"},
      {"group.share.max.delivery.count.limit", "10"},
      {"group.share.partition.max.record.locks", "2000"},
      {"group.share.min.partition.max.record.locks", "100"},
      {"group.share.max.partition.max.record.locks", "4000"},
      {"group.share.assignment.interval.ms", "1000"},
      {"group.share.min.assignment.interval.ms", "0"},
      {"group.share.max.assignment.interval.ms", "15000"},
      {"group.share.assignor.offload.enable", "true"},
      {"group.streams.session.timeout.ms", "45000"},
      {"group.streams.min.session.timeout.ms", "45000"},
      {"group.streams.max.session.timeout.ms", "60000"},
      {"group.streams.heartbeat.interval.ms", "5000"},
      {"group.streams.min.heartbeat.interval.ms", "5000"},
      {"group.streams.max.heartbeat.interval.ms", "15000"},
      {"group.streams.num.standby.replicas", "0"},
      {"group.streams.max.standby.replicas", "2"},
      {"group.streams.initial.rebalance.delay.ms", "3000"},
      {"group.streams.assignment.interval.ms", "1000"},
      {"group.streams.min.assignment.interval.ms", "0"},
      {"group.streams.max.assignment.interval.ms", "15000"},
      {"group.streams.assignor.offload.enable", "true"},
      {"group.streams.task.offset.interval.ms", "60000"},
      {"group.streams.min.task.offset.interval.ms", "15000"},
      {"group.streams.num.warmup.replicas", "2"},
      {"group.streams.max.warmup.replicas", "20"},
      {"group.streams.rack.aware.assignment.tags", ""},
      {"group.streams.acceptable.recovery.lag", "10000"},
      {"group.streams.assignors", "sticky"},
  };
  return defaults;
}

int8_t group_config_type(std::string_view name) {
  const auto* d = find_def(name);
  return d ? kafka_type(d->type) : 0;
}

std::string validate_group_configs(const std::map<std::string, std::string>& configs,
                                   const group_settings& broker) {
  for (const auto& [name, value] : configs)
    if (!find_def(name)) return "Unknown group config name: " + name;
  if (auto it = configs.find("streams.rack.aware.assignment.tags"); it != configs.end()) {
    auto tags = parse_list(it->second);
    if (std::set<std::string>(tags.begin(), tags.end()).size() != tags.size())
      return "streams.rack.aware.assignment.tags must not contain duplicate tag keys.";
  }
  for (const auto& d : group_configs()) {
    auto it = configs.find(std::string(d.name));
    if (it == configs.end()) continue;
    if (auto bad = check_type(d, it->second); !bad.empty()) return bad;
  }
  return check_values(configs, broker);
}

std::map<std::string, std::string> normalise_group_configs(
    const std::map<std::string, std::string>& configs) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : configs) {
    const auto* d = find_def(name);
    std::string v = value;
    if (d) switch (d->type) {
        case gtype::int_:
        case gtype::long_:
          if (auto n = parse_integer(value, std::numeric_limits<int64_t>::min(),
                                     std::numeric_limits<int64_t>::max()))
            v = std::to_string(*n);
          break;
        case gtype::boolean:
          if (auto b = parse_boolean(value)) v = *b ? "true" : "false";
          break;
        case gtype::string:
          v = std::string(trim(value));
          break;
        case gtype::list: {
          v.clear();
          for (const auto& item : parse_list(value)) v += (v.empty() ? "" : ",") + item;
          break;
        }
      }
    out[name] = std::move(v);
  }
  return out;
}

std::vector<config_entry> describe_group_configs(
    const group_settings& broker, const std::map<std::string, std::string>& configs) {
  std::vector<const group_config_def*> defs;
  for (const auto& d : group_configs()) defs.push_back(&d);
  std::sort(defs.begin(), defs.end(), [](auto* a, auto* b) { return a->name < b->name; });
  std::vector<config_entry> out;
  for (const auto* d : defs) {
    auto set = configs.find(std::string(d->name));
    if (d->internal && set == configs.end()) continue;
    const int8_t type = kafka_type(d->type);
    config_entry fallback{d->broker_key.empty() ? std::string(d->name) : std::string(d->broker_key),
                          default_value(*d, broker),
                          false,
                          k_config_source_default,
                          false,
                          type,
                          {}};
    config_entry e;
    e.name = d->name;
    e.type = type;
    if (set != configs.end()) {
      e.value = set->second;
      e.source = k_config_source_group;
      e.synonyms.push_back({e.name, e.value, false, k_config_source_group, false, type, {}});
    } else {
      e.value = fallback.value;
      e.source = k_config_source_default;
    }
    e.synonyms.push_back(std::move(fallback));
    out.push_back(std::move(e));
  }
  return out;
}

coordinator::group_overrides coordinator_overrides(
    const std::map<std::string, std::string>& configs) {
  coordinator::group_overrides o;
  auto read = [&](const char* key) -> std::optional<int32_t> {
    auto it = configs.find(key);
    if (it == configs.end()) return std::nullopt;
    auto v = parse_integer(it->second, 1, k_int_max);
    if (!v) return std::nullopt;
    return static_cast<int32_t>(*v);
  };
  o.consumer_session_timeout_ms = read("consumer.session.timeout.ms");
  o.consumer_heartbeat_interval_ms = read("consumer.heartbeat.interval.ms");
  return o;
}

}  // namespace brook::broker
