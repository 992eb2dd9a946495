#include "broker/group_sync.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <optional>
#include <string>

#include "base/log.h"
#include "broker/partition.h"
#include "net/shards.h"

namespace brook::broker {

namespace {
const log::logger lg("sync");
}

group_sync::group_sync(asio::io_context& ctx)
    : _ctx(ctx), _disk_work(_disk.get_executor()), _disk_thread([this] { _disk.run(); }) {}

group_sync::~group_sync() {
  _disk_work.reset();
  _disk.stop();
  _disk_thread.join();
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
  // The running round keeps its slots (they pair with its flush tickets); a forgotten one is
  // emptied and skipped when the round completes.
  if (_current)
    std::replace(_current->partitions.begin(), _current->partitions.end(), &p,
                 static_cast<partition*>(nullptr));
}

asio::awaitable<void> group_sync::run() {
  while (_next) {
    // Let the appends already queued on this shard join the round before it starts.
    co_await asio::post(_ctx, asio::use_awaitable);
    _current = std::move(_next);
    _next.reset();
    auto r = _current;
    std::vector<storage::partition_log::flush_ticket> tickets;
    tickets.reserve(r->partitions.size());
    for (auto* p : r->partitions) tickets.push_back(p->log().begin_flush());
    // The tickets keep the files open while they sync, even if a partition is deleted meanwhile.
    auto errors = co_await net::run_on(_disk, [&tickets] {
      std::vector<std::optional<std::string>> errs(tickets.size());
      for (size_t i = 0; i < tickets.size(); ++i)
        if (auto f = tickets[i].log->sync(); !f) errs[i] = f.error();
      return errs;
    });
    // Back on the shard; partitions forgotten meanwhile are null now.
    for (size_t i = 0; i < tickets.size(); ++i) {
      auto* p = r->partitions[i];
      if (!p) continue;
      if (errors[i]) {
        lg.error("{}-{}: sync failed: {}", p->topic(), p->index(), *errors[i]);
        r->failed.push_back(p);
      } else {
        p->log().end_flush(tickets[i]);
      }
    }
    _current.reset();
    r->done.set();
  }
  _running = false;
}

}  // namespace brook::broker
