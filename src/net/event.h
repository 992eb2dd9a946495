// A one-thread wake-up signal for coroutines: wait() suspends until set() is called (or returns
// at once if it already was); reset() arms it again. Built on a timer that never expires by
// itself, so it costs no thread and no system call. Used only from the loop that owns it.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

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

}  // namespace brook::net
