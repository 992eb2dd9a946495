// Logging: one readable line per event, "2026-11-25T10:00:00.123Z INFO  [component] message", to
// stderr. Lines from different threads never interleave (each is written with one write call).
// The level is process-wide and may change at run time; a disabled level costs one relaxed load.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <optional>
#include <string_view>

namespace brook::log {

enum class level : int { trace = 0, debug = 1, info = 2, warn = 3, error = 4, off = 5 };

namespace detail {
inline std::atomic<int> g_level{static_cast<int>(level::info)};
void write(level l, std::string_view component, std::string_view message);
}  // namespace detail

inline void set_level(level l) { detail::g_level.store(static_cast<int>(l)); }
inline bool enabled(level l) {
  return static_cast<int>(l) >= detail::g_level.load(std::memory_order_relaxed);
}
// "trace", "debug", "info", "warn" (or "warning"), "error", "off"; case-insensitive.
std::optional<level> parse_level(std::string_view name);

// A named source of log lines, e.g. `inline log::logger lg("storage");`.
class logger {
 public:
  constexpr explicit logger(std::string_view component) : _component(component) {}

  template <class... Args>
  void log(level l, fmt::format_string<Args...> f, Args&&... args) const {
    if (enabled(l)) detail::write(l, _component, fmt::format(f, std::forward<Args>(args)...));
  }
  template <class... Args>
  void trace(fmt::format_string<Args...> f, Args&&... args) const {
    log(level::trace, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void debug(fmt::format_string<Args...> f, Args&&... args) const {
    log(level::debug, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void info(fmt::format_string<Args...> f, Args&&... args) const {
    log(level::info, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void warn(fmt::format_string<Args...> f, Args&&... args) const {
    log(level::warn, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void error(fmt::format_string<Args...> f, Args&&... args) const {
    log(level::error, f, std::forward<Args>(args)...);
  }

 private:
  std::string_view _component;
};

}  // namespace brook::log
