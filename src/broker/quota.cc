#include "broker/quota.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace brook::broker {

namespace {

constexpr quota_key_spec k_quota_keys[] = {
    {"producer_byte_rate", quota_value_kind::long_value, false},
    {"consumer_byte_rate", quota_value_kind::long_value, false},
    {"request_percentage", quota_value_kind::double_value, false},
    {"controller_mutation_rate", quota_value_kind::double_value, false},
    {"connection_creation_rate", quota_value_kind::int_value, true},
};

// Kafka takes any name InetAddress resolves; brookd takes IP literals only, so that a request
// never waits on DNS.
bool valid_ip(const std::string& name) {
  unsigned char buf[16];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

// Sensors unused for an hour are dropped, as Kafka expires them.
constexpr int64_t k_inactive_sensor_ms = 3600 * 1000;

}  // namespace

const quota_key_spec* find_quota_key(std::string_view name) {
  for (const auto& k : k_quota_keys)
    if (name == k.name) return &k;
  return nullptr;
}

std::string check_quota_entity(
    const std::vector<std::pair<std::string, std::optional<std::string>>>& parts,
    quota_entity& out) {
  out.clear();
  if (parts.empty()) return "Invalid empty client quota entity";
  for (const auto& [type, name] : parts) {
    if (out.contains(type)) return "Invalid client quota entity, duplicate entity entry " + type;
    if (type != k_quota_user && type != k_quota_client_id && type != k_quota_ip)
      return "Unhandled client quota entity type: " + type;
    out[type] = name;
    if (name && name->empty()) return "Empty " + type + " not supported";
  }
  const bool ip = out.contains(k_quota_ip);
  if (ip && out.size() > 1)
    // Kafka's message, missing space included.
    return "Invalid quota entity combination, IP entity shouldnot be combined with User or "
           "ClientId";
  if (ip && out.at(k_quota_ip) && !valid_ip(*out.at(k_quota_ip)))
    return *out.at(k_quota_ip) + " is not a valid IP or resolvable host.";
  return {};
}

std::string check_quota_value(const quota_entity& entity, const std::string& key, double value) {
  const quota_key_spec* spec = find_quota_key(key);
  if (!spec || spec->for_ip != entity.contains(k_quota_ip))
    return "Invalid configuration key " + key;
  if (!(value > 0.0)) return "Quota " + key + " must be greater than 0";
  switch (spec->kind) {
    case quota_value_kind::double_value:
      return {};
    case quota_value_kind::int_value:
      if (value > std::numeric_limits<int32_t>::max())
        return "Proposed value for " + key + " is too large for an INT.";
      break;
    case quota_value_kind::long_value:
      if (value > static_cast<double>(std::numeric_limits<int64_t>::max()))
        return "Proposed value for " + key + " is too large for a LONG.";
      break;
  }
  if (std::abs(std::fmod(value, 1.0)) > 1e-6) return key + " cannot be a fractional value.";
  return {};
}

// Kafka's Rate and SampledStat.

void rate_sensor::purge_obsolete(int64_t now_ms) {
  const int64_t expire_age = _samples * _window_ms;
  for (auto& s : _list)
    if (now_ms - s.start_ms >= expire_age) s = sample{now_ms, 0};
}

rate_sensor::sample& rate_sensor::oldest(int64_t now_ms) {
  if (_list.empty()) _list.push_back(sample{now_ms, 0});
  sample* o = &_list.front();
  for (auto& s : _list)
    if (s.start_ms < o->start_ms) o = &s;
  return *o;
}

void rate_sensor::record(double value, int64_t now_ms) {
  if (_list.empty()) _list.push_back(sample{now_ms, 0});
  sample* s = &_list[_current];
  if (now_ms - s->start_ms >= _window_ms) {
    _current = (_current + 1) % static_cast<size_t>(_samples);
    if (_current >= _list.size())
      _list.push_back(sample{now_ms, 0});
    else
      _list[_current] = sample{now_ms, 0};
    s = &_list[_current];
  }
  s->value += value;
  _last_record_ms = now_ms;
}

int64_t rate_sensor::window_size(int64_t now_ms) {
  purge_obsolete(now_ms);
  int64_t elapsed = now_ms - oldest(now_ms).start_ms;
  const int64_t full = elapsed / _window_ms;
  const int64_t min_full = _samples - 1;
  if (full < min_full) elapsed += (min_full - full) * _window_ms;
  return std::max<int64_t>(elapsed, 1);
}

double rate_sensor::measure(int64_t now_ms) {
  purge_obsolete(now_ms);
  double total = 0;
  for (const auto& s : _list) total += s.value;
  return total / (static_cast<double>(window_size(now_ms)) / 1000.0);
}

int64_t quota_throttle_ms(double observed, double bound, int64_t window_ms) {
  return std::llround((observed - bound) / bound * static_cast<double>(window_ms));
}

const char* quota_key_of(quota_type t) {
  switch (t) {
    case quota_type::produce:
      return "producer_byte_rate";
    case quota_type::fetch:
      return "consumer_byte_rate";
    case quota_type::request:
      return "request_percentage";
  }
  return "";
}

std::optional<resolved_quota> resolve_quota(const client_quota_map& quotas, quota_type type,
                                            std::string_view user, std::string_view client_id) {
  if (quotas.empty()) return std::nullopt;
  const std::string key = quota_key_of(type);
  const std::optional<std::string> u(user), c(client_id), any;
  auto limit = [&](quota_entity e) -> std::optional<double> {
    auto it = quotas.find(e);
    if (it == quotas.end()) return std::nullopt;
    auto v = it->second.find(key);
    if (v == it->second.end()) return std::nullopt;
    return v->second;
  };
  struct level {
    quota_entity entity;
    bool tag_user;
    bool tag_client;
  };
  const std::string U = k_quota_user, C = k_quota_client_id;
  // Kafka's precedence; the levels that name a client id (or a user) need a non-empty one.
  std::vector<level> levels;
  if (!user.empty() && !client_id.empty()) {
    levels.push_back({{{U, u}, {C, c}}, true, true});
    levels.push_back({{{U, u}, {C, any}}, true, true});
  }
  if (!user.empty()) levels.push_back({{{U, u}}, true, false});
  if (!user.empty() && !client_id.empty()) {
    levels.push_back({{{U, any}, {C, c}}, true, true});
    levels.push_back({{{U, any}, {C, any}}, true, true});
  }
  if (!user.empty()) levels.push_back({{{U, any}}, true, false});
  if (!client_id.empty()) {
    levels.push_back({{{C, c}}, false, true});
    levels.push_back({{{C, any}}, false, true});
  }
  for (auto& l : levels)
    if (auto v = limit(std::move(l.entity)))
      return resolved_quota{*v, l.tag_user ? std::string(user) : std::string(),
                            l.tag_client ? std::string(client_id) : std::string()};
  return std::nullopt;
}

int64_t client_quota_meter::record(const client_quota_map& quotas, quota_type type,
                                   std::string_view user, std::string_view client_id, double value,
                                   int64_t now_ms, int64_t bound_ms) {
  auto q = resolve_quota(quotas, type, user, client_id);
  if (!q) return 0;
  expire(now_ms);
  auto [it, created] = _sensors.try_emplace(key{type, q->user_tag, q->client_tag}, _config.samples,
                                            _config.window_ms);
  auto& sensor = it->second;
  sensor.record(value, now_ms);
  const double observed = sensor.measure(now_ms);
  if (observed <= q->limit) return 0;
  int64_t t = quota_throttle_ms(observed, q->limit, sensor.window_size(now_ms));
  if (bound_ms > 0) t = std::min(t, bound_ms);
  return std::max<int64_t>(t, 0);
}

void client_quota_meter::unrecord(const client_quota_map& quotas, quota_type type,
                                  std::string_view user, std::string_view client_id, double value,
                                  int64_t now_ms) {
  auto q = resolve_quota(quotas, type, user, client_id);
  if (!q) return;
  auto it = _sensors.find(key{type, q->user_tag, q->client_tag});
  if (it != _sensors.end()) it->second.record(-value, now_ms);
}

void client_quota_meter::expire(int64_t now_ms) {
  if (++_records % 1024 != 0) return;
  std::erase_if(_sensors, [&](const auto& kv) {
    return now_ms - kv.second.last_record_ms() > k_inactive_sensor_ms;
  });
}

}  // namespace brook::broker
