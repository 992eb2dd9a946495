// The Admin client (client/admin.h) against a live broker: every call, with what the broker
// answers checked, and the error codes Kafka gives for duplicates, unknown names and bad values.
// ACL tests need an authorizer (run.sh's BROOK_CLIENT_BROKER_SETTINGS) and skip without one.
#include <gtest/gtest.h>

#include <unistd.h>
#include <algorithm>

#include <cctype>
#include <thread>

#include "client/admin.h"
#include "client/cluster.h"
#include "client/producer.h"
#include "harness.h"
#include "protocol/generated/consumer_group_heartbeat_request.h"
#include "protocol/generated/consumer_group_heartbeat_response.h"
#include "protocol/generated/consumer_protocol_assignment.h"
#include "protocol/generated/consumer_protocol_subscription.h"
#include "protocol/generated/join_group_request.h"
#include "protocol/generated/join_group_response.h"
#include "protocol/generated/produce_request.h"
#include "protocol/generated/produce_response.h"
#include "protocol/generated/sync_group_request.h"
#include "protocol/generated/sync_group_response.h"
#include "protocol/records/record_batch.h"

namespace brook::client {
namespace {

using protocol::error_code;

// Runs `f` and returns the code of the kafka_error it throws (NONE when it throws nothing).
template <class F>
error_code code_of(F&& f) {
  try {
    f();
  } catch (const kafka_error& e) {
    return e.code();
  }
  return error_code::none;
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// What `read()` returns once `done` holds for it: Kafka's brokers learn of a change (configs,
// ACLs, SCRAM credentials) from the controller a moment after it was accepted. Bounded: after
// 10 s the last value read is returned, for the assertions to report.
template <class Read, class Done>
auto once(Read read, Done done) {
  auto value = read();
  for (int i = 0; i < 100 && !done(value); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    value = read();
  }
  return value;
}

const config_entry* find_entry(const std::vector<config_entry>& entries, const std::string& name) {
  for (const auto& e : entries)
    if (e.name == name) return &e;
  return nullptr;
}

bool has_topic(const std::vector<topic_listing>& topics, const std::string& name) {
  return std::any_of(topics.begin(), topics.end(), [&](const auto& t) { return t.name == name; });
}

// Appends `timestamps.size()` records to a partition with those timestamps (raw Produce at the
// leader, acks=all).
void produce(admin& a, const std::string& topic, int32_t partition,
             const std::vector<int64_t>& timestamps) {
  auto& c = a.cluster();
  c.run([&]() -> asio::awaitable<void> {
    auto snap = co_await c.refresh_metadata(std::vector<std::string>{topic});
    auto conn = co_await c.connection_to(snap->leader_of(topic, partition));
    protocol::records::batch_builder b(protocol::records::batch_options{});
    const std::string value = "value";
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(value.data()),
                                         value.size());
    for (int64_t ts : timestamps) b.append(ts, std::nullopt, bytes);
    protocol::produce_request req;
    req.acks = -1;
    req.timeout_ms = 10000;
    req.topic_data.push_back({topic, {}, {{partition, wire::shared_bytes(b.build()), {}}}, {}});
    const int16_t v = conn->require_version(protocol::api_key::produce, 9, 3);
    auto resp = co_await conn->call<protocol::produce_response>(req, v);
    throw_if_error(resp.responses.at(0).partition_responses.at(0).error_code, "produce");
  });
}

// A ConsumerProtocol message with its version in front, as consumers put it in JoinGroup and
// SyncGroup.
template <class Message>
std::vector<uint8_t> versioned(const Message& m) {
  wire::writer w;
  w.write_int16(0);
  m.encode(w, 0);
  return w.take();
}

// Runs `join()` again while the group's coordinator is not ready (a fresh broker creates
// __consumer_offsets on the first group request), looking the coordinator up again each time.
template <class Join>
std::string retry_join(admin& a, const std::string& group, Join join) {
  for (int i = 0;; ++i) {
    try {
      return join();
    } catch (const kafka_error& e) {
      if (!e.retriable() || i >= 100) throw;
      a.cluster().run([&]() -> asio::awaitable<void> {
        a.cluster().forget_coordinator(coordinator_type::group, group);
        co_return;
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
}

// Joins `group` as its only classic consumer member (JoinGroup, SyncGroup), assigned partitions 0
// and 1 of `topic`; returns the member id. The member stays until its session times out.
std::string join_classic(admin& a, const std::string& group, const std::string& topic) {
  auto& c = a.cluster();
  return retry_join(a, group, [&] {
    return c.run([&]() -> asio::awaitable<std::string> {
      auto conn = co_await c.connection_to(co_await c.coordinator(coordinator_type::group, group));
      const int16_t jv = conn->require_version(protocol::api_key::join_group, 9, 4);
      protocol::consumer_protocol_subscription sub;
      sub.topics = {topic};
      protocol::join_group_request join;
      join.group_id = group;
      join.session_timeout_ms = 30000;
      join.rebalance_timeout_ms = 30000;
      join.protocol_type = "consumer";
      join.protocols.push_back({"range", versioned(sub), {}});
      auto joined = co_await conn->call<protocol::join_group_response>(join, jv);
      if (joined.error_code == static_cast<int16_t>(error_code::member_id_required)) {
        join.member_id = joined.member_id;
        joined = co_await conn->call<protocol::join_group_response>(join, jv);
      }
      throw_if_error(joined.error_code, "JoinGroup");
      protocol::consumer_protocol_assignment assignment;
      assignment.assigned_partitions.push_back({topic, {0, 1}, {}});
      protocol::sync_group_request sync;
      sync.group_id = group;
      sync.generation_id = joined.generation_id;
      sync.member_id = joined.member_id;
      sync.protocol_type = "consumer";
      sync.protocol_name = "range";
      sync.assignments.push_back({joined.member_id, versioned(assignment), {}});
      const int16_t sv = conn->require_version(protocol::api_key::sync_group, 5, 3);
      auto synced = co_await conn->call<protocol::sync_group_response>(sync, sv);
      throw_if_error(synced.error_code, "SyncGroup");
      co_return joined.member_id;
    });
  });
}

// Joins `group` as a consumer-protocol member (KIP-848 ConsumerGroupHeartbeat) subscribed to
// `topic` and heartbeats, acknowledging what it is given, until it owns `partitions` partitions
// (bounded). Returns the member id, or "" when the broker lacks the API.
std::string join_consumer(admin& a, const std::string& group, const std::string& topic,
                          size_t partitions) {
  auto& c = a.cluster();
  return retry_join(a, group, [&] {
    return c.run([&]() -> asio::awaitable<std::string> {
      auto conn = co_await c.connection_to(co_await c.coordinator(coordinator_type::group, group));
      const int16_t v = conn->version_for(protocol::api_key::consumer_group_heartbeat, 1, 0);
      if (v < 0) co_return std::string();
      protocol::consumer_group_heartbeat_request hb;
      hb.group_id = group;
      // Version 1 has the client choose its member id (KIP-1082).
      if (v >= 1)
        hb.member_id = wire::uuid::from_halves(0x0123456789abcdefULL, ::getpid()).to_string();
      hb.rebalance_timeout_ms = 30000;
      hb.subscribed_topic_names = std::vector<std::string>{topic};
      hb.topic_partitions.emplace();
      size_t owned = 0;
      for (int i = 0; i < 100 && owned < partitions; ++i) {
        auto resp = co_await conn->call<protocol::consumer_group_heartbeat_response>(hb, v);
        // Kafka 3.9 lists the API but answers so unless the consumer protocol is enabled.
        if (resp.error_code == static_cast<int16_t>(error_code::unsupported_version))
          co_return std::string();
        throw_if_error(resp.error_code, "ConsumerGroupHeartbeat");
        if (resp.member_id) hb.member_id = *resp.member_id;
        hb.member_epoch = resp.member_epoch;
        if (resp.assignment) {
          hb.topic_partitions.emplace();
          owned = 0;
          for (const auto& tp : resp.assignment->topic_partitions) {
            hb.topic_partitions->push_back({tp.topic_id, tp.partitions, {}});
            owned += tp.partitions.size();
          }
        }
        co_await c.sleep(std::chrono::milliseconds(100));
      }
      // One more heartbeat acknowledges the assignment.
      auto resp = co_await conn->call<protocol::consumer_group_heartbeat_response>(hb, v);
      throw_if_error(resp.error_code, "ConsumerGroupHeartbeat");
      co_return hb.member_id;
    });
  });
}

class AdminTest : public testing::Test {
 protected:
  admin a{test::base_config()};
};

TEST_F(AdminTest, CreateDescribeListAndDeleteTopics) {
  const std::string name = test::unique_name("admin-topic");
  auto created = a.create_topics({{.name = name,
                                   .partitions = 3,
                                   .replication_factor = 1,
                                   .configs = {{"retention.ms", "3600000"}}}});
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].name, name);
  EXPECT_EQ(created[0].partitions, 3);
  EXPECT_EQ(created[0].replication_factor, 1);
  EXPECT_FALSE(created[0].id.is_zero());

  auto described = a.describe_topics({name});
  ASSERT_EQ(described.size(), 1u);
  const auto& d = described[0];
  EXPECT_EQ(d.name, name);
  EXPECT_EQ(d.id, created[0].id);
  EXPECT_FALSE(d.internal);
  ASSERT_EQ(d.partitions.size(), 3u);
  for (int32_t p = 0; p < 3; ++p) {
    EXPECT_EQ(d.partitions[p].partition, p);
    EXPECT_GE(d.partitions[p].leader, 0);
    ASSERT_EQ(d.partitions[p].replicas.size(), 1u);
    EXPECT_EQ(d.partitions[p].replicas[0], d.partitions[p].leader);
    EXPECT_EQ(d.partitions[p].isr, d.partitions[p].replicas);
  }
  EXPECT_TRUE(has_topic(a.list_topics(), name));

  EXPECT_EQ(code_of([&] { a.create_topics({{.name = name, .partitions = 1}}); }),
            error_code::topic_already_exists);

  a.delete_topics({name});
  EXPECT_FALSE(has_topic(a.list_topics(), name));
  EXPECT_EQ(code_of([&] { a.describe_topics({name}); }), error_code::unknown_topic_or_partition);
  EXPECT_EQ(code_of([&] { a.delete_topics({name}); }), error_code::unknown_topic_or_partition);
}

TEST_F(AdminTest, CreateTopicsWithBrokerDefaultsAndValidateOnly) {
  const std::string name = test::unique_name("admin-defaults");
  auto checked = a.create_topics({{.name = name, .partitions = 2}}, /*validate_only=*/true);
  ASSERT_EQ(checked.size(), 1u);
  EXPECT_EQ(code_of([&] { a.describe_topics({name}); }), error_code::unknown_topic_or_partition);
  a.create_topics({{.name = name}});
  auto d = a.describe_topics({name});
  // run.sh starts every broker with num.partitions=1.
  EXPECT_EQ(d.at(0).partitions.size(), 1u);
  a.delete_topics({name});
}

TEST_F(AdminTest, InvalidTopicRequestsFailWithKafkasCodes) {
  EXPECT_EQ(
      code_of([&] { a.create_topics({{.name = test::unique_name("zero"), .partitions = 0}}); }),
      error_code::invalid_partitions);
  EXPECT_EQ(code_of([&] {
              a.create_topics(
                  {{.name = test::unique_name("rf"), .partitions = 1, .replication_factor = 3}});
            }),
            error_code::invalid_replication_factor);
  EXPECT_EQ(code_of([&] { a.create_topics({{.name = "bad/name", .partitions = 1}}); }),
            error_code::invalid_topic_exception);
  EXPECT_EQ(code_of([&] {
              a.create_topics({{.name = test::unique_name("cfg"),
                                .partitions = 1,
                                .configs = {{"retention.ms", "soon"}}}});
            }),
            error_code::invalid_config);
}

TEST_F(AdminTest, CreatePartitionsRaisesTheCount) {
  const std::string name = test::unique_name("admin-parts");
  a.create_topics({{.name = name, .partitions = 2, .replication_factor = 1}});
  a.create_partitions({{name, 4}});
  EXPECT_EQ(a.describe_topics({name}).at(0).partitions.size(), 4u);
  EXPECT_EQ(code_of([&] { a.create_partitions({{name, 3}}); }), error_code::invalid_partitions);
  EXPECT_EQ(code_of([&] { a.create_partitions({{name, 4}}); }), error_code::invalid_partitions);
  EXPECT_EQ(code_of([&] {
              a.create_partitions({{test::unique_name("none"), 4}});
            }),
            error_code::unknown_topic_or_partition);
  a.delete_topics({name});
}

TEST_F(AdminTest, TopicConfigsDescribeAndIncrementalAlter) {
  const std::string name = test::unique_name("admin-configs");
  a.create_topics({{.name = name, .partitions = 1, .configs = {{"retention.ms", "3600000"}}}});
  const config_resource topic{config_resource_type::topic, name};

  auto configs = a.describe_configs({topic}).at(topic);
  const config_entry* retention = find_entry(configs, "retention.ms");
  ASSERT_NE(retention, nullptr);
  EXPECT_EQ(retention->value, "3600000");
  EXPECT_EQ(retention->source, config_source::dynamic_topic_config);
  EXPECT_FALSE(retention->sensitive);
  const config_entry* policy = find_entry(configs, "cleanup.policy");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->value, "delete");
  EXPECT_TRUE(policy->is_default());

  a.incremental_alter_configs({{topic,
                                {{"retention.ms", alter_config_op::remove, ""},
                                 {"segment.bytes", alter_config_op::set, "1048576"},
                                 {"cleanup.policy", alter_config_op::append, "compact"}}}});
  configs = once(
      [&] {
        return a.describe_configs({topic}, {"retention.ms", "segment.bytes", "cleanup.policy"})
            .at(topic);
      },
      [](const auto& cs) {
        const auto* e = find_entry(cs, "segment.bytes");
        return e && e->value == "1048576";
      });
  ASSERT_EQ(configs.size(), 3u);
  EXPECT_EQ(find_entry(configs, "segment.bytes")->value, "1048576");
  EXPECT_EQ(find_entry(configs, "segment.bytes")->source, config_source::dynamic_topic_config);
  EXPECT_TRUE(find_entry(configs, "retention.ms")->is_default());
  EXPECT_EQ(find_entry(configs, "cleanup.policy")->value, "delete,compact");

  a.incremental_alter_configs({{topic, {{"cleanup.policy", alter_config_op::subtract, "delete"}}}});
  configs = once([&] { return a.describe_configs({topic}, {"cleanup.policy"}).at(topic); },
                 [](const auto& cs) {
                   const auto* e = find_entry(cs, "cleanup.policy");
                   return e && e->value == "compact";
                 });
  EXPECT_EQ(find_entry(configs, "cleanup.policy")->value, "compact");

  EXPECT_EQ(
      code_of([&] {
        a.incremental_alter_configs({{topic, {{"retention.ms", alter_config_op::set, "soon"}}}});
      }),
      error_code::invalid_config);
  const config_resource missing{config_resource_type::topic, test::unique_name("none")};
  EXPECT_EQ(code_of([&] { a.describe_configs({missing}); }),
            error_code::unknown_topic_or_partition);
  a.delete_topics({name});
}

TEST_F(AdminTest, BrokerConfigsHaveSourcesAndHideSecrets) {
  const auto cluster = a.describe_cluster();
  ASSERT_FALSE(cluster.brokers.empty());
  const config_resource broker{config_resource_type::broker,
                               std::to_string(cluster.brokers.front().id)};
  auto configs = a.describe_configs({broker}).at(broker);
  ASSERT_FALSE(configs.empty());
  // run.sh sets num.partitions=1 at start (server.properties or --override).
  const config_entry* partitions = find_entry(configs, "num.partitions");
  ASSERT_NE(partitions, nullptr);
  EXPECT_EQ(partitions->value, "1");
  EXPECT_EQ(partitions->source, config_source::static_broker_config);
  size_t passwords = 0;
  for (const auto& e : configs) {
    if (!e.name.ends_with(".password")) continue;
    ++passwords;
    EXPECT_TRUE(e.sensitive) << e.name;
    EXPECT_FALSE(e.value.has_value()) << e.name;
  }
  // Kafka lists every broker config, set or not (ssl.keystore.password among them); brookd lists
  // the ones it was given, and none of those is a password here.
  if (test::broker_flavour() != "brook") EXPECT_GT(passwords, 0u);
}

TEST_F(AdminTest, GroupOffsetsListDescribeAndDelete) {
  const std::string topic = test::unique_name("admin-group-topic");
  const std::string group = test::unique_name("admin-group");
  a.create_topics({{.name = topic, .partitions = 2, .replication_factor = 1}});
  a.alter_consumer_group_offsets(
      group, {{{topic, 0}, {5, "", std::nullopt}}, {{topic, 1}, {7, "meta", std::nullopt}}});

  auto offsets = a.list_consumer_group_offsets(group);
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets.at({topic, 0}).offset, 5);
  EXPECT_EQ(offsets.at({topic, 1}).offset, 7);
  EXPECT_EQ(offsets.at({topic, 1}).metadata, "meta");
  auto some = a.list_consumer_group_offsets(group, {{topic, 1}});
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some.at({topic, 1}).offset, 7);

