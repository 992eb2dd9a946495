// `brook bench produce|consume|end-to-end`: a load generator built on Brook's own producer and
// consumer, printing progress each second on stderr and, at the end, one line of key=value
// results on stdout in the same form as bench/load/brook_load (the librdkafka program), so that
// bench/client_bench.sh compares the two clients row by row.
//
// Settings are librdkafka's bench defaults as brook_load sets them (linger.ms=5,
// batch.size=1000000, no compression, idempotence off) unless -X overrides them, so both clients
// run the same load.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "cli/cli.h"
#include "client/consumer.h"
#include "client/errors.h"
#include "client/producer.h"

namespace brook::cli {
namespace {

using clock_type = std::chrono::steady_clock;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
      .count();
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// The value at fraction p of sorted samples (nanoseconds), in milliseconds.
double percentile_ms(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]) / 1e6;
}

std::string latency_fields(std::vector<int64_t>& samples) {
  std::sort(samples.begin(), samples.end());
  return fmt::format(" p50_ms={:.3f} p99_ms={:.3f} p999_ms={:.3f} max_ms={:.3f}",
                     percentile_ms(samples, 0.50), percentile_ms(samples, 0.99),
                     percentile_ms(samples, 0.999), percentile_ms(samples, 1.0));
}

// Sets `key` unless the user's -X (or --command-config) already did.
void set_default(client::config& c, const std::string& key, const std::string& value) {
  if (!c.contains(key)) c.set(key, value);
}

struct bench_options {
  std::string topic;
  int64_t count = 1000000;
  size_t size = 100;
  double rate = 0;
  std::string acks = "1";
  int64_t timeout_s = 120;
};

bench_options read_options(context& ctx) {
  bench_options o;
  o.topic = ctx.need("topic");
  o.count = ctx.get_int("count").value_or(o.count);
  o.size = static_cast<size_t>(ctx.get_int("size").value_or(100));
  o.rate = static_cast<double>(ctx.get_int("rate").value_or(0));
  o.acks = ctx.get("acks").value_or("1");
  o.timeout_s = ctx.get_int("timeout").value_or(120);
  if (o.count <= 0) throw usage_error("--count must be positive");
  if (o.size < 8) throw usage_error("--size must be at least 8");
  if (o.rate < 0) throw usage_error("--rate must not be negative");
  return o;
}

client::config producer_settings(context& ctx, const bench_options& o) {
  client::config c = ctx.settings();
  set_default(c, "acks", o.acks);
  set_default(c, "linger.ms", "5");
  set_default(c, "batch.size", "1000000");
  set_default(c, "compression.type", "none");
  set_default(c, "enable.idempotence", "false");
  set_default(c, "buffer.memory", "1073741824");
  set_default(c, "delivery.timeout.ms", std::to_string(o.timeout_s * 1000));
  return c;
}

client::config consumer_settings(context& ctx) {
  client::config c = ctx.settings();
  set_default(c, "enable.auto.commit", "false");
  set_default(c, "auto.offset.reset", "earliest");
  return c;
}

// Prints "<what>: N records, R records/s" on stderr about once a second while `running`.
class progress {
 public:
  progress(std::string what, const std::atomic<int64_t>& done)
      : _thread([this, what = std::move(what), &done] {
          auto t0 = clock_type::now();
          int64_t last = 0;
          std::unique_lock lock(_m);
          while (!_cv.wait_for(lock, std::chrono::seconds(1), [this] { return _stop; })) {
            const int64_t n = done.load(std::memory_order_relaxed);
            fmt::print(stderr, "{}: {} records, {:.0f} records/s, {:.1f} s\n", what, n,
                       static_cast<double>(n - last), seconds_since(t0));
            last = n;
          }
        }) {}
  ~progress() {
    {
      std::lock_guard lock(_m);
      _stop = true;
    }
    _cv.notify_all();
    _thread.join();
  }

