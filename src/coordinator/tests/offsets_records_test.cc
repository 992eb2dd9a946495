// __consumer_offsets record formats: round trips of every type and version, golden bytes written
// by hand from Kafka's schemas, the versions Kafka 4.x writes, tombstones, unknown types, and
// malformed input (truncations, bad lengths, huge counts, random bytes) that must give an error
// result and never throw or crash.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

#include "coordinator/offsets_records.h"
#include "coordinator/tests/compat_samples.h"

namespace brook::coordinator {
namespace {

// Bytes from hex text; spaces and '|' separate fields for reading.
std::vector<uint8_t> hex(std::string_view s) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (char c : s) {
    int n;
    if (c >= '0' && c <= '9') {
      n = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      n = c - 'a' + 10;
    } else {
      continue;
    }
    if (hi < 0) {
      hi = n;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | n));
      hi = -1;
    }
  }
  EXPECT_EQ(hi, -1) << "odd number of hex digits in " << s;
  return out;
}

// The hex of a string's bytes, for building goldens.
std::string hs(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

const wire::uuid k_uuid = wire::uuid::from_halves(0x0123456789abcdefULL, 0x0fedcba987654321ULL);
constexpr std::string_view k_uuid_hex = "0123456789abcdef0fedcba987654321";

std::vector<uint8_t> key_bytes(const record_key& k) {
  auto e = encode_key(k);
  EXPECT_TRUE(e) << e.error().message;
  return e ? *e : std::vector<uint8_t>{};
}

std::vector<uint8_t> value_bytes(const record_value& v, int16_t version) {
  auto e = encode_value(v, version);
  EXPECT_TRUE(e) << e.error().message;
  return e ? *e : std::vector<uint8_t>{};
}

// Checks that a key encodes to `golden` and decodes back from it.
void expect_key_golden(const record_key& k, std::string_view golden) {
  auto bytes = key_bytes(k);
  EXPECT_EQ(bytes, hex(golden));
  auto back = decode_key(hex(golden));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(*back == k);
}

// Checks that a value encodes to `golden` at `version` and decodes back (under `type`) from it.
void expect_value_golden(int16_t type, const record_value& v, int16_t version,
                         std::string_view golden) {
  auto bytes = value_bytes(v, version);
  EXPECT_EQ(bytes, hex(golden));
  auto back = decode_value(type, hex(golden));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->version, version);
  EXPECT_TRUE(back->value == v);
}

constexpr int16_t t_offset = static_cast<int16_t>(record_type::offset_commit);
constexpr int16_t t_group = static_cast<int16_t>(record_type::group_metadata);

// ---- Round trips ---------------------------------------------------------------------------

TEST(offsets_records, every_sample_round_trips) {
  auto samples = testing::compat_samples();
  ASSERT_GE(samples.size(), 30u);
  for (const auto& s : samples) {
    SCOPED_TRACE(s.name);
    auto e = encode_record(s.record);
    ASSERT_TRUE(e) << e.error().message;
    std::optional<std::span<const uint8_t>> v;
    if (e->value) v = std::span<const uint8_t>(*e->value);
    auto back = decode_record(e->key, v);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(*back == s.record);
    EXPECT_EQ(back->is_tombstone(), s.record.is_tombstone());
    auto again = encode_record(*back);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->key, e->key);
    EXPECT_EQ(again->value, e->value);
  }
}

TEST(offsets_records, samples_cover_every_type_and_version) {
  std::set<std::pair<int16_t, int16_t>> seen;
  std::set<int16_t> tombstones;
  for (const auto& s : testing::compat_samples()) {
    if (s.record.value) {
      seen.insert({key_type(s.record.key), s.record.value->version});
    } else {
      tombstones.insert(key_type(s.record.key));
    }
  }
  for (int16_t v = 0; v <= 4; ++v) {
    EXPECT_TRUE(seen.count({1, v})) << "offset commit v" << v;
    EXPECT_TRUE(seen.count({2, v})) << "group metadata v" << v;
  }
  EXPECT_TRUE(seen.count({0, 0}));
  for (int16_t t : {3, 4, 5, 6, 7, 8, 16}) {
    EXPECT_TRUE(seen.count({t, 0})) << "type " << t;
    EXPECT_TRUE(tombstones.count(t)) << "tombstone of type " << t;
  }
  EXPECT_TRUE(tombstones.count(1));
  EXPECT_TRUE(tombstones.count(2));
}

