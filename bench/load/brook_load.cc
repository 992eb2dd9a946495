// brook_load: a small load generator for any Kafka-protocol broker (brookd or Apache Kafka), on
// librdkafka's C API. It prints one line of key=value results, which bench/broker_bench.sh reads.
//
//   brook_load create  --bootstrap B --topic T [--partitions N]
//   brook_load produce --bootstrap B --topic T [--size 100] [--count N] [--acks 1|all] [--rate R]
//                      [--idempotence true|false] [--transactional-id ID --txn-records N]
//   brook_load consume --bootstrap B --topic T [--count N] [--partitions N]
//                      [--isolation read_committed|read_uncommitted]
//
// produce without --rate sends as fast as the client's queue takes records and reports
// records/s and MB/s (10^6 bytes of payload) from the first send to the last delivery report.
// With --rate R it sends R records/s on a fixed schedule and also reports the latency from send
// to delivery report (p50, p99, p99.9 in ms; the send time travels in the message's opaque).
// With --transactional-id the producer is transactional (librdkafka's transaction API: the
// coordinator lookup, InitProducerId, AddPartitionsToTxn and EndTxn are the client's) and commits
// a transaction every --txn-records records and after the last one; throughput then runs from the
// first send to the end of the last commit, which waits for every delivery and for the markers.
// consume assigns the partitions directly from the beginning (no group protocol) and reads
// --count records (data records: a read_committed consumer skips the transaction markers and
// aborted records and stops at the last stable offset).
//
// Every mode takes --config key=value (repeatable), given to librdkafka after brook_load's own
// settings, so it can connect over TLS or SASL or override a default, e.g.
//   --config security.protocol=SSL --config ssl.ca.location=ca.pem
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode;
  std::string bootstrap = "127.0.0.1:9092";
  std::string topic = "bench";
  std::size_t size = 100;
  std::int64_t count = 1000000;
  std::string acks = "1";
  double rate = 0;
  int partitions = 1;
  int timeout_s = 120;
  bool idempotence = false;
  std::string transactional_id;
  std::int64_t txn_records = 10000;
  std::string isolation = "read_committed";
  // librdkafka settings from --config, in order.
  std::vector<std::pair<std::string, std::string>> config;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "brook_load: %s\n", what.c_str());
  std::exit(1);
}

void usage() {
  std::fprintf(stderr,
               "usage: brook_load create  --bootstrap B --topic T [--partitions N]\n"
               "       brook_load produce --bootstrap B --topic T [--size 100] [--count N] "
               "[--acks 1|all] [--rate R] [--idempotence true|false]\n"
               "                          [--transactional-id ID [--txn-records N]] (acks all, "
               "no --rate)\n"
               "       brook_load consume --bootstrap B --topic T [--count N] [--partitions N]\n"
               "                          [--isolation read_committed|read_uncommitted]\n"
               "       (all modes: [--timeout SECONDS], default 120; [--config key=value]...,\n"
               "        librdkafka settings applied after brook_load's own)\n");
  std::exit(2);
}

Options parse(int argc, char** argv) {
  if (argc < 2) usage();
  Options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) usage();
    std::string v = argv[++i];
    if (k == "--bootstrap") {
      o.bootstrap = v;
    } else if (k == "--topic") {
      o.topic = v;
    } else if (k == "--size") {
      o.size = std::stoul(v);
    } else if (k == "--count") {
      o.count = std::stoll(v);
    } else if (k == "--acks") {
      o.acks = v;
    } else if (k == "--rate") {
      o.rate = std::stod(v);
    } else if (k == "--partitions") {
      o.partitions = std::stoi(v);
    } else if (k == "--timeout") {
      o.timeout_s = std::stoi(v);
    } else if (k == "--idempotence") {
      if (v != "true" && v != "false") usage();
      o.idempotence = v == "true";
    } else if (k == "--transactional-id") {
      o.transactional_id = v;
    } else if (k == "--txn-records") {
      o.txn_records = std::stoll(v);
    } else if (k == "--config") {
      const auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) usage();
      o.config.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (k == "--isolation") {
      if (v != "read_committed" && v != "read_uncommitted") usage();
      o.isolation = v;
    } else {
      usage();
    }
  }
  if (o.mode != "create" && o.mode != "produce" && o.mode != "consume") usage();
  if (o.count <= 0 || o.partitions <= 0) usage();
  if (o.acks != "1" && o.acks != "all" && o.acks != "-1" && o.acks != "0") usage();
  // Transactions need an idempotent producer (acks=all) and commit synchronously, which a fixed
  // send schedule would not survive.
  if (!o.transactional_id.empty() &&
      ((o.acks != "all" && o.acks != "-1") || o.rate > 0 || o.txn_records <= 0))
    usage();
  return o;
}

void set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    die(std::string("config ") + key + "=" + value + ": " + err);
  }
}

void log_cb(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  // Warnings and worse only; librdkafka's debug chatter would cost time in the measurement.
  if (level <= 4) std::fprintf(stderr, "rdkafka %d %s: %s\n", level, fac, buf);
}

