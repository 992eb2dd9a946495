// Kafka's transaction coordinator for the transactional ids of one shard (those whose partition of
// __transaction_state the shard owns): InitProducerId with a transactional id, AddPartitionsToTxn
// (including the brokers' verification of KIP-890), AddOffsetsToTxn, EndTxn, transaction
// timeouts, DescribeTransactions and ListTransactions.
//
// Both of Kafka's transaction protocols are served, each client by the one its requests speak.
// Version 1: the client adds each partition (AddPartitionsToTxn) and keeps one epoch. Version 2
// (KIP-890 part 2; EndTxn v5, Produce v12, TxnOffsetCommit v5): the partition leader adds a
// partition when the first transactional batch reaches it, and every transaction's end bumps the
// epoch (EndTxn answers with the new one), so a late write of an ended transaction is refused.
// An epoch that cannot grow any more moves the producer to a new producer id.
//
// A transactional id's state (producer id and epoch, timeout, state, partitions, times) is written
// to its partition of __transaction_state in Kafka's records (TransactionLogKey version 0 and
// TransactionLogValue version 1) before any answer depends on it, and replayed at start; a
// transaction found half completed (PrepareCommit or PrepareAbort) is completed then.
//
// Completing a transaction: the Prepare record is written, then the COMMIT or ABORT marker is
// appended to every partition of the transaction (marker_writer), then the Complete record.
// EndTxn answers once all of it is done. While a transaction is being changed, other requests for
// it get CONCURRENT_TRANSACTIONS, which clients retry.
//
// Runs on its shard's executor only.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "coordinator/group_coordinator.h"

namespace brook::coordinator {

enum class txn_state : int8_t {
  empty = 0,
  ongoing = 1,
  prepare_commit = 2,
  prepare_abort = 3,
  complete_commit = 4,
  complete_abort = 5,
  dead = 6,
  prepare_epoch_fence = 7,
};
// Kafka's names ("Empty", "Ongoing", "PrepareCommit", ...).
const char* txn_state_name(txn_state s);
std::optional<txn_state> txn_state_from_name(std::string_view name);

struct txn_partition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const txn_partition&) const = default;
};

struct txn_metadata {
  std::string id;
  int64_t producer_id = -1;
  int16_t epoch = -1;
  // The epoch before the last bump: a retried InitProducerId naming it gets the current one.
  int16_t last_epoch = -1;
  int32_t timeout_ms = 60000;
  txn_state state = txn_state::empty;
  std::set<txn_partition> partitions;
  int64_t start_ms = -1;
  int64_t update_ms = -1;
  // The producer id before the last change (Kafka's PreviousProducerId: a retry from before a
  // move to a new producer id names it), and the one the producer moves to once the transaction
  // being completed is done, when its epoch is exhausted (NextProducerId).
  int64_t prev_producer_id = -1;
  int64_t next_producer_id = -1;
  // The transaction protocol of the client's last transaction (0 or 1: version 1; 2: version 2).
  int16_t client_tv = 0;
  // A change is being written or markers sent: other requests wait (CONCURRENT_TRANSACTIONS).
  bool busy = false;
};

struct txn_config {
  // transaction.max.timeout.ms
  int32_t max_timeout_ms = 900000;
  // transactional.id.expiration.ms: an idle Empty or Complete id is forgotten after this.
  int64_t id_expiration_ms = 604800000;
  // transaction.state.log.num.partitions
  int32_t log_partitions = 50;
  // The finalized transaction.version: the protocol of the aborts the coordinator decides itself
  // (timeouts, a new incarnation fencing the old one); 2 bumps the epoch for them too.
  int16_t transaction_version = 2;
};

// Appends the COMMIT (or ABORT) marker of producer `producer_id` at `epoch` to each partition, for
// a transaction of `transaction_version`; completes with a Kafka error code per partition (0:
// written, or the partition is gone).
using marker_writer = std::function<asio::awaitable<std::vector<int16_t>>(
    int64_t producer_id, int16_t epoch, bool commit, int16_t transaction_version,
    std::vector<txn_partition> partitions)>;
// A new producer id, or an error message.
using producer_id_source = std::function<result<int64_t, std::string>()>;

