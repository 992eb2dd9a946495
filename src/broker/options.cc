#include "broker/options.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "base/log.h"
#include "broker/config.h"
#include "broker/group_configs.h"
#include "net/tls.h"
#include "security/gssapi.h"
#include "security/oauthbearer.h"
#include "security/principal.h"
#include "security/sasl.h"

namespace brook::broker {

namespace {

const log::logger lg("config");

using protocol::records::codec;
using protocol::records::timestamp_type;

constexpr int64_t k_long_max = std::numeric_limits<int64_t>::max();
constexpr int64_t k_int_max = std::numeric_limits<int32_t>::max();

// Thrown inside this file only; load_options turns it into its error.
struct config_error {
  std::string message;
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int64_t> parse_integer(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return std::nullopt;
  }
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Java's escapes; nullopt for a malformed \uXXXX.
std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 == s.size()) {
      out += c;
      continue;
    }
    c = s[++i];
    switch (c) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        if (i + 4 >= s.size()) return std::nullopt;
        uint32_t cp = 0;
        auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 5, cp, 16);
        if (ec != std::errc() || end != s.data() + i + 5) return std::nullopt;
        append_utf8(out, cp);
        i += 4;
        break;
      }
      default:
        out += c;
    }
  }
  return out;
}

// Where a value came from, for messages: "in server.properties, line 3" or "from --override".
struct setting {
  std::string value;
  std::string origin;
};

enum class kind {
  handled,         // read by apply() below
  ignored_int,     // accepted, checked to be an INT >= min, no effect
  ignored_long,    // accepted, checked to be a LONG >= min, no effect
  ignored_bool,    // accepted, checked to be true/false, no effect
  ignored_string,  // accepted as is, no effect
};

struct key_def {
  kind k = kind::handled;
  int64_t min = 0;
};

const std::map<std::string, key_def, std::less<>>& known_keys() {
  static const std::map<std::string, key_def, std::less<>> keys = [] {
    std::map<std::string, key_def, std::less<>> m;
    for (const char* k : {
             "node.id",
             "broker.id",
             "cluster.id",
             "process.roles",
             "listeners",
             "advertised.listeners",
             "listener.security.protocol.map",
             "controller.listener.names",
             "security.inter.broker.protocol",
             "log.dirs",
             "log.dir",
             "num.partitions",
             "auto.create.topics.enable",
             "delete.topic.enable",
             "log.segment.bytes",
             "log.roll.ms",
             "log.roll.hours",
             "log.roll.jitter.ms",
             "log.roll.jitter.hours",
             "log.retention.ms",
             "log.retention.minutes",
             "log.retention.hours",
             "log.retention.bytes",
             "log.retention.check.interval.ms",
             "log.index.interval.bytes",
             "log.index.size.max.bytes",
             "log.flush.interval.messages",
             "log.flush.interval.ms",
             "log.segment.delete.delay.ms",
             "message.max.bytes",
             "log.message.timestamp.type",
             "log.message.timestamp.before.max.ms",
             "log.message.timestamp.after.max.ms",
             "compression.type",
             "compression.gzip.level",
             "compression.lz4.level",
             "compression.zstd.level",
             "log.cleanup.policy",
             "socket.request.max.bytes",
             "socket.send.buffer.bytes",
             "socket.receive.buffer.bytes",
             "queued.max.requests",
             "brook.shards",
             "authorizer.class.name",
             "super.users",
             "allow.everyone.if.no.acl.found",
             "offsets.topic.num.partitions",
             "offsets.topic.segment.bytes",
             "offset.metadata.max.bytes",
             "group.initial.rebalance.delay.ms",
             "group.min.session.timeout.ms",
             "group.max.session.timeout.ms",
             "group.max.size",
             "offsets.retention.minutes",
             "offsets.retention.check.interval.ms",
             "group.consumer.session.timeout.ms",
             "group.consumer.min.session.timeout.ms",
             "group.consumer.max.session.timeout.ms",
             "group.consumer.heartbeat.interval.ms",
             "group.consumer.min.heartbeat.interval.ms",
             "group.consumer.max.heartbeat.interval.ms",
             "group.consumer.max.size",
             "group.consumer.assignors",
             "group.consumer.migration.policy",
             "log.cleaner.enable",
             "log.cleaner.threads",
             "log.cleaner.dedupe.buffer.size",
             "log.cleaner.io.buffer.size",
             "log.cleaner.io.buffer.load.factor",
             "log.cleaner.io.max.bytes.per.second",
             "log.cleaner.backoff.ms",
             "log.cleaner.delete.retention.ms",
             "log.cleaner.min.compaction.lag.ms",
             "log.cleaner.max.compaction.lag.ms",
             "log.cleaner.min.cleanable.ratio",
             "producer.id.expiration.ms",
             "transaction.state.log.num.partitions",
             "transaction.state.log.segment.bytes",
             "transaction.max.timeout.ms",
             "transactional.id.expiration.ms",
             "quota.window.num",
             "quota.window.size.seconds",
         })
      m[k] = {kind::handled, 0};
    // Replication, coordinators, threads, the controller quorum: no effect on one
    // Brook node yet, but found in stock server.properties files.
    for (auto [k, min] : std::initializer_list<std::pair<const char*, int64_t>>{
             {"num.network.threads", 1},
             {"num.io.threads", 1},
             {"num.recovery.threads.per.data.dir", 1},
             {"num.replica.fetchers", 1},
             {"num.replica.alter.log.dirs.threads", 1},
             {"background.threads", 1},
             {"default.replication.factor", 1},
             {"min.insync.replicas", 1},
             {"offsets.topic.replication.factor", 1},
             {"offsets.commit.timeout.ms", 1},
             {"offsets.load.buffer.size", 1},
             {"transaction.state.log.replication.factor", 1},
             {"transaction.state.log.min.isr", 1},
             {"share.coordinator.state.topic.replication.factor", 1},
             {"share.coordinator.state.topic.min.isr", 1},
             {"share.coordinator.state.topic.num.partitions", 1},
             {"replica.fetch.max.bytes", 0},
             {"replica.fetch.wait.max.ms", 0},
             {"replica.socket.timeout.ms", 0},
             {"max.connections", 0},
             {"max.connections.per.ip", 0},
             {"metadata.log.segment.bytes", 1},
             {"controller.quorum.election.timeout.ms", 0},
             {"controller.quorum.fetch.timeout.ms", 0},
             {"controller.quorum.election.backoff.max.ms", 0},
             {"broker.heartbeat.interval.ms", 0},
             {"broker.session.timeout.ms", 0},
             {"initial.broker.registration.timeout.ms", 0},
             {"leader.imbalance.check.interval.seconds", 1},
             {"leader.imbalance.per.broker.percentage", 0},
             {"queued.max.request.bytes", -1},
             {"fetch.purgatory.purge.interval.requests", 0},
             {"producer.purgatory.purge.interval.requests", 0},
             {"delete.records.purgatory.purge.interval.requests", 0},
         })
      m[k] = {kind::ignored_int, min};
    for (auto [k, min] : std::initializer_list<std::pair<const char*, int64_t>>{
             {"replica.lag.time.max.ms", 0},
             {"replica.high.watermark.checkpoint.interval.ms", 0},
             {"connections.max.idle.ms", -1},
             {"log.flush.scheduler.interval.ms", 0},
             {"log.flush.offset.checkpoint.interval.ms", 0},
             {"log.flush.start.offset.checkpoint.interval.ms", 0},
             {"log.local.retention.ms", -2},
             {"log.local.retention.bytes", -2},
             {"metadata.log.segment.ms", 1},
             {"metadata.max.retention.bytes", -1},
             {"metadata.max.retention.ms", -1},
             {"metadata.max.idle.interval.ms", 0},
         })
      m[k] = {kind::ignored_long, min};
    for (const char* k : {
             "auto.leader.rebalance.enable",
             "unclean.leader.election.enable",
             "controlled.shutdown.enable",
             "log.preallocate",
             "remote.log.storage.system.enable",
             "unstable.api.versions.enable",
         })
      m[k] = {kind::ignored_bool, 0};
    for (const char* k : {
             "controller.quorum.voters",
             "controller.quorum.bootstrap.servers",
             "inter.broker.listener.name",
             "metadata.log.dir",
             "broker.rack",
             "group.coordinator.rebalance.protocols",
         })
      m[k] = {kind::ignored_string, 0};
    // The group.consumer.*, group.share.* and group.streams.* settings behind group configs:
    // their defaults and bounds (read into broker_options::group_defaults).
    for (const auto& [k, v] : default_group_settings()) {
      if (m.contains(k)) continue;
      if (v == "true")
        m[k] = {kind::ignored_bool, 0};
      else if (k == "group.streams.acceptable.recovery.lag")
        m[k] = {kind::ignored_long, 0};
      else if (k == "group.streams.rack.aware.assignment.tags" || k == "group.streams.assignors")
        m[k] = {kind::ignored_string, 0};
      else
        m[k] = {kind::ignored_int, 0};
    }
    return m;
  }();
  return keys;
}

