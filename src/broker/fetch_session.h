// Fetch sessions (KIP-227): a consumer's set of partitions kept by the broker, so that later
// Fetch requests name only what changed and responses carry only partitions with news.
//
// Sessions live in the shard of the connection that made them (a client keeps using one
// connection); a request naming a session of another shard gets FETCH_SESSION_ID_NOT_FOUND and
// the client starts a new one, as it does after any broker restart.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocol/wire/types.h"

namespace brook::broker {

struct fetch_session {
  struct partition {
    std::string topic;
    wire::uuid topic_id;
    int32_t index = 0;
    int64_t fetch_offset = 0;
    int32_t max_bytes = 0;
    int32_t current_leader_epoch = -1;
    // What the last response told the client; a partition without records is sent again only
    // when one of these changes.
    int64_t high_watermark = -1;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;
    int16_t error_code = 0;
  };
  int32_t id = 0;
  // The epoch the next request must carry (a new session's first response moves it to 1).
  int32_t epoch = 0;
  std::vector<partition> partitions;
  std::chrono::steady_clock::time_point last_used;

  partition* find(const std::string& topic, const wire::uuid& id, int32_t index, bool by_id) {
    for (auto& p : partitions)
      if (p.index == index && (by_id ? p.topic_id == id : p.topic == topic)) return &p;
    return nullptr;
  }
};

// The sessions of one shard, at most `max_sessions` (max.incremental.fetch.session.cache.slots);
// the least recently used one goes when a new one needs room.
class fetch_session_cache {
 public:
  explicit fetch_session_cache(size_t max_sessions = 1000) : _max(max_sessions) {}

  fetch_session* find(int32_t id) {
    auto it = _sessions.find(id);
    return it == _sessions.end() ? nullptr : &it->second;
  }
  void erase(int32_t id) { _sessions.erase(id); }

  fetch_session& create() {
    if (_sessions.size() >= _max) {
      auto oldest = _sessions.begin();
      for (auto it = _sessions.begin(); it != _sessions.end(); ++it)
        if (it->second.last_used < oldest->second.last_used) oldest = it;
      _sessions.erase(oldest);
    }
    int32_t id;
    do id = static_cast<int32_t>(_random() & 0x7fffffff);
    while (id == 0 || _sessions.contains(id));
    auto& s = _sessions[id];
    s.id = id;
    return s;
  }

 private:
  size_t _max;
  std::unordered_map<int32_t, fetch_session> _sessions;
  std::mt19937 _random{std::random_device{}()};
};

}  // namespace brook::broker
