// The records of Kafka's internal topic __consumer_offsets: committed offsets, classic group
// metadata and the KIP-848 consumer group records, in the byte formats of Kafka's group
// coordinator (group-coordinator/src/main/resources/common/message/*Key.json, *Value.json), so that
// what Brook writes there reads with Kafka's own tools (kafka-console-consumer with the offsets
// formatter, kafka-dump-log --offsets-decoder) and what Kafka wrote reads back in Brook.
//
// Byte layout of one record (all integers big-endian):
//   key   = int16 record type, then the key's fields in Kafka's non-flexible encoding (int16
//           string lengths). Keys have a single version; the prefix names the type.
//   value = int16 version, then the value's fields in that version: non-flexible versions use
//           int16 string / int32 bytes / int32 array lengths; flexible ones use unsigned-varint
//           lengths (length + 1, 0 for null) and end every struct with a tagged-field section
//           (uvarint count, then uvarint tag, uvarint size, bytes for each).
//   A null value (a tombstone) deletes the key: a removed offset, a deleted group.
//
// Record types (Kafka's CoordinatorRecordType ids) and the value versions read and written:
//   0 legacy offset commit   value v0 only          Kafka 4.x never writes it
//   1 offset commit          value v0..v4           writes v4, or v1 when an expire timestamp is
//   set 2 group metadata         value v0..v4           writes v3 (v4, flexible, is read only) 3
//   consumer group metadata                  v0 4 consumer group partition metadata        v0
//   replaced by the metadata hash in 4.1; only
//                                                   tombstones are written since
//   5 consumer group member metadata           v0
//   6 consumer group target assignment metadata v0
//   7 consumer group target assignment member  v0
//   8 consumer group current member assignment v0
//   16 consumer group regular expression       v0
// Other types (share and streams groups) decode to unknown_key / unknown_value, kept as bytes.
//
// Decoding takes arbitrary bytes: every length and count is checked against the bytes that
// remain, and malformed input gives an error result (never an exception or a crash). Trailing
// bytes after a complete key or value are an error too. Encoding returns an error for values
// Kafka could not read back (a string longer than 32767 bytes, a version the type lacks).
//
// Pure functions over values; no state, safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "protocol/wire/types.h"

namespace brook::coordinator {

// The int16 that starts every key: Kafka's CoordinatorRecordType id.
enum class record_type : int16_t {
  legacy_offset_commit = 0,
  offset_commit = 1,
  group_metadata = 2,
  consumer_group_metadata = 3,
  consumer_group_partition_metadata = 4,
  consumer_group_member_metadata = 5,
  consumer_group_target_assignment_metadata = 6,
  consumer_group_target_assignment_member = 7,
  consumer_group_current_member_assignment = 8,
  consumer_group_regular_expression = 16,
};

// Kafka's name of a record type ("OffsetCommit", ...), or "Unknown".
std::string_view record_type_name(int16_t type);

enum class records_errc {
  // The bytes do not form a key or value of their type and version.
  malformed,
  // A value version outside the range its type has (a newer Kafka, or garbage).
  unknown_version,
  // A value cannot be encoded as asked: a version its type lacks, a string longer than 32767
  // bytes, unknown tagged fields in a non-flexible version, a value whose type does not match
  // its key.
  unencodable,
};

struct records_error {
  records_errc code = records_errc::malformed;
  std::string message;
};

template <class T>
using records_result = result<T, records_error>;

// ---- Keys ----------------------------------------------------------------------------------

// Types 0 and 1: the committed offset of one partition for one group.
struct offset_commit_key {
  std::string group;
  std::string topic;
  int32_t partition = 0;
  // Type 0, from Kafka before 0.9, rather than 1. Same fields; its value is always version 0.
  bool legacy = false;
  bool operator==(const offset_commit_key&) const = default;
};

// Type 2: a classic group.
struct group_metadata_key {
  std::string group;
  bool operator==(const group_metadata_key&) const = default;
};

// Types 3, 4 and 6 are keyed by the group id alone.
struct consumer_group_metadata_key {
  std::string group_id;
  bool operator==(const consumer_group_metadata_key&) const = default;
};
struct consumer_group_partition_metadata_key {
  std::string group_id;
  bool operator==(const consumer_group_partition_metadata_key&) const = default;
};
struct consumer_group_target_assignment_metadata_key {
  std::string group_id;
  bool operator==(const consumer_group_target_assignment_metadata_key&) const = default;
};

// Types 5, 7 and 8 by group id and member id.
struct consumer_group_member_metadata_key {
  std::string group_id;
  std::string member_id;
  bool operator==(const consumer_group_member_metadata_key&) const = default;
};
struct consumer_group_target_assignment_member_key {
  std::string group_id;
  std::string member_id;
  bool operator==(const consumer_group_target_assignment_member_key&) const = default;
};
struct consumer_group_current_member_assignment_key {
  std::string group_id;
  std::string member_id;
  bool operator==(const consumer_group_current_member_assignment_key&) const = default;
};

// Type 16: the topics a subscription's regular expression resolved to.
struct consumer_group_regular_expression_key {
  std::string group_id;
  std::string regular_expression;
  bool operator==(const consumer_group_regular_expression_key&) const = default;
};

// A key of a type this build does not know (share and streams groups, a newer Kafka): the type
// and the bytes after it, written back unchanged.
struct unknown_key {
  int16_t type = -1;
  std::vector<uint8_t> body;
  bool operator==(const unknown_key&) const = default;
};

using record_key =
    std::variant<offset_commit_key, group_metadata_key, consumer_group_metadata_key,
                 consumer_group_partition_metadata_key, consumer_group_member_metadata_key,
                 consumer_group_target_assignment_metadata_key,
                 consumer_group_target_assignment_member_key,
                 consumer_group_current_member_assignment_key,
                 consumer_group_regular_expression_key, unknown_key>;

// The record type a key is written with.
int16_t key_type(const record_key& key);

// The key's bytes: int16 type, then its fields.
records_result<wire::byte_buffer> encode_key(const record_key& key);
// Any bytes: a known type decodes to its key, an unknown one to unknown_key; an error only when
// the bytes are shorter than the type or do not form the type's fields.
records_result<record_key> decode_key(std::span<const uint8_t> bytes);

// ---- Values --------------------------------------------------------------------------------

// Types 0 and 1. Versions: 0 (offset, metadata, commit timestamp), 1 (+ expire timestamp, only
// in v1), 2 (without it), 3 (+ leader epoch), 4 (flexible, + tagged topic id).
struct offset_commit_value {
  static constexpr int16_t min_version = 0;
  static constexpr int16_t max_version = 4;

