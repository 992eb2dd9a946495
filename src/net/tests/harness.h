// What the net tests share: Kafka framing for their clients (an int32 size, then the bytes) and a
// fixture that runs a server on two shards.
#pragma once

#include <gtest/gtest.h>

#include <asio/read.hpp>

#include <cstdint>
#include <string>
#include <system_error>

#include "net/server.h"

namespace brook::net::harness {

// `payload` with its size in front.
inline std::string framed(const std::string& payload) {
  const auto n = static_cast<uint32_t>(payload.size());
  return std::string{char(n >> 24), char(n >> 16), char(n >> 8), char(n)} + payload;
}

// The next frame's bytes from `stream` (a socket or a TLS stream), or "<closed>".
template <class Stream>
std::string read_frame(Stream& stream) {
  uint8_t size[4];
  std::error_code ec;
  asio::read(stream, asio::buffer(size), ec);
  if (ec) return "<closed>";
  const uint32_t n = (uint32_t{size[0]} << 24) | (size[1] << 16) | (size[2] << 8) | size[3];
  std::string body(n, '\0');
  asio::read(stream, asio::buffer(body), ec);
  if (ec) return "<closed>";
  return body;
}

// Serves `Handler` on the listener given to listen(), from two shards, until the test ends.
template <auto Handler>
struct server_fixture : ::testing::Test {
  shard_set shards{2};
  server srv{shards, Handler};
  void listen(const listener_config& c) {
    srv.listen(c);
    shards.start();
  }
  void TearDown() override {
    shards.stop();
    shards.join();
  }
};

}  // namespace brook::net::harness
