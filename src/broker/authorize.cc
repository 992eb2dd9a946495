#include "broker/authorize.h"

#include <string>

#include "broker/broker.h"

namespace brook::broker {

namespace {

struct who {
  std::string host;
  security::requester r;
  explicit who(request_context& ctx)
      : host(ctx.connection.peer.address().to_string()), r{ctx.connection.auth->principal, host} {}
};

}  // namespace

bool authorizer_enabled(request_context& ctx) { return ctx.b.options().authorizer.enabled; }

bool authorize(request_context& ctx, acl_operation op, resource_type type, std::string_view name) {
  const auto& config = ctx.b.options().authorizer;
  if (!config.enabled) return true;
  who w(ctx);
  return security::authorize(config, ctx.b.local().cluster->acls, w.r, op, type, name);
}

bool authorize_any(request_context& ctx, acl_operation op, resource_type type) {
  const auto& config = ctx.b.options().authorizer;
  if (!config.enabled) return true;
  who w(ctx);
  return security::authorize_any(config, ctx.b.local().cluster->acls, w.r, op, type);
}

int32_t authorized_operations(request_context& ctx, resource_type type, std::string_view name) {
  who w(ctx);
  return security::authorized_operations(ctx.b.options().authorizer, ctx.b.local().cluster->acls,
                                         w.r, type, name);
}

}  // namespace brook::broker