  int64_t offset = 0;
  int32_t leader_epoch = -1;  // v3+
  std::string metadata;
  int64_t commit_timestamp = 0;
  int64_t expire_timestamp = -1;             // v1 only
  wire::uuid topic_id;                       // v4+, tag 0; the zero UUID is not written
  wire::unknown_tagged_fields unknown_tags;  // v4+
  bool operator==(const offset_commit_value&) const = default;
};

// One member of a classic group.
struct group_member_metadata {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
  std::string client_id;
  std::string client_host;
  int32_t rebalance_timeout_ms = -1;  // v1+
  int32_t session_timeout_ms = 0;
  std::vector<uint8_t> subscription;
  std::vector<uint8_t> assignment;
  wire::unknown_tagged_fields unknown_tags;  // v4+
  bool operator==(const group_member_metadata&) const = default;
};

// Type 2. Versions: 0, 1 (+ member rebalance timeout), 2 (+ current state timestamp), 3 (+ member
// group instance id), 4 (flexible).
struct group_metadata_value {
  static constexpr int16_t min_version = 0;
  static constexpr int16_t max_version = 4;

  std::string protocol_type;
  int32_t generation = 0;
  std::optional<std::string> protocol;
  std::optional<std::string> leader;
  int64_t current_state_timestamp = -1;  // v2+
  std::vector<group_member_metadata> members;
  wire::unknown_tagged_fields unknown_tags;  // v4+
  bool operator==(const group_metadata_value&) const = default;
};

// The KIP-848 values: one version each (0), flexible, with tagged fields on every struct.

// Type 3: the group epoch.
struct consumer_group_metadata_value {
  static constexpr int16_t min_version = 0;
  static constexpr int16_t max_version = 0;

  int32_t epoch = 0;
  int64_t metadata_hash = 0;  // tag 0 (KIP-1101, Kafka 4.1+); 0 is not written
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const consumer_group_metadata_value&) const = default;
};

// Type 4: the subscribed topics' metadata, as Kafka 4.0 kept it.
struct partition_racks {
  int32_t partition = 0;
  std::vector<std::string> racks;
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const partition_racks&) const = default;
};
struct topic_metadata {
  wire::uuid topic_id;
  std::string topic_name;
  int32_t num_partitions = 0;
  std::vector<partition_racks> partition_metadata;
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const topic_metadata&) const = default;
};
struct consumer_group_partition_metadata_value {
  static constexpr int16_t min_version = 0;
  static constexpr int16_t max_version = 0;

  std::vector<topic_metadata> topics;
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const consumer_group_partition_metadata_value&) const = default;
};

// Type 5: a member's subscription.
struct classic_protocol {
  std::string name;
  std::vector<uint8_t> metadata;
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const classic_protocol&) const = default;
};
// What a member that joined with the classic protocol supports.
struct classic_member_metadata {
  int32_t session_timeout_ms = 0;
  std::vector<classic_protocol> supported_protocols;
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const classic_member_metadata&) const = default;
};
struct consumer_group_member_metadata_value {
  static constexpr int16_t min_version = 0;
  static constexpr int16_t max_version = 0;

  std::optional<std::string> instance_id;
  std::optional<std::string> rack_id;
  std::string client_id;
  std::string client_host;
  std::vector<std::string> subscribed_topic_names;
  std::optional<std::string> subscribed_topic_regex;
  int32_t rebalance_timeout_ms = -1;
  std::optional<std::string> server_assignor;
  // Tag 0, nullable. As Kafka's generated code does: null is written explicitly (a null marker),
  // a present but all-default struct is not written at all (and so reads back as null).
  std::optional<classic_member_metadata> classic_member;
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const consumer_group_member_metadata_value&) const = default;
};

