// DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554): the SCRAM credentials that
// SASL/SCRAM checks clients against, kept in the cluster metadata. Answers and refusals follow
// Kafka's KRaft controller (ScramControlManager) and metadata image (ScramImage). Results come in
// Kafka's groups (Alter: deletions, upsertions, refusals) and by user name within a group: Kafka's
// order follows hash maps, and clients look users up by name.
#include <fmt/format.h>

#include <map>
#include <set>

#include "broker/authorize.h"
#include "broker/broker.h"
#include "broker/handlers/handlers.h"
#include "protocol/errors.h"
#include "security/scram.h"

namespace brook::broker::handlers {

namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

struct api_error {
  error_code code = error_code::none;
  std::string message;
};
}  // namespace

asio::awaitable<protocol::describe_user_scram_credentials_response> describe_user_scram_credentials(
    request_context& ctx, protocol::describe_user_scram_credentials_request& req) {
  protocol::describe_user_scram_credentials_response r;
  if (!authorize_cluster(ctx, acl_operation::describe)) {
    r.error_code = static_cast<int16_t>(error_code::cluster_authorization_failed);
    r.error_message = std::string(k_cluster_auth_message);
    co_return r;
  }
  const auto cluster = ctx.b.local().cluster;
  // Each user asked for, and whether it was asked for more than once; no list: every user.
  std::map<std::string, bool> users;
  if (!req.users || req.users->empty()) {
    for (const auto& [user, mechanisms] : cluster->scram) users[user] = false;
  } else {
    for (const auto& u : *req.users) {
      auto [it, added] = users.emplace(u.name, false);
      if (!added) it->second = true;
    }
  }
  for (const auto& [user, duplicate] : users) {
    auto& result = r.results.emplace_back();
    result.user = user;
    if (duplicate) {
      result.error_code = code(error_code::duplicate_resource);
      result.error_message = fmt::format(
          "Cannot describe SCRAM credentials for the same user twice in a single request: {}",
          user);
      continue;
    }
    auto it = cluster->scram.find(user);
    if (it == cluster->scram.end()) {
      result.error_code = code(error_code::resource_not_found);
      result.error_message =
          fmt::format("Attempt to describe a user credential that does not exist: {}", user);
      continue;
    }
    for (const auto& [m, c] : it->second)
      result.credential_infos.push_back({security::mechanism_type(m), c.iterations, {}});
  }
  co_return r;
}

asio::awaitable<protocol::alter_user_scram_credentials_response> alter_user_scram_credentials(
    request_context& ctx, protocol::alter_user_scram_credentials_request& req) {
  protocol::alter_user_scram_credentials_response r;
  // Kafka's checks that need no state.
  auto check_name_and_mechanism = [](const std::string& name,
                                     int8_t type) -> std::optional<api_error> {
    if (name.empty())
      return api_error{error_code::unacceptable_credential, "Username must not be empty"};
    if (!security::scram_mechanism_of_type(type))
      return api_error{error_code::unsupported_sasl_mechanism, "Unknown SCRAM mechanism"};
    return std::nullopt;
  };
  const std::string twice = "A user credential cannot be altered twice in the same request";
  std::map<std::string, security::scram_mechanism> deletions;
  std::map<std::string, security::scram_credential> upsertions;
  std::map<std::string, api_error> errors;
  // AlterUserScramCredentials needs ALTER on the cluster; without it every user is refused.
  if (!authorize_cluster(ctx, acl_operation::alter)) {
    const api_error refused{error_code::cluster_authorization_failed,
                            std::string(k_cluster_auth_message)};
    for (const auto& d : req.deletions) errors[d.name] = refused;
    for (const auto& u : req.upsertions) errors[u.name] = refused;
  }

  auto done = co_await ctx.b.alter_scram_credentials([&](scram_credentials& credentials) {
    // As ScramControlManager.alterCredentials: a user may be named once in the whole request.
    for (const auto& d : req.deletions) {
      if (errors.contains(d.name)) continue;
      if (deletions.erase(d.name)) {
        errors[d.name] = {error_code::duplicate_resource, twice};
        continue;
      }
      if (auto e = check_name_and_mechanism(d.name, d.mechanism)) {
        errors[d.name] = *e;
        continue;
      }
      const auto m = *security::scram_mechanism_of_type(d.mechanism);
      auto user = credentials.find(d.name);
      if (user == credentials.end() || !user->second.contains(m)) {
        errors[d.name] = {error_code::resource_not_found,
                          "Attempt to delete a user credential that does not exist"};
        continue;
      }
      deletions[d.name] = m;
    }
    for (const auto& u : req.upsertions) {
      if (errors.contains(u.name)) continue;
      if (deletions.erase(u.name) || upsertions.erase(u.name)) {
        errors[u.name] = {error_code::duplicate_resource, twice};
        continue;
      }
      if (auto e = check_name_and_mechanism(u.name, u.mechanism)) {
        errors[u.name] = *e;
        continue;
      }
      if (u.iterations < security::scram_min_iterations) {
        errors[u.name] = {error_code::unacceptable_credential, "Too few iterations"};
        continue;
      }
      if (u.iterations > security::scram_max_iterations) {
        errors[u.name] = {error_code::unacceptable_credential, "Too many iterations"};
        continue;
      }
      const auto as_view = [](const std::vector<uint8_t>& b) {
        return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
      };
      upsertions[u.name] = security::credential_from_salted_password(
          *security::scram_mechanism_of_type(u.mechanism), as_view(u.salt),
          as_view(u.salted_password), u.iterations);
    }
    for (const auto& [user, m] : deletions) credentials[user].erase(m);
    for (const auto& [user, c] : upsertions) credentials[user][c.mechanism] = c;
  });

  auto succeeded = [&](const std::string& user) {
    auto& result = r.results.emplace_back();
    result.user = user;
    if (done.error_code != 0) {
      result.error_code = done.error_code;
      result.error_message = done.message;
    } else {
      result.error_message = std::nullopt;
    }
  };
  for (const auto& [user, m] : deletions) succeeded(user);
  for (const auto& [user, c] : upsertions) succeeded(user);
  for (const auto& [user, e] : errors) r.results.push_back({user, code(e.code), e.message, {}});
  co_return r;
}

}  // namespace brook::broker::handlers
