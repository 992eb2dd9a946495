#include "coordinator/group_coordinator.h"

#include "coordinator/group_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <random>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include "base/clock.h"
#include "net/event.h"
#include "protocol/errors.h"

namespace brook::coordinator {

namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

std::string random_uuid_text() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  // The textual form Kafka uses for member ids: java.util.UUID.randomUUID().toString().
  a = (a & ~0xF000ull) | 0x4000ull;
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xFFFF, a & 0xFFFF,
                     b >> 48, b & 0xFFFFFFFFFFFFull);
}
}  // namespace

int32_t offsets_partition_for(const std::string& group_id, int32_t partitions) {
  // Java's String.hashCode over UTF-16 code units, then Kafka's Utils.abs (Math.abs, and 0 for
  // the one value it cannot negate).
  int32_t h = 0;
  for (size_t i = 0; i < group_id.size();) {
    uint32_t cp = static_cast<unsigned char>(group_id[i]);
    size_t len = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
    if (i + len > group_id.size()) len = 1;
    if (len > 1) {
      cp &= len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07;
      for (size_t k = 1; k < len; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(group_id[i + k]) & 0x3F);
    }
    i += len;
    auto add = [&](uint32_t unit) {
      h = static_cast<int32_t>(static_cast<uint32_t>(h) * 31u + unit);
    };
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
  }
  const int32_t positive = h == std::numeric_limits<int32_t>::min() ? 0 : h < 0 ? -h : h;
  return positive % partitions;
}

group_coordinator::group_coordinator(asio::any_io_executor ex, coordinator_config config,
                                     record_writer writer)
    : _ex(std::move(ex)), _config(config), _writer(std::move(writer)) {}

group_coordinator::~group_coordinator() = default;

group_coordinator::group* group_coordinator::find(const std::string& id) {
  auto it = _groups.find(id);
  return it == _groups.end() || it->second->st == state::dead ? nullptr : it->second.get();
}

const group_coordinator::group* group_coordinator::find(const std::string& id) const {
  auto it = _groups.find(id);
  return it == _groups.end() || it->second->st == state::dead ? nullptr : it->second.get();
}

group_coordinator::group& group_coordinator::get_or_create(const std::string& id) {
  auto& g = _groups[id];
  if (!g || g->st == state::dead) {
    g = std::make_unique<group>();
    g->id = id;
    g->state_timestamp = wall_clock_ms();
  }
  return *g;
}

void group_coordinator::reset_session(member& m) {
  m.session_deadline = steady::now() + std::chrono::milliseconds(m.session_timeout_ms);
}

void group_coordinator::prepare_rebalance(group& g, const std::string& /*reason*/) {
  // Members waiting for assignments learn that another rebalance started.
  if (g.st == state::completing_rebalance)
    for (auto& m : g.members) m->fail_sync(code(error_code::rebalance_in_progress));
  const bool was_empty = g.st == state::empty;
  g.st = state::preparing_rebalance;
  g.state_timestamp = wall_clock_ms();
  const auto now = steady::now();
  if (was_empty && _config.initial_rebalance_delay_ms > 0) {
    g.initial_delay = true;
    g.delay_left_ms = std::max(0, g.max_rebalance_timeout() - _config.initial_rebalance_delay_ms);
    g.join_deadline = now + std::chrono::milliseconds(std::min(_config.initial_rebalance_delay_ms,
                                                               g.max_rebalance_timeout()));
  } else {
    g.initial_delay = false;
    g.join_deadline = now + std::chrono::milliseconds(g.max_rebalance_timeout());
  }
}

void group_coordinator::maybe_complete_join(group& g) {
  if (g.st != state::preparing_rebalance || g.initial_delay) return;
  if (g.all_joined()) complete_join(g);
}

void group_coordinator::complete_join(group& g) {
  g.initial_delay = false;
  // Members that did not rejoin in time leave the group (static ones too: their instance id is
  // free again).
  std::vector<std::string> gone;
  for (const auto& m : g.members)
    if (!m->join_waiter) gone.push_back(m->id);
  for (const auto& id : gone) remove_member(g, id, 0);
  g.pending.clear();
  ++g.generation;
  g.state_timestamp = wall_clock_ms();
  if (g.members.empty()) {
    g.st = state::empty;
    g.protocol.reset();
    g.leader.reset();
    // The new (empty) generation is written like any other.
    asio::co_spawn(_ex, persist_group_named(g.id), asio::detached);
    return;
  }
  g.protocol = g.select_protocol();
  if (!g.leader || !g.find_member(*g.leader)) g.leader = g.members.front()->id;
  g.st = state::completing_rebalance;
  g.sync_deadline = steady::now() + std::chrono::milliseconds(g.max_rebalance_timeout());
  for (auto& m : g.members) {
    m->is_new = false;
    m->synced = false;
    m->assignment.clear();
    reset_session(*m);
    fill_join_answer(g, *m, *m->join_answer);
    m->join_waiter->set();
    m->join_waiter.reset();
  }
}

bool group_coordinator::fenced(const group& g, const std::string& member_id,
                               const std::optional<std::string>& instance_id) {
  // A static instance now held by another member id: the caller is a zombie of it.
  if (!instance_id) return false;
  auto it = g.static_members.find(*instance_id);
  return it != g.static_members.end() && it->second != member_id;
}