// TLS and SASL settings, read per listener: `listener.name.<listener>.<key>` (and for SASL
// mechanism settings `listener.name.<listener>.<mechanism>.<key>`) wins over `<key>`.
const std::set<std::string, std::less<>>& security_keys() {
  static const std::set<std::string, std::less<>> keys = {
      "ssl.keystore.type",
      "ssl.keystore.location",
      "ssl.keystore.password",
      "ssl.key.password",
      "ssl.keystore.key",
      "ssl.keystore.certificate.chain",
      "ssl.truststore.type",
      "ssl.truststore.location",
      "ssl.truststore.password",
      "ssl.truststore.certificates",
      "ssl.client.auth",
      "ssl.enabled.protocols",
      "ssl.protocol",
      "ssl.cipher.suites",
      "ssl.principal.mapping.rules",
      "ssl.endpoint.identification.algorithm",
      "ssl.keymanager.algorithm",
      "ssl.trustmanager.algorithm",
      "ssl.secure.random.implementation",
      "ssl.provider",
      "ssl.allow.dn.changes",
      "ssl.allow.san.changes",
      "sasl.enabled.mechanisms",
      "sasl.mechanism.inter.broker.protocol",
      "sasl.mechanism.controller.protocol",
      "sasl.jaas.config",
      "sasl.server.max.receive.size",
      "sasl.kerberos.service.name",
      "sasl.oauthbearer.jwks.endpoint.url",
      "sasl.oauthbearer.expected.audience",
      "sasl.oauthbearer.expected.issuer",
      "sasl.oauthbearer.sub.claim.name",
      "sasl.oauthbearer.scope.claim.name",
      "sasl.oauthbearer.clock.skew.seconds",
      "sasl.oauthbearer.jwks.endpoint.refresh.ms",
      "sasl.server.callback.handler.class",
      "connections.max.reauth.ms",
  };
  return keys;
}

// The mechanisms whose settings may carry a mechanism prefix (lower case).
const std::set<std::string, std::less<>>& sasl_mechanism_prefixes() {
  static const std::set<std::string, std::less<>> p = {"plain", "scram-sha-256", "scram-sha-512",
                                                       "oauthbearer", "gssapi"};
  return p;
}