// Type 6: the epoch of the group's target assignment.
struct consumer_group_target_assignment_metadata_value {
  static constexpr int16_t min_version = 0;
  static constexpr int16_t max_version = 0;

  int32_t assignment_epoch = 0;
  int64_t assignment_timestamp = 0;  // tag 0 (KIP-1263, Kafka 4.3+); 0 is not written
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const consumer_group_target_assignment_metadata_value&) const = default;
};

// Type 7: one member's target assignment.
struct assigned_topic_partitions {
  wire::uuid topic_id;
  std::vector<int32_t> partitions;
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const assigned_topic_partitions&) const = default;
};
struct consumer_group_target_assignment_member_value {
  static constexpr int16_t min_version = 0;
  static constexpr int16_t max_version = 0;

  std::vector<assigned_topic_partitions> topic_partitions;
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const consumer_group_target_assignment_member_value&) const = default;
};

// Type 8: one member's current assignment.
struct member_topic_partitions {
  wire::uuid topic_id;
  std::vector<int32_t> partitions;
  // Tag 0, nullable, one epoch per partition. As in Kafka: null is written as an explicit null,
  // an empty list is not written (and reads back as null).
  std::optional<std::vector<int32_t>> assignment_epochs;
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const member_topic_partitions&) const = default;
};
struct consumer_group_current_member_assignment_value {
  static constexpr int16_t min_version = 0;
  static constexpr int16_t max_version = 0;

  int32_t member_epoch = 0;
  int32_t previous_member_epoch = 0;
  int8_t state = 0;  // Kafka's MemberState id
  std::vector<member_topic_partitions> assigned_partitions;
  std::vector<member_topic_partitions> partitions_pending_revocation;
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const consumer_group_current_member_assignment_value&) const = default;
};

// Type 16: the topics a regular expression matched, and when.
struct consumer_group_regular_expression_value {
  static constexpr int16_t min_version = 0;
  static constexpr int16_t max_version = 0;

  std::vector<std::string> topics;
  int64_t version = 0;  // the metadata image version the expression was resolved against
  int64_t timestamp = 0;
  wire::unknown_tagged_fields unknown_tags;
  bool operator==(const consumer_group_regular_expression_value&) const = default;
};

// The value of a record whose key type this build does not know: its version and the bytes
// after it, written back unchanged.
struct unknown_value {
  int16_t version = 0;
  std::vector<uint8_t> body;
  bool operator==(const unknown_value&) const = default;
};

using record_value =
    std::variant<offset_commit_value, group_metadata_value, consumer_group_metadata_value,
                 consumer_group_partition_metadata_value, consumer_group_member_metadata_value,
                 consumer_group_target_assignment_metadata_value,
                 consumer_group_target_assignment_member_value,
                 consumer_group_current_member_assignment_value,
                 consumer_group_regular_expression_value, unknown_value>;

// A value and the version it was read in or is to be written in.
struct versioned_value {
  int16_t version = 0;
  record_value value;
  bool operator==(const versioned_value&) const = default;
};

// The version Kafka 4.x writes a value in: offset commits v4, or v1 when an expire timestamp is
// set (Kafka keeps it only there; v1 has no leader epoch and no topic id); group metadata v3; the
// KIP-848 values v0; an unknown value its own version.
int16_t kafka_write_version(const record_value& value);

// The value's bytes: int16 version, then its fields in that version. Fields the version lacks
// are left out, as Kafka does for these (all are marked ignorable in the schemas).
records_result<wire::byte_buffer> encode_value(const record_value& value, int16_t version);
// In kafka_write_version(value).
records_result<wire::byte_buffer> encode_value(const record_value& value);
// The value of a record whose key has type `key_type`. A type this build does not know gives
// unknown_value; a version the type lacks gives records_errc::unknown_version.
records_result<versioned_value> decode_value(int16_t key_type, std::span<const uint8_t> bytes);

// ---- Records -------------------------------------------------------------------------------

// A key with its value, or with no value: a tombstone.
struct offsets_record {
  record_key key;
  std::optional<versioned_value> value;
  bool is_tombstone() const { return !value.has_value(); }
  bool operator==(const offsets_record&) const = default;
};

// The record Kafka 4.x would write for this key and value (the value in kafka_write_version).
offsets_record make_record(record_key key, record_value value);
// The record that deletes `key`.
offsets_record make_tombstone(record_key key);

// The bytes of a record's key and value; value is absent for a tombstone.
struct encoded_record {
  wire::byte_buffer key;
  std::optional<wire::byte_buffer> value;
};

// Checks that the value belongs to the key (an offset commit value under an offset commit key,
// version 0 under a legacy key, an unknown value under an unknown key) and encodes both.
records_result<encoded_record> encode_record(const offsets_record& record);
// Decodes a key and its value (nullopt: a tombstone), with the value read as the key's type.
records_result<offsets_record> decode_record(std::span<const uint8_t> key,
                                             std::optional<std::span<const uint8_t>> value);

}  // namespace brook::coordinator
