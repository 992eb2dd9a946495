// KIP-848 consumer groups: ConsumerGroupHeartbeat (join, heartbeat, leave), reconciliation toward
// the target assignment (Kafka's CurrentAssignmentBuilder), session and revocation timeouts,
// ConsumerGroupDescribe, and the records of __consumer_offsets that make the group durable.
//
// A member moves toward its target assignment in steps that never let two members own one
// partition: first it revokes what the target takes away (UNREVOKED_PARTITIONS, at its old epoch),
// then it moves to the target epoch and gets the partitions that are free; those another member
// still has to release come later (UNRELEASED_PARTITIONS).
#include <fmt/format.h>

#include <random>
#include <utility>

#include <re2/re2.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "base/clock.h"
#include "coordinator/group_coordinator.h"
#include "coordinator/group_state.h"
#include "coordinator/offsets_records.h"
#include "protocol/errors.h"
#include "protocol/generated/consumer_protocol_assignment.h"
#include "protocol/generated/consumer_protocol_subscription.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace brook::coordinator {

namespace {
using protocol::error_code;
using hb_request = protocol::consumer_group_heartbeat_request;
using hb_response = protocol::consumer_group_heartbeat_response;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

log_record encoded(const offsets_record& r) {
  log_record out;
  auto e = encode_record(r);
  // Only strings over 32767 bytes fail to encode; such a record is written with an empty key,
  // which readers skip.
  if (!e) return out;
  out.key.assign(e->key.data(), e->key.data() + e->key.size());
  if (e->value) out.value.emplace(e->value->data(), e->value->data() + e->value->size());
  return out;
}

template <class List>
partition_set to_set(const List& topics) {
  partition_set out;
  for (const auto& t : topics)
    for (int32_t p : t.partitions) out[t.topic_id].insert(p);
  return out;
}

template <class T>
std::vector<T> to_list(const partition_set& s) {
  std::vector<T> out;
  for (const auto& [id, ps] : s) {
    if (ps.empty()) continue;
    auto& t = out.emplace_back();
    t.topic_id = id;
    t.partitions.assign(ps.begin(), ps.end());
  }
  return out;
}

bool contains(const partition_set& s, const wire::uuid& t, int32_t p) {
  auto it = s.find(t);
  return it != s.end() && it->second.count(p);
}

bool subset(const partition_set& a, const partition_set& b) {
  for (const auto& [t, ps] : a)
    for (int32_t p : ps)
      if (!contains(b, t, p)) return false;
  return true;
}

bool intersects(const partition_set& a, const partition_set& b) {
  for (const auto& [t, ps] : a)
    for (int32_t p : ps)
      if (contains(b, t, p)) return true;
  return false;
}

void normalize(partition_set& s) {
  std::erase_if(s, [](const auto& e) { return e.second.empty(); });
}

// Subscribed topic names as a member keeps them: sorted, each once.
std::vector<std::string> topic_set(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

// Kafka's Uuid.randomUuid().toString(): the member ids v0 hands out.
std::string random_member_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return wire::uuid::from_halves(rng(), rng()).to_string();
}

// ---- Records (Kafka's KIP-848 formats) ------------------------------------------------------

log_record group_epoch_record(const std::string& g, const consumer_group* cg) {
  consumer_group_metadata_key k{g};
  if (!cg) return encoded(make_tombstone(k));
  consumer_group_metadata_value v;
  v.epoch = cg->epoch;
  return encoded(make_record(k, v));
}

log_record member_metadata_record(const std::string& g, const std::string& id,
                                  const consumer_member* m) {
  consumer_group_member_metadata_key k{g, id};
  if (!m) return encoded(make_tombstone(k));
  consumer_group_member_metadata_value v;
  v.instance_id = m->instance_id;
  v.rack_id = m->rack_id;
  v.client_id = m->client_id;
  v.client_host = m->client_host;
  v.subscribed_topic_names = m->topic_names;
  v.subscribed_topic_regex = m->regex;
  v.rebalance_timeout_ms = m->rebalance_timeout_ms;
  v.server_assignor = m->server_assignor;
  if (m->classic) {
    classic_member_metadata c;
    c.session_timeout_ms = m->classic->session_timeout_ms;
    for (const auto& [name, md] : m->classic->protocols)
      c.supported_protocols.push_back({name, md, {}});
    v.classic_member = std::move(c);
  }
  return encoded(make_record(k, v));
}

log_record target_member_record(const std::string& g, const std::string& id,
                                const partition_set* target) {
  consumer_group_target_assignment_member_key k{g, id};
  if (!target) return encoded(make_tombstone(k));
  consumer_group_target_assignment_member_value v;
  v.topic_partitions = to_list<assigned_topic_partitions>(*target);
  return encoded(make_record(k, v));
}

log_record target_epoch_record(const std::string& g, const consumer_group* cg) {
  consumer_group_target_assignment_metadata_key k{g};
  if (!cg) return encoded(make_tombstone(k));
  consumer_group_target_assignment_metadata_value v;
  v.assignment_epoch = cg->assignment_epoch;
  return encoded(make_record(k, v));
}

log_record current_assignment_record(const std::string& g, const std::string& id,
                                     const consumer_member* m) {
  consumer_group_current_member_assignment_key k{g, id};
  if (!m) return encoded(make_tombstone(k));
  consumer_group_current_member_assignment_value v;
  v.member_epoch = m->epoch;
  v.previous_member_epoch = m->previous_epoch;
  v.state = static_cast<int8_t>(m->st);
  v.assigned_partitions = to_list<member_topic_partitions>(m->assigned);
  v.partitions_pending_revocation = to_list<member_topic_partitions>(m->pending_revocation);
  return encoded(make_record(k, v));
}

// Kafka's checks of a ConsumerGroupHeartbeat before it reaches the group, with its messages.
std::optional<std::string> invalid_heartbeat(const hb_request& r, int16_t version) {
  if ((version >= 1 || r.member_epoch > 0 || r.member_epoch == -1) && r.member_id.empty())
    return "MemberId can't be empty.";
  if (r.group_id.empty()) return "GroupId can't be empty.";
  if (r.instance_id && r.instance_id->empty()) return "InstanceId can't be empty.";
  if (r.rack_id && r.rack_id->empty()) return "RackId can't be empty.";
  if (r.member_epoch == 0) {
    if (r.rebalance_timeout_ms == -1)
      return "RebalanceTimeoutMs must be provided in first request.";
    if (!r.topic_partitions || !r.topic_partitions->empty())
      return "TopicPartitions must be empty when (re-)joining.";
    if (!r.subscribed_topic_names && !r.subscribed_topic_regex)
      return "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when "
             "(re-)joining.";
  } else if (r.member_epoch == -2) {
    if (!r.instance_id) return "InstanceId can't be null.";
  } else if (r.member_epoch < -2) {
    return "MemberEpoch is invalid.";
  }
  return std::nullopt;
}

}  // namespace

