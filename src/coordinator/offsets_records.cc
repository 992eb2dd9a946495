#include "coordinator/offsets_records.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace brook::coordinator {
namespace {

// Kafka's generated readers and writers refuse strings longer than an int16 length in every
// version, compact ones included: keep to what Kafka reads back.
constexpr size_t k_max_string = 0x7fff;

[[noreturn]] void malformed(std::string_view what) { throw wire::decode_error(std::string(what)); }
[[noreturn]] void unencodable(std::string_view what) {
  throw wire::encode_error(std::string(what));
}

// ---- Field helpers: readers throw wire::decode_error, writers wire::encode_error; the public
// functions turn both into records_error.

std::optional<std::string> get_nullable_string(wire::reader& r, bool flexible, const char* what) {
  auto s = r.read_nullable_string(flexible);
  if (s && s->size() > k_max_string)
    malformed(fmt::format("{}: string of {} bytes exceeds 32767", what, s->size()));
  return s;
}

std::string get_string(wire::reader& r, bool flexible, const char* what) {
  auto s = get_nullable_string(r, flexible, what);
  if (!s) malformed(fmt::format("{}: null where not nullable", what));
  return std::move(*s);
}

std::vector<uint8_t> get_bytes(wire::reader& r, bool flexible, const char* what) {
  auto b = r.read_nullable_bytes(flexible);
  if (!b) malformed(fmt::format("{}: null where not nullable", what));
  return std::move(*b);
}

void put_string(wire::writer& w, std::string_view s, bool flexible, const char* what) {
  if (s.size() > k_max_string)
    unencodable(fmt::format("{}: string of {} bytes exceeds 32767", what, s.size()));
  w.write_string(s, flexible);
}

void put_nullable_string(wire::writer& w, const std::optional<std::string>& s, bool flexible,
                         const char* what) {
  if (s && s->size() > k_max_string)
    unencodable(fmt::format("{}: string of {} bytes exceeds 32767", what, s->size()));
  w.write_nullable_string(s, flexible);
}

// A non-nullable array: `each` reads one element into the vector.
template <class T, class Each>
void get_array(wire::reader& r, bool flexible, const char* what, std::vector<T>& out, Each each) {
  const int32_t n = r.read_array_length(flexible);
  if (n < 0) malformed(fmt::format("{}: null where not nullable", what));
  out.clear();
  // The count is checked against the bytes that remain, but an element may be larger than a
  // byte: grow as elements actually arrive.
  out.reserve(std::min<size_t>(static_cast<size_t>(n), 1024));
  for (int32_t i = 0; i < n; ++i) out.push_back(each(r));
}

template <class T, class Each>
void put_array(wire::writer& w, const std::vector<T>& v, bool flexible, Each each) {
  w.write_array_length(static_cast<int64_t>(v.size()), flexible);
  for (const auto& e : v) each(w, e);
}

std::vector<int32_t> get_int32s(wire::reader& r, bool flexible, const char* what) {
  std::vector<int32_t> out;
  get_array(r, flexible, what, out, [](wire::reader& rr) { return rr.read_int32(); });
  return out;
}

void put_int32s(wire::writer& w, const std::vector<int32_t>& v, bool flexible) {
  put_array(w, v, flexible, [](wire::writer& ww, int32_t x) { ww.write_int32(x); });
}

std::vector<std::string> get_strings(wire::reader& r, bool flexible, const char* what) {
  std::vector<std::string> out;
  get_array(r, flexible, what, out,
            [what, flexible](wire::reader& rr) { return get_string(rr, flexible, what); });
  return out;
}

void put_strings(wire::writer& w, const std::vector<std::string>& v, bool flexible,
                 const char* what) {
  put_array(w, v, flexible, [what, flexible](wire::writer& ww, const std::string& s) {
    put_string(ww, s, flexible, what);
  });
}

// ---- Tagged fields.

// A known tagged field to write: its tag and encoded body.
struct tag_out {
  uint32_t tag = 0;
  wire::byte_buffer body;
};

// The tagged-field section of a flexible struct: known fields first (ascending tags), then the
// unknown ones as they were read, which is the order Kafka's generated writers use.
void put_tags(wire::writer& w, const std::vector<tag_out>& known,
              const wire::unknown_tagged_fields& unknown) {
  w.write_uvarint(static_cast<uint32_t>(known.size() + unknown.size()));
  for (const auto& k : known) {
    w.write_uvarint(k.tag);
    w.write_uvarint(static_cast<uint32_t>(k.body.size()));
    w.write_raw(k.body);
  }
  w.write_unknown_tags(unknown);
}

// A struct in a non-flexible version has no tagged-field section: unknown tags cannot be kept.
void no_tags(const wire::unknown_tagged_fields& unknown, int16_t version, const char* what) {
  if (!unknown.empty())
    unencodable(
        fmt::format("{}: tagged fields set, but version {} is not flexible", what, version));
}

// Reads a tagged-field section. `known(tag, sub)` reads a field it knows from `sub` (a reader over
// exactly the field's bytes) and returns true; others are kept in `unknown`. Like Kafka, tags are
// accepted in any order.
template <class Known>
void get_tags(wire::reader& r, wire::unknown_tagged_fields& unknown, const char* what,
              Known known) {
  const uint32_t count = r.read_uvarint();
  // Every field takes at least two bytes (tag and size).
  if (static_cast<uint64_t>(count) * 2 > r.remaining())
    malformed(
        fmt::format("{}: {} tagged fields cannot fit in {} bytes", what, count, r.remaining()));
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t tag = r.read_uvarint();
    const uint32_t size = r.read_uvarint();
    wire::reader sub = r.sub_reader(size);
    if (known(tag, sub)) {
      if (!sub.empty())
        malformed(
            fmt::format("{}: tagged field {} has {} bytes left over", what, tag, sub.remaining()));
    } else {
      auto raw = sub.read_span(sub.remaining());
      unknown.push_back({tag, std::vector<uint8_t>(raw.begin(), raw.end())});
    }
  }
}

