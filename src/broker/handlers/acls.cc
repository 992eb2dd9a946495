// CreateAcls, DescribeAcls and DeleteAcls: the ACLs kept in the cluster metadata (cluster_state.h)
// that the authorizer reads (security/acl.h). Without an authorizer they answer
// SECURITY_DISABLED, as Kafka does; with one they need ALTER (create, delete) or DESCRIBE
// (describe) on the cluster.
#include <map>
#include <tuple>

#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

security::acl_filter filter_of(int8_t type, const std::optional<std::string>& name, int8_t pattern,
                               const std::optional<std::string>& principal,
                               const std::optional<std::string>& host, int8_t operation,
                               int8_t permission) {
  return {security::resource_type_from(type),
          name,
          security::pattern_type_from(pattern),
          principal,
          host,
          security::operation_from(operation),
          security::permission_from(permission)};
}
// Why an ACL API is refused before it is looked at: the caller lacks `op` on the cluster, or
// there is no authorizer.
struct refusal {
  error_code error;
  std::string_view message;
};
std::optional<refusal> refuse(request_context& ctx, acl_operation op) {
  if (!authorize_cluster(ctx, op))
    return refusal{error_code::cluster_authorization_failed, k_cluster_auth_message};
  if (!authorizer_enabled(ctx))
    return refusal{error_code::security_disabled, k_no_authorizer_message};
  return std::nullopt;
}
}  // namespace

asio::awaitable<protocol::create_acls_response> create_acls(request_context& ctx,
                                                            protocol::create_acls_request& req) {
  protocol::create_acls_response r;
  if (auto no = refuse(ctx, acl_operation::alter)) {
    for (size_t i = 0; i < req.creations.size(); ++i)
      r.results.push_back({code(no->error), std::string(no->message), {}});
    co_return r;
  }
  std::vector<security::acl_binding> valid;
  for (const auto& c : req.creations) {
    auto& out = r.results.emplace_back();
    out.error_message = std::nullopt;
    security::acl_binding b{security::resource_type_from(c.resource_type),
                            c.resource_name,
                            security::pattern_type_from(c.resource_pattern_type),
                            c.principal,
                            c.host,
                            security::operation_from(c.operation),
                            security::permission_from(c.permission_type)};
    if (auto why = security::validate_new_acl(b)) {
      out.error_code = code(error_code::invalid_request);
      out.error_message = std::move(*why);
      continue;
    }
    valid.push_back(std::move(b));
  }
  if (valid.empty()) co_return r;
  auto done = co_await ctx.b.create_acls(std::move(valid));
  if (done.error_code != 0)
    for (auto& out : r.results)
      if (out.error_code == 0) {
        out.error_code = done.error_code;
        out.error_message = done.message;
      }
  co_return r;
}

asio::awaitable<protocol::describe_acls_response> describe_acls(
    request_context& ctx, protocol::describe_acls_request& req) {
  protocol::describe_acls_response r;
  r.error_message = std::nullopt;
  if (auto no = refuse(ctx, acl_operation::describe)) {
    r.error_code = code(no->error);
    // DescribeAcls words it its own way.
    r.error_message = no->error == error_code::security_disabled
                          ? "No Authorizer is configured on the broker"
                          : std::string(no->message);
    co_return r;
  }
  const auto f =
      filter_of(req.resource_type_filter, req.resource_name_filter, req.pattern_type_filter,
                req.principal_filter, req.host_filter, req.operation, req.permission_type);
  if (auto why = f.invalid_reason()) {
    r.error_code = code(error_code::invalid_request);
    r.error_message = std::move(*why);
    co_return r;
  }
  // One entry per resource pattern, in the set's order.
  std::map<std::tuple<int8_t, std::string, int8_t>, size_t> index;
  for (const auto& b : ctx.b.local().cluster->acls.find(f)) {
    auto key = std::tuple{static_cast<int8_t>(b.type), b.name, static_cast<int8_t>(b.pattern)};
    auto [it, fresh] = index.try_emplace(key, r.resources.size());
    if (fresh) {
      auto& res = r.resources.emplace_back();
      res.resource_type = std::get<0>(key);
      res.resource_name = b.name;
      res.pattern_type = std::get<2>(key);
    }
    r.resources[it->second].acls.push_back({b.principal,
                                            b.host,
                                            static_cast<int8_t>(b.operation),
                                            static_cast<int8_t>(b.permission),
                                            {}});
  }
  co_return r;
}

asio::awaitable<protocol::delete_acls_response> delete_acls(request_context& ctx,
                                                            protocol::delete_acls_request& req) {
  protocol::delete_acls_response r;
  if (auto no = refuse(ctx, acl_operation::alter)) {
    for (size_t i = 0; i < req.filters.size(); ++i) {
      auto& out = r.filter_results.emplace_back();
      out.error_code = code(no->error);
      out.error_message = std::string(no->message);
    }
    co_return r;
  }
  std::vector<security::acl_filter> valid;
  std::vector<size_t> slot;  // filter i's result index, for the valid ones
  for (const auto& f : req.filters) {
    auto& out = r.filter_results.emplace_back();
    out.error_message = std::nullopt;
    auto filter = filter_of(f.resource_type_filter, f.resource_name_filter, f.pattern_type_filter,
                            f.principal_filter, f.host_filter, f.operation, f.permission_type);
    if (auto why = filter.invalid_reason()) {
      out.error_code = code(error_code::invalid_request);
      out.error_message = std::move(*why);
      continue;
    }
    slot.push_back(r.filter_results.size() - 1);
    valid.push_back(std::move(filter));
  }
  if (valid.empty()) co_return r;
  auto done = co_await ctx.b.delete_acls(std::move(valid));
  for (size_t i = 0; i < slot.size(); ++i) {
    auto& out = r.filter_results[slot[i]];
    if (done.error_code != 0) {
      out.error_code = done.error_code;
      out.error_message = done.message;
      continue;
    }
    for (const auto& b : done.removed[i]) {
      auto& m = out.matching_acls.emplace_back();
      m.error_message = std::nullopt;
      m.resource_type = static_cast<int8_t>(b.type);
      m.resource_name = b.name;
      m.pattern_type = static_cast<int8_t>(b.pattern);
      m.principal = b.principal;
      m.host = b.host;
      m.operation = static_cast<int8_t>(b.operation);
      m.permission_type = static_cast<int8_t>(b.permission);
    }
  }
  co_return r;
}

}  // namespace brook::broker::handlers
