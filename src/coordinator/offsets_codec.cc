// The coordinator's records of __consumer_offsets, in Kafka's formats (offsets_records.h).
#include "coordinator/group_coordinator.h"
#include "coordinator/offsets_records.h"

#include "base/log.h"

namespace brook::coordinator {

namespace {
const log::logger lg("coordinator");

std::vector<uint8_t> must(records_result<wire::byte_buffer> r) {
  // Only values Kafka could not read back fail to encode (strings over 32767 bytes, such as a
  // member id made of a huge client id). The record is then written with an empty key, which a
  // reader skips; the coordinator's state in memory is unaffected.
  if (!r) {
    lg.error("cannot encode a __consumer_offsets record: {}", r.error().message);
    return {};
  }
  return std::move(*r);
}
// A group member between the coordinator's and the record's forms, which name fields alike.
template <class From, class To>
void copy_member(const From& m, To& o) {
  o.member_id = m.member_id;
  o.group_instance_id = m.group_instance_id;
  o.client_id = m.client_id;
  o.client_host = m.client_host;
  o.rebalance_timeout_ms = m.rebalance_timeout_ms;
  o.session_timeout_ms = m.session_timeout_ms;
  o.subscription = m.subscription;
  o.assignment = m.assignment;
}
}  // namespace

log_record offset_commit_record(const std::string& group, const std::string& topic,
                                int32_t partition, const committed_offset* value) {
  log_record out;
  out.key = must(encode_key(offset_commit_key{group, topic, partition, false}));
  if (value) {
    offset_commit_value v;
    v.offset = value->offset;
    v.leader_epoch = value->leader_epoch;
    v.metadata = value->metadata;
    v.commit_timestamp = value->commit_timestamp;
    v.expire_timestamp = value->expire_timestamp;
    out.value = must(encode_value(v));
  }
  return out;
}

log_record group_metadata_record(const std::string& group, const group_snapshot* value) {
  log_record out;
  out.key = must(encode_key(group_metadata_key{group}));
  if (value) {
    group_metadata_value v;
    v.protocol_type = value->protocol_type;
    v.generation = value->generation;
    v.protocol = value->protocol;
    v.leader = value->leader;
    v.current_state_timestamp = value->current_state_timestamp;
    for (const auto& m : value->members) copy_member(m, v.members.emplace_back());
    out.value = must(encode_value(v));
  }
  return out;
}

bool replay_offsets_record(group_coordinator& c, std::span<const uint8_t> key_bytes,
                           std::optional<std::span<const uint8_t>> value_bytes,
                           std::optional<int64_t> txn_producer) {
  auto key = decode_key(key_bytes);
  if (!key) return false;
  std::optional<versioned_value> value;
  if (value_bytes) {
    auto v = decode_value(key_type(*key), *value_bytes);
    if (!v) return false;
    value = std::move(*v);
  }
  if (const auto* k = std::get_if<offset_commit_key>(&*key)) {
    std::optional<committed_offset> offset;
    if (value) {
      const auto* v = std::get_if<offset_commit_value>(&value->value);
      if (!v) return false;
      offset.emplace();
      offset->offset = v->offset;
      offset->leader_epoch = v->leader_epoch;
      offset->metadata = v->metadata;
      offset->commit_timestamp = v->commit_timestamp;
      offset->expire_timestamp = v->expire_timestamp;
    }
    if (txn_producer && offset)
      c.load_pending_offset(*txn_producer, k->group, k->topic, k->partition, *offset);
    else
      c.load_offset(k->group, k->topic, k->partition, offset);
    return true;
  }
  if (const auto* k = std::get_if<group_metadata_key>(&*key)) {
    std::optional<group_snapshot> snap;
    if (value) {
      const auto* v = std::get_if<group_metadata_value>(&value->value);
      if (!v) return false;
      snap.emplace();
      snap->protocol_type = v->protocol_type;
      snap->generation = v->generation;
      snap->protocol = v->protocol;
      snap->leader = v->leader;
      snap->current_state_timestamp = v->current_state_timestamp;
      for (const auto& m : v->members) copy_member(m, snap->members.emplace_back());
    }
    c.load_group(k->group, snap);
    return true;
  }
  return c.load_consumer_record(offsets_record{std::move(*key), std::move(value)});
}

}  // namespace brook::coordinator
