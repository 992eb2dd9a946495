// Wall-clock time as Kafka counts it: milliseconds since the Unix epoch.
#pragma once

#include <chrono>
#include <cstdint>

namespace brook {

inline int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace brook