// ---- Helpers --------------------------------------------------------------------------------

bool group_coordinator::refresh_subscriptions(consumer_group& cg) {
  // Regular expressions are matched again when the topics changed, or one is new.
  const std::optional<uint64_t> version =
      _topics.version ? std::optional<uint64_t>(_topics.version()) : std::nullopt;
  std::set<std::string> regexes;
  for (const auto& [id, m] : cg.members)
    if (m.regex) regexes.insert(*m.regex);
  std::erase_if(cg.resolved, [&](const auto& e) { return !regexes.count(e.first); });
  const bool stale = version != cg.resolved_version;
  std::vector<std::string> names;
  if (_topics.names && std::any_of(regexes.begin(), regexes.end(), [&](const std::string& r) {
        return stale || !cg.resolved.count(r);
      }))
    names = _topics.names();
  for (const auto& r : regexes) {
    if (!stale && cg.resolved.count(r)) continue;
    auto& matched = cg.resolved[r];
    matched.clear();
    RE2 re(r, RE2::Quiet);
    if (!re.ok()) continue;
    for (const auto& n : names)
      if (RE2::FullMatch(n, re)) matched.insert(n);
  }
  cg.resolved_version = version;

  std::map<std::string, std::pair<wire::uuid, int32_t>> now;
  for (const auto& [id, m] : cg.members)
    for (const auto& name : cg.topics_of(m)) {
      if (now.count(name) || !_topics.by_name) continue;
      if (auto t = _topics.by_name(name)) now[name] = {t->id, t->partitions};
    }
  // After a restart the first look only learns what the group was computed against.
  const bool first = !cg.subscribed_known;
  cg.subscribed_known = true;
  if (now == cg.subscribed) return false;
  cg.subscribed = std::move(now);
  return !first;
}

static std::string preferred_assignor(const consumer_group& cg, const coordinator_config& config) {
  std::map<std::string, int> votes;
  for (const auto& [id, m] : cg.members)
    if (m.server_assignor) ++votes[*m.server_assignor];
  std::string best;
  int most = 0;
  for (const auto& [name, n] : votes)
    if (n > most) {
      best = name;
      most = n;
    }
  if (!best.empty()) return best;
  return config.consumer_assignors.empty() ? k_uniform_assignor : config.consumer_assignors.front();
}

void group_coordinator::compute_target(const std::string& group_id, consumer_group& cg,
                                       std::vector<log_record>& records) {
  std::vector<assignor_member> members;
  topic_sizes sizes;
  for (const auto& [name, t] : cg.subscribed) sizes[t.first] = t.second;
  for (const auto& [id, m] : cg.members) {
    auto& a = members.emplace_back();
    a.id = id;
    for (const auto& name : cg.topics_of(m))
      if (auto it = cg.subscribed.find(name); it != cg.subscribed.end())
        a.topics.insert(it->second.first);
    if (auto it = cg.target.find(id); it != cg.target.end()) a.previous = it->second;
  }
  auto target = assign(preferred_assignor(cg, _config), members, sizes);
  for (auto& [id, parts] : target) {
    normalize(parts);
    auto old = cg.target.find(id);
    if (old == cg.target.end() || old->second != parts)
      records.push_back(target_member_record(group_id, id, &parts));
  }
  cg.target = std::move(target);
  cg.assignment_epoch = cg.epoch;
  records.push_back(target_epoch_record(group_id, &cg));
}

bool group_coordinator::reconcile(consumer_group& cg, consumer_member& m,
                                  const std::optional<partition_set>& owned) {
  const int32_t epoch0 = m.epoch;
  const member_state st0 = m.st;
  const partition_set assigned0 = m.assigned, pending0 = m.pending_revocation;
  if (m.epoch < 0) return false;
  switch (m.st) {
    case member_state::stable:
      if (m.epoch == cg.assignment_epoch) return false;
      break;
    case member_state::unrevoked_partitions:
      // The member moves on once it reports that it let go of every revoked partition.
      if (!owned || intersects(*owned, m.pending_revocation)) return false;
      break;
    case member_state::unreleased_partitions:
    case member_state::unknown:
      break;
  }
  static const partition_set none;
  auto t = cg.target.find(m.id);
  const partition_set& target = t == cg.target.end() ? none : t->second;
  partition_set kept, revoke, assign;
  bool unreleased = false;
  for (const auto& [topic, ps] : m.assigned)
    for (int32_t p : ps) (contains(target, topic, p) ? kept : revoke)[topic].insert(p);
  // A partition another member still holds (assigned or being revoked) waits for its release.
  partition_set held;
  for (const auto& [id, o] : cg.members) {
    if (id == m.id) continue;
    for (const auto* s : {&o.assigned, &o.pending_revocation})
      for (const auto& [topic, ps] : *s) held[topic].insert(ps.begin(), ps.end());
  }
  auto held_by_other = [&](const wire::uuid& topic, int32_t p) { return contains(held, topic, p); };
  for (const auto& [topic, ps] : target)
    for (int32_t p : ps) {
      if (contains(kept, topic, p)) continue;
      if (held_by_other(topic, p))
        unreleased = true;
      else
        assign[topic].insert(p);
    }
  const bool still_owns_revoked = !owned || intersects(*owned, revoke);
  if (!revoke.empty() && still_owns_revoked) {
    m.st = member_state::unrevoked_partitions;
    m.assigned = std::move(kept);
    m.pending_revocation = std::move(revoke);
    if (st0 != member_state::unrevoked_partitions)
      m.revocation_deadline =
          steady::now() + std::chrono::milliseconds(std::max(0, m.rebalance_timeout_ms));
  } else {
    for (auto& [topic, ps] : assign) kept[topic].insert(ps.begin(), ps.end());
    m.assigned = std::move(kept);
    m.pending_revocation.clear();
    if (m.epoch != cg.assignment_epoch) {
      m.previous_epoch = m.epoch;
      m.epoch = cg.assignment_epoch;
    }
    m.st = unreleased ? member_state::unreleased_partitions : member_state::stable;
    m.revocation_deadline = steady::time_point::max();
  }
  return m.epoch != epoch0 || m.st != st0 || m.assigned != assigned0 ||
         m.pending_revocation != pending0;
}

