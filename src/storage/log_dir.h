// The log directory as a whole: meta.properties (node and cluster identity, as Kafka writes it)
// and the clean-shutdown marker that lets the next start skip recovery.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "base/result.h"

namespace brook::storage {

struct meta_properties {
  std::string cluster_id;
  std::string directory_id;
  int32_t node_id = 0;
};

// Reads <dir>/meta.properties, or writes it on first start (a new cluster id when `cluster_id` is
// empty). Refuses a folder that belongs to another node or cluster.
result<meta_properties, std::string> read_or_create_meta_properties(
    const std::filesystem::path& dir, int32_t node_id, const std::string& cluster_id);

// True if the last run shut down cleanly; removes the marker, so a crash from now on is seen as
// one at the next start.
bool take_clean_shutdown_marker(const std::filesystem::path& dir);
void write_clean_shutdown_marker(const std::filesystem::path& dir);

// A new random id in Kafka's text form (22 characters of URL-safe base64).
std::string random_id();

}  // namespace brook::storage
