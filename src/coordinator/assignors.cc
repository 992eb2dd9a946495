#include "coordinator/assignors.h"

#include <algorithm>
#include <numeric>

namespace brook::coordinator {

namespace {

// Members in id order, as indexes into `members`.
std::vector<size_t> by_id(const std::vector<assignor_member>& members) {
  std::vector<size_t> order(members.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return members[a].id < members[b].id; });
  return order;
}

std::map<std::string, partition_set> empty_result(const std::vector<assignor_member>& members) {
  std::map<std::string, partition_set> out;
  for (const auto& m : members) out[m.id];
  return out;
}

}  // namespace

std::map<std::string, partition_set> assign_uniform(const std::vector<assignor_member>& members,
                                                    const topic_sizes& topics) {
  auto out = empty_result(members);
  const std::vector<size_t> order = by_id(members);
  std::vector<int64_t> count(members.size(), 0);
  // The members subscribed to each topic, in id order.
  std::map<wire::uuid, std::vector<size_t>> subscribers;
  for (size_t i : order)
    for (const auto& t : members[i].topics)
      if (topics.count(t)) subscribers[t].push_back(i);
  std::map<std::pair<wire::uuid, int32_t>, size_t> owner;
  auto give = [&](const wire::uuid& t, int32_t p, size_t i) {
    owner[{t, p}] = i;
    out[members[i].id][t].insert(p);
    ++count[i];
  };
  auto take = [&](const wire::uuid& t, int32_t p, size_t i) {
    auto& parts = out[members[i].id][t];
    parts.erase(p);
    if (parts.empty()) out[members[i].id].erase(t);
    --count[i];
  };

  // 1. Stickiness: members keep what they had of topics they still subscribe to.
  for (size_t i : order) {
    const auto& m = members[i];
    for (const auto& [t, parts] : m.previous) {
      auto size = topics.find(t);
      if (size == topics.end() || !m.topics.count(t)) continue;
      for (int32_t p : parts)
        if (p >= 0 && p < size->second && !owner.count({t, p})) give(t, p, i);
    }
  }

  // The subscriber of `t` with the fewest partitions (the first in id order among equals).
  auto least_loaded = [&](const std::vector<size_t>& subs) {
    size_t best = subs.front();
    for (size_t i : subs)
      if (count[i] < count[best]) best = i;
    return best;
  };

  // 2. The partitions nobody kept, topics with the fewest subscribers first.
  std::vector<wire::uuid> topic_order;
  for (const auto& [t, subs] : subscribers) topic_order.push_back(t);
  std::stable_sort(topic_order.begin(), topic_order.end(),
                   [&](const wire::uuid& a, const wire::uuid& b) {
                     return subscribers[a].size() < subscribers[b].size();
                   });
  for (const auto& t : topic_order) {
    const auto& subs = subscribers[t];
    for (int32_t p = 0; p < topics.at(t); ++p)
      if (!owner.count({t, p})) give(t, p, least_loaded(subs));
  }

  // 3. Balance: move partitions from a member to a less loaded subscriber of the same topic while
  // they differ by two or more. Each move lowers the sum of squared counts, so this ends.
  bool moved = true;
  while (moved) {
    moved = false;
    std::vector<size_t> heavy = order;
    std::stable_sort(heavy.begin(), heavy.end(),
                     [&](size_t a, size_t b) { return count[a] > count[b]; });
    for (size_t h : heavy) {
      // Highest partitions move first, so that lower ones stay where they were.
      const partition_set mine = out[members[h].id];
      for (auto t = mine.rbegin(); t != mine.rend(); ++t) {
        const auto& subs = subscribers[t->first];
        for (auto p = t->second.rbegin(); p != t->second.rend(); ++p) {
          const size_t l = least_loaded(subs);
          if (count[h] - count[l] < 2) break;
          take(t->first, *p, h);
          give(t->first, *p, l);
          moved = true;
        }
      }
    }
  }
  return out;
}

std::map<std::string, partition_set> assign_range(const std::vector<assignor_member>& members,
                                                  const topic_sizes& topics) {
  auto out = empty_result(members);
  const std::vector<size_t> order = by_id(members);
  for (const auto& [t, size] : topics) {
    std::vector<size_t> subs;
    for (size_t i : order)
      if (members[i].topics.count(t)) subs.push_back(i);
    if (subs.empty() || size <= 0) continue;
    const int32_t n = static_cast<int32_t>(subs.size());
    const int32_t quota = size / n, extra = size % n;
    std::vector<int32_t> want(subs.size());
    for (int32_t k = 0; k < n; ++k) want[k] = quota + (k < extra ? 1 : 0);
    std::vector<bool> taken(size, false);
    std::vector<std::set<int32_t>> got(subs.size());
    // Members keep the partitions of this topic they had, up to their share.
    for (size_t k = 0; k < subs.size(); ++k) {
      auto prev = members[subs[k]].previous.find(t);
      if (prev == members[subs[k]].previous.end()) continue;
      for (int32_t p : prev->second) {
        if (static_cast<int32_t>(got[k].size()) >= want[k]) break;
        if (p >= 0 && p < size && !taken[p]) {
          taken[p] = true;
          got[k].insert(p);
        }
      }
    }
    // The rest in order: with no previous assignment, member k gets the k-th contiguous range.
    int32_t next = 0;
    for (size_t k = 0; k < subs.size(); ++k)
      while (static_cast<int32_t>(got[k].size()) < want[k]) {
        while (taken[next]) ++next;
        taken[next] = true;
        got[k].insert(next);
      }
    for (size_t k = 0; k < subs.size(); ++k)
      if (!got[k].empty()) out[members[subs[k]].id][t] = std::move(got[k]);
  }
  return out;
}

std::map<std::string, partition_set> assign(const std::string& assignor,
                                            const std::vector<assignor_member>& members,
                                            const topic_sizes& topics) {
  if (assignor == k_range_assignor) return assign_range(members, topics);
  return assign_uniform(members, topics);
}

}  // namespace brook::coordinator
