// Brook's producer: sends records to Kafka topics (brookd or Apache Kafka) the way the Java client
// does, with the same settings, defaults, partitioning and errors.
//
//   brook::client::producer p(brook::client::config{{"bootstrap.servers", "localhost:9092"}});
//   auto f = p.send({.topic = "orders", .key = "k1", .value = "hello"});
//   record_metadata m = f.get();            // throws kafka_error on failure
//   p.send({.topic = "orders", .value = "x"}, [](const record_metadata& m, std::exception_ptr e) {
//     // runs on the producer's I/O thread: keep it short, never block or call flush() here
//   });
//   p.flush();
//
// Bytes: keys, values and header values are std::string used as byte strings (any bytes,
// embedded zeros included); std::nullopt is Kafka's null.
//
// What happens to a record: send() picks its partition (the record's own, murmur2 of the key like
// Java, or the topic's sticky partition for keyless records, see partitioner.h) and encodes it at
// once into that partition's open batch. A batch goes out when it reaches batch.size bytes or
// linger.ms after its first record; each broker gets one Produce request at a time holding one
// ready batch per partition it leads (up to max.request.size), with up to
// max.in.flight.requests.per.connection requests unanswered. Failed batches are retried after
// retry.backoff.ms when the error is retriable (metadata is refreshed first when leadership
// moved) until delivery.timeout.ms after the record was sent, then fail with REQUEST_TIMED_OUT.
//
// Idempotence (enable.idempotence, on by default as in Java): the producer gets a producer id
// (InitProducerId) and numbers each partition's batches; a retry keeps its sequence, so the broker
// writes each batch once and in order. OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID for a
// partition's oldest unacknowledged batch makes the producer bump its epoch (as Java does) and
// renumber what is not yet written. The settings are checked as Java's ProducerConfig checks them:
// idempotence needs acks=all, retries > 0 and at most 5 requests in flight; when the user asked
// for idempotence explicitly a conflict is a config_error, when it is only the default it is
// turned off silently.
//
// Transactions (transactional.id): init_transactions(), begin_transaction(), send(),
// send_offsets_to_transaction(), commit_transaction() or abort_transaction(), as in Java. The
// transaction protocol follows the cluster's finalized feature transaction.version, as Java's
// producer does (read at init_transactions() and again at each begin_transaction()):
//  - version 2 (KIP-890 part 2; Kafka 4.x clusters formatted with it, brookd): partitions join
//    the transaction implicitly with their first Produce (v12+), offsets go straight to the
//    group coordinator (TxnOffsetCommit v5+, no AddOffsetsToTxn), and EndTxn (v5+) bumps the
//    producer epoch at every transaction end (the producer takes the new id and epoch);
//  - version 1 (Kafka 3.x, or the feature below 2): AddPartitionsToTxn and AddOffsetsToTxn first,
//    Produce up to v11, EndTxn up to v4.
// transaction_version() says which one is in use.
//
// Errors: a broker's error, or the client's equivalent, reaches the future or the callback as
// kafka_error with Kafka's code (MESSAGE_TOO_LARGE for a record over max.request.size,
// REQUEST_TIMED_OUT for metadata or buffer space not available within max.block.ms or a record
// not delivered within delivery.timeout.ms). Wrong settings throw config_error from the
// constructor.
//
// Threads: every method may be called from any thread. Callbacks and future completions run on
// the producer's single I/O thread, in order per partition, except for errors that send() finds
// itself (record too large, metadata or buffer space not available in time), which reach the
// callback on the calling thread before send() returns, as in Java. A callback may call send()
// (it then fails at once rather than block when the topic's metadata or buffer space is
// missing) but must not call flush(), close() or the transaction methods, which wait for that
// same thread; they throw std::logic_error there.
//
// A batch the broker refuses as too large (MESSAGE_TOO_LARGE, over the topic's
// max.message.bytes) is split in two and sent again, down to single records, as in Java.
//
// Not done (yet) as Java does: metadata is refreshed on errors and for unknown topics, not every
// metadata.max.age.ms.
// Ownership: the producer owns its I/O thread, connections and buffered records. The destructor
// is close() without a time limit: it sends what is buffered (bounded by delivery.timeout.ms).
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/cluster.h"
#include "client/config.h"
#include "client/errors.h"
#include "client/types.h"

namespace brook::client {

// One record header; the key is text, the value bytes (or null).
struct header {
  std::string key;
  std::optional<std::string> value;
};

struct producer_record {
  std::string topic;
  // The partition to write to; chosen by the partitioner when absent.
  std::optional<int32_t> partition;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<header> headers;
  // Milliseconds since the epoch; the time of send() when absent.
  std::optional<int64_t> timestamp;
};

// Where a record was written.
struct record_metadata {
  std::string topic;
  int32_t partition = -1;
  // -1 when acks=0 (the broker does not say).
  int64_t offset = -1;
  // The create time given or chosen at send(), or the broker's time when the topic uses
  // LogAppendTime.
  int64_t timestamp = -1;
};

// Called once per record: with the metadata and a null exception on success, or with an
// exception (usually kafka_error) and metadata holding only topic and partition on failure.
using send_callback = std::function<void(const record_metadata&, std::exception_ptr)>;

class producer {
 public:
  // Checks the settings (config_error) and starts the I/O thread; connects lazily.
  explicit producer(config settings);
  // close() without a time limit.
  ~producer();
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  // Queues a record for sending. Blocks up to max.block.ms when the topic's metadata is not known
  // yet or buffer.memory is used up. Errors (record too large, metadata timeout, delivery
  // failure) arrive through the future. Throws std::logic_error after close().
  std::future<record_metadata> send(producer_record record);
  // The same, reporting through `callback` on the I/O thread.
  void send(producer_record record, send_callback callback);

  // Sends every buffered record now and waits until each sent before the call has completed.
  void flush();

  // Sends what is buffered and waits up to `timeout` for it to complete; what is still
  // incomplete then fails with kafka_error. Later calls do nothing. Sends after close() throw.
  void close(std::chrono::milliseconds timeout = std::chrono::milliseconds::max());

  // The partitions of `topic` (fetching metadata, within max.block.ms). Throws kafka_error
  // (REQUEST_TIMED_OUT when the topic does not show up in time).
  std::vector<partition_metadata> partitions_for(const std::string& topic);

  // --- Transactions (transactional.id must be set) ---

  // Gets the producer id and epoch from the transaction coordinator, fencing earlier producers
  // with the same transactional.id and completing their open transaction. Call once, first.
  void init_transactions();
  void begin_transaction();
  // Adds the consumer's offsets (partition -> next offset to read, with metadata and leader
  // epoch) to the transaction; they are committed to the group with it.
  void send_offsets_to_transaction(const std::map<topic_partition, offset_and_metadata>& offsets,
                                   const consumer_group_metadata& group);
  // Flushes, then commits. Throws kafka_error when a record of the transaction failed (the
  // transaction must then be aborted) or the coordinator refuses.
  void commit_transaction();
  // Drops what is not sent yet (those records fail with TRANSACTION_ABORTABLE), waits for what
  // is in flight, then aborts.
  void abort_transaction();
  // The transaction protocol in use: 0 before init_transactions() (or without transactional.id),
  // then 1 or 2 (see the file comment).
  int transaction_version() const;

  // The underlying cluster (metadata, connections), for tools and tests.
  cluster& get_cluster();

 private:
  struct impl;
  std::unique_ptr<impl> _impl;
};

}  // namespace brook::client
