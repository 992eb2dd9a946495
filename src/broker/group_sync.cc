#include "broker/group_sync.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>

#include "base/log.h"
#include "broker/partition.h"

namespace brook::broker {

namespace {
const log::logger lg("sync");
}

asio::awaitable<bool> group_sync::sync(partition& p) {
  if (!_next) _next = std::make_shared<round>(_ctx);
  auto r = _next;
  if (std::find(r->partitions.begin(), r->partitions.end(), &p) == r->partitions.end())
    r->partitions.push_back(&p);
  if (!_running) {
    _running = true;
    asio::co_spawn(_ctx, run(), asio::detached);
  }
  co_await r->done.wait();
  co_return std::find(r->failed.begin(), r->failed.end(), &p) == r->failed.end();
}

void group_sync::forget(partition& p) {
  if (_next) std::erase(_next->partitions, &p);
}

asio::awaitable<void> group_sync::run() {
  while (_next) {
    // Let the appends already queued on this shard join the round before it starts.
    co_await asio::post(_ctx, asio::use_awaitable);
    auto r = std::move(_next);
    _next.reset();
    for (auto* p : r->partitions) {
      if (auto f = p->log().flush(); !f) {
        lg.error("{}-{}: sync failed: {}", p->topic(), p->index(), f.error().message);
        r->failed.push_back(p);
      }
    }
    r->done.set();
  }
  _running = false;
}

}  // namespace brook::broker
