#include "client/cluster.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/log.h"
#include "client/sasl.h"
#include "client/tls.h"
#include "protocol/generated/find_coordinator_request.h"
#include "protocol/generated/find_coordinator_response.h"
#include "protocol/generated/metadata_request.h"
#include "protocol/generated/metadata_response.h"

namespace brook::client {

namespace {

inline log::logger lg("client");

using protocol::error_code;

}  // namespace

const topic_metadata* metadata_snapshot::find(std::string_view topic) const {
  auto it = topics.find(topic);
  return it == topics.end() ? nullptr : &it->second;
}

int32_t metadata_snapshot::leader_of(std::string_view topic, int32_t partition) const {
  const topic_metadata* t = find(topic);
  if (!t || partition < 0 || static_cast<size_t>(partition) >= t->partitions.size()) return -1;
  return t->partitions[static_cast<size_t>(partition)].leader;
}

// A connection to one node, or the coroutine opening it, which others wait for.
struct cluster::slot {
  explicit slot(asio::any_io_executor ex) : opened(std::move(ex)) {}
  std::shared_ptr<connection> conn;
  bool connecting = false;
  asio::steady_timer opened;
};

cluster::cluster(config settings) : _settings(std::move(settings)) {
  for (const auto& a : _settings.get_list("bootstrap.servers"))
    _bootstrap.push_back(parse_broker_address(a));
  if (_bootstrap.empty()) throw config_error("bootstrap.servers: no broker given");
  _connection_options = make_connection_options();
  _work.emplace(_io.get_executor());
  _thread = std::thread([this] {
    for (;;) {
      try {
        _io.run();
        return;
      } catch (const std::exception& e) {
        lg.error("client I/O thread: {}", e.what());
      }
    }
  });
}

cluster::~cluster() {
  asio::post(_io, [this] {
    for (auto& [id, s] : _connections)
      if (s->conn) s->conn->close();
    if (_bootstrap_connection) _bootstrap_connection->close();
  });
  _work.reset();
  // Give the loops a moment to see the closed sockets, then stop whatever still waits.
  asio::post(_io, [this] {
    auto t = std::make_shared<asio::steady_timer>(_io, std::chrono::milliseconds(50));
    t->async_wait([this, t](std::error_code) { _io.stop(); });
  });
  _thread.join();
}

connection_options cluster::make_connection_options() const {
  connection_options o;
  o.client_id = _settings.get_string("client.id");
  o.request_timeout = _settings.get_ms("request.timeout.ms");
  o.connect_timeout = _settings.get_ms("socket.connection.setup.timeout.ms");
  std::string protocol = _settings.get_string("security.protocol");
  std::transform(protocol.begin(), protocol.end(), protocol.begin(),
                 [](unsigned char ch) { return std::toupper(ch); });
  const bool tls = protocol == "SSL" || protocol == "SASL_SSL";
  const bool sasl = protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL";
  if (!tls && !sasl && protocol != "PLAINTEXT")
    throw config_error(fmt::format(
        "security.protocol: '{}' is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", protocol));
  if (tls) {
    client_tls t = make_client_tls(_settings);
    o.tls = std::move(t.context);
    o.verify_host_name = t.verify_host_name;
  }
  if (sasl) o.authenticate = make_sasl_authenticator(read_sasl_credentials(_settings));
  return o;
}

std::shared_ptr<const metadata_snapshot> cluster::metadata_copy() const {
  std::lock_guard lock(_metadata_mutex);
  return _metadata;
}

asio::awaitable<std::shared_ptr<connection>> cluster::open_to(broker_address address) {
  co_return co_await connection::open(std::move(address), _connection_options);
}

asio::awaitable<std::shared_ptr<connection>> cluster::connection_to(int32_t node_id) {
  co_return co_await connection_in_slot(node_id, node_id);
}

// Coordinator connections sit in slots of their own, below -1, as Java keeps a separate
// connection to the coordinator: a broker answers a connection's requests in order, so a group
// request sent behind a consumer's long-polling Fetch would wait for it.
asio::awaitable<std::shared_ptr<connection>> cluster::coordinator_connection(coordinator_type type,
                                                                             std::string key) {
  const int32_t node = co_await coordinator(type, key);
  try {
    co_return co_await connection_in_slot(-2 - node, node);
  } catch (const kafka_error&) {
    forget_coordinator(type, key);
    throw;
  }
}

asio::awaitable<std::shared_ptr<connection>> cluster::connection_in_slot(int32_t slot_key,
                                                                         int32_t node_id) {
  auto& s = _connections[slot_key];
  if (!s) s = std::make_shared<slot>(_io.get_executor());
  auto keep = s;
  for (;;) {
    if (keep->conn && keep->conn->is_open()) co_return keep->conn;
    if (!keep->connecting) break;
    keep->opened.expires_at(asio::steady_timer::time_point::max());
    std::error_code ec;
    co_await keep->opened.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!keep->connecting && !(keep->conn && keep->conn->is_open()))
      throw kafka_error(error_code::network_exception,
                        fmt::format("cannot connect to node {}", node_id));
  }
  std::optional<broker_address> address;
  if (auto it = _metadata->brokers.find(node_id); it != _metadata->brokers.end())
    address = it->second;
  else if (auto c = _coordinator_addresses.find(node_id); c != _coordinator_addresses.end())
    address = c->second;
  if (!address) {
    co_await refresh_metadata(std::vector<std::string>{});
    if (auto it = _metadata->brokers.find(node_id); it != _metadata->brokers.end())
      address = it->second;
  }
  if (!address)
    throw kafka_error(error_code::broker_not_available,
                      fmt::format("node {} is not in the cluster's metadata", node_id));
  keep->connecting = true;
  try {
    keep->conn = co_await open_to(*address);
    keep->conn->set_node_id(node_id);
  } catch (...) {
    keep->connecting = false;
    keep->opened.cancel();
    throw;
  }
  keep->connecting = false;
  keep->opened.cancel();
  co_return keep->conn;
}

