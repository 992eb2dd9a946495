#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <future>
#include <string>

#include "net/server.h"

using namespace brook;
using namespace brook::net;

namespace {

// Answers "<payload>" with "re:<payload>". A payload starting with "slow" is answered after
// 50 ms and lets the next request start at once; "close" closes after answering.
asio::awaitable<std::optional<response_frame>> echo(const connection_info&,
                                                    std::shared_ptr<wire::byte_buffer> frame,
                                                    event& dispatched) {
  std::string payload(frame->begin(), frame->end());
  if (payload.starts_with("slow")) {
    dispatched.set();
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
    co_await t.async_wait(asio::use_awaitable);
  }
  if (payload == "throw") throw std::runtime_error("handler failed");
  if (payload == "silent") co_return std::nullopt;
  std::string body = "re:" + payload;
  response_frame r;
  uint32_t n = static_cast<uint32_t>(body.size());
  r.bytes = {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
  r.bytes.insert(r.bytes.end(), body.begin(), body.end());
  r.close_after = payload == "close";
  co_return r;
}

struct client {
  asio::io_context io;
  asio::ip::tcp::socket sock{io};
  explicit client(uint16_t port) { sock.connect({asio::ip::make_address("127.0.0.1"), port}); }
  void send_raw(const std::string& bytes) { asio::write(sock, asio::buffer(bytes)); }
  void send(const std::string& payload) {
    uint32_t n = static_cast<uint32_t>(payload.size());
    std::string f{char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
    send_raw(f + payload);
  }
  // The next response body, or "<closed>".
  std::string receive() {
    uint8_t size[4];
    std::error_code ec;
    asio::read(sock, asio::buffer(size), ec);
    if (ec) return "<closed>";
    uint32_t n = (uint32_t{size[0]} << 24) | (size[1] << 16) | (size[2] << 8) | size[3];
    std::string body(n, '\0');
    asio::read(sock, asio::buffer(body), ec);
    if (ec) return "<closed>";
    return body;
  }
};

struct fixture : ::testing::Test {
  shard_set shards{2};
  server srv{shards, echo};
  void SetUp() override {
    listener_config c;
    c.port = 0;
    c.max_frame_bytes = 1000;
    srv.listen(c);
    shards.start();
  }
  void TearDown() override {
    shards.stop();
    shards.join();
  }
};

}  // namespace

TEST_F(fixture, answers_in_request_order_even_when_later_requests_finish_first) {
  client c(srv.port());
  c.send("slow-1");
  c.send("fast-2");
  c.send("slow-3");
  c.send("silent");
  c.send("fast-4");
  EXPECT_EQ(c.receive(), "re:slow-1");
  EXPECT_EQ(c.receive(), "re:fast-2");
  EXPECT_EQ(c.receive(), "re:slow-3");
  EXPECT_EQ(c.receive(), "re:fast-4");
}

TEST_F(fixture, oversized_and_negative_frames_close_only_that_connection) {
  client good(srv.port());
  client big(srv.port());
  client negative(srv.port());
  big.send(std::string(1001, 'x'));
  EXPECT_EQ(big.receive(), "<closed>");
  negative.send_raw(std::string("\xff\xff\xff\xfe", 4));
  EXPECT_EQ(negative.receive(), "<closed>");
  good.send(std::string(1000, 'y'));
  EXPECT_EQ(good.receive(), "re:" + std::string(1000, 'y'));
}

TEST_F(fixture, a_failing_handler_closes_after_earlier_answers) {
  client c(srv.port());
  c.send("one");
  c.send("throw");
  EXPECT_EQ(c.receive(), "re:one");
  EXPECT_EQ(c.receive(), "<closed>");
  client d(srv.port());
  d.send("close");
  EXPECT_EQ(d.receive(), "re:close");
  EXPECT_EQ(d.receive(), "<closed>");
}

TEST_F(fixture, many_connections_spread_over_shards) {
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(std::make_unique<client>(srv.port()));
  for (int i = 0; i < 20; ++i) clients[i]->send("hello-" + std::to_string(i));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(clients[i]->receive(), "re:hello-" + std::to_string(i));
}

TEST(shards, run_on_returns_values_and_exceptions_across_shards) {
  shard_set shards(2);
  shards.start();
  std::promise<std::pair<shard_id, int>> p;
  asio::co_spawn(
      shards.context(0),
      [&]() -> asio::awaitable<void> {
        int v = co_await run_on(shards.context(1), [] { return int(shard_set::current()) + 41; });
        bool threw = false;
        try {
          co_await run_on(shards.context(1), []() -> int { throw std::runtime_error("x"); });
        } catch (const std::runtime_error&) {
          threw = true;
        }
        p.set_value({shard_set::current(), threw ? v : -1});
      },
      asio::detached);
  auto [where, value] = p.get_future().get();
  EXPECT_EQ(where, 0u);
  EXPECT_EQ(value, 42);
  shards.stop();
  shards.join();
}

// A capturing lambda handed to run_on inside a co_await is destroyed exactly once: the captures'
// reference counts come out right (GCC 12.2 destroyed such temporaries twice; see CMakeLists.txt).
TEST(shards, run_on_keeps_lambda_captures_alive_and_destroys_them_once) {
  shard_set shards(2);
  shards.start();
  auto shared = std::make_shared<int>(7);
  std::shared_ptr<int> held;
  std::promise<long> p;
  asio::co_spawn(
      shards.context(0),
      [&]() -> asio::awaitable<void> {
        auto copy = shared;
        for (int i = 0; i < 3; ++i)
          co_await run_on(shards.context(1), [&held, copy] {
            held = copy;
            return 0;
          });
        std::string text(100, 'x');
        int n = co_await run_on(shards.context(1), [text] { return int(text.size()); });
        p.set_value(n == 100 ? shared.use_count() : -1);
      },
      asio::detached);
  // shared, copy (still in the coroutine when the value is set) and held.
  EXPECT_EQ(p.get_future().get(), 3);
  shards.stop();
  shards.join();
  EXPECT_EQ(shared.use_count(), 2);
}
