// Topic-level configuration: Kafka's topic config names (segment.bytes, retention.ms,
// cleanup.policy, ...) validated as Kafka validates them, resolved over the broker's defaults into
// a storage::log_config, and described for CreateTopics/DescribeConfigs.
//
// Every Kafka topic config a client may reasonably send is accepted. Those with a meaning in Brook
// change the partition's log_config; the others (min.insync.replicas, throttled replicas, ...)
// are type-checked and stored so that they survive and are described, but have no effect yet.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/log_config.h"

namespace brook::broker {

// Kafka's text forms, shared with options.cc: surrounding white space trimmed; a LIST value is
// empty when blank, else its comma-separated items, each trimmed.
std::string_view trim(std::string_view s);
std::vector<std::string> parse_list(std::string_view s);
// Java's Integer.parseInt / Long.parseLong of the trimmed text (an optional sign, then digits),
// none when it does not parse or falls outside [min, max].
std::optional<int64_t> parse_integer(std::string_view s, int64_t min, int64_t max);
// Kafka's BOOLEAN: "true" or "false" in any case, trimmed.
std::optional<bool> parse_boolean(std::string_view s);

class broker;
struct topic_info;

// One config as DescribeConfigs and CreateTopics (v5+) report it.
struct config_entry {
  std::string name;
  std::optional<std::string> value;
  bool read_only = false;
  // Kafka's ConfigSource.
  int8_t source = 0;
  bool sensitive = false;
  // Kafka's ConfigType: 1 BOOLEAN, 2 STRING, 3 INT, 5 LONG, 6 DOUBLE, 7 LIST (0 unknown).
  int8_t type = 0;
  // The settings behind this one, most specific first (DescribeConfigs include_synonyms).
  std::vector<config_entry> synonyms;
};

// Kafka's DescribeConfigs ConfigSource values used by Brook.
inline constexpr int8_t k_config_source_dynamic_topic = 1;
inline constexpr int8_t k_config_source_static_broker = 4;
// Kafka's ConfigType of a LIST (IncrementalAlterConfigs APPEND and SUBTRACT apply only to those).
inline constexpr int8_t k_config_type_list = 7;
inline constexpr int8_t k_config_source_default = 5;

// The topic's overrides applied over the broker's defaults. The configs are assumed valid
// (validate_topic_configs); a value that does not parse leaves the default.
storage::log_config topic_log_config(const storage::log_config& defaults,
                                     const std::map<std::string, std::string>& configs);

// Empty when every name is a known topic config and every value is valid; otherwise Kafka's
// message for the first bad one, e.g. "Unknown topic config name: foo" or "Invalid value abc for
// configuration segment.bytes: Not a number of type INT".
// min.compaction.lag.ms above max.compaction.lag.ms (either from `defaults`) is refused too.
std::string validate_topic_configs(const std::map<std::string, std::string>& configs,
                                   const storage::log_config& defaults = {});

// True for the names validate_topic_configs accepts.
bool is_topic_config(const std::string& name);

// Every topic config, sorted by name: the topic's override (DYNAMIC_TOPIC_CONFIG) or else the
// broker's effective default rendered as Kafka renders it (DEFAULT_CONFIG).
std::vector<config_entry> describe_topic_configs(const broker& b, const topic_info& t);
std::vector<config_entry> describe_topic_configs(const storage::log_config& defaults,
                                                 const std::map<std::string, std::string>& configs);

// Kafka's ConfigType of a topic config (0 for an unknown name).
int8_t topic_config_type(const std::string& name);

// The broker setting that gives a topic config its default (retention.ms: log.retention.ms), or
// empty.
std::string broker_synonym(const std::string& topic_config);

// The broker's settings for DescribeConfigs of a BROKER resource: those read from
// server.properties or --override (STATIC_BROKER_CONFIG) and the log defaults behind the topic
// configs (DEFAULT_CONFIG when not set), sorted by name. None can change at runtime (read-only).
std::vector<config_entry> describe_broker_configs(const broker& b);

}  // namespace brook::broker
