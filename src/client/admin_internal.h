// Shared by the Admin client's source files (admin*.cc), not part of the public API: the retry loop
// every call runs in, and a record of the items of a batched call that failed. Everything here
// runs on the cluster's I/O thread.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "client/cluster.h"
#include "client/errors.h"

namespace brook::client::detail {

using steady = std::chrono::steady_clock;

// The code for a wire number; UNKNOWN_SERVER_ERROR for a number Brook does not know.
inline protocol::error_code code_of(int16_t code) {
  return protocol::error_from_int(code).value_or(protocol::error_code::unknown_server_error);
}

// "context: message" when the broker sent a message, else "context".
inline std::string describe(const std::string& context, const std::optional<std::string>& message) {
  if (message && !message->empty()) return fmt::format("{}: {}", context, *message);
  return context;
}

// Whether an Admin call tries again after this code. An unknown topic or partition is final for
// the Admin client (as in Java's): the name is wrong, waiting does not help; a leader or
// coordinator that moved, a controller that is busy, a lost connection are retried.
inline bool retriable(protocol::error_code code) {
  return protocol::is_retriable(code) && code != protocol::error_code::unknown_topic_or_partition;
}

// Runs `attempt` until it returns, retrying retriable kafka_errors with backoff until
// default.api.timeout.ms has passed since the first attempt; then the last error is thrown.
template <class T>
asio::awaitable<T> retrying(cluster& c, std::function<asio::awaitable<T>()> attempt) {
  const auto deadline = steady::now() + c.settings().get_ms("default.api.timeout.ms");
  for (int n = 0;; ++n) {
    try {
      co_return co_await attempt();
    } catch (const kafka_error& e) {
      if (!retriable(e.code()) || steady::now() >= deadline) throw;
    }
    co_await c.backoff(n);
  }
}

// The outcome of the items of a batched call across attempts: the first item that failed for good
// (thrown once the call is done), and whether some item must be tried again.
struct failures {
  std::optional<kafka_error> first;
  std::optional<kafka_error> retry;

  // Records an item's code: true when it succeeded, false when it failed (for good, or for now:
  // then `retry` is set and the item should stay pending).
  bool note(int16_t code, const std::string& context,
            const std::optional<std::string>& message = std::nullopt) {
    if (code == 0) return true;
    kafka_error e(code_of(code), describe(context, message));
    if (detail::retriable(e.code())) {
      if (!retry) retry = e;
    } else if (!first) {
      first = e;
    }
    return false;
  }
  bool retriable(int16_t code) const { return detail::retriable(code_of(code)); }
  // Ends an attempt: throws the retriable error (so the attempt is made again) and clears it.
  void end_attempt() {
    if (!retry) return;
    kafka_error e = *retry;
    retry.reset();
    throw e;
  }
  // Ends the call: throws the first permanent failure.
  void finish() const {
    if (first) throw *first;
  }
};

}  // namespace brook::client::detail
