#include <algorithm>
#include <vector>

#include "broker/handler.h"
#include "broker/handlers/handlers.h"

namespace brook::broker {

namespace {

using protocol::api_key;
namespace h = handlers;
namespace p = protocol;

// Every version the codec has for `key` (the union of Kafka 3.9 and 4.x), except a newest version
// that Kafka marks unstable: Kafka does not advertise those either.
handler_spec all_versions(api_key key, handler_fn fn) {
  const auto* info = p::find_api(static_cast<int16_t>(key));
  int16_t max = info->max_version;
  if (info->latest_version_unstable) --max;
  return {key, info->min_version, max, fn};
}

// One line per API Brook serves: key, the versions it serves, the handler.
const std::vector<handler_spec> k_handlers{
    all_versions(api_key::produce, typed_handler<p::produce_request, h::produce>),
    all_versions(api_key::fetch, typed_handler<p::fetch_request, h::fetch, h::fetch_file_bytes>),
    all_versions(api_key::list_offsets, typed_handler<p::list_offsets_request, h::list_offsets>),
    all_versions(api_key::metadata, typed_handler<p::metadata_request, h::metadata>),
    all_versions(api_key::sasl_handshake, h::sasl_handshake),
    all_versions(api_key::api_versions, typed_handler<p::api_versions_request, h::api_versions>),
    all_versions(api_key::create_topics, typed_handler<p::create_topics_request, h::create_topics>),
    all_versions(api_key::delete_topics, typed_handler<p::delete_topics_request, h::delete_topics>),
    all_versions(api_key::delete_records,
                 typed_handler<p::delete_records_request, h::delete_records>),
    all_versions(api_key::offset_for_leader_epoch,
                 typed_handler<p::offset_for_leader_epoch_request, h::offset_for_leader_epoch>),
    all_versions(api_key::describe_configs,
                 typed_handler<p::describe_configs_request, h::describe_configs>),
    all_versions(api_key::describe_acls, typed_handler<p::describe_acls_request, h::describe_acls>),
    all_versions(api_key::create_acls, typed_handler<p::create_acls_request, h::create_acls>),
    all_versions(api_key::delete_acls, typed_handler<p::delete_acls_request, h::delete_acls>),
    all_versions(api_key::alter_configs, typed_handler<p::alter_configs_request, h::alter_configs>),
    all_versions(api_key::describe_log_dirs,
                 typed_handler<p::describe_log_dirs_request, h::describe_log_dirs>),
    all_versions(api_key::create_partitions,
                 typed_handler<p::create_partitions_request, h::create_partitions>),
    all_versions(api_key::incremental_alter_configs,
                 typed_handler<p::incremental_alter_configs_request, h::incremental_alter_configs>),
    all_versions(api_key::update_features,
                 typed_handler<p::update_features_request, h::update_features>),
    all_versions(api_key::describe_cluster,
                 typed_handler<p::describe_cluster_request, h::describe_cluster>),
    all_versions(api_key::describe_user_scram_credentials,
                 typed_handler<p::describe_user_scram_credentials_request,
                               h::describe_user_scram_credentials>),
    all_versions(
        api_key::alter_user_scram_credentials,
        typed_handler<p::alter_user_scram_credentials_request, h::alter_user_scram_credentials>),
    all_versions(api_key::find_coordinator,
                 typed_handler<p::find_coordinator_request, h::find_coordinator>),
    all_versions(api_key::join_group, typed_handler<p::join_group_request, h::join_group>),
    all_versions(api_key::sync_group, typed_handler<p::sync_group_request, h::sync_group>),
    all_versions(api_key::heartbeat, typed_handler<p::heartbeat_request, h::heartbeat>),
    all_versions(api_key::leave_group, typed_handler<p::leave_group_request, h::leave_group>),
    all_versions(api_key::offset_commit, typed_handler<p::offset_commit_request, h::offset_commit>),
    all_versions(api_key::offset_fetch, typed_handler<p::offset_fetch_request, h::offset_fetch>),
    all_versions(api_key::offset_delete, typed_handler<p::offset_delete_request, h::offset_delete>),
    all_versions(api_key::describe_groups,
                 typed_handler<p::describe_groups_request, h::describe_groups>),
    all_versions(api_key::list_groups, typed_handler<p::list_groups_request, h::list_groups>),
    all_versions(api_key::delete_groups, typed_handler<p::delete_groups_request, h::delete_groups>),
    all_versions(api_key::consumer_group_heartbeat,
                 typed_handler<p::consumer_group_heartbeat_request, h::consumer_group_heartbeat>),
    all_versions(api_key::consumer_group_describe,
                 typed_handler<p::consumer_group_describe_request, h::consumer_group_describe>),
    all_versions(api_key::init_producer_id,
                 typed_handler<p::init_producer_id_request, h::init_producer_id>),
    all_versions(api_key::describe_producers,
                 typed_handler<p::describe_producers_request, h::describe_producers>),
    all_versions(api_key::write_txn_markers,
                 typed_handler<p::write_txn_markers_request, h::write_txn_markers>),
    all_versions(api_key::add_partitions_to_txn,
                 typed_handler<p::add_partitions_to_txn_request, h::add_partitions_to_txn>),
    all_versions(api_key::add_offsets_to_txn,
                 typed_handler<p::add_offsets_to_txn_request, h::add_offsets_to_txn>),
    all_versions(api_key::end_txn, typed_handler<p::end_txn_request, h::end_txn>),
    all_versions(api_key::txn_offset_commit,
                 typed_handler<p::txn_offset_commit_request, h::txn_offset_commit>),
    all_versions(api_key::describe_transactions,
                 typed_handler<p::describe_transactions_request, h::describe_transactions>),
    all_versions(api_key::list_transactions,
                 typed_handler<p::list_transactions_request, h::list_transactions>),
    all_versions(api_key::sasl_authenticate, h::sasl_authenticate),
    all_versions(api_key::describe_client_quotas,
                 typed_handler<p::describe_client_quotas_request, h::describe_client_quotas>),
    all_versions(api_key::alter_client_quotas,
                 typed_handler<p::alter_client_quotas_request, h::alter_client_quotas>),
    all_versions(api_key::describe_topic_partitions,
                 typed_handler<p::describe_topic_partitions_request, h::describe_topic_partitions>),
};

}  // namespace

std::span<const handler_spec> handler_list() { return k_handlers; }

const handler_spec* find_handler(int16_t key) {
  auto it = std::find_if(k_handlers.begin(), k_handlers.end(),
                         [&](const handler_spec& h) { return static_cast<int16_t>(h.key) == key; });
  return it == k_handlers.end() ? nullptr : &*it;
}

}  // namespace brook::broker
