// Producer ids for InitProducerId: unique over the life of the cluster, restarts and crashes
// included. Ids are handed out from blocks of k_block; the end of the current block is written
// to <log dir>/__brook_cluster/producer-ids (replaced atomically) before any id of it is used, so
// that a restart continues after it and never gives an id out twice.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

#include "base/result.h"

namespace brook::broker {

class producer_id_allocator {
 public:
  static constexpr int64_t k_block = 1000;

  // Reads where the last run stopped (nothing written yet: ids start at 0).
  static result<std::unique_ptr<producer_id_allocator>, std::string> open(
      const std::filesystem::path& log_dir);

  // A new id, or why none could be reserved (the file could not be written). Thread-safe.
  result<int64_t, std::string> next();

 private:
  explicit producer_id_allocator(std::filesystem::path file, int64_t start)
      : _file(std::move(file)), _next(start), _limit(start) {}

  std::filesystem::path _file;
  std::mutex _mutex;
  int64_t _next;
  int64_t _limit;
};

}  // namespace brook::broker