// Whether `key` is a security setting, plain or prefixed by a listener (and a mechanism).
bool is_security_key(std::string_view key) {
  if (security_keys().contains(key)) return true;
  constexpr std::string_view prefix = "listener.name.";
  if (!key.starts_with(prefix)) return false;
  key.remove_prefix(prefix.size());
  const auto dot = key.find('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  key.remove_prefix(dot + 1);
  if (security_keys().contains(key)) return true;
  const auto mech_dot = key.find('.');
  return mech_dot != std::string_view::npos &&
         sasl_mechanism_prefixes().contains(key.substr(0, mech_dot)) &&
         security_keys().contains(key.substr(mech_dot + 1));
}

void check_known(const std::string& key, const std::string& origin) {
  if (key.starts_with("zookeeper."))
    throw config_error{fmt::format(
        "setting '{}' ({}) is for ZooKeeper mode, which Kafka 4.0 removed; Brook needs no "
        "ZooKeeper (remove the setting)",
        key, origin)};
  if (!known_keys().contains(key) && !is_security_key(key))
    throw config_error{fmt::format("unknown setting '{}' ({})", key, origin)};
}

class settings {
 public:
  void set(std::string key, std::string value, std::string origin) {
    check_known(key, origin);
    _s[std::move(key)] = {std::move(value), std::move(origin)};
  }

  const setting* get(std::string_view key) const {
    auto it = _s.find(key);
    return it == _s.end() ? nullptr : &it->second;
  }
  bool has(std::string_view key) const { return get(key) != nullptr; }
  const std::map<std::string, setting, std::less<>>& all() const { return _s; }

  [[noreturn]] void invalid(std::string_view key, std::string_view expected) const {
    const setting* s = get(key);
    throw config_error{fmt::format("invalid value '{}' for setting '{}' ({}): expected {}",
                                   s->value, key, s->origin, expected)};
  }
  [[noreturn]] void invalid_because(std::string_view key, std::string_view why) const {
    const setting* s = get(key);
    throw config_error{
        fmt::format("invalid value '{}' for setting '{}' ({}): {}", s->value, key, s->origin, why)};
  }

  // The value as an integer in [min, max]; the key must be set.
  int64_t integer(std::string_view key, int64_t min, int64_t max) const {
    auto v = parse_integer(get(key)->value);
    if (!v || *v < min || *v > max) {
      if (max == k_long_max || max == k_int_max) invalid(key, fmt::format("an integer >= {}", min));
      invalid(key, fmt::format("an integer from {} to {}", min, max));
    }
    return *v;
  }

  template <class T>
  void read(std::string_view key, T& field, int64_t min, int64_t max) const {
    if (has(key)) field = static_cast<T>(integer(key, min, max));
  }
  template <class T>
  void read_int(std::string_view key, T& field, int64_t min) const {
    read(key, field, min, k_int_max);
  }
  template <class T>
  void read_long(std::string_view key, T& field, int64_t min) const {
    read(key, field, min, k_long_max);
  }

  bool boolean(std::string_view key) const {
    auto v = lower(trim(get(key)->value));
    if (v == "true") return true;
    if (v == "false") return false;
    invalid(key, "true or false");
  }
  void read_bool(std::string_view key, bool& field) const {
    if (has(key)) field = boolean(key);
  }

  std::string string(std::string_view key) const { return std::string(trim(get(key)->value)); }

  // A DOUBLE within [min, max].
  void read_double(std::string_view key, double& field, double min, double max) const {
    if (!has(key)) return;
    std::string v(trim(get(key)->value));
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || std::isnan(d)) invalid(key, "a number");
    if (d < min || d > max) invalid(key, fmt::format("a number from {} to {}", min, max));
    field = d;
  }

 private:
  std::map<std::string, setting, std::less<>> _s;
};

struct listener_address {
  std::string name;
  std::string host;
  uint16_t port = 0;
};

constexpr std::string_view k_listener_format =
    "a comma-separated list of NAME://host:port (e.g. PLAINTEXT://:9092)";

std::vector<listener_address> parse_listeners(const settings& s, std::string_view key) {
  std::vector<listener_address> out;
  std::set<std::string> names;
  for (const auto& item : parse_list(s.get(key)->value)) {
    auto sep = item.find("://");
    if (sep == std::string::npos || sep == 0) s.invalid(key, k_listener_format);
    listener_address l;
    l.name = upper(item.substr(0, sep));
    for (char c : l.name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
        s.invalid_because(key, fmt::format("listener name '{}' may only have letters, digits, "
                                           "'_' and '-'",
                                           item.substr(0, sep)));
    std::string_view rest = std::string_view(item).substr(sep + 3);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) s.invalid(key, k_listener_format);
    std::string_view host = rest.substr(0, colon);
    if (host.starts_with('[')) {
      if (!host.ends_with(']')) s.invalid(key, k_listener_format);
      host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
      s.invalid_because(key, fmt::format("write the IPv6 address '{}' in brackets", host));
    }
    l.host = std::string(host);
    auto port = parse_integer(rest.substr(colon + 1));
    if (!port || *port < 0 || *port > 65535)
      s.invalid_because(key, fmt::format("port '{}' of listener {} is not from 0 to 65535",
                                         rest.substr(colon + 1), l.name));
    l.port = static_cast<uint16_t>(*port);
    if (!names.insert(l.name).second)
      s.invalid_because(key, fmt::format("listener name {} appears twice", l.name));
    out.push_back(std::move(l));
  }
  if (out.empty()) s.invalid(key, k_listener_format);
  return out;
}

// A bindable numeric address for `host`: itself when numeric, else resolved (IPv4 preferred).
std::optional<std::string> numeric_host(const std::string& host) {
  in6_addr buffer;
  if (inet_pton(AF_INET, host.c_str(), &buffer) == 1 ||
      inet_pton(AF_INET6, host.c_str(), &buffer) == 1)
    return host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || !found) return std::nullopt;
  std::optional<std::string> v4, v6;
  for (auto* a = found; a; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ai_family == AF_INET && !v4) {
      auto* sa = reinterpret_cast<sockaddr_in*>(a->ai_addr);
      if (inet_ntop(AF_INET, &sa->sin_addr, text, sizeof text)) v4 = text;
    } else if (a->ai_family == AF_INET6 && !v6) {
      auto* sa = reinterpret_cast<sockaddr_in6*>(a->ai_addr);
      if (inet_ntop(AF_INET6, &sa->sin6_addr, text, sizeof text)) v6 = text;
    }
  }
  freeaddrinfo(found);
  return v4 ? v4 : v6;
}

const std::set<std::string>& security_protocols() {
  static const std::set<std::string> p = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};
  return p;
}

// The value of a security setting for one listener: listener.name.<listener>.<mechanism>.<key>
// (when a mechanism is given), then listener.name.<listener>.<key>, then <key>. The key found.
const char* k_no_mechanism = "";
std::optional<std::string> listener_key(const settings& s, const std::string& listener,
                                        std::string_view key,
                                        std::string_view mechanism = k_no_mechanism) {
  const std::string prefix = "listener.name." + lower(listener) + ".";
  if (!mechanism.empty()) {
    auto k = prefix + lower(mechanism) + "." + std::string(key);
    if (s.has(k)) return k;
  }
  if (auto k = prefix + std::string(key); s.has(k)) return k;
  if (s.has(key)) return std::string(key);
  return std::nullopt;
}

