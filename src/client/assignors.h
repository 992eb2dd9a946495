// The partition assignors of the classic group protocol. In a classic group the member the
// coordinator names leader computes every member's partitions from their subscriptions, with the
// assignor all members chose (partition.assignment.strategy), and sends them in SyncGroup. These
// are pure functions so they are tested without a broker; the consumer (consumer.cc) calls them.
//
//   range               per topic, the partitions in ranges over the members subscribed to it,
//                       sorted by instance id (else member id); the first members get one more
//                       when the count does not divide (Java's RangeAssignor).
//   roundrobin          all partitions sorted by topic and partition, dealt to the members in
//                       turn, skipping members not subscribed to the topic (RoundRobinAssignor).
//   cooperative-sticky  keeps each member's owned partitions as far as balance allows, deals out
//                       the rest to the least loaded members, and withholds a partition that
//                       moves from one member to another for one round: its owner revokes it
//                       and rejoins, and the next rebalance hands it over (the cooperative
//                       protocol, KIP-429). Balance is exact for members with equal
//                       subscriptions and greedy otherwise.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/consumer.h"

namespace brook::client {

// One member's subscription as the leader reads it from JoinGroup.
struct member_subscription {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<std::string> topics;
  // What the member owns now (cooperative assignors use it).
  std::vector<topic_partition> owned_partitions;
  int32_t generation = -1;
};

// Member id -> its partitions, sorted. Every member of the input has an entry.
using group_assignment = std::map<std::string, std::vector<topic_partition>>;
// Topic -> partition count, for the topics the members subscribe to (a topic missing here is
// not assigned).
using partition_counts = std::map<std::string, int32_t, std::less<>>;

group_assignment assign_range(const std::vector<member_subscription>& members,
                              const partition_counts& partitions);
group_assignment assign_roundrobin(const std::vector<member_subscription>& members,
                                   const partition_counts& partitions);
group_assignment assign_cooperative_sticky(const std::vector<member_subscription>& members,
                                           const partition_counts& partitions);

// By the names Kafka's clients advertise ("range", "roundrobin", "cooperative-sticky"); throws
// config_error for another name.
group_assignment assign_partitions(std::string_view assignor,
                                   const std::vector<member_subscription>& members,
                                   const partition_counts& partitions);
bool is_known_assignor(std::string_view assignor);
// Whether members keep their partitions through a rebalance (only revoking what they lose).
bool is_cooperative_assignor(std::string_view assignor);

}  // namespace brook::client