  auto groups = a.list_groups();
  auto it = std::find_if(groups.begin(), groups.end(),
                         [&](const auto& g) { return g.group_id == group; });
  ASSERT_NE(it, groups.end());
  if (it->state) EXPECT_EQ(lower(*it->state), "empty");

  auto described = a.describe_groups({group});
  ASSERT_EQ(described.size(), 1u);
  EXPECT_EQ(described[0].group_id, group);
  EXPECT_EQ(lower(described[0].state), "empty");
  EXPECT_TRUE(described[0].members.empty());
  EXPECT_GE(described[0].coordinator, 0);
  EXPECT_TRUE(described[0].type == "classic" || described[0].type == "consumer")
      << described[0].type;

  a.delete_consumer_group_offsets(group, {{topic, 0}});
  offsets = a.list_consumer_group_offsets(group);
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets.count({topic, 0}), 0u);
  EXPECT_EQ(offsets.at({topic, 1}).offset, 7);

  a.delete_groups({group});
  groups = a.list_groups();
  EXPECT_TRUE(std::none_of(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.group_id == group; }));
  EXPECT_EQ(code_of([&] { a.delete_groups({group}); }), error_code::group_id_not_found);
  EXPECT_EQ(code_of([&] {
              a.delete_consumer_group_offsets(group, {{topic, 1}});
            }),
            error_code::group_id_not_found);
  a.delete_topics({topic});
}