// A value with every field set, encoded in an older version, loses exactly the fields that
// version lacks (all are ignorable in Kafka's schemas) and keeps the others.
TEST(offsets_records, offset_commit_fields_by_version) {
  offset_commit_value full;
  full.offset = 9;
  full.leader_epoch = 4;
  full.metadata = "x";
  full.commit_timestamp = 100;
  full.expire_timestamp = 200;
  full.topic_id = k_uuid;
  for (int16_t v = 0; v <= 4; ++v) {
    SCOPED_TRACE(v);
    auto back = decode_value(t_offset, value_bytes(full, v));
    ASSERT_TRUE(back) << back.error().message;
    const auto& o = std::get<offset_commit_value>(back->value);
    EXPECT_EQ(o.offset, 9);
    EXPECT_EQ(o.metadata, "x");
    EXPECT_EQ(o.commit_timestamp, 100);
    EXPECT_EQ(o.leader_epoch, v >= 3 ? 4 : -1);
    EXPECT_EQ(o.expire_timestamp, v == 1 ? 200 : -1);
    EXPECT_EQ(o.topic_id, v >= 4 ? k_uuid : wire::uuid{});
  }
}

TEST(offsets_records, group_metadata_fields_by_version) {
  group_metadata_value full;
  full.protocol_type = "consumer";
  full.generation = 2;
  full.protocol = "range";
  full.leader = "m";
  full.current_state_timestamp = 77;
  group_member_metadata m;
  m.member_id = "m";
  m.group_instance_id = "i";
  m.client_id = "c";
  m.client_host = "h";
  m.rebalance_timeout_ms = 10;
  m.session_timeout_ms = 20;
  m.subscription = {1};
  m.assignment = {2};
  full.members = {m};
  for (int16_t v = 0; v <= 4; ++v) {
    SCOPED_TRACE(v);
    auto back = decode_value(t_group, value_bytes(full, v));
    ASSERT_TRUE(back) << back.error().message;
    const auto& g = std::get<group_metadata_value>(back->value);
    EXPECT_EQ(g.current_state_timestamp, v >= 2 ? 77 : -1);
    ASSERT_EQ(g.members.size(), 1u);
    EXPECT_EQ(g.members[0].rebalance_timeout_ms, v >= 1 ? 10 : -1);
    EXPECT_EQ(g.members[0].group_instance_id,
              v >= 3 ? std::optional<std::string>("i") : std::nullopt);
    EXPECT_EQ(g.members[0].session_timeout_ms, 20);
    EXPECT_EQ(g.members[0].subscription, std::vector<uint8_t>{1});
    EXPECT_EQ(g.members[0].assignment, std::vector<uint8_t>{2});
  }
}

// ---- What Kafka 4.x writes -----------------------------------------------------------------

TEST(offsets_records, kafka_write_versions) {
  offset_commit_value o;
  EXPECT_EQ(kafka_write_version(o), 4);
  o.expire_timestamp = 5;
  EXPECT_EQ(kafka_write_version(o), 1);
  EXPECT_EQ(kafka_write_version(group_metadata_value{}), 3);
  EXPECT_EQ(kafka_write_version(consumer_group_metadata_value{}), 0);
  EXPECT_EQ(kafka_write_version(consumer_group_member_metadata_value{}), 0);
  EXPECT_EQ(kafka_write_version(consumer_group_current_member_assignment_value{}), 0);
  EXPECT_EQ(kafka_write_version(unknown_value{9, {}}), 9);

  auto r = make_record(offset_commit_key{"g", "t", 0, false}, offset_commit_value{});
  ASSERT_TRUE(r.value);
  EXPECT_EQ(r.value->version, 4);
  auto e = encode_record(r);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->key[1], 1);  // OffsetCommitKey, never the legacy type 0
  EXPECT_EQ((*e->value)[1], 4);
  auto g = encode_value(group_metadata_value{});
  ASSERT_TRUE(g);
  EXPECT_EQ((*g)[1], 3);
}