 private:
  std::mutex _m;
  std::condition_variable _cv;
  bool _stop = false;
  std::thread _thread;
};

// Paces a loop at `rate` per second: how many of `count` items are due now.
int64_t due_now(double rate, clock_type::time_point t0, int64_t count) {
  if (rate <= 0) return count;
  return std::min<int64_t>(count, static_cast<int64_t>(seconds_since(t0) * rate) + 1);
}

int bench_produce(context& ctx) {
  const bench_options o = read_options(ctx);
  client::producer p(producer_settings(ctx, o));
  (void)p.partitions_for(o.topic);  // metadata before the clock starts
  if (o.rate > 0) {
    // Latency runs: the leader's connection (and the producer id, when idempotent) before the
    // clock starts too, so that set-up does not count as the first records' latency.
    p.send(client::producer_record{.topic = o.topic, .value = std::string("warm-up")}).get();
  }

  struct state {
    std::atomic<int64_t> delivered{0};
    std::atomic<int64_t> failed{0};
    std::string first_error;
    std::vector<int64_t> latency_ns;  // written on the I/O thread only
    int64_t last_delivery_ns = 0;
  } s;
  if (o.rate > 0) s.latency_ns.reserve(static_cast<size_t>(o.count));
  const std::string payload = [&] {
    std::string v(o.size, 'a');
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<char>('a' + i % 26);
    return v;
  }();
  const bool record_latency = o.rate > 0;

  const auto t0 = clock_type::now();
  const int64_t t0_ns = now_ns();
  {
    progress show("bench produce", s.delivered);
    int64_t sent = 0;
    while (sent < o.count) {
      const int64_t due = due_now(o.rate, t0, o.count);
      if (sent >= due) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
      for (; sent < due; ++sent) {
        const int64_t stamp = record_latency ? now_ns() : 0;
        p.send(client::producer_record{.topic = o.topic, .value = payload},
               [&s, stamp](const client::record_metadata&, std::exception_ptr e) {
                 const int64_t t = now_ns();
                 if (e) {
                   if (s.failed.fetch_add(1) == 0) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& x) {
                       s.first_error = x.what();
                     }
                   }
                   return;
                 }
                 if (stamp) s.latency_ns.push_back(t - stamp);
                 s.last_delivery_ns = t;
                 s.delivered.fetch_add(1, std::memory_order_relaxed);
               });
      }
    }
    p.flush();
  }
  if (s.failed > 0)
    throw std::runtime_error(
        fmt::format("{} records failed, first: {}", s.failed.load(), s.first_error));
  const double elapsed = static_cast<double>(s.last_delivery_ns - t0_ns) / 1e9;
  const double rps = static_cast<double>(o.count) / elapsed;
  std::string line = fmt::format(
      "mode=produce size={} acks={} count={} seconds={:.3f} records_per_s={:.0f} mb_per_s={:.2f}",
      o.size, o.acks, o.count, elapsed, rps, rps * static_cast<double>(o.size) / 1e6);
  if (record_latency) line += fmt::format(" rate={:.0f}", o.rate) + latency_fields(s.latency_ns);
  fmt::print("{}\n", line);
  return 0;
}

std::vector<client::topic_partition> all_partitions(context& ctx, const std::string& topic) {
  std::vector<client::topic_partition> out;
  for (const auto& t : ctx.admin().describe_topics({topic}))
    for (const auto& p : t.partitions) out.push_back({topic, p.partition});
  if (out.empty())
    throw client::kafka_error(protocol::error_code::unknown_topic_or_partition, topic);
  return out;
}