void group_coordinator::remove_consumer_member(group& g, const std::string& member_id,
                                               std::vector<log_record>& records) {
  auto& cg = *g.modern;
  auto it = cg.members.find(member_id);
  if (it == cg.members.end()) return;
  if (it->second.instance_id) {
    auto s = cg.static_members.find(*it->second.instance_id);
    if (s != cg.static_members.end() && s->second == member_id) cg.static_members.erase(s);
  }
  cg.members.erase(it);
  cg.target.erase(member_id);
  records.push_back(current_assignment_record(g.id, member_id, nullptr));
  records.push_back(target_member_record(g.id, member_id, nullptr));
  records.push_back(member_metadata_record(g.id, member_id, nullptr));
  refresh_subscriptions(cg);
  ++cg.epoch;
  records.push_back(group_epoch_record(g.id, &cg));
  if (cg.members.empty()) {
    // The (empty) target of an empty group is current at once.
    cg.assignment_epoch = cg.epoch;
    records.push_back(target_epoch_record(g.id, &cg));
    g.st = state::empty;
    g.state_timestamp = wall_clock_ms();
  }
}

// ---- ConsumerGroupHeartbeat -----------------------------------------------------------------

asio::awaitable<hb_response> group_coordinator::consumer_leave(group& g, std::string member_id,
                                                               int32_t epoch) {
  hb_response r;
  auto& cg = *g.modern;
  auto it = cg.members.find(member_id);
  if (it == cg.members.end()) {
    r.error_code = code(error_code::unknown_member_id);
    r.error_message = fmt::format("Member {} is not a member of group {}.", member_id, g.id);
    co_return r;
  }
  std::vector<log_record> records;
  if (epoch == -2) {
    // A static member that will come back: it keeps its partitions for the session timeout.
    it->second.epoch = -2;
    it->second.pending_revocation.clear();
    records.push_back(current_assignment_record(g.id, member_id, &it->second));
  } else {
    remove_consumer_member(g, member_id, records);
    maybe_downgrade(g, records);
  }
  r.member_id = member_id;
  r.member_epoch = epoch;
  const std::string id = g.id;
  if (int16_t err = co_await _writer(offsets_partition_for(id, _config.offsets_partitions),
                                     std::move(records));
      err != 0) {
    r = {};
    r.error_code = err;
  }
  co_return r;
}

