// The Admin client's calls about what brokers hold and allow: client quotas
// (DescribeClientQuotas, AlterClientQuotas), log dirs (DescribeLogDirs, at each broker) and
// features (ApiVersions' feature fields, UpdateFeatures). Everything runs on the cluster's I/O
// thread inside the retry loop of admin_internal.h.
#include <fmt/format.h>

#include <algorithm>

#include "client/admin.h"
#include "client/admin_internal.h"
#include "client/cluster.h"
#include "protocol/generated/alter_client_quotas_request.h"
#include "protocol/generated/alter_client_quotas_response.h"
#include "protocol/generated/api_versions_request.h"
#include "protocol/generated/api_versions_response.h"
#include "protocol/generated/describe_client_quotas_request.h"
#include "protocol/generated/describe_client_quotas_response.h"
#include "protocol/generated/describe_log_dirs_request.h"
#include "protocol/generated/describe_log_dirs_response.h"
#include "protocol/generated/update_features_request.h"
#include "protocol/generated/update_features_response.h"

namespace brook::client {

using detail::failures;
using detail::retrying;
using protocol::api_key;
using protocol::error_code;

namespace {

// "user=alice, client-id=<default>", as Kafka's tools print an entity.
std::string entity_text(const client_quota_entity& e) {
  std::string out;
  for (const auto& [type, name] : e)
    out += fmt::format("{}{}={}", out.empty() ? "" : ", ", type, name.value_or("<default>"));
  return out.empty() ? "{}" : out;
}

}  // namespace

// --- Client quotas ---

std::map<client_quota_entity, std::map<std::string, double>> admin::describe_client_quotas(
    const client_quota_filter& filter) {
  auto& c = *_cluster;
  using result = std::map<client_quota_entity, std::map<std::string, double>>;
  return c.run([&]() {
    return retrying<result>(c, [&]() -> asio::awaitable<result> {
      auto conn = co_await c.any_connection();
      const int16_t v = conn->require_version(api_key::describe_client_quotas, 1, 0);
      protocol::describe_client_quotas_request req;
      req.strict = filter.strict;
      for (const auto& comp : filter.components) {
        protocol::describe_client_quotas_request::component_data d;
        d.entity_type = comp.entity_type;
        d.match_type = static_cast<int8_t>(comp.how);
        if (comp.how == quota_filter_component::match::exact)
          d.match = comp.name;
        else
          d.match = std::nullopt;
        req.components.push_back(std::move(d));
      }
      auto resp = co_await conn->call<protocol::describe_client_quotas_response>(req, v);
      throw_if_error(detail::code_of(resp.error_code),
                     detail::describe("DescribeClientQuotas", resp.error_message));
      result out;
      if (resp.entries) {
        for (const auto& e : *resp.entries) {
          client_quota_entity entity;
          for (const auto& part : e.entity) entity[part.entity_type] = part.entity_name;
          auto& values = out[entity];
          for (const auto& val : e.values) values[val.key] = val.value;
        }
      }
      co_return out;
    });
  });
}

void admin::alter_client_quotas(const std::vector<client_quota_alteration>& alterations,
                                bool validate_only) {
  auto& c = *_cluster;
  protocol::alter_client_quotas_request req;
  req.validate_only = validate_only;
  for (const auto& a : alterations) {
    protocol::alter_client_quotas_request::entry_data e;
    for (const auto& [type, name] : a.entity) e.entity.push_back({type, name, {}});
    for (const auto& op : a.ops) e.ops.push_back({op.key, op.value.value_or(0.0), !op.value, {}});
    req.entries.push_back(std::move(e));
  }
  c.run([&]() {
    return retrying<void>(c, [&]() -> asio::awaitable<void> {
      auto conn = co_await c.any_connection();
      const int16_t v = conn->require_version(api_key::alter_client_quotas, 1, 0);
      auto resp = co_await conn->call<protocol::alter_client_quotas_response>(req, v);
      failures f;
      for (const auto& e : resp.entries) {
        client_quota_entity entity;
        for (const auto& part : e.entity) entity[part.entity_type] = part.entity_name;
        f.note(e.error_code, fmt::format("quota of {}", entity_text(entity)), e.error_message);
      }
      // Setting a quota twice is harmless: a retry resends all.
      f.end_attempt();
      f.finish();
    });
  });
}

// --- Log dirs ---

std::map<int32_t, std::map<std::string, log_dir_description>> admin::describe_log_dirs(
    const std::vector<int32_t>& brokers) {
  auto& c = *_cluster;
  using result = std::map<int32_t, std::map<std::string, log_dir_description>>;
  return c.run([&]() {
    return retrying<result>(c, [&]() -> asio::awaitable<result> {
      std::vector<int32_t> nodes = brokers;
      if (nodes.empty()) {
        auto snap = co_await c.refresh_metadata(std::vector<std::string>{});
        for (const auto& [id, address] : snap->brokers) nodes.push_back(id);
      }
      result out;
      for (int32_t node : nodes) {
        auto conn = co_await c.connection_to(node);
        const int16_t v = conn->require_version(api_key::describe_log_dirs, 4, 1);
        protocol::describe_log_dirs_request req;
        req.topics = std::nullopt;  // every partition
        auto resp = co_await conn->call<protocol::describe_log_dirs_response>(req, v);
        throw_if_error(detail::code_of(resp.error_code),
                       fmt::format("DescribeLogDirs at broker {}", node));
        auto& dirs = out[node];
        for (const auto& r : resp.results) {
          log_dir_description d;
          d.path = r.log_dir;
          d.error = detail::code_of(r.error_code);
          for (const auto& t : r.topics)
            for (const auto& p : t.partitions)
              d.replicas[{t.name, p.partition_index}] = {p.partition_size, p.offset_lag,
                                                         p.is_future_key};
          if (v >= 4 && r.total_bytes >= 0) d.total_bytes = r.total_bytes;
          if (v >= 4 && r.usable_bytes >= 0) d.usable_bytes = r.usable_bytes;
          dirs[r.log_dir] = std::move(d);
        }
      }
      co_return out;
    });
  });
}

// --- Features ---

feature_metadata admin::describe_features() {
  auto& c = *_cluster;
  return c.run([&]() {
    return retrying<feature_metadata>(c, [&]() -> asio::awaitable<feature_metadata> {
      auto conn = co_await c.any_connection();
      // Features came with v3 (KIP-584); v4 also lists supported features whose lowest level is 0
      // (KIP-1022), so ask v4 first. A broker without v4 answers UNSUPPORTED_VERSION in the v0
      // format: then ask v3, which every broker Brook speaks to has.
      protocol::api_versions_request req;
      req.client_software_name = "brook";
      req.client_software_version = "0.1.0";
      protocol::api_versions_response resp;
      for (int16_t v : {int16_t{4}, int16_t{3}}) {
        response_body body = co_await conn->roundtrip(api_key::api_versions, v,
                                                      [&](wire::writer& w) { req.encode(w, v); });
        wire::reader peek = body.reader();
        if (v == 4 && peek.read_int16() == static_cast<int16_t>(error_code::unsupported_version))
          continue;
        wire::reader r = body.reader();
        resp = protocol::api_versions_response::decode(r, v);
        break;
      }
      throw_if_error(detail::code_of(resp.error_code), "ApiVersions");
      feature_metadata out;
      for (const auto& f : resp.finalized_features)
        out.finalized[f.name] = {f.min_version_level, f.max_version_level};
      for (const auto& f : resp.supported_features)
        out.supported[f.name] = {f.min_version, f.max_version};
      if (resp.finalized_features_epoch >= 0) out.finalized_epoch = resp.finalized_features_epoch;
      co_return out;
    });
  });
}

void admin::update_features(const std::map<std::string, feature_update>& updates,
                            bool validate_only) {
  auto& c = *_cluster;
  c.run([&]() {
    return retrying<void>(c, [&]() -> asio::awaitable<void> {
      auto conn = co_await c.any_connection();
      const int16_t v = conn->require_version(api_key::update_features, 2, 0);
      protocol::update_features_request req;
      req.timeout_ms = detail::request_timeout_ms(c);
      req.validate_only = validate_only;
      for (const auto& [name, u] : updates) {
        if (u.upgrade_type == feature_upgrade_type::unknown)
          throw kafka_error(error_code::invalid_request,
                            fmt::format("feature '{}': no upgrade type", name));
        protocol::update_features_request::feature_update_key k;
        k.feature = name;
        k.max_version_level = u.max_version_level;
        // Version 0 knows only whether a downgrade is allowed (KIP-778 added the types).
        if (v == 0)
          k.allow_downgrade = u.upgrade_type != feature_upgrade_type::upgrade;
        else
          k.upgrade_type = static_cast<int8_t>(u.upgrade_type);
        req.feature_updates.push_back(std::move(k));
      }
      if (validate_only && v < 1)
        throw kafka_error(error_code::unsupported_version,
                          "validate-only feature updates need UpdateFeatures v1");
      auto resp = co_await conn->call<protocol::update_features_response>(req, v);
      throw_if_error(detail::code_of(resp.error_code),
                     detail::describe("UpdateFeatures", resp.error_message));
      failures f;
      for (const auto& r : resp.results)
        f.note(r.error_code, fmt::format("feature '{}'", r.feature), r.error_message);
      f.end_attempt();
      f.finish();
    });
  });
}

}  // namespace brook::client
