#include "storage/log_dir.h"

#include <fmt/format.h>

#include <map>
#include <random>
#include <sstream>

#include "protocol/wire/types.h"
#include "storage/file.h"

namespace brook::storage {

namespace {
constexpr const char* k_clean_marker = ".kafka_cleanshutdown";

std::map<std::string, std::string> parse_properties(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}
}  // namespace

std::string random_id() {
  std::random_device rd;
  std::mt19937_64 gen((uint64_t{rd()} << 32) ^ rd());
  for (;;) {
    auto u = wire::uuid::from_halves(gen(), gen());
    if (!u.is_zero() && !(u.msb() == 0 && u.lsb() == 1)) return u.to_string();
  }
}

result<meta_properties, std::string> read_or_create_meta_properties(
    const std::filesystem::path& dir, int32_t node_id, const std::string& cluster_id) {
  const auto path = dir / "meta.properties";
  if (std::filesystem::exists(path)) {
    auto text = read_small_file(path);
    if (!text) return failure{text.error()};
    auto p = parse_properties(*text);
    meta_properties m;
    m.cluster_id = p["cluster.id"];
    m.directory_id = p["directory.id"];
    try {
      m.node_id = std::stoi(p.count("node.id") ? p["node.id"] : p["broker.id"]);
    } catch (const std::exception&) {
      return failure{fmt::format("{}: no valid node.id", path.string())};
    }
    if (m.node_id != node_id)
      return failure{fmt::format("{} belongs to node {}, but this is node {} (node.id)",
                                 path.string(), m.node_id, node_id)};
    if (!cluster_id.empty() && m.cluster_id != cluster_id)
      return failure{fmt::format("{} belongs to cluster {}, but cluster.id is {}", path.string(),
                                 m.cluster_id, cluster_id)};
    return m;
  }
  meta_properties m{cluster_id.empty() ? random_id() : cluster_id, random_id(), node_id};
  auto text =
      fmt::format("#\n# Written by brookd\ncluster.id={}\ndirectory.id={}\nnode.id={}\nversion=1\n",
                  m.cluster_id, m.directory_id, m.node_id);
  if (auto r = write_file_atomic(path, text); !r) return failure{r.error()};
  return m;
}

bool take_clean_shutdown_marker(const std::filesystem::path& dir) {
  std::error_code ec;
  bool clean = std::filesystem::remove(dir / k_clean_marker, ec);
  if (clean) sync_dir(dir);
  return clean;
}

void write_clean_shutdown_marker(const std::filesystem::path& dir) {
  (void)write_file_atomic(dir / k_clean_marker, "");
}

}  // namespace brook::storage