// ---- Tombstones ----------------------------------------------------------------------------

TEST(offsets_records, tombstones) {
  auto t = make_tombstone(offset_commit_key{"g", "t", 3, false});
  EXPECT_TRUE(t.is_tombstone());
  auto e = encode_record(t);
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->value.has_value());
  auto back = decode_record(e->key, std::nullopt);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->is_tombstone());
  EXPECT_TRUE(*back == t);
  // An empty value is not a tombstone: it lacks the version.
  auto empty = decode_record(e->key, std::span<const uint8_t>());
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, records_errc::malformed);
}

// ---- Golden bytes, by hand from the schemas --------------------------------------------------

TEST(offsets_records, golden_keys) {
  expect_key_golden(offset_commit_key{"g", "t", 3, false}, "0001 | 0001 67 | 0001 74 | 00000003");
  expect_key_golden(offset_commit_key{"g", "t", 3, true}, "0000 | 0001 67 | 0001 74 | 00000003");
  expect_key_golden(group_metadata_key{"grp"}, "0002 | 0003 677270");
  expect_key_golden(consumer_group_metadata_key{"g"}, "0003 | 0001 67");
  expect_key_golden(consumer_group_partition_metadata_key{"g"}, "0004 | 0001 67");
  expect_key_golden(consumer_group_member_metadata_key{"g", "m"}, "0005 | 0001 67 | 0001 6d");
  expect_key_golden(consumer_group_target_assignment_metadata_key{"g"}, "0006 | 0001 67");
  expect_key_golden(consumer_group_target_assignment_member_key{"g", "m"},
                    "0007 | 0001 67 | 0001 6d");
  expect_key_golden(consumer_group_current_member_assignment_key{"g", "m"},
                    "0008 | 0001 67 | 0001 6d");
  expect_key_golden(consumer_group_regular_expression_key{"g", "t.*"},
                    "0010 | 0001 67 | 0003 742e2a");
  expect_key_golden(unknown_key{11, {0, 1, 0x61}}, "000b | 0001 61");
}

TEST(offsets_records, golden_offset_commit_values) {
  offset_commit_value v;
  v.offset = 5;
  v.metadata = "m";
  v.commit_timestamp = 0x10;
  // offset, metadata (int16 length), commit timestamp
  expect_value_golden(t_offset, v, 0, "0000 | 0000000000000005 | 0001 6d | 0000000000000010");
  expect_value_golden(t_offset, v, 2, "0002 | 0000000000000005 | 0001 6d | 0000000000000010");
  v.expire_timestamp = 0x20;
  // v1: + expire timestamp
  expect_value_golden(t_offset, v, 1,
                      "0001 | 0000000000000005 | 0001 6d | 0000000000000010 | 0000000000000020");
  v.expire_timestamp = -1;
  v.leader_epoch = 7;
  // v3: + leader epoch after the offset
  expect_value_golden(t_offset, v, 3,
                      "0003 | 0000000000000005 | 00000007 | 0001 6d | 0000000000000010");
  // v4: flexible: compact string (length + 1), then an empty tagged-field section
  expect_value_golden(t_offset, v, 4,
                      "0004 | 0000000000000005 | 00000007 | 02 6d | 0000000000000010 | 00");
  v.topic_id = k_uuid;
  // one tagged field: tag 0, size 16, the topic id
  expect_value_golden(t_offset, v, 4,
                      "0004 | 0000000000000005 | 00000007 | 02 6d | 0000000000000010 | 01 00 10 " +
                          std::string(k_uuid_hex));
  v.unknown_tags = {{5, {0xab}}};
  expect_value_golden(t_offset, v, 4,
                      "0004 | 0000000000000005 | 00000007 | 02 6d | 0000000000000010 | 02 00 10 " +
                          std::string(k_uuid_hex) + " 05 01 ab");
}

