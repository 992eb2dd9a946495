// Small value types the producer, consumer and admin client share: a topic partition, an offset
// with its metadata, and a consumer's group membership (for transactional offset commits).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace brook::client {

// A partition of a topic. Ordered by topic then partition; hashable.
struct topic_partition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const topic_partition&) const = default;
  bool operator==(const topic_partition&) const = default;
  // "topic-partition", as Kafka prints it.
  std::string to_string() const { return topic + "-" + std::to_string(partition); }
};

// An offset to commit or a committed one (-1: none), with the leader epoch of the record before
// it when known, and free-form metadata.
struct offset_and_metadata {
  int64_t offset = -1;
  std::string metadata;
  std::optional<int32_t> leader_epoch;
  bool operator==(const offset_and_metadata&) const = default;
};

// A consumer's group membership, as Java's ConsumerGroupMetadata: what a transactional producer
// sends with the offsets it commits, so the group coordinator can fence zombie members. With only
// group_id set the broker does not check the member.
struct consumer_group_metadata {
  std::string group_id;
  // The classic generation or the KIP-848 member epoch; -1 outside a group.
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

}  // namespace brook::client

template <>
struct std::hash<brook::client::topic_partition> {
  size_t operator()(const brook::client::topic_partition& tp) const noexcept {
    return std::hash<std::string>()(tp.topic) * 31 + static_cast<size_t>(tp.partition);
  }
};
