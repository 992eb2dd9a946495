#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {

// KIP-511: the client's software name and version must match this, else INVALID_REQUEST.
bool valid_software_field(const std::string& s) {
  static const std::regex pattern("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");
  return std::regex_match(s, pattern);
}

void add_api_keys(protocol::api_versions_response& r) {
  for (const auto& h : handler_list()) {
    auto& k = r.api_keys.emplace_back();
    k.api_key = static_cast<int16_t>(h.key);
    k.min_version = h.min_version;
    k.max_version = h.max_version;
  }
}

}  // namespace

asio::awaitable<protocol::api_versions_response> api_versions(request_context& ctx,
                                                              protocol::api_versions_request& req) {
  protocol::api_versions_response r;
  if (ctx.version >= 3 && (!valid_software_field(req.client_software_name) ||
                           !valid_software_field(req.client_software_version))) {
    r.error_code = static_cast<int16_t>(protocol::error_code::invalid_request);
    co_return r;
  }
  // KIP-1242: a client that names the cluster and node it means to reach learns when it reached
  // another one.
  if (ctx.version >= 5 && ((req.cluster_id && *req.cluster_id != ctx.b.cluster_id()) ||
                           (req.node_id != -1 && req.node_id != ctx.b.node_id()))) {
    r.error_code = static_cast<int16_t>(protocol::error_code::rebootstrap_required);
    co_return r;
  }
  add_api_keys(r);
  // Feature levels (v3+), as UpdateFeatures left them: group.version 1 turns on the consumer
  // protocol of KIP-848, transaction.version 2 the transactions of KIP-890 part 2 (EndTxn v5,
  // Produce v12 and TxnOffsetCommit v5 in a transaction); clients of version 1 are served as
  // well. Before v4 a supported range starting at 0 is left out, as Kafka does (older clients
  // cannot read it).
  const auto& cluster = *ctx.b.local().cluster;
  for (const auto& f : supported_features()) {
    if (ctx.version >= 4 || f.min_level > 0) {
      auto& sf = r.supported_features.emplace_back();
      sf.name = f.name;
      sf.min_version = f.min_level;
      sf.max_version = f.max_level;
    }
    if (const int16_t level = cluster.feature_level(f.name); level > 0) {
      auto& ff = r.finalized_features.emplace_back();
      ff.name = f.name;
      ff.min_version_level = level;
      ff.max_version_level = level;
    }
  }
  r.finalized_features_epoch = cluster.features_epoch;
  co_return r;
}

asio::awaitable<protocol::update_features_response> update_features(
    request_context& ctx, protocol::update_features_request& req) {
  using protocol::error_code;
  protocol::update_features_response r;
  r.error_message = std::nullopt;
  const int16_t v = ctx.version;
  auto cluster = ctx.b.local().cluster;
  if (!authorize_cluster(ctx, acl_operation::alter)) {
    r.error_code = static_cast<int16_t>(error_code::cluster_authorization_failed);
    r.error_message = std::string(k_cluster_auth_message);
    if (v < 2)
      for (const auto& u : req.feature_updates)
        r.results.push_back({u.feature, r.error_code, r.error_message, {}});
    co_return r;
  }
  // Kafka's checks, in request order; the first refusal fails them all.
  std::map<std::string, int16_t> levels;
  std::optional<std::string> refusal;
  for (const auto& u : req.feature_updates) {
    const feature_spec* spec = nullptr;
    for (const auto& f : supported_features())
      if (u.feature == f.name) spec = &f;
    // Below 1 asks for the feature to be dropped (level 0).
    const int16_t level = std::max<int16_t>(u.max_version_level, 0);
    // v0 has AllowDowngrade; v1 the upgrade type (1 upgrade, 2 safe, 3 unsafe downgrade).
    const bool downgrade_allowed = v == 0 ? u.allow_downgrade : u.upgrade_type >= 2;
    const bool known_type = v == 0 || (u.upgrade_type >= 1 && u.upgrade_type <= 3);
    const auto invalid =
        fmt::format("Invalid update version {} for feature {}.", u.max_version_level, u.feature);
    if (!spec) {
      refusal = fmt::format("{} Local controller {} does not support this feature.", invalid,
                            ctx.b.node_id());
    } else if (level < spec->min_level || level > spec->max_level) {
      refusal = fmt::format("{} Local controller {} only supports versions {}-{}", invalid,
                            ctx.b.node_id(), spec->min_level, spec->max_level);
    } else if (!known_type) {
      refusal = invalid + " The controller does not support the given upgrade type.";
    } else if (level < cluster->feature_level(u.feature) && !downgrade_allowed) {
      refusal = invalid +
                " Can't downgrade the version of this feature without setting the upgrade type "
                "to either safe or unsafe downgrade.";
    }
    if (refusal) break;
    if (level != cluster->feature_level(u.feature)) levels[u.feature] = level;
  }
  if (refusal) {
    r.error_code = static_cast<int16_t>(error_code::invalid_update_version);
    r.error_message =
        "The update failed for all features since the following feature had an error: " + *refusal;
    co_return r;
  }
  if (!req.validate_only && !levels.empty()) {
    auto done = co_await ctx.b.update_features(std::move(levels));
    if (done.error_code != 0) {
      r.error_code = done.error_code;
      r.error_message = done.message;
      co_return r;
    }
  }
  // v0 and v1 list each feature's result.
  if (v < 2)
    for (const auto& u : req.feature_updates) r.results.push_back({u.feature, 0, "NONE", {}});
  co_return r;
}

net::response_frame api_versions_unsupported(int32_t correlation_id) {
  protocol::api_versions_response r;
  r.error_code = static_cast<int16_t>(protocol::error_code::unsupported_version);
  const auto* h = find_handler(static_cast<int16_t>(protocol::api_key::api_versions));
  auto& k = r.api_keys.emplace_back();
  k.api_key = static_cast<int16_t>(protocol::api_key::api_versions);
  k.min_version = h->min_version;
  k.max_version = h->max_version;
  return encode_response(static_cast<int16_t>(protocol::api_key::api_versions), 0, correlation_id,
                         r);
}

}  // namespace brook::broker::handlers