// A struct without known tagged fields.
void get_tags(wire::reader& r, wire::unknown_tagged_fields& unknown, const char* what) {
  get_tags(r, unknown, what, [](uint32_t, wire::reader&) { return false; });
}

template <class F>
wire::byte_buffer encode_body(F f) {
  wire::writer w;
  f(w);
  return w.take();
}

void check_version(int16_t version, int16_t min, int16_t max, const char* what) {
  if (version < min || version > max)
    unencodable(fmt::format("{} has no version {} (versions {}..{})", what, version, min, max));
}

// ---- Keys.

void put_key_string(wire::writer& w, const std::string& s, const char* what) {
  put_string(w, s, false, what);
}

struct key_writer {
  wire::writer& w;
  void operator()(const offset_commit_key& k) const {
    w.write_int16(static_cast<int16_t>(k.legacy ? record_type::legacy_offset_commit
                                                : record_type::offset_commit));
    put_key_string(w, k.group, "OffsetCommitKey.group");
    put_key_string(w, k.topic, "OffsetCommitKey.topic");
    w.write_int32(k.partition);
  }
  void operator()(const group_metadata_key& k) const {
    w.write_int16(static_cast<int16_t>(record_type::group_metadata));
    put_key_string(w, k.group, "GroupMetadataKey.group");
  }
  void operator()(const consumer_group_metadata_key& k) const {
    w.write_int16(static_cast<int16_t>(record_type::consumer_group_metadata));
    put_key_string(w, k.group_id, "ConsumerGroupMetadataKey.GroupId");
  }
  void operator()(const consumer_group_partition_metadata_key& k) const {
    w.write_int16(static_cast<int16_t>(record_type::consumer_group_partition_metadata));
    put_key_string(w, k.group_id, "ConsumerGroupPartitionMetadataKey.GroupId");
  }
  void operator()(const consumer_group_member_metadata_key& k) const {
    w.write_int16(static_cast<int16_t>(record_type::consumer_group_member_metadata));
    put_key_string(w, k.group_id, "ConsumerGroupMemberMetadataKey.GroupId");
    put_key_string(w, k.member_id, "ConsumerGroupMemberMetadataKey.MemberId");
  }
  void operator()(const consumer_group_target_assignment_metadata_key& k) const {
    w.write_int16(static_cast<int16_t>(record_type::consumer_group_target_assignment_metadata));
    put_key_string(w, k.group_id, "ConsumerGroupTargetAssignmentMetadataKey.GroupId");
  }
  void operator()(const consumer_group_target_assignment_member_key& k) const {
    w.write_int16(static_cast<int16_t>(record_type::consumer_group_target_assignment_member));
    put_key_string(w, k.group_id, "ConsumerGroupTargetAssignmentMemberKey.GroupId");
    put_key_string(w, k.member_id, "ConsumerGroupTargetAssignmentMemberKey.MemberId");
  }
  void operator()(const consumer_group_current_member_assignment_key& k) const {
    w.write_int16(static_cast<int16_t>(record_type::consumer_group_current_member_assignment));
    put_key_string(w, k.group_id, "ConsumerGroupCurrentMemberAssignmentKey.GroupId");
    put_key_string(w, k.member_id, "ConsumerGroupCurrentMemberAssignmentKey.MemberId");
  }
  void operator()(const consumer_group_regular_expression_key& k) const {
    w.write_int16(static_cast<int16_t>(record_type::consumer_group_regular_expression));
    put_key_string(w, k.group_id, "ConsumerGroupRegularExpressionKey.GroupId");
    put_key_string(w, k.regular_expression, "ConsumerGroupRegularExpressionKey.RegularExpression");
  }
  void operator()(const unknown_key& k) const {
    w.write_int16(k.type);
    w.write_raw(k.body);
  }
};