void cluster::drop_connection(int32_t node_id) {
  for (const int32_t key : {node_id, -2 - node_id}) {
    auto it = _connections.find(key);
    if (it == _connections.end() || !it->second->conn) continue;
    it->second->conn->close();
    it->second->conn.reset();
  }
}

asio::awaitable<std::shared_ptr<connection>> cluster::any_connection() {
  for (auto& [id, s] : _connections)
    if (s->conn && s->conn->is_open()) co_return s->conn;
  if (_bootstrap_connection && _bootstrap_connection->is_open()) co_return _bootstrap_connection;
  std::vector<broker_address> candidates;
  for (const auto& [id, a] : _metadata->brokers) candidates.push_back(a);
  for (const auto& a : _bootstrap) candidates.push_back(a);
  std::string failures;
  for (const auto& a : candidates) {
    try {
      if (a.node_id >= 0) co_return co_await connection_to(a.node_id);
      _bootstrap_connection = co_await open_to(a);
      co_return _bootstrap_connection;
    } catch (const kafka_error& e) {
      if (e.code() == error_code::sasl_authentication_failed ||
          e.code() == error_code::unsupported_sasl_mechanism)
        throw;
      failures += fmt::format("{}{}", failures.empty() ? "" : "; ", e.what());
    }
  }
  throw kafka_error(error_code::network_exception,
                    fmt::format("no broker reachable ({})", failures));
}

