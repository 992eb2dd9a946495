// Group configs: Kafka 4.4's checks and messages, the values as stored and described, the broker
// settings behind them, and their place in the cluster state file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "broker/cluster_state.h"
#include "broker/group_configs.h"
#include "broker/options.h"

using namespace brook::broker;

namespace {

std::string check(std::map<std::string, std::string> configs,
                  const group_settings& broker = default_group_settings()) {
  return validate_group_configs(configs, broker);
}

const config_entry* find(const std::vector<config_entry>& entries, const std::string& name) {
  for (const auto& e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

TEST(GroupConfigs, AcceptsValidValues) {
  EXPECT_EQ(check({}), "");
  EXPECT_EQ(check({{"consumer.session.timeout.ms", "50000"},
                   {"consumer.heartbeat.interval.ms", " 6000 "},
                   {"share.auto.offset.reset", "by_duration:P1DT2H3M4.5S"},
                   {"share.isolation.level", "read_committed"},
                   {"errors.deadletterqueue.copy.record.enable", "TRUE"},
                   {"streams.rack.aware.assignment.tags", " a , b "},
                   {"streams.assignor.name", "sticky"},
                   {"consumer.assignor.offload.enable", "false"},
                   {"streams.acceptable.recovery.lag", "+5"}}),
            "");
}

TEST(GroupConfigs, RefusesWithKafkasMessages) {
  EXPECT_EQ(check({{"no.such", "1"}}), "Unknown group config name: no.such");
  EXPECT_EQ(check({{"consumer.session.timeout.ms", "soon"}}),
            "Invalid value soon for configuration consumer.session.timeout.ms: Not a number of "
            "type INT");
  EXPECT_EQ(check({{"consumer.session.timeout.ms", "99999999999"}}),
            "Invalid value 99999999999 for configuration consumer.session.timeout.ms: Not a "
            "number of type INT");
  EXPECT_EQ(check({{"streams.acceptable.recovery.lag", "x"}}),
            "Invalid value x for configuration streams.acceptable.recovery.lag: Not a number of "
            "type LONG");
  EXPECT_EQ(check({{"consumer.heartbeat.interval.ms", "0"}}),
            "Invalid value 0 for configuration consumer.heartbeat.interval.ms: Value must be at "
            "least 1");
  EXPECT_EQ(check({{"share.renew.acknowledge.enable", "no"}}),
            "Invalid value no for configuration share.renew.acknowledge.enable: Expected value to "
            "be either true or false");
  EXPECT_EQ(check({{"share.isolation.level", "READ_COMMITTED"}}),
            "Invalid value READ_COMMITTED for configuration share.isolation.level: String must be "
            "one of: read_committed, read_uncommitted");
  for (const char* bad : {"EARLIEST", "sometimes", "by_duration:-PT1H", "by_duration:PT",
                          "by_duration:P", "by_duration:1H"})
    EXPECT_NE(check({{"share.auto.offset.reset", bad}}), "") << bad;
  EXPECT_EQ(check({{"consumer.session.timeout.ms", "1000"}}),
            "consumer.session.timeout.ms must be in the range 45000 to 60000 inclusive.");
  EXPECT_EQ(check({{"consumer.heartbeat.interval.ms", "20000"}}),
            "consumer.heartbeat.interval.ms must be in the range 5000 to 15000 inclusive.");
  EXPECT_EQ(check({{"streams.num.standby.replicas", "3"}}),
            "streams.num.standby.replicas must be less than or equal to 2");
  EXPECT_EQ(check({{"streams.task.offset.interval.ms", "100"}}),
            "streams.task.offset.interval.ms must be greater than or equal to 15000");
  EXPECT_EQ(check({{"streams.assignor.name", "foo"}}),
            "streams.assignor.name 'foo' is not a registered task assignor. Registered assignors "
            "are: [sticky].");
  EXPECT_EQ(check({{"streams.rack.aware.assignment.tags", "a,a"}}),
            "streams.rack.aware.assignment.tags must not contain duplicate tag keys.");
  EXPECT_EQ(check({{"errors.deadletterqueue.topic.name", "__dlq"}}),
            "errors.deadletterqueue.topic.name: DLQ topic name must not start with '__'");
  // Types are checked in Kafka's order of definition, before the ranges.
  EXPECT_EQ(check({{"errors.deadletterqueue.copy.record.enable", "maybe"},
                   {"share.delivery.count.limit", "1"}}),
            "Invalid value 1 for configuration share.delivery.count.limit: Value must be at least "
            "2");
}

TEST(GroupConfigs, BoundsComeFromTheBroker) {
  auto broker = default_group_settings();
  broker["group.consumer.min.session.timeout.ms"] = "10000";
  broker["group.consumer.min.heartbeat.interval.ms"] = "1000";
  broker["group.consumer.max.heartbeat.interval.ms"] = "30000";
  EXPECT_EQ(check({{"consumer.session.timeout.ms", "10000"}}, broker), "");
  // The session must outlast the heartbeat interval, set or not.
  EXPECT_EQ(
      check({{"consumer.session.timeout.ms", "10000"}, {"consumer.heartbeat.interval.ms", "10000"}},
            broker),
      "consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms");
  broker["group.consumer.heartbeat.interval.ms"] = "20000";
  EXPECT_EQ(check({{"consumer.session.timeout.ms", "15000"}}, broker),
            "consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms");
}

TEST(GroupConfigs, StoredAsKafkaParsesThem) {
  auto n = normalise_group_configs({{"consumer.session.timeout.ms", " +50000 "},
                                    {"errors.deadletterqueue.copy.record.enable", "TRUE"},
                                    {"share.auto.offset.reset", " earliest "},
                                    {"streams.rack.aware.assignment.tags", " a , b "}});
  EXPECT_EQ(n.at("consumer.session.timeout.ms"), "50000");
  EXPECT_EQ(n.at("errors.deadletterqueue.copy.record.enable"), "true");
  EXPECT_EQ(n.at("share.auto.offset.reset"), "earliest");
  EXPECT_EQ(n.at("streams.rack.aware.assignment.tags"), "a,b");
}

TEST(GroupConfigs, DescribedOverTheBrokersSettings) {
  auto broker = default_group_settings();
  broker["group.consumer.session.timeout.ms"] = "50000";
  auto all = describe_group_configs(broker, {});
  // The 21 public configs; internal ones only once set.
  EXPECT_EQ(all.size(), 21u);
  EXPECT_EQ(find(all, "consumer.assignor.offload.enable"), nullptr);
  const auto* session = find(all, "consumer.session.timeout.ms");
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->value, "50000");
  EXPECT_EQ(session->source, k_config_source_default);
  EXPECT_EQ(session->type, 3);
  ASSERT_EQ(session->synonyms.size(), 1u);
  EXPECT_EQ(session->synonyms[0].name, "group.consumer.session.timeout.ms");
  const auto* reset = find(all, "share.auto.offset.reset");
  ASSERT_NE(reset, nullptr);
  EXPECT_EQ(reset->synonyms.at(0).name, "share.auto.offset.reset");
  EXPECT_EQ(find(all, "streams.assignor.name")->value, "sticky");
  EXPECT_EQ(find(all, "streams.rack.aware.assignment.tags")->type, 7);

  auto set = describe_group_configs(
      broker, {{"consumer.heartbeat.interval.ms", "6000"}, {"streams.num.warmup.replicas", "3"}});
  EXPECT_EQ(set.size(), 22u);
  const auto* hb = find(set, "consumer.heartbeat.interval.ms");
  EXPECT_EQ(hb->value, "6000");
  EXPECT_EQ(hb->source, k_config_source_group);
  ASSERT_EQ(hb->synonyms.size(), 2u);
  EXPECT_EQ(hb->synonyms[0].source, k_config_source_group);
  EXPECT_EQ(hb->synonyms[1].name, "group.consumer.heartbeat.interval.ms");
  EXPECT_EQ(hb->synonyms[1].value, "5000");
  EXPECT_NE(find(set, "streams.num.warmup.replicas"), nullptr);

  auto o = coordinator_overrides({{"consumer.heartbeat.interval.ms", "6000"}});
  EXPECT_EQ(o.consumer_heartbeat_interval_ms, 6000);
  EXPECT_FALSE(o.consumer_session_timeout_ms.has_value());
}

TEST(GroupConfigs, BrokerSettingsAreRead) {
  auto o = load_options("", {{"group.consumer.min.session.timeout.ms", "10000"},
                             {"group.consumer.session.timeout.ms", "10000"},
                             {"group.share.max.delivery.count.limit", "20"},
                             {"group.streams.assignors", "sticky,mine"}});
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->group_defaults.at("group.consumer.session.timeout.ms"), "10000");
  EXPECT_EQ(o->group_defaults.at("group.consumer.min.session.timeout.ms"), "10000");
  EXPECT_EQ(o->group_defaults.at("group.share.max.delivery.count.limit"), "20");
  EXPECT_EQ(validate_group_configs({{"share.delivery.count.limit", "15"}}, o->group_defaults), "");
  EXPECT_EQ(validate_group_configs({{"streams.assignor.name", "mine"}}, o->group_defaults), "");
  EXPECT_FALSE(load_options("", {{"group.share.max.delivery.count.limit", "many"}}));
}

TEST(GroupConfigs, KeptInTheClusterFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("brook-group-configs-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  cluster_snapshot empty;
  // Any group id, spaces and percent signs included.
  const std::string odd = "a group %20 with\tspaces\n";
  auto s = empty.with_group_configs(odd, {{"consumer.session.timeout.ms", "50000"},
                                          {"errors.deadletterqueue.topic.name", "x y%"}});
  s = s->with_group_configs("g", {{"share.auto.offset.reset", "earliest"}});
  ASSERT_TRUE(save_cluster(dir, *s));
  auto loaded = load_cluster(dir);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ((*loaded)->group_configs, s->group_configs);
  EXPECT_EQ((*loaded)->group_configs_of(odd).at("errors.deadletterqueue.topic.name"), "x y%");
  // Removing every config removes the group's entry.
  auto gone = (*loaded)->with_group_configs("g", {});
  EXPECT_TRUE(gone->group_configs_of("g").empty());
  EXPECT_EQ(gone->group_configs.size(), 1u);
  std::filesystem::remove_all(dir);
}

// Feature levels (UpdateFeatures) live in the same file.
TEST(ClusterFeatures, InitialLevelsAndChangesKeptInTheClusterFile) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("brook-features-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  cluster_snapshot fresh;
  EXPECT_EQ(fresh.feature_level("transaction.version"), 2);
  EXPECT_EQ(fresh.feature_level("group.version"), 1);
  EXPECT_EQ(fresh.feature_level("no.such.feature"), 0);
  EXPECT_EQ(fresh.features_epoch, 1);
  auto s = fresh.with_features({{"transaction.version", 1}});
  s = s->with_features({{"group.version", 0}});
  EXPECT_EQ(s->features_epoch, 3);
  ASSERT_TRUE(save_cluster(dir, *s));
  auto loaded = load_cluster(dir);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ((*loaded)->feature_level("transaction.version"), 1);
  EXPECT_EQ((*loaded)->feature_level("group.version"), 0);
  EXPECT_EQ((*loaded)->features_epoch, 3);
  std::filesystem::remove_all(dir);
}

}  // namespace
