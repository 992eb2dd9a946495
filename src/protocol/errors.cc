// The table behind errors.h: one row per Kafka error code, in numeric order. Kafka assigns codes
// without gaps, so the lookups index the table directly; a compile-time check below holds us to it.
#include "protocol/errors.h"

#include <array>
#include <cstddef>

namespace brook::protocol {
namespace {

constexpr auto errors_table = std::to_array<error_info>({
    {error_code::unknown_server_error, "UNKNOWN_SERVER_ERROR", false,
     "The broker hit an unexpected failure while handling the request."},
    {error_code::none, "NONE", false, "Success: no error."},
    {error_code::offset_out_of_range, "OFFSET_OUT_OF_RANGE", false,
     "The requested offset lies outside the range the partition's log currently holds."},
    {error_code::corrupt_message, "CORRUPT_MESSAGE", true,
     "A record failed its checksum or size checks, lacked a key on a compacted topic, or was "
     "otherwise malformed."},
    {error_code::unknown_topic_or_partition, "UNKNOWN_TOPIC_OR_PARTITION", true,
     "The broker hosts no such topic or partition; the client's metadata may be stale."},
    {error_code::invalid_fetch_size, "INVALID_FETCH_SIZE", false,
     "The fetch asked for a byte count the broker will not serve."},
    {error_code::leader_not_available, "LEADER_NOT_AVAILABLE", true,
     "The partition has no leader at the moment, usually while an election is under way."},
    {error_code::not_leader_or_follower, "NOT_LEADER_OR_FOLLOWER", true,
     "This broker is not the partition's leader (or, for requests any replica may answer, not a "
     "replica at all)."},
    {error_code::request_timed_out, "REQUEST_TIMED_OUT", true,
     "The request did not complete within its time limit."},
    {error_code::broker_not_available, "BROKER_NOT_AVAILABLE", false,
     "The broker in question is not up or cannot be reached."},
    {error_code::replica_not_available, "REPLICA_NOT_AVAILABLE", true,
     "The addressed broker has no usable replica of the partition."},
    {error_code::message_too_large, "MESSAGE_TOO_LARGE", false,
     "A record or batch is bigger than the broker's maximum message size."},
    {error_code::stale_controller_epoch, "STALE_CONTROLLER_EPOCH", false,
     "The sender's controller epoch has been superseded by a newer controller."},
    {error_code::offset_metadata_too_large, "OFFSET_METADATA_TOO_LARGE", false,
     "The metadata string attached to an offset commit is too long."},
    {error_code::network_exception, "NETWORK_EXCEPTION", true,
     "The connection closed before the response arrived."},
    {error_code::coordinator_load_in_progress, "COORDINATOR_LOAD_IN_PROGRESS", true,
     "The coordinator is still loading its state and cannot serve the request yet."},
    {error_code::coordinator_not_available, "COORDINATOR_NOT_AVAILABLE", true,
     "No coordinator is available for the group or transactional id right now."},
    {error_code::not_coordinator, "NOT_COORDINATOR", true,
     "This broker is not the coordinator for the group or transactional id."},
    {error_code::invalid_topic_exception, "INVALID_TOPIC_EXCEPTION", false,
     "The topic name is illegal, or the topic may not be used for this operation."},
    {error_code::record_list_too_large, "RECORD_LIST_TOO_LARGE", false,
     "A produced batch is larger than the log segment size allows."},
    {error_code::not_enough_replicas, "NOT_ENOUGH_REPLICAS", true,
     "Fewer replicas are in sync than the topic requires, so the write was refused."},
    {error_code::not_enough_replicas_after_append, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true,
     "The leader stored the write, but fewer in-sync replicas than required confirmed it."},
    {error_code::invalid_required_acks, "INVALID_REQUIRED_ACKS", false,
     "The produce request's acks setting is not a value the broker accepts."},
    {error_code::illegal_generation, "ILLEGAL_GENERATION", false,
     "The member's generation id does not match the group's current generation."},
    {error_code::inconsistent_group_protocol, "INCONSISTENT_GROUP_PROTOCOL", false,
     "The member's protocol type or protocol list does not fit the group, or is empty for a new "
     "group."},
    {error_code::invalid_group_id, "INVALID_GROUP_ID", false,
     "The group id is empty or otherwise not allowed."},
    {error_code::unknown_member_id, "UNKNOWN_MEMBER_ID", false,
     "The coordinator does not recognise the member id."},
    {error_code::invalid_session_timeout, "INVALID_SESSION_TIMEOUT", false,
     "The session timeout is outside the bounds set by the broker's group timeout settings."},
    {error_code::rebalance_in_progress, "REBALANCE_IN_PROGRESS", false,
     "The group is rebalancing; the member has to join again."},
    {error_code::invalid_commit_offset_size, "INVALID_COMMIT_OFFSET_SIZE", false,
     "The offset commit payload has an unacceptable size."},
    {error_code::topic_authorization_failed, "TOPIC_AUTHORIZATION_FAILED", false,
     "The principal is not allowed to perform this operation on the topic."},
    {error_code::group_authorization_failed, "GROUP_AUTHORIZATION_FAILED", false,
     "The principal is not allowed to perform this operation on the group."},
    {error_code::cluster_authorization_failed, "CLUSTER_AUTHORIZATION_FAILED", false,
     "The principal is not allowed to perform this operation on the cluster."},
    {error_code::invalid_timestamp, "INVALID_TIMESTAMP", false,
     "A record timestamp falls outside the window the broker accepts."},
    {error_code::unsupported_sasl_mechanism, "UNSUPPORTED_SASL_MECHANISM", false,
     "The broker does not offer the SASL mechanism the client chose."},
    {error_code::illegal_sasl_state, "ILLEGAL_SASL_STATE", false,
     "The request is not allowed at this stage of the SASL exchange."},
    {error_code::unsupported_version, "UNSUPPORTED_VERSION", false,
     "The broker does not implement this version of the API."},
    {error_code::topic_already_exists, "TOPIC_ALREADY_EXISTS", false,
     "A topic with this name exists already."},
    {error_code::invalid_partitions, "INVALID_PARTITIONS", false,
     "The requested number of partitions is not valid."},
    {error_code::invalid_replication_factor, "INVALID_REPLICATION_FACTOR", false,
     "The replication factor is below one or exceeds the number of available brokers."},
    {error_code::invalid_replica_assignment, "INVALID_REPLICA_ASSIGNMENT", false,
     "The explicit replica assignment is not valid."},
    {error_code::invalid_config, "INVALID_CONFIG", false,
     "A configuration entry in the request is not valid."},
    {error_code::not_controller, "NOT_CONTROLLER", true, "This node is not the active controller."},
    {error_code::invalid_request, "INVALID_REQUEST", false,
     "The broker could not make sense of the request; it may be malformed or sent to an "
     "incompatible broker."},
    {error_code::unsupported_for_message_format, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false,
     "The request needs a newer message format than the topic is configured with."},
    {error_code::policy_violation, "POLICY_VIOLATION", false,
     "The request breaks a policy configured on the broker."},
    {error_code::out_of_order_sequence_number, "OUT_OF_ORDER_SEQUENCE_NUMBER", false,
     "The producer's sequence number is not the next one the broker expected."},
    {error_code::duplicate_sequence_number, "DUPLICATE_SEQUENCE_NUMBER", false,
     "The producer's sequence number repeats one the broker has already written."},
    {error_code::invalid_producer_epoch, "INVALID_PRODUCER_EPOCH", false,
     "The producer wrote with an epoch older than the current one."},
    {error_code::invalid_txn_state, "INVALID_TXN_STATE", false,
     "The transactional operation is not allowed in the transaction's current state."},
    {error_code::invalid_producer_id_mapping, "INVALID_PRODUCER_ID_MAPPING", false,
     "The producer id is not the one currently bound to this transactional id."},
    {error_code::invalid_transaction_timeout, "INVALID_TRANSACTION_TIMEOUT", false,
     "The transaction timeout exceeds the broker's configured maximum."},
    {error_code::concurrent_transactions, "CONCURRENT_TRANSACTIONS", true,
     "Another operation on the same transaction is still in progress."},
    {error_code::transaction_coordinator_fenced, "TRANSACTION_COORDINATOR_FENCED", false,
     "The transaction coordinator that sent the markers has been replaced for this producer."},
    {error_code::transactional_id_authorization_failed, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
     false, "The principal is not allowed to use this transactional id."},
    {error_code::security_disabled, "SECURITY_DISABLED", false,
     "The request needs security features that are turned off on this cluster."},
    {error_code::operation_not_attempted, "OPERATION_NOT_ATTEMPTED", false,
     "The broker skipped this operation, typically because another one in the same batch failed."},
    {error_code::kafka_storage_error, "KAFKA_STORAGE_ERROR", true,
     "The broker hit a disk error while accessing the log."},
    {error_code::log_dir_not_found, "LOG_DIR_NOT_FOUND", false,
     "The named log directory is not one of the broker's configured directories."},
    {error_code::sasl_authentication_failed, "SASL_AUTHENTICATION_FAILED", false,
     "SASL authentication did not succeed."},
    {error_code::unknown_producer_id, "UNKNOWN_PRODUCER_ID", false,
     "The broker holds no state for this producer id, for example after retention removed all its "
     "records."},
    {error_code::reassignment_in_progress, "REASSIGNMENT_IN_PROGRESS", false,
     "A partition reassignment is already running."},
    {error_code::delegation_token_auth_disabled, "DELEGATION_TOKEN_AUTH_DISABLED", false,
     "Delegation tokens are not enabled on this cluster."},
    {error_code::delegation_token_not_found, "DELEGATION_TOKEN_NOT_FOUND", false,
     "The broker has no record of this delegation token."},
    {error_code::delegation_token_owner_mismatch, "DELEGATION_TOKEN_OWNER_MISMATCH", false,
     "The principal is neither the owner nor a renewer of the token."},
    {error_code::delegation_token_request_not_allowed, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED",
     false,
     "Token requests are refused on plaintext, one-way TLS and token-authenticated connections."},
    {error_code::delegation_token_authorization_failed, "DELEGATION_TOKEN_AUTHORIZATION_FAILED",
     false, "The principal is not allowed to perform this delegation token operation."},
    {error_code::delegation_token_expired, "DELEGATION_TOKEN_EXPIRED", false,
     "The delegation token has expired."},
    {error_code::invalid_principal_type, "INVALID_PRINCIPAL_TYPE", false,
     "The principal type given is not supported."},
    {error_code::non_empty_group, "NON_EMPTY_GROUP", false, "The group still has members."},
    {error_code::group_id_not_found, "GROUP_ID_NOT_FOUND", false, "No group with this id exists."},
    {error_code::fetch_session_id_not_found, "FETCH_SESSION_ID_NOT_FOUND", true,
     "The broker has no incremental fetch session with this id."},
    {error_code::invalid_fetch_session_epoch, "INVALID_FETCH_SESSION_EPOCH", true,
     "The fetch session epoch does not match the one the broker expects."},
    {error_code::listener_not_found, "LISTENER_NOT_FOUND", true,
     "The leader has no listener matching the one the metadata request arrived on."},
    {error_code::topic_deletion_disabled, "TOPIC_DELETION_DISABLED", false,
     "Topic deletion is turned off on this cluster."},
    {error_code::fenced_leader_epoch, "FENCED_LEADER_EPOCH", true,
     "The request carries a leader epoch older than the broker's."},
    {error_code::unknown_leader_epoch, "UNKNOWN_LEADER_EPOCH", true,
     "The request carries a leader epoch newer than any the broker knows."},
    {error_code::unsupported_compression_type, "UNSUPPORTED_COMPRESSION_TYPE", false,
     "The client cannot read the compression codec used by this partition."},
    {error_code::stale_broker_epoch, "STALE_BROKER_EPOCH", false,
     "The broker epoch in the request is out of date."},
    {error_code::offset_not_available, "OFFSET_NOT_AVAILABLE", true,
     "A newly elected leader's high watermark has not caught up, so offsets cannot be served "
     "safely yet."},
    {error_code::member_id_required, "MEMBER_ID_REQUIRED", false,
     "The member must join again using the member id the coordinator just assigned."},
    {error_code::preferred_leader_not_available, "PREFERRED_LEADER_NOT_AVAILABLE", true,
     "The preferred replica cannot take over leadership right now."},
    {error_code::group_max_size_reached, "GROUP_MAX_SIZE_REACHED", false,
     "The group already has the maximum number of members."},
    {error_code::fenced_instance_id, "FENCED_INSTANCE_ID", false,
     "Another member registered with the same static group.instance.id and fenced this one."},
    {error_code::eligible_leaders_not_available, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true,
     "No replica that may lead the partition is available."},
    {error_code::election_not_needed, "ELECTION_NOT_NEEDED", true,
     "The partition already has the leader the election would pick."},
    {error_code::no_reassignment_in_progress, "NO_REASSIGNMENT_IN_PROGRESS", false,
     "There is no partition reassignment to act on."},
    {error_code::group_subscribed_to_topic, "GROUP_SUBSCRIBED_TO_TOPIC", false,
     "Offsets cannot be deleted for a topic the group is still subscribed to."},
    {error_code::invalid_record, "INVALID_RECORD", false,
     "A record failed the broker's validation and was rejected."},
    {error_code::unstable_offset_commit, "UNSTABLE_OFFSET_COMMIT", true,
     "Pending transactional offset commits must settle before offsets can be read."},
    {error_code::throttling_quota_exceeded, "THROTTLING_QUOTA_EXCEEDED", true,
     "The request went over the principal's mutation rate quota."},
    {error_code::producer_fenced, "PRODUCER_FENCED", false,
     "A newer producer with the same transactional id has fenced this one."},
    {error_code::resource_not_found, "RESOURCE_NOT_FOUND", false,
     "The request refers to a resource that does not exist."},
    {error_code::duplicate_resource, "DUPLICATE_RESOURCE", false,
     "The request refers to the same resource more than once."},
    {error_code::unacceptable_credential, "UNACCEPTABLE_CREDENTIAL", false,
     "The proposed credential does not meet the acceptance criteria."},
    {error_code::inconsistent_voter_set, "INCONSISTENT_VOTER_SET", false,
     "The sender or receiver of a voter-only request is not an expected voter."},
    {error_code::invalid_update_version, "INVALID_UPDATE_VERSION", false,
     "The feature update names a version that is not valid."},
    {error_code::feature_update_failed, "FEATURE_UPDATE_FAILED", false,
     "The finalized features could not be updated because of an unexpected failure."},
    {error_code::principal_deserialization_failure, "PRINCIPAL_DESERIALIZATION_FAILURE", false,
     "The principal of a forwarded request could not be deserialized, pointing at a security "
     "misconfiguration."},
    {error_code::snapshot_not_found, "SNAPSHOT_NOT_FOUND", false,
     "The requested snapshot does not exist."},
    {error_code::position_out_of_range, "POSITION_OUT_OF_RANGE", false,
     "The snapshot position is negative or past the end of the snapshot."},
    {error_code::unknown_topic_id, "UNKNOWN_TOPIC_ID", true,
     "The broker hosts no topic with this topic id."},
    {error_code::duplicate_broker_registration, "DUPLICATE_BROKER_REGISTRATION", false,
     "Another live broker has already registered this broker id."},
    {error_code::broker_id_not_registered, "BROKER_ID_NOT_REGISTERED", false,
     "No broker registration exists for this id."},
    {error_code::inconsistent_topic_id, "INCONSISTENT_TOPIC_ID", true,
     "The topic id in the request differs from the one recorded in the log."},
    {error_code::inconsistent_cluster_id, "INCONSISTENT_CLUSTER_ID", false,
     "The cluster id in the request differs from the server's."},
    {error_code::transactional_id_not_found, "TRANSACTIONAL_ID_NOT_FOUND", false,
     "No transaction state exists for this transactional id."},
    {error_code::fetch_session_topic_id_error, "FETCH_SESSION_TOPIC_ID_ERROR", true,
     "The fetch session used topic ids inconsistently."},
    {error_code::ineligible_replica, "INELIGIBLE_REPLICA", false,
     "The proposed ISR includes a replica that is not allowed to join it."},
    {error_code::new_leader_elected, "NEW_LEADER_ELECTED", false,
     "The partition change was applied, but leadership moved to another replica meanwhile."},
    {error_code::offset_moved_to_tiered_storage, "OFFSET_MOVED_TO_TIERED_STORAGE", false,
     "The offset is now held only in tiered (remote) storage."},
    {error_code::fenced_member_epoch, "FENCED_MEMBER_EPOCH", false,
     "The coordinator fenced the member's epoch; it must release its partitions and rejoin."},
    {error_code::unreleased_instance_id, "UNRELEASED_INSTANCE_ID", false,
     "Another member still holds this instance id and has to leave first."},
    {error_code::unsupported_assignor, "UNSUPPORTED_ASSIGNOR", false,
     "The group does not support the requested assignor or its version range."},
    {error_code::stale_member_epoch, "STALE_MEMBER_EPOCH", false,
     "The member epoch is outdated; retry once a heartbeat has returned the current one."},
    {error_code::mismatched_endpoint_type, "MISMATCHED_ENDPOINT_TYPE", false,
     "The request reached the wrong kind of endpoint (broker versus controller)."},
    {error_code::unsupported_endpoint_type, "UNSUPPORTED_ENDPOINT_TYPE", false,
     "The request's endpoint type is not supported."},
    {error_code::unknown_controller_id, "UNKNOWN_CONTROLLER_ID", false,
     "The controller id is not known."},
    {error_code::unknown_subscription_id, "UNKNOWN_SUBSCRIPTION_ID", false,
     "The client-telemetry subscription id is unknown or out of date."},
    {error_code::telemetry_too_large, "TELEMETRY_TOO_LARGE", false,
     "The pushed client telemetry exceeds the size the broker accepts."},
    {error_code::invalid_registration, "INVALID_REGISTRATION", false,
     "The controller judged the broker's registration to be invalid."},
    {error_code::transaction_abortable, "TRANSACTION_ABORTABLE", false,
     "The transaction failed on the server; aborting it lets the transactional id be used again."},
    {error_code::invalid_record_state, "INVALID_RECORD_STATE", false,
     "A share-group acknowledgement could not be applied because the record is in the wrong "
     "state."},
    {error_code::share_session_not_found, "SHARE_SESSION_NOT_FOUND", true,
     "The broker has no share session for this member."},
    {error_code::invalid_share_session_epoch, "INVALID_SHARE_SESSION_EPOCH", true,
     "The share session epoch does not match the one the broker expects."},
    {error_code::fenced_state_epoch, "FENCED_STATE_EPOCH", false,
     "The share coordinator refused the request because the share-group state epoch differs."},
    {error_code::invalid_voter_key, "INVALID_VOTER_KEY", false,
     "The voter key does not match the replica that received the request."},
    {error_code::duplicate_voter, "DUPLICATE_VOTER", false,
     "The voter is already a member of the voter set."},
    {error_code::voter_not_found, "VOTER_NOT_FOUND", false,
     "The voter is not a member of the voter set."},
    {error_code::invalid_regular_expression, "INVALID_REGULAR_EXPRESSION", false,
     "The subscription regular expression cannot be parsed."},
    {error_code::rebootstrap_required, "REBOOTSTRAP_REQUIRED", false,
     "The client's metadata is too stale to use; it must rebootstrap."},
    {error_code::streams_invalid_topology, "STREAMS_INVALID_TOPOLOGY", false,
     "The streams topology sent by the member is not valid."},
    {error_code::streams_invalid_topology_epoch, "STREAMS_INVALID_TOPOLOGY_EPOCH", false,
     "The streams topology epoch is not valid."},
    {error_code::streams_topology_fenced, "STREAMS_TOPOLOGY_FENCED", false,
     "The member's streams topology epoch has been superseded."},
    {error_code::share_session_limit_reached, "SHARE_SESSION_LIMIT_REACHED", true,
     "The broker already holds as many share sessions as it allows."},
    {error_code::group_deletion_failed, "GROUP_DELETION_FAILED", false,
     "DeleteGroups could not finish for this group; the error message says why."},
    {error_code::streams_topology_description_update_failed,
     "STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED", false,
     "The broker's topology description plugin could not process the update."},
    {error_code::controller_id_not_registered, "CONTROLLER_ID_NOT_REGISTERED", false,
     "No controller registration exists for this id."},
});

constexpr int16_t first_code = -1;

// A code missing from the table, a duplicate or a row out of place would break the direct indexing.
constexpr bool table_is_contiguous() {
  for (std::size_t i = 0; i < errors_table.size(); ++i) {
    if (static_cast<int>(errors_table[i].code) != first_code + static_cast<int>(i)) return false;
  }
  return true;
}
static_assert(table_is_contiguous(), "errors_table must list every code from -1 upwards, in order");

constexpr std::string_view unknown_name = "UNKNOWN_ERROR_CODE";
constexpr std::string_view unknown_description = "An error code Brook does not know.";

const error_info* find(int16_t value) {
  const int index = static_cast<int>(value) - first_code;
  if (index < 0 || index >= static_cast<int>(errors_table.size())) return nullptr;
  return &errors_table[static_cast<std::size_t>(index)];
}

const error_info* find(error_code code) { return find(static_cast<int16_t>(code)); }

}  // namespace

std::span<const error_info> all_errors() { return errors_table; }

std::string_view error_name(error_code code) {
  const error_info* info = find(code);
  return info ? info->name : unknown_name;
}

bool is_retriable(error_code code) {
  const error_info* info = find(code);
  return info && info->retriable;
}

std::string_view error_description(error_code code) {
  const error_info* info = find(code);
  return info ? info->description : unknown_description;
}

std::optional<error_code> error_from_int(int16_t value) {
  const error_info* info = find(value);
  if (!info) return std::nullopt;
  return info->code;
}

}  // namespace brook::protocol