record_key read_key(wire::reader& r) {
  const int16_t type = r.read_int16();
  auto str = [&r](const char* what) { return get_string(r, false, what); };
  switch (type) {
    case static_cast<int16_t>(record_type::legacy_offset_commit):
    case static_cast<int16_t>(record_type::offset_commit): {
      offset_commit_key k;
      k.legacy = type == static_cast<int16_t>(record_type::legacy_offset_commit);
      k.group = str("OffsetCommitKey.group");
      k.topic = str("OffsetCommitKey.topic");
      k.partition = r.read_int32();
      return k;
    }
    case static_cast<int16_t>(record_type::group_metadata):
      return group_metadata_key{str("GroupMetadataKey.group")};
    case static_cast<int16_t>(record_type::consumer_group_metadata):
      return consumer_group_metadata_key{str("ConsumerGroupMetadataKey.GroupId")};
    case static_cast<int16_t>(record_type::consumer_group_partition_metadata):
      return consumer_group_partition_metadata_key{
          str("ConsumerGroupPartitionMetadataKey.GroupId")};
    case static_cast<int16_t>(record_type::consumer_group_member_metadata): {
      consumer_group_member_metadata_key k;
      k.group_id = str("ConsumerGroupMemberMetadataKey.GroupId");
      k.member_id = str("ConsumerGroupMemberMetadataKey.MemberId");
      return k;
    }
    case static_cast<int16_t>(record_type::consumer_group_target_assignment_metadata):
      return consumer_group_target_assignment_metadata_key{
          str("ConsumerGroupTargetAssignmentMetadataKey.GroupId")};
    case static_cast<int16_t>(record_type::consumer_group_target_assignment_member): {
      consumer_group_target_assignment_member_key k;
      k.group_id = str("ConsumerGroupTargetAssignmentMemberKey.GroupId");
      k.member_id = str("ConsumerGroupTargetAssignmentMemberKey.MemberId");
      return k;
    }
    case static_cast<int16_t>(record_type::consumer_group_current_member_assignment): {
      consumer_group_current_member_assignment_key k;
      k.group_id = str("ConsumerGroupCurrentMemberAssignmentKey.GroupId");
      k.member_id = str("ConsumerGroupCurrentMemberAssignmentKey.MemberId");
      return k;
    }
    case static_cast<int16_t>(record_type::consumer_group_regular_expression): {
      consumer_group_regular_expression_key k;
      k.group_id = str("ConsumerGroupRegularExpressionKey.GroupId");
      k.regular_expression = str("ConsumerGroupRegularExpressionKey.RegularExpression");
      return k;
    }
    default: {
      auto rest = r.read_span(r.remaining());
      return unknown_key{type, std::vector<uint8_t>(rest.begin(), rest.end())};
    }
  }
}

// ---- Values: one put/get pair per type. `put` writes the fields after the version prefix.

// OffsetCommitValue: flexible from v4.
void put(wire::writer& w, const offset_commit_value& v, int16_t version) {
  check_version(version, v.min_version, v.max_version, "OffsetCommitValue");
  const bool flexible = version >= 4;
  w.write_int64(v.offset);
  if (version >= 3) w.write_int32(v.leader_epoch);
  put_string(w, v.metadata, flexible, "OffsetCommitValue.metadata");
  w.write_int64(v.commit_timestamp);
  if (version == 1) w.write_int64(v.expire_timestamp);
  if (flexible) {
    std::vector<tag_out> known;
    if (!v.topic_id.is_zero())
      known.push_back({0, encode_body([&](wire::writer& t) { t.write_uuid(v.topic_id); })});
    put_tags(w, known, v.unknown_tags);
  } else {
    no_tags(v.unknown_tags, version, "OffsetCommitValue");
  }
}

void get(wire::reader& r, int16_t version, offset_commit_value& v) {
  const bool flexible = version >= 4;
  v.offset = r.read_int64();
  if (version >= 3) v.leader_epoch = r.read_int32();
  v.metadata = get_string(r, flexible, "OffsetCommitValue.metadata");
  v.commit_timestamp = r.read_int64();
  if (version == 1) v.expire_timestamp = r.read_int64();
  if (flexible) {
    get_tags(r, v.unknown_tags, "OffsetCommitValue", [&v](uint32_t tag, wire::reader& sub) {
      if (tag != 0) return false;
      v.topic_id = sub.read_uuid();
      return true;
    });
  }
}

// GroupMetadataValue: flexible from v4.
void put(wire::writer& w, const group_metadata_value& v, int16_t version) {
  check_version(version, v.min_version, v.max_version, "GroupMetadataValue");
  const bool flexible = version >= 4;
  put_string(w, v.protocol_type, flexible, "GroupMetadataValue.protocolType");
  w.write_int32(v.generation);
  put_nullable_string(w, v.protocol, flexible, "GroupMetadataValue.protocol");
  put_nullable_string(w, v.leader, flexible, "GroupMetadataValue.leader");
  if (version >= 2) w.write_int64(v.current_state_timestamp);
  put_array(w, v.members, flexible, [&](wire::writer& ww, const group_member_metadata& m) {
    put_string(ww, m.member_id, flexible, "MemberMetadata.memberId");
    if (version >= 3)
      put_nullable_string(ww, m.group_instance_id, flexible, "MemberMetadata.groupInstanceId");
    put_string(ww, m.client_id, flexible, "MemberMetadata.clientId");
    put_string(ww, m.client_host, flexible, "MemberMetadata.clientHost");
    if (version >= 1) ww.write_int32(m.rebalance_timeout_ms);
    ww.write_int32(m.session_timeout_ms);
    ww.write_bytes(m.subscription, flexible);
    ww.write_bytes(m.assignment, flexible);
    if (flexible) {
      put_tags(ww, {}, m.unknown_tags);
    } else {
      no_tags(m.unknown_tags, version, "GroupMetadataValue.MemberMetadata");
    }
  });
  if (flexible) {
    put_tags(w, {}, v.unknown_tags);
  } else {
    no_tags(v.unknown_tags, version, "GroupMetadataValue");
  }
}

