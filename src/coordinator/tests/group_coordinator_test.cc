// The classic group state machine and committed offsets, driven on one io_context with a writer
// that keeps the records it is given.
#include "coordinator/group_coordinator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include "base/clock.h"
#include "coordinator/offsets_records.h"
#include "coordinator/tests/coordinator_fixture.h"
#include "protocol/errors.h"

namespace brook::coordinator {
namespace {
using test_support::fixture;

using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

protocol::join_group_request join_request(const std::string& member = "") {
  protocol::join_group_request r;
  r.group_id = "g";
  r.session_timeout_ms = 10000;
  r.rebalance_timeout_ms = 10000;
  r.member_id = member;
  r.protocol_type = "consumer";
  r.protocols.push_back({"range", {0, 1, 2}, {}});
  return r;
}

TEST(GroupCoordinator, OffsetsPartitionFollowsJavaHashCode) {
  // "g".hashCode() = 103; "my-group".hashCode() = -1906497762, which Kafka's Utils.abs negates:
  // 1906497762 % 50 = 12 (clearing the sign bit instead would give 36, not Kafka's partition, as
  // Kafka 4.4 itself answers). A character outside the BMP counts as its two UTF-16 halves.
  EXPECT_EQ(offsets_partition_for("g", 50), 3);
  EXPECT_EQ(offsets_partition_for("my-group", 50), 12);
  EXPECT_EQ(offsets_partition_for("og-group", 50), 12);
  EXPECT_EQ(offsets_partition_for("\xF0\x9F\x98\x80", 1000), (0xD83D * 31 + 0xDE00) % 1000);
  EXPECT_EQ(offsets_partition_for("", 50), 0);
}

TEST(GroupCoordinator, NewMemberGetsIdThenJoinsSyncsAndHeartbeats) {
  fixture f;
  auto first = f.start(f.c->join(join_request(), 9, "client", "/127.0.0.1"));
  ASSERT_TRUE(*first);
  EXPECT_EQ((*first)->error_code, code(error_code::member_id_required));
  const std::string id = (*first)->member_id;
  EXPECT_TRUE(id.starts_with("client-"));

  auto joined = f.start(f.c->join(join_request(id), 9, "client", "/127.0.0.1"));
  ASSERT_TRUE(*joined);
  EXPECT_EQ((*joined)->error_code, 0);
  EXPECT_EQ((*joined)->generation_id, 1);
  EXPECT_EQ((*joined)->leader, id);
  EXPECT_EQ((*joined)->protocol_name, "range");
  ASSERT_EQ((*joined)->members.size(), 1u);

  protocol::sync_group_request s;
  s.group_id = "g";
  s.generation_id = 1;
  s.member_id = id;
  s.assignments.push_back({id, {9, 9}, {}});
  auto synced = f.start(f.c->sync(s, 5));
  ASSERT_TRUE(*synced);
  EXPECT_EQ((*synced)->error_code, 0);
  EXPECT_EQ((*synced)->assignment, (std::vector<uint8_t>{9, 9}));
  // The assignment was written as the group's metadata record before the answer.
  ASSERT_EQ(f.written.size(), 1u);
  auto key = decode_key(f.written[0].second.key);
  ASSERT_TRUE(key);
  EXPECT_TRUE(std::holds_alternative<group_metadata_key>(*key));

  protocol::heartbeat_request h;
  h.group_id = "g";
  h.generation_id = 1;
  h.member_id = id;
  EXPECT_EQ(f.c->heartbeat(h).error_code, 0);
  h.generation_id = 7;
  EXPECT_EQ(f.c->heartbeat(h).error_code, code(error_code::illegal_generation));
  h.member_id = "nobody";
  EXPECT_EQ(f.c->heartbeat(h).error_code, code(error_code::unknown_member_id));

  auto d = f.c->describe("g", 5);
  EXPECT_EQ(d.group_state, "Stable");
  EXPECT_EQ(d.protocol_data, "range");
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_assignment, (std::vector<uint8_t>{9, 9}));
}

TEST(GroupCoordinator, SecondMemberRebalancesAndLeaveEmptiesTheGroup) {
  fixture f;
  auto a_id = (*f.start(f.c->join(join_request(), 9, "a", "/h")))->member_id;
  auto a_join = f.start(f.c->join(join_request(a_id), 9, "a", "/h"));
  ASSERT_TRUE(*a_join);
  protocol::sync_group_request s;
  s.group_id = "g";
  s.generation_id = 1;
  s.member_id = a_id;
  ASSERT_TRUE(*f.start(f.c->sync(s, 5)));

  // b joins: a must rejoin (its heartbeat says so), then both get generation 2.
  auto b_id = (*f.start(f.c->join(join_request(), 9, "b", "/h")))->member_id;
  auto b_join = f.start(f.c->join(join_request(b_id), 9, "b", "/h"));
  EXPECT_FALSE(*b_join);
  protocol::heartbeat_request h;
  h.group_id = "g";
  h.generation_id = 1;
  h.member_id = a_id;
  EXPECT_EQ(f.c->heartbeat(h).error_code, code(error_code::rebalance_in_progress));
  auto a_again = f.start(f.c->join(join_request(a_id), 9, "a", "/h"));
  ASSERT_TRUE(*a_again);
  ASSERT_TRUE(*b_join);
  EXPECT_EQ((*a_again)->generation_id, 2);
  EXPECT_EQ((*b_join)->generation_id, 2);
  // a stays leader and alone sees the members.
  EXPECT_EQ((*b_join)->leader, a_id);
  EXPECT_EQ((*a_again)->members.size(), 2u);
  EXPECT_TRUE((*b_join)->members.empty());

  // Both leave (v3+ batch): the group is empty and a new generation begins.
  protocol::leave_group_request l;
  l.group_id = "g";
  l.members.push_back({a_id, std::nullopt, std::nullopt, {}});
  l.members.push_back({b_id, std::nullopt, std::nullopt, {}});
  l.members.push_back({"nobody", std::nullopt, std::nullopt, {}});
  auto left = f.start(f.c->leave(l, 5));
  ASSERT_TRUE(*left);
  ASSERT_EQ((*left)->members.size(), 3u);
  EXPECT_EQ((*left)->members[0].error_code, 0);
  EXPECT_EQ((*left)->members[2].error_code, code(error_code::unknown_member_id));
  f.poll();
  auto d = f.c->describe("g", 5);
  EXPECT_EQ(d.group_state, "Empty");
  EXPECT_TRUE(d.members.empty());
}

TEST(GroupCoordinator, RefusesBadJoins) {
  coordinator_config config;
  config.max_size = 1;
  fixture f(config);
  auto r = join_request();
  r.session_timeout_ms = 10;
  EXPECT_EQ((*f.start(f.c->join(r, 9, "c", "/h")))->error_code,
            code(error_code::invalid_session_timeout));
  r = join_request();
  r.group_id = "";
  EXPECT_EQ((*f.start(f.c->join(r, 9, "c", "/h")))->error_code, code(error_code::invalid_group_id));
  r = join_request("made-up");
  EXPECT_EQ((*f.start(f.c->join(r, 9, "c", "/h")))->error_code,
            code(error_code::unknown_member_id));
  // The first member takes the only place.
  auto id = (*f.start(f.c->join(join_request(), 9, "c", "/h")))->member_id;
  EXPECT_EQ((*f.start(f.c->join(join_request(), 9, "d", "/h")))->error_code,
            code(error_code::group_max_size_reached));
  // A protocol the group does not share.
  auto other = join_request();
  other.protocols = {{"roundrobin", {}, {}}};
  auto joined = f.start(f.c->join(join_request(id), 9, "c", "/h"));
  ASSERT_TRUE(*joined);
  EXPECT_EQ((*f.start(f.c->join(other, 3, "e", "/h")))->error_code,
            code(error_code::inconsistent_group_protocol));
}

TEST(GroupCoordinator, TransactionalOffsetsWaitForTheirMarker) {
  fixture f;
  std::vector<std::tuple<int32_t, int64_t, int16_t, size_t>> txn_writes;
  f.c->set_txn_writer([&](int32_t partition, int64_t pid, int16_t epoch,
                          std::vector<log_record> records) -> asio::awaitable<int16_t> {
    txn_writes.emplace_back(partition, pid, epoch, records.size());
    co_return 0;
  });
  commit_identity who{"g", -1, "", std::nullopt, -1, {}};
  who.producer = std::pair<int64_t, int16_t>{9, 2};
  std::vector<offset_commit_entry> entries{{"t", 0, {42, -1, "", -1, -1}}};
  auto errors = f.start(f.c->commit(who, entries));
  ASSERT_TRUE(*errors);
  EXPECT_EQ((**errors)[0], 0);
  ASSERT_EQ(txn_writes.size(), 1u);
  EXPECT_EQ(std::get<1>(txn_writes[0]), 9);
  EXPECT_TRUE(f.written.empty());
  // Not visible until the COMMIT marker; OffsetFetch with require_stable learns it is pending.
  auto before = f.c->fetch_offsets("g", std::map<std::string, std::vector<int32_t>>{{"t", {0}}});
  EXPECT_EQ(before.offsets["t"][0].offset, -1);
  EXPECT_TRUE(before.unstable.contains({"t", 0}));
  const int32_t partition = offsets_partition_for("g", coordinator_config{}.offsets_partitions);
  // A marker on another partition of __consumer_offsets does not settle it.
  f.c->complete_txn(partition + 1, 9, true);
  EXPECT_FALSE(f.c->fetch_offsets("g", std::nullopt).unstable.empty());
  f.c->complete_txn(partition, 9, true);
  auto after = f.c->fetch_offsets("g", std::nullopt);
  EXPECT_EQ(after.offsets["t"][0].offset, 42);
  EXPECT_TRUE(after.unstable.empty());
  // An aborted transaction's offsets are dropped.
  entries[0].value.offset = 50;
  ASSERT_TRUE(*f.start(f.c->commit(who, entries)));
  f.c->complete_txn(partition, 9, false);
  EXPECT_EQ(f.c->fetch_offsets("g", std::nullopt).offsets["t"][0].offset, 42);

  // TxnOffsetCommit below v3 names no member (KafkaJS): taken while the group has members, as
  // Kafka does; a plain commit from outside is not.
  auto first = f.start(f.c->join(join_request(), 9, "c", "/h"));
  ASSERT_TRUE(*first);
  auto joined = f.start(f.c->join(join_request((*first)->member_id), 9, "c", "/h"));
  ASSERT_TRUE(*joined);
  ASSERT_NE(f.c->describe("g", 5).group_state, "Empty");
  entries[0].value.offset = 60;
  EXPECT_EQ((**f.start(f.c->commit(who, entries)))[0], 0);
  commit_identity outside{"g", -1, "", std::nullopt, -1, {}};
  EXPECT_EQ((**f.start(f.c->commit(outside, entries)))[0], code(error_code::unknown_member_id));
}

TEST(GroupCoordinator, CommitsFetchesDeletesAndReplaysOffsets) {
  fixture f;
  commit_identity outside{"g", -1, "", std::nullopt, -1, {}};
  std::vector<offset_commit_entry> entries{{"t", 0, {42, 3, "m", -1, -1}},
                                           {"t", 1, {7, -1, std::string(5000, 'x'), -1, -1}}};
  auto errors = f.start(f.c->commit(outside, entries));
  ASSERT_TRUE(*errors);
  EXPECT_EQ((**errors)[0], 0);
  EXPECT_EQ((**errors)[1], code(error_code::offset_metadata_too_large));
  ASSERT_EQ(f.written.size(), 1u);

  auto all = f.c->fetch_offsets("g", std::nullopt);
  ASSERT_EQ(all.offsets["t"].size(), 1u);
  EXPECT_EQ(all.offsets["t"][0].offset, 42);
  EXPECT_EQ(all.offsets["t"][0].leader_epoch, 3);
  EXPECT_EQ(all.offsets["t"][0].metadata, "m");
  auto some = f.c->fetch_offsets("g", std::map<std::string, std::vector<int32_t>>{{"t", {0, 5}}});
  EXPECT_EQ(some.offsets["t"][5].offset, -1);

  // A member of no group may not commit with a generation.
  commit_identity stranger{"g2", 3, "m", std::nullopt, -1, {}};
  EXPECT_EQ((**f.start(f.c->commit(stranger, entries)))[0], code(error_code::illegal_generation));

  // What was written replays into a fresh coordinator.
  fixture g;
  for (const auto& [p, r] : f.written) {
    std::optional<std::span<const uint8_t>> v;
    if (r.value) v = std::span<const uint8_t>(*r.value);
    EXPECT_TRUE(replay_offsets_record(*g.c, r.key, v));
  }
  EXPECT_EQ(g.c->fetch_offsets("g", std::nullopt).offsets["t"][0].offset, 42);

  // OffsetDelete writes a tombstone; DeleteGroups removes the (empty) group.
  auto deleted =
      f.start(f.c->delete_offsets("g", std::map<std::string, std::vector<int32_t>>{{"t", {0}}}));
  ASSERT_TRUE(*deleted);
  EXPECT_EQ((*deleted)->error_code, 0);
  EXPECT_FALSE(f.written.back().second.value.has_value());
  EXPECT_TRUE(f.c->fetch_offsets("g", std::nullopt).offsets.empty());
  EXPECT_EQ(**f.start(f.c->delete_group("g")), 0);
  EXPECT_EQ(**f.start(f.c->delete_group("g")), code(error_code::group_id_not_found));
  EXPECT_EQ(f.c->describe("g", 6).error_code, code(error_code::group_id_not_found));
}

TEST(GroupCoordinator, ReloadedGroupCarriesOnWithItsGeneration) {
  fixture f;
  auto id = (*f.start(f.c->join(join_request(), 9, "a", "/h")))->member_id;
  ASSERT_TRUE(*f.start(f.c->join(join_request(id), 9, "a", "/h")));
  protocol::sync_group_request s;
  s.group_id = "g";
  s.generation_id = 1;
  s.member_id = id;
  s.assignments.push_back({id, {7}, {}});
  ASSERT_TRUE(*f.start(f.c->sync(s, 5)));
  // A new coordinator (a restart) replays what was written.
  fixture g;
  for (const auto& [p, r] : f.written) {
    std::optional<std::span<const uint8_t>> v;
    if (r.value) v = std::span<const uint8_t>(*r.value);
    ASSERT_TRUE(replay_offsets_record(*g.c, r.key, v));
  }
  auto d = g.c->describe("g", 5);
  EXPECT_EQ(d.group_state, "Stable");
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_assignment, (std::vector<uint8_t>{7}));
  protocol::heartbeat_request h;
  h.group_id = "g";
  h.generation_id = 1;
  h.member_id = id;
  EXPECT_EQ(g.c->heartbeat(h).error_code, 0);
  auto again = g.start(g.c->sync(s, 5));
  ASSERT_TRUE(*again);
  EXPECT_EQ((*again)->assignment, (std::vector<uint8_t>{7}));
}