bool group_coordinator::same_protocols(
    const member& m,
    const std::vector<protocol::join_group_request::join_group_request_protocol>& ps) {
  return m.protocols.size() == ps.size() &&
         std::equal(m.protocols.begin(), m.protocols.end(), ps.begin(),
                    [](const auto& a, const auto& b) {
                      return a.first == b.name && a.second == b.metadata;
                    });
}

asio::awaitable<protocol::join_group_response> group_coordinator::replace_static_member(
    group& g, member& old, std::string new_id, int16_t version, std::string client_id,
    std::string client_host, int32_t session_timeout_ms, int32_t rebalance_timeout_ms) {
  old.fail_join(code(error_code::fenced_instance_id));
  old.fail_sync(code(error_code::fenced_instance_id));
  const bool was_leader = g.leader == old.id;
  old.id = std::move(new_id);
  old.client_id = std::move(client_id);
  old.client_host = std::move(client_host);
  old.session_timeout_ms = session_timeout_ms;
  old.rebalance_timeout_ms = rebalance_timeout_ms;
  g.static_members[*old.instance_id] = old.id;
  if (was_leader) g.leader = old.id;
  reset_session(old);
  protocol::join_group_response r;
  fill_join_answer(g, old, r);
  r.skip_assignment = was_leader && version >= 9;
  const std::string member_id = old.id;
  if (int16_t err = co_await persist_group(g); err != 0) {
    r = {};
    r.member_id = member_id;
    r.error_code = err;
    r.generation_id = -1;
  }
  co_return r;
}

void group_coordinator::fill_join_answer(const group& g, const member& m,
                                         protocol::join_group_response& a) {
  a.error_code = 0;
  a.generation_id = g.generation;
  a.protocol_type = g.protocol_type;
  a.protocol_name = g.protocol;
  a.leader = g.leader.value_or("");
  a.member_id = m.id;
  a.members.clear();
  // Only the leader learns the members and their metadata, to compute the assignments.
  if (m.id != g.leader) return;
  for (const auto& other : g.members) {
    auto& e = a.members.emplace_back();
    e.member_id = other->id;
    e.group_instance_id = other->instance_id;
    if (g.protocol)
      if (const auto* md = other->metadata_for(*g.protocol)) e.metadata = *md;
  }
}

void group_coordinator::remove_member(group& g, const std::string& member_id,
                                      int16_t pending_error) {
  auto it = std::find_if(g.members.begin(), g.members.end(),
                         [&](const auto& m) { return m->id == member_id; });
  if (it == g.members.end()) {
    g.pending.erase(member_id);
    return;
  }
  auto& m = **it;
  const int16_t error = pending_error ? pending_error : code(error_code::unknown_member_id);
  m.fail_join(error);
  m.fail_sync(error);
  if (m.instance_id) g.static_members.erase(*m.instance_id);
  if (g.leader == member_id) g.leader.reset();
  // An empty group keeps its protocol type, as Kafka's does.
  g.members.erase(it);
}

std::vector<log_record> group_coordinator::group_tombstones(const group& g) {
  if (g.modern) return consumer_group_tombstones(g.id);
  return {group_metadata_record(g.id, nullptr)};
}

asio::awaitable<void> group_coordinator::write_records(std::string group_id,
                                                       std::vector<log_record> records) {
  co_await _writer(offsets_partition_for(group_id, _config.offsets_partitions), std::move(records));
}

asio::awaitable<void> group_coordinator::persist_group_named(std::string id) {
  if (auto* g = find(id)) co_await persist_group(*g);
}

asio::awaitable<int16_t> group_coordinator::persist_group(group& g) {
  auto snap = g.snapshot();
  std::vector<log_record> records{group_metadata_record(g.id, &snap)};
  co_return co_await _writer(offsets_partition_for(g.id, _config.offsets_partitions),
                             std::move(records));
}