TEST_F(AdminTest, DescribesAClassicGroupsMembersAndAssignments) {
  const std::string topic = test::unique_name("admin-classic-topic");
  const std::string group = test::unique_name("admin-classic");
  a.create_topics({{.name = topic, .partitions = 2, .replication_factor = 1}});
  const std::string member = join_classic(a, group, topic);

  const auto d = a.describe_groups({group}).at(0);
  EXPECT_EQ(d.type, "classic");
  EXPECT_EQ(d.state, "Stable");
  EXPECT_EQ(d.protocol_type, "consumer");
  EXPECT_EQ(d.assignor, "range");
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_id, member);
  EXPECT_EQ(d.members[0].client_id, "brook");
  EXPECT_FALSE(d.members[0].client_host.empty());
  EXPECT_EQ(d.members[0].assignment, (std::vector<topic_partition>{{topic, 0}, {topic, 1}}));
  auto groups = a.list_groups({"Stable"});
  EXPECT_TRUE(std::any_of(groups.begin(), groups.end(),
                          [&](const auto& g) { return g.group_id == group; }));
  // Kafka's tools commit for a group only while it has no members.
  EXPECT_NE(code_of([&] {
              a.alter_consumer_group_offsets(group, {{{topic, 0}, {1, "", std::nullopt}}});
            }),
            error_code::none);
  EXPECT_EQ(code_of([&] { a.delete_groups({group}); }), error_code::non_empty_group);
}

