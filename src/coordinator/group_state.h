// The coordinator's groups as it keeps them in memory (internal to src/coordinator): classic
// groups with their members, and, for groups of the KIP-848 consumer protocol, their epochs,
// target assignment and members (consumer_group).
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coordinator/assignors.h"
#include "coordinator/group_coordinator.h"
#include "net/event.h"

namespace brook::coordinator {

using steady = std::chrono::steady_clock;

// Kafka's classic group states, by the names DescribeGroups and ListGroups use.
enum class state { empty, preparing_rebalance, completing_rebalance, stable, dead };

inline const char* state_name(state s) {
  switch (s) {
    case state::empty:
      return "Empty";
    case state::preparing_rebalance:
      return "PreparingRebalance";
    case state::completing_rebalance:
      return "CompletingRebalance";
    case state::stable:
      return "Stable";
    case state::dead:
      return "Dead";
  }
  return "Unknown";
}

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Kafka's MemberState of a KIP-848 member, with the ids its records keep.
enum class member_state : int8_t {
  stable = 0,
  unrevoked_partitions = 1,
  unreleased_partitions = 2,
  unknown = 127,
};

// A member of a KIP-848 consumer group.
struct consumer_member {
  std::string id;
  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  std::string client_id;
  std::string client_host;
  std::vector<std::string> topic_names;
  std::optional<std::string> regex;
  std::optional<std::string> server_assignor;
  int32_t rebalance_timeout_ms = -1;
  // Its epoch (-2 once a static member left for a while) and the one before.
  int32_t epoch = 0;
  int32_t previous_epoch = -1;
  member_state st = member_state::stable;
  // The partitions it may consume, and those it must give up before it moves on.
  partition_set assigned;
  partition_set pending_revocation;
  // A member that speaks the classic protocol (JoinGroup, SyncGroup, Heartbeat) inside the
  // consumer group, as after an online upgrade: its session timeout and protocols.
  struct classic_info {
    int32_t session_timeout_ms = 0;
    std::vector<std::pair<std::string, std::vector<uint8_t>>> protocols;
    bool operator==(const classic_info&) const = default;
  };
  std::optional<classic_info> classic;
  steady::time_point session_deadline{};
  // While it revokes partitions: the rebalance timeout.
  steady::time_point revocation_deadline = steady::time_point::max();
};

// A group of the KIP-848 consumer protocol.
struct consumer_group {
  // Bumped by every change of membership, subscriptions or subscribed topics' metadata.
  int32_t epoch = 0;
  // The group epoch the target assignment was computed for.
  int32_t assignment_epoch = 0;
  std::map<std::string, partition_set> target;
  std::map<std::string, consumer_member> members;
  std::map<std::string, std::string> static_members;  // instance id -> member id
  // The subscribed topics the target was computed against: name -> (id, partitions).
  std::map<std::string, std::pair<wire::uuid, int32_t>> subscribed;
  // False until `subscribed` was looked at since the group was created or loaded.
  bool subscribed_known = false;
  // The topics each subscribed regular expression matches, as of topic_source::version.
  std::map<std::string, std::set<std::string>> resolved;
  std::optional<uint64_t> resolved_version;

  // The topics a member subscribes to: by name, and through its regular expression.
  std::set<std::string> topics_of(const consumer_member& m) const {
    std::set<std::string> out(m.topic_names.begin(), m.topic_names.end());
    if (m.regex)
      if (auto it = resolved.find(*m.regex); it != resolved.end())
        out.insert(it->second.begin(), it->second.end());
    return out;
  }
};

// Kafka's ConsumerGroupState names.
inline const char* consumer_state_name(const consumer_group& cg) {
  if (cg.members.empty()) return "Empty";
  if (cg.epoch > cg.assignment_epoch) return "Assigning";
  for (const auto& [id, m] : cg.members)
    if (m.st != member_state::stable || m.epoch != cg.assignment_epoch) return "Reconciling";
  return "Stable";
}

struct group_coordinator::member {
  std::string id;
  std::optional<std::string> instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::string protocol_type;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> protocols;
  std::vector<uint8_t> assignment;
  steady::time_point session_deadline{};
  // A JoinGroup waiting for the rebalance to finish, and its answer.
  std::shared_ptr<net::event> join_waiter;
  std::shared_ptr<protocol::join_group_response> join_answer;
  // A SyncGroup waiting for the leader's assignments, and its answer.
  std::shared_ptr<net::event> sync_waiter;
  std::shared_ptr<protocol::sync_group_response> sync_answer;
  bool is_new = false;
  // Sent its SyncGroup in the current generation (Kafka's pending sync members are the others).
  bool synced = false;