asio::awaitable<std::shared_ptr<const metadata_snapshot>> cluster::refresh_metadata(
    std::optional<std::vector<std::string>> topics, bool allow_auto_create) {
  std::optional<protocol::metadata_response> resp;
  for (int attempt = 0; !resp; ++attempt) {
    auto conn = co_await any_connection();
    const int16_t version = conn->require_version(protocol::api_key::metadata, 12, 1);
    protocol::metadata_request req;
    if (topics) {
      req.topics.emplace();
      for (const auto& t : *topics) {
        protocol::metadata_request::metadata_request_topic rt;
        rt.name = t;
        req.topics->push_back(std::move(rt));
      }
    } else {
      req.topics = std::nullopt;
    }
    req.allow_auto_topic_creation = allow_auto_create;
    try {
      resp = co_await conn->call<protocol::metadata_response>(req, version);
    } catch (const kafka_error& e) {
      if (e.code() != error_code::network_exception || attempt >= 2) throw;
      conn->close();
    }
  }
  auto next = std::make_shared<metadata_snapshot>(*_metadata);
  next->brokers.clear();
  for (const auto& b : resp->brokers)
    next->brokers[b.node_id] = broker_address{b.host, static_cast<uint16_t>(b.port), b.node_id};
  if (resp->cluster_id) next->cluster_id = *resp->cluster_id;
  next->controller = resp->controller_id;
  if (!topics) next->topics.clear();
  for (const auto& t : resp->topics) {
    if (!t.name) continue;
    const auto code =
        protocol::error_from_int(t.error_code).value_or(error_code::unknown_server_error);
    if (code == error_code::unknown_topic_or_partition) {
      next->topics.erase(*t.name);
      continue;
    }
    topic_metadata tm;
    tm.name = *t.name;
    tm.id = t.topic_id;
    tm.error = code;
    tm.internal = t.is_internal;
    for (const auto& p : t.partitions) {
      partition_metadata pm;
      pm.partition = p.partition_index;
      pm.leader = p.leader_id;
      pm.leader_epoch = p.leader_epoch;
      pm.error = protocol::error_from_int(p.error_code).value_or(error_code::unknown_server_error);
      pm.replicas = p.replica_nodes;
      pm.isr = p.isr_nodes;
      tm.partitions.push_back(std::move(pm));
    }
    std::sort(tm.partitions.begin(), tm.partitions.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
    // A topic still being created may report an error and no partitions; keep what we know.
    next->topics.insert_or_assign(tm.name, std::move(tm));
  }
  bool changed = !topics && next->topics.size() != _metadata->topics.size();
  for (const auto& [name, t] : next->topics) {
    const auto* before = _metadata->find(name);
    if (!before || before->partitions.size() != t.partitions.size()) changed = true;
  }
  for (const auto& [name, t] : _metadata->topics)
    if (!next->find(name)) changed = true;
  {
    std::lock_guard lock(_metadata_mutex);
    _metadata = next;
  }
  if (changed) ++_metadata_generation;
  if (!_periodic_started && _settings.get_ms("metadata.max.age.ms").count() > 0) {
    _periodic_started = true;
    asio::co_spawn(_io, periodic_refresh(), asio::detached);
  }
  for (const auto& l : _metadata_listeners) l(*next);
  co_return next;
}

void cluster::set_refresh_topics(std::set<std::string> extra, bool all_topics) {
  asio::post(_io, [this, extra = std::move(extra), all_topics]() mutable {
    _refresh_extra = std::move(extra);
    _refresh_all = all_topics;
  });
}

void cluster::add_metadata_listener(metadata_listener listener) {
  asio::post(_io, [this, l = std::move(listener)]() mutable {
    _metadata_listeners.push_back(std::move(l));
  });
}

// Runs from the first refresh until the io_context stops.
asio::awaitable<void> cluster::periodic_refresh() {
  const auto age = _settings.get_ms("metadata.max.age.ms");
  for (int failures = 0;;) {
    if (failures == 0)
      co_await sleep(age);
    else
      co_await backoff(failures - 1);
    std::optional<std::vector<std::string>> topics;
    if (!_refresh_all) {
      std::set<std::string> names = _refresh_extra;
      for (const auto& [name, t] : _metadata->topics) names.insert(name);
      if (names.empty()) continue;
      topics.emplace(names.begin(), names.end());
    }
    try {
      co_await refresh_metadata(std::move(topics));
      failures = 0;
    } catch (const std::exception& e) {
      lg.debug("periodic metadata refresh: {}", e.what());
      ++failures;
    }
  }
}

asio::awaitable<int32_t> cluster::coordinator(coordinator_type type, std::string key) {
  const auto cache_key = std::make_pair(static_cast<int8_t>(type), key);
  if (auto it = _coordinators.find(cache_key); it != _coordinators.end()) co_return it->second;
  const auto deadline = std::chrono::steady_clock::now() + _connection_options.request_timeout;
  for (int attempt = 0;; ++attempt) {
    auto conn = co_await any_connection();
    const int16_t version = conn->require_version(protocol::api_key::find_coordinator, 6, 0);
    protocol::find_coordinator_request req;
    req.key_type = static_cast<int8_t>(type);
    if (version >= 4)
      req.coordinator_keys = {key};
    else
      req.key = key;
    auto resp = co_await conn->call<protocol::find_coordinator_response>(req, version);
    int16_t code = resp.error_code;
    int32_t node = resp.node_id;
    std::string host = resp.host;
    int32_t port = resp.port;
    if (version >= 4) {
      if (resp.coordinators.empty())
        throw kafka_error(error_code::unknown_server_error, "FindCoordinator answered no key");
      const auto& c = resp.coordinators.front();
      code = c.error_code;
      node = c.node_id;
      host = c.host;
      port = c.port;
    }
    if (code == 0) {
      _coordinator_addresses[node] = broker_address{host, static_cast<uint16_t>(port), node};
      _coordinators[cache_key] = node;
      co_return node;
    }
    const auto known = protocol::error_from_int(code).value_or(error_code::unknown_server_error);
    if (!protocol::is_retriable(known) || std::chrono::steady_clock::now() > deadline)
      throw_if_error(code, fmt::format("FindCoordinator for '{}'", key));
    co_await backoff(attempt);
  }
}

void cluster::forget_coordinator(coordinator_type type, const std::string& key) {
  _coordinators.erase(std::make_pair(static_cast<int8_t>(type), key));
}

asio::awaitable<void> cluster::sleep(std::chrono::milliseconds d) {
  asio::steady_timer t(_io, d);
  co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<void> cluster::backoff(int attempt) {
  const auto base = _settings.get_ms("retry.backoff.ms");
  const auto cap = _settings.get_ms("retry.backoff.max.ms");
  auto d = base * (int64_t{1} << std::min(attempt, 20));
  co_await sleep(std::min(d, std::max(base, cap)));
}

}  // namespace brook::client
