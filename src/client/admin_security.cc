// The Admin client's ACL calls (CreateAcls, DescribeAcls, DeleteAcls) and SCRAM user calls
// (DescribeUserScramCredentials, AlterUserScramCredentials). For an upsertion the client, like
// Kafka's Java client, draws a random salt and sends the salted password (PBKDF2 with the
// mechanism's HMAC, iterations as asked); the password itself never leaves the process.
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "client/admin.h"
#include "client/admin_internal.h"
#include "client/cluster.h"
#include "protocol/generated/alter_user_scram_credentials_request.h"
#include "protocol/generated/alter_user_scram_credentials_response.h"
#include "protocol/generated/create_acls_request.h"
#include "protocol/generated/create_acls_response.h"
#include "protocol/generated/delete_acls_request.h"
#include "protocol/generated/delete_acls_response.h"
#include "protocol/generated/describe_acls_request.h"
#include "protocol/generated/describe_acls_response.h"
#include "protocol/generated/describe_user_scram_credentials_request.h"
#include "protocol/generated/describe_user_scram_credentials_response.h"

namespace brook::client {

using detail::failures;
using detail::retrying;
using protocol::api_key;
using protocol::error_code;

namespace {

template <class T>
int8_t wire(T e) {
  return static_cast<int8_t>(e);
}

template <class Filter>
void fill_filter(Filter& out, const acl_filter& f) {
  out.resource_type_filter = wire(f.resource);
  out.resource_name_filter = f.resource_name;
  out.pattern_type_filter = wire(f.pattern);
  out.principal_filter = f.principal;
  out.host_filter = f.host;
  out.operation = wire(f.operation);
  out.permission_type = wire(f.permission);
}

// Kafka's Java client draws its salt as the text of a random 130-bit number; any random bytes do,
// and printable ones read well in dumps: 32 random characters of [0-9a-z].
std::vector<uint8_t> random_salt() {
  static constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::vector<uint8_t> raw(32);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
    throw kafka_error(error_code::unknown_server_error, "no random bytes for a SCRAM salt");
  for (auto& b : raw) b = static_cast<uint8_t>(alphabet[b % 36]);
  return raw;
}

}  // namespace

std::vector<uint8_t> scram_salted_password(scram_mechanism m, std::string_view password,
                                           std::span<const uint8_t> salt, int32_t iterations) {
  const EVP_MD* md = nullptr;
  size_t size = 0;
  if (m == scram_mechanism::sha_256) {
    md = EVP_sha256();
    size = 32;
  } else if (m == scram_mechanism::sha_512) {
    md = EVP_sha512();
    size = 64;
  } else {
    throw kafka_error(error_code::unsupported_sasl_mechanism, "unknown SCRAM mechanism");
  }
  std::vector<uint8_t> out(size);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                        static_cast<int>(salt.size()), iterations, md, static_cast<int>(size),
                        out.data()) != 1)
    throw kafka_error(error_code::unknown_server_error, "PBKDF2 failed");
  return out;
}

// --- ACLs ---

void admin::create_acls(const std::vector<acl_binding>& acls) {
  auto& c = *_cluster;
  c.run([&]() {
    return retrying<void>(c, [&]() -> asio::awaitable<void> {
      auto conn = co_await c.any_connection();
      const int16_t v = conn->require_version(api_key::create_acls, 3, 1);
      protocol::create_acls_request req;
      for (const auto& a : acls) {
        protocol::create_acls_request::acl_creation ac;
        ac.resource_type = wire(a.resource);
        ac.resource_name = a.resource_name;
        ac.resource_pattern_type = wire(a.pattern);
        ac.principal = a.principal;
        ac.host = a.host;
        ac.operation = wire(a.operation);
        ac.permission_type = wire(a.permission);
        req.creations.push_back(std::move(ac));
      }
      auto resp = co_await conn->call<protocol::create_acls_response>(req, v);
      failures f;
      for (size_t i = 0; i < resp.results.size() && i < acls.size(); ++i) {
        const auto& a = acls[i];
        f.note(resp.results[i].error_code,
               fmt::format("ACL {} {} {} on {} '{}'", a.principal, to_string(a.permission),
                           to_string(a.operation), to_string(a.resource), a.resource_name),
               resp.results[i].error_message);
      }
      // Creating an ACL twice is harmless: a retry resends all.
      f.end_attempt();
      f.finish();
    });
  });
}

std::vector<acl_binding> admin::describe_acls(const acl_filter& filter) {
  auto& c = *_cluster;
  return c.run([&]() {
    return retrying<std::vector<acl_binding>>(
        c, [&]() -> asio::awaitable<std::vector<acl_binding>> {
          auto conn = co_await c.any_connection();
          const int16_t v = conn->require_version(api_key::describe_acls, 3, 1);
          protocol::describe_acls_request req;
          fill_filter(req, filter);
          auto resp = co_await conn->call<protocol::describe_acls_response>(req, v);
          throw_if_error(detail::code_of(resp.error_code),
                         detail::describe("DescribeAcls", resp.error_message));
          std::vector<acl_binding> out;
          for (const auto& r : resp.resources)
            for (const auto& a : r.acls)
              out.push_back({static_cast<resource_type>(r.resource_type), r.resource_name,
                             static_cast<pattern_type>(r.pattern_type), a.principal, a.host,
                             static_cast<acl_operation>(a.operation),
                             static_cast<acl_permission>(a.permission_type)});
          std::sort(out.begin(), out.end());
          co_return out;
        });
  });
}