TEST(offsets_records, golden_group_metadata_values) {
  group_metadata_value v;
  v.protocol_type = "consumer";
  v.generation = 1;
  v.protocol = "range";
  v.leader = "m1";
  group_member_metadata m;
  m.member_id = "m1";
  m.client_id = "c";
  m.client_host = "/h";
  m.session_timeout_ms = 10;
  m.subscription = {1, 2};
  m.assignment = {3};
  v.members = {m};
  const std::string head =
      "0008 " + hs("consumer") + " | 00000001 | 0005 " + hs("range") + " | 0002 " + hs("m1");
  // v0: protocol type, generation, protocol, leader, members: member id, client id, client host,
  // session timeout, subscription and assignment (int32 lengths)
  expect_value_golden(t_group, v, 0,
                      "0000 " + head + " | 00000001 | 0002 " + hs("m1") + " | 0001 63 | 0002 " +
                          hs("/h") + " | 0000000a | 00000002 0102 | 00000001 03");
  v.members[0].rebalance_timeout_ms = 20;
  // v1: + rebalance timeout before the session timeout
  expect_value_golden(t_group, v, 1,
                      "0001 " + head + " | 00000001 | 0002 " + hs("m1") + " | 0001 63 | 0002 " +
                          hs("/h") + " | 00000014 | 0000000a | 00000002 0102 | 00000001 03");
  v.current_state_timestamp = 0x30;
  // v2: + current state timestamp after the leader
  expect_value_golden(t_group, v, 2,
                      "0002 " + head + " | 0000000000000030 | 00000001 | 0002 " + hs("m1") +
                          " | 0001 63 | 0002 " + hs("/h") +
                          " | 00000014 | 0000000a | 00000002 0102 | 00000001 03");
  // v3: + group instance id (nullable) after the member id
  expect_value_golden(t_group, v, 3,
                      "0003 " + head + " | 0000000000000030 | 00000001 | 0002 " + hs("m1") +
                          " | ffff | 0001 63 | 0002 " + hs("/h") +
                          " | 00000014 | 0000000a | 00000002 0102 | 00000001 03");
  v.members[0].group_instance_id = "i";
  expect_value_golden(t_group, v, 3,
                      "0003 " + head + " | 0000000000000030 | 00000001 | 0002 " + hs("m1") +
                          " | 0001 69 | 0001 63 | 0002 " + hs("/h") +
                          " | 00000014 | 0000000a | 00000002 0102 | 00000001 03");
  // v4: compact lengths, tagged sections after each member and at the end
  expect_value_golden(t_group, v, 4,
                      "0004 | 09 " + hs("consumer") + " | 00000001 | 06 " + hs("range") + " | 03 " +
                          hs("m1") + " | 0000000000000030 | 02 | 03 " + hs("m1") +
                          " | 02 69 | 02 63 | 03 " + hs("/h") +
                          " | 00000014 | 0000000a | 03 0102 | 02 03 | 00 | 00");
  // An empty group as Kafka writes it: null protocol and leader, no members.
  group_metadata_value empty;
  empty.current_state_timestamp = 0x30;
  expect_value_golden(t_group, empty, 3,
                      "0003 | 0000 | 00000000 | ffff | ffff | 0000000000000030 | 00000000");
}