TEST_F(AdminTest, DescribesAConsumerGroupsMembersAndAssignments) {
  const std::string topic = test::unique_name("admin-consumer-topic");
  const std::string group = test::unique_name("admin-consumer");
  a.create_topics({{.name = topic, .partitions = 2, .replication_factor = 1}});
  const std::string member = join_consumer(a, group, topic, 2);
  if (member.empty())
    GTEST_SKIP()
        << "the broker has no ConsumerGroupHeartbeat (KIP-848 off, as in Kafka 3.9 by default)";

  const auto d = once(
      [&] { return a.describe_groups({group}).at(0); },
      [](const auto& g) { return g.members.size() == 1 && g.members[0].assignment.size() == 2; });
  EXPECT_EQ(d.type, "consumer");
  EXPECT_EQ(lower(d.state), "stable");
  EXPECT_GE(d.group_epoch, 1);
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_id, member);
  EXPECT_EQ(d.members[0].client_id, "brook");
  EXPECT_EQ(d.members[0].subscribed_topics, std::vector<std::string>{topic});
  EXPECT_GE(d.members[0].member_epoch.value_or(-1), 1);
  EXPECT_EQ(d.members[0].assignment, (std::vector<topic_partition>{{topic, 0}, {topic, 1}}));
  auto groups = a.list_groups();
  auto it = std::find_if(groups.begin(), groups.end(),
                         [&](const auto& g) { return g.group_id == group; });
  ASSERT_NE(it, groups.end());
  if (it->type) EXPECT_EQ(*it->type, "consumer");
}

TEST_F(AdminTest, InternalTopicsAreListedOnlyWhenAsked) {
  // A committed offset makes sure __consumer_offsets exists.
  const std::string topic = test::unique_name("admin-internal");
  a.create_topics({{.name = topic, .partitions = 1}});
  a.alter_consumer_group_offsets(test::unique_name("admin-internal-group"),
                                 {{{topic, 0}, {1, "", std::nullopt}}});
  auto all = a.list_topics(true);
  auto it = std::find_if(all.begin(), all.end(),
                         [](const auto& t) { return t.name == "__consumer_offsets"; });
  ASSERT_NE(it, all.end());
  EXPECT_TRUE(it->internal);
  EXPECT_FALSE(has_topic(a.list_topics(), "__consumer_offsets"));
  a.delete_topics({topic});
}

TEST_F(AdminTest, ListOffsetsAndDeleteRecords) {
  const std::string topic = test::unique_name("admin-offsets");
  a.create_topics({{.name = topic, .partitions = 1, .replication_factor = 1}});
  const topic_partition tp{topic, 0};
  const int64_t t0 = 1700000000000;
  produce(a, topic, 0, {t0, t0 + 1000, t0 + 5000, t0 + 2000});

  auto offsets = a.list_offsets({{tp, offset_spec::earliest()}});
  EXPECT_EQ(offsets.at(tp).offset, 0);
  offsets = a.list_offsets({{tp, offset_spec::latest()}});
  EXPECT_EQ(offsets.at(tp).offset, 4);
  offsets = a.list_offsets({{tp, offset_spec::max_timestamp()}});
  EXPECT_EQ(offsets.at(tp).offset, 2);
  EXPECT_EQ(offsets.at(tp).timestamp, t0 + 5000);
  offsets = a.list_offsets({{tp, offset_spec::for_timestamp(t0 + 1500)}});
  EXPECT_EQ(offsets.at(tp).offset, 2);
  EXPECT_EQ(offsets.at(tp).timestamp, t0 + 5000);
  offsets = a.list_offsets({{tp, offset_spec::for_timestamp(t0 + 9000)}});
  EXPECT_EQ(offsets.at(tp).offset, -1);

  auto low = a.delete_records({{tp, 2}});
  EXPECT_EQ(low.at(tp), 2);
  EXPECT_EQ(a.list_offsets({{tp, offset_spec::earliest()}}).at(tp).offset, 2);
  EXPECT_EQ(code_of([&] { a.delete_records({{tp, 10}}); }), error_code::offset_out_of_range);
  low = a.delete_records({{tp, -1}});
  EXPECT_EQ(low.at(tp), 4);
  EXPECT_EQ(code_of([&] {
              a.list_offsets({{{topic, 5}, offset_spec::latest()}});
            }),
            error_code::unknown_topic_or_partition);
  a.delete_topics({topic});
}