asio::awaitable<protocol::join_group_response> group_coordinator::join(
    protocol::join_group_request req, int16_t version, std::string client_id,
    std::string client_host) {
  protocol::join_group_response r;
  r.member_id = req.member_id;
  r.protocol_type = std::nullopt;
  r.protocol_name = std::nullopt;
  auto fail = [&](error_code e) {
    r.error_code = code(e);
    r.generation_id = -1;
    return r;
  };
  if (_stopping) co_return fail(error_code::not_coordinator);
  if (req.group_id.empty()) co_return fail(error_code::invalid_group_id);
  if (req.session_timeout_ms < _config.min_session_timeout_ms ||
      req.session_timeout_ms > _config.max_session_timeout_ms)
    co_return fail(error_code::invalid_session_timeout);
  if (req.protocol_type.empty() || req.protocols.empty())
    co_return fail(error_code::inconsistent_group_protocol);
  const int32_t rebalance_timeout = version >= 1 && req.rebalance_timeout_ms > 0
                                        ? req.rebalance_timeout_ms
                                        : req.session_timeout_ms;

  group* existing = find(req.group_id);
  if (existing && existing->modern) {
    // A consumer group with members takes classic members in; an empty one becomes a classic
    // group, as in Kafka.
    if (!existing->modern->members.empty())
      co_return co_await classic_join(*existing, std::move(req), version, std::move(client_id),
                                      std::move(client_host));
    const std::string gid = req.group_id;
    if (int16_t err = co_await _writer(offsets_partition_for(gid, _config.offsets_partitions),
                                       group_tombstones(*existing));
        err != 0)
      co_return fail(static_cast<error_code>(err));
    existing = find(gid);
    if (!existing || (existing->modern && !existing->modern->members.empty()))
      co_return fail(error_code::inconsistent_group_protocol);
    existing->modern.reset();
    existing->protocol_type.reset();
  }
  if (!existing && !req.member_id.empty() && !req.group_instance_id)
    co_return fail(error_code::unknown_member_id);
  group& g = existing ? *existing : get_or_create(req.group_id);
  if (!g.supports(req.protocol_type, req.protocols))
    co_return fail(error_code::inconsistent_group_protocol);

  member* m = nullptr;
  if (req.member_id.empty()) {
    // A static member taking over its own place does not grow the group.
    const bool replacing =
        req.group_instance_id && g.static_members.contains(*req.group_instance_id);
    if (!replacing && static_cast<int64_t>(g.members.size() + g.pending.size()) >= _config.max_size)
      co_return fail(error_code::group_max_size_reached);
    std::string new_id =
        (req.group_instance_id ? *req.group_instance_id : client_id) + "-" + random_uuid_text();
    if (req.group_instance_id) {
      // A static member (re)joining takes over its instance's place; the old member id is
      // fenced. In a stable group with the same protocols it keeps its assignment and nobody
      // rebalances (KIP-345); a leader only from v9 on, which can tell it to skip the
      // assignment (KIP-814).
      if (auto it = g.static_members.find(*req.group_instance_id); it != g.static_members.end()) {
        member* old = g.find_member(it->second);
        if (old && g.st == state::stable && same_protocols(*old, req.protocols) &&
            (old->id != g.leader || version >= 9)) {
          co_return co_await replace_static_member(g, *old, std::move(new_id), version,
                                                   std::move(client_id), std::move(client_host),
                                                   req.session_timeout_ms, rebalance_timeout);
        }
        remove_member(g, it->second, code(error_code::fenced_instance_id));
      }
    } else if (version >= 4) {
      // KIP-394: a new member first gets its id, and joins with it.
      g.pending[new_id] = steady::now() + std::chrono::milliseconds(req.session_timeout_ms);
      r.member_id = new_id;
      co_return fail(error_code::member_id_required);
    }
    auto fresh = std::make_unique<member>();
    fresh->id = new_id;
    fresh->is_new = true;
    m = fresh.get();
    g.members.push_back(std::move(fresh));
  } else {
    m = g.find_member(req.member_id);
    if (!m && g.pending.erase(req.member_id)) {
      auto fresh = std::make_unique<member>();
      fresh->id = req.member_id;
      fresh->is_new = true;
      m = fresh.get();
      g.members.push_back(std::move(fresh));
    }
    if (!m) co_return fail(error_code::unknown_member_id);
    if (req.group_instance_id && m->instance_id != req.group_instance_id)
      co_return fail(error_code::fenced_instance_id);
  }

  const bool changed = !same_protocols(*m, req.protocols);
  m->instance_id = req.group_instance_id;
  if (m->instance_id) g.static_members[*m->instance_id] = m->id;
  m->client_id = client_id;
  m->client_host = client_host;
  m->session_timeout_ms = req.session_timeout_ms;
  m->rebalance_timeout_ms = rebalance_timeout;
  m->protocol_type = req.protocol_type;
  m->protocols.clear();
  for (auto& p : req.protocols) m->protocols.emplace_back(p.name, std::move(p.metadata));
  g.protocol_type = req.protocol_type;

  // A known member of a settled group that changed nothing gets the current generation again.
  if (!m->is_new && !changed && (g.st == state::stable || g.st == state::completing_rebalance) &&
      (g.st == state::completing_rebalance || m->id != g.leader)) {
    fill_join_answer(g, *m, r);
    reset_session(*m);
    co_return r;
  }

  // Wait in the join phase.
  // A second JoinGroup from the same member replaces the first, which is answered as Kafka
  // does when a member rejoins during the join phase.
  m->fail_join(code(error_code::rebalance_in_progress));
  auto waiter = std::make_shared<net::event>(_ex);
  auto answer = std::make_shared<protocol::join_group_response>();
  answer->member_id = m->id;
  m->join_waiter = waiter;
  m->join_answer = answer;
  if (g.st != state::preparing_rebalance) {
    prepare_rebalance(g, "member joined");
  } else if (g.initial_delay) {
    // The initial delay is extended for each member that arrives, up to the rebalance timeout.
    const int32_t step = std::min(_config.initial_rebalance_delay_ms, g.delay_left_ms);
    if (step > 0) {
      g.delay_left_ms -= step;
      g.join_deadline = steady::now() + std::chrono::milliseconds(step);
    }
  } else {
    g.join_deadline =
        std::max(g.join_deadline, steady::now() + std::chrono::milliseconds(rebalance_timeout));
  }
  maybe_complete_join(g);
  co_await waiter->wait();
  co_return *answer;
}

