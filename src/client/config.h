// Client settings: key=value strings under the names the Java client and librdkafka share
// (bootstrap.servers, acks, linger.ms, group.id, ...), so a user's existing configuration carries
// over. Every key the library reads is in one table (config.cc) with its default and the roles
// that read it; a key outside the table, or one of another role, is refused with config_error
// when a producer, consumer or admin is built, as librdkafka does, rather than silently ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace brook::client {

// Which kind of client reads a setting (a bit set).
enum role : unsigned { common = 1, producer_role = 2, consumer_role = 4, admin_role = 8 };

struct setting_info {
  std::string_view key;
  unsigned roles;
  // The value used when the setting is absent; empty for "no default".
  std::string_view default_value;
  std::string_view description;
};

// Every setting the library knows, in a stable order (for help texts and docs).
std::span<const setting_info> known_settings();

class config {
 public:
  config() = default;
  config(std::initializer_list<std::pair<std::string, std::string>> entries);

  config& set(std::string key, std::string value);
  // The value as set, without defaults.
  std::optional<std::string> find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key).has_value(); }

  // The value, or the table's default (or "" for a key without one). Typed getters throw
  // config_error naming the key when the value does not parse.
  std::string get_string(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  std::chrono::milliseconds get_ms(std::string_view key) const;
  // A comma-separated list, entries trimmed, empty entries dropped.
  std::vector<std::string> get_list(std::string_view key) const;

  const std::map<std::string, std::string, std::less<>>& entries() const { return _entries; }

  // Throws config_error for the first key that is unknown or not read by `roles`.
  void check(unsigned roles) const;
  // A copy without the known keys that `roles` do not read (unknown keys stay, so that check()
  // still reports a typo): one set of settings can then build a consumer and an admin client.
  config for_roles(unsigned roles) const;

  // Reads key=value lines (Java properties without escapes or continuations; '#' and '!'
  // comments; ':' also separates). Throws config_error when the file cannot be read.
  static config from_properties_file(const std::string& path);

 private:
  std::map<std::string, std::string, std::less<>> _entries;
};

}  // namespace brook::client
