#include "client/config.h"

#include <gtest/gtest.h>

#include "client/connection.h"
#include "client/errors.h"

namespace brook::client {
namespace {

TEST(ClientConfig, DefaultsAndTypedValues) {
  config c{
      {"linger.ms", "20"}, {"enable.idempotence", "FALSE"}, {"bootstrap.servers", "a:1, b:2,"}};
  EXPECT_EQ(c.get_int("linger.ms"), 20);
  EXPECT_FALSE(c.get_bool("enable.idempotence"));
  EXPECT_EQ(c.get_string("acks"), "all");
  EXPECT_EQ(c.get_list("bootstrap.servers"), (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(c.get_ms("request.timeout.ms").count(), 30000);
}

TEST(ClientConfig, BadValuesNameTheirKey) {
  config c{{"linger.ms", "soon"}, {"enable.idempotence", "yes"}};
  try {
    (void)c.get_int("linger.ms");
    FAIL();
  } catch (const config_error& e) {
    EXPECT_NE(std::string(e.what()).find("linger.ms"), std::string::npos);
  }
  EXPECT_THROW((void)c.get_bool("enable.idempotence"), config_error);
}

TEST(ClientConfig, CheckRefusesUnknownAndForeignKeys) {
  EXPECT_NO_THROW((config{{"acks", "1"}, {"client.id", "x"}}.check(common | producer_role)));
  EXPECT_THROW((config{{"ackz", "1"}}.check(common | producer_role)), config_error);
  EXPECT_THROW((config{{"group.id", "g"}}.check(common | producer_role)), config_error);
}

TEST(ClientConfig, ForRolesDropsOtherRolesKeysButNotTypos) {
  config c{{"acks", "1"}, {"group.id", "g"}, {"client.id", "x"}, {"ackz", "1"}};
  const config admin = c.for_roles(common | admin_role);
  EXPECT_FALSE(admin.contains("acks"));
  EXPECT_FALSE(admin.contains("group.id"));
  EXPECT_TRUE(admin.contains("client.id"));
  EXPECT_THROW(admin.check(common | admin_role), config_error);
}

TEST(ClientConfig, BrokerAddresses) {
  auto a = parse_broker_address("localhost:9092");
  EXPECT_EQ(a.host, "localhost");
  EXPECT_EQ(a.port, 9092);
  auto b = parse_broker_address("[::1]:19092");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.to_string(), "[::1]:19092");
  EXPECT_THROW(parse_broker_address("nohost"), config_error);
  EXPECT_THROW(parse_broker_address("h:0"), config_error);
  EXPECT_THROW(parse_broker_address("h:70000"), config_error);
  EXPECT_THROW(parse_broker_address("h:9x"), config_error);
}

}  // namespace
}  // namespace brook::client
