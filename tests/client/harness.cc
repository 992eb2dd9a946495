#include "harness.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "base/log.h"

namespace brook::client::test {

namespace {
// BROOK_TEST_LOG=debug (or trace, ...) shows the client's own log lines while a test runs.
const bool log_level_set = [] {
  if (const char* l = std::getenv("BROOK_TEST_LOG"))
    if (auto level = log::parse_level(l)) log::set_level(*level);
  return true;
}();
}  // namespace

std::string bootstrap() {
  const char* b = std::getenv("BROOK_TEST_BOOTSTRAP");
  return b ? b : "127.0.0.1:9092";
}

std::string broker_flavour() {
  const char* f = std::getenv("BROOK_TEST_BROKER");
  return f ? f : "brook";
}

std::string unique_name(const std::string& name) {
  static std::atomic<int> counter{0};
  return "it-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

config base_config(std::initializer_list<std::pair<std::string, std::string>> extra) {
  config c{{"bootstrap.servers", bootstrap()}};
  for (const auto& [k, v] : extra) c.set(k, v);
  return c;
}

}  // namespace brook::client::test

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  std::printf("broker under test: %s at %s\n", brook::client::test::broker_flavour().c_str(),
              brook::client::test::bootstrap().c_str());
  return RUN_ALL_TESTS();
}
