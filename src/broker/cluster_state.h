// What the cluster knows about its topics: names, ids, partition counts and per-topic config
// overrides. One node for now, so the node is the controller for all of it.
//
// Shard 0 owns the authoritative copy and is the only writer; every change is written to
// <log dir>/__brook_cluster/topics (replaced atomically: write, fdatasync, rename, fsync of the
// folder) before it is published. Each shard holds an immutable snapshot (shared_ptr to const),
// swapped by a message from shard 0, so request handlers read metadata without locks.
//
// File format, one record per line (names and config keys never contain spaces; values are
// percent-encoded for '%', newline and carriage return):
//   brook-topics 1
//   topic <name> <topic id, Kafka's base64> <partition count>
//   config <topic name> <key> <value>
//   groupconfig <group id> <key> <value>
//   feature <name> <finalized level>          (a level UpdateFeatures changed)
//   featuresepoch <epoch of the finalized feature levels>
//   scram <user> <mechanism> <iterations> <salt> <stored key> <server key>
//                                            (a SCRAM credential; the keys in standard base64)
//   acl <resource type> <pattern type> <operation> <permission> <resource name> <principal> <host>
//                                              (Kafka's names for the enums, e.g. TOPIC PREFIXED)
//   quota <key> <value> <entity type>[=<name>]...  (a client quota; a type without a name is
//                                                    the default entity of that type)
// Group ids, user names, quota entity names, and the names, principals and hosts of ACLs, may
// hold any character: they are percent-encoded for '%' and every character up to and including
// the space.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"
#include "broker/quota.h"
#include "protocol/wire/types.h"
#include "security/acl.h"
#include "security/scram.h"

namespace brook::broker {

struct topic_info {
  std::string name;
  wire::uuid id;
  int32_t partitions = 0;
  std::map<std::string, std::string> configs;
  bool is_internal = false;

  bool has_partition(int32_t index) const { return index >= 0 && index < partitions; }
};

// Whether `t` is a known topic with partition `index` (the check behind
// UNKNOWN_TOPIC_OR_PARTITION).
inline bool has_partition(const topic_info* t, int32_t index) {
  return t && t->has_partition(index);
}

struct uuid_hash {
  size_t operator()(const wire::uuid& u) const {
    size_t h = 0;
    for (auto b : u.bytes) h = h * 131 + b;
    return h;
  }
};

// A feature flag brookd finalizes (KIP-584): the levels it supports and the level a new cluster
// starts at. group.version 1 turns on KIP-848 consumer groups, transaction.version 2 KIP-890's
// transactions version 2.
struct feature_spec {
  const char* name;
  int16_t min_level;
  int16_t max_level;
  int16_t initial_level;
};
std::span<const feature_spec> supported_features();

// SCRAM credentials (AlterUserScramCredentials) by user, then mechanism.
using scram_credentials =
    std::map<std::string, std::map<security::scram_mechanism, security::scram_credential>,
             std::less<>>;

struct cluster_snapshot {
  std::map<std::string, std::shared_ptr<const topic_info>> by_name;
  std::unordered_map<wire::uuid, std::shared_ptr<const topic_info>, uuid_hash> by_id;
  // Group-level config overrides by group id (never an empty map).
  std::map<std::string, std::map<std::string, std::string>> group_configs;
  // Feature levels UpdateFeatures set (the others are at their initial level; 0: not finalized),
  // and the epoch of the finalized levels (ApiVersions' FinalizedFeaturesEpoch).
  std::map<std::string, int16_t> features;
  int64_t features_epoch = 1;
  // SCRAM credentials; a user is present only with at least one mechanism.
  scram_credentials scram;
  // The ACLs CreateAcls stored (read by the authorizer when authorizer.class.name is set).
  security::acl_set acls;
  // Client quotas (AlterClientQuotas), never an entity with no quota.
  client_quota_map client_quotas;

  const topic_info* find(const std::string& name) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second.get();
  }
  const topic_info* find(const wire::uuid& id) const {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : it->second.get();
  }
  // A copy with `t` added or replaced, or removed when t.partitions == 0.
  std::shared_ptr<const cluster_snapshot> with(const topic_info& t, bool remove = false) const;
  // A copy with the group's config overrides replaced (none: removed).
  std::shared_ptr<const cluster_snapshot> with_group_configs(
      const std::string& group, std::map<std::string, std::string> configs) const;
  // The group's overrides (empty when it has none).
  const std::map<std::string, std::string>& group_configs_of(const std::string& group) const;
  // The finalized level of a feature (0 for one not finalized or not known).
  int16_t feature_level(std::string_view name) const;
  // A copy with these levels set and the features epoch bumped.
  std::shared_ptr<const cluster_snapshot> with_features(
      const std::map<std::string, int16_t>& levels) const;
  // The user's credential for the mechanism (nullptr when it has none): what SASL/SCRAM checks a
  // client against, from any shard.
  const security::scram_credential* scram_credential_of(std::string_view user,
                                                        security::scram_mechanism m) const;
  // A copy with these SCRAM credentials.
  std::shared_ptr<const cluster_snapshot> with_scram(scram_credentials credentials) const;
  // A copy with these ACLs.
  std::shared_ptr<const cluster_snapshot> with_acls(security::acl_set next_acls) const;
  // A copy with these client quotas.
  std::shared_ptr<const cluster_snapshot> with_client_quotas(client_quota_map quotas) const;
};

// Reads the topics file; a missing file is an empty cluster. Errors name the file and the line.
result<std::shared_ptr<const cluster_snapshot>, std::string> load_cluster(
    const std::filesystem::path& log_dir);
result<void, std::string> save_cluster(const std::filesystem::path& log_dir,
                                       const cluster_snapshot& snapshot);

// Kafka's rule for topic names: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
bool valid_topic_name(std::string_view name);

}  // namespace brook::broker
