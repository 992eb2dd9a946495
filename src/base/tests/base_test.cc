#include <gtest/gtest.h>

#include <string>

#include "base/log.h"
#include "base/result.h"

using namespace brook;

namespace {
enum class err { not_found = 1, busy = 2 };

result<int, err> half(int x) {
  if (x % 2) return failure{err::busy};
  return x / 2;
}
}  // namespace

TEST(result, holds_value_or_error) {
  auto a = half(8);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, 4);
  auto b = half(3);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), err::busy);
  result<std::string, std::string> same = failure{std::string("bad")};
  EXPECT_FALSE(same.has_value());
  EXPECT_EQ(same.error(), "bad");
  result<void, err> ok;
  EXPECT_TRUE(ok);
  result<void, err> no = failure{err::not_found};
  EXPECT_EQ(no.error(), err::not_found);
}

TEST(log, parses_levels) {
  EXPECT_EQ(log::parse_level("INFO"), log::level::info);
  EXPECT_EQ(log::parse_level("warning"), log::level::warn);
  EXPECT_EQ(log::parse_level("loud"), std::nullopt);
  log::set_level(log::level::warn);
  EXPECT_FALSE(log::enabled(log::level::info));
  EXPECT_TRUE(log::enabled(log::level::error));
  log::set_level(log::level::info);
}
