// ACLs and the authorizer that reads them, with the rules of Kafka's StandardAuthorizer.
//
// An ACL binding says that a principal ("Type:Name", or "User:*" for everyone) from a host (or
// "*") is allowed or denied one operation on resources of one type whose name is a literal name
// (or "*" for every name) or a prefix. Filters (DescribeAcls, DeleteAcls) select bindings with
// ANY wildcards, and with the MATCH pattern type that finds every binding that applies to one
// resource name.
//
// authorize() decides one action:
//   1. a principal in super.users may do anything;
//   2. otherwise the ACLs of the resource (its literal name, the wildcard "*", every prefix of
//      its name) are read: a DENY that matches the principal, the host and the operation wins; an
//      ALLOW that matches allows;
//   3. when none matches, the action is denied if any ACL exists for the resource at all (for any
//      principal or operation), and decided by allow.everyone.if.no.acl.found otherwise.
// An ALLOW of READ, WRITE, DELETE or ALTER also allows DESCRIBE, and an ALLOW of ALTER_CONFIGS
// allows DESCRIBE_CONFIGS; a DENY denies only its own operation (ALL: every operation).
//
// The types are values: acl_set is copied into each cluster snapshot, read without locks.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace brook::security {

// Kafka's codes (org.apache.kafka.common.resource.ResourceType).
enum class resource_type : int8_t {
  unknown = 0,
  any = 1,
  topic = 2,
  group = 3,
  cluster = 4,
  transactional_id = 5,
  delegation_token = 6,
  user = 7,
};

// Kafka's codes (PatternType).
enum class pattern_type : int8_t { unknown = 0, any = 1, match = 2, literal = 3, prefixed = 4 };

// Kafka's codes (AclOperation).
enum class acl_operation : int8_t {
  unknown = 0,
  any = 1,
  all = 2,
  read = 3,
  write = 4,
  create = 5,
  remove = 6,  // DELETE
  alter = 7,
  describe = 8,
  cluster_action = 9,
  describe_configs = 10,
  alter_configs = 11,
  idempotent_write = 12,
  create_tokens = 13,
  describe_tokens = 14,
  two_phase_commit = 15,
};

// Kafka's codes (AclPermissionType).
enum class acl_permission : int8_t { unknown = 0, any = 1, deny = 2, allow = 3 };

// Kafka's names ("TOPIC", "PREFIXED", "DESCRIBE_CONFIGS", "ALLOW"); "UNKNOWN" for other values.
std::string_view name_of(resource_type t);
std::string_view name_of(pattern_type t);
std::string_view name_of(acl_operation o);
std::string_view name_of(acl_permission p);
// The inverse (case-insensitive), nullopt for a name Kafka does not have.
std::optional<resource_type> parse_resource_type(std::string_view name);
std::optional<pattern_type> parse_pattern_type(std::string_view name);
std::optional<acl_operation> parse_operation(std::string_view name);
std::optional<acl_permission> parse_permission(std::string_view name);
// A code read off the wire as the enum; codes Kafka does not know become `unknown`.
resource_type resource_type_from(int8_t code);
pattern_type pattern_type_from(int8_t code);
acl_operation operation_from(int8_t code);
acl_permission permission_from(int8_t code);

// The operations that make sense on a resource type (Kafka's AclEntry.supportedOperations), the
// ones authorized-operations bit fields are computed over.
std::vector<acl_operation> supported_operations(resource_type t);

inline constexpr std::string_view k_wildcard = "*";
inline constexpr std::string_view k_wildcard_principal = "User:*";
// The one name of the CLUSTER resource.
inline constexpr std::string_view k_cluster_name = "kafka-cluster";

struct acl_binding {
  resource_type type = resource_type::topic;
  std::string name;
  pattern_type pattern = pattern_type::literal;
  std::string principal;
  std::string host = "*";
  acl_operation operation = acl_operation::all;
  acl_permission permission = acl_permission::allow;

  auto operator<=>(const acl_binding&) const = default;
  bool operator==(const acl_binding&) const = default;
};

// Why `b` cannot be stored (Kafka's AclControlManager and CreateAcls checks, with their
// messages); nullopt when it can.
std::optional<std::string> validate_new_acl(const acl_binding& b);

// A DescribeAcls or DeleteAcls filter: nullopt strings and the ANY codes match everything.
struct acl_filter {
  resource_type type = resource_type::any;
  std::optional<std::string> name;
  pattern_type pattern = pattern_type::any;
  std::optional<std::string> principal;
  std::optional<std::string> host;
  acl_operation operation = acl_operation::any;
  acl_permission permission = acl_permission::any;

  // Whether the filter selects `b`. With pattern MATCH and a name, it selects the bindings that
  // apply to that literal name: the literal name, the wildcard "*" and every prefix of it.
  bool matches(const acl_binding& b) const;
  // Why the filter is not valid (an UNKNOWN element; MATCH only with a name), nullopt if it is.
  std::optional<std::string> invalid_reason() const;
};

// The bindings of a cluster, ordered by resource type, then name.
class acl_set {
 public:
  // False when the binding was there already.
  bool add(const acl_binding& b);
  // Removes and returns the bindings the filter selects.
  std::vector<acl_binding> remove(const acl_filter& f);
  std::vector<acl_binding> find(const acl_filter& f) const;
  const std::set<acl_binding>& all() const { return _acls; }
  size_t size() const { return _acls.size(); }
  bool operator==(const acl_set&) const = default;

 private:
  std::set<acl_binding> _acls;
};

// The authorizer's settings: super.users and allow.everyone.if.no.acl.found.
struct authorizer_config {
  bool enabled = false;
  std::set<std::string> super_users;
  bool allow_if_no_acl = false;
};

// Parses super.users: principals separated by semicolons, blanks around each trimmed; the error
// names the entry that is not "Type:Name".
std::optional<std::set<std::string>> parse_super_users(std::string_view text, std::string* error);

// Who asks: the principal ("Type:Name") and the client's address as text.
struct requester {
  std::string_view principal;
  std::string_view host;
};

// One action on one literal resource name, decided by the rules in the file comment. With
// config.enabled false everything is allowed.
bool authorize(const authorizer_config& config, const acl_set& acls, const requester& who,
               acl_operation op, resource_type type, std::string_view name);

// Whether the requester may perform `op` on at least one resource of the type (Kafka's
// authorizeByResourceType: a super user; an ALLOW on some name or prefix not covered by a DENY
// that matches).
bool authorize_any(const authorizer_config& config, const acl_set& acls, const requester& who,
                   acl_operation op, resource_type type);

// The bit field (1 << operation code) of the supported operations of the type the requester may
// perform on the resource (Kafka's authorized-operations fields).
int32_t authorized_operations(const authorizer_config& config, const acl_set& acls,
                              const requester& who, resource_type type, std::string_view name);

}  // namespace brook::security