asio::awaitable<protocol::sync_group_response> group_coordinator::sync(
    protocol::sync_group_request req, int16_t version) {
  protocol::sync_group_response r;
  auto fail = [&](error_code e) {
    r.error_code = code(e);
    return r;
  };
  if (_stopping) co_return fail(error_code::not_coordinator);
  group* g = find(req.group_id);
  if (!g) co_return fail(error_code::unknown_member_id);
  if (g->modern) co_return classic_sync(*g, req);
  if (fenced(*g, req.member_id, req.group_instance_id))
    co_return fail(error_code::fenced_instance_id);
  member* m = g->find_member(req.member_id);
  if (!m) co_return fail(error_code::unknown_member_id);
  if (req.group_instance_id && m->instance_id != req.group_instance_id)
    co_return fail(error_code::fenced_instance_id);
  if (req.generation_id != g->generation) co_return fail(error_code::illegal_generation);
  if ((req.protocol_type && req.protocol_type != g->protocol_type) ||
      (req.protocol_name && req.protocol_name != g->protocol))
    co_return fail(error_code::inconsistent_group_protocol);
  if (version >= 5) {
    r.protocol_type = g->protocol_type;
    r.protocol_name = g->protocol;
  }
  switch (g->st) {
    case state::empty:
    case state::dead:
      co_return fail(error_code::unknown_member_id);
    case state::preparing_rebalance:
      co_return fail(error_code::rebalance_in_progress);
    case state::stable:
      r.assignment = m->assignment;
      reset_session(*m);
      co_return r;
    case state::completing_rebalance:
      break;
  }
  auto waiter = std::make_shared<net::event>(_ex);
  auto answer = std::make_shared<protocol::sync_group_response>(r);
  m->synced = true;
  m->sync_waiter = waiter;
  m->sync_answer = answer;
  reset_session(*m);
  if (m->id == g->leader) {
    for (auto& mm : g->members) {
      mm->assignment.clear();
      for (auto& a : req.assignments)
        if (a.member_id == mm->id) mm->assignment = a.assignment;
    }
    const int32_t generation = g->generation;
    const std::string id = g->id;
    const int16_t err = co_await persist_group(*g);
    // The group may have moved on while the record was written.
    g = find(id);
    if (g && g->generation == generation && g->st == state::completing_rebalance) {
      if (err == 0) {
        g->st = state::stable;
        g->state_timestamp = wall_clock_ms();
      }
      for (auto& mm : g->members) {
        if (!mm->sync_waiter) continue;
        mm->sync_answer->error_code = err;
        mm->sync_answer->assignment = err == 0 ? mm->assignment : std::vector<uint8_t>{};
        mm->sync_waiter->set();
        mm->sync_waiter.reset();
      }
      if (err != 0) prepare_rebalance(*g, "could not store the assignments");
    }
  }
  co_await waiter->wait();
  co_return *answer;
}

protocol::heartbeat_response group_coordinator::heartbeat(const protocol::heartbeat_request& req) {
  protocol::heartbeat_response r;
  auto fail = [&](error_code e) {
    r.error_code = code(e);
    return r;
  };
  group* g = find(req.group_id);
  if (!g) return fail(error_code::unknown_member_id);
  if (g->modern) return classic_heartbeat(*g, req);
  if (fenced(*g, req.member_id, req.group_instance_id)) return fail(error_code::fenced_instance_id);
  member* m = g->find_member(req.member_id);
  if (!m) return fail(error_code::unknown_member_id);
  if (req.group_instance_id && m->instance_id != req.group_instance_id)
    return fail(error_code::fenced_instance_id);
  if (g->st == state::empty) return fail(error_code::unknown_member_id);
  if (req.generation_id != g->generation && g->st != state::preparing_rebalance)
    return fail(error_code::illegal_generation);
  reset_session(*m);
  if (g->st == state::preparing_rebalance) return fail(error_code::rebalance_in_progress);
  return r;
}

