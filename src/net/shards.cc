#include "net/shards.h"

#include <pthread.h>

#include <string>

namespace brook::net {

namespace {
thread_local shard_id t_current = shard_set::k_not_a_shard;
}

shard_set::shard_set(uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    auto s = std::make_unique<shard>();
    // Concurrency hint 1: each loop is run by exactly one thread, so Asio can skip locking.
    s->ctx = std::make_unique<asio::io_context>(1);
    s->guard = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        s->ctx->get_executor());
    _shards.push_back(std::move(s));
  }
}

shard_set::~shard_set() {
  stop();
  join();
}

void shard_set::start() {
  for (shard_id i = 0; i < _shards.size(); ++i) {
    auto* s = _shards[i].get();
    s->thread = std::thread([s, i] {
      t_current = i;
      std::string name = "brook-shard-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      s->ctx->run();
    });
  }
}

void shard_set::stop() {
  for (auto& s : _shards) {
    s->guard.reset();
    s->ctx->stop();
  }
}

void shard_set::join() {
  for (auto& s : _shards)
    if (s->thread.joinable()) s->thread.join();
}

shard_id shard_set::current() { return t_current; }

}  // namespace brook::net
