// The producer against a live broker: what it writes is read back with raw Fetch requests (keys,
// values, headers, codecs, producer ids and sequences, transaction markers), so each test checks
// what the broker stored, not only what the producer reported.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "client/cluster.h"
#include "client/consumer.h"
#include "client/producer.h"
#include "harness.h"
#include "protocol/generated/create_topics_request.h"
#include "protocol/generated/create_topics_response.h"
#include "protocol/generated/fetch_request.h"
#include "protocol/generated/fetch_response.h"
#include "protocol/generated/offset_fetch_request.h"
#include "protocol/generated/offset_fetch_response.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"

namespace brook::client {
namespace {

namespace rec = protocol::records;
using protocol::error_code;
using std::chrono::milliseconds;

void create_topic_only(cluster& c, const std::string& topic, int32_t partitions,
                       std::vector<std::pair<std::string, std::string>> configs = {}) {
  c.run([&]() -> asio::awaitable<void> {
    auto conn = co_await c.any_connection();
    const int16_t v = conn->require_version(protocol::api_key::create_topics, 7, 2);
    protocol::create_topics_request req;
    auto& t = req.topics.emplace_back();
    t.name = topic;
    t.num_partitions = partitions;
    t.replication_factor = 1;
    for (auto& [k, v] : configs) {
      auto& tc = t.configs.emplace_back();
      tc.name = k;
      tc.value = v;
    }
    req.timeout_ms = 30000;
    auto resp = co_await conn->call<protocol::create_topics_response>(req, v);
    for (const auto& r : resp.topics) throw_if_error(r.error_code, "CreateTopics " + r.name);
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto snapshot = co_await c.refresh_metadata(std::vector<std::string>{topic});
      const topic_metadata* tm = snapshot->find(topic);
      if (tm && static_cast<int32_t>(tm->partitions.size()) == partitions &&
          std::all_of(tm->partitions.begin(), tm->partitions.end(),
                      [](const auto& p) { return p.leader >= 0; }))
        co_return;
      co_await c.sleep(milliseconds(100));
    }
    throw kafka_error(error_code::request_timed_out, "topic has no leaders: " + topic);
  });
}

struct fetched_record {
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

struct fetched_batch {
  rec::batch_header header;
  rec::codec compression = rec::codec::none;
  bool control = false;
  bool transactional = false;
  std::vector<fetched_record> records;
};

struct fetched_log {
  std::vector<fetched_batch> batches;
  std::vector<std::pair<int64_t, int64_t>> aborted;  // producer id, first offset
  int64_t high_watermark = -1;
  int64_t last_stable_offset = -1;
  std::vector<fetched_record> records() const {
    std::vector<fetched_record> out;
    for (const auto& b : batches)
      if (!b.control) out.insert(out.end(), b.records.begin(), b.records.end());
    return out;
  }
};

std::optional<std::string> text(const std::optional<wire::shared_bytes>& b) {
  if (!b) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(b->data()), b->size());
}

// Reads a partition from offset 0 to its end (the last stable offset with read_committed).
fetched_log fetch_once(cluster& c, const std::string& topic, int32_t partition, int8_t isolation);

fetched_log fetch_all(cluster& c, const std::string& topic, int32_t partition,
                      int8_t isolation = 0) {
  // A broker writes transaction markers after EndTxn answers: with read_committed, wait (within
  // a bound) until no transaction is open, so the last one's records are visible.
  fetched_log log = fetch_once(c, topic, partition, isolation);
  for (int attempt = 0;
       isolation == 1 && attempt < 100 && log.last_stable_offset < log.high_watermark; ++attempt) {
    std::this_thread::sleep_for(milliseconds(50));
    log = fetch_once(c, topic, partition, isolation);
  }
  return log;
}

fetched_log fetch_once(cluster& c, const std::string& topic, int32_t partition, int8_t isolation) {
  return c.run([&]() -> asio::awaitable<fetched_log> {
    fetched_log log;
    auto snapshot = co_await c.refresh_metadata(std::vector<std::string>{topic});
    auto conn = co_await c.connection_to(snapshot->leader_of(topic, partition));
    const int16_t v = conn->require_version(protocol::api_key::fetch, 12, 4);
    int64_t offset = 0;
    for (int round = 0; round < 1000; ++round) {
      protocol::fetch_request req;
      req.max_wait_ms = 0;
      req.min_bytes = 0;
      req.isolation_level = isolation;
      auto& t = req.topics.emplace_back();
      t.topic = topic;
      auto& p = t.partitions.emplace_back();
      p.partition = partition;
      p.fetch_offset = offset;
      p.partition_max_bytes = 8 << 20;
      auto resp = co_await conn->call<protocol::fetch_response>(req, v);
      throw_if_error(resp.error_code, "Fetch");
      const auto& pd = resp.responses.at(0).partitions.at(0);
      throw_if_error(pd.error_code, "Fetch partition");
      log.high_watermark = pd.high_watermark;
      log.last_stable_offset = pd.last_stable_offset;
      if (pd.aborted_transactions)
        for (const auto& a : *pd.aborted_transactions)
          log.aborted.emplace_back(a.producer_id, a.first_offset);
      const int64_t end =
          isolation == 1 && pd.last_stable_offset >= 0 ? pd.last_stable_offset : pd.high_watermark;
      if (pd.records) {
        rec::record_set_reader reader(pd.records->span(), pd.records->owner());
        while (auto entry = reader.next()) {
          const rec::batch_view view = entry->batch();
          rec::validate(view, 64 << 20);
          if (view.last_offset() < offset) continue;
          fetched_batch fb;
          fb.header = view.header();
          fb.compression = view.compression();
          fb.control = view.is_control();
          fb.transactional = view.is_transactional();
          for (const auto& r : rec::decode_records(view, 64 << 20)) {
            fetched_record fr;
            fr.offset = view.offset_of(r);
            fr.timestamp = view.timestamp_of(r);
            fr.key = text(r.key);
            fr.value = text(r.value);
            for (const auto& h : r.headers) fr.headers.emplace_back(h.key, text(h.value));
            fb.records.push_back(std::move(fr));
          }
          offset = view.last_offset() + 1;
          log.batches.push_back(std::move(fb));
        }
      }
      if (offset >= end) break;
    }
    co_return log;
  });
}

// Creates `topic` with `partitions` partitions and waits until every partition has a leader
// that serves it (Kafka may name a leader a moment before it answers as one).
void create_topic(cluster& c, const std::string& topic, int32_t partitions,
                  std::vector<std::pair<std::string, std::string>> configs = {}) {
  create_topic_only(c, topic, partitions, std::move(configs));
  for (int32_t p = 0; p < partitions; ++p)
    for (int attempt = 0;; ++attempt) {
      try {
        fetch_once(c, topic, p, 0);
        break;
      } catch (const kafka_error&) {
        if (attempt >= 100) throw;
        std::this_thread::sleep_for(milliseconds(100));
      }
    }
}

TEST(ProducerIt, FuturesReportOffsetsAndTheBrokerStoresTheRecords) {
  const std::string topic = test::unique_name("producer-basic");
  producer p(test::base_config());
  create_topic(p.get_cluster(), topic, 1);
  std::vector<std::future<record_metadata>> futures;
  for (int i = 0; i < 10; ++i) {
    producer_record r;
    r.topic = topic;
    r.key = "k" + std::to_string(i);
    r.value = std::string("v\0", 2) + std::to_string(i);
    r.headers = {{"h1", "x"}, {"h2", std::nullopt}};
    r.timestamp = 1700000000000 + i;
    futures.push_back(p.send(std::move(r)));
  }
  futures.push_back(p.send(producer_record{.topic = topic}));  // null key and value
  for (int i = 0; i < 11; ++i) {
    const record_metadata m = futures[static_cast<size_t>(i)].get();
    EXPECT_EQ(m.topic, topic);
    EXPECT_EQ(m.partition, 0);
    EXPECT_EQ(m.offset, i);
    if (i < 10) EXPECT_EQ(m.timestamp, 1700000000000 + i);
  }
  const auto records = fetch_all(p.get_cluster(), topic, 0).records();
  ASSERT_EQ(records.size(), 11u);
  for (int i = 0; i < 10; ++i) {
    const auto& r = records[static_cast<size_t>(i)];
    EXPECT_EQ(r.offset, i);
    EXPECT_EQ(r.timestamp, 1700000000000 + i);
    EXPECT_EQ(r.key, "k" + std::to_string(i));
    EXPECT_EQ(r.value, std::string("v\0", 2) + std::to_string(i));
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.headers[0].first, "h1");
    EXPECT_EQ(r.headers[0].second, "x");
    EXPECT_EQ(r.headers[1].first, "h2");
    EXPECT_EQ(r.headers[1].second, std::nullopt);
  }
  EXPECT_EQ(records[10].key, std::nullopt);
  EXPECT_EQ(records[10].value, std::nullopt);
}