asio::awaitable<protocol::leave_group_response> group_coordinator::leave(
    protocol::leave_group_request req, int16_t version) {
  protocol::leave_group_response r;
  std::vector<protocol::leave_group_request::member_identity> who = req.members;
  if (version < 3) who.push_back({req.member_id, std::nullopt, std::nullopt, {}});
  group* g = find(req.group_id);
  if (g && g->modern) {
    std::vector<log_record> records;
    for (const auto& w : who) {
      auto& out = r.members.emplace_back();
      out.member_id = w.member_id;
      out.group_instance_id = w.group_instance_id;
      out.error_code = classic_leave(*g, w, records);
    }
    if (!records.empty())
      if (int16_t err = co_await _writer(
              offsets_partition_for(req.group_id, _config.offsets_partitions), std::move(records));
          err != 0)
        for (auto& m : r.members)
          if (m.error_code == 0) m.error_code = err;
    if (version < 3) {
      r.error_code = r.members.front().error_code;
      r.members.clear();
    }
    co_return r;
  }
  bool any_left = false;
  for (const auto& w : who) {
    auto& out = r.members.emplace_back();
    out.member_id = w.member_id;
    out.group_instance_id = w.group_instance_id;
    if (!g) {
      out.error_code = code(error_code::unknown_member_id);
      continue;
    }
    std::string id = w.member_id;
    if (w.group_instance_id) {
      auto it = g->static_members.find(*w.group_instance_id);
      if (it == g->static_members.end()) {
        out.error_code = code(error_code::unknown_member_id);
        continue;
      }
      if (!id.empty() && id != it->second) {
        out.error_code = code(error_code::fenced_instance_id);
        continue;
      }
      id = it->second;
    }
    if (!g->find_member(id)) {
      if (g->pending.erase(id)) {
        any_left = true;
        continue;
      }
      out.error_code = code(error_code::unknown_member_id);
      continue;
    }
    remove_member(*g, id, 0);
    any_left = true;
  }
  if (g && any_left) {
    if (g->st == state::stable || g->st == state::completing_rebalance)
      prepare_rebalance(*g, "member left");
    maybe_complete_join(*g);
  }
  if (version < 3) {
    r.error_code = r.members.front().error_code;
    r.members.clear();
  }
  co_return r;
}

asio::awaitable<std::vector<int16_t>> group_coordinator::commit(
    commit_identity who, std::vector<offset_commit_entry> entries) {
  std::vector<int16_t> errors(entries.size(), 0);
  auto all = [&](error_code e) {
    std::fill(errors.begin(), errors.end(), code(e));
    return errors;
  };
  if (who.group_id.empty()) co_return all(error_code::invalid_group_id);
  group* g = find(who.group_id);
  const bool from_member = who.generation >= 0 || !who.member_id.empty() || who.group_instance_id;
  // TxnOffsetCommit below v3 names no member: Kafka takes it whatever the group's state.
  const bool anonymous_txn = who.producer && !from_member;
  if (g && g->modern) {
    // Kafka's checks for consumer groups: commits from outside only while the group is empty.
    if (!anonymous_txn && (who.generation >= 0 || !g->modern->members.empty())) {
      auto it = g->modern->members.find(who.member_id);
      if (it == g->modern->members.end()) co_return all(error_code::unknown_member_id);
      const bool classic = it->second.classic.has_value();
      if (!classic && who.version >= 0 && who.version < 9)
        co_return all(error_code::unsupported_version);
      if (who.generation != it->second.epoch)
        co_return all(classic ? error_code::illegal_generation : error_code::stale_member_epoch);
    }
  } else if (!g) {
    // Only commits from outside any group create one (an empty group that just keeps offsets).
    if (from_member)
      co_return all(who.generation >= 0 ? error_code::illegal_generation
                                        : error_code::unknown_member_id);
    g = &get_or_create(who.group_id);
  } else if (from_member) {
    if (fenced(*g, who.member_id, who.group_instance_id))
      co_return all(error_code::fenced_instance_id);
    member* m = g->find_member(who.member_id);
    if (!m) co_return all(error_code::unknown_member_id);
    if (who.group_instance_id && m->instance_id != who.group_instance_id)
      co_return all(error_code::fenced_instance_id);
    if (who.generation != g->generation) co_return all(error_code::illegal_generation);
    if (g->st == state::completing_rebalance) co_return all(error_code::rebalance_in_progress);
    reset_session(*m);
  } else if (g->st != state::empty && !anonymous_txn) {
    co_return all(error_code::unknown_member_id);
  }
  std::vector<log_record> records;
  std::vector<size_t> written;
  const int64_t now = wall_clock_ms();
  for (size_t i = 0; i < entries.size(); ++i) {
    auto& e = entries[i];
    if (static_cast<int64_t>(e.value.metadata.size()) > _config.offset_metadata_max_bytes) {
      errors[i] = code(error_code::offset_metadata_too_large);
      continue;
    }
    if (e.value.commit_timestamp < 0) e.value.commit_timestamp = now;
    records.push_back(offset_commit_record(who.group_id, e.topic, e.partition, &e.value));
    written.push_back(i);
  }
  if (records.empty()) co_return errors;
  const std::string id = who.group_id;
  const int32_t partition = offsets_partition_for(id, _config.offsets_partitions);
  int16_t err = 0;
  if (who.producer) {
    err = _txn_writer ? co_await _txn_writer(partition, who.producer->first, who.producer->second,
                                             std::move(records))
                      : code(error_code::coordinator_not_available);
  } else {
    err = co_await _writer(partition, std::move(records));
  }
  g = find(id);
  for (size_t i : written) {
    if (err != 0 || !g) {
      errors[i] = err != 0 ? err : code(error_code::coordinator_not_available);
      continue;
    }
    if (who.producer)
      _pending_txn[who.producer->first][id][entries[i].topic][entries[i].partition] =
          entries[i].value;
    else
      g->offsets[entries[i].topic][entries[i].partition] = entries[i].value;
  }
  co_return errors;
}

