// The Admin client's consumer-group calls: listing (every broker), describing
// (ConsumerGroupDescribe for KIP-848 groups, DescribeGroups for classic ones), deleting, and
// reading, committing and deleting a group's offsets, each at the group's coordinator.
#include <fmt/format.h>

#include <algorithm>

#include "client/admin.h"
#include "client/admin_internal.h"
#include "client/cluster.h"
#include "protocol/generated/consumer_group_describe_request.h"
#include "protocol/generated/consumer_group_describe_response.h"
#include "protocol/generated/consumer_protocol_assignment.h"
#include "protocol/generated/delete_groups_request.h"
#include "protocol/generated/delete_groups_response.h"
#include "protocol/generated/describe_groups_request.h"
#include "protocol/generated/describe_groups_response.h"
#include "protocol/generated/list_groups_request.h"
#include "protocol/generated/list_groups_response.h"
#include "protocol/generated/offset_commit_request.h"
#include "protocol/generated/offset_commit_response.h"
#include "protocol/generated/offset_delete_request.h"
#include "protocol/generated/offset_delete_response.h"
#include "protocol/generated/offset_fetch_request.h"
#include "protocol/generated/offset_fetch_response.h"

namespace brook::client {

using detail::failures;
using detail::retrying;
using protocol::api_key;
using protocol::error_code;
using conn_ptr = std::shared_ptr<connection>;

namespace {

struct coordinated {
  int32_t node = -1;
  conn_ptr conn;
};

asio::awaitable<coordinated> coordinator_of(cluster& c, const std::string& group) {
  const int32_t node = co_await c.coordinator(coordinator_type::group, group);
  try {
    co_return coordinated{node, co_await c.connection_to(node)};
  } catch (const kafka_error&) {
    // The coordinator may have moved or gone: look it up again on the next attempt.
    c.forget_coordinator(coordinator_type::group, group);
    throw;
  }
}

// Records a group-level error; forgets the coordinator when it says it is not (or no longer) the
// group's, so the retry looks it up again.
void note_group_error(cluster& c, const std::string& group, int16_t code) {
  const auto e = detail::code_of(code);
  if (e == error_code::not_coordinator || e == error_code::coordinator_not_available)
    c.forget_coordinator(coordinator_type::group, group);
}

void check_group(cluster& c, const std::string& group, int16_t code,
                 const std::optional<std::string>& message = std::nullopt) {
  if (code == 0) return;
  note_group_error(c, group, code);
  throw kafka_error(detail::code_of(code),
                    detail::describe(fmt::format("group '{}'", group), message));
}

// A classic consumer member's assignment: ConsumerProtocolAssignment with its version first.
std::vector<topic_partition> decode_assignment(const std::vector<uint8_t>& bytes) {
  std::vector<topic_partition> out;
  if (bytes.size() < 2) return out;
  try {
    wire::reader r{std::span<const uint8_t>(bytes)};
    const int16_t version = r.read_int16();
    auto a = protocol::consumer_protocol_assignment::decode(
        r, std::min(version, protocol::consumer_protocol_assignment::max_version));
    for (const auto& t : a.assigned_partitions)
      for (int32_t p : t.partitions) out.push_back({t.topic, p});
  } catch (const std::exception&) {
    // Not a consumer assignment (another protocol type): no partitions to show.
  }
  std::sort(out.begin(), out.end());
  return out;
}

asio::awaitable<group_description> describe_classic(cluster& c, const std::string& group,
                                                    const coordinated& co) {
  const int16_t v = co.conn->require_version(api_key::describe_groups, 5, 0);
  protocol::describe_groups_request req;
  req.groups = {group};
  auto resp = co_await co.conn->call<protocol::describe_groups_response>(req, v);
  if (resp.groups.empty())
    throw kafka_error(error_code::unknown_server_error, "DescribeGroups answered no group");
  const auto& g = resp.groups.front();
  check_group(c, group, g.error_code, g.error_message);
  group_description d;
  d.group_id = g.group_id;
  d.type = "classic";
  d.state = g.group_state;
  d.protocol_type = g.protocol_type;
  d.assignor = g.protocol_data;
  d.coordinator = co.node;
  for (const auto& m : g.members) {
    member_description md;
    md.member_id = m.member_id;
    md.group_instance_id = m.group_instance_id;
    md.client_id = m.client_id;
    md.client_host = m.client_host;
    if (g.protocol_type == "consumer") md.assignment = decode_assignment(m.member_assignment);
    d.members.push_back(std::move(md));
  }
  co_return d;
}

// ConsumerGroupDescribe; nullopt when the group is not a consumer group (or the coordinator
// cannot describe such groups), so that the caller asks DescribeGroups.
asio::awaitable<std::optional<group_description>> describe_consumer(cluster& c,
                                                                    const std::string& group,
                                                                    const coordinated& co) {
  const int16_t v = co.conn->version_for(api_key::consumer_group_describe, 1, 0);
  if (v < 0) co_return std::nullopt;
  protocol::consumer_group_describe_request req;
  req.group_ids = {group};
  auto resp = co_await co.conn->call<protocol::consumer_group_describe_response>(req, v);
  if (resp.groups.empty()) co_return std::nullopt;
  const auto& g = resp.groups.front();
  const auto e = detail::code_of(g.error_code);
  if (e == error_code::group_id_not_found || e == error_code::unsupported_version ||
      e == error_code::invalid_request || e == error_code::invalid_group_id)
    co_return std::nullopt;
  check_group(c, group, g.error_code, g.error_message);
  group_description d;
  d.group_id = g.group_id;
  d.type = "consumer";
  d.state = g.group_state;
  d.protocol_type = "consumer";
  d.assignor = g.assignor_name;
  d.group_epoch = g.group_epoch;
  d.coordinator = co.node;
  for (const auto& m : g.members) {
    member_description md;
    md.member_id = m.member_id;
    md.group_instance_id = m.instance_id;
    md.client_id = m.client_id;
    md.client_host = m.client_host;
    md.member_epoch = m.member_epoch;
    md.subscribed_topics = m.subscribed_topic_names;
    for (const auto& t : m.assignment.topic_partitions)
      for (int32_t p : t.partitions) md.assignment.push_back({t.topic_name, p});
    std::sort(md.assignment.begin(), md.assignment.end());
    d.members.push_back(std::move(md));
  }
  co_return d;
}

}  // namespace

std::vector<group_listing> admin::list_groups(const std::vector<std::string>& states,
                                              const std::vector<std::string>& types) {
  auto& c = *_cluster;
  std::map<std::string, group_listing> found;
  c.run([&]() -> asio::awaitable<void> {
    auto snap = co_await retrying<std::shared_ptr<const metadata_snapshot>>(
        c, [&]() { return c.refresh_metadata(std::vector<std::string>{}); });
    for (const auto& [node, address] : snap->brokers) {
      co_await retrying<void>(c, [&, node = node]() -> asio::awaitable<void> {
        auto conn = co_await c.connection_to(node);
        const int16_t v = conn->require_version(api_key::list_groups, 5, 0);
        protocol::list_groups_request req;
        if (v >= 4) req.states_filter = states;
        if (v >= 5) req.types_filter = types;
        auto resp = co_await conn->call<protocol::list_groups_response>(req, v);
        throw_if_error(resp.error_code, fmt::format("ListGroups at node {}", node));
        for (const auto& g : resp.groups) {
          group_listing l{g.group_id, g.protocol_type, std::nullopt, std::nullopt};
          if (v >= 4) l.state = g.group_state;
          if (v >= 5) l.type = g.group_type;
          found[g.group_id] = std::move(l);
        }
      });
    }
  });
  std::vector<group_listing> out;
  for (auto& [id, l] : found) out.push_back(std::move(l));
  return out;
}

std::vector<group_description> admin::describe_groups(const std::vector<std::string>& group_ids) {
  auto& c = *_cluster;
  return c.run([&]() -> asio::awaitable<std::vector<group_description>> {
    std::vector<group_description> out;
    for (const auto& group : group_ids) {
      out.push_back(
          co_await retrying<group_description>(c, [&]() -> asio::awaitable<group_description> {
            const coordinated co = co_await coordinator_of(c, group);
            if (auto d = co_await describe_consumer(c, group, co)) co_return std::move(*d);
            co_return co_await describe_classic(c, group, co);
          }));
    }
    co_return out;
  });
}

void admin::delete_groups(const std::vector<std::string>& group_ids) {
  auto& c = *_cluster;
  failures f;
  c.run([&]() -> asio::awaitable<void> {
    for (const auto& group : group_ids) {
      co_await retrying<void>(c, [&]() -> asio::awaitable<void> {
        const coordinated co = co_await coordinator_of(c, group);
        const int16_t v = co.conn->require_version(api_key::delete_groups, 2, 0);
        protocol::delete_groups_request req;
        req.groups_names = {group};
        auto resp = co_await co.conn->call<protocol::delete_groups_response>(req, v);
        for (const auto& r : resp.results) {
          note_group_error(c, group, r.error_code);
          f.note(r.error_code, fmt::format("group '{}'", r.group_id), r.error_message);
        }
        f.end_attempt();
      });
    }
    f.finish();
  });
}

std::map<topic_partition, offset_and_metadata> admin::list_consumer_group_offsets(
    const std::string& group_id, const std::vector<topic_partition>& partitions) {
  auto& c = *_cluster;
  using result = std::map<topic_partition, offset_and_metadata>;
  return c.run([&]() {
    return retrying<result>(c, [&]() -> asio::awaitable<result> {
      const coordinated co = co_await coordinator_of(c, group_id);
      // v10 names topics by id only; names are what callers have.
      const int16_t v = co.conn->require_version(api_key::offset_fetch, 9, 1);
      protocol::offset_fetch_request req;
      std::map<std::string, std::vector<int32_t>> wanted;
      for (const auto& tp : partitions) wanted[tp.topic].push_back(tp.partition);
      if (v >= 8) {
        protocol::offset_fetch_request::offset_fetch_request_group g;
        g.group_id = group_id;
        if (partitions.empty()) {
          g.topics = std::nullopt;
        } else {
          g.topics.emplace();
          for (const auto& [t, ps] : wanted) g.topics->push_back({t, {}, ps, {}});
        }
        req.groups.push_back(std::move(g));
      } else {
        req.group_id = group_id;
        if (partitions.empty()) {
          if (v < 2)
            throw kafka_error(error_code::unsupported_version,
                              "listing all offsets of a group needs OffsetFetch v2");
          req.topics = std::nullopt;
        } else {
          req.topics.emplace();
          for (const auto& [t, ps] : wanted) req.topics->push_back({t, ps, {}});
        }
      }
      auto resp = co_await co.conn->call<protocol::offset_fetch_response>(req, v);
      result out;
      failures f;
      auto take = [&](const std::string& topic, const auto& p) {
        if (!f.note(p.error_code, fmt::format("{}-{}", topic, p.partition_index))) return;
        offset_and_metadata om{p.committed_offset, p.metadata.value_or(""), std::nullopt};
        if (p.committed_leader_epoch >= 0) om.leader_epoch = p.committed_leader_epoch;
        out[{topic, p.partition_index}] = std::move(om);
      };
      if (v >= 8) {
        if (resp.groups.empty())
          throw kafka_error(error_code::unknown_server_error, "OffsetFetch answered no group");
        const auto& g = resp.groups.front();
        check_group(c, group_id, g.error_code);
        for (const auto& t : g.topics)
          for (const auto& p : t.partitions) take(t.name, p);
      } else {
        check_group(c, group_id, resp.error_code);
        for (const auto& t : resp.topics)
          for (const auto& p : t.partitions) take(t.name, p);
      }
      f.end_attempt();
      f.finish();
      co_return out;
    });
  });
}

void admin::alter_consumer_group_offsets(
    const std::string& group_id, const std::map<topic_partition, offset_and_metadata>& offsets) {
  auto& c = *_cluster;
  auto pending = offsets;
  failures f;
  c.run([&]() -> asio::awaitable<void> {
    co_await retrying<void>(c, [&]() -> asio::awaitable<void> {
      const coordinated co = co_await coordinator_of(c, group_id);
      // v10 names topics by id only.
      const int16_t v = co.conn->require_version(api_key::offset_commit, 9, 2);
      protocol::offset_commit_request req;
      req.group_id = group_id;
      req.generation_id_or_member_epoch = -1;
      req.member_id = "";
      for (const auto& [tp, om] : pending) {
        if (req.topics.empty() || req.topics.back().name != tp.topic)
          req.topics.push_back({tp.topic, {}, {}, {}});
        protocol::offset_commit_request::offset_commit_request_partition p;
        p.partition_index = tp.partition;
        p.committed_offset = om.offset;
        p.committed_leader_epoch = om.leader_epoch.value_or(-1);
        p.committed_metadata = om.metadata;
        req.topics.back().partitions.push_back(std::move(p));
      }
      auto resp = co_await co.conn->call<protocol::offset_commit_response>(req, v);
      for (const auto& t : resp.topics) {
        for (const auto& p : t.partitions) {
          const topic_partition tp{t.name, p.partition_index};
          note_group_error(c, group_id, p.error_code);
          if (f.note(p.error_code,
                     fmt::format("group '{}' {}-{}", group_id, t.name, p.partition_index)) ||
              !f.retriable(p.error_code))
            pending.erase(tp);
        }
      }
      f.end_attempt();
    });
    f.finish();
  });
}

void admin::delete_consumer_group_offsets(const std::string& group_id,
                                          const std::set<topic_partition>& partitions) {
  auto& c = *_cluster;
  c.run([&]() {
    return retrying<void>(c, [&]() -> asio::awaitable<void> {
      const coordinated co = co_await coordinator_of(c, group_id);
      const int16_t v = co.conn->require_version(api_key::offset_delete, 0, 0);
      protocol::offset_delete_request req;
      req.group_id = group_id;
      for (const auto& tp : partitions) {
        if (req.topics.empty() || req.topics.back().name != tp.topic)
          req.topics.push_back({tp.topic, {}, {}});
        req.topics.back().partitions.push_back({tp.partition, {}});
      }
      auto resp = co_await co.conn->call<protocol::offset_delete_response>(req, v);
      check_group(c, group_id, resp.error_code);
      failures f;
      for (const auto& t : resp.topics)
        for (const auto& p : t.partitions)
          f.note(p.error_code,
                 fmt::format("group '{}' {}-{}", group_id, t.name, p.partition_index));
      f.end_attempt();
      f.finish();
    });
  });
}

}  // namespace brook::client