  // Ends a waiting JoinGroup or SyncGroup with an error (none waiting: nothing happens).
  void fail_join(int16_t error) {
    if (!join_waiter) return;
    join_answer->error_code = error;
    join_waiter->set();
    join_waiter.reset();
  }
  void fail_sync(int16_t error) {
    if (!sync_waiter) return;
    sync_answer->error_code = error;
    sync_waiter->set();
    sync_waiter.reset();
  }

  const std::vector<uint8_t>* metadata_for(const std::string& protocol) const {
    for (const auto& [name, md] : protocols)
      if (name == protocol) return &md;
    return nullptr;
  }
};

struct group_coordinator::group {
  std::string id;
  // A classic group's state; a consumer group (modern set) is stable while it has members, else
  // empty.
  state st = state::empty;
  // Set for a group of the KIP-848 consumer protocol; the classic fields then stay unused.
  std::unique_ptr<consumer_group> modern;
  int32_t generation = 0;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t state_timestamp = -1;
  // In join order: the leader of a new generation is the first member that joined.
  std::vector<std::unique_ptr<member>> members;
  // Member ids handed out with MEMBER_ID_REQUIRED, until their owner joins with them.
  std::map<std::string, steady::time_point> pending;
  std::map<std::string, std::string> static_members;  // instance id -> member id
  std::map<std::string, std::map<int32_t, committed_offset>> offsets;
  // The join phase ends at this time at the latest.
  steady::time_point join_deadline{};
  // Members must send SyncGroup by this time once the join phase ended.
  steady::time_point sync_deadline{};
  // New groups wait group.initial.rebalance.delay.ms for more members, extended as they come.
  bool initial_delay = false;
  int32_t delay_left_ms = 0;

  member* find_member(const std::string& id) {
    for (auto& m : members)
      if (m->id == id) return m.get();
    return nullptr;
  }
  bool all_joined() const {
    if (!pending.empty()) return false;
    return std::all_of(members.begin(), members.end(),
                       [](const auto& m) { return m->join_waiter != nullptr; });
  }
  int32_t max_rebalance_timeout() const {
    int32_t t = 0;
    for (const auto& m : members) t = std::max(t, m->rebalance_timeout_ms);
    return t;
  }
  // The protocol every member supports that most members prefer (Kafka's vote).
  std::optional<std::string> select_protocol() const {
    if (members.empty()) return std::nullopt;
    std::vector<std::string> candidates;
    for (const auto& protocol : members.front()->protocols) {
      const std::string& name = protocol.first;
      bool everyone = std::all_of(members.begin(), members.end(),
                                  [&](const auto& m) { return m->metadata_for(name) != nullptr; });
      if (everyone) candidates.push_back(name);
    }
    if (candidates.empty()) return std::nullopt;
    std::map<std::string, int> votes;
    for (const auto& m : members)
      for (const auto& [name, md] : m->protocols)
        if (std::find(candidates.begin(), candidates.end(), name) != candidates.end()) {
          ++votes[name];
          break;
        }
    std::string best = candidates.front();
    for (const auto& c : candidates)
      if (votes[c] > votes[best]) best = c;
    return best;
  }
  // Whether a joining member's protocols fit the group: same type and one protocol in common.
  bool supports(
      const std::string& type,
      const std::vector<protocol::join_group_request::join_group_request_protocol>& ps) const {
    if (members.empty()) return !type.empty() && !ps.empty();
    if (protocol_type && *protocol_type != type) return false;
    for (const auto& p : ps) {
      bool everyone = std::all_of(members.begin(), members.end(), [&](const auto& m) {
        return m->metadata_for(p.name) != nullptr;
      });
      if (everyone) return true;
    }
    return false;
  }
  group_snapshot snapshot() const {
    group_snapshot s;
    s.protocol_type = protocol_type.value_or("");
    s.generation = generation;
    s.protocol = protocol;
    s.leader = leader;
    s.current_state_timestamp = state_timestamp;
    for (const auto& m : members) {
      auto& o = s.members.emplace_back();
      o.member_id = m->id;
      o.group_instance_id = m->instance_id;
      o.client_id = m->client_id;
      o.client_host = m->client_host;
      o.rebalance_timeout_ms = m->rebalance_timeout_ms;
      o.session_timeout_ms = m->session_timeout_ms;
      if (protocol)
        if (const auto* md = m->metadata_for(*protocol)) o.subscription = *md;
      o.assignment = m->assignment;
    }
    return s;
  }
};

}  // namespace brook::coordinator
