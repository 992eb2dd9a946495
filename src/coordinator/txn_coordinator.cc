#include "coordinator/txn_coordinator.h"

#include <re2/re2.h>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>

#include <limits>

#include "base/clock.h"
#include "base/log.h"
#include "protocol/errors.h"
#include "protocol/wire/reader.h"
#include "protocol/wire/writer.h"

namespace brook::coordinator {

namespace {
const log::logger lg("transactions");
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

constexpr std::pair<txn_state, const char*> k_names[] = {
    {txn_state::empty, "Empty"},
    {txn_state::ongoing, "Ongoing"},
    {txn_state::prepare_commit, "PrepareCommit"},
    {txn_state::prepare_abort, "PrepareAbort"},
    {txn_state::complete_commit, "CompleteCommit"},
    {txn_state::complete_abort, "CompleteAbort"},
    {txn_state::dead, "Dead"},
    {txn_state::prepare_epoch_fence, "PrepareEpochFence"},
};

bool in_prepare(txn_state s) {
  return s == txn_state::prepare_commit || s == txn_state::prepare_abort;
}

// Kafka bumps to a new producer id when the epoch cannot grow any more.
bool epoch_exhausted(int16_t epoch) { return epoch >= std::numeric_limits<int16_t>::max() - 1; }

void skip_tags(wire::reader& r) {
  for (uint32_t n = r.read_uvarint(); n > 0; --n) {
    r.read_uvarint();
    r.skip(r.read_uvarint());
  }
}

// Marks a transaction busy for the life of an operation.
struct busy_guard {
  txn_metadata& m;
  explicit busy_guard(txn_metadata& t) : m(t) { m.busy = true; }
  ~busy_guard() { m.busy = false; }
};
}  // namespace

const char* txn_state_name(txn_state s) {
  for (const auto& [state, name] : k_names)
    if (state == s) return name;
  return "Unknown";
}

std::optional<txn_state> txn_state_from_name(std::string_view name) {
  for (const auto& [state, n] : k_names)
    if (name == n) return state;
  return std::nullopt;
}

// ---- Records --------------------------------------------------------------------------------

std::vector<uint8_t> encode_txn_key(const std::string& transactional_id) {
  wire::writer w;
  w.write_int16(0);
  w.write_string(transactional_id, false);
  auto b = w.take();
  return {b.begin(), b.end()};
}

std::vector<uint8_t> encode_txn_value(const txn_metadata& m) {
  // Version 1 (flexible), as Kafka writes once transaction.version is 1 or more.
  wire::writer w;
  w.write_int16(1);
  w.write_int64(m.producer_id);
  w.write_int16(m.epoch);
  w.write_int32(m.timeout_ms);
  w.write_int8(static_cast<int8_t>(m.state));
  // Kafka writes no partitions (null) for an Empty transaction.
  if (m.state == txn_state::empty) {
    w.write_uvarint(0);
  } else {
    std::map<std::string, std::vector<int32_t>> by_topic;
    for (const auto& p : m.partitions) by_topic[p.topic].push_back(p.partition);
    w.write_uvarint(static_cast<uint32_t>(by_topic.size() + 1));
    for (const auto& [topic, parts] : by_topic) {
      w.write_string(topic, true);
      w.write_uvarint(static_cast<uint32_t>(parts.size() + 1));
      for (int32_t p : parts) w.write_int32(p);
      w.write_uvarint(0);
    }
  }
  w.write_int64(m.update_ms);
  w.write_int64(m.start_ms);
  // Tagged fields, those different from their defaults, in tag order: PreviousProducerId (0),
  // NextProducerId (1), ClientTransactionVersion (2).
  const bool prev = m.prev_producer_id != -1, next = m.next_producer_id != -1,
             tv = m.client_tv != 0;
  w.write_uvarint(static_cast<uint32_t>(prev + next + tv));
  auto int64_tag = [&](uint32_t tag, int64_t v) {
    w.write_uvarint(tag);
    w.write_uvarint(8);
    w.write_int64(v);
  };
  if (prev) int64_tag(0, m.prev_producer_id);
  if (next) int64_tag(1, m.next_producer_id);
  if (tv) {
    w.write_uvarint(2);
    w.write_uvarint(2);
    w.write_int16(m.client_tv);
  }
  auto b = w.take();
  return {b.begin(), b.end()};
}

std::optional<std::string> decode_txn_key(std::span<const uint8_t> key) {
  try {
    wire::reader r(key);
    if (r.read_int16() != 0) return std::nullopt;
    return r.read_string(false);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<txn_metadata> decode_txn_value(std::span<const uint8_t> value) {
  try {
    wire::reader r(value);
    const int16_t version = r.read_int16();
    if (version != 0 && version != 1) return std::nullopt;
    const bool flexible = version >= 1;
    txn_metadata m;
    m.producer_id = r.read_int64();
    m.epoch = r.read_int16();
    m.timeout_ms = r.read_int32();
    const int8_t state = r.read_int8();
    if (state < 0 || state > 7) return std::nullopt;
    m.state = static_cast<txn_state>(state);
    const int64_t topics = flexible ? int64_t{r.read_uvarint()} - 1 : r.read_int32();
    for (int64_t i = 0; i < topics; ++i) {
      std::string topic = r.read_string(flexible);
      const int64_t n = flexible ? int64_t{r.read_uvarint()} - 1 : r.read_int32();
      for (int64_t k = 0; k < n; ++k) m.partitions.insert({topic, r.read_int32()});
      if (flexible) skip_tags(r);
    }
    m.update_ms = r.read_int64();
    m.start_ms = r.read_int64();
    if (flexible) {
      for (uint32_t n = r.read_uvarint(); n > 0; --n) {
        const uint32_t tag = r.read_uvarint();
        const uint32_t size = r.read_uvarint();
        if (tag == 0 && size == 8)
          m.prev_producer_id = r.read_int64();
        else if (tag == 1 && size == 8)
          m.next_producer_id = r.read_int64();
        else if (tag == 2 && size == 2)
          m.client_tv = r.read_int16();
        else
          r.skip(size);
      }
    }
    return m;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// ---- The coordinator ------------------------------------------------------------------------

txn_coordinator::txn_coordinator(asio::any_io_executor ex, txn_config config, record_writer write,
                                 marker_writer markers, producer_id_source ids)
    : _ex(std::move(ex)),
      _config(config),
      _write(std::move(write)),
      _markers(std::move(markers)),
      _ids(std::move(ids)) {}

txn_metadata* txn_coordinator::find(const std::string& id) {
  auto it = _txns.find(id);
  return it == _txns.end() ? nullptr : &it->second;
}

asio::awaitable<int16_t> txn_coordinator::write(const txn_metadata& m, bool tombstone) {
  log_record r;
  r.key = encode_txn_key(m.id);
  if (!tombstone) r.value = encode_txn_value(m);
  const int16_t e = co_await _write(offsets_partition_for(m.id, _config.log_partitions), {r});
  // Kafka answers a failed write of the transaction log with NOT_COORDINATOR, which clients
  // follow by looking the coordinator up again.
  co_return e == 0 ? int16_t{0} : code(error_code::not_coordinator);
}

asio::awaitable<txn_coordinator::producer_answer> txn_coordinator::init_producer_id(
    std::string id, int32_t timeout_ms, std::optional<std::pair<int64_t, int16_t>> expected) {
  producer_answer a;
  auto fail = [&](error_code e) {
    a.error_code = code(e);
    return a;
  };
  if (timeout_ms <= 0 || timeout_ms > _config.max_timeout_ms)
    co_return fail(error_code::invalid_transaction_timeout);
  txn_metadata* m = find(id);
  if (!m) {
    auto pid = _ids();
    if (!pid) {
      lg.error("no producer id for transactional id {}: {}", id, pid.error());
      co_return fail(error_code::coordinator_load_in_progress);
    }
    m = &_txns[id];
    m->id = id;
    m->producer_id = *pid;
    m->epoch = -1;
    m->timeout_ms = timeout_ms;
  }
  if (m->busy) co_return fail(error_code::concurrent_transactions);
  // KIP-360: the producer id the client names must be the current one, or the one before a move
  // to a new id that its exhausted epoch caused (a retry that missed the answer).
  if (expected && m->epoch >= 0 && expected->first != m->producer_id &&
      !(expected->first == m->prev_producer_id && epoch_exhausted(expected->second)))
    co_return fail(error_code::producer_fenced);
  if (in_prepare(m->state)) co_return fail(error_code::concurrent_transactions);
  busy_guard busy(*m);
  const int64_t now = wall_clock_ms();
  if (m->state == txn_state::ongoing) {
    // A new incarnation fences the old one: its transaction is aborted at a bumped epoch, and
    // the client is told to retry, as Kafka does.
    co_await fence_and_abort(*m);
    co_return fail(error_code::concurrent_transactions);
  }
  txn_metadata next = *m;
  next.prev_producer_id = m->producer_id;
  if (m->epoch >= 0 && epoch_exhausted(m->epoch) && (!expected || expected->second == m->epoch)) {
    auto pid = _ids();
    if (!pid) co_return fail(error_code::coordinator_load_in_progress);
    next.producer_id = *pid;
    next.last_epoch = expected ? m->epoch : int16_t{-1};
    next.epoch = 0;
  } else if (!expected || expected->second == -1) {
    next.last_epoch = -1;
    next.epoch = static_cast<int16_t>(m->epoch + 1);
  } else if (m->epoch == -1 || expected->second == m->epoch) {
    next.last_epoch = m->epoch;
    next.epoch = static_cast<int16_t>(m->epoch + 1);
  } else if (expected->second == m->last_epoch) {
    // A retry of an InitProducerId that already bumped the epoch: the current one again.
    a.producer_id = m->producer_id;
    a.epoch = m->epoch;
    co_return a;
  } else {
    co_return fail(error_code::producer_fenced);
  }
  next.timeout_ms = timeout_ms;
  next.state = txn_state::empty;
  next.partitions.clear();
  next.next_producer_id = -1;
  next.start_ms = -1;
  next.update_ms = now;
  if (const int16_t e = co_await write(next); e != 0) co_return fail(static_cast<error_code>(e));
  next.busy = true;
  *m = next;
  a.producer_id = m->producer_id;
  a.epoch = m->epoch;
  co_return a;
}

asio::awaitable<int16_t> txn_coordinator::add_partitions(std::string id, int64_t producer_id,
                                                         int16_t epoch,
                                                         std::vector<txn_partition> partitions,
                                                         int16_t client_tv) {
  txn_metadata* m = find(id);
  if (!m || m->producer_id != producer_id) co_return code(error_code::invalid_producer_id_mapping);
  if (m->epoch != epoch) co_return code(error_code::producer_fenced);
  if (m->busy || in_prepare(m->state)) co_return code(error_code::concurrent_transactions);
  if (m->state == txn_state::dead || m->state == txn_state::prepare_epoch_fence)
    co_return code(error_code::invalid_txn_state);
  bool all_in = m->state == txn_state::ongoing;
  for (const auto& p : partitions)
    if (!m->partitions.contains(p)) all_in = false;
  if (all_in) co_return 0;
  busy_guard busy(*m);
  txn_metadata next = *m;
  const int64_t now = wall_clock_ms();
  if (m->state != txn_state::ongoing) {
    next.partitions.clear();
    next.start_ms = now;
  }
  next.prev_producer_id = m->producer_id;
  next.state = txn_state::ongoing;
  next.client_tv = client_tv;
  next.partitions.insert(partitions.begin(), partitions.end());
  next.update_ms = now;
  if (const int16_t e = co_await write(next); e != 0) co_return e;
  next.busy = true;
  *m = next;
  co_return 0;
}

std::map<txn_partition, int16_t> txn_coordinator::verify_partitions(
    const std::string& id, int64_t producer_id, int16_t epoch,
    const std::vector<txn_partition>& partitions) {
  std::map<txn_partition, int16_t> out;
  const txn_metadata* m = find(id);
  int16_t all = 0;
  if (!m || m->producer_id != producer_id)
    all = code(error_code::invalid_producer_id_mapping);
  else if (m->epoch != epoch)
    all = code(error_code::producer_fenced);
  else if (m->busy && in_prepare(m->state))
    all = code(error_code::concurrent_transactions);
  for (const auto& p : partitions)
    out[p] = all != 0 ? all
             : m->state == txn_state::ongoing && m->partitions.contains(p)
                 ? int16_t{0}
                 : code(error_code::transaction_abortable);
  return out;
}

asio::awaitable<txn_coordinator::producer_answer> txn_coordinator::end_txn(
    std::string id, int64_t producer_id, int16_t epoch, bool commit, int16_t client_tv) {
  producer_answer a;
  auto fail = [&](error_code e) {
    a.error_code = code(e);
    return a;
  };
  auto current = [&](const txn_metadata& t) {
    a.producer_id = t.producer_id;
    a.epoch = t.epoch;
    return a;
  };
  txn_metadata* m = find(id);
  if (!m) co_return fail(error_code::invalid_producer_id_mapping);
  if (client_tv < 2) {
    if (m->producer_id != producer_id) co_return fail(error_code::invalid_producer_id_mapping);
    if (m->epoch != epoch) co_return fail(error_code::producer_fenced);
    if (m->busy) co_return fail(error_code::concurrent_transactions);
    switch (m->state) {
      case txn_state::ongoing:
        break;
      case txn_state::complete_commit:
        co_return commit ? a : fail(error_code::invalid_txn_state);
      case txn_state::complete_abort:
        co_return !commit ? a : fail(error_code::invalid_txn_state);
      case txn_state::prepare_commit:
        co_return fail(commit ? error_code::concurrent_transactions
                              : error_code::invalid_txn_state);
      case txn_state::prepare_abort:
        co_return fail(!commit ? error_code::concurrent_transactions
                               : error_code::invalid_txn_state);
      default:
        co_return fail(error_code::invalid_txn_state);
    }
    busy_guard busy(*m);
    if (const int16_t e = co_await complete(*m, commit, client_tv); e != 0)
      co_return fail(static_cast<error_code>(e));
    co_return a;
  }
  // Version 2: the epoch moved on at the last end, so the epoch names which end is meant. One
  // below the current is a retry of that end (or, after a move to a new producer id, the last
  // epoch of the previous id); the current one is a new end.
  const bool retry_on_bump = m->epoch == epoch + 1;
  const bool retry_on_move = m->prev_producer_id == producer_id && m->producer_id != producer_id &&
                             epoch == std::numeric_limits<int16_t>::max() - 1 && m->epoch == 0;
  if (m->producer_id != producer_id && !retry_on_move)
    co_return fail(error_code::invalid_producer_id_mapping);
  bool valid = false;
  switch (m->state) {
    case txn_state::prepare_commit:
    case txn_state::prepare_abort:
      valid = retry_on_bump;
      break;
    case txn_state::complete_commit:
    case txn_state::complete_abort:
      valid = retry_on_bump || retry_on_move || epoch == m->epoch;
      break;
    default:
      valid = epoch == m->epoch;
  }
  if (!valid) co_return fail(error_code::producer_fenced);
  if (m->busy) co_return fail(error_code::concurrent_transactions);
  const bool retry = retry_on_bump || retry_on_move;
  // An abort with no transaction open (Empty or just completed) still bumps the epoch.
  bool no_partitions = false;
  switch (m->state) {
    case txn_state::ongoing:
      break;
    case txn_state::complete_commit:
      if (commit) co_return retry ? current(*m) : fail(error_code::invalid_txn_state);
      if (retry) co_return fail(error_code::invalid_txn_state);
      no_partitions = true;
      break;
    case txn_state::complete_abort:
      if (commit) co_return fail(error_code::invalid_txn_state);
      if (retry) co_return current(*m);
      no_partitions = true;
      break;
    case txn_state::empty:
      if (commit) co_return fail(error_code::invalid_txn_state);
      no_partitions = true;
      break;
    case txn_state::prepare_commit:
      co_return fail(commit ? error_code::concurrent_transactions : error_code::invalid_txn_state);
    case txn_state::prepare_abort:
      co_return fail(!commit ? error_code::concurrent_transactions : error_code::invalid_txn_state);
    default:
      co_return fail(error_code::invalid_txn_state);
  }
  busy_guard busy(*m);
  if (const int16_t e = co_await complete(*m, commit, client_tv, no_partitions); e != 0)
    co_return fail(static_cast<error_code>(e));
  co_return current(*m);
}

asio::awaitable<int16_t> txn_coordinator::complete(txn_metadata& m, bool commit, int16_t tv,
                                                   bool no_partitions) {
  txn_metadata prepared = m;
  prepared.prev_producer_id = m.producer_id;
  prepared.state = commit ? txn_state::prepare_commit : txn_state::prepare_abort;
  prepared.update_ms = wall_clock_ms();
  prepared.client_tv = tv;
  if (tv >= 2) {
    // The markers carry the next epoch, which the producer's writes of this transaction cannot:
    // they are fenced from here. The epoch never goes past the maximum, kept for fencing.
    constexpr int16_t max = std::numeric_limits<int16_t>::max();
    prepared.last_epoch = m.epoch;
    if (m.epoch < max) prepared.epoch = static_cast<int16_t>(m.epoch + 1);
    if (prepared.epoch == max && prepared.next_producer_id == -1) {
      auto pid = _ids();
      if (!pid) {
        lg.error("transaction {}: no producer id to move to: {}", m.id, pid.error());
        co_return code(error_code::coordinator_load_in_progress);
      }
      prepared.next_producer_id = *pid;
    }
    if (no_partitions) {
      prepared.partitions.clear();
      prepared.start_ms = prepared.update_ms;
    }
  }
  if (const int16_t e = co_await write(prepared); e != 0) co_return e;
  const bool was_busy = m.busy;
  m = prepared;
  m.busy = was_busy;
  // From here the outcome is decided: a crash now is completed at the next start.
  co_await finish(m, commit);
  co_return 0;
}

asio::awaitable<void> txn_coordinator::finish(txn_metadata& m, bool commit) {
  std::vector<txn_partition> parts(m.partitions.begin(), m.partitions.end());
  if (!parts.empty()) {
    auto errors =
        co_await _markers(m.producer_id, m.epoch, commit, std::max<int16_t>(m.client_tv, 1), parts);
    for (size_t i = 0; i < errors.size() && i < parts.size(); ++i)
      if (errors[i] != 0)
        lg.warn("transaction {}: the {} marker for {}-{} failed with error {}", m.id,
                commit ? "COMMIT" : "ABORT", parts[i].topic, parts[i].partition, errors[i]);
  }
  txn_metadata done = m;
  done.prev_producer_id = m.producer_id;
  done.state = commit ? txn_state::complete_commit : txn_state::complete_abort;
  done.update_ms = wall_clock_ms();
  done.partitions.clear();
  if (m.client_tv >= 2 && m.next_producer_id != -1) {
    // The epoch is exhausted: the producer goes on with the new id. The last epoch stays the one
    // the client last saw, so that its retries are known.
    done.producer_id = m.next_producer_id;
    done.epoch = 0;
  }
  done.next_producer_id = -1;
  if (const int16_t e = co_await write(done); e != 0) {
    // The Prepare record stands: the next start completes the transaction again.
    lg.warn("transaction {}: the {} record could not be written", m.id, txn_state_name(done.state));
  }
  const bool was_busy = m.busy;
  m = done;
  m.busy = was_busy;
}

asio::awaitable<void> txn_coordinator::fence_and_abort(txn_metadata& m) {
  // Kafka's PrepareEpochFence. Version 2 bumps the epoch in the abort itself; version 1 bumps it
  // first (unless at the maximum) and aborts at that epoch.
  const int16_t tv = _config.transaction_version;
  if (tv < 2) {
    m.last_epoch = m.epoch;
    if (m.epoch < std::numeric_limits<int16_t>::max()) m.epoch = static_cast<int16_t>(m.epoch + 1);
  }
  co_await complete(m, false, tv);
}

std::optional<txn_metadata> txn_coordinator::describe(const std::string& id) const {
  auto it = _txns.find(id);
  if (it == _txns.end()) return std::nullopt;
  return it->second;
}

std::vector<txn_metadata> txn_coordinator::list(const std::set<txn_state>& states,
                                                const std::set<int64_t>& producer_ids,
                                                int64_t min_duration_ms,
                                                const std::optional<std::string>& pattern,
                                                int64_t now_ms) const {
  std::optional<RE2> re;
  if (pattern && !pattern->empty()) {
    re.emplace(*pattern, RE2::Quiet);
    if (!re->ok()) return {};
  }
  std::vector<txn_metadata> out;
  for (const auto& [id, m] : _txns) {
    if (!states.empty() && !states.contains(m.state)) continue;
    if (!producer_ids.empty() && !producer_ids.contains(m.producer_id)) continue;
    if (min_duration_ms >= 0 &&
        (m.state != txn_state::ongoing || m.start_ms < 0 || now_ms - m.start_ms < min_duration_ms))
      continue;
    if (re && !RE2::FullMatch(id, *re)) continue;
    out.push_back(m);
  }
  return out;
}

bool txn_coordinator::load(std::span<const uint8_t> key,
                           std::optional<std::span<const uint8_t>> value) {
  auto id = decode_txn_key(key);
  if (!id) return false;
  if (!value) {
    _txns.erase(*id);
    return true;
  }
  auto m = decode_txn_value(*value);
  if (!m) return false;
  m->id = *id;
  if (auto* old = find(*id); old && old->producer_id == m->producer_id && old->epoch != m->epoch)
    m->last_epoch = old->epoch;
  _txns[*id] = std::move(*m);
  return true;
}

void txn_coordinator::resume() {
  for (auto& entry : _txns) {
    auto& m = entry.second;
    if (!in_prepare(m.state) || m.busy) continue;
    const bool commit = m.state == txn_state::prepare_commit;
    m.busy = true;
    asio::co_spawn(
        _ex,
        [this, &m, commit]() -> asio::awaitable<void> {
          busy_guard busy(m);
          m.busy = true;
          co_await finish(m, commit);
        },
        asio::detached);
  }
}

void txn_coordinator::tick(int64_t now_ms) {
  std::vector<std::string> expired;
  for (auto& entry : _txns) {
    const auto& id = entry.first;
    auto& m = entry.second;
    if (m.busy) continue;
    if (m.state == txn_state::ongoing && m.start_ms >= 0 && now_ms - m.start_ms > m.timeout_ms) {
      // Timed out: fenced with a bumped epoch, then aborted (Kafka's abortTimedOutTransactions).
      lg.info("transaction {} of producer {} timed out after {} ms; aborting", id, m.producer_id,
              m.timeout_ms);
      m.busy = true;
      asio::co_spawn(
          _ex,
          [this, &m]() -> asio::awaitable<void> {
            busy_guard busy(m);
            co_await fence_and_abort(m);
          },
          asio::detached);
      continue;
    }
    const bool idle = m.state == txn_state::empty || m.state == txn_state::complete_commit ||
                      m.state == txn_state::complete_abort;
    if (idle && m.update_ms >= 0 && now_ms - m.update_ms >= _config.id_expiration_ms)
      expired.push_back(id);
  }
  for (const auto& id : expired) {
    auto& m = _txns.at(id);
    m.busy = true;
    asio::co_spawn(
        _ex,
        [this, id]() -> asio::awaitable<void> {
          auto* t = find(id);
          if (!t) co_return;
          const txn_metadata copy = *t;
          if (co_await write(copy, true) == 0) {
            lg.info("transactional id {} expired", id);
            _txns.erase(id);
          } else if (auto* again = find(id)) {
            again->busy = false;
          }
        },
        asio::detached);
  }
}

}  // namespace brook::coordinator
