#include <gtest/gtest.h>

#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>

#include "net/server.h"
#include "net/tests/harness.h"

using namespace brook;
using namespace brook::net;

namespace {

// A file that "file" requests send from: 3 MiB of a byte pattern (more than a socket buffer
// holds, so sendfile has to wait for the reader).
constexpr size_t k_file_size = 3 << 20;
int g_file_fd = -1;
char pattern_at(size_t i) { return static_cast<char>('a' + (i * 7 + i / 4096) % 26); }

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
  response_frame r;
  if (payload == "file" || payload == "file-short") {
    // "<" + file[100, 100 + k_file_size - 200) + "|" + file[0, 10) + ">"; "file-short" promises
    // 10 bytes more than the file has.
    const size_t extra = payload == "file-short" ? 10 : 0;
    const size_t first = k_file_size - 200 + extra;
    const uint32_t n = static_cast<uint32_t>(3 + first + 10);
    r.bytes = {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n), '<', '|', '>'};
    auto owner = std::make_shared<int>(0);
    r.splices.push_back({5, {g_file_fd, 100 + int64_t(extra) * 10, first}, owner});
    r.splices.push_back({6, {g_file_fd, 0, 10}, owner});
    co_return r;
  }
  std::string body = "re:" + payload;
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
  void send(const std::string& payload) { send_raw(harness::framed(payload)); }
  // The next response body, or "<closed>".
  std::string receive() { return harness::read_frame(sock); }
};

struct fixture : harness::server_fixture<echo> {
  void SetUp() override {
    listener_config c;
    c.port = 0;
    c.max_frame_bytes = 1000;
    listen(c);
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

TEST_F(fixture, file_ranges_are_sent_from_the_file_between_in_memory_bytes) {
  char name[] = "/tmp/brook-server-test-XXXXXX";
  g_file_fd = ::mkstemp(name);
  ASSERT_GE(g_file_fd, 0);
  ::unlink(name);
  std::string content(k_file_size, '\0');
  for (size_t i = 0; i < k_file_size; ++i) content[i] = pattern_at(i);
  ASSERT_EQ(::write(g_file_fd, content.data(), content.size()), ssize_t(content.size()));

  client c(srv.port());
  c.send("file");
  c.send("a");
  std::string expected =
      "<" + content.substr(100, k_file_size - 200) + "|" + content.substr(0, 10) + ">";
  std::string got = c.receive();
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
  EXPECT_EQ(c.receive(), "re:a");

  // A file shorter than its range: the frame cannot be finished, so the connection closes.
  client d(srv.port());
  d.send("file-short");
  EXPECT_EQ(d.receive(), "<closed>");
  ::close(g_file_fd);
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