void get(wire::reader& r, int16_t version, group_metadata_value& v) {
  const bool flexible = version >= 4;
  v.protocol_type = get_string(r, flexible, "GroupMetadataValue.protocolType");
  v.generation = r.read_int32();
  v.protocol = get_nullable_string(r, flexible, "GroupMetadataValue.protocol");
  v.leader = get_nullable_string(r, flexible, "GroupMetadataValue.leader");
  if (version >= 2) v.current_state_timestamp = r.read_int64();
  get_array(r, flexible, "GroupMetadataValue.members", v.members, [&](wire::reader& rr) {
    group_member_metadata m;
    m.member_id = get_string(rr, flexible, "MemberMetadata.memberId");
    if (version >= 3)
      m.group_instance_id = get_nullable_string(rr, flexible, "MemberMetadata.groupInstanceId");
    m.client_id = get_string(rr, flexible, "MemberMetadata.clientId");
    m.client_host = get_string(rr, flexible, "MemberMetadata.clientHost");
    if (version >= 1) m.rebalance_timeout_ms = rr.read_int32();
    m.session_timeout_ms = rr.read_int32();
    m.subscription = get_bytes(rr, flexible, "MemberMetadata.subscription");
    m.assignment = get_bytes(rr, flexible, "MemberMetadata.assignment");
    if (flexible) get_tags(rr, m.unknown_tags, "GroupMetadataValue.MemberMetadata");
    return m;
  });
  if (flexible) get_tags(r, v.unknown_tags, "GroupMetadataValue");
}

// The KIP-848 values: version 0 only, flexible.

void put(wire::writer& w, const consumer_group_metadata_value& v, int16_t version) {
  check_version(version, v.min_version, v.max_version, "ConsumerGroupMetadataValue");
  w.write_int32(v.epoch);
  std::vector<tag_out> known;
  if (v.metadata_hash != 0)
    known.push_back({0, encode_body([&](wire::writer& t) { t.write_int64(v.metadata_hash); })});
  put_tags(w, known, v.unknown_tags);
}

void get(wire::reader& r, int16_t, consumer_group_metadata_value& v) {
  v.epoch = r.read_int32();
  get_tags(r, v.unknown_tags, "ConsumerGroupMetadataValue", [&v](uint32_t tag, wire::reader& sub) {
    if (tag != 0) return false;
    v.metadata_hash = sub.read_int64();
    return true;
  });
}

void put(wire::writer& w, const consumer_group_partition_metadata_value& v, int16_t version) {
  check_version(version, v.min_version, v.max_version, "ConsumerGroupPartitionMetadataValue");
  put_array(w, v.topics, true, [](wire::writer& ww, const topic_metadata& t) {
    ww.write_uuid(t.topic_id);
    put_string(ww, t.topic_name, true, "TopicMetadata.TopicName");
    ww.write_int32(t.num_partitions);
    put_array(ww, t.partition_metadata, true, [](wire::writer& w3, const partition_racks& p) {
      w3.write_int32(p.partition);
      put_strings(w3, p.racks, true, "PartitionMetadata.Racks");
      put_tags(w3, {}, p.unknown_tags);
    });
    put_tags(ww, {}, t.unknown_tags);
  });
  put_tags(w, {}, v.unknown_tags);
}

void get(wire::reader& r, int16_t, consumer_group_partition_metadata_value& v) {
  get_array(r, true, "ConsumerGroupPartitionMetadataValue.Topics", v.topics, [](wire::reader& rr) {
    topic_metadata t;
    t.topic_id = rr.read_uuid();
    t.topic_name = get_string(rr, true, "TopicMetadata.TopicName");
    t.num_partitions = rr.read_int32();
    get_array(rr, true, "TopicMetadata.PartitionMetadata", t.partition_metadata,
              [](wire::reader& r3) {
                partition_racks p;
                p.partition = r3.read_int32();
                p.racks = get_strings(r3, true, "PartitionMetadata.Racks");
                get_tags(r3, p.unknown_tags, "PartitionMetadata");
                return p;
              });
    get_tags(rr, t.unknown_tags, "TopicMetadata");
    return t;
  });
  get_tags(r, v.unknown_tags, "ConsumerGroupPartitionMetadataValue");
}

bool is_default(const classic_member_metadata& c) {
  return c.session_timeout_ms == 0 && c.supported_protocols.empty() && c.unknown_tags.empty();
}