TEST_F(AdminTest, DescribeCluster) {
  const auto d = a.describe_cluster();
  EXPECT_FALSE(d.cluster_id.empty());
  ASSERT_FALSE(d.brokers.empty());
  const auto boot = parse_broker_address(test::bootstrap());
  EXPECT_TRUE(std::any_of(d.brokers.begin(), d.brokers.end(),
                          [&](const auto& b) { return b.port == boot.port; }));
  EXPECT_TRUE(std::any_of(d.brokers.begin(), d.brokers.end(),
                          [&](const auto& b) { return b.id == d.controller; }));
}

TEST_F(AdminTest, ScramCredentialsUpsertDescribeDelete) {
  const std::string user = test::unique_name("admin-user");
  // Kafka refuses two alterations of one user in one request (DUPLICATE_RESOURCE).
  EXPECT_EQ(code_of([&] {
              a.alter_user_scram_credentials(
                  {scram_alteration::upsert(user, scram_mechanism::sha_256, "secret", 4096),
                   scram_alteration::upsert(user, scram_mechanism::sha_512, "secret", 8192)});
            }),
            error_code::duplicate_resource);
  a.alter_user_scram_credentials(
      {scram_alteration::upsert(user, scram_mechanism::sha_256, "secret", 4096)});
  a.alter_user_scram_credentials(
      {scram_alteration::upsert(user, scram_mechanism::sha_512, "secret", 8192)});
  // Every user's credentials (no error for a user without any), then the one user's.
  auto credentials_of_user = [&] {
    for (const auto& u : a.describe_user_scram_credentials())
      if (u.user == user) return u.credentials;
    return std::vector<scram_credential_info>{};
  };
  once(credentials_of_user, [](const auto& c) { return c.size() == 2; });
  auto described = a.describe_user_scram_credentials({user});
  ASSERT_EQ(described.size(), 1u);
  EXPECT_EQ(described[0].user, user);
  ASSERT_EQ(described[0].credentials.size(), 2u);
  EXPECT_EQ(described[0].credentials[0].mechanism, scram_mechanism::sha_256);
  EXPECT_EQ(described[0].credentials[0].iterations, 4096);
  EXPECT_EQ(described[0].credentials[1].mechanism, scram_mechanism::sha_512);
  EXPECT_EQ(described[0].credentials[1].iterations, 8192);

  a.alter_user_scram_credentials({scram_alteration::deletion(user, scram_mechanism::sha_512)});
  const auto left = once(credentials_of_user, [](const auto& c) { return c.size() == 1; });
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].mechanism, scram_mechanism::sha_256);

  EXPECT_EQ(code_of([&] {
              a.alter_user_scram_credentials(
                  {scram_alteration::deletion(user, scram_mechanism::sha_512)});
            }),
            error_code::resource_not_found);
  EXPECT_EQ(code_of([&] {
              a.alter_user_scram_credentials(
                  {scram_alteration::upsert(user, scram_mechanism::sha_256, "x", 100)});
            }),
            error_code::unacceptable_credential);
  a.alter_user_scram_credentials({scram_alteration::deletion(user, scram_mechanism::sha_256)});
  EXPECT_TRUE(once(credentials_of_user, [](const auto& c) { return c.empty(); }).empty());
  EXPECT_EQ(code_of([&] { a.describe_user_scram_credentials({user}); }),
            error_code::resource_not_found);
}

TEST_F(AdminTest, AclsCreateDescribeFilterDelete) {
  if (code_of([&] { a.describe_acls(); }) == error_code::security_disabled)
    GTEST_SKIP()
        << "the broker runs no authorizer (run.sh with BROOK_CLIENT_BROKER_SETTINGS="
           "'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer "
           "super.users=User:ANONYMOUS')";
  const std::string principal = "User:" + test::unique_name("acl-user");
  const std::string topic = test::unique_name("acl-topic");
  const acl_binding literal{
      resource_type::topic, topic, pattern_type::literal, principal, "*", acl_operation::read,
      acl_permission::allow};
  // A prefix of the topic's name.
  const acl_binding prefixed{resource_type::topic,
                             topic.substr(0, topic.size() - 1),
                             pattern_type::prefixed,
                             principal,
                             "127.0.0.1",
                             acl_operation::write,
                             acl_permission::deny};
  const acl_binding group{
      resource_type::group, "g1", pattern_type::literal, principal, "*", acl_operation::all,
      acl_permission::allow};
  a.create_acls({literal, prefixed, group});

  acl_filter mine;
  mine.principal = principal;
  auto all =
      once([&] { return a.describe_acls(mine); }, [](const auto& v) { return v.size() == 3; });
  ASSERT_EQ(all.size(), 3u);
  EXPECT_NE(std::find(all.begin(), all.end(), literal), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), prefixed), all.end());
  EXPECT_NE(std::find(all.begin(), all.end(), group), all.end());

  acl_filter topics = mine;
  topics.resource = resource_type::topic;
  EXPECT_EQ(a.describe_acls(topics).size(), 2u);
  acl_filter literal_only = topics;
  literal_only.pattern = pattern_type::literal;
  EXPECT_EQ(a.describe_acls(literal_only), std::vector<acl_binding>{literal});
  acl_filter prefixed_only = topics;
  prefixed_only.pattern = pattern_type::prefixed;
  EXPECT_EQ(a.describe_acls(prefixed_only), std::vector<acl_binding>{prefixed});
  // MATCH: every binding that applies to the topic's name (literal and the prefix).
  acl_filter match = topics;
  match.pattern = pattern_type::match;
  match.resource_name = topic;
  EXPECT_EQ(a.describe_acls(match).size(), 2u);
  acl_filter by_op = mine;
  by_op.operation = acl_operation::write;
  by_op.permission = acl_permission::deny;
  EXPECT_EQ(a.describe_acls(by_op), std::vector<acl_binding>{prefixed});

  auto deleted = a.delete_acls({literal_only});
  EXPECT_EQ(deleted, std::vector<acl_binding>{literal});
  EXPECT_EQ(once([&] { return a.describe_acls(mine); }, [](const auto& v) { return v.size() == 2; })
                .size(),
            2u);
  deleted = a.delete_acls({mine});
  EXPECT_EQ(deleted.size(), 2u);
  EXPECT_TRUE(
      once([&] { return a.describe_acls(mine); }, [](const auto& v) { return v.empty(); }).empty());
  EXPECT_TRUE(a.delete_acls({mine}).empty());
}

