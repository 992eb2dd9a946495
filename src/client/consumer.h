// Brook's consumer: reads records from Kafka topics (brookd or Apache Kafka), either from
// partitions the user names (assign) or as a member of a consumer group that shares the
// partitions of the subscribed topics among its members (subscribe). The API follows Kafka's Java
// KafkaConsumer, so a Java user finds poll, commitSync, seek, pause and the rebalance listener
// under the same names in snake_case.
//
//   brook::client::consumer c({{"bootstrap.servers", "localhost:9092"}, {"group.id", "g"}});
//   c.subscribe({"orders"});
//   for (;;)
//     for (const auto& r : c.poll(std::chrono::milliseconds(500)))
//       handle(r.topic(), r.partition(), r.offset(), r.value());
//
// Fetching: the I/O thread keeps one Fetch request in flight per leader broker, covering the
// assigned partitions it leads (in a fetch session, below), and buffers what comes back; poll()
// decodes buffered record sets on the caller's thread and returns at most max.poll.records records
// at once. Records share the response buffer (or the decompressed buffer of their batch): keys,
// values and header values are wire::shared_bytes views that keep that buffer alive, so nothing is
// copied per record. isolation.level=read_committed hides records of aborted transactions and
// control records.
//
// Starting positions: a partition without a position starts from the group's committed offset
// (when group.id is set), else from auto.offset.reset: earliest, latest, or none. With none,
// poll() throws kafka_error(OFFSET_OUT_OF_RANGE) naming the partition, which is what Java's
// NoOffsetForPartitionException and OffsetOutOfRangeException stand for; seek() clears it.
//
// Groups: group.protocol=classic uses JoinGroup/SyncGroup with the assignors range, roundrobin
// and cooperative-sticky (partition.assignment.strategy, in preference order; Java's default
// "range,cooperative-sticky" picks range when every member supports it); group.protocol=consumer
// uses KIP-848's ConsumerGroupHeartbeat, where the broker assigns. Heartbeats run on the I/O
// thread; joining and applying a new assignment are driven by poll(), and the rebalance_listener
// is called from inside poll() (or close()/unsubscribe()) on the user's thread, as in Java.
//
// Errors poll() throws: kafka_error(CORRUPT_MESSAGE) for a batch whose CRC does not match
// (check.crcs), kafka_error(OFFSET_OUT_OF_RANGE) as above, the group's fatal errors
// (FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL, GROUP_MAX_SIZE_REACHED, ...) with their codes.
// Retriable errors (leader moved, coordinator moved, connection lost) are retried inside.
//
// Metadata: the consumer's cluster refreshes the metadata of the topics it uses every
// metadata.max.age.ms. With group.protocol=classic, the member that computed the assignment (the
// leader) joins the group again when the partition count of a topic of the group changed (new
// partitions, or a topic created or deleted), and a member joins again when the topics of its
// subscription changed, as Java's consumer does. With group.protocol=consumer the broker notices
// and sends a new assignment.
//
// Pattern subscriptions: subscribe(subscription_pattern("orders-.*")) subscribes to every topic
// whose whole name matches. With group.protocol=classic the consumer matches the pattern itself
// (std::regex, ECMAScript syntax; internal topics never match) against all the cluster's topics at
// each metadata refresh, and joins the group again when the matched set changes. With
// group.protocol=consumer the pattern goes to the broker (RE2/J syntax, KIP-848's
// SubscribedTopicRegex), which resolves it, as Java's subscribe(SubscriptionPattern) does.
//
// max.poll.interval.ms: when the application does not call poll() for longer, the consumer leaves
// the group (a classic static member only forgets its generation, as in Java) so that its
// partitions go to others; commits then fail with kafka_error(UNKNOWN_MEMBER_ID) (Java's
// CommitFailedException) until the next poll(), which reports the partitions lost through the
// listener and joins again.
//
// Fetch sessions (KIP-227, Fetch v7+): the first Fetch to a broker is a full one that opens a
// session; later ones name only the partitions that are new or whose fetch offset moved, and
// forget those no longer fetched there (paused, revoked, moved, or waiting in poll's buffer). A
// session the broker no longer knows (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH,
// any error or lost connection) is started over with a full Fetch; close() closes the sessions.
//
// Not done yet: fetching from followers (client.rack is only sent).
//
// Threads: like Java's consumer, one consumer is used by one thread at a time; only wakeup() may
// be called from another thread (it makes a blocked or the next poll() throw wakeup_error).
// Network work runs on the consumer's own I/O thread (client/cluster.h). The destructor calls
// close() if the user did not.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "client/config.h"
#include "client/errors.h"
#include "client/types.h"
#include "protocol/records/record_batch.h"
#include "protocol/wire/types.h"

