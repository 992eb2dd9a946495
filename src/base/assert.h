// Assertions for programmer errors only. Never assert on data that came from the wire or a file:
// such input is checked and turned into an error (see protocol/wire/reader.h).
#pragma once

#include <cstdio>
#include <cstdlib>

namespace brook::detail {
[[noreturn]] inline void assert_failed(const char* expr, const char* file, int line,
                                       const char* msg) {
  std::fprintf(stderr, "brook: assertion failed: %s (%s) at %s:%d\n", expr, msg, file, line);
  std::abort();
}
}  // namespace brook::detail

// Checked in every build mode: the cost is a predictable branch.
#define BROOK_ASSERT(expr, msg)                                         \
  do {                                                                  \
    if (!(expr)) [[unlikely]]                                           \
      ::brook::detail::assert_failed(#expr, __FILE__, __LINE__, (msg)); \
  } while (0)