TEST(offsets_records, golden_consumer_group_values) {
  // ConsumerGroupMetadataValue: epoch, then tag 0 = metadata hash when not 0
  expect_value_golden(3, consumer_group_metadata_value{5, 0, {}}, 0, "0000 | 00000005 | 00");
  expect_value_golden(3, consumer_group_metadata_value{5, 0x0102, {}}, 0,
                      "0000 | 00000005 | 01 00 08 0000000000000102");

  // ConsumerGroupPartitionMetadataValue: topics [id, name, partitions, [partition, racks]]
  consumer_group_partition_metadata_value p;
  p.topics.push_back({k_uuid, "t", 2, {{0, {"r1"}, {}}}, {}});
  expect_value_golden(4, p, 0,
                      "0000 | 02 | " + std::string(k_uuid_hex) +
                          " | 02 74 | 00000002 | 02 | 00000000 | 02 03 7231 | 00 | 00 | 00");

  // ConsumerGroupMemberMetadataValue with a null classic member: Kafka writes the null.
  consumer_group_member_metadata_value m;
  m.rack_id = "r";
  m.client_id = "c";
  m.client_host = "h";
  m.subscribed_topic_names = {"t"};
  m.rebalance_timeout_ms = 1000;
  m.server_assignor = "uniform";
  expect_value_golden(5, m, 0,
                      "0000 | 00 | 02 72 | 02 63 | 02 68 | 02 02 74 | 00 | 000003e8 | 08 " +
                          hs("uniform") + " | 01 00 01 00");
  // With one: marker 1, session timeout, protocols [name, metadata], struct tags; size 16.
  m.classic_member = classic_member_metadata{45000, {{"range", {1}, {}}}, {}};
  expect_value_golden(5, m, 0,
                      "0000 | 00 | 02 72 | 02 63 | 02 68 | 02 02 74 | 00 | 000003e8 | 08 " +
                          hs("uniform") + " | 01 00 10 01 0000afc8 02 06 " + hs("range") +
                          " 02 01 00 00");

  // ConsumerGroupTargetAssignmentMetadataValue: epoch, tag 0 = assignment timestamp when not 0
  expect_value_golden(6, consumer_group_target_assignment_metadata_value{7, 0, {}}, 0,
                      "0000 | 00000007 | 00");
  expect_value_golden(6, consumer_group_target_assignment_metadata_value{7, 0x10, {}}, 0,
                      "0000 | 00000007 | 01 00 08 0000000000000010");

  // ConsumerGroupTargetAssignmentMemberValue: [topic id, [partition]]
  consumer_group_target_assignment_member_value t;
  t.topic_partitions = {{k_uuid, {0, 2}, {}}};
  expect_value_golden(
      7, t, 0, "0000 | 02 | " + std::string(k_uuid_hex) + " | 03 00000000 00000002 | 00 | 00");

  // ConsumerGroupCurrentMemberAssignmentValue: epochs, state, two partition lists whose entries
  // carry tag 0 = assignment epochs (null written explicitly)
  consumer_group_current_member_assignment_value c;
  c.member_epoch = 3;
  c.previous_member_epoch = 2;
  c.assigned_partitions = {{k_uuid, {1}, std::nullopt, {}}};
  expect_value_golden(8, c, 0,
                      "0000 | 00000003 | 00000002 | 00 | 02 " + std::string(k_uuid_hex) +
                          " 02 00000001 01 00 01 00 | 01 | 00");
  c.assigned_partitions[0].assignment_epochs = std::vector<int32_t>{3};
  expect_value_golden(8, c, 0,
                      "0000 | 00000003 | 00000002 | 00 | 02 " + std::string(k_uuid_hex) +
                          " 02 00000001 01 00 05 02 00000003 | 01 | 00");

  // ConsumerGroupRegularExpressionValue: topics, version, timestamp
  expect_value_golden(16, consumer_group_regular_expression_value{{"a", "b"}, 9, 0x10, {}}, 0,
                      "0000 | 03 02 61 02 62 | 0000000000000009 | 0000000000000010 | 00");
}

// Kafka's generated writers skip a present-but-default nullable struct or an empty nullable list
// in a tagged field (so it reads back as null). Brook writes the same bytes.
TEST(offsets_records, tagged_nullable_defaults_as_kafka) {
  consumer_group_member_metadata_value m;
  m.classic_member = classic_member_metadata{};
  auto bytes = value_bytes(m, 0);
  EXPECT_EQ(bytes.back(), 0);  // no tagged fields
  auto back = decode_value(5, bytes);
  ASSERT_TRUE(back);
  EXPECT_FALSE(std::get<consumer_group_member_metadata_value>(back->value).classic_member);

  consumer_group_current_member_assignment_value c;
  c.assigned_partitions = {{k_uuid, {1}, std::vector<int32_t>{}, {}}};
  auto cb = value_bytes(c, 0);
  auto cback = decode_value(8, cb);
  ASSERT_TRUE(cback);
  EXPECT_FALSE(std::get<consumer_group_current_member_assignment_value>(cback->value)
                   .assigned_partitions[0]
                   .assignment_epochs);
  // A tag that is absent reads as null too.
  auto absent = decode_value(
      8, hex("0000 00000003 00000002 00 02" + std::string(k_uuid_hex) + "02 00000001 00 01 00"));
  ASSERT_TRUE(absent) << absent.error().message;
}

