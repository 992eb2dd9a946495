// Every API handler, one per file in this folder. Listed in handler_list.cc.
#pragma once

#include <asio/awaitable.hpp>

#include "broker/handler.h"
#include "protocol/generated/add_offsets_to_txn_request.h"
#include "protocol/generated/add_offsets_to_txn_response.h"
#include "protocol/generated/add_partitions_to_txn_request.h"
#include "protocol/generated/add_partitions_to_txn_response.h"
#include "protocol/generated/alter_client_quotas_request.h"
#include "protocol/generated/alter_client_quotas_response.h"
#include "protocol/generated/alter_configs_request.h"
#include "protocol/generated/alter_configs_response.h"
#include "protocol/generated/alter_user_scram_credentials_request.h"
#include "protocol/generated/alter_user_scram_credentials_response.h"
#include "protocol/generated/api_versions_request.h"
#include "protocol/generated/api_versions_response.h"
#include "protocol/generated/consumer_group_describe_request.h"
#include "protocol/generated/consumer_group_describe_response.h"
#include "protocol/generated/consumer_group_heartbeat_request.h"
#include "protocol/generated/consumer_group_heartbeat_response.h"
#include "protocol/generated/create_acls_request.h"
#include "protocol/generated/create_acls_response.h"
#include "protocol/generated/create_partitions_request.h"
#include "protocol/generated/create_partitions_response.h"
#include "protocol/generated/create_topics_request.h"
#include "protocol/generated/create_topics_response.h"
#include "protocol/generated/delete_acls_request.h"
#include "protocol/generated/delete_acls_response.h"
#include "protocol/generated/delete_groups_request.h"
#include "protocol/generated/delete_groups_response.h"
#include "protocol/generated/delete_records_request.h"
#include "protocol/generated/delete_records_response.h"
#include "protocol/generated/delete_topics_request.h"
#include "protocol/generated/delete_topics_response.h"
#include "protocol/generated/describe_acls_request.h"
#include "protocol/generated/describe_acls_response.h"
#include "protocol/generated/describe_client_quotas_request.h"
#include "protocol/generated/describe_client_quotas_response.h"
#include "protocol/generated/describe_cluster_request.h"
#include "protocol/generated/describe_cluster_response.h"
#include "protocol/generated/describe_configs_request.h"
#include "protocol/generated/describe_configs_response.h"
#include "protocol/generated/describe_groups_request.h"
#include "protocol/generated/describe_groups_response.h"
#include "protocol/generated/describe_log_dirs_request.h"
#include "protocol/generated/describe_log_dirs_response.h"
#include "protocol/generated/describe_producers_request.h"
#include "protocol/generated/describe_producers_response.h"
#include "protocol/generated/describe_topic_partitions_request.h"
#include "protocol/generated/describe_topic_partitions_response.h"
#include "protocol/generated/describe_transactions_request.h"
#include "protocol/generated/describe_transactions_response.h"
#include "protocol/generated/describe_user_scram_credentials_request.h"
#include "protocol/generated/describe_user_scram_credentials_response.h"
#include "protocol/generated/end_txn_request.h"
#include "protocol/generated/end_txn_response.h"
#include "protocol/generated/fetch_request.h"
#include "protocol/generated/fetch_response.h"
#include "protocol/generated/find_coordinator_request.h"
#include "protocol/generated/find_coordinator_response.h"
#include "protocol/generated/heartbeat_request.h"
#include "protocol/generated/heartbeat_response.h"
#include "protocol/generated/incremental_alter_configs_request.h"
#include "protocol/generated/incremental_alter_configs_response.h"
#include "protocol/generated/init_producer_id_request.h"
#include "protocol/generated/init_producer_id_response.h"
#include "protocol/generated/join_group_request.h"
#include "protocol/generated/join_group_response.h"
#include "protocol/generated/leave_group_request.h"
#include "protocol/generated/leave_group_response.h"
#include "protocol/generated/list_groups_request.h"
#include "protocol/generated/list_groups_response.h"
#include "protocol/generated/list_offsets_request.h"
#include "protocol/generated/list_offsets_response.h"
#include "protocol/generated/list_transactions_request.h"
#include "protocol/generated/list_transactions_response.h"
#include "protocol/generated/metadata_request.h"
#include "protocol/generated/metadata_response.h"
#include "protocol/generated/offset_commit_request.h"
#include "protocol/generated/offset_commit_response.h"
#include "protocol/generated/offset_delete_request.h"
#include "protocol/generated/offset_delete_response.h"
#include "protocol/generated/offset_fetch_request.h"
#include "protocol/generated/offset_fetch_response.h"
#include "protocol/generated/offset_for_leader_epoch_request.h"
#include "protocol/generated/offset_for_leader_epoch_response.h"
#include "protocol/generated/produce_request.h"
#include "protocol/generated/produce_response.h"
#include "protocol/generated/sasl_authenticate_request.h"
#include "protocol/generated/sasl_authenticate_response.h"
#include "protocol/generated/sasl_handshake_request.h"
#include "protocol/generated/sasl_handshake_response.h"
#include "protocol/generated/sync_group_request.h"
#include "protocol/generated/sync_group_response.h"
#include "protocol/generated/txn_offset_commit_request.h"
#include "protocol/generated/txn_offset_commit_response.h"
#include "protocol/generated/update_features_request.h"
#include "protocol/generated/update_features_response.h"
#include "protocol/generated/write_txn_markers_request.h"
#include "protocol/generated/write_txn_markers_response.h"

