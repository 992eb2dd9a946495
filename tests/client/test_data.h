// Test data for the client's integration tests without Brook's producer: topics made with a raw
// CreateTopics request and records written with raw Produce requests (batches built with
// protocol::records::batch_builder), including transactional batches that end in a commit or an
// abort (InitProducerId, AddPartitionsToTxn, Produce, EndTxn). Every function runs on the given
// cluster's I/O thread and blocks the calling (test) thread; failures throw kafka_error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/cluster.h"
#include "protocol/records/compression.h"

namespace brook::client::test {

struct test_record {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  // Milliseconds since the epoch; now when -1.
  int64_t timestamp = -1;
};

// Creates the topic (replication factor 1) and waits until every partition has a leader.
void create_topic(cluster& c, const std::string& topic, int32_t partitions,
                  std::vector<std::pair<std::string, std::string>> configs = {});

// Writes `records` as one batch to the partition's leader with acks=all; returns the base
// offset.
int64_t produce(cluster& c, const std::string& topic, int32_t partition,
                const std::vector<test_record>& records,
                protocol::records::codec codec = protocol::records::codec::none);

// Writes `records` in a transaction of a fresh transactional id and commits or aborts it.
void produce_transaction(cluster& c, const std::string& topic, int32_t partition,
                         const std::vector<test_record>& records, bool commit);

// `count` records "<prefix>0", "<prefix>1", ... as values, keys "k0", "k1", ...
std::vector<test_record> numbered(int count, const std::string& prefix = "v");

}  // namespace brook::client::test