asio::awaitable<hb_response> group_coordinator::consumer_heartbeat(hb_request req, int16_t version,
                                                                   std::string client_id,
                                                                   std::string client_host) {
  hb_response r;
  auto fail = [&](error_code e, std::optional<std::string> message = std::nullopt) {
    r = {};
    r.error_code = code(e);
    r.error_message = std::move(message);
    return r;
  };
  if (_stopping) co_return fail(error_code::not_coordinator);
  if (auto bad = invalid_heartbeat(req, version)) co_return fail(error_code::invalid_request, bad);
  if (req.server_assignor &&
      std::find(_config.consumer_assignors.begin(), _config.consumer_assignors.end(),
                *req.server_assignor) == _config.consumer_assignors.end())
    co_return fail(error_code::unsupported_assignor,
                   fmt::format("ServerAssignor {} is not supported. Supported assignors: {}.",
                               *req.server_assignor, fmt::join(_config.consumer_assignors, ", ")));
  if (version >= 1 && req.subscribed_topic_regex && !req.subscribed_topic_regex->empty()) {
    RE2 re(*req.subscribed_topic_regex, RE2::Quiet);
    if (!re.ok())
      co_return fail(error_code::invalid_regular_expression,
                     fmt::format("SubscribedTopicRegex `{}` is not a valid regular expression: {}.",
                                 *req.subscribed_topic_regex, re.error()));
  }

  const std::string& gid = req.group_id;
  group* g = find(gid);
  if (req.member_epoch < 0) {
    if (!g) co_return fail(error_code::group_id_not_found, fmt::format("Group {} not found.", gid));
    if (!g->modern)
      co_return fail(error_code::group_id_not_found,
                     fmt::format("Group {} is not a consumer group.", gid));
    std::string member_id = req.member_id;
    if (req.instance_id) {
      auto s = g->modern->static_members.find(*req.instance_id);
      if (s == g->modern->static_members.end())
        co_return fail(error_code::unknown_member_id,
                       fmt::format("Instance id {} is unknown.", *req.instance_id));
      if (!member_id.empty() && s->second != member_id)
        co_return fail(error_code::fenced_instance_id,
                       fmt::format("Static member {} with instance id {} was fenced by member {}.",
                                   member_id, *req.instance_id, s->second));
      member_id = s->second;
    }
    co_return co_await consumer_leave(*g, member_id, req.member_epoch);
  }
  if (!g) {
    if (req.member_epoch != 0)
      co_return fail(error_code::group_id_not_found,
                     fmt::format("Consumer group {} not found.", gid));
    g = &get_or_create(gid);
  }
  std::vector<log_record> records;
  if (!g->modern) {
    if (req.member_epoch != 0)
      co_return fail(error_code::group_id_not_found,
                     fmt::format("Group {} is not a consumer group.", gid));
    if (!g->members.empty() || g->st != state::empty) {
      // Online upgrade (Kafka's default migration policy, bidirectional): the classic members
      // stay, as members of the consumer group that speak the classic protocol.
      if (auto why = upgrade(*g, records))
        co_return fail(error_code::group_id_not_found, std::move(why));
    } else {
      // An empty classic group (offsets only) becomes a consumer group, keeping its offsets.
      if (g->protocol_type) records.push_back(group_metadata_record(gid, nullptr));
      g->modern = std::make_unique<consumer_group>();
    }
    g->protocol_type = "consumer";
    // The conversion is written at once, so that a refusal below cannot leave it unwritten.
    if (!records.empty()) {
      if (int16_t err = co_await _writer(offsets_partition_for(gid, _config.offsets_partitions),
                                         std::exchange(records, {}));
          err != 0)
        co_return fail(static_cast<error_code>(err));
      g = find(gid);
      if (!g || !g->modern) co_return fail(error_code::coordinator_not_available);
    }
  }
  consumer_group& cg = *g->modern;
  // As in Kafka 4.x, the first member's join makes a new group's epoch 2.
  if (cg.epoch == 0 && cg.members.empty()) cg.epoch = 1;
  std::string member_id = req.member_id;
  consumer_member* m = nullptr;
  bool bump = false, changed = false;
  const bool joining = req.member_epoch == 0;
  if (joining && cg.members.size() >= static_cast<size_t>(_config.consumer_max_size) &&
      (member_id.empty() || !cg.members.count(member_id)))
    co_return fail(error_code::group_max_size_reached,
                   fmt::format("The consumer group has reached its maximum capacity of {} members.",
                               _config.consumer_max_size));
  if (joining && member_id.empty()) member_id = random_member_id();
  if (req.instance_id) {
    auto s = cg.static_members.find(*req.instance_id);
    if (s != cg.static_members.end() && !cg.members.count(s->second)) {
      // A mapping whose member is gone frees its instance id.
      cg.static_members.erase(s);
      s = cg.static_members.end();
    }
    if (joining && s != cg.static_members.end() && s->second != member_id) {
      consumer_member& old = cg.members.at(s->second);
      if (old.epoch != -2)
        co_return fail(error_code::unreleased_instance_id,
                       fmt::format("Static member {} with instance id {} cannot join the group "
                                   "because the instance id is owned by {} member.",
                                   member_id, *req.instance_id, old.id));
      // The new incarnation takes the old one's place and partitions, without a rebalance.
      consumer_member next = old;
      const std::string old_id = old.id;
      partition_set target = cg.target[old_id];
      next.id = member_id;
      next.epoch = 0;
      next.previous_epoch = 0;
      cg.members.erase(old_id);
      cg.target.erase(old_id);
      records.push_back(current_assignment_record(gid, old_id, nullptr));
      records.push_back(target_member_record(gid, old_id, nullptr));
      records.push_back(member_metadata_record(gid, old_id, nullptr));
      m = &cg.members.emplace(member_id, std::move(next)).first->second;
      cg.target[member_id] = target;
      s->second = member_id;
      records.push_back(member_metadata_record(gid, member_id, m));
      records.push_back(target_member_record(gid, member_id, &target));
      changed = true;
    } else if (!joining) {
      if (s == cg.static_members.end())
        co_return fail(error_code::unknown_member_id,
                       fmt::format("Instance id {} is unknown.", *req.instance_id));
      if (s->second != member_id)
        co_return fail(error_code::fenced_instance_id,
                       fmt::format("Static member {} with instance id {} was fenced by member {}.",
                                   member_id, *req.instance_id, s->second));
    }
  }
  std::optional<partition_set> owned;
  if (req.topic_partitions) owned = to_set(*req.topic_partitions);
  if (!m) {
    auto it = cg.members.find(member_id);
    if (it == cg.members.end()) {
      if (!joining)
        co_return fail(error_code::unknown_member_id,
                       fmt::format("Member {} is not a member of group {}.", member_id, gid));
      m = &cg.members[member_id];
      m->id = member_id;
      m->epoch = 0;
      m->previous_epoch = -1;
      changed = true;
    } else {
      m = &it->second;
      // A rejoin (epoch 0) of a known member keeps its epoch and partitions and gets them again.
      if (!joining && req.member_epoch > m->epoch)
        co_return fail(error_code::fenced_member_epoch,
                       fmt::format("The consumer group member has a greater member epoch ({}) than "
                                   "the one known by the group coordinator ({}). The member must "
                                   "abandon all its partitions and rejoin.",
                                   req.member_epoch, m->epoch));
      if (!joining && req.member_epoch < m->epoch &&
          (req.member_epoch != m->previous_epoch || !owned || !subset(*owned, m->assigned)))
        co_return fail(error_code::fenced_member_epoch,
                       fmt::format("The consumer group member has a smaller member epoch ({}) than "
                                   "the one known by the group coordinator ({}). The member must "
                                   "abandon all its partitions and rejoin.",
                                   req.member_epoch, m->epoch));
      // A member that joined with the classic protocol and now heartbeats with the consumer
      // protocol moves to it.
      if (m->classic) {
        m->classic.reset();
        changed = true;
      }
    }
  }
  if (m->epoch == -2) m->epoch = 0;

  // The member's settings: null fields are unchanged.
  auto set = [&](auto& field, const auto& value) {
    if (field != value) {
      field = value;
      changed = true;
    }
  };
  if (req.instance_id) {
    set(m->instance_id, req.instance_id);
    cg.static_members[*req.instance_id] = member_id;
  }
  if (req.rack_id) set(m->rack_id, req.rack_id);
  if (req.rebalance_timeout_ms != -1) set(m->rebalance_timeout_ms, req.rebalance_timeout_ms);
  if (req.server_assignor) set(m->server_assignor, req.server_assignor);
  set(m->client_id, client_id);
  set(m->client_host, client_host);
  if (req.subscribed_topic_names) {
    auto names = topic_set(*req.subscribed_topic_names);
    if (names != m->topic_names) {
      m->topic_names = std::move(names);
      changed = true;
      bump = true;
    }
  }
  if (version >= 1 && req.subscribed_topic_regex) {
    // An empty expression drops the member's regular expression.
    std::optional<std::string> regex;
    if (!req.subscribed_topic_regex->empty()) regex = req.subscribed_topic_regex;
    if (regex != m->regex) {
      m->regex = std::move(regex);
      changed = true;
      bump = true;
    }
  }
  if (changed) records.push_back(member_metadata_record(gid, member_id, m));
  if (refresh_subscriptions(cg)) bump = true;
  if (bump) {
    ++cg.epoch;
    records.push_back(group_epoch_record(gid, &cg));
  }
  if (cg.epoch > cg.assignment_epoch) compute_target(gid, cg, records);
  const partition_set before = m->assigned;
  if (reconcile(cg, *m, owned) || changed)
    records.push_back(current_assignment_record(gid, member_id, m));
  m->session_deadline = steady::now() + std::chrono::milliseconds(consumer_session_timeout_ms(gid));
  g->st = state::stable;

  r.member_id = member_id;
  r.member_epoch = m->epoch;
  r.heartbeat_interval_ms = consumer_heartbeat_interval_ms(gid);
  const bool full = req.rebalance_timeout_ms != -1 &&
                    (req.subscribed_topic_names || req.subscribed_topic_regex) &&
                    req.topic_partitions;
  if (joining || full || m->assigned != before) {
    hb_response::assignment_type a;
    a.topic_partitions = to_list<hb_response::topic_partitions_type>(m->assigned);
    r.assignment = std::move(a);
  }
  if (!records.empty()) {
    if (int16_t err = co_await _writer(offsets_partition_for(gid, _config.offsets_partitions),
                                       std::move(records));
        err != 0)
      co_return fail(static_cast<error_code>(err));
  }
  co_return r;
}