// ---- Unknown types and versions ----------------------------------------------------------------

TEST(offsets_records, unknown_types_are_kept_as_bytes) {
  for (int16_t type : {9, 11, 17, 23, 100, 32767, -1, -32768}) {
    SCOPED_TRACE(type);
    std::vector<uint8_t> key = {static_cast<uint8_t>(static_cast<uint16_t>(type) >> 8),
                                static_cast<uint8_t>(type & 0xff),
                                0,
                                2,
                                'a',
                                'b'};
    std::vector<uint8_t> value = {0, 3, 0xde, 0xad};
    auto r = decode_record(key, std::span<const uint8_t>(value));
    ASSERT_TRUE(r) << r.error().message;
    const auto* k = std::get_if<unknown_key>(&r->key);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->type, type);
    EXPECT_EQ(key_type(r->key), type);
    const auto* v = std::get_if<unknown_value>(&r->value->value);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->version, 3);
    EXPECT_EQ(r->value->version, 3);
    auto e = encode_record(*r);
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->key, key);
    EXPECT_EQ(*e->value, value);
  }
  // A key of just the type prefix is a valid unknown key with an empty body.
  auto bare = decode_key(hex("0063"));
  ASSERT_TRUE(bare);
  EXPECT_TRUE(std::get<unknown_key>(*bare).body.empty());
  EXPECT_EQ(record_type_name(11), "ShareGroupMetadata");
  EXPECT_EQ(record_type_name(99), "Unknown");
}

TEST(offsets_records, unknown_versions) {
  auto v0 = value_bytes(offset_commit_value{}, 0);
  auto check = [](int16_t type, std::string_view bytes) {
    auto r = decode_value(type, hex(bytes));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, records_errc::unknown_version) << r.error().message;
  };
  check(1, "0005 0000000000000005 0001 6d 0000000000000010");
  check(1, "ffff 0000000000000005 0001 6d 0000000000000010");
  check(2, "0005 0000 00000000 ffff ffff 00000000");
  // A legacy key's value is version 0 only, as in Kafka (LegacyOffsetCommitValue).
  check(0, "0001 0000000000000005 0001 6d 0000000000000010 0000000000000010");
  for (int16_t t : {3, 4, 5, 6, 7, 8, 16}) check(t, "0001 00000000 00");
  auto legacy = decode_value(0, v0);
  ASSERT_TRUE(legacy) << legacy.error().message;
}

// ---- Encoding errors -----------------------------------------------------------------------

TEST(offsets_records, unencodable_values) {
  const std::string big(40000, 'x');
  auto k = encode_key(offset_commit_key{big, "t", 0, false});
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, records_errc::unencodable);
  offset_commit_value o;
  o.metadata = big;
  for (int16_t v = 0; v <= 4; ++v) EXPECT_FALSE(encode_value(o, v)) << v;  // 32767 in Kafka too
  o.metadata.clear();
  EXPECT_FALSE(encode_value(o, 5));
  EXPECT_FALSE(encode_value(o, -1));
  o.unknown_tags = {{1, {}}};
  auto t = encode_value(o, 3);
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, records_errc::unencodable);
  EXPECT_TRUE(encode_value(o, 4));
  EXPECT_FALSE(encode_value(consumer_group_metadata_value{}, 1));
  EXPECT_FALSE(encode_value(unknown_value{2, {}}, 3));

  group_metadata_value g;
  g.members.resize(1);
  g.members[0].unknown_tags = {{1, {}}};
  EXPECT_FALSE(encode_value(g, 3));
  EXPECT_TRUE(encode_value(g, 4));

  // Values under the wrong key.
  auto wrong = encode_record(make_record(group_metadata_key{"g"}, offset_commit_value{}));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, records_errc::unencodable);
  EXPECT_FALSE(encode_record(make_record(unknown_key{50, {}}, offset_commit_value{})));
  EXPECT_FALSE(encode_record(make_record(offset_commit_key{}, unknown_value{0, {}})));
  // A legacy key takes only a version 0 value.
  auto legacy = make_record(offset_commit_key{"g", "t", 0, true}, offset_commit_value{});
  EXPECT_FALSE(encode_record(legacy));
  legacy.value->version = 0;
  EXPECT_TRUE(encode_record(legacy));
}

