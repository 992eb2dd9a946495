#include "base/log.h"

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <string>

namespace brook::log {

namespace {
std::string_view level_name(level l) {
  switch (l) {
    case level::trace:
      return "TRACE";
    case level::debug:
      return "DEBUG";
    case level::info:
      return "INFO ";
    case level::warn:
      return "WARN ";
    case level::error:
      return "ERROR";
    case level::off:
      break;
  }
  return "?    ";
}
}  // namespace

void detail::write(level l, std::string_view component, std::string_view message) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string line = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} [{}] {}\n",
                                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                 tm.tm_min, tm.tm_sec, ms, level_name(l), component, message);
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

std::optional<level> parse_level(std::string_view name) {
  std::string s;
  for (char c : name) s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (s == "trace") return level::trace;
  if (s == "debug") return level::debug;
  if (s == "info") return level::info;
  if (s == "warn" || s == "warning") return level::warn;
  if (s == "error") return level::error;
  if (s == "off") return level::off;
  return std::nullopt;
}

}  // namespace brook::log