void put(wire::writer& w, const consumer_group_member_metadata_value& v, int16_t version) {
  check_version(version, v.min_version, v.max_version, "ConsumerGroupMemberMetadataValue");
  put_nullable_string(w, v.instance_id, true, "ConsumerGroupMemberMetadataValue.InstanceId");
  put_nullable_string(w, v.rack_id, true, "ConsumerGroupMemberMetadataValue.RackId");
  put_string(w, v.client_id, true, "ConsumerGroupMemberMetadataValue.ClientId");
  put_string(w, v.client_host, true, "ConsumerGroupMemberMetadataValue.ClientHost");
  put_strings(w, v.subscribed_topic_names, true,
              "ConsumerGroupMemberMetadataValue.SubscribedTopicNames");
  put_nullable_string(w, v.subscribed_topic_regex, true,
                      "ConsumerGroupMemberMetadataValue.SubscribedTopicRegex");
  w.write_int32(v.rebalance_timeout_ms);
  put_nullable_string(w, v.server_assignor, true,
                      "ConsumerGroupMemberMetadataValue.ServerAssignor");
  std::vector<tag_out> known;
  // A nullable struct in a tagged field: a uvarint marker (0 null, 1 present) before the struct.
  // Kafka writes null explicitly and skips a present struct equal to the default one.
  if (!v.classic_member) {
    known.push_back({0, encode_body([](wire::writer& t) { t.write_uvarint(0); })});
  } else if (!is_default(*v.classic_member)) {
    const auto& c = *v.classic_member;
    known.push_back({0, encode_body([&c](wire::writer& t) {
                       t.write_uvarint(1);
                       t.write_int32(c.session_timeout_ms);
                       put_array(t, c.supported_protocols, true,
                                 [](wire::writer& ww, const classic_protocol& p) {
                                   put_string(ww, p.name, true, "ClassicProtocol.Name");
                                   ww.write_bytes(p.metadata, true);
                                   put_tags(ww, {}, p.unknown_tags);
                                 });
                       put_tags(t, {}, c.unknown_tags);
                     })});
  }
  put_tags(w, known, v.unknown_tags);
}

void get(wire::reader& r, int16_t, consumer_group_member_metadata_value& v) {
  v.instance_id = get_nullable_string(r, true, "ConsumerGroupMemberMetadataValue.InstanceId");
  v.rack_id = get_nullable_string(r, true, "ConsumerGroupMemberMetadataValue.RackId");
  v.client_id = get_string(r, true, "ConsumerGroupMemberMetadataValue.ClientId");
  v.client_host = get_string(r, true, "ConsumerGroupMemberMetadataValue.ClientHost");
  v.subscribed_topic_names =
      get_strings(r, true, "ConsumerGroupMemberMetadataValue.SubscribedTopicNames");
  v.subscribed_topic_regex =
      get_nullable_string(r, true, "ConsumerGroupMemberMetadataValue.SubscribedTopicRegex");
  v.rebalance_timeout_ms = r.read_int32();
  v.server_assignor =
      get_nullable_string(r, true, "ConsumerGroupMemberMetadataValue.ServerAssignor");
  get_tags(r, v.unknown_tags, "ConsumerGroupMemberMetadataValue",
           [&v](uint32_t tag, wire::reader& sub) {
             if (tag != 0) return false;
             if (sub.read_uvarint() == 0) {
               v.classic_member.reset();
               return true;
             }
             classic_member_metadata c;
             c.session_timeout_ms = sub.read_int32();
             get_array(sub, true, "ClassicMemberMetadata.SupportedProtocols", c.supported_protocols,
                       [](wire::reader& rr) {
                         classic_protocol p;
                         p.name = get_string(rr, true, "ClassicProtocol.Name");
                         p.metadata = get_bytes(rr, true, "ClassicProtocol.Metadata");
                         get_tags(rr, p.unknown_tags, "ClassicProtocol");
                         return p;
                       });
             get_tags(sub, c.unknown_tags, "ClassicMemberMetadata");
             v.classic_member = std::move(c);
             return true;
           });
}

void put(wire::writer& w, const consumer_group_target_assignment_metadata_value& v,
         int16_t version) {
  check_version(version, v.min_version, v.max_version,
                "ConsumerGroupTargetAssignmentMetadataValue");
  w.write_int32(v.assignment_epoch);
  std::vector<tag_out> known;
  if (v.assignment_timestamp != 0)
    known.push_back(
        {0, encode_body([&](wire::writer& t) { t.write_int64(v.assignment_timestamp); })});
  put_tags(w, known, v.unknown_tags);
}

void get(wire::reader& r, int16_t, consumer_group_target_assignment_metadata_value& v) {
  v.assignment_epoch = r.read_int32();
  get_tags(r, v.unknown_tags, "ConsumerGroupTargetAssignmentMetadataValue",
           [&v](uint32_t tag, wire::reader& sub) {
             if (tag != 0) return false;
             v.assignment_timestamp = sub.read_int64();
             return true;
           });
}

void put(wire::writer& w, const consumer_group_target_assignment_member_value& v, int16_t version) {
  check_version(version, v.min_version, v.max_version, "ConsumerGroupTargetAssignmentMemberValue");
  put_array(w, v.topic_partitions, true, [](wire::writer& ww, const assigned_topic_partitions& t) {
    ww.write_uuid(t.topic_id);
    put_int32s(ww, t.partitions, true);
    put_tags(ww, {}, t.unknown_tags);
  });
  put_tags(w, {}, v.unknown_tags);
}

void get(wire::reader& r, int16_t, consumer_group_target_assignment_member_value& v) {
  get_array(r, true, "ConsumerGroupTargetAssignmentMemberValue.TopicPartitions", v.topic_partitions,
            [](wire::reader& rr) {
              assigned_topic_partitions t;
              t.topic_id = rr.read_uuid();
              t.partitions = get_int32s(rr, true, "TopicPartition.Partitions");
              get_tags(rr, t.unknown_tags, "TopicPartition");
              return t;
            });
  get_tags(r, v.unknown_tags, "ConsumerGroupTargetAssignmentMemberValue");
}

