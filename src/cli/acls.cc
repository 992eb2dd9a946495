// `brook acls` (list, create, delete ACLs) and `brook users` (SCRAM credentials).
#include <fmt/format.h>

#include <iostream>

#include "cli/cli.h"
#include "client/errors.h"

namespace brook::cli {

namespace {

using namespace client;

// The resource named by --topic/--group/--cluster/--transactional-id or --resource-type and
// --resource-name; nullopt type when none is named.
std::pair<std::optional<resource_type>, std::optional<std::string>> resource_of(context& ctx) {
  std::optional<resource_type> type;
  std::optional<std::string> name;
  int given = 0;
  if (auto t = ctx.get("topic")) type = resource_type::topic, name = *t, ++given;
  if (auto g = ctx.get("group")) type = resource_type::group, name = *g, ++given;
  if (auto x = ctx.get("transactional-id"))
    type = resource_type::transactional_id, name = *x, ++given;
  if (ctx.has("cluster")) type = resource_type::cluster, name = "kafka-cluster", ++given;
  if (auto t = ctx.get("resource-type")) type = parse_resource_type(*t), ++given;
  if (given > 1) throw usage_error("name the resource once");
  if (auto n = ctx.get("resource-name")) name = *n;
  return {type, name};
}

acl_filter filter_of(context& ctx) {
  acl_filter f;
  auto [type, name] = resource_of(ctx);
  if (type) f.resource = *type;
  f.resource_name = name;
  if (auto p = ctx.get("pattern-type")) f.pattern = parse_pattern_type(*p);
  f.principal = ctx.get("principal");
  f.host = ctx.get("host");
  const auto ops = ctx.all("operation");
  if (ops.size() > 1) throw usage_error("a filter takes one --operation");
  if (!ops.empty()) f.operation = parse_acl_operation(ops.front());
  if (auto p = ctx.get("permission")) f.permission = parse_acl_permission(*p);
  return f;
}

void print_acls(context& ctx, const std::vector<acl_binding>& acls) {
  table t({"principal", "host", "operation", "permission", "resource_type", "resource_name",
           "pattern_type"});
  for (const auto& b : acls)
    t.add({b.principal, b.host, std::string(to_string(b.operation)),
           std::string(to_string(b.permission)), std::string(to_string(b.resource)),
           b.resource_name, std::string(to_string(b.pattern))});
  t.print(std::cout, ctx.json());
}

int create(context& ctx) {
  auto [type, name] = resource_of(ctx);
  if (!type || !name) throw usage_error("name a resource (--topic, --group, --cluster, ...)");
  const auto ops = ctx.all("operation");
  if (ops.empty()) throw usage_error("--operation is required");
  std::vector<acl_binding> acls;
  for (const auto& op : ops) {
    acl_binding b;
    b.resource = *type;
    b.resource_name = *name;
    b.pattern = parse_pattern_type(ctx.get("pattern-type").value_or("literal"));
    b.principal = ctx.need("principal");
    b.host = ctx.get("host").value_or("*");
    b.operation = parse_acl_operation(op);
    b.permission = parse_acl_permission(ctx.get("permission").value_or("allow"));
    acls.push_back(std::move(b));
  }
  ctx.admin().create_acls(acls);
  if (!ctx.json()) fmt::print("Created {} ACL{}:\n\n", acls.size(), acls.size() == 1 ? "" : "s");
  print_acls(ctx, acls);
  return 0;
}

int users_list(context& ctx) {
  const auto users = ctx.admin().describe_user_scram_credentials(ctx.all("user"));
  table t({"user", "mechanism", "iterations"});
  for (const auto& u : users)
    for (const auto& c : u.credentials)
      t.add({u.user, std::string(to_string(c.mechanism)), int64_t{c.iterations}});
  t.print(std::cout, ctx.json());
  return 0;
}

int users_set_password(context& ctx) {
  const std::string user = ctx.need("user");
  std::string password = ctx.need("password");
  if (password == "-") {
    if (!std::getline(std::cin, password)) throw usage_error("no password on standard input");
    if (!password.empty() && password.back() == '\r') password.pop_back();
  }
  if (password.empty()) throw usage_error("the password is empty");
  const auto m = parse_scram_mechanism(ctx.get("mechanism").value_or("SCRAM-SHA-256"));
  const auto iterations = static_cast<int32_t>(ctx.get_int("iterations").value_or(4096));
  ctx.admin().alter_user_scram_credentials(
      {scram_alteration::upsert(user, m, password, iterations)});
  report(ctx, fmt::format("Set the {} credential of {}.", to_string(m), user),
         {{"user", user},
          {"mechanism", std::string(to_string(m))},
          {"iterations", int64_t{iterations}}});
  return 0;
}

int users_delete(context& ctx) {
  const std::string user = ctx.need("user");
  auto& a = ctx.admin();
  std::vector<scram_mechanism> mechanisms;
  if (auto m = ctx.get("mechanism")) {
    mechanisms.push_back(parse_scram_mechanism(*m));
  } else {
    const auto described = a.describe_user_scram_credentials({user});
    for (const auto& c : described.at(0).credentials) mechanisms.push_back(c.mechanism);
  }
  // One alteration per request: Kafka refuses two of one user in one request.
  std::string names;
  for (auto m : mechanisms) {
    a.alter_user_scram_credentials({scram_alteration::deletion(user, m)});
    names += fmt::format("{}{}", names.empty() ? "" : ", ", to_string(m));
  }
  report(ctx,
         fmt::format("Deleted the {} credential{} of {}.", names, mechanisms.size() == 1 ? "" : "s",
                     user),
         {{"user", user}, {"deleted", names}});
  return 0;
}

}  // namespace

int acls_command(context& ctx) {
  const std::string sub = ctx.subcommand();
  if (sub == "list") {
    print_acls(ctx, ctx.admin().describe_acls(filter_of(ctx)));
    return 0;
  }
  if (sub == "create") return create(ctx);
  if (sub == "delete") {
    const auto deleted = ctx.admin().delete_acls({filter_of(ctx)});
    if (!ctx.json())
      fmt::print("Deleted {} ACL{}:\n\n", deleted.size(), deleted.size() == 1 ? "" : "s");
    print_acls(ctx, deleted);
    return 0;
  }
  throw usage_error(sub.empty() ? "which subcommand? list, create or delete"
                                : fmt::format("unknown subcommand '{}'", sub));
}

int users_command(context& ctx) {
  const std::string sub = ctx.subcommand();
  if (sub == "list") return users_list(ctx);
  if (sub == "set-password") return users_set_password(ctx);
  if (sub == "delete") return users_delete(ctx);
  throw usage_error(sub.empty() ? "which subcommand? list, set-password or delete"
                                : fmt::format("unknown subcommand '{}'", sub));
}

}  // namespace brook::cli
