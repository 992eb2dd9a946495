#include "broker/producer_ids.h"

#include <fmt/format.h>

#include <charconv>
#include <memory>

#include "storage/file.h"

namespace brook::broker {

result<std::unique_ptr<producer_id_allocator>, std::string> producer_id_allocator::open(
    const std::filesystem::path& log_dir) {
  const auto dir = log_dir / "__brook_cluster";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return failure{fmt::format("cannot create {}: {}", dir.string(), ec.message())};
  const auto file = dir / "producer-ids";
  int64_t start = 0;
  if (std::filesystem::exists(file)) {
    auto text = storage::read_small_file(file);
    if (!text) return failure{text.error()};
    std::string_view t(*text);
    while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.remove_suffix(1);
    auto [end, err] = std::from_chars(t.data(), t.data() + t.size(), start);
    if (err != std::errc() || end != t.data() + t.size() || start < 0)
      return failure{fmt::format("{}: not a producer id: '{}'", file.string(), t)};
  }
  return std::unique_ptr<producer_id_allocator>(new producer_id_allocator(file, start));
}

result<int64_t, std::string> producer_id_allocator::next() {
  std::lock_guard lock(_mutex);
  if (_next >= _limit) {
    const int64_t limit = _next + k_block;
    if (auto r = storage::write_file_atomic(_file, fmt::format("{}\n", limit)); !r)
      return failure{r.error()};
    _limit = limit;
  }
  return _next++;
}

}  // namespace brook::broker
