// Shared by the Admin client's source files (admin*.cc), not part of the public API: the retry loop
// every call runs in, and a record of the items of a batched call that failed. Everything here
// runs on the cluster's I/O thread. Also: grouping partitions by leader and taking per-partition
// answers.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

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

// request.timeout.ms, for the requests that carry a timeout for the broker.
inline int32_t request_timeout_ms(const cluster& c) {
  return static_cast<int32_t>(c.settings().get_ms("request.timeout.ms").count());
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

// The partitions of `pending` grouped by leader; items whose topic or partition does not exist
// are recorded as failed and removed, those without a leader yet are kept for the next attempt.
template <class V>
asio::awaitable<std::map<int32_t, std::vector<topic_partition>>> by_leader(
    cluster& c, std::map<topic_partition, V>& pending, failures& f) {
  std::vector<std::string> topics;
  for (const auto& [tp, v] : pending)
    if (topics.empty() || topics.back() != tp.topic) topics.push_back(tp.topic);
  auto snap = co_await c.refresh_metadata(topics);
  std::map<int32_t, std::vector<topic_partition>> out;
  for (auto it = pending.begin(); it != pending.end();) {
    const topic_partition& tp = it->first;
    const topic_metadata* t = snap->find(tp.topic);
    const auto context = fmt::format("{}-{}", tp.topic, tp.partition);
    if (!t ||
        (t->error == protocol::error_code::none && tp.partition >= 0 &&
         static_cast<size_t>(tp.partition) >= t->partitions.size()) ||
        tp.partition < 0) {
      f.note(static_cast<int16_t>(protocol::error_code::unknown_topic_or_partition), context);
      it = pending.erase(it);
      continue;
    }
    const int32_t leader = snap->leader_of(tp.topic, tp.partition);
    if (leader < 0)
      f.note(static_cast<int16_t>(protocol::error_code::leader_not_available), context);
    else
      out[leader].push_back(tp);
    ++it;
  }
  co_return out;
}

// Takes each partition's answer of a per-partition response: `ok(tp, p)` for a success; the
// partition leaves `pending` unless its error is retriable (then the next attempt asks again).
template <class Topics, class V, class Ok>
void take_results(const Topics& topics, std::map<topic_partition, V>& pending, failures& f, Ok ok) {
  for (const auto& t : topics) {
    for (const auto& p : t.partitions) {
      const topic_partition tp{t.name, p.partition_index};
      if (!pending.count(tp)) continue;
      const bool good = f.note(p.error_code, fmt::format("{}-{}", t.name, p.partition_index));
      if (good) ok(tp, p);
      if (good || !f.retriable(p.error_code)) pending.erase(tp);
    }
  }
}

// The per-partition call shape (ListOffsets, DeleteRecords, DescribeProducers, WriteTxnMarkers):
// until `pending` is empty or default.api.timeout.ms has passed, groups the pending partitions by
// leader and runs `ask(connection, partitions)` for each leader (which takes its answers out of
// `pending` with take_results); then throws the first partition that failed for good.
template <class V, class Ask>
asio::awaitable<void> at_leaders(cluster& c, std::map<topic_partition, V>& pending, Ask ask) {
  failures f;
  co_await retrying<void>(c, [&]() -> asio::awaitable<void> {
    const auto leaders = co_await by_leader(c, pending, f);
    for (const auto& [leader, tps] : leaders)
      co_await ask(co_await c.connection_to(leader), tps, f);
    f.end_attempt();
  });
  f.finish();
}

}  // namespace brook::client::detail
