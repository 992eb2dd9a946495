#include "client/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>

#include "client/errors.h"

namespace brook::client {

namespace {

constexpr unsigned all_roles = common | producer_role | consumer_role | admin_role;
constexpr unsigned p = producer_role;
constexpr unsigned c = consumer_role;
constexpr unsigned a = admin_role;

// Defaults are Kafka 4.x's Java client defaults unless a comment says otherwise.
constexpr setting_info k_settings[] = {
    {"bootstrap.servers", all_roles, "", "host:port,... to learn the cluster from"},
    {"client.id", all_roles, "brook", "sent with every request"},
    {"request.timeout.ms", all_roles, "30000", "how long to wait for an answer"},
    {"socket.connection.setup.timeout.ms", all_roles, "10000", "how long a connect may take"},
    {"retry.backoff.ms", all_roles, "100", "pause before a retry"},
    {"retry.backoff.max.ms", all_roles, "1000", "longest pause before a retry"},
    {"reconnect.backoff.ms", all_roles, "50", "pause before connecting again"},
    {"metadata.max.age.ms", all_roles, "300000", "metadata refresh interval"},
    {"security.protocol", all_roles, "PLAINTEXT", "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"},
    {"ssl.ca.location", all_roles, "", "PEM file of trusted certificates (librdkafka)"},
    {"ssl.certificate.location", all_roles, "", "PEM client certificate (librdkafka)"},
    {"ssl.key.location", all_roles, "", "PEM client key (librdkafka)"},
    {"ssl.key.password", all_roles, "", "password of the client key"},
    {"ssl.truststore.location", all_roles, "", "trust store file, PEM or PKCS12 (Java)"},
    {"ssl.truststore.type", all_roles, "JKS", "PEM, PKCS12, or JKS naming a PKCS12 file"},
    {"ssl.truststore.password", all_roles, "", "trust store password"},
    {"ssl.keystore.location", all_roles, "", "key store file, PEM or PKCS12 (Java)"},
    {"ssl.keystore.type", all_roles, "JKS", "PEM, PKCS12, or JKS naming a PKCS12 file"},
    {"ssl.keystore.password", all_roles, "", "key store password"},
    {"ssl.endpoint.identification.algorithm", all_roles, "https",
     "https checks the broker's host name; empty skips the check"},
    {"enable.ssl.certificate.verification", all_roles, "true",
     "false accepts any broker certificate (librdkafka)"},
    {"sasl.mechanism", all_roles, "GSSAPI",
     "GSSAPI, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER"},
    {"sasl.mechanisms", all_roles, "", "librdkafka's name for sasl.mechanism"},
    {"sasl.username", all_roles, "", "user for PLAIN and SCRAM (librdkafka)"},
    {"sasl.password", all_roles, "", "password for PLAIN and SCRAM (librdkafka)"},
    {"sasl.jaas.config", all_roles, "",
     "Java's login module line: username and password, clientId and clientSecret, or keyTab "
     "and principal"},
    {"sasl.oauthbearer.token", all_roles, "", "a ready token (JWT) for OAUTHBEARER"},
    {"sasl.oauthbearer.method", all_roles, "default",
     "oidc fetches OAUTHBEARER tokens from the token endpoint (librdkafka)"},
    {"sasl.oauthbearer.token.endpoint.url", all_roles, "",
     "OAuth token endpoint (http: or https:) for OAUTHBEARER's client-credentials grant"},
    {"sasl.oauthbearer.client.id", all_roles, "", "client id at the token endpoint (librdkafka)"},
    {"sasl.oauthbearer.client.secret", all_roles, "",
     "client secret at the token endpoint (librdkafka)"},
    {"sasl.oauthbearer.client.credentials.client.id", all_roles, "",
     "client id at the token endpoint (Java 4.1+)"},
    {"sasl.oauthbearer.client.credentials.client.secret", all_roles, "",
     "client secret at the token endpoint (Java 4.1+)"},
    {"sasl.oauthbearer.scope", all_roles, "", "scope asked of the token endpoint"},
    {"sasl.oauthbearer.header.urlencode", all_roles, "false",
     "form-encode the client id and secret in the token request's Basic auth (Java)"},
    {"sasl.login.callback.handler.class", all_roles, "",
     "Java: only OAuthBearerLoginCallbackHandler, which the token endpoint URL implies"},
    {"sasl.oauthbearer.jwt.retriever.class", all_roles, "",
     "Java 4.1+: only DefaultJwtRetriever or ClientCredentialsJwtRetriever (implied)"},
    {"sasl.oauthbearer.scope.claim.name", all_roles, "scope",
     "the token's scope claim (Java; read by brokers, accepted here)"},
    {"sasl.oauthbearer.sub.claim.name", all_roles, "sub",
     "the token's subject claim (Java; read by brokers, accepted here)"},
    {"sasl.oauthbearer.extensions", all_roles, "",
     "name=value,... SASL extensions sent with the token (librdkafka)"},
    {"https.ca.location", all_roles, "",
     "PEM file of CAs trusted for an https token endpoint (librdkafka); else the system's"},
    {"sasl.login.connect.timeout.ms", all_roles, "",
     "bound on connecting to the token endpoint (10 s when unset)"},
    {"sasl.login.read.timeout.ms", all_roles, "",
     "bound on the token endpoint's answer (10 s when unset)"},
    {"sasl.login.refresh.window.factor", all_roles, "0.8",
     "share of a token's life after which it is fetched again"},
    {"sasl.kerberos.service.name", all_roles, "kafka",
     "first part of the broker's Kerberos principal (GSSAPI)"},
    {"sasl.kerberos.keytab", all_roles, "",
     "keytab with the client's key (GSSAPI, librdkafka); else the ticket cache"},
    {"sasl.kerberos.principal", all_roles, "",
     "the client's Kerberos principal (GSSAPI, librdkafka); else the keytab's or cache's"},
    {"default.api.timeout.ms", c | a, "60000",
     "upper bound on a blocking call, its retries included"},
    // Producer.
    {"acks", p, "all", "0, 1 or all (-1)"},
    {"linger.ms", p, "5", "how long a batch waits for more records"},
    {"batch.size", p, "16384", "bytes at which a batch is sent without waiting"},
    {"compression.type", p, "none", "none, gzip, snappy, lz4 or zstd"},
    {"compression.level", p, "", "the codec's level; its default when absent"},
    {"retries", p, "2147483647", "how often a failed batch is sent again"},
    {"delivery.timeout.ms", p, "120000", "upper bound on the time to report a send"},
    {"enable.idempotence", p, "true", "exactly one copy of each record per partition"},
    {"max.in.flight.requests.per.connection", p, "5", "unanswered produce requests per broker"},
    {"transactional.id", p, "", "makes the producer transactional"},
    {"transaction.timeout.ms", p, "60000", "how long a transaction may stay open"},
    {"partitioner.ignore.keys", p, "false", "spread keyed records as if keyless"},
    {"partitioner.adaptive.partitioning.enable", p, "true",
     "draw keyless records' partitions weighted by their brokers' queues"},
    {"partitioner.availability.timeout.ms", p, "0",
     "leave out partitions whose broker took no ready batch for this long (0: never)"},
    {"buffer.memory", p, "33554432", "bytes of records waiting to be sent"},
    {"max.request.size", p, "1048576", "largest produce request, and so largest record"},
    {"max.block.ms", p, "60000", "how long send() waits for metadata or buffer space"},
    {"allow.auto.create.topics", p | c, "true",
     "whether metadata requests may create a missing topic (when the broker allows it)"},
    // Consumer.
    {"group.id", c, "", "consumer group; needed for subscribe() and commits"},
    {"group.protocol", c, "classic", "classic (JoinGroup/SyncGroup) or consumer (KIP-848)"},
    {"group.instance.id", c, "", "static membership"},
    {"group.remote.assignor", c, "", "server-side assignor for group.protocol=consumer"},
    {"partition.assignment.strategy", c, "range,cooperative-sticky",
     "classic assignors, in preference order: range, roundrobin, cooperative-sticky"},
    {"auto.offset.reset", c, "latest", "earliest, latest or none"},
    {"enable.auto.commit", c, "true", "commit consumed offsets in the background"},
    {"auto.commit.interval.ms", c, "5000", "interval of automatic commits"},
    {"session.timeout.ms", c, "45000", "classic group session timeout"},
    {"heartbeat.interval.ms", c, "3000", "classic group heartbeat interval"},
    {"max.poll.interval.ms", c, "300000", "longest time between polls"},
    {"max.poll.records", c, "500", "records returned by one poll()"},
    {"fetch.min.bytes", c, "1", "bytes a fetch waits for"},
    {"fetch.max.wait.ms", c, "500", "how long a fetch waits for fetch.min.bytes"},
    {"fetch.max.bytes", c, "52428800", "bytes one fetch response may carry"},
    {"max.partition.fetch.bytes", c, "1048576", "bytes per partition in a fetch"},
    {"isolation.level", c, "read_uncommitted", "read_committed hides aborted records"},
    {"check.crcs", c, "true", "check the CRC of every batch read"},
    {"client.rack", c, "", "rack, for fetching from the nearest replica"},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

const setting_info* find_setting(std::string_view key) {
  for (const auto& s : k_settings)
    if (s.key == key) return &s;
  return nullptr;
}

}  // namespace

std::span<const setting_info> known_settings() { return k_settings; }

config::config(std::initializer_list<std::pair<std::string, std::string>> entries) {
  for (const auto& [k, v] : entries) set(k, v);
}

config& config::set(std::string key, std::string value) {
  _entries.insert_or_assign(std::move(key), std::move(value));
  return *this;
}

std::optional<std::string> config::find(std::string_view key) const {
  auto it = _entries.find(key);
  if (it == _entries.end()) return std::nullopt;
  return it->second;
}

std::string config::get_string(std::string_view key) const {
  if (auto v = find(key)) return *v;
  if (const auto* s = find_setting(key)) return std::string(s->default_value);
  return {};
}

int64_t config::get_int(std::string_view key) const {
  const std::string v = get_string(key);
  const std::string_view t = trim(v);
  int64_t out = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size())
    throw config_error(fmt::format("{}: '{}' is not an integer", key, v));
  return out;
}

bool config::get_bool(std::string_view key) const {
  std::string v(trim(get_string(key)));
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (v == "true") return true;
  if (v == "false") return false;
  throw config_error(fmt::format("{}: '{}' is not true or false", key, v));
}

std::chrono::milliseconds config::get_ms(std::string_view key) const {
  const int64_t v = get_int(key);
  if (v < 0) throw config_error(fmt::format("{}: {} is negative", key, v));
  return std::chrono::milliseconds(v);
}

std::vector<std::string> config::get_list(std::string_view key) const {
  std::vector<std::string> out;
  const std::string v = get_string(key);
  std::string_view rest = v;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

void config::check(unsigned roles) const {
  for (const auto& [key, value] : _entries) {
    const setting_info* s = find_setting(key);
    if (!s) throw config_error(fmt::format("{}: unknown setting", key));
    if (!(s->roles & roles))
      throw config_error(fmt::format("{}: not a setting of this kind of client", key));
  }
}

config config::for_roles(unsigned roles) const {
  config out;
  for (const auto& [key, value] : _entries) {
    const setting_info* s = find_setting(key);
    if (!s || (s->roles & roles)) out.set(key, value);
  }
  return out;
}

config config::from_properties_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw config_error(fmt::format("cannot read {}", path));
  config out;
  std::string line;
  while (std::getline(in, line)) {
    const std::string_view t = trim(line);
    if (t.empty() || t.front() == '#' || t.front() == '!') continue;
    const auto sep = t.find_first_of("=:");
    if (sep == std::string_view::npos || sep == 0)
      throw config_error(fmt::format("{}: '{}' is not key=value", path, t));
    out.set(std::string(trim(t.substr(0, sep))), std::string(trim(t.substr(sep + 1))));
  }
  return out;
}

}  // namespace brook::client