int bench_consume(context& ctx) {
  const bench_options o = read_options(ctx);
  const auto partitions = all_partitions(ctx, o.topic);
  const client::config settings = consumer_settings(ctx);
  client::consumer c(settings);
  std::atomic<int64_t> records{0};
  int64_t bytes = 0;
  const auto t0 = clock_type::now();
  c.assign(partitions);
  c.seek_to_beginning(partitions);
  {
    progress show("bench consume", records);
    while (records.load(std::memory_order_relaxed) < o.count) {
      if (seconds_since(t0) > static_cast<double>(o.timeout_s))
        throw std::runtime_error(fmt::format("consume timed out after {} records", records.load()));
      for (const auto& r : c.poll(std::chrono::milliseconds(100))) {
        bytes += static_cast<int64_t>(r.value() ? r.value()->size() : 0);
        records.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  const double elapsed = seconds_since(t0);
  fmt::print(
      "mode=consume isolation={} count={} bytes={} seconds={:.3f} records_per_s={:.0f} "
      "mb_per_s={:.2f}\n",
      settings.get_string("isolation.level"), records.load(), bytes, elapsed,
      static_cast<double>(records.load()) / elapsed, static_cast<double>(bytes) / elapsed / 1e6);
  c.close();
  return 0;
}

// Produces at --rate (default 10000/s) records stamped with their send time and consumes them in
// the same process: the latency from send() to poll() returning the record.
int bench_end_to_end(context& ctx) {
  bench_options o = read_options(ctx);
  if (o.rate <= 0) o.rate = 10000;
  const auto partitions = all_partitions(ctx, o.topic);
  client::consumer c(consumer_settings(ctx));
  c.assign(partitions);
  c.seek_to_end(partitions);
  for (const auto& tp : partitions) (void)c.position(tp);  // resolve "end" before producing
  client::producer p(producer_settings(ctx, o));
  (void)p.partitions_for(o.topic);

  std::atomic<int64_t> received{0};
  std::atomic<bool> send_failed{false};
  std::vector<int64_t> latency_ns;
  latency_ns.reserve(static_cast<size_t>(o.count));
  std::thread sender([&] {
    std::string value(o.size, 'x');
    const auto t0 = clock_type::now();
    int64_t sent = 0;
    while (sent < o.count && !send_failed) {
      const int64_t due = due_now(o.rate, t0, o.count);
      if (sent >= due) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
      for (; sent < due; ++sent) {
        const int64_t stamp = now_ns();
        std::memcpy(value.data(), &stamp, sizeof stamp);
        p.send(client::producer_record{.topic = o.topic, .value = value},
               [&send_failed](const client::record_metadata&, std::exception_ptr e) {
                 if (e) send_failed = true;
               });
      }
    }
    p.flush();
  });
  const auto t0 = clock_type::now();
  {
    progress show("bench end-to-end", received);
    while (received.load(std::memory_order_relaxed) < o.count && !send_failed) {
      if (seconds_since(t0) > static_cast<double>(o.timeout_s)) break;
      for (const auto& r : c.poll(std::chrono::milliseconds(100))) {
        const int64_t t = now_ns();
        if (!r.value() || r.value()->size() < sizeof(int64_t)) continue;
        int64_t stamp = 0;
        std::memcpy(&stamp, r.value()->data(), sizeof stamp);
        latency_ns.push_back(t - stamp);
        received.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  sender.join();
  if (send_failed) throw std::runtime_error("a record could not be produced");
  if (received < o.count)
    throw std::runtime_error(
        fmt::format("received {} of {} records within --timeout", received.load(), o.count));
  fmt::print("mode=end-to-end size={} acks={} count={} rate={:.0f}{}\n", o.size, o.acks, o.count,
             o.rate, latency_fields(latency_ns));
  c.close();
  return 0;
}

}  // namespace

int bench_command(context& ctx) {
  ctx.share_settings_with_admin();
  const std::string sub = ctx.subcommand();
  if (sub == "produce") return bench_produce(ctx);
  if (sub == "consume") return bench_consume(ctx);
  if (sub == "end-to-end") return bench_end_to_end(ctx);
  throw usage_error(sub.empty() ? "bench needs produce, consume or end-to-end"
                                : fmt::format("unknown bench '{}'", sub));
}

}  // namespace brook::cli
