// Group commit for partitions that must be on disk before an append is acknowledged
// (flush.messages=1): appends that arrive while a round of fdatasync calls runs wait for the next
// round, which syncs each of their partitions once. Concurrent producers then share the cost of a
// sync instead of queueing one each.
//
// One per shard, used only on that shard's thread.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>

#include <memory>
#include <vector>

#include "net/event.h"

namespace brook::broker {

class partition;

class group_sync {
 public:
  explicit group_sync(asio::io_context& ctx) : _ctx(ctx) {}

  // Completes once everything appended to `p` so far is on disk; false if the sync failed.
  asio::awaitable<bool> sync(partition& p);
  // Drops `p` from the pending round (before the partition is closed or deleted).
  void forget(partition& p);

 private:
  struct round {
    explicit round(asio::io_context& ctx) : done(ctx.get_executor()) {}
    std::vector<partition*> partitions;
    std::vector<partition*> failed;
    net::event done;
  };
  asio::awaitable<void> run();

  asio::io_context& _ctx;
  std::shared_ptr<round> _next;
  bool _running = false;
};

}  // namespace brook::broker