// --- Client quotas ---

TEST_F(AdminTest, ClientQuotasAlterDescribeAndRemove) {
  const std::string user = test::unique_name("quota-user");
  const std::string client = test::unique_name("quota-client");
  const client_quota_entity user_only{{"user", user}};
  const client_quota_entity user_client{{"user", user}, {"client-id", client}};
  const client_quota_entity default_client{{"client-id", std::nullopt}};
  const auto of_user = client_quota_filter::contains(
      {quota_filter_component::of_entity(std::string(k_quota_user), user)});
  const auto only_user = client_quota_filter::contains_only(
      {quota_filter_component::of_entity(std::string(k_quota_user), user)});

  // Validation only changes nothing.
  a.alter_client_quotas({{user_only, {{"producer_byte_rate", 1024.0}}}}, /*validate_only=*/true);
  EXPECT_TRUE(a.describe_client_quotas(of_user).empty());

  a.alter_client_quotas(
      {{user_only, {{"producer_byte_rate", 1024.0}, {"consumer_byte_rate", 2048.0}}},
       {user_client, {{"request_percentage", 50.0}}},
       {default_client, {{"consumer_byte_rate", 1e12}}}});
  auto found = once([&] { return a.describe_client_quotas(of_user); },
                    [](const auto& q) { return q.size() == 2; });
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[user_only], (std::map<std::string, double>{{"producer_byte_rate", 1024.0},
                                                             {"consumer_byte_rate", 2048.0}}));
  EXPECT_EQ(found[user_client], (std::map<std::string, double>{{"request_percentage", 50.0}}));
  // Strict: only entities with no other entity type.
  const auto strict = a.describe_client_quotas(only_user);
  ASSERT_EQ(strict.size(), 1u);
  EXPECT_EQ(strict.begin()->first, user_only);
  // The default client id's entity, and both user entities by type.
  const auto defaults = a.describe_client_quotas(client_quota_filter::contains_only(
      {quota_filter_component::of_default_entity(std::string(k_quota_client_id))}));
  ASSERT_EQ(defaults.count(default_client), 1u);
  EXPECT_EQ(defaults.at(default_client).at("consumer_byte_rate"), 1e12);
  const auto by_type = a.describe_client_quotas(client_quota_filter::contains(
      {quota_filter_component::of_entity_type(std::string(k_quota_client_id)),
       quota_filter_component::of_entity(std::string(k_quota_user), user)}));
  ASSERT_EQ(by_type.size(), 1u);
  EXPECT_EQ(by_type.begin()->first, user_client);

  // Kafka's codes for an unknown key and an unknown entity type.
  EXPECT_EQ(code_of([&] {
              a.alter_client_quotas({{user_only, {{"no_such_quota", 1.0}}}});
            }),
            error_code::invalid_request);
  EXPECT_EQ(code_of([&] {
              a.alter_client_quotas({{{{"no-such-type", "x"}}, {{"producer_byte_rate", 1.0}}}});
            }),
            error_code::invalid_request);

  // Removing every quota of an entity removes the entity.
  a.alter_client_quotas(
      {{user_only, {{"producer_byte_rate", std::nullopt}, {"consumer_byte_rate", std::nullopt}}},
       {user_client, {{"request_percentage", std::nullopt}}},
       {default_client, {{"consumer_byte_rate", std::nullopt}}}});
  EXPECT_TRUE(once([&] { return a.describe_client_quotas(of_user); },
                   [](const auto& q) { return q.empty(); })
                  .empty());
}

// --- Transactions ---

