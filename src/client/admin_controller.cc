// The Admin client's calls that Kafka's controller serves for a cluster of several brokers:
// leader elections (ElectLeaders), partition reassignments (AlterPartitionReassignments,
// ListPartitionReassignments) and delegation tokens (Create/Describe/Renew/Expire
// DelegationToken). They go to any broker, which forwards them to the controller. brookd, a
// single node, offers none of these APIs: version negotiation then throws UNSUPPORTED_VERSION.
// Everything runs on the cluster's I/O thread inside the retry loop of admin_internal.h.
#include <fmt/format.h>

#include <algorithm>

#include "client/admin.h"
#include "client/admin_internal.h"
#include "client/cluster.h"
#include "protocol/generated/alter_partition_reassignments_request.h"
#include "protocol/generated/alter_partition_reassignments_response.h"
#include "protocol/generated/create_delegation_token_request.h"
#include "protocol/generated/create_delegation_token_response.h"
#include "protocol/generated/describe_delegation_token_request.h"
#include "protocol/generated/describe_delegation_token_response.h"
#include "protocol/generated/elect_leaders_request.h"
#include "protocol/generated/elect_leaders_response.h"
#include "protocol/generated/expire_delegation_token_request.h"
#include "protocol/generated/expire_delegation_token_response.h"
#include "protocol/generated/list_partition_reassignments_request.h"
#include "protocol/generated/list_partition_reassignments_response.h"
#include "protocol/generated/renew_delegation_token_request.h"
#include "protocol/generated/renew_delegation_token_response.h"