std::vector<acl_binding> admin::delete_acls(const std::vector<acl_filter>& filters) {
  auto& c = *_cluster;
  return c.run([&]() {
    return retrying<std::vector<acl_binding>>(
        c, [&]() -> asio::awaitable<std::vector<acl_binding>> {
          auto conn = co_await c.any_connection();
          const int16_t v = conn->require_version(api_key::delete_acls, 3, 1);
          protocol::delete_acls_request req;
          for (const auto& f : filters) {
            protocol::delete_acls_request::delete_acls_filter df;
            fill_filter(df, f);
            req.filters.push_back(std::move(df));
          }
          auto resp = co_await conn->call<protocol::delete_acls_response>(req, v);
          failures fl;
          std::vector<acl_binding> out;
          for (const auto& r : resp.filter_results) {
            if (!fl.note(r.error_code, "DeleteAcls", r.error_message)) continue;
            for (const auto& m : r.matching_acls) {
              if (!fl.note(m.error_code, "DeleteAcls", m.error_message)) continue;
              out.push_back({static_cast<resource_type>(m.resource_type), m.resource_name,
                             static_cast<pattern_type>(m.pattern_type), m.principal, m.host,
                             static_cast<acl_operation>(m.operation),
                             static_cast<acl_permission>(m.permission_type)});
            }
          }
          fl.end_attempt();
          fl.finish();
          std::sort(out.begin(), out.end());
          co_return out;
        });
  });
}

// --- SCRAM users ---

std::vector<user_scram_credentials> admin::describe_user_scram_credentials(
    const std::vector<std::string>& users) {
  auto& c = *_cluster;
  return c.run([&]() {
    return retrying<std::vector<user_scram_credentials>>(
        c, [&]() -> asio::awaitable<std::vector<user_scram_credentials>> {
          auto conn = co_await c.any_connection();
          const int16_t v = conn->require_version(api_key::describe_user_scram_credentials, 0, 0);
          protocol::describe_user_scram_credentials_request req;
          if (users.empty()) {
            req.users = std::nullopt;
          } else {
            req.users.emplace();
            for (const auto& u : users) req.users->push_back({u, {}});
          }
          auto resp =
              co_await conn->call<protocol::describe_user_scram_credentials_response>(req, v);
          throw_if_error(detail::code_of(resp.error_code),
                         detail::describe("DescribeUserScramCredentials", resp.error_message));
          failures f;
          std::map<std::string, user_scram_credentials> by_user;
          for (const auto& r : resp.results) {
            if (!f.note(r.error_code, fmt::format("user '{}'", r.user), r.error_message)) continue;
            auto& u = by_user[r.user];
            u.user = r.user;
            for (const auto& ci : r.credential_infos)
              u.credentials.push_back({static_cast<scram_mechanism>(ci.mechanism), ci.iterations});
            std::sort(u.credentials.begin(), u.credentials.end(),
                      [](const auto& a, const auto& b) { return a.mechanism < b.mechanism; });
          }
          f.end_attempt();
          f.finish();
          std::vector<user_scram_credentials> out;
          if (users.empty()) {
            for (auto& [name, u] : by_user) out.push_back(std::move(u));
          } else {
            for (const auto& name : users)
              if (auto it = by_user.find(name); it != by_user.end()) out.push_back(it->second);
          }
          co_return out;
        });
  });
}

void admin::alter_user_scram_credentials(const std::vector<scram_alteration>& alterations) {
  auto& c = *_cluster;
  // Salted once: a retry sends the same credentials.
  protocol::alter_user_scram_credentials_request req;
  for (const auto& a : alterations) {
    if (a.remove) {
      req.deletions.push_back({a.user, wire(a.mechanism), {}});
      continue;
    }
    protocol::alter_user_scram_credentials_request::scram_credential_upsertion u;
    u.name = a.user;
    u.mechanism = wire(a.mechanism);
    u.iterations = a.iterations;
    u.salt = random_salt();
    u.salted_password = scram_salted_password(a.mechanism, a.password, u.salt, a.iterations);
    req.upsertions.push_back(std::move(u));
  }
  c.run([&]() {
    return retrying<void>(c, [&]() -> asio::awaitable<void> {
      auto conn = co_await c.any_connection();
      const int16_t v = conn->require_version(api_key::alter_user_scram_credentials, 0, 0);
      auto resp = co_await conn->call<protocol::alter_user_scram_credentials_response>(req, v);
      failures f;
      for (const auto& r : resp.results)
        f.note(r.error_code, fmt::format("user '{}'", r.user), r.error_message);
      f.end_attempt();
      f.finish();
    });
  });
}

}  // namespace brook::client
