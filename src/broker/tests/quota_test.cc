// Client quotas: Kafka's Rate over samples, the throttle time, the precedence of quota levels and
// the sensors they share, the checks of AlterClientQuotas, the cluster file and the settings.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "broker/cluster_state.h"
#include "broker/options.h"
#include "broker/quota.h"

using namespace brook::broker;

namespace {

const std::optional<std::string> k_default;

TEST(RateSensor, AFreshSensorSpansAllButOneWindow) {
  rate_sensor r(11, 1000);
  r.record(1000, 0);
  // One sample, elapsed 0: the span is padded to 10 full windows, as Kafka's Rate does.
  EXPECT_EQ(r.window_size(0), 10000);
  EXPECT_DOUBLE_EQ(r.measure(0), 100.0);
  r.record(500, 1500);
  // The second sample starts at 1500; the oldest at 0: 1.5 s elapsed + 9 padded windows.
  EXPECT_EQ(r.window_size(1500), 10500);
  EXPECT_DOUBLE_EQ(r.measure(1500), 1500 / 10.5);
}

TEST(RateSensor, OldSamplesExpire) {
  rate_sensor r(11, 1000);
  r.record(1000, 0);
  r.record(500, 1500);
  // At 11 s the first sample is 11 windows old and is dropped; the span now starts at 1500
  // (9.5 s, padded to 10 full windows, then 10.5 s without padding).
  EXPECT_DOUBLE_EQ(r.measure(11000), 500 / 10.5);
  EXPECT_EQ(r.window_size(12000), 10500);
  EXPECT_DOUBLE_EQ(r.measure(12000), 500 / 10.5);
  // Much later nothing is left.
  EXPECT_DOUBLE_EQ(r.measure(60000), 0.0);
}

TEST(RateSensor, ASteadyRateIsMeasured) {
  rate_sensor r(11, 1000);
  for (int64_t t = 0; t <= 30000; t += 100) r.record(100, t);
  // 1000 per second, over 11 windows of which the last has just begun.
  EXPECT_NEAR(r.measure(30000), 1000.0, 100.0);
  EXPECT_GE(r.window_size(30000), 10000);
  EXPECT_LE(r.window_size(30000), 11000);
}

TEST(RateSensor, ThrottleTimeIsKafkasFormula) {
  // X = (O - T) / T * W
  EXPECT_EQ(quota_throttle_ms(2000, 1000, 10000), 10000);
  EXPECT_EQ(quota_throttle_ms(1100, 1000, 10000), 1000);
  EXPECT_EQ(quota_throttle_ms(1000.04, 1000, 10000), 0);
  EXPECT_EQ(quota_throttle_ms(150, 100, 10500), 5250);
}

client_quota_map sample_quotas() {
  client_quota_map q;
  q[{{"client-id", "slow"}}]["producer_byte_rate"] = 1024;
  q[{{"client-id", k_default}}]["producer_byte_rate"] = 1e9;
  q[{{"user", "alice"}}]["producer_byte_rate"] = 2048;
  q[{{"user", "bob"}, {"client-id", "app"}}]["producer_byte_rate"] = 4096;
  q[{{"user", "bob"}, {"client-id", k_default}}]["consumer_byte_rate"] = 8192;
  q[{{"user", k_default}}]["request_percentage"] = 50;
  return q;
}

TEST(QuotaResolution, KafkasPrecedence) {
  const auto q = sample_quotas();
  // A client-id quota, and the default client-id one for others.
  auto r = resolve_quota(q, quota_type::produce, "ANONYMOUS", "slow");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, 1024);
  EXPECT_EQ(r->user_tag, "");
  EXPECT_EQ(r->client_tag, "slow");
  r = resolve_quota(q, quota_type::produce, "ANONYMOUS", "fast");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, 1e9);
  // A user quota wins over the client-id ones, and is shared by all the user's clients.
  r = resolve_quota(q, quota_type::produce, "alice", "slow");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, 2048);
  EXPECT_EQ(r->user_tag, "alice");
  EXPECT_EQ(r->client_tag, "");
  // (user, client-id) wins over everything.
  r = resolve_quota(q, quota_type::produce, "bob", "app");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, 4096);
  EXPECT_EQ(r->client_tag, "app");
  // Each quota type is resolved on its own: bob's default client-id entity has only a fetch
  // quota, so his other clients fall through to the client-id levels for produce.
  r = resolve_quota(q, quota_type::produce, "bob", "other");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, 1e9);
  r = resolve_quota(q, quota_type::fetch, "bob", "other");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, 8192);
  EXPECT_EQ(r->user_tag, "bob");
  EXPECT_EQ(r->client_tag, "other");
  // The default user.
  r = resolve_quota(q, quota_type::request, "carol", "x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->limit, 50);
  EXPECT_EQ(r->user_tag, "carol");
  EXPECT_EQ(r->client_tag, "");
  EXPECT_FALSE(resolve_quota(q, quota_type::fetch, "carol", "x"));
  EXPECT_FALSE(resolve_quota({}, quota_type::produce, "carol", "x"));
}

