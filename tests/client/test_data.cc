#include "test_data.h"

#include <fmt/format.h>

#include <chrono>

#include "harness.h"
#include "protocol/generated/add_partitions_to_txn_request.h"
#include "protocol/generated/add_partitions_to_txn_response.h"
#include "protocol/generated/create_topics_request.h"
#include "protocol/generated/create_topics_response.h"
#include "protocol/generated/end_txn_request.h"
#include "protocol/generated/end_txn_response.h"
#include "protocol/generated/init_producer_id_request.h"
#include "protocol/generated/init_producer_id_response.h"
#include "protocol/generated/produce_request.h"
#include "protocol/generated/produce_response.h"
#include "protocol/records/record_batch.h"

namespace brook::client::test {

namespace {

namespace rec = protocol::records;
using protocol::error_code;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

wire::byte_buffer build(const std::vector<test_record>& records, rec::batch_options options) {
  rec::batch_builder b(std::move(options));
  for (const auto& r : records) {
    std::vector<rec::record_header> headers;
    for (const auto& [k, v] : r.headers) {
      rec::record_header h;
      h.key = k;
      if (v) h.value = wire::shared_bytes(std::vector<uint8_t>(v->begin(), v->end()));
      headers.push_back(std::move(h));
    }
    std::optional<std::span<const uint8_t>> key, value;
    if (r.key) key = bytes_of(*r.key);
    if (r.value) value = bytes_of(*r.value);
    b.append(r.timestamp >= 0 ? r.timestamp : now_ms(), key, value, headers);
  }
  return b.build();
}

asio::awaitable<int64_t> send_batch(cluster& c, const std::string& topic, int32_t partition,
                                    wire::byte_buffer batch,
                                    std::optional<std::string> transactional_id = std::nullopt) {
  for (int attempt = 0;; ++attempt) {
    auto md = co_await c.refresh_metadata(std::vector<std::string>{topic});
    const int32_t leader = md->leader_of(topic, partition);
    if (leader >= 0) {
      auto conn = co_await c.connection_to(leader);
      const int16_t v = conn->require_version(protocol::api_key::produce, 11, 3);
      protocol::produce_request req;
      req.transactional_id = transactional_id;
      req.acks = -1;
      req.timeout_ms = 30000;
      auto& t = req.topic_data.emplace_back();
      t.name = topic;
      auto& p = t.partition_data.emplace_back();
      p.index = partition;
      p.records = wire::shared_bytes(batch);
      auto resp = co_await conn->call<protocol::produce_response>(req, v);
      const auto& pr = resp.responses.at(0).partition_responses.at(0);
      const auto code =
          protocol::error_from_int(pr.error_code).value_or(error_code::unknown_server_error);
      if (code == error_code::none) co_return pr.base_offset;
      if (!protocol::is_retriable(code) || attempt > 20)
        throw kafka_error(code, fmt::format("Produce to {}-{}", topic, partition));
    }
    co_await c.backoff(attempt);
  }
}

}  // namespace

void create_topic(cluster& c, const std::string& topic, int32_t partitions,
                  std::vector<std::pair<std::string, std::string>> configs) {
  c.run([&]() -> asio::awaitable<void> {
    auto conn = co_await c.any_connection();
    const int16_t v = conn->require_version(protocol::api_key::create_topics, 7, 2);
    protocol::create_topics_request req;
    auto& t = req.topics.emplace_back();
    t.name = topic;
    t.num_partitions = partitions;
    t.replication_factor = 1;
    for (const auto& [k, val] : configs) t.configs.push_back({k, val, {}});
    req.timeout_ms = 30000;
    auto resp = co_await conn->call<protocol::create_topics_response>(req, v);
    throw_if_error(resp.topics.at(0).error_code, "CreateTopics " + topic);
    for (int attempt = 0;; ++attempt) {
      auto md = co_await c.refresh_metadata(std::vector<std::string>{topic});
      const auto* tm = md->find(topic);
      bool ready = tm && static_cast<int32_t>(tm->partitions.size()) == partitions;
      if (ready)
        for (const auto& p : tm->partitions) ready = ready && p.leader >= 0;
      if (ready) co_return;
      if (attempt > 100) throw kafka_error(error_code::leader_not_available, topic);
      co_await c.sleep(std::chrono::milliseconds(100));
    }
  });
}

int64_t produce(cluster& c, const std::string& topic, int32_t partition,
                const std::vector<test_record>& records, rec::codec codec) {
  rec::batch_options o;
  o.compression = codec;
  auto batch = build(records, o);
  return c.run([&]() { return send_batch(c, topic, partition, std::move(batch)); });
}

void produce_transaction(cluster& c, const std::string& topic, int32_t partition,
                         const std::vector<test_record>& records, bool commit) {
  const std::string txn = unique_name("txn");
  c.run([&]() -> asio::awaitable<void> {
    auto coordinator = [&]() -> asio::awaitable<std::shared_ptr<connection>> {
      co_return co_await c.connection_to(
          co_await c.coordinator(coordinator_type::transaction, txn));
    };
    int64_t pid = -1;
    int16_t epoch = -1;
    for (int attempt = 0;; ++attempt) {
      auto conn = co_await coordinator();
      const int16_t v = conn->require_version(protocol::api_key::init_producer_id, 4, 1);
      protocol::init_producer_id_request req;
      req.transactional_id = txn;
      req.transaction_timeout_ms = 60000;
      auto resp = co_await conn->call<protocol::init_producer_id_response>(req, v);
      const auto code =
          protocol::error_from_int(resp.error_code).value_or(error_code::unknown_server_error);
      if (code == error_code::none) {
        pid = resp.producer_id;
        epoch = resp.producer_epoch;
        break;
      }
      if (!protocol::is_retriable(code) || attempt > 50) throw_if_error(code, "InitProducerId");
      c.forget_coordinator(coordinator_type::transaction, txn);
      co_await c.backoff(attempt);
    }
    for (int attempt = 0;; ++attempt) {
      auto conn = co_await coordinator();
      const int16_t v = conn->require_version(protocol::api_key::add_partitions_to_txn, 3, 0);
      protocol::add_partitions_to_txn_request req;
      req.v3_and_below_transactional_id = txn;
      req.v3_and_below_producer_id = pid;
      req.v3_and_below_producer_epoch = epoch;
      req.v3_and_below_topics.push_back({topic, {partition}, {}});
      auto resp = co_await conn->call<protocol::add_partitions_to_txn_response>(req, v);
      const int16_t raw =
          resp.results_by_topic_v3_and_below.at(0).results_by_partition.at(0).partition_error_code;
      const auto code = protocol::error_from_int(raw).value_or(error_code::unknown_server_error);
      if (code == error_code::none) break;
      if (!protocol::is_retriable(code) && code != error_code::concurrent_transactions)
        throw_if_error(code, "AddPartitionsToTxn");
      if (attempt > 50) throw_if_error(code, "AddPartitionsToTxn");
      co_await c.backoff(attempt);
    }
    rec::batch_options o;
    o.transactional = true;
    o.producer_id = pid;
    o.producer_epoch = epoch;
    o.base_sequence = 0;
    co_await send_batch(c, topic, partition, build(records, o), txn);
    for (int attempt = 0;; ++attempt) {
      auto conn = co_await coordinator();
      const int16_t v = conn->require_version(protocol::api_key::end_txn, 4, 0);
      protocol::end_txn_request req;
      req.transactional_id = txn;
      req.producer_id = pid;
      req.producer_epoch = epoch;
      req.committed = commit;
      auto resp = co_await conn->call<protocol::end_txn_response>(req, v);
      const auto code =
          protocol::error_from_int(resp.error_code).value_or(error_code::unknown_server_error);
      if (code == error_code::none) break;
      if ((!protocol::is_retriable(code) && code != error_code::concurrent_transactions) ||
          attempt > 50)
        throw_if_error(code, "EndTxn");
      co_await c.backoff(attempt);
    }
  });
}

std::vector<test_record> numbered(int count, const std::string& prefix) {
  std::vector<test_record> out;
  for (int i = 0; i < count; ++i) {
    test_record r;
    r.key = fmt::format("k{}", i);
    r.value = fmt::format("{}{}", prefix, i);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace brook::client::test
