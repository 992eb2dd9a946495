// A group coordinator driven on one io_context, with a writer that keeps the records it is given
// (the tests of group_coordinator and consumer groups).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "coordinator/group_coordinator.h"

namespace brook::coordinator::test_support {

struct fixture {
  asio::io_context io;
  std::vector<std::pair<int32_t, log_record>> written;
  int16_t write_error = 0;
  std::unique_ptr<group_coordinator> c;
  // The topics consumer groups see.
  std::map<std::string, topic_ref> topics;
  // Bumped by a test that changes `topics`.
  uint64_t topics_version = 0;
  // Groups' own settings (group configs).
  std::map<std::string, group_overrides> overrides;

  explicit fixture(coordinator_config config = {}) {
    config.initial_rebalance_delay_ms = 0;
    c = std::make_unique<group_coordinator>(
        io.get_executor(), config,
        [this](int32_t p, std::vector<log_record> records) -> asio::awaitable<int16_t> {
          for (auto& r : records) written.emplace_back(p, std::move(r));
          co_return write_error;
        });
    c->set_topics({[this](const std::string& name) -> std::optional<topic_ref> {
                     auto it = topics.find(name);
                     if (it == topics.end()) return std::nullopt;
                     return it->second;
                   },
                   [this](const wire::uuid& id) -> std::optional<topic_ref> {
                     for (const auto& [name, t] : topics)
                       if (t.id == id) return t;
                     return std::nullopt;
                   },
                   [this] {
                     std::vector<std::string> names;
                     for (const auto& [name, t] : topics) names.push_back(name);
                     return names;
                   },
                   [this] { return topics_version; },
                   [this](const std::string& group) {
                     auto it = overrides.find(group);
                     return it == overrides.end() ? group_overrides{} : it->second;
                   }});
  }

  // Starts `a` and runs the loop until nothing is ready; the result is set when `a` finished.
  template <class T>
  std::shared_ptr<std::optional<T>> start(asio::awaitable<T> a) {
    auto out = std::make_shared<std::optional<T>>();
    asio::co_spawn(
        io,
        [](asio::awaitable<T> a, std::shared_ptr<std::optional<T>> out) -> asio::awaitable<void> {
          *out = co_await std::move(a);
        }(std::move(a), out),
        asio::detached);
    io.restart();
    io.poll();
    return out;
  }
  // As start(), for a coroutine without a result; true once it finished.
  bool run(asio::awaitable<void> a) {
    auto done = start([](asio::awaitable<void> a) -> asio::awaitable<bool> {
      co_await std::move(a);
      co_return true;
    }(std::move(a)));
    return done->has_value();
  }
  void poll() {
    io.restart();
    io.poll();
  }
};

}  // namespace brook::coordinator::test_support