TEST(QuotaMeter, ThrottlesOnlyTheClientOverItsQuota) {
  client_quota_meter m({11, 1000});
  const auto q = sample_quotas();
  // 20 KiB at once against 1 KiB/s: a rate of 2048/s over the padded 10 s window.
  EXPECT_EQ(m.record(q, quota_type::produce, "ANONYMOUS", "slow", 20480, 0), 10000);
  EXPECT_EQ(m.record(q, quota_type::produce, "ANONYMOUS", "fast", 20480, 0), 0);
  EXPECT_EQ(m.record(q, quota_type::fetch, "ANONYMOUS", "slow", 1e9, 0), 0);
  // Within quota at first, over it later.
  client_quota_meter n({11, 1000});
  EXPECT_EQ(n.record(q, quota_type::produce, "ANONYMOUS", "slow", 10240, 0), 0);
  EXPECT_GT(n.record(q, quota_type::produce, "ANONYMOUS", "slow", 1024, 100), 0);
  // Unrecording brings the rate back.
  n.unrecord(q, quota_type::produce, "ANONYMOUS", "slow", 1024, 100);
  EXPECT_EQ(n.record(q, quota_type::produce, "ANONYMOUS", "slow", 0, 100), 0);
}

TEST(QuotaMeter, RequestTimeThrottleIsBounded) {
  client_quota_meter m({11, 1000});
  const auto q = sample_quotas();
  // 10 s of handling against 50%: far over, but capped at one window.
  EXPECT_EQ(m.record(q, quota_type::request, "carol", "x", 1000, 0, 1000), 1000);
  // Alice's clients share one sensor (her user quota): the second client is throttled too.
  EXPECT_GT(m.record(q, quota_type::produce, "alice", "a", 30000, 0), 0);
  EXPECT_GT(m.record(q, quota_type::produce, "alice", "b", 1, 0), 0);
}

std::string check_entity(std::vector<std::pair<std::string, std::optional<std::string>>> parts) {
  quota_entity e;
  return check_quota_entity(parts, e);
}

TEST(QuotaChecks, KafkasMessages) {
  EXPECT_EQ(check_entity({{"user", "a"}, {"client-id", k_default}}), "");
  EXPECT_EQ(check_entity({{"ip", "10.0.0.1"}}), "");
  EXPECT_EQ(check_entity({{"ip", "::1"}}), "");
  EXPECT_EQ(check_entity({{"ip", k_default}}), "");
  EXPECT_EQ(check_entity({}), "Invalid empty client quota entity");
  EXPECT_EQ(check_entity({{"group", "g"}}), "Unhandled client quota entity type: group");
  EXPECT_EQ(check_entity({{"user", ""}}), "Empty user not supported");
  EXPECT_EQ(check_entity({{"user", "a"}, {"user", "b"}}),
            "Invalid client quota entity, duplicate entity entry user");
  EXPECT_EQ(check_entity({{"ip", "10.0.0.1"}, {"user", "a"}}),
            "Invalid quota entity combination, IP entity shouldnot be combined with User or "
            "ClientId");
  EXPECT_EQ(check_entity({{"ip", "not an ip"}}), "not an ip is not a valid IP or resolvable host.");

  const quota_entity client{{"client-id", "c"}}, ip{{"ip", "10.0.0.1"}};
  EXPECT_EQ(check_quota_value(client, "producer_byte_rate", 1024), "");
  EXPECT_EQ(check_quota_value(client, "request_percentage", 12.5), "");
  EXPECT_EQ(check_quota_value(client, "controller_mutation_rate", 0.5), "");
  EXPECT_EQ(check_quota_value(ip, "connection_creation_rate", 10), "");
  EXPECT_EQ(check_quota_value(client, "connection_creation_rate", 10),
            "Invalid configuration key connection_creation_rate");
  EXPECT_EQ(check_quota_value(ip, "producer_byte_rate", 10),
            "Invalid configuration key producer_byte_rate");
  EXPECT_EQ(check_quota_value(client, "no_such_quota", 10),
            "Invalid configuration key no_such_quota");
  EXPECT_EQ(check_quota_value(client, "producer_byte_rate", 0),
            "Quota producer_byte_rate must be greater than 0");
  EXPECT_EQ(check_quota_value(client, "consumer_byte_rate", -5),
            "Quota consumer_byte_rate must be greater than 0");
  EXPECT_EQ(check_quota_value(client, "producer_byte_rate", 10.5),
            "producer_byte_rate cannot be a fractional value.");
  EXPECT_EQ(check_quota_value(client, "producer_byte_rate", 1e30),
            "Proposed value for producer_byte_rate is too large for a LONG.");
  EXPECT_EQ(check_quota_value(ip, "connection_creation_rate", 3e9),
            "Proposed value for connection_creation_rate is too large for an INT.");
}

TEST(QuotaChecks, KeptInTheClusterFile) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("brook-quota-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto q = sample_quotas();
  q[{{"client-id", "odd name=%\n,x"}}]["consumer_byte_rate"] = 2048;
  q[{{"ip", "10.1.2.3"}}]["connection_creation_rate"] = 5;
  q[{{"user", k_default}, {"client-id", k_default}}]["request_percentage"] = 0.25;
  q[{{"user", "x"}}]["request_percentage"] = std::numeric_limits<double>::infinity();
  auto s = cluster_snapshot{}.with_client_quotas(q);
  ASSERT_TRUE(save_cluster(dir, *s));
  auto loaded = load_cluster(dir);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ((*loaded)->client_quotas, q);
  std::filesystem::remove_all(dir);
}

TEST(QuotaChecks, WindowSettings) {
  auto o = load_options("", {{"quota.window.num", "5"}, {"quota.window.size.seconds", "2"}});
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->quota_window.samples, 5);
  EXPECT_EQ(o->quota_window.window_ms, 2000);
  auto d = load_options("", {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->quota_window.samples, 11);
  EXPECT_EQ(d->quota_window.window_ms, 1000);
  EXPECT_FALSE(load_options("", {{"quota.window.num", "0"}}));
  EXPECT_FALSE(load_options("", {{"quota.window.size.seconds", "x"}}));
}

}  // namespace
