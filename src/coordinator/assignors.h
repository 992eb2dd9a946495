// The server-side assignors of KIP-848 consumer groups: "uniform" (Kafka's default) and "range".
// Both are sticky: a member keeps what it had in the previous target assignment as long as the
// result stays balanced, so that a rebalance moves as few partitions as it can.
//
// uniform: every partition of the subscribed topics goes to one of the members subscribed to its
// topic; members' partition counts differ by at most one among members that could take each
// other's partitions (exactly: no member has two or more partitions more than another member
// subscribed to one of its topics).
// range: topic by topic, the members subscribed to it (in member id order) get contiguous shares
// of its partitions, the first (partitions mod members) of them one more, so that members with
// the same subscription get the same partition numbers of co-partitioned topics.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocol/wire/types.h"

namespace brook::coordinator {

// Partitions by topic id.
using partition_set = std::map<wire::uuid, std::set<int32_t>>;

struct assignor_member {
  std::string id;
  // The subscribed topics that exist.
  std::set<wire::uuid> topics;
  // Its previous target assignment (what stickiness keeps).
  partition_set previous;
};

// The partition counts of the subscribed topics.
using topic_sizes = std::map<wire::uuid, int32_t>;

inline constexpr const char* k_uniform_assignor = "uniform";
inline constexpr const char* k_range_assignor = "range";

// Every member gets an entry (possibly empty).
std::map<std::string, partition_set> assign_uniform(const std::vector<assignor_member>& members,
                                                    const topic_sizes& topics);
std::map<std::string, partition_set> assign_range(const std::vector<assignor_member>& members,
                                                  const topic_sizes& topics);

// Runs the named assignor ("range", else uniform).
std::map<std::string, partition_set> assign(const std::string& assignor,
                                            const std::vector<assignor_member>& members,
                                            const topic_sizes& topics);

}  // namespace brook::coordinator