std::vector<log_record> group_coordinator::consumer_group_tombstones(const std::string& group_id) {
  // Only an empty group is deleted: its target epoch, then its epoch.
  return {target_epoch_record(group_id, nullptr), group_epoch_record(group_id, nullptr)};
}

// ---- Timeouts -------------------------------------------------------------------------------

void group_coordinator::consumer_tick(group& g, std::vector<log_record>& records) {
  const auto now = steady::now();
  std::vector<std::string> gone;
  for (const auto& [id, m] : g.modern->members)
    if (m.session_deadline <= now || m.revocation_deadline <= now) gone.push_back(id);
  bool consumer_protocol_left = false;
  for (const auto& id : gone) {
    consumer_protocol_left = consumer_protocol_left || !g.modern->members.at(id).classic;
    remove_consumer_member(g, id, records);
  }
  if (consumer_protocol_left) maybe_downgrade(g, records);
}

// ---- ConsumerGroupDescribe ------------------------------------------------------------------

protocol::consumer_group_describe_response::described_group group_coordinator::consumer_describe(
    const std::string& group_id) const {
  using out_t = protocol::consumer_group_describe_response;
  out_t::described_group d;
  d.group_id = group_id;
  const group* g = find(group_id);
  if (!g || !g->modern) {
    d.error_code = code(error_code::group_id_not_found);
    d.error_message = g ? fmt::format("Group {} is not a consumer group.", group_id)
                        : fmt::format("Group {} not found.", group_id);
    return d;
  }
  const consumer_group& cg = *g->modern;
  d.group_state = consumer_state_name(cg);
  d.group_epoch = cg.epoch;
  d.assignment_epoch = cg.assignment_epoch;
  d.assignor_name = preferred_assignor(cg, _config);
  auto describe_parts = [&](const partition_set& s) {
    out_t::assignment_type a;
    for (const auto& [id, ps] : s) {
      if (ps.empty()) continue;
      auto& t = a.topic_partitions.emplace_back();
      t.topic_id = id;
      if (_topics.by_id)
        if (auto info = _topics.by_id(id)) t.topic_name = info->name;
      t.partitions.assign(ps.begin(), ps.end());
    }
    return a;
  };
  for (const auto& [id, m] : cg.members) {
    auto& o = d.members.emplace_back();
    o.member_id = id;
    o.instance_id = m.instance_id;
    o.rack_id = m.rack_id;
    o.member_epoch = m.epoch;
    o.client_id = m.client_id;
    o.client_host = m.client_host;
    o.subscribed_topic_names = m.topic_names;
    o.subscribed_topic_regex = m.regex.value_or("");
    o.assignment = describe_parts(m.assigned);
    auto t = cg.target.find(id);
    o.target_assignment = describe_parts(t == cg.target.end() ? partition_set{} : t->second);
    o.member_type = m.classic ? 0 : 1;  // the classic or the consumer protocol
  }
  return d;
}

int32_t group_coordinator::consumer_session_timeout_ms(const std::string& group_id) const {
  if (_topics.overrides)
    if (auto v = _topics.overrides(group_id).consumer_session_timeout_ms) return *v;
  return _config.consumer_session_timeout_ms;
}

int32_t group_coordinator::consumer_heartbeat_interval_ms(const std::string& group_id) const {
  if (_topics.overrides)
    if (auto v = _topics.overrides(group_id).consumer_heartbeat_interval_ms) return *v;
  return _config.consumer_heartbeat_interval_ms;
}

// ---- Start-up -------------------------------------------------------------------------------