void put_member_partitions(wire::writer& w, const std::vector<member_topic_partitions>& v) {
  put_array(w, v, true, [](wire::writer& ww, const member_topic_partitions& t) {
    ww.write_uuid(t.topic_id);
    put_int32s(ww, t.partitions, true);
    std::vector<tag_out> known;
    // A nullable array in a tagged field: Kafka writes null explicitly and skips an empty list.
    if (!t.assignment_epochs) {
      known.push_back({0, encode_body([](wire::writer& b) { b.write_array_length(-1, true); })});
    } else if (!t.assignment_epochs->empty()) {
      known.push_back(
          {0, encode_body([&t](wire::writer& b) { put_int32s(b, *t.assignment_epochs, true); })});
    }
    put_tags(ww, known, t.unknown_tags);
  });
}

void get_member_partitions(wire::reader& r, const char* what,
                           std::vector<member_topic_partitions>& out) {
  get_array(r, true, what, out, [](wire::reader& rr) {
    member_topic_partitions t;
    t.topic_id = rr.read_uuid();
    t.partitions = get_int32s(rr, true, "TopicPartitions.Partitions");
    get_tags(rr, t.unknown_tags, "TopicPartitions", [&t](uint32_t tag, wire::reader& sub) {
      if (tag != 0) return false;
      const int32_t n = sub.read_array_length(true);
      if (n < 0) {
        t.assignment_epochs.reset();
        return true;
      }
      auto& a = t.assignment_epochs.emplace();
      a.reserve(std::min<size_t>(static_cast<size_t>(n), 1024));
      for (int32_t i = 0; i < n; ++i) a.push_back(sub.read_int32());
      return true;
    });
    return t;
  });
}

void put(wire::writer& w, const consumer_group_current_member_assignment_value& v,
         int16_t version) {
  check_version(version, v.min_version, v.max_version, "ConsumerGroupCurrentMemberAssignmentValue");
  w.write_int32(v.member_epoch);
  w.write_int32(v.previous_member_epoch);
  w.write_int8(v.state);
  put_member_partitions(w, v.assigned_partitions);
  put_member_partitions(w, v.partitions_pending_revocation);
  put_tags(w, {}, v.unknown_tags);
}

void get(wire::reader& r, int16_t, consumer_group_current_member_assignment_value& v) {
  v.member_epoch = r.read_int32();
  v.previous_member_epoch = r.read_int32();
  v.state = r.read_int8();
  get_member_partitions(r, "ConsumerGroupCurrentMemberAssignmentValue.AssignedPartitions",
                        v.assigned_partitions);
  get_member_partitions(r, "ConsumerGroupCurrentMemberAssignmentValue.PartitionsPendingRevocation",
                        v.partitions_pending_revocation);
  get_tags(r, v.unknown_tags, "ConsumerGroupCurrentMemberAssignmentValue");
}

void put(wire::writer& w, const consumer_group_regular_expression_value& v, int16_t version) {
  check_version(version, v.min_version, v.max_version, "ConsumerGroupRegularExpressionValue");
  put_strings(w, v.topics, true, "ConsumerGroupRegularExpressionValue.Topics");
  w.write_int64(v.version);
  w.write_int64(v.timestamp);
  put_tags(w, {}, v.unknown_tags);
}

void get(wire::reader& r, int16_t, consumer_group_regular_expression_value& v) {
  v.topics = get_strings(r, true, "ConsumerGroupRegularExpressionValue.Topics");
  v.version = r.read_int64();
  v.timestamp = r.read_int64();
  get_tags(r, v.unknown_tags, "ConsumerGroupRegularExpressionValue");
}

void put(wire::writer& w, const unknown_value& v, int16_t version) {
  if (version != v.version)
    unencodable(fmt::format("an unknown value of version {} cannot be written as version {}",
                            v.version, version));
  w.write_raw(v.body);
}

// The record type whose key a value belongs under (offset commit values: type 1, or 0 at v0).
struct value_type_of {
  int16_t operator()(const offset_commit_value&) const {
    return static_cast<int16_t>(record_type::offset_commit);
  }
  int16_t operator()(const group_metadata_value&) const {
    return static_cast<int16_t>(record_type::group_metadata);
  }
  int16_t operator()(const consumer_group_metadata_value&) const {
    return static_cast<int16_t>(record_type::consumer_group_metadata);
  }
  int16_t operator()(const consumer_group_partition_metadata_value&) const {
    return static_cast<int16_t>(record_type::consumer_group_partition_metadata);
  }
  int16_t operator()(const consumer_group_member_metadata_value&) const {
    return static_cast<int16_t>(record_type::consumer_group_member_metadata);
  }
  int16_t operator()(const consumer_group_target_assignment_metadata_value&) const {
    return static_cast<int16_t>(record_type::consumer_group_target_assignment_metadata);
  }
  int16_t operator()(const consumer_group_target_assignment_member_value&) const {
    return static_cast<int16_t>(record_type::consumer_group_target_assignment_member);
  }
  int16_t operator()(const consumer_group_current_member_assignment_value&) const {
    return static_cast<int16_t>(record_type::consumer_group_current_member_assignment);
  }
  int16_t operator()(const consumer_group_regular_expression_value&) const {
    return static_cast<int16_t>(record_type::consumer_group_regular_expression);
  }
  int16_t operator()(const unknown_value&) const { return -1; }
};