TEST(GroupCoordinator, StaticMemberRejoinsWithoutRebalance) {
  fixture f;
  auto r = join_request();
  r.group_instance_id = "i";
  auto first = f.start(f.c->join(r, 9, "a", "/h"));
  ASSERT_TRUE(*first);
  // Static members join at once, without MEMBER_ID_REQUIRED.
  EXPECT_EQ((*first)->error_code, 0);
  const std::string old_id = (*first)->member_id;
  auto other = f.start(f.c->join(join_request(), 9, "b", "/h"));
  const std::string b_id = (*other)->member_id;
  auto b_join = f.start(f.c->join(join_request(b_id), 9, "b", "/h"));
  auto a_again = f.start(f.c->join(
      [&] {
        auto x = join_request(old_id);
        x.group_instance_id = "i";
        return x;
      }(),
      9, "a", "/h"));
  ASSERT_TRUE(*a_again);
  ASSERT_TRUE(*b_join);
  const int32_t gen = (*a_again)->generation_id;
  protocol::sync_group_request s;
  s.group_id = "g";
  s.generation_id = gen;
  s.member_id = old_id;
  s.group_instance_id = "i";
  s.assignments = {{old_id, {1}, {}}, {b_id, {2}, {}}};
  auto a_sync = f.start(f.c->sync(s, 5));
  ASSERT_TRUE(*a_sync);
  EXPECT_EQ((*a_sync)->assignment, (std::vector<uint8_t>{1}));

  // The static member restarts: a new member id, the same generation and assignment, no
  // rebalance for b.
  auto back = f.start(f.c->join(r, 9, "a", "/h"));
  ASSERT_TRUE(*back);
  EXPECT_EQ((*back)->error_code, 0);
  EXPECT_EQ((*back)->generation_id, gen);
  EXPECT_NE((*back)->member_id, old_id);
  EXPECT_TRUE((*back)->skip_assignment);  // it leads, and v9 lets it skip the assignment
  protocol::heartbeat_request h;
  h.group_id = "g";
  h.generation_id = gen;
  h.member_id = b_id;
  EXPECT_EQ(f.c->heartbeat(h).error_code, 0);
  // The old incarnation is fenced.
  h.member_id = old_id;
  h.group_instance_id = "i";
  EXPECT_EQ(f.c->heartbeat(h).error_code, code(error_code::fenced_instance_id));
  s.member_id = (*back)->member_id;
  s.assignments.clear();
  auto resync = f.start(f.c->sync(s, 5));
  ASSERT_TRUE(*resync);
  EXPECT_EQ((*resync)->assignment, (std::vector<uint8_t>{1}));
  EXPECT_EQ(f.c->describe("g", 5).group_state, "Stable");
}

