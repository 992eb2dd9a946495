// DescribeClientQuotas. Brook keeps no client quotas, so every valid filter matches nothing, as in
// a Kafka cluster where none were set; the filter is checked as Kafka's ClientQuotasImage checks
// it. kafka-configs --describe --entity-type users asks for quotas before SCRAM credentials.
#include <map>
#include <set>

#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

asio::awaitable<protocol::describe_client_quotas_response> describe_client_quotas(
    request_context&, protocol::describe_client_quotas_request& req) {
  using protocol::error_code;
  protocol::describe_client_quotas_response r;
  auto refuse = [&](error_code e, std::string message) {
    r.error_code = static_cast<int16_t>(e);
    r.error_message = std::move(message);
    r.entries = std::nullopt;
    return r;
  };
  std::set<std::string> seen;
  for (const auto& c : req.components) {
    if (c.entity_type.empty())
      co_return refuse(error_code::invalid_request, "Invalid empty entity type.");
    if (!seen.insert(c.entity_type).second)
      co_return refuse(
          error_code::invalid_request,
          "Entity type " + c.entity_type + " cannot appear more than once in the filter.");
    if (c.entity_type != "ip" && c.entity_type != "user" && c.entity_type != "client-id")
      co_return refuse(error_code::unsupported_version, "Unsupported entity type " + c.entity_type);
    switch (c.match_type) {
      case 0:  // exact
        if (!c.match)
          co_return refuse(error_code::invalid_request,
                           "Request specified MATCH_TYPE_EXACT, but set match string to null.");
        break;
      case 1:  // default
        if (c.match)
          co_return refuse(
              error_code::invalid_request,
              "Request specified MATCH_TYPE_DEFAULT, but also specified a match string.");
        break;
      case 2:  // specified
        if (c.match)
          co_return refuse(
              error_code::invalid_request,
              "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.");
        break;
      default:
        co_return refuse(error_code::invalid_request,
                         "Unknown match type " + std::to_string(c.match_type));
    }
  }
  if (seen.contains("ip") && (seen.contains("user") || seen.contains("client-id")))
    co_return refuse(error_code::invalid_request,
                     "Invalid entity filter component combination. IP filter component should not "
                     "be used with user or clientId filter component.");
  co_return r;
}

}  // namespace brook::broker::handlers
