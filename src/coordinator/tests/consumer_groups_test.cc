// KIP-848 consumer groups: joining, revocation before reassignment, leaving, static members,
// session expiry, offsets checked against member epochs, and the group rebuilt from its records.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "coordinator/group_coordinator.h"
#include "coordinator/offsets_records.h"
#include "coordinator/tests/coordinator_fixture.h"
#include "protocol/errors.h"

namespace brook::coordinator {
namespace {
using protocol::error_code;
using test_support::fixture;
using hb_request = protocol::consumer_group_heartbeat_request;
using hb_response = protocol::consumer_group_heartbeat_response;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

const wire::uuid k_topic = wire::uuid::from_halves(7, 7);

struct cg_fixture : fixture {
  explicit cg_fixture(coordinator_config config = {}) : fixture(config) {
    topics["t"] = {k_topic, "t", 6};
  }
  hb_response beat(hb_request r, int16_t version = 1) {
    auto out = start(c->consumer_heartbeat(std::move(r), version, "client", "/127.0.0.1"));
    EXPECT_TRUE(out->has_value());
    return out->value_or(hb_response{});
  }
};

hb_request joining(const std::string& member) {
  hb_request r;
  r.group_id = "g";
  r.member_id = member;
  r.member_epoch = 0;
  r.rebalance_timeout_ms = 30000;
  r.subscribed_topic_names = std::vector<std::string>{"t"};
  r.topic_partitions.emplace();
  return r;
}

hb_request heartbeat(const std::string& member, int32_t epoch,
                     std::optional<std::vector<int32_t>> owned = std::nullopt) {
  hb_request r;
  r.group_id = "g";
  r.member_id = member;
  r.member_epoch = epoch;
  if (owned) {
    r.topic_partitions.emplace();
    r.topic_partitions->push_back({k_topic, *owned, {}});
  }
  return r;
}

std::vector<int32_t> partitions(const hb_response& r) {
  std::vector<int32_t> out;
  if (r.assignment)
    for (const auto& t : r.assignment->topic_partitions)
      out.insert(out.end(), t.partitions.begin(), t.partitions.end());
  return out;
}

TEST(ConsumerGroups, SecondMemberGetsPartitionsOnlyAfterTheFirstRevokedThem) {
  cg_fixture f;
  auto a = f.beat(joining("a"));
  ASSERT_EQ(a.error_code, 0);
  // A new group's first epoch is 2, as in Kafka.
  EXPECT_EQ(a.member_epoch, 2);
  EXPECT_EQ(partitions(a), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(a.heartbeat_interval_ms, 5000);

  auto b = f.beat(joining("b"));
  ASSERT_EQ(b.error_code, 0);
  // Epoch 3, but every partition of its target is still a's.
  EXPECT_EQ(b.member_epoch, 3);
  EXPECT_TRUE(partitions(b).empty());
  EXPECT_EQ(f.c->consumer_describe("g").group_state, "Reconciling");

  // a keeps three and must revoke the other three at its old epoch.
  a = f.beat(heartbeat("a", 2, std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  ASSERT_EQ(a.error_code, 0);
  EXPECT_EQ(a.member_epoch, 2);
  const auto kept = partitions(a);
  ASSERT_EQ(kept.size(), 3u);
  // Until a reports that it let go, b waits.
  b = f.beat(heartbeat("b", 3));
  EXPECT_FALSE(b.assignment.has_value());
  a = f.beat(heartbeat("a", 2, kept));
  EXPECT_EQ(a.member_epoch, 3);
  b = f.beat(heartbeat("b", 3, std::vector<int32_t>{}));
  EXPECT_EQ(b.member_epoch, 3);
  auto got = partitions(b);
  ASSERT_EQ(got.size(), 3u);
  for (int32_t p : got) EXPECT_EQ(std::count(kept.begin(), kept.end(), p), 0) << p;

  auto d = f.c->consumer_describe("g");
  EXPECT_EQ(d.group_state, "Stable");
  EXPECT_EQ(d.group_epoch, 3);
  EXPECT_EQ(d.assignment_epoch, 3);
  EXPECT_EQ(d.assignor_name, "uniform");
  ASSERT_EQ(d.members.size(), 2u);
  EXPECT_EQ(d.members[0].assignment.topic_partitions.at(0).topic_name, "t");

  // ListGroups and DescribeGroups see a consumer group.
  auto listed = f.c->list({}, {"consumer"});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].group_type, "consumer");
  EXPECT_EQ(listed[0].group_state, "Stable");
  EXPECT_TRUE(f.c->list({}, {"classic"}).empty());
  auto classic = f.c->describe("g", 6);
  EXPECT_EQ(classic.error_code, code(error_code::group_id_not_found));
  EXPECT_EQ(classic.error_message, "Group g is not a classic group.");
}

TEST(ConsumerGroups, RefusesBadHeartbeatsWithKafkasMessages) {
  cg_fixture f;
  auto r = joining("a");
  r.rebalance_timeout_ms = -1;
  auto e = f.beat(r);
  EXPECT_EQ(e.error_code, code(error_code::invalid_request));
  EXPECT_EQ(e.error_message, "RebalanceTimeoutMs must be provided in first request.");
  e = f.beat(joining(""));
  EXPECT_EQ(e.error_message, "MemberId can't be empty.");
  // v0 hands out member ids.
  auto v0 = f.beat(joining(""), 0);
  EXPECT_EQ(v0.error_code, 0);
  EXPECT_EQ(v0.member_id.value_or("").size(), 22u);
  r = joining("a");
  r.server_assignor = "sticky";
  e = f.beat(r);
  EXPECT_EQ(e.error_code, code(error_code::unsupported_assignor));
  EXPECT_EQ(e.error_message,
            "ServerAssignor sticky is not supported. Supported assignors: "
            "uniform, range.");
  e = f.beat(heartbeat("nobody", 3));
  EXPECT_EQ(e.error_code, code(error_code::unknown_member_id));
  EXPECT_EQ(e.error_message, "Member nobody is not a member of group g.");
  e = f.beat(heartbeat("x", 3), 1);
  auto missing = f.beat([] {
    auto h = heartbeat("a", 1);
    h.group_id = "nope";
    return h;
  }());
  EXPECT_EQ(missing.error_code, code(error_code::group_id_not_found));
  EXPECT_EQ(missing.error_message, "Consumer group nope not found.");

  auto a = f.beat(joining("a"));
  ASSERT_EQ(a.error_code, 0);
  e = f.beat(heartbeat("a", a.member_epoch + 1));
  EXPECT_EQ(e.error_code, code(error_code::fenced_member_epoch));
  // The previous epoch is tolerated only with owned partitions within the assignment.
  f.beat(joining("b"));
  auto again = f.beat(heartbeat("a", a.member_epoch, partitions(a)));
  ASSERT_EQ(again.error_code, 0);

  // A classic group of the same id is not a consumer group.
  auto join = f.start(f.c->join(
      [] {
        protocol::join_group_request j;
        j.group_id = "g";
        j.session_timeout_ms = 10000;
        j.protocol_type = "consumer";
        j.protocols.push_back({"range", {0}, {}});
        return j;
      }(),
      5, "c", "/h"));
  ASSERT_TRUE(join->has_value());
  EXPECT_EQ((*join)->error_code, code(error_code::inconsistent_group_protocol));
}

TEST(ConsumerGroups, LeavingAndStaticMembers) {
  cg_fixture f;
  auto r = joining("a1");
  r.instance_id = "inst";
  auto a = f.beat(r);
  ASSERT_EQ(a.error_code, 0);
  auto b = f.beat(joining("b"));
  ASSERT_EQ(b.error_code, 0);
  // Another incarnation cannot take the instance id while the first holds it.
  auto r2 = joining("a2");
  r2.instance_id = "inst";
  auto e = f.beat(r2);
  EXPECT_EQ(e.error_code, code(error_code::unreleased_instance_id));
  // Epoch -2: the static member steps away and keeps its partitions.
  auto away = heartbeat("a1", -2);
  away.instance_id = "inst";
  auto left = f.beat(away);
  EXPECT_EQ(left.error_code, 0);
  EXPECT_EQ(left.member_epoch, -2);
  const int32_t epoch = f.c->consumer_describe("g").group_epoch;
  auto back = f.beat(r2);
  ASSERT_EQ(back.error_code, 0);
  EXPECT_EQ(f.c->consumer_describe("g").group_epoch, epoch);
  // A zombie of the old incarnation is fenced.
  auto zombie = heartbeat("a1", a.member_epoch);
  zombie.instance_id = "inst";
  EXPECT_EQ(f.beat(zombie).error_code, code(error_code::fenced_instance_id));

  // Epoch -1: b leaves, the group epoch moves on.
  auto gone = f.beat(heartbeat("b", b.member_epoch));
  ASSERT_EQ(gone.error_code, 0);
  auto bye = f.beat(heartbeat("b", -1));
  EXPECT_EQ(bye.error_code, 0);
  EXPECT_EQ(bye.member_epoch, -1);
  auto d = f.c->consumer_describe("g");
  EXPECT_EQ(d.members.size(), 1u);
  EXPECT_GT(d.group_epoch, epoch);
  EXPECT_EQ(f.beat(heartbeat("b", 1)).error_code, code(error_code::unknown_member_id));
}

TEST(ConsumerGroups, SessionsExpire) {
  coordinator_config config;
  config.consumer_session_timeout_ms = 1;
  cg_fixture f(config);
  ASSERT_EQ(f.beat(joining("a")).error_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.c->tick();
  f.poll();
  auto d = f.c->consumer_describe("g");
  EXPECT_EQ(d.group_state, "Empty");
  EXPECT_TRUE(d.members.empty());
  EXPECT_EQ(f.beat(heartbeat("a", 1)).error_code, code(error_code::unknown_member_id));
}

TEST(ConsumerGroups, GroupConfigsReplaceTheCoordinatorsTimeouts) {
  // The coordinator's session timeout would expire the member at once; the group's own
  // consumer.session.timeout.ms keeps it, and its heartbeat interval is what members are told.
  coordinator_config config;
  config.consumer_session_timeout_ms = 1;
  cg_fixture f(config);
  f.overrides["g"] = {60000, 6000};
  auto a = f.beat(joining("a"));
  ASSERT_EQ(a.error_code, 0);
  EXPECT_EQ(a.heartbeat_interval_ms, 6000);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.c->tick();
  f.poll();
  EXPECT_EQ(f.c->consumer_describe("g").members.size(), 1u);
  // Without the group's configs the coordinator's settings apply again.
  f.overrides.clear();
  a = f.beat(heartbeat("a", a.member_epoch));
  EXPECT_EQ(a.heartbeat_interval_ms, 5000);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.c->tick();
  f.poll();
  EXPECT_TRUE(f.c->consumer_describe("g").members.empty());
}

TEST(ConsumerGroups, OffsetsFollowMemberEpochs) {
  cg_fixture f;
  auto a = f.beat(joining("a"));
  commit_identity who{"g", a.member_epoch, "a", std::nullopt, 9, {}};
  offset_commit_entry e{"t", 0, {}};
  e.value.offset = 42;
  auto ok = f.start(f.c->commit(who, {e}));
  ASSERT_TRUE(ok->has_value());
  EXPECT_EQ((*ok)->at(0), 0);
  who.generation = a.member_epoch + 1;
  EXPECT_EQ(f.start(f.c->commit(who, {e}))->value().at(0), code(error_code::stale_member_epoch));
  who.generation = a.member_epoch;
  who.version = 8;
  EXPECT_EQ(f.start(f.c->commit(who, {e}))->value().at(0), code(error_code::unsupported_version));
  // From outside the group while it has members: refused.
  EXPECT_EQ(f.start(f.c->commit({"g", -1, "", std::nullopt, 9, {}}, {e}))->value().at(0),
            code(error_code::unknown_member_id));
  auto fetched = f.c->fetch_offsets("g", std::nullopt, std::pair<std::string, int32_t>{"a", 99});
  EXPECT_EQ(fetched.error_code, code(error_code::stale_member_epoch));
  fetched =
      f.c->fetch_offsets("g", std::nullopt, std::pair<std::string, int32_t>{"a", a.member_epoch});
  EXPECT_EQ(fetched.error_code, 0);
  EXPECT_EQ(fetched.offsets["t"][0].offset, 42);
  // The subscribed topic's offsets cannot be deleted while the group subscribes to it.
  auto del = f.start(f.c->delete_offsets("g", {{"t", {0}}}));
  EXPECT_EQ((*del)->partitions["t"][0], code(error_code::group_subscribed_to_topic));
  // A non-empty group cannot be deleted; once empty it can.
  EXPECT_EQ(f.start(f.c->delete_group("g"))->value(), code(error_code::non_empty_group));
  f.beat(heartbeat("a", -1));
  EXPECT_EQ(f.start(f.c->delete_group("g"))->value(), 0);
  EXPECT_EQ(f.c->consumer_describe("g").error_code, code(error_code::group_id_not_found));
}

TEST(ConsumerGroups, RecordsRebuildTheGroup) {
  cg_fixture f;
  auto a = f.beat(joining("a"));
  auto b = f.beat(joining("b"));
  a = f.beat(heartbeat("a", a.member_epoch, std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
  a = f.beat(heartbeat("a", a.member_epoch, partitions(a)));
  b = f.beat(heartbeat("b", b.member_epoch, std::vector<int32_t>{}));
  auto c = f.beat(joining("c"));
  auto c_left = f.beat(heartbeat("c", -1));
  ASSERT_EQ(c_left.error_code, 0);
  const auto before = f.c->consumer_describe("g");

  cg_fixture g;
  size_t replayed = 0;
  for (const auto& [p, r] : f.written) {
    std::optional<std::span<const uint8_t>> value;
    if (r.value) value = std::span<const uint8_t>(*r.value);
    replayed += replay_offsets_record(*g.c, r.key, value) ? 1 : 0;
  }
  EXPECT_EQ(replayed, f.written.size());
  auto after = g.c->consumer_describe("g");
  EXPECT_EQ(after.group_epoch, before.group_epoch);
  EXPECT_EQ(after.assignment_epoch, before.assignment_epoch);
  EXPECT_EQ(after.group_state, before.group_state);
  ASSERT_EQ(after.members.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(after.members[i].member_id, before.members[i].member_id);
    EXPECT_EQ(after.members[i].member_epoch, before.members[i].member_epoch);
    EXPECT_EQ(after.members[i].assignment, before.members[i].assignment);
    EXPECT_EQ(after.members[i].target_assignment, before.members[i].target_assignment);
    EXPECT_EQ(after.members[i].subscribed_topic_names, before.members[i].subscribed_topic_names);
  }
  // The members carry on with the reloaded group, into the epoch c's leaving started.
  EXPECT_EQ(after.group_state, "Assigning");
  auto again = g.beat(heartbeat("a", a.member_epoch, partitions(a)));
  EXPECT_EQ(again.error_code, 0);
  EXPECT_EQ(again.member_epoch, before.group_epoch);
}

TEST(ConsumerGroups, RegularExpressionsFollowTheTopics) {
  cg_fixture f;
  f.topics["t2"] = {wire::uuid::from_halves(8, 8), "t2", 2};
  f.topics["other"] = {wire::uuid::from_halves(9, 9), "other", 4};
  auto r = joining("a");
  r.subscribed_topic_names.reset();
  r.subscribed_topic_regex = "t.*";
  auto a = f.beat(r);
  ASSERT_EQ(a.error_code, 0);
  EXPECT_EQ(partitions(a).size(), 8u);  // t (6) and t2 (2), not "other"
  auto d = f.c->consumer_describe("g");
  EXPECT_EQ(d.members.at(0).subscribed_topic_regex, "t.*");
  // A new matching topic joins the subscription at the next heartbeat.
  f.topics["t3"] = {wire::uuid::from_halves(10, 10), "t3", 1};
  ++f.topics_version;
  a = f.beat(heartbeat("a", a.member_epoch, partitions(a)));
  ASSERT_EQ(a.error_code, 0);
  EXPECT_EQ(partitions(a).size(), 9u);
  // A bad expression is refused with Kafka's error.
  auto bad = joining("b");
  bad.subscribed_topic_names.reset();
  bad.subscribed_topic_regex = "t(";
  auto e = f.beat(bad);
  EXPECT_EQ(e.error_code, code(error_code::invalid_regular_expression));
  EXPECT_NE(e.error_message.value_or("").find("SubscribedTopicRegex `t(`"), std::string::npos);
}

TEST(ConsumerGroups, UpgradeFollowsTheMigrationPolicy) {
  // A classic group with one member whose metadata is a ConsumerProtocolSubscription v0 of "t".
  auto classic_group = [](cg_fixture& f) {
    protocol::join_group_request j;
    j.group_id = "g";
    j.session_timeout_ms = 10000;
    j.rebalance_timeout_ms = 10000;
    j.protocol_type = "consumer";
    j.protocols.push_back({"range", {0, 0, 0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff, 0xff}, {}});
    auto joined = f.start(f.c->join(j, 3, "c", "/h"));
    EXPECT_EQ((*joined)->error_code, 0);
    return (*joined)->member_id;
  };
  coordinator_config off;
  off.online_upgrade = false;
  cg_fixture f(off);
  classic_group(f);
  auto e = f.beat(joining("new"));
  EXPECT_EQ(e.error_code, code(error_code::group_id_not_found));
  EXPECT_EQ(e.error_message,
            "Cannot upgrade classic group g to consumer group because online "
            "upgrade is disabled.");

  cg_fixture on;
  const std::string old = classic_group(on);
  auto a = on.beat(joining("new"));
  ASSERT_EQ(a.error_code, 0);
  auto d = on.c->consumer_describe("g");
  ASSERT_EQ(d.members.size(), 2u);
  // The classic member stays, and is told to join again by its heartbeats.
  protocol::heartbeat_request h;
  h.group_id = "g";
  h.member_id = old;
  h.generation_id = 1;
  EXPECT_EQ(on.c->heartbeat(h).error_code, code(error_code::rebalance_in_progress));
  // When the consumer-protocol member leaves, the group is classic again and rebalances.
  ASSERT_EQ(on.beat(heartbeat("new", -1)).error_code, 0);
  EXPECT_EQ(on.c->consumer_describe("g").error_code, code(error_code::group_id_not_found));
  auto listed = on.c->list({}, {});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].group_type, "classic");
  EXPECT_EQ(listed[0].group_state, "PreparingRebalance");
}

TEST(ConsumerGroups, OffsetsOutliveEveryChangeOfProtocol) {
  cg_fixture f;
  // Offsets committed from outside make an empty classic group.
  offset_commit_entry e{"t", 0, {}};
  e.value.offset = 7;
  ASSERT_EQ(f.start(f.c->commit({"g", -1, "", std::nullopt, 9, {}}, {e}))->value().at(0), 0);
  // It becomes a consumer group, then (its last consumer-protocol member gone) stays one, empty.
  ASSERT_EQ(f.beat(joining("a")).error_code, 0);
  ASSERT_EQ(f.beat(heartbeat("a", -1)).error_code, 0);
  // A classic member joins: the empty consumer group becomes a classic group again.
  protocol::join_group_request j;
  j.group_id = "g";
  j.session_timeout_ms = 10000;
  j.protocol_type = "consumer";
  j.protocols.push_back({"range", {0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, {}});
  ASSERT_EQ((*f.start(f.c->join(j, 3, "c", "/h")))->error_code, 0);

  // Replayed, every tombstone of the group's membership leaves its offsets in place.
  cg_fixture g;
  for (const auto& [p, r] : f.written) {
    std::optional<std::span<const uint8_t>> value;
    if (r.value) value = std::span<const uint8_t>(*r.value);
    replay_offsets_record(*g.c, r.key, value);
  }
  auto fetched = g.c->fetch_offsets("g", std::nullopt);
  EXPECT_EQ(fetched.offsets["t"][0].offset, 7);
  auto listed = g.c->list({}, {});
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].group_type, "classic");
}

}  // namespace
}  // namespace brook::coordinator