group_coordinator::fetched group_coordinator::fetch_offsets(
    const std::string& group_id,
    const std::optional<std::map<std::string, std::vector<int32_t>>>& wanted,
    const std::optional<std::pair<std::string, int32_t>>& member) {
  fetched out;
  const group* g = find(group_id);
  if (g && g->modern && member) {
    // OffsetFetch v9+ from a member of a consumer group: its epoch must be current.
    auto it = g->modern->members.find(member->first);
    if (it == g->modern->members.end() || member->second != it->second.epoch) {
      out.error_code = code(it == g->modern->members.end() ? error_code::unknown_member_id
                                                           : error_code::stale_member_epoch);
      return out;
    }
  }
  for (const auto& [pid, groups] : _pending_txn)
    if (auto it = groups.find(group_id); it != groups.end())
      for (const auto& [topic, parts] : it->second)
        for (const auto& [p, c] : parts) out.unstable.insert({topic, p});
  if (!wanted) {
    if (g) out.offsets = g->offsets;
    return out;
  }
  for (const auto& [topic, partitions] : *wanted)
    for (int32_t p : partitions) {
      committed_offset c;
      if (g)
        if (auto t = g->offsets.find(topic); t != g->offsets.end())
          if (auto it = t->second.find(p); it != t->second.end()) c = it->second;
      out.offsets[topic][p] = c;
    }
  return out;
}

void group_coordinator::complete_txn(int32_t offsets_partition, int64_t producer_id, bool commit) {
  auto it = _pending_txn.find(producer_id);
  if (it == _pending_txn.end()) return;
  for (auto g = it->second.begin(); g != it->second.end();) {
    if (offsets_partition_for(g->first, _config.offsets_partitions) != offsets_partition) {
      ++g;
      continue;
    }
    if (commit) {
      auto& group = get_or_create(g->first);
      for (auto& [topic, parts] : g->second)
        for (auto& [p, c] : parts) group.offsets[topic][p] = c;
    }
    g = it->second.erase(g);
  }
  if (it->second.empty()) _pending_txn.erase(it);
}

void group_coordinator::load_pending_offset(int64_t producer_id, const std::string& group,
                                            const std::string& topic, int32_t partition,
                                            const committed_offset& value) {
  _pending_txn[producer_id][group][topic][partition] = value;
}

std::set<std::string> group_coordinator::subscribed_topics(const group& g) {
  std::set<std::string> out;
  if (g.modern) {
    for (const auto& [id, m] : g.modern->members) out.merge(g.modern->topics_of(m));
    return out;
  }
  if (g.st == state::empty || g.protocol_type != "consumer" || !g.protocol) return out;
  for (const auto& m : g.members) {
    const auto* md = m->metadata_for(*g.protocol);
    if (!md) continue;
    // ConsumerProtocolSubscription: int16 version, then an int32 count of int16-length topic
    // names; the fields after them do not matter here. Malformed bytes end the list.
    const auto& b = *md;
    size_t pos = 2;
    if (pos + 4 > b.size()) continue;
    const uint32_t n = (uint32_t(b[pos]) << 24) | (uint32_t(b[pos + 1]) << 16) |
                       (uint32_t(b[pos + 2]) << 8) | uint32_t(b[pos + 3]);
    pos += 4;
    for (uint32_t i = 0; i < n && n < 0x80000000u && pos + 2 <= b.size(); ++i) {
      const size_t len = (size_t(b[pos]) << 8) | b[pos + 1];
      pos += 2;
      if (pos + len > b.size()) break;
      out.emplace(reinterpret_cast<const char*>(b.data() + pos), len);
      pos += len;
    }
  }
  return out;
}

asio::awaitable<group_coordinator::offsets_deleted> group_coordinator::delete_offsets(
    std::string group_id, std::map<std::string, std::vector<int32_t>> wanted) {
  offsets_deleted out;
  group* g = find(group_id);
  if (!g) {
    out.error_code = code(error_code::group_id_not_found);
    co_return out;
  }
  // Topics a member of a consumer group subscribes to keep their offsets.
  const std::set<std::string> subscribed = subscribed_topics(*g);
  std::vector<log_record> records;
  for (const auto& [topic, partitions] : wanted)
    for (int32_t p : partitions) {
      if (subscribed.contains(topic)) {
        out.partitions[topic][p] = code(error_code::group_subscribed_to_topic);
        continue;
      }
      out.partitions[topic][p] = 0;
      if (auto t = g->offsets.find(topic); t != g->offsets.end() && t->second.contains(p))
        records.push_back(offset_commit_record(group_id, topic, p, nullptr));
    }
  if (records.empty()) co_return out;
  const int16_t err = co_await _writer(offsets_partition_for(group_id, _config.offsets_partitions),
                                       std::move(records));
  g = find(group_id);
  for (auto& [topic, partitions] : out.partitions)
    for (auto& [p, e] : partitions) {
      if (e != 0) continue;
      if (err != 0) {
        e = err;
      } else if (g) {
        if (auto t = g->offsets.find(topic); t != g->offsets.end()) {
          t->second.erase(p);
          if (t->second.empty()) g->offsets.erase(t);
        }
      }
    }
  co_return out;
}

