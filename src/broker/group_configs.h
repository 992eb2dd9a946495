// Group-level configuration (Kafka's GROUP config resource, KIP-848 and KIP-932): per-group
// overrides of consumer.session.timeout.ms, consumer.heartbeat.interval.ms and the share.*,
// streams.* and errors.deadletterqueue.* settings, checked as Kafka 4.4 checks them, described
// over the broker's group.* settings, and read by the group coordinator.
//
// A group's configs exist apart from the group itself: they may be set before the group exists,
// and they outlive DeleteGroups (as in Kafka 4.4).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/config.h"
#include "coordinator/group_coordinator.h"

namespace brook::broker {

// The broker settings that group configs fall back to and are bounded by (group.consumer.*,
// group.share.*, group.streams.*), by Kafka's names, each with its effective value.
using group_settings = std::map<std::string, std::string, std::less<>>;

// Kafka 4.4's defaults of those settings; load_options overlays what the operator set.
const group_settings& default_group_settings();

// Kafka's ConfigSource of a group's own setting.
inline constexpr int8_t k_config_source_group = 8;

// Kafka's ConfigType of a group config: 1 BOOLEAN, 2 STRING, 3 INT, 5 LONG, 7 LIST; 0 unknown.
int8_t group_config_type(std::string_view name);

// Empty when `configs` (a group's complete set of overrides) is valid against the broker's
// settings; otherwise Kafka's message for the first problem, which Kafka answers with
// INVALID_CONFIG, e.g. "Unknown group config name: foo" or "consumer.session.timeout.ms must be
// in the range 45000 to 60000 inclusive.".
std::string validate_group_configs(const std::map<std::string, std::string>& configs,
                                   const group_settings& broker);

// The configs as Kafka keeps them once parsed: numbers without sign or blanks, booleans in lower
// case, strings trimmed, list items trimmed and joined by commas. Assumes they are valid.
std::map<std::string, std::string> normalise_group_configs(
    const std::map<std::string, std::string>& configs);

// Every public group config, sorted by name, plus the internal ones the group sets: the group's
// value (GROUP_CONFIG) or the broker's (DEFAULT_CONFIG), with their synonyms.
std::vector<config_entry> describe_group_configs(const group_settings& broker,
                                                 const std::map<std::string, std::string>& configs);

// What a group's configs change in the group coordinator.
coordinator::group_overrides coordinator_overrides(
    const std::map<std::string, std::string>& configs);

}  // namespace brook::broker