// ---- Malformed input -----------------------------------------------------------------------

// Every proper prefix of a valid key or value fails cleanly, and so does one trailing byte.
TEST(offsets_records, truncations_and_trailing_bytes_fail) {
  for (const auto& s : testing::compat_samples()) {
    SCOPED_TRACE(s.name);
    auto e = encode_record(s.record);
    ASSERT_TRUE(e);
    const int16_t type = key_type(s.record.key);
    for (size_t n = 0; n < e->key.size(); ++n) {
      auto r = decode_key(std::span<const uint8_t>(e->key.data(), n));
      EXPECT_FALSE(r) << "key prefix of " << n << " bytes";
      if (!r) EXPECT_EQ(r.error().code, records_errc::malformed);
    }
    auto longer = e->key;
    longer.push_back(0);
    EXPECT_FALSE(decode_key(longer));
    if (!e->value) continue;
    for (size_t n = 0; n < e->value->size(); ++n) {
      auto r = decode_value(type, std::span<const uint8_t>(e->value->data(), n));
      EXPECT_FALSE(r) << "value prefix of " << n << " bytes";
      if (!r) EXPECT_EQ(r.error().code, records_errc::malformed);
    }
    auto longer_value = *e->value;
    longer_value.push_back(0);
    auto r = decode_value(type, longer_value);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, records_errc::malformed);
  }
}

TEST(offsets_records, bad_lengths_and_counts) {
  auto bad = [](int16_t type, const std::string& bytes, const char* why) {
    auto r = decode_value(type, hex(bytes));
    EXPECT_FALSE(r) << why;
    if (!r) EXPECT_EQ(r.error().code, records_errc::malformed) << why;
  };
  auto bad_key = [](const std::string& bytes, const char* why) {
    auto r = decode_key(hex(bytes));
    EXPECT_FALSE(r) << why;
  };
  bad_key("0001 fffe", "negative string length");
  bad_key("0001 ffff 0001 74 00000000", "null group");
  bad_key("0001 7fff 67", "string longer than the input");
  bad_key("0002 0005 6767", "short string");
  bad(1, "0000 0000000000000005 fffe", "negative metadata length");
  bad(1, "0000 0000000000000005 ffff 0000000000000010", "null metadata");
  bad(1, "0004 0000000000000005 00000007 00 0000000000000010 00", "null compact metadata");
  bad(1, "0004 0000000000000005 00000007 ffffffff0f", "compact length beyond 32 bits");
  bad(1, "0004 0000000000000005 00000007 ffffffffff", "varint longer than 5 bytes");
  bad(1, "0004 0000000000000005 00000007 02 6d 0000000000000010 ffffffff07",
      "two billion tagged fields");
  bad(1,
      "0004 0000000000000005 00000007 02 6d 0000000000000010 01 00 11 " + std::string(k_uuid_hex) +
          "00",
      "topic id tag with a byte too many");
  bad(1,
      "0004 0000000000000005 00000007 02 6d 0000000000000010 01 00 0f " +
          std::string(k_uuid_hex).substr(0, 30),
      "topic id tag a byte short");
  bad(1, "0004 0000000000000005 00000007 02 6d 0000000000000010 01 05 ff 00",
      "tag size beyond the input");
  bad(2, "0000 0000 00000000 ffff ffff 7fffffff", "two billion members");
  bad(2, "0000 0000 00000000 ffff ffff ffffffff", "null members");
  bad(2, "0000 0000 00000000 ffff ffff fffffffe", "negative members");
  bad(2, "0000 0000 00000000 ffff ffff 00000001 0001 6d 0001 63 0001 68 0000000a ffffffff",
      "null subscription");
  bad(2, "0000 0000 00000000 ffff ffff 00000001 0001 6d 0001 63 0001 68 0000000a 7fffffff",
      "subscription longer than the input");
  bad(3, "0000 00000005 01 00 04 00000000", "metadata hash tag of 4 bytes");
  bad(4, "0000 ffffffff07", "huge topic count");
  bad(4, "0000 00 00", "null topics");
  bad(7, "0000 02 " + std::string(k_uuid_hex) + " ffffffff07", "huge partition count");
  bad(8, "0000 00000003 00000002 00 02 " + std::string(k_uuid_hex) + " 02 00000001 01 00 02 05 00",
      "assignment epochs tag shorter than its array");
  bad(5, "0000 00 00 02 63 02 68 01 00 00000001 00 01 00 03 02 00000001", "classic tag truncated");
  // A compact string longer than Kafka's 32767 limit.
  std::string long_metadata = "0004 0000000000000005 00000007 818002 ";
  long_metadata += std::string(0x8000 * 2, '6');
  long_metadata += " 0000000000000010 00";
  bad(1, long_metadata, "compact string over 32767 bytes");
}