protocol::describe_groups_response::described_group group_coordinator::describe(
    const std::string& group_id, int16_t version) const {
  protocol::describe_groups_response::described_group d;
  d.group_id = group_id;
  const group* g = find(group_id);
  if (!g || g->modern) {
    d.group_state = "Dead";
    // Kafka 4.x names an unknown group from v6 on; older versions describe it as Dead. A
    // consumer group is described by ConsumerGroupDescribe only.
    if (version >= 6) {
      d.error_code = code(error_code::group_id_not_found);
      d.error_message = g ? fmt::format("Group {} is not a classic group.", group_id)
                          : fmt::format("Group {} not found.", group_id);
    }
    return d;
  }
  d.group_state = state_name(g->st);
  d.protocol_type = g->protocol_type.value_or("");
  const bool stable = g->st == state::stable;
  d.protocol_data = stable ? g->protocol.value_or("") : "";
  for (const auto& m : g->members) {
    auto& o = d.members.emplace_back();
    o.member_id = m->id;
    o.group_instance_id = m->instance_id;
    o.client_id = m->client_id;
    o.client_host = m->client_host;
    if (stable) {
      if (g->protocol)
        if (const auto* md = m->metadata_for(*g->protocol)) o.member_metadata = *md;
      o.member_assignment = m->assignment;
    }
  }
  return d;
}

std::vector<protocol::list_groups_response::listed_group> group_coordinator::list(
    const std::vector<std::string>& states, const std::vector<std::string>& types) const {
  std::vector<protocol::list_groups_response::listed_group> out;
  for (const auto& [id, g] : _groups) {
    if (g->st == state::dead) continue;
    const char* st = g->modern ? consumer_state_name(*g->modern) : state_name(g->st);
    const char* type = g->modern ? "consumer" : "classic";
    if (!states.empty() && std::none_of(states.begin(), states.end(),
                                        [&](const std::string& s) { return iequals(s, st); }))
      continue;
    if (!types.empty() && std::none_of(types.begin(), types.end(),
                                       [&](const std::string& t) { return iequals(t, type); }))
      continue;
    auto& o = out.emplace_back();
    o.group_id = id;
    o.protocol_type = g->protocol_type.value_or("");
    o.group_state = st;
    o.group_type = type;
  }
  return out;
}

asio::awaitable<int16_t> group_coordinator::delete_group(std::string group_id) {
  group* g = find(group_id);
  if (!g) co_return code(error_code::group_id_not_found);
  if (g->st != state::empty) co_return code(error_code::non_empty_group);
  std::vector<log_record> records;
  for (const auto& [topic, partitions] : g->offsets)
    for (const auto& [p, c] : partitions)
      records.push_back(offset_commit_record(group_id, topic, p, nullptr));
  for (auto& r : group_tombstones(*g)) records.push_back(std::move(r));
  const int16_t err = co_await _writer(offsets_partition_for(group_id, _config.offsets_partitions),
                                       std::move(records));
  if (err != 0) co_return err;
  if (auto* again = find(group_id); again && again->st == state::empty) _groups.erase(group_id);
  co_return 0;
}

void group_coordinator::load_offset(const std::string& group_id, const std::string& topic,
                                    int32_t partition,
                                    const std::optional<committed_offset>& value) {
  if (!value) {
    if (auto* g = find(group_id))
      if (auto t = g->offsets.find(topic); t != g->offsets.end()) {
        t->second.erase(partition);
        if (t->second.empty()) g->offsets.erase(t);
      }
    return;
  }
  get_or_create(group_id).offsets[topic][partition] = *value;
}

void group_coordinator::load_group(const std::string& group_id,
                                   const std::optional<group_snapshot>& value) {
  if (!value) {
    // The group's membership goes; its committed offsets are records of their own and stay (a
    // group that became a consumer group keeps them).
    if (group* g = find(group_id); g && !g->modern) {
      if (g->offsets.empty()) {
        _groups.erase(group_id);
      } else {
        g->members.clear();
        g->static_members.clear();
        g->pending.clear();
        g->generation = 0;
        g->protocol_type.reset();
        g->protocol.reset();
        g->leader.reset();
        g->st = state::empty;
      }
    }
    return;
  }
  // As Kafka loads a group: its last stored generation, members and assignments, Stable (or
  // Empty without members). Members that keep heartbeating with that generation carry on
  // without a rebalance; those that do not come back expire after their session timeout.
  auto& g = get_or_create(group_id);
  g.generation = value->generation;
  g.protocol_type = value->protocol_type.empty() ? std::nullopt
                                                 : std::optional<std::string>(value->protocol_type);
  g.protocol = value->protocol;
  g.leader = value->leader;
  g.state_timestamp = value->current_state_timestamp;
  g.members.clear();
  g.static_members.clear();
  g.pending.clear();
  for (const auto& sm : value->members) {
    auto m = std::make_unique<member>();
    m->id = sm.member_id;
    m->instance_id = sm.group_instance_id;
    m->client_id = sm.client_id;
    m->client_host = sm.client_host;
    m->session_timeout_ms = sm.session_timeout_ms;
    m->rebalance_timeout_ms =
        sm.rebalance_timeout_ms > 0 ? sm.rebalance_timeout_ms : sm.session_timeout_ms;
    m->protocol_type = value->protocol_type;
    // Only the chosen protocol's metadata is stored, as in Kafka.
    if (value->protocol) m->protocols.emplace_back(*value->protocol, sm.subscription);
    m->assignment = sm.assignment;
    reset_session(*m);
    if (m->instance_id) g.static_members[*m->instance_id] = m->id;
    g.members.push_back(std::move(m));
  }
  g.st = g.members.empty() ? state::empty : state::stable;
}

