#include "client/producer_settings.h"

#include <fmt/format.h>

#include <algorithm>

#include "client/errors.h"

namespace brook::client {

namespace {

namespace rec = protocol::records;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int16_t parse_acks(const std::string& text) {
  const std::string v = lower(text);
  if (v == "all" || v == "-1") return -1;
  if (v == "0") return 0;
  if (v == "1") return 1;
  throw config_error(fmt::format("acks: invalid value {}; must be all, -1, 0 or 1", text));
}

rec::codec parse_codec(const std::string& text) {
  const std::string v = lower(text);
  if (v == "none") return rec::codec::none;
  if (v == "gzip") return rec::codec::gzip;
  if (v == "snappy") return rec::codec::snappy;
  if (v == "lz4") return rec::codec::lz4;
  if (v == "zstd") return rec::codec::zstd;
  throw config_error(fmt::format(
      "compression.type: invalid value {}; must be none, gzip, snappy, lz4 or zstd", text));
}

int64_t at_least(const config& c, std::string_view key, int64_t min) {
  const int64_t v = c.get_int(key);
  if (v < min) throw config_error(fmt::format("{}: {} is below the minimum {}", key, v, min));
  return v;
}

}  // namespace

producer_settings read_producer_settings(const config& c) {
  producer_settings s;
  s.acks = parse_acks(c.get_string("acks"));
  s.linger = c.get_ms("linger.ms");
  s.batch_size = at_least(c, "batch.size", 0);
  s.compression = parse_codec(c.get_string("compression.type"));
  if (auto level = c.find("compression.level"); level && !level->empty()) {
    const int64_t v = c.get_int("compression.level");
    // Java's ranges: gzip 1..9 or -1, lz4 1..17, zstd -131072..22.
    bool ok = true;
    switch (s.compression) {
      case rec::codec::gzip:
        ok = v == -1 || (v >= 1 && v <= 9);
        break;
      case rec::codec::lz4:
        ok = v >= 1 && v <= 17;
        break;
      case rec::codec::zstd:
        ok = v >= -131072 && v <= 22;
        break;
      default:
        break;
    }
    if (!ok)
      throw config_error(fmt::format("compression.level: {} is out of range for {}", v,
                                     c.get_string("compression.type")));
    if (!(s.compression == rec::codec::gzip && v == -1))
      s.compression_options.level = static_cast<int>(v);
  }
  s.retries = at_least(c, "retries", 0);
  s.retry_backoff = c.get_ms("retry.backoff.ms");
  s.retry_backoff_max = c.get_ms("retry.backoff.max.ms");
  s.request_timeout = c.get_ms("request.timeout.ms");
  s.max_in_flight = static_cast<int>(at_least(c, "max.in.flight.requests.per.connection", 1));
  s.buffer_memory = at_least(c, "buffer.memory", 0);
  s.max_request_size = at_least(c, "max.request.size", 1);
  s.max_block = c.get_ms("max.block.ms");
  s.ignore_keys = c.get_bool("partitioner.ignore.keys");
  s.adaptive_partitioning = c.get_bool("partitioner.adaptive.partitioning.enable");
  s.availability_timeout = c.get_ms("partitioner.availability.timeout.ms");
  if (s.availability_timeout.count() < 0)
    throw config_error("partitioner.availability.timeout.ms: must be at least 0");
  s.allow_auto_create = c.get_bool("allow.auto.create.topics");
  s.transaction_timeout_ms = static_cast<int32_t>(at_least(c, "transaction.timeout.ms", 1));
  if (auto t = c.find("transactional.id"); t && !t->empty()) s.transactional_id = *t;

  // delivery.timeout.ms must cover linger.ms + request.timeout.ms; Java raises it silently
  // unless the user set it.
  s.delivery_timeout = c.get_ms("delivery.timeout.ms");
  if (s.delivery_timeout < s.linger + s.request_timeout) {
    if (c.contains("delivery.timeout.ms"))
      throw config_error(
          fmt::format("delivery.timeout.ms: {} should be equal to or larger than linger.ms + "
                      "request.timeout.ms",
                      s.delivery_timeout.count()));
    s.delivery_timeout = s.linger + s.request_timeout;
  }

  // Idempotence, as Java's ProducerConfig decides it.
  const bool user_set = c.contains("enable.idempotence");
  s.idempotent = c.get_bool("enable.idempotence");
  if (s.idempotent) {
    if (s.retries == 0) {
      if (user_set)
        throw config_error("retries: must be non-zero when using the idempotent producer");
      s.idempotent = false;
    } else if (s.acks != -1) {
      if (user_set)
        throw config_error(
            "acks: must be all in order to use the idempotent producer; otherwise idempotence "
            "cannot be guaranteed");
      s.idempotent = false;
    } else if (s.max_in_flight > 5) {
      throw config_error(fmt::format(
          "max.in.flight.requests.per.connection: must be at most 5 to use the idempotent "
          "producer (it is {})",
          s.max_in_flight));
    }
  }
  if (s.transactional_id && !s.idempotent)
    throw config_error("transactional.id: cannot be set without also enabling idempotence");
  return s;
}

}  // namespace brook::client