// Random bytes and mutated valid encodings: decoding returns a result every time, and whatever
// decodes re-encodes and decodes to the same record.
TEST(offsets_records, random_and_mutated_input_is_safe) {
  std::mt19937 rng(12345);
  auto samples = testing::compat_samples();
  std::vector<std::vector<uint8_t>> keys, values;
  std::vector<int16_t> types;
  for (const auto& s : samples) {
    auto e = encode_record(s.record);
    ASSERT_TRUE(e);
    keys.push_back(e->key);
    if (e->value) {
      values.push_back(*e->value);
      types.push_back(key_type(s.record.key));
    }
  }
  // Kafka's tagged-field quirks (a present-but-default nullable struct or an empty nullable list
  // is not written; an explicit null is) make the first re-encoding a normalisation: from the
  // second on, encoding and decoding are a fixed point.
  auto check_stable = [](int16_t type, const std::vector<uint8_t>& bytes) {
    auto r = decode_value(type, bytes);
    if (!r) return;
    auto e1 = encode_value(r->value, r->version);
    ASSERT_TRUE(e1) << e1.error().message;
    auto r2 = decode_value(type, *e1);
    ASSERT_TRUE(r2) << r2.error().message;
    auto e2 = encode_value(r2->value, r2->version);
    ASSERT_TRUE(e2) << e2.error().message;
    auto r3 = decode_value(type, *e2);
    ASSERT_TRUE(r3) << r3.error().message;
    EXPECT_TRUE(*r3 == *r2);
    auto e3 = encode_value(r3->value, r3->version);
    ASSERT_TRUE(e3);
    EXPECT_EQ(*e3, *e2);
  };
  for (int i = 0; i < 20000; ++i) {
    // Mutate one to three bytes of a valid value.
    size_t which = rng() % values.size();
    auto bytes = values[which];
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    check_stable(types[which], bytes);
    // Cut or extend it.
    bytes.resize(rng() % (bytes.size() + 8));
    check_stable(types[which], bytes);
    // Random keys.
    auto key = keys[rng() % keys.size()];
    key[rng() % key.size()] = static_cast<uint8_t>(rng());
    auto k = decode_key(key);
    if (k) {
      auto e = encode_key(*k);
      ASSERT_TRUE(e);
      EXPECT_EQ(*e, key);
    }
  }
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> bytes(rng() % 64);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    check_stable(static_cast<int16_t>(rng() % 18), bytes);
    (void)decode_key(bytes);
  }
}

}  // namespace
}  // namespace brook::coordinator