void group_coordinator::release_waiters() {
  _stopping = true;
  for (auto& [id, g] : _groups)
    for (auto& m : g->members) {
      m->fail_join(code(error_code::not_coordinator));
      m->fail_sync(code(error_code::not_coordinator));
    }
}

asio::awaitable<void> group_coordinator::expire_offsets(int64_t now_ms) {
  // (group, partition of __consumer_offsets) -> tombstones; groups to delete afterwards.
  std::map<std::string, std::vector<log_record>> records;
  std::map<std::string, std::vector<std::pair<std::string, int32_t>>> gone;
  for (auto& [id, g] : _groups) {
    // A stable consumer group keeps the offsets of the topics its members subscribe to; those of
    // other topics count from their commit. An empty group's count from when it became empty.
    std::optional<std::set<std::string>> subscribed;
    if (g->st == state::stable && g->protocol_type == "consumer")
      subscribed = subscribed_topics(*g);
    else if (g->st != state::empty)
      continue;
    const bool ever_had_members = g->protocol_type.has_value();
    for (const auto& [topic, partitions] : g->offsets)
      for (const auto& [p, c] : partitions) {
        if (subscribed && subscribed->contains(topic)) continue;
        const int64_t base =
            ever_had_members && !subscribed ? g->state_timestamp : c.commit_timestamp;
        const bool expired = c.expire_timestamp >= 0
                                 ? now_ms >= c.expire_timestamp
                                 : now_ms - base >= _config.offsets_retention_ms;
        if (!expired) continue;
        records[id].push_back(offset_commit_record(id, topic, p, nullptr));
        gone[id].emplace_back(topic, p);
      }
  }
  for (auto& [id, recs] : records) {
    const int16_t err =
        co_await _writer(offsets_partition_for(id, _config.offsets_partitions), std::move(recs));
    group* g = find(id);
    if (err != 0 || !g) continue;
    for (const auto& [topic, p] : gone[id])
      if (auto t = g->offsets.find(topic); t != g->offsets.end()) {
        t->second.erase(p);
        if (t->second.empty()) g->offsets.erase(t);
      }
  }
  // Empty groups without offsets are gone for good.
  std::vector<std::string> empty;
  for (const auto& [id, g] : _groups)
    // (Not one that has just been created: a commit or a join may be on its way into it.)
    if (g->st == state::empty && g->offsets.empty() && g->members.empty() && g->pending.empty() &&
        now_ms - g->state_timestamp >= 60000)
      empty.push_back(id);
  for (const auto& id : empty) {
    if (co_await _writer(offsets_partition_for(id, _config.offsets_partitions),
                         group_tombstones(*_groups.at(id))) != 0)
      continue;
    if (auto* g = find(id); g && g->st == state::empty && g->offsets.empty()) _groups.erase(id);
  }
}

asio::awaitable<void> group_coordinator::expire_in_background() {
  co_await expire_offsets(wall_clock_ms());
  _expiring = false;
}

void group_coordinator::tick() {
  const auto now = steady::now();
  if (now >= _next_expiry && !_expiring && !_stopping) {
    _next_expiry = now + std::chrono::milliseconds(_config.offsets_retention_check_interval_ms);
    _expiring = true;
    asio::co_spawn(_ex, expire_in_background(), asio::detached);
  }
  for (auto& [id, gp] : _groups) {
    group& g = *gp;
    if (g.st == state::dead) continue;
    if (g.modern) {
      std::vector<log_record> records;
      consumer_tick(g, records);
      if (!records.empty())
        asio::co_spawn(_ex, write_records(id, std::move(records)), asio::detached);
      continue;
    }
    for (auto it = g.pending.begin(); it != g.pending.end();)
      it = it->second <= now ? g.pending.erase(it) : std::next(it);
    if (g.st == state::preparing_rebalance) {
      if (now >= g.join_deadline) {
        if (g.initial_delay && g.delay_left_ms > 0 && !g.all_joined()) {
          // Still members to wait for within the rebalance timeout: keep waiting.
          const int32_t step = std::min(_config.initial_rebalance_delay_ms, g.delay_left_ms);
          g.delay_left_ms -= step;
          g.join_deadline = now + std::chrono::milliseconds(step);
        } else {
          complete_join(g);
        }
      } else {
        maybe_complete_join(g);
      }
      continue;
    }
    if (g.st != state::stable && g.st != state::completing_rebalance) continue;
    std::vector<std::string> expired;
    for (const auto& m : g.members)
      if (m->session_deadline <= now ||
          (g.st == state::completing_rebalance && !m->synced && g.sync_deadline <= now))
        expired.push_back(m->id);
    if (expired.empty()) continue;
    for (const auto& mid : expired) remove_member(g, mid, 0);
    prepare_rebalance(g, "session expired");
    maybe_complete_join(g);
  }
}

}  // namespace brook::coordinator