TEST(GroupCoordinator, MemberThatNeverSyncsIsRemovedAfterTheRebalanceTimeout) {
  fixture f;
  auto short_join = [](const std::string& id) {
    auto r = join_request(id);
    r.rebalance_timeout_ms = 50;
    return r;
  };
  auto a_id = (*f.start(f.c->join(short_join(""), 9, "a", "/h")))->member_id;
  auto b_id = (*f.start(f.c->join(short_join(""), 9, "b", "/h")))->member_id;
  auto a_join = f.start(f.c->join(short_join(a_id), 9, "a", "/h"));
  auto b_join = f.start(f.c->join(short_join(b_id), 9, "b", "/h"));
  // Both joined together (the second join completed the phase only after the first waited).
  for (int i = 0; i < 50 && !(*a_join && *b_join); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    f.c->tick();
    f.poll();
  }
  ASSERT_TRUE(*a_join);
  ASSERT_TRUE(*b_join);
  const auto& leader = (*a_join)->leader;
  const std::string follower = leader == a_id ? b_id : a_id;
  // Only the follower syncs; the leader never does, and is dropped once the timeout passed.
  protocol::sync_group_request s;
  s.group_id = "g";
  s.generation_id = (*a_join)->generation_id;
  s.member_id = follower;
  auto waiting = f.start(f.c->sync(s, 5));
  EXPECT_FALSE(*waiting);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  f.c->tick();
  f.poll();
  ASSERT_TRUE(*waiting);
  EXPECT_EQ((*waiting)->error_code, code(error_code::rebalance_in_progress));
  auto d = f.c->describe("g", 5);
  ASSERT_EQ(d.members.size(), 1u);
  EXPECT_EQ(d.members[0].member_id, follower);
}