void configure_tls(const settings& s, net::listener_config& c) {
  net::tls_settings t;
  auto text = [&](std::string_view key, auto& field) {
    if (auto k = listener_key(s, c.name, key)) field = s.get(*k)->value;
  };
  text("ssl.keystore.type", t.keystore_type);
  text("ssl.keystore.location", t.keystore_location);
  text("ssl.keystore.password", t.keystore_password);
  text("ssl.key.password", t.key_password);
  text("ssl.keystore.key", t.keystore_key);
  text("ssl.keystore.certificate.chain", t.keystore_certificate_chain);
  text("ssl.truststore.type", t.truststore_type);
  text("ssl.truststore.location", t.truststore_location);
  text("ssl.truststore.password", t.truststore_password);
  text("ssl.truststore.certificates", t.truststore_certificates);
  // On SASL_SSL only a listener's own ssl.client.auth applies, as in Kafka (KIP-684).
  const std::string client_auth_key = "listener.name." + lower(c.name) + ".ssl.client.auth";
  if (c.security_protocol == "SSL") {
    if (auto k = listener_key(s, c.name, "ssl.client.auth")) t.client_auth = lower(s.string(*k));
  } else if (s.has(client_auth_key)) {
    t.client_auth = lower(s.string(client_auth_key));
  }
  if (auto k = listener_key(s, c.name, "ssl.enabled.protocols"))
    t.enabled_protocols = parse_list(s.get(*k)->value);
  if (auto k = listener_key(s, c.name, "ssl.cipher.suites"))
    t.cipher_suites = parse_list(s.get(*k)->value);
  try {
    c.tls = net::make_server_tls_context(t);
  } catch (const net::tls_error& e) {
    auto k = listener_key(s, c.name, e.setting);
    throw config_error{fmt::format("TLS settings of listener {}: {}{}", c.name,
                                   k ? fmt::format("setting '{}' ({}): ", *k, s.get(*k)->origin)
                                     : fmt::format("setting '{}': ", e.setting),
                                   e.what())};
  }
  if (c.security_protocol == "SSL") {
    if (auto k = listener_key(s, c.name, "ssl.principal.mapping.rules")) {
      auto mapper = security::ssl_principal_mapper::parse(s.get(*k)->value);
      if (!mapper) s.invalid_because(*k, mapper.error());
      c.principal_of_certificate =
          [m = std::make_shared<security::ssl_principal_mapper>(std::move(*mapper))](
              const std::string& subject) { return m->name_of(subject); };
    }
  }
}

// OAUTHBEARER: tokens are JWTs checked against the keys of sasl.oauthbearer.jwks.endpoint.url
// (a file: URL), as Kafka's OAuthBearerValidatorCallbackHandler does. Kafka's default, unsecured
// tokens (alg none), is not offered.
std::shared_ptr<const security::jwt_validator> oauthbearer_settings(const settings& s,
                                                                    const net::listener_config& c) {
  constexpr std::string_view k_validator =
      "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler";
  if (auto k = listener_key(s, c.name, "sasl.server.callback.handler.class", "oauthbearer");
      k && s.string(*k) != k_validator)
    s.invalid(*k, k_validator);
  security::oauthbearer_config config;
  auto url = listener_key(s, c.name, "sasl.oauthbearer.jwks.endpoint.url", "oauthbearer");
  if (!url)
    throw config_error{fmt::format(
        "listener {} enables OAUTHBEARER but sasl.oauthbearer.jwks.endpoint.url is not set (a "
        "file: URL of the JSON Web Key Set that signs the tokens)",
        c.name)};
  config.jwks_endpoint_url = s.string(*url);
  if (auto k = listener_key(s, c.name, "sasl.oauthbearer.expected.audience", "oauthbearer"))
    config.expected_audience = parse_list(s.get(*k)->value);
  if (auto k = listener_key(s, c.name, "sasl.oauthbearer.expected.issuer", "oauthbearer"))
    config.expected_issuer = s.string(*k);
  if (auto k = listener_key(s, c.name, "sasl.oauthbearer.sub.claim.name", "oauthbearer"))
    config.sub_claim_name = s.string(*k);
  if (auto k = listener_key(s, c.name, "sasl.oauthbearer.scope.claim.name", "oauthbearer"))
    config.scope_claim_name = s.string(*k);
  if (auto k = listener_key(s, c.name, "sasl.oauthbearer.clock.skew.seconds", "oauthbearer"))
    config.clock_skew_seconds = s.integer(*k, 0, k_int_max);
  try {
    return std::make_shared<security::jwt_validator>(config);
  } catch (const std::runtime_error& e) {
    s.invalid_because(*url, e.what());
  }
}

// GSSAPI: sasl.kerberos.service.name and the listener's Krb5LoginModule entry (keyTab, principal).
std::shared_ptr<const security::gssapi_config> gssapi_settings(const settings& s,
                                                               const net::listener_config& c) {
  auto service = listener_key(s, c.name, "sasl.kerberos.service.name", "gssapi");
  if (!service)
    throw config_error{fmt::format(
        "listener {} enables GSSAPI but sasl.kerberos.service.name is not set", c.name)};
  auto k = listener_key(s, c.name, "sasl.jaas.config", "gssapi");
  if (!k)
    throw config_error{fmt::format(
        "listener {} enables GSSAPI but has no listener.name.{}.gssapi.sasl.jaas.config "
        "(com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true "
        "keyTab=\"<file>\" principal=\"<service>/<host>@<REALM>\";)",
        c.name, lower(c.name))};
  auto entries = security::parse_jaas(s.get(*k)->value);
  if (!entries)
    throw config_error{
        fmt::format("invalid setting '{}' ({}): {}", *k, s.get(*k)->origin, entries.error())};
  const auto& options = entries->front().options;
  auto keytab = options.find("keyTab");
  auto principal = options.find("principal");
  if (keytab == options.end() || principal == options.end())
    s.invalid_because(*k, "the Krb5LoginModule entry needs keyTab and principal");
  auto config = std::make_shared<security::gssapi_config>();
  config->service_name = s.string(*service);
  config->keytab = keytab->second;
  // service/host@REALM
  const auto& p = principal->second;
  const auto slash = p.find('/'), at = p.rfind('@');
  if (slash == std::string::npos || at == std::string::npos || at < slash)
    s.invalid_because(*k, "principal must be <service>/<host>@<REALM>");
  if (p.substr(0, slash) != config->service_name)
    s.invalid_because(*k, fmt::format("the principal's service is not sasl.kerberos.service.name "
                                      "{}",
                                      config->service_name));
  config->host = p.substr(slash + 1, at - slash - 1);
  config->realm = p.substr(at + 1);
  try {
    security::init_gssapi(*config);
  } catch (const std::runtime_error& e) {
    throw config_error{fmt::format("listener {}: GSSAPI: {}", c.name, e.what())};
  }
  return config;
}