namespace brook::client {

using detail::failures;
using detail::retrying;
using protocol::api_key;
using protocol::error_code;

namespace {

// The partitions as the requests list them: one entry per topic.
template <class Entry, class Add>
std::vector<Entry> by_topic(const std::vector<topic_partition>& partitions, Add add) {
  std::vector<topic_partition> sorted = partitions;
  std::sort(sorted.begin(), sorted.end());
  std::vector<Entry> out;
  for (const auto& tp : sorted) {
    if (out.empty() || out.back().name != tp.topic) {
      out.emplace_back();
      out.back().name = tp.topic;
    }
    add(out.back(), tp.partition);
  }
  return out;
}

// "User:alice" → {"User", "alice"}; a principal without a type is a user.
std::pair<std::string, std::string> split_principal(const std::string& p) {
  const auto colon = p.find(':');
  if (colon == std::string::npos) return {"User", p};
  return {p.substr(0, colon), p.substr(colon + 1)};
}

std::string join_principal(const std::string& type, const std::string& name) {
  return fmt::format("{}:{}", type, name);
}

// Renewing and expiring a token share their shape: the token's hmac and a period in, the new
// expiry time out.
template <class Request, class Response>
asio::awaitable<int64_t> token_expiry(cluster& c, const std::vector<uint8_t>& hmac, int64_t period,
                                      int64_t Request::*period_field, const char* what) {
  return retrying<int64_t>(
      c, [&c, &hmac, period, period_field, what]() -> asio::awaitable<int64_t> {
        auto conn = co_await c.any_connection();
        const int16_t v = conn->require_version(static_cast<api_key>(Request::api_key), 2, 1);
        Request req;
        req.hmac = hmac;
        req.*period_field = period;
        auto resp = co_await conn->template call<Response>(req, v);
        throw_if_error(detail::code_of(resp.error_code), what);
        co_return resp.expiry_timestamp_ms;
      });
}

}  // namespace

// --- Leader elections and reassignments ---

std::map<topic_partition, error_code> admin::elect_leaders(
    election_type type, const std::vector<topic_partition>& partitions) {
  auto& c = *_cluster;
  using result = std::map<topic_partition, error_code>;
  return c.run([&]() {
    return retrying<result>(c, [&]() -> asio::awaitable<result> {
      auto conn = co_await c.any_connection();
      const int16_t v = conn->require_version(api_key::elect_leaders, 2, 0);
      if (type != election_type::preferred && v < 1)
        throw kafka_error(error_code::unsupported_version,
                          "unclean elections need ElectLeaders v1");
      protocol::elect_leaders_request req;
      req.election_type = static_cast<int8_t>(type);
      req.timeout_ms = detail::request_timeout_ms(c);
      if (partitions.empty()) {
        req.topic_partitions = std::nullopt;
      } else {
        std::vector<protocol::elect_leaders_request::topic_partitions_type> topics;
        std::vector<topic_partition> sorted = partitions;
        std::sort(sorted.begin(), sorted.end());
        for (const auto& tp : sorted) {
          if (topics.empty() || topics.back().topic != tp.topic)
            topics.push_back({tp.topic, {}, {}});
          topics.back().partitions.push_back(tp.partition);
        }
        req.topic_partitions = std::move(topics);
      }
      // Per-partition outcomes are reported, not retried, as Java does (ELECTION_NOT_NEEDED counts
      // as retriable in Kafka's table, yet asking again changes nothing).
      auto resp = co_await conn->call<protocol::elect_leaders_response>(req, v);
      throw_if_error(detail::code_of(resp.error_code), "ElectLeaders");
      result out;
      for (const auto& t : resp.replica_election_results)
        for (const auto& p : t.partition_result)
          out[{t.topic, p.partition_id}] = detail::code_of(p.error_code);
      co_return out;
    });
  });
}

std::map<topic_partition, partition_reassignment> admin::list_partition_reassignments(
    const std::optional<std::vector<topic_partition>>& partitions) {
  auto& c = *_cluster;
  using result = std::map<topic_partition, partition_reassignment>;
  return c.run([&]() {
    return retrying<result>(c, [&]() -> asio::awaitable<result> {
      auto conn = co_await c.any_connection();
      const int16_t v = conn->require_version(api_key::list_partition_reassignments, 0, 0);
      protocol::list_partition_reassignments_request req;
      req.timeout_ms = detail::request_timeout_ms(c);
      using topics_type =
          protocol::list_partition_reassignments_request::list_partition_reassignments_topics;
      if (partitions)
        req.topics = by_topic<topics_type>(
            *partitions, [](topics_type& t, int32_t p) { t.partition_indexes.push_back(p); });
      auto resp = co_await conn->call<protocol::list_partition_reassignments_response>(req, v);
      throw_if_error(detail::code_of(resp.error_code),
                     detail::describe("ListPartitionReassignments", resp.error_message));
      result out;
      for (const auto& t : resp.topics)
        for (const auto& p : t.partitions)
          out[{t.name, p.partition_index}] = {p.replicas, p.adding_replicas, p.removing_replicas};
      co_return out;
    });
  });
}

void admin::alter_partition_reassignments(
    const std::map<topic_partition, std::optional<std::vector<int32_t>>>& reassignments) {
  auto& c = *_cluster;
  std::vector<topic_partition> partitions;
  for (const auto& [tp, r] : reassignments) partitions.push_back(tp);
  using topic_type = protocol::alter_partition_reassignments_request::reassignable_topic;
  protocol::alter_partition_reassignments_request req;
  req.timeout_ms = detail::request_timeout_ms(c);
  req.topics = by_topic<topic_type>(partitions, [&](topic_type& t, int32_t p) {
    t.partitions.push_back({p, reassignments.at({t.name, p}), {}});
  });
  c.run([&]() {
    return retrying<void>(c, [&]() -> asio::awaitable<void> {
      auto conn = co_await c.any_connection();
      const int16_t v = conn->require_version(api_key::alter_partition_reassignments, 1, 0);
      auto resp = co_await conn->call<protocol::alter_partition_reassignments_response>(req, v);
      throw_if_error(detail::code_of(resp.error_code),
                     detail::describe("AlterPartitionReassignments", resp.error_message));
      failures f;
      for (const auto& t : resp.responses)
        for (const auto& p : t.partitions)
          f.note(p.error_code, fmt::format("{}-{}", t.name, p.partition_index), p.error_message);
      // Asking again for the same replicas is harmless: a retry resends all.
      f.end_attempt();
      f.finish();
    });
  });
}

// --- Delegation tokens ---

delegation_token admin::create_delegation_token(const create_delegation_token_options& options) {
  auto& c = *_cluster;
  return c.run([&]() {
    return retrying<delegation_token>(c, [&]() -> asio::awaitable<delegation_token> {
      auto conn = co_await c.any_connection();
      const int16_t v =
          conn->require_version(api_key::create_delegation_token, 3, options.owner ? 3 : 1);
      protocol::create_delegation_token_request req;
      if (options.owner) {
        auto [type, name] = split_principal(*options.owner);
        req.owner_principal_type = type;
        req.owner_principal_name = name;
      } else {
        req.owner_principal_type = std::nullopt;
        req.owner_principal_name = std::nullopt;
      }
      for (const auto& r : options.renewers) {
        auto [type, name] = split_principal(r);
        req.renewers.push_back({type, name, {}});
      }
      req.max_lifetime_ms = options.max_lifetime_ms;
      auto resp = co_await conn->call<protocol::create_delegation_token_response>(req, v);
      throw_if_error(detail::code_of(resp.error_code), "CreateDelegationToken");
      delegation_token t;
      t.token_id = resp.token_id;
      t.hmac = resp.hmac;
      t.owner = join_principal(resp.principal_type, resp.principal_name);
      t.token_requester = v >= 3 ? join_principal(resp.token_requester_principal_type,
                                                  resp.token_requester_principal_name)
                                 : t.owner;
      t.renewers = options.renewers;
      t.issue_timestamp_ms = resp.issue_timestamp_ms;
      t.expiry_timestamp_ms = resp.expiry_timestamp_ms;
      t.max_timestamp_ms = resp.max_timestamp_ms;
      co_return t;
    });
  });
}

std::vector<delegation_token> admin::describe_delegation_tokens(
    const std::optional<std::vector<std::string>>& owners) {
  auto& c = *_cluster;
  return c.run([&]() {
    return retrying<std::vector<delegation_token>>(
        c, [&]() -> asio::awaitable<std::vector<delegation_token>> {
          auto conn = co_await c.any_connection();
          const int16_t v = conn->require_version(api_key::describe_delegation_token, 3, 1);
          protocol::describe_delegation_token_request req;
          if (owners) {
            req.owners.emplace();
            for (const auto& o : *owners) {
              auto [type, name] = split_principal(o);
              req.owners->push_back({type, name, {}});
            }
          } else {
            req.owners = std::nullopt;
          }
          auto resp = co_await conn->call<protocol::describe_delegation_token_response>(req, v);
          throw_if_error(detail::code_of(resp.error_code), "DescribeDelegationToken");
          std::vector<delegation_token> out;
          for (const auto& d : resp.tokens) {
            delegation_token t;
            t.token_id = d.token_id;
            t.hmac = d.hmac;
            t.owner = join_principal(d.principal_type, d.principal_name);
            t.token_requester = v >= 3 ? join_principal(d.token_requester_principal_type,
                                                        d.token_requester_principal_name)
                                       : t.owner;
            for (const auto& r : d.renewers)
              t.renewers.push_back(join_principal(r.principal_type, r.principal_name));
            t.issue_timestamp_ms = d.issue_timestamp;
            t.expiry_timestamp_ms = d.expiry_timestamp;
            t.max_timestamp_ms = d.max_timestamp;
            out.push_back(std::move(t));
          }
          std::sort(out.begin(), out.end(),
                    [](const auto& a, const auto& b) { return a.token_id < b.token_id; });
          co_return out;
        });
  });
}

int64_t admin::renew_delegation_token(const std::vector<uint8_t>& hmac, int64_t renew_period_ms) {
  auto& c = *_cluster;
  return c.run([&]() {
    return token_expiry<protocol::renew_delegation_token_request,
                        protocol::renew_delegation_token_response>(
        c, hmac, renew_period_ms, &protocol::renew_delegation_token_request::renew_period_ms,
        "RenewDelegationToken");
  });
}

int64_t admin::expire_delegation_token(const std::vector<uint8_t>& hmac, int64_t expiry_period_ms) {
  auto& c = *_cluster;
  return c.run([&]() {
    return token_expiry<protocol::expire_delegation_token_request,
                        protocol::expire_delegation_token_response>(
        c, hmac, expiry_period_ms,
        &protocol::expire_delegation_token_request::expiry_time_period_ms, "ExpireDelegationToken");
  });
}

}  // namespace brook::client