TEST_F(AdminTest, TransactionsListDescribeProducersAndAbort) {
  const std::string topic = test::unique_name("admin-txn");
  const std::string tid = test::unique_name("admin-txn-id");
  a.create_topics({{.name = topic, .partitions = 1}});
  producer p(test::base_config({{"transactional.id", tid}, {"transaction.timeout.ms", "60000"}}));
  p.init_transactions();
  p.begin_transaction();
  p.send(producer_record{.topic = topic, .partition = 0, .value = "open"}).get();

  const topic_partition tp{topic, 0};
  // The open transaction holds the last stable offset at its first record.
  EXPECT_EQ(a.list_offsets({{tp, offset_spec::latest()}}, true).at(tp).offset, 0);
  EXPECT_EQ(a.list_offsets({{tp, offset_spec::latest()}}).at(tp).offset, 1);

  const auto described = a.describe_transactions({tid});
  ASSERT_EQ(described.size(), 1u);
  const auto& d = described[0];
  EXPECT_EQ(d.transactional_id, tid);
  EXPECT_EQ(d.state, "Ongoing");
  EXPECT_GE(d.producer_id, 0);
  EXPECT_GE(d.producer_epoch, 0);
  EXPECT_GE(d.coordinator, 0);
  EXPECT_EQ(d.transaction_timeout_ms, 60000);
  EXPECT_TRUE(d.transaction_start_time_ms.has_value());
  EXPECT_EQ(d.partitions, std::vector<topic_partition>{tp});
  EXPECT_EQ(code_of([&] { a.describe_transactions({tid + "-unknown"}); }),
            error_code::transactional_id_not_found);

  auto listed = a.list_transactions({.states = {"Ongoing"}});
  auto mine = std::find_if(listed.begin(), listed.end(),
                           [&](const auto& t) { return t.transactional_id == tid; });
  ASSERT_NE(mine, listed.end());
  EXPECT_EQ(mine->producer_id, d.producer_id);
  EXPECT_EQ(mine->state, "Ongoing");
  listed = a.list_transactions({.producer_ids = {d.producer_id}});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].transactional_id, tid);
  listed = a.list_transactions({.states = {"CompleteCommit"}, .producer_ids = {d.producer_id}});
  EXPECT_TRUE(listed.empty());
  // Running longer than an hour: not this one (ListTransactions v1; Kafka 3.8+).
  std::vector<transaction_listing> long_running;
  const auto code = code_of([&] { long_running = a.list_transactions({.duration_ms = 3600000}); });
  EXPECT_EQ(code, error_code::none);
  EXPECT_FALSE(std::any_of(long_running.begin(), long_running.end(),
                           [&](const auto& t) { return t.transactional_id == tid; }));

  // Ids matching a pattern (ListTransactions v2: Kafka 4.1+; Kafka 3.9 cannot filter so).
  std::vector<transaction_listing> matching;
  const auto pattern_code =
      code_of([&] { matching = a.list_transactions({.transactional_id_pattern = "^" + tid}); });
  if (test::broker_flavour().rfind("kafka-3.", 0) == 0) {
    EXPECT_EQ(pattern_code, error_code::unsupported_version);
  } else {
    EXPECT_EQ(pattern_code, error_code::none);
    ASSERT_EQ(matching.size(), 1u);
    EXPECT_EQ(matching[0].transactional_id, tid);
  }

  auto producers = a.describe_producers({tp});
  ASSERT_EQ(producers.at(tp).size(), 1u);
  const producer_state ps = producers.at(tp)[0];
  EXPECT_EQ(ps.producer_id, d.producer_id);
  EXPECT_EQ(ps.producer_epoch, d.producer_epoch);
  EXPECT_EQ(ps.last_sequence, 0);
  EXPECT_GT(ps.last_timestamp, 0);
  EXPECT_EQ(ps.current_transaction_start_offset, std::optional<int64_t>(0));
  // No marker was written for this producer yet: its coordinator epoch is unknown.
  EXPECT_FALSE(ps.coordinator_epoch.has_value());
  // As kafka-transactions.sh does: an unknown coordinator epoch is sent as 0.
  const int32_t coordinator_epoch = ps.coordinator_epoch.value_or(0);
  EXPECT_EQ(code_of([&] {
              a.describe_producers({{topic, 7}});
            }),
            error_code::unknown_topic_or_partition);

  a.abort_transaction(
      {tp, ps.producer_id, static_cast<int16_t>(ps.producer_epoch), coordinator_epoch});
  producers = a.describe_producers({tp});
  ASSERT_EQ(producers.at(tp).size(), 1u);
  EXPECT_FALSE(producers.at(tp)[0].current_transaction_start_offset.has_value());
  // The record and the abort marker: the stable offset passed both.
  EXPECT_EQ(a.list_offsets({{tp, offset_spec::latest()}}, true).at(tp).offset, 2);
  p.abort_transaction();
  a.delete_topics({topic});
}

// --- Log dirs ---

TEST_F(AdminTest, DescribeLogDirsShowsPartitionSizes) {
  const std::string topic = test::unique_name("admin-logdirs");
  a.create_topics({{.name = topic, .partitions = 2}});
  {
    producer p(test::base_config());
    for (int i = 0; i < 3; ++i)
      p.send(producer_record{.topic = topic, .partition = 1, .value = "value"}).get();
  }
  const auto all = a.describe_log_dirs();
  const int32_t leader = a.describe_topics({topic}).at(0).partitions.at(1).leader;
  ASSERT_EQ(all.count(leader), 1u);
  const log_dir_description* with_topic = nullptr;
  for (const auto& [path, dir] : all.at(leader)) {
    EXPECT_EQ(dir.path, path);
    EXPECT_EQ(dir.error, error_code::none);
    if (dir.replicas.count({topic, 1})) with_topic = &dir;
    // DescribeLogDirs v4 (Kafka 3.3+) tells the volume's sizes.
    ASSERT_TRUE(dir.total_bytes.has_value());
    ASSERT_TRUE(dir.usable_bytes.has_value());
    EXPECT_GT(*dir.total_bytes, 0);
    EXPECT_GE(*dir.total_bytes, *dir.usable_bytes);
  }
  ASSERT_NE(with_topic, nullptr);
  const auto& r1 = with_topic->replicas.at({topic, 1});
  EXPECT_GT(r1.size, 0);
  EXPECT_EQ(r1.offset_lag, 0);
  EXPECT_FALSE(r1.is_future);
  ASSERT_EQ(with_topic->replicas.count({topic, 0}), 1u);
  EXPECT_LT(with_topic->replicas.at({topic, 0}).size, r1.size);
  // One broker asked by id.
  const auto one = a.describe_log_dirs({leader});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one.begin()->first, leader);
  a.delete_topics({topic});
}

// --- Features ---

