// Client quotas, as Kafka's ClientQuotaManager keeps them: how fast a client may produce bytes
// (producer_byte_rate), be sent fetched bytes (consumer_byte_rate) and use request handling time
// (request_percentage), and how long it is throttled when it goes over.
//
// A quota is set on an entity (DescribeClientQuotas, AlterClientQuotas): a user, a client id, a
// user and client id, or an IP, each name possibly the default (every user, every client id).
// The quota that applies to a request is the first of Kafka's precedence order that is set:
// user and client id, user and default client id, user, default user and client id, default user
// and default client id, default user, client id, default client id.
//
// Usage is measured as Kafka's Rate over `quota.window.num` samples of
// `quota.window.size.seconds` each; a client whose rate, with the request just recorded, is over
// its quota is throttled by (rate - quota) / quota x the span the rate was measured over.
//
// Ownership: one client_quota_meter per shard (shard_state), used only on that shard. Each
// shard measures the clients of its own connections, so a client with connections on several
// shards may use up to one quota per shard (Kafka measures per broker).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace brook::broker {

// A quota entity: entity type (user, client-id, ip) to name; nullopt names the default entity.
using quota_entity = std::map<std::string, std::optional<std::string>>;
// The quotas set on entities: entity to quota key to value.
using client_quota_map = std::map<quota_entity, std::map<std::string, double>>;

inline constexpr const char* k_quota_user = "user";
inline constexpr const char* k_quota_client_id = "client-id";
inline constexpr const char* k_quota_ip = "ip";

// Kafka's quota keys (QuotaConfig) and how their values are checked.
enum class quota_value_kind { long_value, double_value, int_value };
struct quota_key_spec {
  const char* name;
  quota_value_kind kind;
  bool for_ip;  // ip entities take only connection_creation_rate; user and client-id the others
};
const quota_key_spec* find_quota_key(std::string_view name);

// Why an entity or a value is refused (Kafka's INVALID_REQUEST messages), empty when accepted.
std::string check_quota_entity(
    const std::vector<std::pair<std::string, std::optional<std::string>>>& parts,
    quota_entity& out);
std::string check_quota_value(const quota_entity& entity, const std::string& key, double value);

// Kafka's Rate: the sum of the values recorded in the live samples divided by the span they
// cover, at least (samples - 1) windows.
class rate_sensor {
 public:
  rate_sensor(int samples, int64_t window_ms) : _samples(samples), _window_ms(window_ms) {}

  void record(double value, int64_t now_ms);
  // Per second.
  double measure(int64_t now_ms);
  // The span in ms the rate is measured over at now_ms.
  int64_t window_size(int64_t now_ms);
  int64_t last_record_ms() const { return _last_record_ms; }

 private:
  struct sample {
    int64_t start_ms = 0;
    double value = 0;
  };
  void purge_obsolete(int64_t now_ms);
  sample& oldest(int64_t now_ms);

  int _samples;
  int64_t _window_ms;
  std::vector<sample> _list;
  size_t _current = 0;
  int64_t _last_record_ms = 0;
};

// Kafka's throttle time: how long the client must stay away for `observed` to fall to `bound`
// over a window of `window_ms`: (observed - bound) / bound x window, rounded.
int64_t quota_throttle_ms(double observed, double bound, int64_t window_ms);

// What a quota type measures, by its key.
enum class quota_type { produce, fetch, request };
const char* quota_key_of(quota_type t);

// The quota that applies to a (user, client id) and the sensor it is measured on (Kafka's metric
// tags: the user and client id of the level that matched, "" for the level's unnamed part).
struct resolved_quota {
  double limit = 0;
  std::string user_tag;
  std::string client_tag;
};
std::optional<resolved_quota> resolve_quota(const client_quota_map& quotas, quota_type type,
                                            std::string_view user, std::string_view client_id);

struct quota_window_config {
  int samples = 11;
  int64_t window_ms = 1000;
};

// The sensors of one shard, by quota type and tags.
class client_quota_meter {
 public:
  explicit client_quota_meter(quota_window_config config) : _config(config) {}

  // Records `value` for the client and returns the throttle time in ms (0 when within its quota
  // or none applies). `bound_ms` caps the throttle time (0: no cap).
  int64_t record(const client_quota_map& quotas, quota_type type, std::string_view user,
                 std::string_view client_id, double value, int64_t now_ms, int64_t bound_ms = 0);
  // Takes back a value recorded (a throttled fetch that is answered without its data).
  void unrecord(const client_quota_map& quotas, quota_type type, std::string_view user,
                std::string_view client_id, double value, int64_t now_ms);
  const quota_window_config& config() const { return _config; }
  size_t sensors() const { return _sensors.size(); }

 private:
  using key = std::tuple<quota_type, std::string, std::string>;
  void expire(int64_t now_ms);

  quota_window_config _config;
  std::map<key, rate_sensor> _sensors;
  uint64_t _records = 0;
};

}  // namespace brook::broker
