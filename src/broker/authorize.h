// Authorization of one request: the connection's principal and address, the broker's authorizer
// settings and the ACLs of this shard's cluster snapshot, handed to security::authorize. Handlers
// call these in one line; without authorizer.class.name everything is allowed.
#pragma once

#include <cstdint>
#include <string_view>

#include "broker/handler.h"
#include "security/acl.h"

namespace brook::broker {

using security::acl_operation;
using security::resource_type;

bool authorizer_enabled(request_context& ctx);
// One operation on one resource.
bool authorize(request_context& ctx, acl_operation op, resource_type type, std::string_view name);
inline bool authorize_cluster(request_context& ctx, acl_operation op) {
  return authorize(ctx, op, resource_type::cluster, security::k_cluster_name);
}
// Whether the operation is allowed on some resource of the type (Kafka's
// authorizeByResourceType).
bool authorize_any(request_context& ctx, acl_operation op, resource_type type);
// The authorized-operations bit field of a resource (every supported operation without an
// authorizer).
int32_t authorized_operations(request_context& ctx, resource_type type, std::string_view name);

// Kafka's default messages of the authorization errors (what Errors.X.message() says).
inline constexpr std::string_view k_topic_auth_message = "Topic authorization failed.";
inline constexpr std::string_view k_group_auth_message = "Group authorization failed.";
inline constexpr std::string_view k_cluster_auth_message = "Cluster authorization failed.";
inline constexpr std::string_view k_txn_id_auth_message = "Transactional Id authorization failed.";
// What the ACL APIs answer without an authorizer.
inline constexpr std::string_view k_no_authorizer_message = "No Authorizer is configured.";

}  // namespace brook::broker