records_error error(records_errc code, std::string message) {
  return records_error{code, std::move(message)};
}

// Reads a value of type T at `version` (already checked against T's range) to the end of `r`.
template <class T>
versioned_value read_value(wire::reader& r, int16_t version) {
  T v;
  get(r, version, v);
  if (!r.empty())
    malformed(fmt::format("{} trailing bytes after a version {} value", r.remaining(), version));
  return versioned_value{version, std::move(v)};
}

template <class T>
records_result<versioned_value> decode_typed(wire::reader& r, int16_t version, int16_t max_version,
                                             const char* name) {
  if (version < T::min_version || version > max_version)
    return failure{error(records_errc::unknown_version,
                         fmt::format("{} has no version {} (versions {}..{})", name, version,
                                     T::min_version, max_version))};
  return read_value<T>(r, version);
}

}  // namespace

std::string_view record_type_name(int16_t type) {
  switch (type) {
    case 0:
      return "LegacyOffsetCommit";
    case 1:
      return "OffsetCommit";
    case 2:
      return "GroupMetadata";
    case 3:
      return "ConsumerGroupMetadata";
    case 4:
      return "ConsumerGroupPartitionMetadata";
    case 5:
      return "ConsumerGroupMemberMetadata";
    case 6:
      return "ConsumerGroupTargetAssignmentMetadata";
    case 7:
      return "ConsumerGroupTargetAssignmentMember";
    case 8:
      return "ConsumerGroupCurrentMemberAssignment";
    case 10:
      return "ShareGroupMemberMetadata";
    case 11:
      return "ShareGroupMetadata";
    case 12:
      return "ShareGroupTargetAssignmentMetadata";
    case 13:
      return "ShareGroupTargetAssignmentMember";
    case 14:
      return "ShareGroupCurrentMemberAssignment";
    case 15:
      return "ShareGroupStatePartitionMetadata";
    case 16:
      return "ConsumerGroupRegularExpression";
    case 17:
      return "StreamsGroupMetadata";
    case 19:
      return "StreamsGroupMemberMetadata";
    case 20:
      return "StreamsGroupTargetAssignmentMetadata";
    case 21:
      return "StreamsGroupTargetAssignmentMember";
    case 22:
      return "StreamsGroupCurrentMemberAssignment";
    case 23:
      return "StreamsGroupTopology";
    default:
      return "Unknown";
  }
}

int16_t key_type(const record_key& key) {
  struct visitor {
    int16_t operator()(const offset_commit_key& k) const {
      return static_cast<int16_t>(k.legacy ? record_type::legacy_offset_commit
                                           : record_type::offset_commit);
    }
    int16_t operator()(const unknown_key& k) const { return k.type; }
    int16_t operator()(const group_metadata_key&) const {
      return static_cast<int16_t>(record_type::group_metadata);
    }
    int16_t operator()(const consumer_group_metadata_key&) const {
      return static_cast<int16_t>(record_type::consumer_group_metadata);
    }
    int16_t operator()(const consumer_group_partition_metadata_key&) const {
      return static_cast<int16_t>(record_type::consumer_group_partition_metadata);
    }
    int16_t operator()(const consumer_group_member_metadata_key&) const {
      return static_cast<int16_t>(record_type::consumer_group_member_metadata);
    }
    int16_t operator()(const consumer_group_target_assignment_metadata_key&) const {
      return static_cast<int16_t>(record_type::consumer_group_target_assignment_metadata);
    }
    int16_t operator()(const consumer_group_target_assignment_member_key&) const {
      return static_cast<int16_t>(record_type::consumer_group_target_assignment_member);
    }
    int16_t operator()(const consumer_group_current_member_assignment_key&) const {
      return static_cast<int16_t>(record_type::consumer_group_current_member_assignment);
    }
    int16_t operator()(const consumer_group_regular_expression_key&) const {
      return static_cast<int16_t>(record_type::consumer_group_regular_expression);
    }
  };
  return std::visit(visitor{}, key);
}

records_result<wire::byte_buffer> encode_key(const record_key& key) {
  try {
    wire::writer w;
    std::visit(key_writer{w}, key);
    return w.take();
  } catch (const std::exception& e) {
    return failure{error(records_errc::unencodable, e.what())};
  }
}

records_result<record_key> decode_key(std::span<const uint8_t> bytes) {
  try {
    wire::reader r(bytes);
    record_key key = read_key(r);
    if (!r.empty())
      return failure{error(records_errc::malformed,
                           fmt::format("{} trailing bytes after a {} key", r.remaining(),
                                       record_type_name(key_type(key))))};
    return key;
  } catch (const std::exception& e) {
    return failure{error(records_errc::malformed, e.what())};
  }
}

int16_t kafka_write_version(const record_value& value) {
  if (const auto* o = std::get_if<offset_commit_value>(&value))
    return o->expire_timestamp != -1 ? 1 : 4;
  if (std::holds_alternative<group_metadata_value>(value)) return 3;
  if (const auto* u = std::get_if<unknown_value>(&value)) return u->version;
  return 0;
}