TEST(ProducerIt, EveryCodecIsStoredAsSent) {
  for (const auto& [name, codec] :
       std::vector<std::pair<std::string, rec::codec>>{{"none", rec::codec::none},
                                                       {"gzip", rec::codec::gzip},
                                                       {"snappy", rec::codec::snappy},
                                                       {"lz4", rec::codec::lz4},
                                                       {"zstd", rec::codec::zstd}}) {
    SCOPED_TRACE(name);
    const std::string topic = test::unique_name("producer-codec-" + name);
    producer p(test::base_config({{"compression.type", name}, {"linger.ms", "20"}}));
    create_topic(p.get_cluster(), topic, 1);
    for (int i = 0; i < 300; ++i)
      p.send(producer_record{.topic = topic, .value = "value number " + std::to_string(i)},
             [](const record_metadata&, std::exception_ptr) {});
    p.flush();
    const auto log = fetch_all(p.get_cluster(), topic, 0);
    ASSERT_FALSE(log.batches.empty());
    for (const auto& b : log.batches) EXPECT_EQ(b.compression, codec);
    const auto records = log.records();
    ASSERT_EQ(records.size(), 300u);
    for (int i = 0; i < 300; ++i)
      EXPECT_EQ(records[static_cast<size_t>(i)].value, "value number " + std::to_string(i));
  }
}

