#include "client/assignors.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace brook::client {

namespace {

// Members in the order every assignor deals to them: by instance id when static, then member id.
std::vector<const member_subscription*> ordered(const std::vector<member_subscription>& members) {
  std::vector<const member_subscription*> out;
  for (const auto& m : members) out.push_back(&m);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    const auto& ka = a->group_instance_id ? *a->group_instance_id : a->member_id;
    const auto& kb = b->group_instance_id ? *b->group_instance_id : b->member_id;
    if (a->group_instance_id.has_value() != b->group_instance_id.has_value())
      return a->group_instance_id.has_value();
    return ka != kb ? ka < kb : a->member_id < b->member_id;
  });
  return out;
}

bool subscribes(const member_subscription& m, std::string_view topic) {
  return std::find(m.topics.begin(), m.topics.end(), topic) != m.topics.end();
}

group_assignment empty_for(const std::vector<member_subscription>& members) {
  group_assignment out;
  for (const auto& m : members) out[m.member_id];
  return out;
}

void sort_all(group_assignment& a) {
  for (auto& [id, parts] : a) std::sort(parts.begin(), parts.end());
}

// Every partition some member subscribes to, sorted.
std::vector<topic_partition> all_partitions(const std::vector<member_subscription>& members,
                                            const partition_counts& partitions) {
  std::set<std::string> topics;
  for (const auto& m : members) topics.insert(m.topics.begin(), m.topics.end());
  std::vector<topic_partition> out;
  for (const auto& t : topics) {
    auto it = partitions.find(t);
    if (it == partitions.end()) continue;
    for (int32_t p = 0; p < it->second; ++p) out.push_back({t, p});
  }
  return out;
}

}  // namespace

group_assignment assign_range(const std::vector<member_subscription>& members,
                              const partition_counts& partitions) {
  group_assignment out = empty_for(members);
  const auto order = ordered(members);
  for (const auto& [topic, count] : partitions) {
    std::vector<const member_subscription*> takers;
    for (const auto* m : order)
      if (subscribes(*m, topic)) takers.push_back(m);
    if (takers.empty()) continue;
    const int32_t n = static_cast<int32_t>(takers.size());
    const int32_t each = count / n;
    const int32_t extra = count % n;
    int32_t next = 0;
    for (int32_t i = 0; i < n; ++i) {
      const int32_t take = each + (i < extra ? 1 : 0);
      for (int32_t k = 0; k < take; ++k) out[takers[i]->member_id].push_back({topic, next++});
    }
  }
  sort_all(out);
  return out;
}

group_assignment assign_roundrobin(const std::vector<member_subscription>& members,
                                   const partition_counts& partitions) {
  group_assignment out = empty_for(members);
  const auto order = ordered(members);
  if (order.empty()) return out;
  size_t turn = 0;
  for (const auto& tp : all_partitions(members, partitions)) {
    for (size_t tried = 0; tried < order.size(); ++tried) {
      const auto* m = order[turn % order.size()];
      ++turn;
      if (subscribes(*m, tp.topic)) {
        out[m->member_id].push_back(tp);
        break;
      }
    }
  }
  sort_all(out);
  return out;
}

group_assignment assign_cooperative_sticky(const std::vector<member_subscription>& members,
                                           const partition_counts& partitions) {
  group_assignment out = empty_for(members);
  const auto order = ordered(members);
  if (order.empty()) return out;
  const auto all = all_partitions(members, partitions);
  const std::set<topic_partition> existing(all.begin(), all.end());
  const size_t m = order.size();
  const size_t min_quota = all.size() / m;
  size_t at_max_left = all.size() % m;  // members that may hold min_quota + 1

  // Who owned what before; a partition claimed twice goes to the newer generation.
  std::map<topic_partition, const member_subscription*> previous;
  for (const auto* mem : order)
    for (const auto& tp : mem->owned_partitions) {
      auto [it, fresh] = previous.emplace(tp, mem);
      if (!fresh && mem->generation > it->second->generation) it->second = mem;
    }

  // Keep owned partitions within the quotas.
  std::set<topic_partition> taken;
  for (const auto* mem : order) {
    auto& mine = out[mem->member_id];
    std::vector<topic_partition> owned = mem->owned_partitions;
    std::sort(owned.begin(), owned.end());
    for (const auto& tp : owned) {
      if (!existing.count(tp) || !subscribes(*mem, tp.topic) || previous[tp] != mem) continue;
      const size_t cap = min_quota + (at_max_left > 0 ? 1 : 0);
      if (mine.size() >= cap) break;
      mine.push_back(tp);
      taken.insert(tp);
    }
    if (mine.size() > min_quota && at_max_left > 0) --at_max_left;
  }

  // Deal the rest to the least loaded subscribed member.
  for (const auto& tp : all) {
    if (taken.count(tp)) continue;
    const member_subscription* best = nullptr;
    for (const auto* mem : order) {
      if (!subscribes(*mem, tp.topic)) continue;
      if (!best || out[mem->member_id].size() < out[best->member_id].size()) best = mem;
    }
    if (best) out[best->member_id].push_back(tp);
  }

  // A partition moving between members waits one round, until its owner has revoked it.
  for (auto& [id, parts] : out)
    std::erase_if(parts, [&, &member = id](const topic_partition& tp) {
      auto it = previous.find(tp);
      return it != previous.end() && it->second->member_id != member && !taken.count(tp);
    });
  sort_all(out);
  return out;
}

bool is_known_assignor(std::string_view assignor) {
  return assignor == "range" || assignor == "roundrobin" || assignor == "cooperative-sticky";
}

bool is_cooperative_assignor(std::string_view assignor) { return assignor == "cooperative-sticky"; }

group_assignment assign_partitions(std::string_view assignor,
                                   const std::vector<member_subscription>& members,
                                   const partition_counts& partitions) {
  if (assignor == "range") return assign_range(members, partitions);
  if (assignor == "roundrobin") return assign_roundrobin(members, partitions);
  if (assignor == "cooperative-sticky") return assign_cooperative_sticky(members, partitions);
  throw config_error(fmt::format("partition.assignment.strategy: unknown assignor '{}'", assignor));
}

}  // namespace brook::client