void configure_sasl(const settings& s, net::listener_config& c, broker_options& o) {
  security::listener_sasl sasl;
  std::vector<std::string> mechanisms = {"GSSAPI"};
  if (auto k = listener_key(s, c.name, "sasl.enabled.mechanisms")) {
    mechanisms.clear();
    for (const auto& m : parse_list(s.get(*k)->value)) mechanisms.push_back(upper(m));
    if (mechanisms.empty()) s.invalid(*k, "at least one SASL mechanism");
    for (const auto& m : mechanisms) {
      if (m == "PLAIN" || m == "SCRAM-SHA-256" || m == "SCRAM-SHA-512" || m == "GSSAPI" ||
          m == "OAUTHBEARER")
        continue;
      s.invalid_because(*k, fmt::format("unknown SASL mechanism {}", m));
    }
  } else {
    throw config_error{fmt::format(
        "listener {} uses {} but sasl.enabled.mechanisms is not set; set it (PLAIN, SCRAM-SHA-256, "
        "SCRAM-SHA-512, GSSAPI) rather than rely on Kafka's default, GSSAPI",
        c.name, c.security_protocol)};
  }
  for (const auto& m : mechanisms) {
    if (m != "PLAIN") continue;
    auto k = listener_key(s, c.name, "sasl.jaas.config", "plain");
    if (!k)
      throw config_error{fmt::format(
          "listener {} enables PLAIN but has no listener.name.{}.plain.sasl.jaas.config naming its "
          "users (org.apache.kafka.common.security.plain.PlainLoginModule required "
          "user_<name>=\"<password>\";)",
          c.name, lower(c.name))};
    auto entries = security::parse_jaas(s.get(*k)->value);
    if (!entries)
      throw config_error{
          fmt::format("invalid setting '{}' ({}): {}", *k, s.get(*k)->origin, entries.error())};
    for (const auto& e : *entries)
      for (const auto& [key, value] : e.options)
        if (key.starts_with("user_")) sasl.plain_users[key.substr(5)] = value;
  }
  if (std::find(mechanisms.begin(), mechanisms.end(), "GSSAPI") != mechanisms.end())
    sasl.gssapi = gssapi_settings(s, c);
  if (std::find(mechanisms.begin(), mechanisms.end(), "OAUTHBEARER") != mechanisms.end())
    sasl.oauthbearer = oauthbearer_settings(s, c);
  sasl.mechanisms = std::move(mechanisms);
  if (auto k = listener_key(s, c.name, "connections.max.reauth.ms"))
    sasl.max_reauth_ms = s.integer(*k, 0, k_long_max);
  if (auto k = listener_key(s, c.name, "sasl.server.max.receive.size"))
    c.max_unauthenticated_frame_bytes = static_cast<int32_t>(s.integer(*k, 1, k_int_max));
  o.sasl[c.name] = std::move(sasl);
}

void configure_security(const settings& s, net::listener_config& c, broker_options& o) {
  if (c.security_protocol == "SSL" || c.security_protocol == "SASL_SSL") configure_tls(s, c);
  if (c.security_protocol.starts_with("SASL_")) configure_sasl(s, c, o);
}