// Applies --config last, so that it may override any setting above.
rd_kafka_t* make(rd_kafka_type_t type, rd_kafka_conf_t* conf, const Options& o) {
  for (const auto& [key, value] : o.config) set(conf, key.c_str(), value);
  rd_kafka_conf_set_log_cb(conf, log_cb);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) die(std::string("rd_kafka_new: ") + err);
  return rk;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Waits (bounded) until the broker's metadata lists the topic with its partitions, so that
// connection set-up and metadata are not part of a measurement. Returns the partition count.
int wait_for_topic(rd_kafka_t* rk, const std::string& name, int timeout_s) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, name.c_str(), nullptr);
  auto t0 = Clock::now();
  int partitions = 0;
  while (seconds_since(t0) < timeout_s) {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
          md->topics[0].partition_cnt > 0) {
        partitions = md->topics[0].partition_cnt;
        bool leaders = true;
        for (int i = 0; i < partitions; ++i) leaders &= md->topics[0].partitions[i].leader >= 0;
        if (!leaders) partitions = 0;
      }
      rd_kafka_metadata_destroy(md);
    }
    if (partitions > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  rd_kafka_topic_destroy(rkt);
  if (partitions == 0) die("topic " + name + " has no partitions with leaders");
  return partitions;
}

// ---- create ---------------------------------------------------------------------------------

int run_create(const Options& o) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o.bootstrap);
  rd_kafka_t* rk = make(RD_KAFKA_PRODUCER, conf, o);

  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(o.topic.c_str(), o.partitions, 1, nullptr, 0);
  if (nt == nullptr) die("NewTopic_new failed");
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  char err[512];
  rd_kafka_AdminOptions_set_operation_timeout(opts, o.timeout_s * 1000, err, sizeof err);
  rd_kafka_AdminOptions_set_request_timeout(opts, o.timeout_s * 1000, err, sizeof err);
  rd_kafka_CreateTopics(rk, &nt, 1, opts, q);

  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, o.timeout_s * 1000 + 5000);
  if (ev == nullptr) die("CreateTopics: no answer");
  if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    die(std::string("CreateTopics: ") + rd_kafka_event_error_string(ev));
  }
  const rd_kafka_CreateTopics_result_t* res = rd_kafka_event_CreateTopics_result(ev);
  size_t n = 0;
  const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(res, &n);
  for (size_t i = 0; i < n; ++i) {
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(topics[i]);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* msg = rd_kafka_topic_result_error_string(topics[i]);
      die("CreateTopics " + o.topic + ": " + rd_kafka_err2str(e) +
          (msg ? std::string(": ") + msg : ""));
    }
  }
  rd_kafka_event_destroy(ev);
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);

  int partitions = wait_for_topic(rk, o.topic, o.timeout_s);
  std::printf("mode=create topic=%s partitions=%d\n", o.topic.c_str(), partitions);
  rd_kafka_destroy(rk);
  return 0;
}

// ---- produce --------------------------------------------------------------------------------

struct ProduceState {
  Clock::time_point epoch = Clock::now();
  std::int64_t delivered = 0;
  std::int64_t failed = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  bool record_latency = false;
  std::vector<std::int64_t> latency_ns;
  Clock::time_point last_delivery;
};

std::int64_t now_ns(const ProduceState& s) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - s.epoch).count();
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* s = static_cast<ProduceState*>(opaque);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (s->failed++ == 0) s->first_error = m->err;
    return;
  }
  ++s->delivered;
  s->last_delivery = Clock::now();
  if (s->record_latency) {
    auto sent = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(m->_private));
    s->latency_ns.push_back(now_ns(*s) - sent);
  }
}

// Dies with the message of a failed transaction call.
void check_txn(rd_kafka_error_t* e, const char* what) {
  if (e == nullptr) return;
  std::string msg = std::string(what) + ": " + rd_kafka_error_string(e);
  rd_kafka_error_destroy(e);
  die(msg);
}

double percentile_ms(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]) / 1e6;
}

