// A one-thread wake-up signal for coroutines: wait() suspends until set() is called (or returns
// at once if it already was); reset() arms it again. Built on a timer that never expires by
// itself, so it costs no thread and no system call. Used only from the loop that owns it.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <deque>
#include <memory>
#include <utility>

namespace brook::net {

class event {
 public:
  explicit event(const asio::any_io_executor& ex)
      : _timer(ex, asio::steady_timer::time_point::max()) {}

  bool is_set() const { return _set; }
  void set() {
    _set = true;
    _timer.cancel();
  }
  void reset() {
    _set = false;
    _timer.expires_at(asio::steady_timer::time_point::max());
  }
  asio::awaitable<void> wait() {
    while (!_set) {
      std::error_code ec;
      co_await _timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  // Waits until set() or the deadline; true when set. One waiter at a time.
  asio::awaitable<bool> wait_until(asio::steady_timer::time_point deadline) {
    if (!_set) {
      _timer.expires_at(deadline);
      std::error_code ec;
      co_await _timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!_set) _timer.expires_at(asio::steady_timer::time_point::max());
    }
    co_return _set;
  }

 private:
  asio::steady_timer _timer;
  bool _set = false;
};

// Coroutines of one loop take turns: acquire() completes when every earlier holder has released
// (first come, first served), and the returned guard releases when it goes out of scope. Used
// only from the loop that owns it.
class turn_lock {
 public:
  class held {
   public:
    explicit held(turn_lock* l) : _l(l) {}
    held(held&& o) noexcept : _l(std::exchange(o._l, nullptr)) {}
    held& operator=(held&&) = delete;
    ~held() {
      if (_l) _l->release();
    }

   private:
    turn_lock* _l;
  };

  asio::awaitable<held> acquire() {
    if (_busy) {
      auto turn = std::make_shared<event>(co_await asio::this_coro::executor);
      _queue.push_back(turn);
      co_await turn->wait();  // the previous holder handed its turn over
    }
    _busy = true;
    co_return held(this);
  }

 private:
  void release() {
    if (_queue.empty()) {
      _busy = false;
      return;
    }
    auto next = std::move(_queue.front());
    _queue.pop_front();
    next->set();
  }

  bool _busy = false;
  std::deque<std::shared_ptr<event>> _queue;
};

}  // namespace brook::net