// The records of __transaction_state in Kafka's formats.
std::vector<uint8_t> encode_txn_key(const std::string& transactional_id);
std::vector<uint8_t> encode_txn_value(const txn_metadata& m);
std::optional<std::string> decode_txn_key(std::span<const uint8_t> key);
std::optional<txn_metadata> decode_txn_value(std::span<const uint8_t> value);

class txn_coordinator {
 public:
  txn_coordinator(asio::any_io_executor ex, txn_config config, record_writer write,
                  marker_writer markers, producer_id_source ids);

  struct producer_answer {
    int16_t error_code = 0;
    int64_t producer_id = -1;
    int16_t epoch = -1;
  };
  // InitProducerId with a transactional id (`expected`: the producer id and epoch the client
  // had, KIP-360). PRODUCER_FENCED is for the caller to turn into INVALID_PRODUCER_EPOCH where an
  // old version needs it.
  asio::awaitable<producer_answer> init_producer_id(
      std::string id, int32_t timeout_ms, std::optional<std::pair<int64_t, int16_t>> expected);
  // AddPartitionsToTxn and AddOffsetsToTxn (client_tv 1), and the implicit add of a Produce or
  // TxnOffsetCommit of transactions version 2 (client_tv 2): one error for all the partitions.
  // verify_partitions (the KIP-890 check of a transactional Produce or TxnOffsetCommit of version
  // 1): each partition's error, TRANSACTION_ABORTABLE for one the open transaction does not hold;
  // nothing added.
  asio::awaitable<int16_t> add_partitions(std::string id, int64_t producer_id, int16_t epoch,
                                          std::vector<txn_partition> partitions,
                                          int16_t client_tv = 1);
  std::map<txn_partition, int16_t> verify_partitions(const std::string& id, int64_t producer_id,
                                                     int16_t epoch,
                                                     const std::vector<txn_partition>& partitions);
  // EndTxn. Version 2 (client_tv 2) answers the producer id and epoch for the next transaction.
  asio::awaitable<producer_answer> end_txn(std::string id, int64_t producer_id, int16_t epoch,
                                           bool commit, int16_t client_tv = 1);

  // DescribeTransactions; nullopt: TRANSACTIONAL_ID_NOT_FOUND.
  std::optional<txn_metadata> describe(const std::string& id) const;
  // ListTransactions: the ids in one of `states` (empty: any), of one of `producer_ids` (empty:
  // any), running for at least `min_duration_ms` (-1: any) and matching `pattern` (a regular
  // expression, RE2 syntax as Kafka's RE2/J; none: any).
  std::vector<txn_metadata> list(const std::set<txn_state>& states,
                                 const std::set<int64_t>& producer_ids, int64_t min_duration_ms,
                                 const std::optional<std::string>& pattern, int64_t now_ms) const;

  // Replays a record of __transaction_state (value none: a tombstone). False when it is not one.
  bool load(std::span<const uint8_t> key, std::optional<std::span<const uint8_t>> value);
  // Completes the transactions the log left half done (after load).
  void resume();
  // Aborts transactions past their timeout and forgets expired ids; call every few seconds.
  void tick(int64_t now_ms);

  size_t size() const { return _txns.size(); }
  // The finalized transaction.version changed (UpdateFeatures).
  void set_transaction_version(int16_t level) { _config.transaction_version = level; }

 private:
  asio::awaitable<int16_t> write(const txn_metadata& m, bool tombstone = false);
  // Ends m's transaction of protocol `tv`: the Prepare record (version 2: at the next epoch,
  // naming a new producer id when the epoch is exhausted; `no_partitions`: an abort of no
  // partitions, which starts now), then finish().
  asio::awaitable<int16_t> complete(txn_metadata& m, bool commit, int16_t tv,
                                    bool no_partitions = false);
  // The markers at m's epoch, then the Complete record (version 2: moving to the next producer id
  // when one is named).
  asio::awaitable<void> finish(txn_metadata& m, bool commit);
  // A new incarnation or a timeout fences m's open transaction: aborted at a bumped epoch.
  asio::awaitable<void> fence_and_abort(txn_metadata& m);
  txn_metadata* find(const std::string& id);

  asio::any_io_executor _ex;
  txn_config _config;
  record_writer _write;
  marker_writer _markers;
  producer_id_source _ids;
  std::map<std::string, txn_metadata> _txns;
};

}  // namespace brook::coordinator