bool group_coordinator::load_consumer_record(const offsets_record& r) {
  auto modern = [&](const std::string& id) -> consumer_group& {
    group& g = get_or_create(id);
    if (!g.modern) {
      g.modern = std::make_unique<consumer_group>();
      g.protocol_type = "consumer";
    }
    return *g.modern;
  };
  auto session = [&](consumer_member& m, const std::string& group_id) {
    m.session_deadline =
        steady::now() + std::chrono::milliseconds(consumer_session_timeout_ms(group_id));
  };
  const auto* value = r.value ? &r.value->value : nullptr;
  if (const auto* k = std::get_if<consumer_group_metadata_key>(&r.key)) {
    if (!value) {
      // The consumer group goes; its offsets (records of their own) stay.
      if (group* g = find(k->group_id); g && g->modern && g->modern->members.empty()) {
        if (g->offsets.empty()) {
          _groups.erase(k->group_id);
        } else {
          g->modern.reset();
          g->protocol_type.reset();
          g->st = state::empty;
        }
      }
      return true;
    }
    if (const auto* v = std::get_if<consumer_group_metadata_value>(value))
      modern(k->group_id).epoch = v->epoch;
    return true;
  }
  if (const auto* k = std::get_if<consumer_group_target_assignment_metadata_key>(&r.key)) {
    if (const auto* v =
            value ? std::get_if<consumer_group_target_assignment_metadata_value>(value) : nullptr)
      modern(k->group_id).assignment_epoch = v->assignment_epoch;
    return true;
  }
  if (const auto* k = std::get_if<consumer_group_member_metadata_key>(&r.key)) {
    if (!value) {
      if (group* g = find(k->group_id); g && g->modern) {
        g->modern->members.erase(k->member_id);
        std::erase_if(g->modern->static_members,
                      [&](const auto& e) { return e.second == k->member_id; });
        if (g->modern->members.empty()) {
          g->st = state::empty;
          g->state_timestamp = wall_clock_ms();
        }
      }
      return true;
    }
    const auto* v = std::get_if<consumer_group_member_metadata_value>(value);
    if (!v) return false;
    auto& cg = modern(k->group_id);
    auto& m = cg.members[k->member_id];
    m.id = k->member_id;
    m.instance_id = v->instance_id;
    m.rack_id = v->rack_id;
    m.client_id = v->client_id;
    m.client_host = v->client_host;
    m.topic_names = v->subscribed_topic_names;
    m.regex = v->subscribed_topic_regex;
    m.rebalance_timeout_ms = v->rebalance_timeout_ms;
    m.server_assignor = v->server_assignor;
    m.classic.reset();
    if (v->classic_member) {
      consumer_member::classic_info c;
      c.session_timeout_ms = v->classic_member->session_timeout_ms;
      for (const auto& p : v->classic_member->supported_protocols)
        c.protocols.emplace_back(p.name, p.metadata);
      m.classic = std::move(c);
    }
    if (m.instance_id) cg.static_members[*m.instance_id] = m.id;
    session(m, k->group_id);
    find(k->group_id)->st = state::stable;
    return true;
  }
  if (const auto* k = std::get_if<consumer_group_target_assignment_member_key>(&r.key)) {
    auto& cg = modern(k->group_id);
    if (!value) {
      cg.target.erase(k->member_id);
      return true;
    }
    const auto* v = std::get_if<consumer_group_target_assignment_member_value>(value);
    if (!v) return false;
    cg.target[k->member_id] = to_set(v->topic_partitions);
    return true;
  }
  if (const auto* k = std::get_if<consumer_group_current_member_assignment_key>(&r.key)) {
    if (!value) return true;
    const auto* v = std::get_if<consumer_group_current_member_assignment_value>(value);
    if (!v) return false;
    auto& cg = modern(k->group_id);
    auto& m = cg.members[k->member_id];
    m.id = k->member_id;
    m.epoch = v->member_epoch;
    m.previous_epoch = v->previous_member_epoch;
    m.st = static_cast<member_state>(v->state);
    m.assigned = to_set(v->assigned_partitions);
    m.pending_revocation = to_set(v->partitions_pending_revocation);
    session(m, k->group_id);
    return true;
  }
  return std::holds_alternative<consumer_group_partition_metadata_key>(r.key) ||
         std::holds_alternative<consumer_group_regular_expression_key>(r.key);
}

// ---- Classic members in a consumer group ----------------------------------------------------

