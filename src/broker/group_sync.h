// Group commit for partitions that must be on disk before an append is acknowledged
// (flush.messages=1): appends that arrive while a round of fdatasync calls runs wait for the next
// round, which syncs each of their partitions once. Concurrent producers then share the cost of a
// sync instead of queueing one each.
//
// The fdatasync calls run on a thread of their own, so the shard goes on serving (and appending
// the next round's records) while the disk works.
//
// One per shard; sync() and forget() are called only on that shard's thread.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

#include <memory>
#include <thread>
#include <vector>

#include "net/event.h"

namespace brook::broker {

class partition;

class group_sync {
 public:
  explicit group_sync(asio::io_context& ctx);
  ~group_sync();
  group_sync(const group_sync&) = delete;
  group_sync& operator=(const group_sync&) = delete;

  // Completes once everything appended to `p` so far is on disk; false if the sync failed.
  asio::awaitable<bool> sync(partition& p);
  // Drops `p` from the pending and the running round (before the partition is closed or
  // deleted); its waiters are told the sync failed only if it did.
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
  std::shared_ptr<round> _current;
  bool _running = false;
  // Where the fdatasync calls run.
  asio::io_context _disk;
  asio::executor_work_guard<asio::io_context::executor_type> _disk_work;
  std::thread _disk_thread;
};

}  // namespace brook::broker