broker_options apply(const settings& s) {
  broker_options o;
  o.shards = std::max(1u, std::thread::hardware_concurrency());

  // Identity and roles.
  s.read_int("node.id", o.node_id, 0);
  if (s.has("broker.id")) {
    int32_t id = static_cast<int32_t>(s.integer("broker.id", 0, k_int_max));
    if (s.has("node.id") && id != o.node_id)
      s.invalid_because("broker.id",
                        fmt::format("it differs from node.id {}; set only node.id", o.node_id));
    o.node_id = id;
  }
  if (s.has("cluster.id")) o.cluster_id = s.string("cluster.id");
  if (s.has("process.roles")) {
    std::set<std::string> roles;
    for (const auto& r : parse_list(s.get("process.roles")->value)) {
      auto role = lower(r);
      if ((role != "broker" && role != "controller") || !roles.insert(role).second)
        s.invalid("process.roles", "'broker' or 'broker,controller'");
    }
    if (!roles.contains("broker"))
      s.invalid_because(
          "process.roles",
          "Brook is always a broker (and its own controller); use 'broker,controller'");
  }
  // Authorization: Kafka's StandardAuthorizer (AclAuthorizer is its ZooKeeper-era name), with ACLs
  // kept in the cluster metadata.
  if (s.has("authorizer.class.name")) {
    const std::string cls = s.string("authorizer.class.name");
    if (cls == "org.apache.kafka.metadata.authorizer.StandardAuthorizer" ||
        cls == "kafka.security.authorizer.AclAuthorizer")
      o.authorizer.enabled = true;
    else if (!cls.empty())
      s.invalid_because("authorizer.class.name",
                        "Brook's authorizer is org.apache.kafka.metadata.authorizer."
                        "StandardAuthorizer (or kafka.security.authorizer.AclAuthorizer); no other "
                        "class can be loaded");
  }
  if (s.has("super.users")) {
    std::string why;
    auto users = security::parse_super_users(s.string("super.users"), &why);
    if (!users) s.invalid_because("super.users", why);
    o.authorizer.super_users = std::move(*users);
  }
  s.read_bool("allow.everyone.if.no.acl.found", o.authorizer.allow_if_no_acl);

  // Listeners.
  std::map<std::string, std::string> protocol_of;
  for (const auto& p : security_protocols()) protocol_of[p] = p;
  if (s.has("listener.security.protocol.map")) {
    protocol_of.clear();
    constexpr std::string_view expected =
        "a comma-separated list of NAME:PROTOCOL with PROTOCOL one of PLAINTEXT, SSL, "
        "SASL_PLAINTEXT, SASL_SSL";
    for (const auto& item : parse_list(s.get("listener.security.protocol.map")->value)) {
      auto colon = item.find(':');
      if (colon == std::string::npos || colon == 0)
        s.invalid("listener.security.protocol.map", expected);
      auto name = upper(trim(std::string_view(item).substr(0, colon)));
      auto protocol = upper(trim(std::string_view(item).substr(colon + 1)));
      if (!security_protocols().contains(protocol) || protocol_of.contains(name))
        s.invalid("listener.security.protocol.map", expected);
      protocol_of[name] = protocol;
    }
  }
  if (s.has("security.inter.broker.protocol") &&
      !security_protocols().contains(upper(s.string("security.inter.broker.protocol"))))
    s.invalid("security.inter.broker.protocol", "one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");

  std::set<std::string> controller_names;
  if (s.has("controller.listener.names"))
    for (const auto& n : parse_list(s.get("controller.listener.names")->value))
      controller_names.insert(upper(n));

  if (s.has("listeners")) {
    o.listeners.clear();
    std::set<uint16_t> ports;
    for (auto& l : parse_listeners(s, "listeners")) {
      if (l.port != 0 && !ports.insert(l.port).second)
        s.invalid_because("listeners", fmt::format("port {} is used by two listeners", l.port));
      if (controller_names.contains(l.name)) continue;
      auto protocol = protocol_of.find(l.name);
      if (protocol == protocol_of.end())
        s.invalid_because("listeners",
                          fmt::format("listener {} has no security protocol; add {}:PLAINTEXT to "
                                      "listener.security.protocol.map",
                                      l.name, l.name));
      net::listener_config c;
      c.name = l.name;
      c.security_protocol = protocol->second;
      configure_security(s, c, o);
      if (l.host.empty()) {
        c.host = "0.0.0.0";
      } else if (auto numeric = numeric_host(l.host)) {
        c.host = *numeric;
      } else {
        s.invalid_because("listeners",
                          fmt::format("cannot resolve host '{}' of listener {}", l.host, l.name));
      }
      c.port = l.port;
      o.listeners.push_back(std::move(c));
    }
    if (o.listeners.empty())
      s.invalid_because("listeners",
                        "every listener is a controller listener (controller.listener.names); "
                        "add one for clients, e.g. PLAINTEXT://:9092");
  }
  if (s.has("advertised.listeners")) {
    std::set<std::string> names;
    for (const auto& l : o.listeners) names.insert(l.name);
    for (auto& l : parse_listeners(s, "advertised.listeners")) {
      if (controller_names.contains(l.name)) continue;
      if (!names.contains(l.name))
        s.invalid_because("advertised.listeners",
                          fmt::format("listener {} is not in listeners", l.name));
      if (l.host == "0.0.0.0" || l.host == "::")
        s.invalid_because(
            "advertised.listeners",
            fmt::format("listener {} advertises the unroutable address {}", l.name, l.host));
      o.advertised.push_back({l.name, l.host, l.port});
    }
  }
  for (auto& l : o.listeners) {
    s.read_int("socket.request.max.bytes", l.max_frame_bytes, 1);
    s.read_int("queued.max.requests", l.max_in_flight, 1);
    s.read_int("socket.send.buffer.bytes", l.send_buffer_bytes, -1);
    s.read_int("socket.receive.buffer.bytes", l.receive_buffer_bytes, -1);
  }
  // Checked even when no listener is left to take them.
  for (auto key : {"socket.request.max.bytes", "queued.max.requests"})
    if (s.has(key)) s.integer(key, 1, k_int_max);
  for (auto key : {"socket.send.buffer.bytes", "socket.receive.buffer.bytes"})
    if (s.has(key)) s.integer(key, -1, k_int_max);

  // Storage.
  const char* dirs_key = s.has("log.dirs") ? "log.dirs" : s.has("log.dir") ? "log.dir" : nullptr;
  if (dirs_key) {
    auto dirs = parse_list(s.get(dirs_key)->value);
    if (dirs.empty() || dirs[0].empty())
      s.invalid(dirs_key, "a comma-separated list of directories");
    if (dirs.size() > 1)
      lg.warn("{} names {} directories; Brook uses only the first, {}", dirs_key, dirs.size(),
              dirs[0]);
    o.log_dir = dirs[0];
  }
  s.read_int("num.partitions", o.num_partitions, 1);
  s.read_bool("auto.create.topics.enable", o.auto_create_topics);
  s.read_bool("delete.topic.enable", o.delete_topic_enable);
  s.read_long("log.retention.check.interval.ms", o.retention_check_interval_ms, 1);
  // The group coordinator.
  auto& g = o.groups;
  s.read_int("offsets.topic.num.partitions", g.offsets_partitions, 1);
  s.read_int("offsets.topic.segment.bytes", o.offsets_segment_bytes, 1);
  s.read_int("offset.metadata.max.bytes", g.offset_metadata_max_bytes, 0);
  s.read_int("group.initial.rebalance.delay.ms", g.initial_rebalance_delay_ms, 0);
  s.read_int("group.min.session.timeout.ms", g.min_session_timeout_ms, 0);
  s.read_int("group.max.session.timeout.ms", g.max_session_timeout_ms, 0);
  s.read_int("group.max.size", g.max_size, 1);
  if (s.has("offsets.retention.minutes"))
    g.offsets_retention_ms = s.integer("offsets.retention.minutes", 1, k_int_max) * 60 * 1000;
  s.read_long("offsets.retention.check.interval.ms", g.offsets_retention_check_interval_ms, 1);
  // KIP-848 consumer groups: the session timeout and heartbeat interval within their bounds.
  int32_t min_session = 45000, max_session = 60000, min_interval = 5000, max_interval = 15000;
  s.read_int("group.consumer.min.session.timeout.ms", min_session, 1);
  s.read_int("group.consumer.max.session.timeout.ms", max_session, min_session);
  s.read_int("group.consumer.min.heartbeat.interval.ms", min_interval, 1);
  s.read_int("group.consumer.max.heartbeat.interval.ms", max_interval, min_interval);
  g.consumer_session_timeout_ms =
      std::clamp(g.consumer_session_timeout_ms, min_session, max_session);
  g.consumer_heartbeat_interval_ms =
      std::clamp(g.consumer_heartbeat_interval_ms, min_interval, max_interval);
  s.read("group.consumer.session.timeout.ms", g.consumer_session_timeout_ms, min_session,
         max_session);
  s.read("group.consumer.heartbeat.interval.ms", g.consumer_heartbeat_interval_ms, min_interval,
         max_interval);
  if (g.consumer_heartbeat_interval_ms >= g.consumer_session_timeout_ms)
    s.invalid_because("group.consumer.heartbeat.interval.ms",
                      "it must be less than group.consumer.session.timeout.ms");
  s.read_int("group.consumer.max.size", g.consumer_max_size, 1);
  // The transaction coordinator.
  s.read_int("transaction.state.log.num.partitions", o.transactions.log_partitions, 1);
  s.read_int("transaction.state.log.segment.bytes", o.txn_segment_bytes, 1);
  s.read_int("transaction.max.timeout.ms", o.transactions.max_timeout_ms, 1);
  if (s.has("transactional.id.expiration.ms"))
    o.transactions.id_expiration_ms = s.integer("transactional.id.expiration.ms", 1, k_int_max);
  // What group configs fall back to and are bounded by, as the broker has them.
  for (const auto& [key, value] : default_group_settings()) {
    if (!s.has(key)) continue;
    const std::string v(trim(s.get(key)->value));
    const auto type = known_keys().find(key)->second.k;
    if (type == kind::ignored_bool)
      o.group_defaults[key] = s.boolean(key) ? "true" : "false";
    else if (type == kind::ignored_int || type == kind::ignored_long)
      o.group_defaults[key] =
          std::to_string(s.integer(key, 0, type == kind::ignored_int ? k_int_max : k_long_max));
    else
      o.group_defaults[key] = v;
  }
  o.group_defaults["group.consumer.session.timeout.ms"] =
      std::to_string(g.consumer_session_timeout_ms);
  o.group_defaults["group.consumer.min.session.timeout.ms"] = std::to_string(min_session);
  o.group_defaults["group.consumer.max.session.timeout.ms"] = std::to_string(max_session);
  o.group_defaults["group.consumer.heartbeat.interval.ms"] =
      std::to_string(g.consumer_heartbeat_interval_ms);
  o.group_defaults["group.consumer.min.heartbeat.interval.ms"] = std::to_string(min_interval);
  o.group_defaults["group.consumer.max.heartbeat.interval.ms"] = std::to_string(max_interval);
  if (s.has("group.consumer.migration.policy")) {
    const std::string p = lower(s.get("group.consumer.migration.policy")->value);
    if (p != "bidirectional" && p != "upgrade" && p != "downgrade" && p != "disabled")
      s.invalid("group.consumer.migration.policy", "bidirectional, upgrade, downgrade or disabled");
    g.online_upgrade = p == "bidirectional" || p == "upgrade";
    g.online_downgrade = p == "bidirectional" || p == "downgrade";
  }
  if (s.has("group.consumer.assignors")) {
    g.consumer_assignors.clear();
    for (const auto& a : parse_list(s.get("group.consumer.assignors")->value)) {
      // Kafka's short names or its assignor classes.
      if (a == "uniform" || a == "org.apache.kafka.coordinator.group.assignor.UniformAssignor")
        g.consumer_assignors.push_back("uniform");
      else if (a == "range" || a == "org.apache.kafka.coordinator.group.assignor.RangeAssignor")
        g.consumer_assignors.push_back("range");
      else
        s.invalid("group.consumer.assignors", "a list of uniform and range");
    }
    if (g.consumer_assignors.empty())
      s.invalid("group.consumer.assignors", "at least one assignor");
  }
  if (s.has("brook.shards")) o.shards = static_cast<uint32_t>(s.integer("brook.shards", 1, 1024));

  storage::log_config& d = o.log_defaults;
  s.read_int("log.segment.bytes", d.segment_bytes, 1024);
  if (s.has("log.roll.ms")) {
    s.read_long("log.roll.ms", d.segment_ms, 1);
  } else if (s.has("log.roll.hours")) {
    d.segment_ms = s.integer("log.roll.hours", 1, k_int_max) * 3600 * 1000;
  }
  if (s.has("log.roll.jitter.ms")) {
    s.read_long("log.roll.jitter.ms", d.segment_jitter_ms, 0);
  } else if (s.has("log.roll.jitter.hours")) {
    d.segment_jitter_ms = s.integer("log.roll.jitter.hours", 0, k_int_max) * 3600 * 1000;
  }
  // Kafka's precedence: ms, then minutes, then hours; any negative value is "no limit".
  auto unlimited = [](int64_t v) { return v < 0 ? int64_t{-1} : v; };
  if (s.has("log.retention.ms")) {
    d.retention_ms = unlimited(s.integer("log.retention.ms", -1, k_long_max));
  } else if (s.has("log.retention.minutes")) {
    d.retention_ms = unlimited(s.integer("log.retention.minutes", -1, k_int_max) * 60 * 1000);
  } else if (s.has("log.retention.hours")) {
    d.retention_ms = unlimited(s.integer("log.retention.hours", -1, k_int_max) * 3600 * 1000);
  }
  // The ones that lost are still checked.
  if (s.has("log.retention.minutes")) s.integer("log.retention.minutes", -1, k_int_max);
  if (s.has("log.retention.hours")) s.integer("log.retention.hours", -1, k_int_max);
  if (s.has("log.roll.hours")) s.integer("log.roll.hours", 1, k_int_max);
  if (s.has("log.roll.jitter.hours")) s.integer("log.roll.jitter.hours", 0, k_int_max);
  if (s.has("log.retention.bytes"))
    d.retention_bytes = unlimited(s.integer("log.retention.bytes", -1, k_long_max));
  s.read_int("log.index.interval.bytes", d.index_interval_bytes, 0);
  s.read_int("log.index.size.max.bytes", d.segment_index_bytes, 4);
  s.read_long("log.flush.interval.messages", d.flush_messages, 1);
  s.read_long("log.flush.interval.ms", d.flush_ms, 0);
  s.read_long("log.segment.delete.delay.ms", d.file_delete_delay_ms, 0);
  s.read_int("message.max.bytes", d.max_message_bytes, 0);
  if (s.has("log.message.timestamp.type")) {
    auto v = s.string("log.message.timestamp.type");
    if (v == "CreateTime")
      d.timestamp_type = timestamp_type::create_time;
    else if (v == "LogAppendTime")
      d.timestamp_type = timestamp_type::log_append_time;
    else
      s.invalid("log.message.timestamp.type", "CreateTime or LogAppendTime");
  }
  s.read_long("log.message.timestamp.before.max.ms", d.timestamp_before_max_ms, 0);
  s.read_long("log.message.timestamp.after.max.ms", d.timestamp_after_max_ms, 0);
  if (s.has("compression.type")) {
    auto v = lower(s.string("compression.type"));
    d.keep_producer_compression = v == "producer";
    if (v == "producer" || v == "none" || v == "uncompressed")
      d.compression = codec::none;
    else if (v == "gzip")
      d.compression = codec::gzip;
    else if (v == "snappy")
      d.compression = codec::snappy;
    else if (v == "lz4")
      d.compression = codec::lz4;
    else if (v == "zstd")
      d.compression = codec::zstd;
    else
      s.invalid("compression.type", "one of producer, uncompressed, gzip, snappy, lz4, zstd");
  }
  if (s.has("compression.gzip.level")) {
    auto v = parse_integer(s.get("compression.gzip.level")->value);
    if (!v || !(*v == -1 || (*v >= 1 && *v <= 9)))
      s.invalid("compression.gzip.level", "-1 (the default level) or an integer from 1 to 9");
    d.compression_gzip_level = static_cast<int>(*v);
  }
  s.read("compression.lz4.level", d.compression_lz4_level, 1, 17);
  s.read("compression.zstd.level", d.compression_zstd_level, -131072, 22);
  if (s.has("log.cleanup.policy")) {
    bool compact = false, del = false;
    for (const auto& p : parse_list(s.get("log.cleanup.policy")->value)) {
      if (p == "compact")
        compact = true;
      else if (p == "delete")
        del = true;
      else
        s.invalid("log.cleanup.policy", "delete, compact or compact,delete");
    }
    d.compact = compact;
    d.delete_retention = del;
  }

  // The log cleaner (compaction).
  auto& cl = o.cleaner;
  s.read_bool("log.cleaner.enable", cl.enable);
  s.read_int("log.cleaner.threads", cl.threads, 0);
  s.read_long("log.cleaner.dedupe.buffer.size", cl.dedupe_buffer_size, 0);
  s.read_int("log.cleaner.io.buffer.size", cl.io_buffer_size, 0);
  s.read_double("log.cleaner.io.buffer.load.factor", cl.dedupe_buffer_load_factor,
                -std::numeric_limits<double>::max(), std::numeric_limits<double>::max());
  s.read_double("log.cleaner.io.max.bytes.per.second", cl.io_max_bytes_per_second,
                -std::numeric_limits<double>::max(), std::numeric_limits<double>::max());
  s.read_long("log.cleaner.backoff.ms", cl.backoff_ms, 0);
  s.read_int("producer.id.expiration.ms", cl.producer_id_expiration_ms, 1);
  d.producer_id_expiration_ms = cl.producer_id_expiration_ms;
  s.read_long("log.cleaner.delete.retention.ms", d.delete_retention_ms, 0);
  s.read_long("log.cleaner.min.compaction.lag.ms", d.min_compaction_lag_ms, 0);
  s.read_long("log.cleaner.max.compaction.lag.ms", d.max_compaction_lag_ms, 1);
  s.read_double("log.cleaner.min.cleanable.ratio", d.min_cleanable_dirty_ratio, 0, 1);

  // Client quotas: the samples each rate is measured over.
  s.read_int("quota.window.num", o.quota_window.samples, 1);
  int32_t window_seconds = 1;
  s.read_int("quota.window.size.seconds", window_seconds, 1);
  o.quota_window.window_ms = int64_t{window_seconds} * 1000;

  // Accepted for compatibility, checked, no effect.
  for (const auto& [key, value] : s.all()) {
    // TLS and SASL settings are read per listener above.
    const auto known = known_keys().find(key);
    if (known == known_keys().end()) continue;
    const auto& def = known->second;
    switch (def.k) {
      case kind::handled:
      case kind::ignored_string:
        break;
      case kind::ignored_int:
        s.integer(key, def.min, k_int_max);
        break;
      case kind::ignored_long:
        s.integer(key, def.min, k_long_max);
        break;
      case kind::ignored_bool:
        s.boolean(key);
        break;
    }
  }
  return o;
}

}  // namespace