records_result<wire::byte_buffer> encode_value(const record_value& value, int16_t version) {
  try {
    wire::writer w;
    w.write_int16(version);
    std::visit([&](const auto& v) { put(w, v, version); }, value);
    return w.take();
  } catch (const std::exception& e) {
    return failure{error(records_errc::unencodable, e.what())};
  }
}

records_result<wire::byte_buffer> encode_value(const record_value& value) {
  return encode_value(value, kafka_write_version(value));
}

records_result<versioned_value> decode_value(int16_t key_type, std::span<const uint8_t> bytes) {
  try {
    wire::reader r(bytes);
    const int16_t version = r.read_int16();
    switch (key_type) {
      case static_cast<int16_t>(record_type::legacy_offset_commit):
        // Kafka reads a legacy key's value as LegacyOffsetCommitValue, version 0 only.
        return decode_typed<offset_commit_value>(r, version, 0, "LegacyOffsetCommitValue");
      case static_cast<int16_t>(record_type::offset_commit):
        return decode_typed<offset_commit_value>(r, version, offset_commit_value::max_version,
                                                 "OffsetCommitValue");
      case static_cast<int16_t>(record_type::group_metadata):
        return decode_typed<group_metadata_value>(r, version, group_metadata_value::max_version,
                                                  "GroupMetadataValue");
      case static_cast<int16_t>(record_type::consumer_group_metadata):
        return decode_typed<consumer_group_metadata_value>(r, version, 0,
                                                           "ConsumerGroupMetadataValue");
      case static_cast<int16_t>(record_type::consumer_group_partition_metadata):
        return decode_typed<consumer_group_partition_metadata_value>(
            r, version, 0, "ConsumerGroupPartitionMetadataValue");
      case static_cast<int16_t>(record_type::consumer_group_member_metadata):
        return decode_typed<consumer_group_member_metadata_value>(
            r, version, 0, "ConsumerGroupMemberMetadataValue");
      case static_cast<int16_t>(record_type::consumer_group_target_assignment_metadata):
        return decode_typed<consumer_group_target_assignment_metadata_value>(
            r, version, 0, "ConsumerGroupTargetAssignmentMetadataValue");
      case static_cast<int16_t>(record_type::consumer_group_target_assignment_member):
        return decode_typed<consumer_group_target_assignment_member_value>(
            r, version, 0, "ConsumerGroupTargetAssignmentMemberValue");
      case static_cast<int16_t>(record_type::consumer_group_current_member_assignment):
        return decode_typed<consumer_group_current_member_assignment_value>(
            r, version, 0, "ConsumerGroupCurrentMemberAssignmentValue");
      case static_cast<int16_t>(record_type::consumer_group_regular_expression):
        return decode_typed<consumer_group_regular_expression_value>(
            r, version, 0, "ConsumerGroupRegularExpressionValue");
      default: {
        auto rest = r.read_span(r.remaining());
        return versioned_value{
            version, unknown_value{version, std::vector<uint8_t>(rest.begin(), rest.end())}};
      }
    }
  } catch (const std::exception& e) {
    return failure{error(records_errc::malformed, e.what())};
  }
}

offsets_record make_record(record_key key, record_value value) {
  const int16_t version = kafka_write_version(value);
  return offsets_record{std::move(key), versioned_value{version, std::move(value)}};
}

offsets_record make_tombstone(record_key key) { return offsets_record{std::move(key), {}}; }

records_result<encoded_record> encode_record(const offsets_record& record) {
  if (record.value) {
    const int16_t ktype = key_type(record.key);
    const int16_t vtype = std::visit(value_type_of{}, record.value->value);
    const bool unknown_pair = std::holds_alternative<unknown_key>(record.key) &&
                              std::holds_alternative<unknown_value>(record.value->value);
    const bool legacy = ktype == static_cast<int16_t>(record_type::legacy_offset_commit);
    if (!unknown_pair && !(legacy && vtype == static_cast<int16_t>(record_type::offset_commit)) &&
        ktype != vtype)
      return failure{error(records_errc::unencodable,
                           fmt::format("a {} value cannot go under a {} key",
                                       record_type_name(vtype), record_type_name(ktype)))};
    if (legacy && record.value->version != 0)
      return failure{error(records_errc::unencodable,
                           fmt::format("a legacy offset commit key takes value version 0, not {}",
                                       record.value->version))};
  }
  auto key = encode_key(record.key);
  if (!key) return failure{key.error()};
  encoded_record out;
  out.key = std::move(*key);
  if (record.value) {
    auto value = encode_value(record.value->value, record.value->version);
    if (!value) return failure{value.error()};
    out.value = std::move(*value);
  }
  return out;
}

records_result<offsets_record> decode_record(std::span<const uint8_t> key,
                                             std::optional<std::span<const uint8_t>> value) {
  auto k = decode_key(key);
  if (!k) return failure{k.error()};
  offsets_record out{std::move(*k), std::nullopt};
  if (value) {
    auto v = decode_value(key_type(out.key), *value);
    if (!v) return failure{v.error()};
    out.value = std::move(*v);
  }
  return out;
}

}  // namespace brook::coordinator