TEST_F(AdminTest, DescribeAndUpdateFeatures) {
  const auto f = a.describe_features();
  for (const auto& [name, range] : f.finalized) {
    EXPECT_LE(range.min_version_level, range.max_version_level) << name;
    ASSERT_EQ(f.supported.count(name), 1u) << name;
    EXPECT_LE(range.max_version_level, f.supported.at(name).max_version) << name;
  }
  for (const auto& [name, range] : f.supported) EXPECT_LE(range.min_version, range.max_version);
  if (test::broker_flavour() != "brook") {
    // Kafka (KRaft) always finalizes metadata.version.
    ASSERT_EQ(f.finalized.count("metadata.version"), 1u);
    EXPECT_TRUE(f.finalized_epoch.has_value());
  }
  // Unknown features and downgrades asked as upgrades are refused.
  EXPECT_EQ(code_of([&] {
              a.update_features({{"brook.no.such.feature", {1}}}, true);
            }),
            error_code::invalid_update_version);
  for (const auto& entry : f.finalized) {
    const std::string name = entry.first;
    const int16_t level = entry.second.max_version_level;
    if (level < 1) continue;
    // The current level again is accepted (validation only changes nothing).
    a.update_features({{name, {level}}}, /*validate_only=*/true);
    EXPECT_EQ(code_of([&] {
                a.update_features({{name, {static_cast<int16_t>(level - 1)}}}, true);
              }),
              error_code::invalid_update_version)
        << name;
    break;
  }
  // A safe downgrade is checked as one (kafka-features.sh downgrade --dry-run).
  if (auto it = f.finalized.find("transaction.version");
      it != f.finalized.end() && it->second.max_version_level >= 1) {
    const auto lower = static_cast<int16_t>(it->second.max_version_level - 1);
    a.update_features({{"transaction.version", {lower, feature_upgrade_type::safe_downgrade}}},
                      /*validate_only=*/true);
  }
  // Nothing changed (Kafka 3.9's epoch moves with the metadata log, so compare the levels).
  const auto again = a.describe_features();
  EXPECT_EQ(again.finalized.size(), f.finalized.size());
  for (const auto& [name, range] : f.finalized)
    EXPECT_EQ(again.finalized.at(name).max_version_level, range.max_version_level) << name;
}

// --- Controller APIs brookd (a single node) does not offer ---

TEST_F(AdminTest, LeaderElectionsAndReassignments) {
  const std::string topic = test::unique_name("admin-elect");
  a.create_topics({{.name = topic, .partitions = 2}});
  const topic_partition p0{topic, 0}, p1{topic, 1};
  if (test::broker_flavour() == "brook") {
    EXPECT_EQ(code_of([&] { a.elect_leaders(election_type::preferred, {p0}); }),
              error_code::unsupported_version);
    EXPECT_EQ(code_of([&] { a.list_partition_reassignments(); }), error_code::unsupported_version);
    EXPECT_EQ(code_of([&] {
                a.alter_partition_reassignments({{p0, std::nullopt}});
              }),
              error_code::unsupported_version);
    a.delete_topics({topic});
    return;
  }
  // One broker: every leader is the preferred one already.
  EXPECT_EQ(a.elect_leaders(election_type::preferred, {p0, p1}),
            (std::map<topic_partition, error_code>{{p0, error_code::election_not_needed},
                                                   {p1, error_code::election_not_needed}}));
  EXPECT_EQ(a.elect_leaders(election_type::unclean, {p1}),
            (std::map<topic_partition, error_code>{{p1, error_code::election_not_needed}}));
  EXPECT_EQ(a.elect_leaders(election_type::preferred, {{topic, 9}}),
            (std::map<topic_partition, error_code>{
                {{topic, 9}, error_code::unknown_topic_or_partition}}));
  EXPECT_TRUE(a.list_partition_reassignments().empty());
  EXPECT_TRUE(a.list_partition_reassignments(std::vector<topic_partition>{p0, p1}).empty());
  EXPECT_EQ(code_of([&] {
              a.alter_partition_reassignments({{p0, std::nullopt}});
            }),
            error_code::no_reassignment_in_progress);
  EXPECT_EQ(code_of([&] {
              a.alter_partition_reassignments({{p0, std::vector<int32_t>{999}}});
            }),
            error_code::invalid_replica_assignment);
  const int32_t leader = a.describe_topics({topic}).at(0).partitions.at(0).leader;
  a.alter_partition_reassignments({{p0, std::vector<int32_t>{leader}}});
  EXPECT_TRUE(a.list_partition_reassignments().empty());
  a.delete_topics({topic});
}

TEST_F(AdminTest, DelegationTokensNeedSasl) {
  const std::vector<uint8_t> hmac(32, 7);
  if (test::broker_flavour() == "brook") {
    EXPECT_EQ(code_of([&] { a.create_delegation_token(); }), error_code::unsupported_version);
    EXPECT_EQ(code_of([&] { a.describe_delegation_tokens(); }), error_code::unsupported_version);
    EXPECT_EQ(code_of([&] { a.renew_delegation_token(hmac); }), error_code::unsupported_version);
    EXPECT_EQ(code_of([&] { a.expire_delegation_token(hmac); }), error_code::unsupported_version);
    return;
  }
  // A plaintext connection may not ask for tokens (and run.sh's Kafka has no token secret).
  EXPECT_EQ(code_of([&] { a.create_delegation_token(); }),
            error_code::delegation_token_request_not_allowed);
  EXPECT_EQ(code_of([&] { a.create_delegation_token({.renewers = {"User:bob"}}); }),
            error_code::delegation_token_request_not_allowed);
  EXPECT_EQ(code_of([&] { a.describe_delegation_tokens(); }),
            error_code::delegation_token_request_not_allowed);
  EXPECT_EQ(code_of([&] { a.renew_delegation_token(hmac); }),
            error_code::delegation_token_request_not_allowed);
  EXPECT_EQ(code_of([&] { a.expire_delegation_token(hmac); }),
            error_code::delegation_token_request_not_allowed);
}

TEST(AdminConfig, RefusesSettingsOfOtherClients) {
  EXPECT_THROW(admin(test::base_config({{"acks", "all"}})), config_error);
  EXPECT_THROW(admin(test::base_config({{"no.such.setting", "1"}})), config_error);
}

}  // namespace
}  // namespace brook::client