namespace {

// The embedded consumer protocol: an int16 version, then the fields; newer versions are read
// as the newest known one, as Kafka's ConsumerProtocol does.
template <class T>
std::optional<T> parse_embedded(std::span<const uint8_t> bytes) {
  try {
    wire::reader r(bytes);
    const int16_t v = r.read_int16();
    if (v < 0) return std::nullopt;
    return T::decode(r, std::min(v, T::max_version));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// In the version of the member's subscription (its first two bytes), as Kafka answers; the
// versions share a layout.
std::vector<uint8_t> assignment_bytes(const partition_set& assigned, const topic_source& topics,
                                      std::span<const uint8_t> subscription) {
  int16_t version = 0;
  if (subscription.size() >= 2)
    version = static_cast<int16_t>((subscription[0] << 8) | subscription[1]);
  protocol::consumer_protocol_assignment a;
  for (const auto& [id, ps] : assigned) {
    if (ps.empty() || !topics.by_id) continue;
    auto t = topics.by_id(id);
    if (!t) continue;
    auto& o = a.assigned_partitions.emplace_back();
    o.topic = t->name;
    o.partitions.assign(ps.begin(), ps.end());
  }
  version = std::clamp<int16_t>(version, 0, protocol::consumer_protocol_assignment::max_version);
  wire::writer w;
  w.write_int16(version);
  a.encode(w, version);
  auto b = w.bytes();
  return {b.begin(), b.end()};
}

// Partitions named by topic, as the classic protocol names them, by topic id.
template <class List>
partition_set by_ids(const List& named, const topic_source& topics) {
  partition_set out;
  for (const auto& t : named) {
    auto ref = topics.by_name ? topics.by_name(t.topic) : std::nullopt;
    if (!ref) continue;
    for (int32_t p : t.partitions) out[ref->id].insert(p);
  }
  return out;
}

}  // namespace

std::optional<std::string> group_coordinator::upgrade(group& g, std::vector<log_record>& records) {
  const std::string& gid = g.id;
  if (!_config.online_upgrade)
    return fmt::format(
        "Cannot upgrade classic group {} to consumer group because online upgrade is disabled.",
        gid);
  if (g.protocol_type != "consumer")
    return fmt::format(
        "Cannot upgrade classic group {} to consumer group because the group does "
        "not use the consumer embedded protocol.",
        gid);
  if (static_cast<int64_t>(g.members.size()) > _config.consumer_max_size)
    return fmt::format(
        "Cannot upgrade classic group {} to consumer group because the group size "
        "exceeds the consumer group maximum size.",
        gid);
  auto cg = std::make_unique<consumer_group>();
  cg->epoch = cg->assignment_epoch = g.generation;
  for (const auto& m : g.members) {
    const std::vector<uint8_t>* md = g.protocol ? m->metadata_for(*g.protocol) : nullptr;
    if (!md && !m->protocols.empty()) md = &m->protocols.front().second;
    auto sub = md ? parse_embedded<protocol::consumer_protocol_subscription>(*md) : std::nullopt;
    std::optional<protocol::consumer_protocol_assignment> assignment;
    if (!m->assignment.empty()) {
      assignment = parse_embedded<protocol::consumer_protocol_assignment>(m->assignment);
      if (!assignment) sub.reset();
    }
    if (!sub)
      return fmt::format(
          "Cannot upgrade classic group {} to consumer group because the embedded "
          "consumer protocol is malformed.",
          gid);
    if (assignment && assignment->user_data && !assignment->user_data->empty())
      return fmt::format(
          "Cannot upgrade classic group {} to consumer group because an unsupported "
          "custom assignor is in use. Please refer to the documentation or switch "
          "to a default assignor before re-attempting the upgrade.",
          gid);
    consumer_member& c = cg->members[m->id];
    c.id = m->id;
    c.instance_id = m->instance_id;
    c.client_id = m->client_id;
    c.client_host = m->client_host;
    c.topic_names = topic_set(sub->topics);
    c.rack_id = sub->rack_id;
    c.rebalance_timeout_ms = m->rebalance_timeout_ms;
    c.classic = consumer_member::classic_info{m->session_timeout_ms, m->protocols};
    c.epoch = g.generation;
    c.previous_epoch = g.generation;
    if (assignment) c.assigned = by_ids(assignment->assigned_partitions, _topics);
    c.session_deadline = steady::now() + std::chrono::milliseconds(m->session_timeout_ms);
    if (c.instance_id) cg->static_members[*c.instance_id] = c.id;
    cg->target[c.id] = c.assigned;
  }
  // Waiting joins and syncs learn that the group changed; their members join again.
  for (auto& m : g.members) {
    m->fail_join(code(error_code::rebalance_in_progress));
    m->fail_sync(code(error_code::rebalance_in_progress));
  }
  records.push_back(group_metadata_record(gid, nullptr));
  for (const auto& [id, c] : cg->members) {
    records.push_back(member_metadata_record(gid, id, &c));
    records.push_back(target_member_record(gid, id, &cg->target[id]));
  }
  records.push_back(group_epoch_record(gid, cg.get()));
  records.push_back(target_epoch_record(gid, cg.get()));
  for (const auto& [id, c] : cg->members) records.push_back(current_assignment_record(gid, id, &c));
  refresh_subscriptions(*cg);
  g.members.clear();
  g.pending.clear();
  g.static_members.clear();
  g.protocol.reset();
  g.leader.reset();
  g.modern = std::move(cg);
  g.st = state::stable;
  return std::nullopt;
}

asio::awaitable<protocol::join_group_response> group_coordinator::classic_join(
    group& g, protocol::join_group_request req, int16_t version, std::string client_id,
    std::string client_host) {
  // Refusals name the member as it asked (a new member learns its id with MEMBER_ID_REQUIRED).
  std::string answer_id = req.member_id;
  auto fail = [&](error_code e) {
    protocol::join_group_response f;
    f.member_id = answer_id;
    f.protocol_type = f.protocol_name = std::nullopt;
    f.error_code = code(e);
    return f;
  };
  consumer_group& cg = *g.modern;
  const std::string gid = g.id;
  if (req.protocol_type != "consumer") co_return fail(error_code::inconsistent_group_protocol);
  // A protocol every classic member supports.
  std::optional<std::string> protocol_name;
  for (const auto& p : req.protocols) {
    bool everyone = true;
    for (const auto& [id, m] : cg.members)
      if (m.classic && id != req.member_id &&
          std::none_of(m.classic->protocols.begin(), m.classic->protocols.end(),
                       [&](const auto& q) { return q.first == p.name; }))
        everyone = false;
    if (everyone) {
      protocol_name = p.name;
      break;
    }
  }
  if (!protocol_name) co_return fail(error_code::inconsistent_group_protocol);
  std::optional<protocol::consumer_protocol_subscription> sub;
  for (const auto& p : req.protocols)
    if (p.name == *protocol_name)
      sub = parse_embedded<protocol::consumer_protocol_subscription>(p.metadata);
  if (!sub) co_return fail(error_code::inconsistent_group_protocol);

  std::string member_id = req.member_id;
  std::vector<log_record> records;
  bool changed = false, bump = false;
  if (member_id.empty()) {
    std::string fresh =
        (req.group_instance_id ? *req.group_instance_id : client_id) + "-" + random_member_id();
    auto s = req.group_instance_id ? cg.static_members.find(*req.group_instance_id)
                                   : cg.static_members.end();
    if (s != cg.static_members.end() && !cg.members.count(s->second)) {
      cg.static_members.erase(s);
      s = cg.static_members.end();
    }
    if (s != cg.static_members.end()) {
      // A static member's new incarnation takes its place and partitions.
      consumer_member next = cg.members.at(s->second);
      const std::string old_id = s->second;
      partition_set target = cg.target[old_id];
      cg.members.erase(old_id);
      cg.target.erase(old_id);
      records.push_back(current_assignment_record(gid, old_id, nullptr));
      records.push_back(target_member_record(gid, old_id, nullptr));
      records.push_back(member_metadata_record(gid, old_id, nullptr));
      next.id = fresh;
      cg.members.emplace(fresh, std::move(next));
      cg.target[fresh] = target;
      records.push_back(target_member_record(gid, fresh, &target));
      s->second = fresh;
      changed = true;
    } else if (version >= 4) {
      // KIP-394: the member learns its id and joins again with it.
      answer_id = fresh;
      co_return fail(error_code::member_id_required);
    }
    member_id = fresh;
  }
  auto it = cg.members.find(member_id);
  if (it == cg.members.end()) {
    if (cg.members.size() >= static_cast<size_t>(_config.consumer_max_size))
      co_return fail(error_code::group_max_size_reached);
    it = cg.members.emplace(member_id, consumer_member{}).first;
    it->second.id = member_id;
    it->second.epoch = 0;
    it->second.previous_epoch = -1;
    changed = bump = true;
  } else if (!it->second.classic) {
    co_return fail(error_code::unknown_member_id);
  }
  consumer_member& m = it->second;
  if (req.group_instance_id) {
    m.instance_id = req.group_instance_id;
    cg.static_members[*req.group_instance_id] = member_id;
  }
  auto names = topic_set(sub->topics);
  if (names != m.topic_names) {
    m.topic_names = std::move(names);
    changed = bump = true;
  }
  const int32_t rebalance_timeout = version >= 1 && req.rebalance_timeout_ms > 0
                                        ? req.rebalance_timeout_ms
                                        : req.session_timeout_ms;
  consumer_member::classic_info info{req.session_timeout_ms, {}};
  for (const auto& p : req.protocols) info.protocols.emplace_back(p.name, p.metadata);
  if (m.classic != info || m.rebalance_timeout_ms != rebalance_timeout ||
      m.client_id != client_id || m.client_host != client_host || m.rack_id != sub->rack_id) {
    m.classic = std::move(info);
    m.rebalance_timeout_ms = rebalance_timeout;
    m.client_id = client_id;
    m.client_host = client_host;
    m.rack_id = sub->rack_id;
    changed = true;
  }
  if (changed) records.push_back(member_metadata_record(gid, member_id, &m));
  if (refresh_subscriptions(cg)) bump = true;
  if (bump) {
    ++cg.epoch;
    records.push_back(group_epoch_record(gid, &cg));
  }
  if (cg.epoch > cg.assignment_epoch) compute_target(gid, cg, records);
  // What it still owns: the partitions its subscription names (an eager client owns none).
  const partition_set owned = by_ids(sub->owned_partitions, _topics);
  if (reconcile(cg, m, owned) || changed)
    records.push_back(current_assignment_record(gid, member_id, &m));
  m.session_deadline = steady::now() + std::chrono::milliseconds(req.session_timeout_ms);
  g.st = state::stable;

  protocol::join_group_response r;
  r.member_id = member_id;
  r.generation_id = m.epoch;
  r.protocol_type = "consumer";
  r.protocol_name = protocol_name;
  // No leader: the coordinator assigns, every member only syncs.
  r.leader = "";
  if (!records.empty())
    if (int16_t err = co_await _writer(offsets_partition_for(gid, _config.offsets_partitions),
                                       std::move(records));
        err != 0)
      co_return fail(static_cast<error_code>(err));
  co_return r;
}

protocol::sync_group_response group_coordinator::classic_sync(
    group& g, const protocol::sync_group_request& req) {
  protocol::sync_group_response r;
  auto fail = [&](error_code e) {
    r.error_code = code(e);
    return r;
  };
  consumer_group& cg = *g.modern;
  auto it = cg.members.find(req.member_id);
  if (it == cg.members.end() || !it->second.classic) return fail(error_code::unknown_member_id);
  consumer_member& m = it->second;
  if (req.generation_id != m.epoch) return fail(error_code::illegal_generation);
  if ((req.protocol_type && *req.protocol_type != "consumer") ||
      (req.protocol_name &&
       std::none_of(m.classic->protocols.begin(), m.classic->protocols.end(),
                    [&](const auto& p) { return p.first == *req.protocol_name; })))
    return fail(error_code::inconsistent_group_protocol);
  if (cg.epoch > m.epoch && m.st != member_state::unrevoked_partitions)
    return fail(error_code::rebalance_in_progress);
  m.session_deadline = steady::now() + std::chrono::milliseconds(m.classic->session_timeout_ms);
  r.protocol_type = "consumer";
  r.protocol_name = req.protocol_name;
  if (!r.protocol_name && !m.classic->protocols.empty())
    r.protocol_name = m.classic->protocols.front().first;
  std::span<const uint8_t> subscription;
  for (const auto& [name, md] : m.classic->protocols)
    if (name == r.protocol_name) subscription = md;
  r.assignment = assignment_bytes(m.assigned, _topics, subscription);
  return r;
}

protocol::heartbeat_response group_coordinator::classic_heartbeat(
    group& g, const protocol::heartbeat_request& req) {
  protocol::heartbeat_response r;
  consumer_group& cg = *g.modern;
  auto it = cg.members.find(req.member_id);
  if (it == cg.members.end() || !it->second.classic) {
    r.error_code = code(error_code::unknown_member_id);
    return r;
  }
  consumer_member& m = it->second;
  if (req.generation_id != m.epoch) {
    r.error_code = code(error_code::illegal_generation);
    return r;
  }
  m.session_deadline = steady::now() + std::chrono::milliseconds(m.classic->session_timeout_ms);
  // The member joins again when the group moved on, when it must give partitions up, or when
  // partitions it waited for are free now.
  bool rejoin = m.epoch < cg.epoch || m.st == member_state::unrevoked_partitions;
  if (!rejoin && m.st == member_state::unreleased_partitions) {
    consumer_member probe = m;
    rejoin = reconcile(cg, probe, m.assigned) && probe.assigned != m.assigned;
  }
  if (rejoin) r.error_code = code(error_code::rebalance_in_progress);
  return r;
}

int16_t group_coordinator::classic_leave(group& g,
                                         const protocol::leave_group_request::member_identity& who,
                                         std::vector<log_record>& records) {
  consumer_group& cg = *g.modern;
  std::string id = who.member_id;
  if (who.group_instance_id) {
    auto s = cg.static_members.find(*who.group_instance_id);
    if (s == cg.static_members.end()) return code(error_code::unknown_member_id);
    if (!id.empty() && id != s->second) return code(error_code::fenced_instance_id);
    id = s->second;
  }
  if (!cg.members.count(id)) return code(error_code::unknown_member_id);
  remove_consumer_member(g, id, records);
  return 0;
}

void group_coordinator::maybe_downgrade(group& g, std::vector<log_record>& records) {
  if (!g.modern || !_config.online_downgrade) return;
  consumer_group& cg = *g.modern;
  if (cg.members.empty() || static_cast<int64_t>(cg.members.size()) > _config.max_size) return;
  for (const auto& [id, m] : cg.members)
    if (!m.classic) return;
  const std::string gid = g.id;
  const auto now = steady::now();
  for (const auto& [id, m] : cg.members) {
    records.push_back(current_assignment_record(gid, id, nullptr));
    records.push_back(target_member_record(gid, id, nullptr));
    records.push_back(member_metadata_record(gid, id, nullptr));
  }
  for (auto& r : consumer_group_tombstones(gid)) records.push_back(std::move(r));
  g.members.clear();
  g.static_members.clear();
  for (const auto& [id, c] : cg.members) {
    auto m = std::make_unique<member>();
    m->id = id;
    m->instance_id = c.instance_id;
    m->client_id = c.client_id;
    m->client_host = c.client_host;
    m->session_timeout_ms = c.classic->session_timeout_ms;
    m->rebalance_timeout_ms = c.rebalance_timeout_ms;
    m->protocol_type = "consumer";
    m->protocols = c.classic->protocols;
    m->assignment = assignment_bytes(
        c.assigned, _topics,
        m->protocols.empty() ? std::span<const uint8_t>() : m->protocols.front().second);
    m->session_deadline = now + std::chrono::milliseconds(m->session_timeout_ms);
    if (m->instance_id) g.static_members[*m->instance_id] = id;
    g.members.push_back(std::move(m));
  }
  g.generation = cg.epoch;
  g.protocol_type = "consumer";
  g.modern.reset();
  g.protocol = g.select_protocol();
  g.leader = g.members.front()->id;
  g.st = state::stable;
  auto snap = g.snapshot();
  records.push_back(group_metadata_record(gid, &snap));
  // The members learn from their heartbeats that they must join the classic group.
  prepare_rebalance(g, "Downgrade group from consumer to classic for member leaving.");
}

}  // namespace brook::coordinator