int run_produce(const Options& o) {
  ProduceState s;
  s.record_latency = o.rate > 0;
  if (s.record_latency) s.latency_ns.reserve(static_cast<std::size_t>(o.count));

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o.bootstrap);
  set(conf, "acks", o.acks);
  set(conf, "linger.ms", "5");
  set(conf, "batch.size", "1000000");
  set(conf, "compression.codec", "none");
  const bool txn = !o.transactional_id.empty();
  set(conf, "enable.idempotence", o.idempotence || txn ? "true" : "false");
  if (txn) set(conf, "transactional.id", o.transactional_id);
  set(conf, "queue.buffering.max.messages", "1000000");
  set(conf, "queue.buffering.max.kbytes", "1048576");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &s);
  rd_kafka_t* rk = make(RD_KAFKA_PRODUCER, conf, o);
  wait_for_topic(rk, o.topic, o.timeout_s);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  // InitProducerId (after the coordinator lookup) before the clock starts, as the metadata.
  if (txn) check_txn(rd_kafka_init_transactions(rk, o.timeout_s * 1000), "init_transactions");

  // One payload for every record: flags 0 tells librdkafka neither to copy nor to free it.
  std::vector<char> payload(o.size);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 26);

  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::seconds(o.timeout_s);
  std::int64_t sent = 0;
  std::int64_t transactions = 0;
  // Records of the open transaction; -1: none open.
  std::int64_t in_txn = -1;
  Clock::time_point last_commit;
  auto commit = [&] {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) die("produce timed out");
    check_txn(rd_kafka_commit_transaction(rk, static_cast<int>(left.count())),
              "commit_transaction");
    ++transactions;
    in_txn = -1;
    last_commit = Clock::now();
  };
  while (sent < o.count) {
    if (Clock::now() > deadline) die("produce timed out");
    std::int64_t due = o.count;
    if (o.rate > 0) {
      due = std::min<std::int64_t>(o.count,
                                   static_cast<std::int64_t>(seconds_since(t0) * o.rate) + 1);
      if (sent >= due) {
        rd_kafka_poll(rk, 0);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
    }
    for (; sent < due; ++sent) {
      if (txn && in_txn == o.txn_records) commit();
      if (txn && in_txn < 0) {
        check_txn(rd_kafka_begin_transaction(rk), "begin_transaction");
        in_txn = 0;
      }
      void* stamp =
          reinterpret_cast<void*>(static_cast<std::intptr_t>(s.record_latency ? now_ns(s) : 0));
      if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, 0, payload.data(), payload.size(), nullptr,
                           0, stamp) != 0) {
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) die(std::string("produce: ") + rd_kafka_err2str(e));
        rd_kafka_poll(rk, 1);  // queue full: serve delivery reports, then retry this record
        break;
      }
      if (txn) ++in_txn;
      if ((sent & 1023) == 0) rd_kafka_poll(rk, 0);
    }
  }
  if (txn && in_txn > 0) commit();
  while (s.delivered + s.failed < o.count) {
    if (Clock::now() > deadline) die("produce: delivery reports timed out");
    rd_kafka_poll(rk, 100);
  }
  // A transaction is done when its commit returns (after its records' deliveries).
  double elapsed =
      std::chrono::duration<double>((txn ? last_commit : s.last_delivery) - t0).count();
  if (s.failed > 0) {
    die(std::to_string(s.failed) + " records failed, first: " + rd_kafka_err2str(s.first_error));
  }

  double rps = static_cast<double>(o.count) / elapsed;
  std::printf(
      "mode=produce size=%zu acks=%s count=%lld seconds=%.3f records_per_s=%.0f mb_per_s=%.2f",
      o.size, o.acks.c_str(), static_cast<long long>(o.count), elapsed, rps,
      rps * static_cast<double>(o.size) / 1e6);
  if (txn) std::printf(" transactions=%lld", static_cast<long long>(transactions));
  if (s.record_latency) {
    std::sort(s.latency_ns.begin(), s.latency_ns.end());
    std::printf(" rate=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f", o.rate,
                percentile_ms(s.latency_ns, 0.50), percentile_ms(s.latency_ns, 0.99),
                percentile_ms(s.latency_ns, 0.999), percentile_ms(s.latency_ns, 1.0));
  }
  std::printf("\n");
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return 0;
}

// ---- consume --------------------------------------------------------------------------------

int run_consume(const Options& o) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", o.bootstrap);
  // librdkafka's rd_kafka_assign needs a group.id to exist, but with assign() and no commits no
  // group request is needed for fetching.
  set(conf, "group.id", "brook-load");
  set(conf, "enable.auto.commit", "false");
  set(conf, "enable.auto.offset.store", "false");
  set(conf, "enable.partition.eof", "false");
  set(conf, "isolation.level", o.isolation);
  rd_kafka_t* rk = make(RD_KAFKA_CONSUMER, conf, o);
  int partitions = wait_for_topic(rk, o.topic, o.timeout_s);

  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, o.topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  auto t0 = Clock::now();
  rd_kafka_resp_err_t e = rd_kafka_assign(rk, list);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) die(std::string("assign: ") + rd_kafka_err2str(e));
  rd_kafka_topic_partition_list_destroy(list);

  auto deadline = t0 + std::chrono::seconds(o.timeout_s);
  std::int64_t records = 0;
  std::int64_t bytes = 0;
  while (records < o.count) {
    if (Clock::now() > deadline)
      die("consume timed out after " + std::to_string(records) + " records");
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++records;
      bytes += static_cast<std::int64_t>(m->len);
    } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      std::fprintf(stderr, "brook_load: consume: %s\n", rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
  }
  double elapsed = seconds_since(t0);
  std::printf(
      "mode=consume isolation=%s count=%lld bytes=%lld seconds=%.3f records_per_s=%.0f "
      "mb_per_s=%.2f\n",
      o.isolation.c_str(), static_cast<long long>(records), static_cast<long long>(bytes), elapsed,
      static_cast<double>(records) / elapsed, static_cast<double>(bytes) / elapsed / 1e6);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception&) {
    usage();
  }
  if (o.mode == "create") return run_create(o);
  if (o.mode == "produce") return run_produce(o);
  return run_consume(o);
}