namespace brook::broker::handlers {

asio::awaitable<protocol::api_versions_response> api_versions(request_context&,
                                                              protocol::api_versions_request&);
// The ApiVersions answer for a request version Brook lacks: v0 body, UNSUPPORTED_VERSION, and the
// ApiVersions range so the client can retry with a version it finds there.
asio::awaitable<protocol::update_features_response> update_features(
    request_context&, protocol::update_features_request&);
net::response_frame api_versions_unsupported(int32_t correlation_id);

asio::awaitable<protocol::metadata_response> metadata(request_context&,
                                                      protocol::metadata_request&);
asio::awaitable<protocol::create_topics_response> create_topics(request_context&,
                                                                protocol::create_topics_request&);
asio::awaitable<protocol::delete_topics_response> delete_topics(request_context&,
                                                                protocol::delete_topics_request&);
// nullopt for acks=0, which gets no answer.
asio::awaitable<std::optional<protocol::produce_response>> produce(request_context&,
                                                                   protocol::produce_request&);
asio::awaitable<protocol::fetch_response> fetch(request_context&, protocol::fetch_request&);
// Bytes of a Fetch response that stay in segment files until sent.
size_t fetch_file_bytes(const protocol::fetch_response& r);
asio::awaitable<protocol::list_offsets_response> list_offsets(request_context&,
                                                              protocol::list_offsets_request&);
// Transaction markers from the transaction coordinator (txn_markers.cc).
asio::awaitable<protocol::write_txn_markers_response> write_txn_markers(
    request_context&, protocol::write_txn_markers_request&);

asio::awaitable<protocol::describe_cluster_response> describe_cluster(
    request_context&, protocol::describe_cluster_request&);
asio::awaitable<protocol::describe_topic_partitions_response> describe_topic_partitions(
    request_context&, protocol::describe_topic_partitions_request&);
asio::awaitable<protocol::describe_configs_response> describe_configs(
    request_context&, protocol::describe_configs_request&);
asio::awaitable<protocol::alter_configs_response> alter_configs(request_context&,
                                                                protocol::alter_configs_request&);
asio::awaitable<protocol::incremental_alter_configs_response> incremental_alter_configs(
    request_context&, protocol::incremental_alter_configs_request&);
// Client quotas (quotas.cc).
asio::awaitable<protocol::describe_client_quotas_response> describe_client_quotas(
    request_context&, protocol::describe_client_quotas_request&);
asio::awaitable<protocol::alter_client_quotas_response> alter_client_quotas(
    request_context&, protocol::alter_client_quotas_request&);
// A client's view of the leader epoch against the partition's (-1: not checked): 0, or
// FENCED_LEADER_EPOCH when the client's is older, UNKNOWN_LEADER_EPOCH when it is newer.
int16_t check_leader_epoch(int32_t current, int32_t leader_epoch);

// Consumer groups (groups.cc).
asio::awaitable<protocol::find_coordinator_response> find_coordinator(
    request_context&, protocol::find_coordinator_request&);
asio::awaitable<protocol::join_group_response> join_group(request_context&,
                                                          protocol::join_group_request&);
asio::awaitable<protocol::sync_group_response> sync_group(request_context&,
                                                          protocol::sync_group_request&);
asio::awaitable<protocol::heartbeat_response> heartbeat(request_context&,
                                                        protocol::heartbeat_request&);
asio::awaitable<protocol::leave_group_response> leave_group(request_context&,
                                                            protocol::leave_group_request&);
asio::awaitable<protocol::offset_commit_response> offset_commit(request_context&,
                                                                protocol::offset_commit_request&);
asio::awaitable<protocol::offset_fetch_response> offset_fetch(request_context&,
                                                              protocol::offset_fetch_request&);
asio::awaitable<protocol::offset_delete_response> offset_delete(request_context&,
                                                                protocol::offset_delete_request&);
asio::awaitable<protocol::describe_groups_response> describe_groups(
    request_context&, protocol::describe_groups_request&);
asio::awaitable<protocol::list_groups_response> list_groups(request_context&,
                                                            protocol::list_groups_request&);
asio::awaitable<protocol::delete_groups_response> delete_groups(request_context&,
                                                                protocol::delete_groups_request&);
asio::awaitable<protocol::consumer_group_heartbeat_response> consumer_group_heartbeat(
    request_context&, protocol::consumer_group_heartbeat_request&);
asio::awaitable<protocol::consumer_group_describe_response> consumer_group_describe(
    request_context&, protocol::consumer_group_describe_request&);
asio::awaitable<protocol::init_producer_id_response> init_producer_id(
    request_context&, protocol::init_producer_id_request&);
asio::awaitable<protocol::describe_producers_response> describe_producers(
    request_context&, protocol::describe_producers_request&);
asio::awaitable<protocol::add_partitions_to_txn_response> add_partitions_to_txn(
    request_context&, protocol::add_partitions_to_txn_request&);
asio::awaitable<protocol::add_offsets_to_txn_response> add_offsets_to_txn(
    request_context&, protocol::add_offsets_to_txn_request&);
asio::awaitable<protocol::end_txn_response> end_txn(request_context&, protocol::end_txn_request&);
asio::awaitable<protocol::describe_transactions_response> describe_transactions(
    request_context&, protocol::describe_transactions_request&);
asio::awaitable<protocol::list_transactions_response> list_transactions(
    request_context&, protocol::list_transactions_request&);
asio::awaitable<protocol::txn_offset_commit_response> txn_offset_commit(
    request_context&, protocol::txn_offset_commit_request&);

// Kafka's refusal of a manual replica assignment (empty, a broker twice, an unknown broker, or
// another replica count than the partitions before it), or nothing when it is valid.
std::optional<std::string> check_manual_assignment(const std::vector<int32_t>& replicas,
                                                   int32_t node_id,
                                                   std::optional<size_t> replication_factor);
asio::awaitable<protocol::create_partitions_response> create_partitions(
    request_context&, protocol::create_partitions_request&);
asio::awaitable<protocol::delete_records_response> delete_records(
    request_context&, protocol::delete_records_request&);
asio::awaitable<protocol::offset_for_leader_epoch_response> offset_for_leader_epoch(
    request_context&, protocol::offset_for_leader_epoch_request&);
asio::awaitable<protocol::describe_log_dirs_response> describe_log_dirs(
    request_context&, protocol::describe_log_dirs_request&);
asio::awaitable<protocol::describe_user_scram_credentials_response> describe_user_scram_credentials(
    request_context&, protocol::describe_user_scram_credentials_request&);
asio::awaitable<protocol::alter_user_scram_credentials_response> alter_user_scram_credentials(
    request_context&, protocol::alter_user_scram_credentials_request&);

// SASL (sasl.cc): the two APIs, whether the connection is on a SASL listener, and the raw
// tokens that follow SaslHandshake v0.
asio::awaitable<std::optional<net::response_frame>> sasl_handshake(request_context&, wire::reader&);
asio::awaitable<std::optional<net::response_frame>> sasl_authenticate(request_context&,
                                                                      wire::reader&);
bool is_sasl_listener(const net::connection_info& conn);
bool expects_raw_sasl_token(const net::connection_info& conn);
// Throws to close the connection when authentication fails.
net::response_frame raw_sasl_token(broker& b, const net::connection_info& conn,
                                   const wire::byte_buffer& frame);

// ACLs (acls.cc).
asio::awaitable<protocol::create_acls_response> create_acls(request_context&,
                                                            protocol::create_acls_request&);
asio::awaitable<protocol::describe_acls_response> describe_acls(request_context&,
                                                                protocol::describe_acls_request&);
asio::awaitable<protocol::delete_acls_response> delete_acls(request_context&,
                                                            protocol::delete_acls_request&);

}  // namespace brook::broker::handlers
