#include <regex>

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
  // Feature levels (v3+): group.version 1 turns on the consumer protocol of KIP-848,
  // transaction.version 2 the transactions of KIP-890 part 2 (EndTxn v5, Produce v12 and
  // TxnOffsetCommit v5 in a transaction); clients of version 1 are served as well.
  for (const auto& [name, level] : {std::pair{"group.version", 1}, {"transaction.version", 2}}) {
    auto& sf = r.supported_features.emplace_back();
    sf.name = name;
    sf.min_version = 0;
    sf.max_version = static_cast<int16_t>(level);
    auto& ff = r.finalized_features.emplace_back();
    ff.name = name;
    ff.min_version_level = static_cast<int16_t>(level);
    ff.max_version_level = static_cast<int16_t>(level);
  }
  r.finalized_features_epoch = 1;
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