TEST(GroupCoordinator, ShutdownReleasesWaitingJoins) {
  fixture f;
  auto a_id = (*f.start(f.c->join(join_request(), 9, "a", "/h")))->member_id;
  ASSERT_TRUE(*f.start(f.c->join(join_request(a_id), 9, "a", "/h")));
  // b's join waits for a to rejoin; shutdown answers it at once.
  auto b_id = (*f.start(f.c->join(join_request(), 9, "b", "/h")))->member_id;
  auto b_join = f.start(f.c->join(join_request(b_id), 9, "b", "/h"));
  EXPECT_FALSE(*b_join);
  f.c->release_waiters();
  f.poll();
  ASSERT_TRUE(*b_join);
  EXPECT_EQ((*b_join)->error_code, code(error_code::not_coordinator));
  EXPECT_EQ((*f.start(f.c->join(join_request(), 9, "c", "/h")))->error_code,
            code(error_code::not_coordinator));
}

TEST(GroupCoordinator, OffsetsExpireAfterTheRetentionAndEmptyGroupsGo) {
  coordinator_config config;
  config.offsets_retention_ms = 1000;
  fixture f(config);
  commit_identity outside{"g", -1, "", std::nullopt, -1, {}};
  const int64_t now = wall_clock_ms();
  ASSERT_TRUE(*f.start(f.c->commit(
      outside, {{"t", 0, {1, -1, "", now - 5000, -1}}, {"t", 1, {2, -1, "", now, -1}}})));
  // Only the offset committed more than the retention ago goes; the group keeps the other.
  ASSERT_TRUE(f.run(f.c->expire_offsets(now + 10)));
  auto left = f.c->fetch_offsets("g", std::nullopt).offsets;
  ASSERT_EQ(left["t"].size(), 1u);
  EXPECT_TRUE(left["t"].contains(1));
  EXPECT_FALSE(f.written.back().second.value.has_value());
  // Later both are gone, and so is the group (a tombstone for its metadata).
  ASSERT_TRUE(f.run(f.c->expire_offsets(now + 120000)));
  EXPECT_TRUE(f.c->fetch_offsets("g", std::nullopt).offsets.empty());
  auto key = decode_key(f.written.back().second.key);
  ASSERT_TRUE(key);
  EXPECT_TRUE(std::holds_alternative<group_metadata_key>(*key));
  EXPECT_EQ(f.c->describe("g", 6).error_code, code(error_code::group_id_not_found));
}

