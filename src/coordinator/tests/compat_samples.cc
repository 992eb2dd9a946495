#include "coordinator/tests/compat_samples.h"

namespace brook::coordinator::testing {
namespace {

constexpr int64_t k_ts = 1'700'000'000'000;

const wire::uuid k_topic_a = wire::uuid::from_halves(0x0123456789abcdefULL, 0x0fedcba987654321ULL);
const wire::uuid k_topic_b = wire::uuid::from_halves(0x1111222233334444ULL, 0x5555666677778888ULL);

offsets_record with_version(record_key key, record_value value, int16_t version) {
  return offsets_record{std::move(key), versioned_value{version, std::move(value)}};
}

offset_commit_key offsets_key() { return {"orders-app", "orders", 7, false}; }

// The fields a version has are set; the others keep their defaults, which is what decoding that
// version gives back.
offset_commit_value offset_value(int16_t version) {
  offset_commit_value v;
  v.offset = 42;
  v.metadata = "meta";
  v.commit_timestamp = k_ts;
  if (version == 1) v.expire_timestamp = k_ts + 600'000;
  if (version >= 3) v.leader_epoch = 5;
  return v;
}

group_metadata_value group_value(int16_t version) {
  group_metadata_value v;
  v.protocol_type = "consumer";
  v.generation = 3;
  v.protocol = "range";
  v.leader = "consumer-1-aaaa";
  if (version >= 2) v.current_state_timestamp = k_ts;
  group_member_metadata m1;
  m1.member_id = "consumer-1-aaaa";
  if (version >= 3) m1.group_instance_id = "instance-1";
  m1.client_id = "consumer-1";
  m1.client_host = "/10.0.0.1";
  if (version >= 1) m1.rebalance_timeout_ms = 300000;
  m1.session_timeout_ms = 45000;
  m1.subscription = {0, 1, 0, 0, 0, 1, 0, 6, 'o', 'r', 'd', 'e', 'r', 's'};
  m1.assignment = {0, 1, 2};
  group_member_metadata m2;
  m2.member_id = "consumer-2-bbbb";
  m2.client_id = "consumer-2";
  m2.client_host = "/10.0.0.2";
  if (version >= 1) m2.rebalance_timeout_ms = 300000;
  m2.session_timeout_ms = 45000;
  m2.subscription = {9};
  v.members = {m1, m2};
  return v;
}

}  // namespace

std::vector<named_sample> compat_samples() {
  std::vector<named_sample> s;

  for (int16_t v = 0; v <= 4; ++v)
    s.push_back(
        {"offset_commit_v" + std::to_string(v), with_version(offsets_key(), offset_value(v), v)});
  {
    auto v = offset_value(4);
    v.topic_id = k_topic_a;
    s.push_back({"offset_commit_v4_topic_id", with_version(offsets_key(), v, 4)});
    v.unknown_tags = {{7, {0xca, 0xfe}}};
    s.push_back({"offset_commit_v4_unknown_tag", with_version(offsets_key(), v, 4)});
  }
  s.push_back({"offset_commit_legacy_v0",
               with_version(offset_commit_key{"old-app", "orders", 1, true}, offset_value(0), 0)});
  s.push_back({"offset_commit_tombstone", make_tombstone(offsets_key())});

  const group_metadata_key gkey{"orders-app"};
  for (int16_t v = 0; v <= 4; ++v)
    s.push_back({"group_metadata_v" + std::to_string(v), with_version(gkey, group_value(v), v)});
  {
    auto v = group_value(4);
    v.unknown_tags = {{3, {1}}};
    v.members[0].unknown_tags = {{4, {2, 2}}};
    s.push_back({"group_metadata_v4_unknown_tags", with_version(gkey, v, 4)});
  }
  {
    group_metadata_value v;
    v.current_state_timestamp = k_ts;
    s.push_back({"group_metadata_empty_v3", with_version(gkey, v, 3)});
  }
  s.push_back({"group_metadata_tombstone", make_tombstone(gkey)});

  const consumer_group_metadata_key cgkey{"orders-848"};
  s.push_back({"consumer_group_metadata_v0",
               with_version(cgkey, consumer_group_metadata_value{10, 0, {}}, 0)});
  s.push_back(
      {"consumer_group_metadata_hash_v0",
       with_version(cgkey, consumer_group_metadata_value{10, 0x1122334455667788LL, {}}, 0)});
  s.push_back({"consumer_group_metadata_tombstone", make_tombstone(cgkey)});

  const consumer_group_partition_metadata_key pkey{"orders-848"};
  {
    consumer_group_partition_metadata_value v;
    v.topics.push_back({k_topic_a, "orders", 3, {{0, {"rack-a", "rack-b"}, {}}, {1, {}, {}}}, {}});
    v.topics.push_back({k_topic_b, "payments", 1, {}, {}});
    s.push_back({"consumer_group_partition_metadata_v0", with_version(pkey, v, 0)});
  }
  s.push_back({"consumer_group_partition_metadata_tombstone", make_tombstone(pkey)});

  const consumer_group_member_metadata_key mkey{"orders-848", "member-1"};
  {
    consumer_group_member_metadata_value v;
    v.rack_id = "rack-a";
    v.client_id = "client-1";
    v.client_host = "/10.0.0.1";
    v.subscribed_topic_names = {"orders", "payments"};
    v.rebalance_timeout_ms = 300000;
    v.server_assignor = "uniform";
    s.push_back({"consumer_group_member_metadata_v0", with_version(mkey, v, 0)});
  }
  {
    consumer_group_member_metadata_value v;
    v.instance_id = "instance-1";
    v.client_id = "client-1";
    v.client_host = "/10.0.0.1";
    v.subscribed_topic_regex = "ord.*";
    v.rebalance_timeout_ms = 300000;
    v.classic_member = classic_member_metadata{
        45000, {{"range", {1, 2, 3}, {}}, {"cooperative-sticky", {}, {}}}, {}};
    s.push_back({"consumer_group_member_metadata_classic_v0", with_version(mkey, v, 0)});
  }
  s.push_back({"consumer_group_member_metadata_tombstone", make_tombstone(mkey)});

  const consumer_group_target_assignment_metadata_key tkey{"orders-848"};
  s.push_back({"consumer_group_target_assignment_metadata_v0",
               with_version(tkey, consumer_group_target_assignment_metadata_value{11, 0, {}}, 0)});
  s.push_back(
      {"consumer_group_target_assignment_metadata_timestamp_v0",
       with_version(tkey, consumer_group_target_assignment_metadata_value{11, k_ts, {}}, 0)});
  s.push_back({"consumer_group_target_assignment_metadata_tombstone", make_tombstone(tkey)});

  const consumer_group_target_assignment_member_key tmkey{"orders-848", "member-1"};
  {
    consumer_group_target_assignment_member_value v;
    v.topic_partitions = {{k_topic_a, {0, 1, 2}, {}}, {k_topic_b, {0}, {}}};
    s.push_back({"consumer_group_target_assignment_member_v0", with_version(tmkey, v, 0)});
    s.push_back({"consumer_group_target_assignment_member_empty_v0",
                 with_version(tmkey, consumer_group_target_assignment_member_value{}, 0)});
  }
  s.push_back({"consumer_group_target_assignment_member_tombstone", make_tombstone(tmkey)});

  const consumer_group_current_member_assignment_key ckey{"orders-848", "member-1"};
  {
    consumer_group_current_member_assignment_value v;
    v.member_epoch = 11;
    v.previous_member_epoch = 10;
    v.state = 0;
    v.assigned_partitions = {{k_topic_a, {0, 1}, std::nullopt, {}}};
    v.partitions_pending_revocation = {{k_topic_b, {0}, std::nullopt, {}}};
    s.push_back({"consumer_group_current_member_assignment_v0", with_version(ckey, v, 0)});
  }
  {
    consumer_group_current_member_assignment_value v;
    v.member_epoch = 12;
    v.previous_member_epoch = 11;
    v.state = 1;
    v.assigned_partitions = {{k_topic_a, {0, 1}, std::vector<int32_t>{11, 9}, {}}};
    s.push_back({"consumer_group_current_member_assignment_epochs_v0", with_version(ckey, v, 0)});
  }
  s.push_back({"consumer_group_current_member_assignment_tombstone", make_tombstone(ckey)});

  const consumer_group_regular_expression_key rkey{"orders-848", "ord.*"};
  s.push_back(
      {"consumer_group_regular_expression_v0",
       with_version(rkey,
                    consumer_group_regular_expression_value{{"orders", "orders-dlq"}, 17, k_ts, {}},
                    0)});
  s.push_back({"consumer_group_regular_expression_tombstone", make_tombstone(rkey)});

  return s;
}

}  // namespace brook::coordinator::testing