TEST(ProducerIt, KeysLandWhereJavasPartitionerPutsThem) {
  const std::string topic = test::unique_name("producer-keys");
  producer p(test::base_config());
  create_topic(p.get_cluster(), topic, 12);
  // Partitions computed with the Java client's murmur2 for 12 partitions.
  const std::vector<std::pair<std::string, int32_t>> expected = {
      {"key-0", 1}, {"key-1", 0}, {"a", 4}, {"abcd", 8}, {"0123456789", 8}, {"hello world", 7}};
  for (const auto& [key, partition] : expected) {
    auto m = p.send(producer_record{.topic = topic, .key = key, .value = key}).get();
    EXPECT_EQ(m.partition, partition) << key;
  }
  for (const auto& [key, partition] : expected) {
    bool found = false;
    for (const auto& r : fetch_all(p.get_cluster(), topic, partition).records())
      if (r.key == key) found = true;
    EXPECT_TRUE(found) << key << " not in partition " << partition;
  }
}

TEST(ProducerIt, KeylessRecordsStickToAPartitionPerBatch) {
  const std::string topic = test::unique_name("producer-sticky");
  producer p(test::base_config({{"linger.ms", "1000"}, {"batch.size", "100000"}}));
  create_topic(p.get_cluster(), topic, 4);
  std::vector<std::future<record_metadata>> futures;
  for (int i = 0; i < 50; ++i)
    futures.push_back(p.send(producer_record{.topic = topic, .value = "x"}));
  p.flush();
  std::set<int32_t> partitions;
  for (auto& f : futures) partitions.insert(f.get().partition);
  // 50 small records are far below batch.size: one partition takes them all.
  EXPECT_EQ(partitions.size(), 1u);
}

// Keyless records move to a new partition each time a batch fills: with small batches, every
// partition gets some, with adaptive partitioning (the default) and without.
TEST(ProducerIt, KeylessRecordsSpreadOverEveryPartition) {
  for (const char* adaptive : {"true", "false"}) {
    const std::string topic = test::unique_name("producer-spread");
    producer p(test::base_config({{"linger.ms", "0"},
                                  {"batch.size", "1000"},
                                  {"partitioner.adaptive.partitioning.enable", adaptive},
                                  {"partitioner.availability.timeout.ms", "10000"}}));
    create_topic(p.get_cluster(), topic, 4);
    std::vector<std::future<record_metadata>> futures;
    for (int i = 0; i < 2000; ++i)
      futures.push_back(p.send(producer_record{.topic = topic, .value = std::string(100, 'x')}));
    p.flush();
    std::map<int32_t, int> count;
    for (auto& f : futures) ++count[f.get().partition];
    EXPECT_EQ(count.size(), 4u) << "adaptive " << adaptive;
    // What each partition holds is what the producer reported.
    for (const auto& [partition, n] : count)
      EXPECT_EQ(fetch_all(p.get_cluster(), topic, partition).records().size(),
                static_cast<size_t>(n));
  }
}