TEST(GroupCoordinator, StableGroupKeepsOffsetsOfSubscribedTopicsOnly) {
  coordinator_config config;
  config.offsets_retention_ms = 1000;
  fixture f(config);
  // A consumer member subscribed to "t" (ConsumerProtocolSubscription v0: version, ["t"], null
  // user data).
  auto r = join_request();
  r.protocols = {{"range", {0, 0, 0, 0, 0, 1, 0, 1, 't', 0xFF, 0xFF, 0xFF, 0xFF}, {}}};
  auto id = (*f.start(f.c->join(r, 9, "a", "/h")))->member_id;
  r.member_id = id;
  ASSERT_TRUE(*f.start(f.c->join(r, 9, "a", "/h")));
  protocol::sync_group_request s;
  s.group_id = "g";
  s.generation_id = 1;
  s.member_id = id;
  ASSERT_TRUE(*f.start(f.c->sync(s, 5)));
  commit_identity who{"g", 1, id, std::nullopt, -1, {}};
  const int64_t old = wall_clock_ms() - 10000;
  ASSERT_TRUE(
      *f.start(f.c->commit(who, {{"t", 0, {1, -1, "", old, -1}}, {"u", 0, {2, -1, "", old, -1}}})));
  ASSERT_TRUE(f.run(f.c->expire_offsets(wall_clock_ms())));
  auto left = f.c->fetch_offsets("g", std::nullopt).offsets;
  EXPECT_TRUE(left.contains("t"));
  EXPECT_FALSE(left.contains("u"));
}

TEST(GroupCoordinator, FailedWriteFailsTheCommit) {
  fixture f;
  f.write_error = code(error_code::kafka_storage_error);
  commit_identity outside{"g", -1, "", std::nullopt, -1, {}};
  auto errors = f.start(f.c->commit(outside, {{"t", 0, {1, -1, "", -1, -1}}}));
  ASSERT_TRUE(*errors);
  EXPECT_EQ((**errors)[0], code(error_code::kafka_storage_error));
  EXPECT_TRUE(f.c->fetch_offsets("g", std::nullopt).offsets.empty());
}

}  // namespace
}  // namespace brook::coordinator