namespace brook::client {

using record_header = protocol::records::record_header;
using timestamp_type = protocol::records::timestamp_type;

// One record returned by poll(). Cheap to move; keys, values and header values share the buffer
// they were fetched into.
class consumer_record {
 public:
  consumer_record() = default;
  consumer_record(std::shared_ptr<const std::string> topic, int32_t partition, int64_t offset,
                  int64_t timestamp, timestamp_type ts_type, std::optional<wire::shared_bytes> key,
                  std::optional<wire::shared_bytes> value, std::vector<record_header> headers,
                  std::optional<int32_t> leader_epoch)
      : _topic(std::move(topic)),
        _partition(partition),
        _offset(offset),
        _timestamp(timestamp),
        _ts_type(ts_type),
        _leader_epoch(leader_epoch),
        _key(std::move(key)),
        _value(std::move(value)),
        _headers(std::move(headers)) {}

  const std::string& topic() const { return *_topic; }
  int32_t partition() const { return _partition; }
  int64_t offset() const { return _offset; }
  // Milliseconds since the epoch; -1 when the record has none (legacy magic 0).
  int64_t timestamp() const { return _timestamp; }
  timestamp_type ts_type() const { return _ts_type; }
  // nullopt for a null key or value.
  const std::optional<wire::shared_bytes>& key() const { return _key; }
  const std::optional<wire::shared_bytes>& value() const { return _value; }
  // The key or value as text ("" when null), for convenience.
  std::string_view key_view() const { return view(_key); }
  std::string_view value_view() const { return view(_value); }
  const std::vector<record_header>& headers() const { return _headers; }
  // The leader epoch of the batch the record came in; nullopt for legacy message sets.
  std::optional<int32_t> leader_epoch() const { return _leader_epoch; }
  topic_partition partition_of() const { return {*_topic, _partition}; }

 private:
  static std::string_view view(const std::optional<wire::shared_bytes>& b) {
    if (!b) return {};
    return {reinterpret_cast<const char*>(b->data()), b->size()};
  }
  std::shared_ptr<const std::string> _topic;
  int32_t _partition = 0;
  int64_t _offset = 0;
  int64_t _timestamp = -1;
  timestamp_type _ts_type = timestamp_type::create_time;
  std::optional<int32_t> _leader_epoch;
  std::optional<wire::shared_bytes> _key;
  std::optional<wire::shared_bytes> _value;
  std::vector<record_header> _headers;
};

// Called from inside poll(), unsubscribe() or close() on the user's thread when the group takes
// partitions away or gives new ones, as Java's ConsumerRebalanceListener. The consumer may be
// used from the callbacks (commit_sync, seek, position...), except poll().
class rebalance_listener {
 public:
  virtual ~rebalance_listener() = default;
  // Before partitions go to another member: the last chance to commit their offsets.
  virtual void on_partitions_revoked(const std::vector<topic_partition>& partitions) {
    (void)partitions;
  }
  // After partitions were assigned, before records of them are returned.
  virtual void on_partitions_assigned(const std::vector<topic_partition>& partitions) {
    (void)partitions;
  }
  // The partitions were already given to others (the member was fenced or its session
  // expired): committing them would fail. Calls on_partitions_revoked by default, as Java does.
  virtual void on_partitions_lost(const std::vector<topic_partition>& partitions) {
    on_partitions_revoked(partitions);
  }
};

// Thrown by poll() (and other blocking calls) after wakeup(), as Java's WakeupException.
class wakeup_error : public std::runtime_error {
 public:
  wakeup_error() : std::runtime_error("consumer woken up") {}
};

// A regular expression naming the topics to subscribe to, as Java's Pattern and
// SubscriptionPattern: a topic is subscribed when the whole of its name matches.
class subscription_pattern {
 public:
  explicit subscription_pattern(std::string regex) : _regex(std::move(regex)) {}
  const std::string& regex() const { return _regex; }

 private:
  std::string _regex;
};

class consumer {
 public:
  // The result of an asynchronous commit: the offsets sent and nullptr, or the failure.
  using commit_callback = std::function<void(
      const std::map<topic_partition, offset_and_metadata>& offsets, std::exception_ptr error)>;