result<std::vector<property>, std::string> parse_properties(std::string_view text,
                                                            const std::string& origin) {
  // Natural lines end in \n, \r\n or \r.
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) {
      if (start < text.size()) lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + (text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n' ? 2 : 1);
  }

  auto strip_leading = [](std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    return s;
  };
  auto continues = [](std::string_view s) {
    size_t n = 0;
    while (n < s.size() && s[s.size() - 1 - n] == '\\') ++n;
    return n % 2 == 1;
  };

  std::vector<property> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    int first_line = static_cast<int>(i + 1);
    std::string_view line = strip_leading(lines[i]);
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    std::string logical(line);
    while (continues(logical)) {
      logical.pop_back();
      if (++i >= lines.size()) break;
      logical += strip_leading(lines[i]);
    }

    // The key ends at the first unescaped '=', ':' or blank.
    size_t k = 0;
    while (k < logical.size()) {
      char c = logical[k];
      if (c == '\\') {
        k += 2;
        continue;
      }
      if (c == '=' || c == ':' || is_blank(c)) break;
      ++k;
    }
    k = std::min(k, logical.size());
    size_t v = k;
    while (v < logical.size() && is_blank(logical[v])) ++v;
    if (v < logical.size() && (logical[v] == '=' || logical[v] == ':')) ++v;
    while (v < logical.size() && is_blank(logical[v])) ++v;

    auto key = unescape(std::string_view(logical).substr(0, k));
    auto value = unescape(std::string_view(logical).substr(v));
    if (!key || !value)
      return failure{fmt::format("malformed \\uXXXX escape in {}, line {}", origin, first_line)};
    out.push_back({std::string(trim(*key)), std::string(trim(*value)), first_line});
  }
  return out;
}

result<broker_options, std::string> load_options(
    const std::string& properties_file,
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  try {
    settings s;
    if (!properties_file.empty()) {
      std::ifstream in(properties_file, std::ios::binary);
      if (!in)
        return failure{fmt::format("cannot read {}: {}", properties_file, std::strerror(errno))};
      std::stringstream buffer;
      buffer << in.rdbuf();
      if (in.bad())
        return failure{fmt::format("cannot read {}: {}", properties_file, std::strerror(errno))};
      auto props = parse_properties(buffer.str(), properties_file);
      if (!props) return failure{props.error()};
      for (auto& p : *props)
        s.set(std::move(p.key), std::move(p.value),
              fmt::format("in {}, line {}", properties_file, p.line));
    }
    for (const auto& [key, value] : overrides)
      s.set(std::string(trim(key)), std::string(trim(value)), "from --override");
    auto options = apply(s);
    for (const auto& [key, value] : s.all()) options.static_configs[key] = value.value;
    return options;
  } catch (const config_error& e) {
    return failure{e.message};
  }
}

}  // namespace brook::broker