TEST(ProducerIt, AcksZeroOneAndAll) {
  const std::string topic = test::unique_name("producer-acks");
  cluster setup(test::base_config());
  create_topic(setup, topic, 1);
  for (const std::string acks : {"0", "1", "all"}) {
    SCOPED_TRACE(acks);
    producer p(test::base_config({{"acks", acks}}));
    std::vector<std::future<record_metadata>> futures;
    for (int i = 0; i < 20; ++i)
      futures.push_back(p.send(producer_record{.topic = topic, .value = acks + std::to_string(i)}));
    p.flush();
    for (auto& f : futures) {
      const auto m = f.get();
      if (acks == "0")
        EXPECT_EQ(m.offset, -1);
      else
        EXPECT_GE(m.offset, 0);
    }
  }
  // acks=0 has no answer to wait for: read until all 60 are there.
  std::vector<fetched_record> records;
  for (int attempt = 0; attempt < 50 && records.size() < 60; ++attempt) {
    records = fetch_all(setup, topic, 0).records();
    if (records.size() < 60) std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_EQ(records.size(), 60u);
  EXPECT_EQ(records[0].value, "00");
  EXPECT_EQ(records[20].value, "10");
  EXPECT_EQ(records[59].value, "all19");
}

TEST(ProducerIt, IdempotentBatchesAreNumberedInOrder) {
  const std::string topic = test::unique_name("producer-idempotent");
  producer p(test::base_config({{"batch.size", "2000"}, {"enable.idempotence", "true"}}));
  create_topic(p.get_cluster(), topic, 1);
  std::vector<std::future<record_metadata>> futures;
  for (int i = 0; i < 2000; ++i)
    futures.push_back(p.send(producer_record{.topic = topic, .value = std::to_string(i)}));
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(futures[static_cast<size_t>(i)].get().offset, i);
  const auto log = fetch_all(p.get_cluster(), topic, 0);
  ASSERT_GT(log.batches.size(), 10u);
  const int64_t pid = log.batches[0].header.producer_id;
  const int16_t epoch = log.batches[0].header.producer_epoch;
  EXPECT_GE(pid, 0);
  int32_t sequence = 0;
  for (const auto& b : log.batches) {
    ASSERT_EQ(b.header.producer_id, pid);
    ASSERT_EQ(b.header.producer_epoch, epoch);
    ASSERT_EQ(b.header.base_sequence, sequence);
    sequence += static_cast<int32_t>(b.records.size());
  }
  EXPECT_EQ(sequence, 2000);
  const auto records = log.records();
  for (int i = 0; i < 2000; ++i)
    EXPECT_EQ(records[static_cast<size_t>(i)].value, std::to_string(i));
}

TEST(ProducerIt, NonIdempotentBatchesHaveNoProducerId) {
  const std::string topic = test::unique_name("producer-plain");
  producer p(test::base_config({{"acks", "1"}}));
  create_topic(p.get_cluster(), topic, 1);
  p.send(producer_record{.topic = topic, .value = "x"}).get();
  const auto log = fetch_all(p.get_cluster(), topic, 0);
  ASSERT_EQ(log.batches.size(), 1u);
  EXPECT_EQ(log.batches[0].header.producer_id, -1);
  EXPECT_EQ(log.batches[0].header.base_sequence, -1);
}

TEST(ProducerIt, LargeBatchesAndLargeRecords) {
  const std::string topic = test::unique_name("producer-large");
  producer p(test::base_config(
      {{"batch.size", "1000000"}, {"linger.ms", "50"}, {"compression.type", "lz4"}}));
  create_topic(p.get_cluster(), topic, 1);
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
  const std::string value(100, 'v');
  for (int i = 0; i < 20000; ++i)
    p.send(producer_record{.topic = topic, .value = value},
           [&](const record_metadata& m, std::exception_ptr e) {
             if (e || m.offset < 0) ++failed;
             ++done;
           });
  auto big = p.send(producer_record{.topic = topic, .value = std::string(900000, 'b')});
  p.flush();
  EXPECT_EQ(done.load(), 20000);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(big.get().offset, 20000);
  const auto records = fetch_all(p.get_cluster(), topic, 0).records();
  ASSERT_EQ(records.size(), 20001u);
  EXPECT_EQ(records.back().value->size(), 900000u);
}

TEST(ProducerIt, CallbacksSeeEveryRecordInOrder) {
  const std::string topic = test::unique_name("producer-callbacks");
  producer p(test::base_config({{"batch.size", "500"}}));
  create_topic(p.get_cluster(), topic, 3);
  std::mutex m;
  std::map<int32_t, std::vector<int64_t>> offsets;
  int errors = 0;
  for (int i = 0; i < 600; ++i)
    p.send(producer_record{.topic = topic, .partition = i % 3, .value = std::to_string(i)},
           [&](const record_metadata& md, std::exception_ptr e) {
             std::lock_guard lock(m);
             if (e) ++errors;
             offsets[md.partition].push_back(md.offset);
           });
  p.flush();
  std::lock_guard lock(m);
  EXPECT_EQ(errors, 0);
  // Per partition, callbacks come in offset order and cover every offset once (a batch retried
  // after later ones were written comes last, with the highest offsets).
  for (int32_t partition = 0; partition < 3; ++partition) {
    const auto& o = offsets[partition];
    ASSERT_EQ(o.size(), 200u);
    for (size_t i = 1; i < o.size(); ++i) EXPECT_LT(o[i - 1], o[i]);
    EXPECT_EQ(o.front(), 0);
    EXPECT_EQ(o.back(), 199);
  }
}

TEST(ProducerIt, RecordOverMaxRequestSizeFails) {
  const std::string topic = test::unique_name("producer-too-large");
  producer p(test::base_config({{"max.request.size", "10000"}}));
  create_topic(p.get_cluster(), topic, 1);
  std::exception_ptr seen;
  p.send(producer_record{.topic = topic, .value = std::string(20000, 'x')},
         [&](const record_metadata& m, std::exception_ptr e) {
           EXPECT_EQ(m.offset, -1);
           seen = e;
         });
  ASSERT_TRUE(seen);
  try {
    std::rethrow_exception(seen);
  } catch (const kafka_error& e) {
    EXPECT_EQ(e.code(), error_code::message_too_large);
  }
  // A smaller record still goes through.
  EXPECT_EQ(p.send(producer_record{.topic = topic, .value = "ok"}).get().offset, 0);
}

TEST(ProducerIt, BrokerRefusesARecordOverTheTopicsLimit) {
  // max.message.bytes of the broker (1 MiB by default) is below max.request.size here.
  const std::string topic = test::unique_name("producer-broker-limit");
  producer p(test::base_config({{"max.request.size", "4000000"},
                                {"buffer.memory", "8000000"},
                                {"enable.idempotence", "false"},
                                {"acks", "1"}}));
  create_topic(p.get_cluster(), topic, 1);
  auto f = p.send(producer_record{.topic = topic, .value = std::string(2000000, 'x')});
  try {
    f.get();
    FAIL() << "a 2 MB record was stored";
  } catch (const kafka_error& e) {
    EXPECT_EQ(e.code(), error_code::message_too_large) << e.what();
  }
}

TEST(ProducerIt, BatchOverTheTopicsLimitIsSplit) {
  // max.message.bytes 6000: a 30 KB batch is refused and split until its halves fit.
  for (const std::string idempotence : {"true", "false"}) {
    SCOPED_TRACE(idempotence);
    const std::string topic = test::unique_name("producer-split");
    producer p(test::base_config(
        {{"batch.size", "100000"}, {"linger.ms", "100"}, {"enable.idempotence", idempotence}}));
    create_topic(p.get_cluster(), topic, 1, {{"max.message.bytes", "6000"}});
    std::vector<std::future<record_metadata>> futures;
    for (int i = 0; i < 60; ++i)
      futures.push_back(p.send(
          producer_record{.topic = topic, .value = std::to_string(i) + std::string(500, 'x')}));
    std::set<int64_t> offsets;
    for (auto& f : futures) offsets.insert(f.get().offset);
    EXPECT_EQ(offsets.size(), 60u);
    const auto log = fetch_all(p.get_cluster(), topic, 0);
    EXPECT_GT(log.batches.size(), 5u);
    std::vector<std::string> values, expected;
    for (const auto& r : log.records()) values.push_back(r.value.value_or("").substr(0, 3));
    for (int i = 0; i < 60; ++i) expected.push_back((std::to_string(i) + "xx").substr(0, 3));
    // Without idempotence the halves of a split batch may be written out of order, as with
    // Java's producer when more than one request is in flight.
    if (idempotence == "false") {
      std::sort(values.begin(), values.end());
      std::sort(expected.begin(), expected.end());
    }
    EXPECT_EQ(values, expected);
  }
}

TEST(ProducerIt, UnknownTopicWithoutAutoCreationTimesOut) {
  producer p(test::base_config({{"allow.auto.create.topics", "false"}, {"max.block.ms", "1500"}}));
  const std::string topic = test::unique_name("producer-missing");
  auto f = p.send(producer_record{.topic = topic, .value = "x"});
  try {
    f.get();
    FAIL() << "a record for a missing topic was accepted";
  } catch (const kafka_error& e) {
    EXPECT_EQ(e.code(), error_code::request_timed_out);
    EXPECT_NE(std::string(e.what()).find("not present in metadata after 1500 ms"),
              std::string::npos)
        << e.what();
  }
}

TEST(ProducerIt, FullBufferBlocksThenTimesOut) {
  const std::string topic = test::unique_name("producer-buffer");
  producer p(test::base_config({{"buffer.memory", "10000"},
                                {"linger.ms", "60000"},
                                {"batch.size", "1000000"},
                                {"max.block.ms", "500"}}));
  create_topic(p.get_cluster(), topic, 1);
  std::vector<std::future<record_metadata>> futures;
  for (int i = 0; i < 12; ++i)
    futures.push_back(p.send(producer_record{.topic = topic, .value = std::string(1000, 'x')}));
  // About nine records fit in 10000 bytes; the rest waited max.block.ms and failed.
  try {
    futures.back().get();
    FAIL() << "a record beyond buffer.memory was accepted";
  } catch (const kafka_error& e) {
    EXPECT_EQ(e.code(), error_code::request_timed_out);
    EXPECT_NE(std::string(e.what()).find("Failed to allocate memory"), std::string::npos);
  }
  p.flush();
  EXPECT_EQ(futures.front().get().offset, 0);
}

TEST(ProducerIt, CallbacksMaySend) {
  const std::string topic = test::unique_name("producer-chain");
  producer p(test::base_config());
  create_topic(p.get_cluster(), topic, 1);
  std::promise<record_metadata> second;
  p.send(producer_record{.topic = topic, .value = "first"},
         [&](const record_metadata&, std::exception_ptr e) {
           ASSERT_FALSE(e);
           p.send(producer_record{.topic = topic, .value = "second"},
                  [&](const record_metadata& m, std::exception_ptr) { second.set_value(m); });
         });
  EXPECT_EQ(second.get_future().get().offset, 1);
}

TEST(ProducerIt, PartitionsForListsTheTopic) {
  const std::string topic = test::unique_name("producer-partitions-for");
  producer p(test::base_config());
  create_topic(p.get_cluster(), topic, 3);
  const auto partitions = p.partitions_for(topic);
  ASSERT_EQ(partitions.size(), 3u);
  for (int32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(partitions[static_cast<size_t>(i)].partition, i);
    EXPECT_GE(partitions[static_cast<size_t>(i)].leader, 0);
  }
}

TEST(ProducerIt, CloseDeliversWhatIsBuffered) {
  const std::string topic = test::unique_name("producer-close");
  cluster setup(test::base_config());
  create_topic(setup, topic, 1);
  std::atomic<int> ok{0};
  {
    producer p(test::base_config({{"linger.ms", "60000"}, {"batch.size", "1000000"}}));
    for (int i = 0; i < 100; ++i)
      p.send(producer_record{.topic = topic, .value = "x"},
             [&](const record_metadata&, std::exception_ptr e) {
               if (!e) ++ok;
             });
    p.close();
    EXPECT_THROW(p.send(producer_record{.topic = topic, .value = "late"}), std::logic_error);
  }
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(fetch_all(setup, topic, 0).records().size(), 100u);
}

// Values visible to a read_committed reader: batches of aborted transactions are dropped using
// the aborted-transaction list, as Java's consumer does.
std::vector<std::string> committed_values(const fetched_log& log) {
  std::vector<std::string> out;
  std::set<int64_t> aborting;
  for (const auto& b : log.batches) {
    for (const auto& [pid, first] : log.aborted)
      if (pid == b.header.producer_id &&
          first <= b.header.base_offset + static_cast<int64_t>(b.records.size()) - 1 &&
          first >= b.header.base_offset)
        aborting.insert(pid);
    if (b.control) {
      if (!b.records.empty() && b.records[0].key) {
        const auto& key = *b.records[0].key;
        if (key.size() >= 4 && key[3] == 0) aborting.erase(b.header.producer_id);
      }
      continue;
    }
    if (b.transactional && aborting.count(b.header.producer_id)) continue;
    for (const auto& r : b.records) out.push_back(r.value.value_or(""));
  }
  return out;
}

// The transaction protocol the broker under test finalizes: Kafka 3.x knows only version 1;
// Kafka 4.x (formatted with its defaults) and brookd finalize transaction.version 2.
int expected_transaction_version() {
  return test::broker_flavour().rfind("kafka-3.", 0) == 0 ? 1 : 2;
}

TEST(ProducerIt, TransactionsCommitAndAbort) {
  const std::string topic = test::unique_name("producer-txn");
  producer p(test::base_config({{"transactional.id", test::unique_name("txn")}}));
  create_topic(p.get_cluster(), topic, 2);
  EXPECT_EQ(p.transaction_version(), 0);
  p.init_transactions();
  EXPECT_EQ(p.transaction_version(), expected_transaction_version());
  EXPECT_THROW(p.send(producer_record{.topic = topic, .value = "outside"}), std::logic_error);

  p.begin_transaction();
  for (int i = 0; i < 5; ++i)
    p.send(producer_record{.topic = topic, .partition = 0, .value = "c" + std::to_string(i)});
  p.send(producer_record{.topic = topic, .partition = 1, .value = "c-other"});
  p.commit_transaction();

  p.begin_transaction();
  std::vector<std::future<record_metadata>> aborted;
  for (int i = 0; i < 5; ++i)
    aborted.push_back(
        p.send(producer_record{.topic = topic, .partition = 0, .value = "a" + std::to_string(i)}));
  p.flush();
  for (auto& f : aborted) EXPECT_GE(f.get().offset, 0);
  p.abort_transaction();

  p.begin_transaction();
  p.send(producer_record{.topic = topic, .partition = 0, .value = "after"});
  p.commit_transaction();

  const auto log = fetch_all(p.get_cluster(), topic, 0, 1);
  EXPECT_FALSE(log.aborted.empty());
  const auto values = committed_values(log);
  EXPECT_EQ(values, (std::vector<std::string>{"c0", "c1", "c2", "c3", "c4", "after"}));
  // Read uncommitted sees everything, markers aside.
  const auto all = fetch_all(p.get_cluster(), topic, 0, 0).records();
  EXPECT_EQ(all.size(), 11u);
  int markers = 0;
  for (const auto& b : fetch_all(p.get_cluster(), topic, 0, 0).batches) markers += b.control;
  EXPECT_EQ(markers, 3);
  EXPECT_EQ(committed_values(fetch_all(p.get_cluster(), topic, 1, 1)),
            (std::vector<std::string>{"c-other"}));
  // Transactions v2 end each transaction with a new epoch; v1 keeps the one of
  // init_transactions().
  std::vector<int16_t> epochs;
  for (const auto& b : fetch_all(p.get_cluster(), topic, 0, 0).batches)
    if (!b.control) epochs.push_back(b.header.producer_epoch);
  ASSERT_EQ(epochs.size(), 3u);
  if (expected_transaction_version() >= 2) {
    EXPECT_LT(epochs[0], epochs[1]);
    EXPECT_LT(epochs[1], epochs[2]);
  } else {
    EXPECT_EQ(epochs[0], epochs[2]);
  }
}

TEST(ProducerIt, AbortDropsRecordsNotSentYet) {
  const std::string topic = test::unique_name("producer-txn-drop");
  producer p(test::base_config({{"transactional.id", test::unique_name("txn-drop")},
                                {"linger.ms", "60000"},
                                {"batch.size", "1000000"}}));
  create_topic(p.get_cluster(), topic, 1);
  p.init_transactions();
  p.begin_transaction();
  auto f = p.send(producer_record{.topic = topic, .value = "never"});
  p.abort_transaction();
  try {
    f.get();
    FAIL() << "an aborted record was reported written";
  } catch (const kafka_error& e) {
    EXPECT_EQ(e.code(), error_code::transaction_abortable);
  }
  p.begin_transaction();
  p.send(producer_record{.topic = topic, .value = "kept"});
  p.commit_transaction();
  EXPECT_EQ(committed_values(fetch_all(p.get_cluster(), topic, 0, 1)),
            (std::vector<std::string>{"kept"}));
}

// The group's committed offset of one partition (OffsetFetch with require_stable, which waits for
// transactional commits to settle), or -1.
int64_t committed_offset(cluster& c, const std::string& group, const std::string& topic,
                         int32_t partition) {
  return c.run([&]() -> asio::awaitable<int64_t> {
    for (int attempt = 0;; ++attempt) {
      const int32_t node = co_await c.coordinator(coordinator_type::group, group);
      auto conn = co_await c.connection_to(node);
      const int16_t v = conn->require_version(protocol::api_key::offset_fetch, 7, 7);
      protocol::offset_fetch_request req;
      req.group_id = group;
      req.require_stable = true;
      auto& t = req.topics->emplace_back();
      t.name = topic;
      t.partition_indexes = {partition};
      auto resp = co_await conn->call<protocol::offset_fetch_response>(req, v);
      int16_t code = resp.error_code;
      int64_t offset = -1;
      for (const auto& rt : resp.topics)
        for (const auto& rp : rt.partitions) {
          if (rp.error_code != 0) code = rp.error_code;
          offset = rp.committed_offset;
        }
      // UNSTABLE_OFFSET_COMMIT while the transaction's markers are being written.
      if (code == 0 || attempt >= 100) {
        throw_if_error(code, "OffsetFetch");
        co_return offset;
      }
      co_await c.sleep(milliseconds(100));
    }
  });
}

TEST(ProducerIt, OffsetsCommitWithTheTransaction) {
  const std::string topic = test::unique_name("producer-txn-offsets");
  const std::string group = test::unique_name("producer-txn-group");
  producer p(test::base_config({{"transactional.id", test::unique_name("txn-offsets")}}));
  create_topic(p.get_cluster(), topic, 1);
  p.init_transactions();

  p.begin_transaction();
  p.send(producer_record{.topic = topic, .value = "x"});
  p.send_offsets_to_transaction({{{topic, 0}, {.offset = 41}}},
                                consumer_group_metadata{.group_id = group});
  p.abort_transaction();
  EXPECT_EQ(committed_offset(p.get_cluster(), group, topic, 0), -1);

  p.begin_transaction();
  p.send(producer_record{.topic = topic, .value = "y"});
  p.send_offsets_to_transaction({{{topic, 0}, {.offset = 42}}},
                                consumer_group_metadata{.group_id = group});
  p.commit_transaction();
  EXPECT_EQ(committed_offset(p.get_cluster(), group, topic, 0), 42);
}

// Polls a read_committed consumer assigned to `topic`-0 until it has `n` records (bounded).
std::vector<std::string> read_committed(const std::string& topic, size_t n) {
  consumer c(test::base_config({{"isolation.level", "read_committed"},
                                {"auto.offset.reset", "earliest"},
                                {"enable.auto.commit", "false"}}));
  c.assign({{topic, 0}});
  std::vector<std::string> values;
  for (int round = 0; round < 100 && values.size() < n; ++round)
    for (const auto& r : c.poll(milliseconds(100))) values.emplace_back(r.value_view());
  return values;
}

// Consume-transform-produce: a transaction writes records and the input offsets together; a
// read_committed consumer sees the committed records only, and the group the committed offset.
TEST(ProducerIt, ReadCommittedConsumerSeesTransactionsWithOffsets) {
  const std::string topic = test::unique_name("producer-txn-rc");
  const std::string group = test::unique_name("producer-txn-rc-group");
  producer p(test::base_config({{"transactional.id", test::unique_name("txn-rc")}}));
  create_topic(p.get_cluster(), topic, 1);
  p.init_transactions();
  EXPECT_EQ(p.transaction_version(), expected_transaction_version());
  for (int t = 0; t < 4; ++t) {
    p.begin_transaction();
    p.send(producer_record{.topic = topic, .value = "v" + std::to_string(t)});
    p.send_offsets_to_transaction({{{topic, 0}, {.offset = 10 + t}}},
                                  consumer_group_metadata{.group_id = group});
    if (t % 2 == 0)
      p.commit_transaction();
    else
      p.abort_transaction();
  }
  EXPECT_EQ(read_committed(topic, 2), (std::vector<std::string>{"v0", "v2"}));
  EXPECT_EQ(committed_offset(p.get_cluster(), group, topic, 0), 12);
}

// A second producer with the same transactional.id fences the first: the first cannot commit,
// its open transaction is aborted, and the second's transactions go on.
TEST(ProducerIt, SecondProducerFencesTheFirst) {
  const std::string topic = test::unique_name("producer-txn-fence");
  const std::string id = test::unique_name("txn-fence");
  producer first(test::base_config({{"transactional.id", id}}));
  create_topic(first.get_cluster(), topic, 1);
  first.init_transactions();
  first.begin_transaction();
  first.send(producer_record{.topic = topic, .value = "first-committed"});
  first.commit_transaction();
  first.begin_transaction();
  auto pending = first.send(producer_record{.topic = topic, .value = "first-fenced"});
  first.flush();
  EXPECT_GE(pending.get().offset, 0);

  producer second(test::base_config({{"transactional.id", id}}));
  second.init_transactions();
  EXPECT_EQ(second.transaction_version(), expected_transaction_version());
  try {
    first.commit_transaction();
    FAIL() << "a fenced producer committed";
  } catch (const kafka_error& e) {
    EXPECT_TRUE(e.code() == error_code::producer_fenced ||
                e.code() == error_code::invalid_producer_epoch)
        << e.what();
  }
  second.begin_transaction();
  second.send(producer_record{.topic = topic, .value = "second"});
  second.commit_transaction();
  EXPECT_EQ(committed_values(fetch_all(second.get_cluster(), topic, 0, 1)),
            (std::vector<std::string>{"first-committed", "second"}));
}

}  // namespace
}  // namespace brook::client
