// Thread-per-core execution: one event loop (an asio::io_context) per shard, each run by one
// thread. State that a shard owns (its partitions, its connections) is touched only by that
// shard's thread, so the data path takes no locks; work for another shard travels as a posted
// function (run_on). Asio runs the handlers of a single-threaded io_context in the order they
// were posted, so two calls from one shard to another execute in the order they were made.
//
// Ownership: the process creates one shard_set and keeps it until exit. start() launches the
// threads; stop() asks every loop to finish, and join() waits for the threads. Work that must
// finish before exit (flushing logs) is arranged by the owner before stop().
#pragma once

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <cstdint>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

namespace brook::net {

using shard_id = uint32_t;

class shard_set {
 public:
  explicit shard_set(uint32_t count);
  ~shard_set();
  shard_set(const shard_set&) = delete;
  shard_set& operator=(const shard_set&) = delete;

  uint32_t size() const { return static_cast<uint32_t>(_shards.size()); }
  asio::io_context& context(shard_id s) { return *_shards[s]->ctx; }

  // Runs every loop on its own thread. The calling thread is not one of them.
  void start();
  // Lets each loop return once it has no work left besides the guard, and stops it.
  void stop();
  void join();

  // The shard whose thread is calling, or k_not_a_shard.
  static shard_id current();
  static constexpr shard_id k_not_a_shard = UINT32_MAX;

 private:
  struct shard {
    std::unique_ptr<asio::io_context> ctx;
    std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::thread thread;
  };
  std::vector<std::unique_ptr<shard>> _shards;
};

// Runs `f` on the loop of `target` and resumes the caller on its own executor with the result.
// `f` returns a value or an asio::awaitable. Exceptions thrown by `f` reach the caller.
template <class T>
struct is_awaitable : std::false_type {};
template <class T, class E>
struct is_awaitable<asio::awaitable<T, E>> : std::true_type {};

namespace detail {
// The callable lives in this coroutine's own frame (a by-value parameter), so a lambda's captures
// outlive every suspension of the coroutine it returns. Capturing lambdas that are themselves
// coroutines are not handed to co_spawn directly: with GCC 12 and Asio 1.22 their captures were
// seen freed while the coroutine still ran.
template <class R, class F>
asio::awaitable<R> call_in_frame(F f) {
  if constexpr (is_awaitable<std::invoke_result_t<F&>>::value)
    co_return co_await f();
  else
    co_return f();
}
template <class F>
asio::awaitable<void> call_in_frame_void(F f) {
  if constexpr (is_awaitable<std::invoke_result_t<F&>>::value)
    co_await f();
  else
    f();
}
template <class T>
struct awaitable_value {
  using type = T;
};
template <class T, class E>
struct awaitable_value<asio::awaitable<T, E>> {
  using type = T;
};
}  // namespace detail

template <class F>
auto run_on(asio::io_context& target, F f) {
  using R = typename detail::awaitable_value<std::invoke_result_t<F&>>::type;
  if constexpr (std::is_void_v<R>)
    return asio::co_spawn(target, detail::call_in_frame_void(std::move(f)), asio::use_awaitable);
  else
    return asio::co_spawn(target, detail::call_in_frame<R>(std::move(f)), asio::use_awaitable);
}

}  // namespace brook::net