  // Checks the settings (config_error for an unknown key or a bad value) and starts the I/O
  // thread; connects lazily.
  explicit consumer(config settings);
  // close() unless closed.
  ~consumer();
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  // Reads exactly these partitions, outside any group rebalancing (replaces an earlier
  // assignment; throws std::logic_error while subscribed). Partitions kept keep their position.
  void assign(const std::vector<topic_partition>& partitions);
  // Joins the group (group.id required: config_error otherwise) to share the partitions of
  // `topics`; the assignment arrives in a later poll(). `listener` must outlive the
  // subscription. Throws std::logic_error after assign().
  void subscribe(const std::vector<std::string>& topics, rebalance_listener* listener = nullptr);
  // Joins the group to share the partitions of every topic whose name matches `pattern` (see the
  // file comment for the syntax each group.protocol uses), now and as topics come and go. Throws
  // config_error without group.id or for a pattern std::regex rejects (classic),
  // std::logic_error after assign(). (A template only so that subscribe({"topic"}) stays
  // unambiguous.)
  template <std::same_as<subscription_pattern> Pattern>
  void subscribe(const Pattern& pattern, rebalance_listener* listener = nullptr) {
    subscribe_pattern(pattern, listener);
  }
  // Leaves the group (revoking the assignment through the listener) or drops the assignment.
  void unsubscribe();
  // The subscribed topics; with a pattern, the topics it matches now (classic) or the topics of
  // the assignment (group.protocol=consumer).
  std::set<std::string> subscription() const;
  std::set<topic_partition> assignment() const;

  // Returns the records fetched since the last call, at most max.poll.records, waiting up to
  // `timeout` for some. Drives the group (joins, applies assignments, calls the listener) and
  // auto commit, and delivers commit_async callbacks. Throws kafka_error for a fatal group or
  // fetch error (OFFSET_OUT_OF_RANGE with auto.offset.reset=none, see above), wakeup_error after
  // wakeup().
  std::vector<consumer_record> poll(std::chrono::milliseconds timeout);

  // Commits the positions of every assigned partition (the offsets after the records poll()
  // returned), or the given offsets, and waits. Throws kafka_error: ILLEGAL_GENERATION,
  // UNKNOWN_MEMBER_ID or FENCED_MEMBER_EPOCH when the group moved on (Java's
  // CommitFailedException), REBALANCE_IN_PROGRESS during a rebalance.
  void commit_sync();
  void commit_sync(const std::map<topic_partition, offset_and_metadata>& offsets);
  // Commits the positions (or the given offsets) without waiting; `callback` runs in a later
  // poll(), commit_sync() or close() on this thread.
  void commit_async(commit_callback callback = nullptr);
  void commit_async(const std::map<topic_partition, offset_and_metadata>& offsets,
                    commit_callback callback);
  // The group's committed offsets for `partitions`; partitions without one are left out.
  std::map<topic_partition, offset_and_metadata> committed(
      const std::set<topic_partition>& partitions);

  // The next fetch of the partition starts at `offset`. Throws std::logic_error for a
  // partition not assigned.
  void seek(const topic_partition& partition, int64_t offset);
  void seek_to_beginning(const std::vector<topic_partition>& partitions);
  void seek_to_end(const std::vector<topic_partition>& partitions);
  // The offset of the next record poll() returns for the partition; looks it up (committed
  // offset or auto.offset.reset) when unknown, waiting up to request.timeout.ms. Throws
  // std::logic_error for a partition not assigned.
  int64_t position(const topic_partition& partition);

  // Paused partitions are not fetched and poll() returns none of their records.
  void pause(const std::vector<topic_partition>& partitions);
  void resume(const std::vector<topic_partition>& partitions);
  std::set<topic_partition> paused() const;

  consumer_group_metadata group_metadata() const;

  // Makes a poll() blocked now, or the next one, throw wakeup_error. Any thread.
  void wakeup();

  // Commits (enable.auto.commit), revokes the assignment through the listener, leaves the group
  // (a static member stays) and stops the I/O thread. Idempotent.
  void close();

 private:
  void subscribe_pattern(const subscription_pattern& pattern, rebalance_listener* listener);
  struct impl;
  std::unique_ptr<impl> _impl;
};

}  // namespace brook::client
