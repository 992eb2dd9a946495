// The transaction coordinator: a transactional producer's life (InitProducerId, partitions added,
// commit and abort with their markers), fencing by epoch, Kafka's refusals, timeouts, and the
// state rebuilt from its __transaction_state records.
#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>

#include <limits>

#include "coordinator/txn_coordinator.h"
#include "protocol/errors.h"

namespace brook::coordinator {
namespace {
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }

struct marker {
  int64_t pid;
  int16_t epoch;
  bool commit;
  int16_t tv;
  std::vector<txn_partition> partitions;
};

struct txn_fixture {
  asio::io_context io;
  std::vector<log_record> written;
  std::vector<marker> markers;
  int64_t next_pid = 100;
  std::unique_ptr<txn_coordinator> c;

  explicit txn_fixture(txn_config config = {}) {
    c = std::make_unique<txn_coordinator>(
        io.get_executor(), config,
        [this](int32_t, std::vector<log_record> records) -> asio::awaitable<int16_t> {
          for (auto& r : records) written.push_back(std::move(r));
          co_return 0;
        },
        [this](int64_t pid, int16_t epoch, bool commit, int16_t tv,
               std::vector<txn_partition> parts) -> asio::awaitable<std::vector<int16_t>> {
          markers.push_back({pid, epoch, commit, tv, parts});
          co_return std::vector<int16_t>(parts.size(), 0);
        },
        [this]() -> result<int64_t, std::string> { return next_pid++; });
  }

  template <class T>
  T run(asio::awaitable<T> a) {
    std::optional<T> out;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { out = co_await std::move(a); }, asio::detached);
    io.restart();
    io.run();
    EXPECT_TRUE(out.has_value());
    return out.value_or(T{});
  }
  txn_coordinator::producer_answer init(const std::string& id, int32_t timeout = 60000) {
    return run(c->init_producer_id(id, timeout, std::nullopt));
  }
};

TEST(TxnCoordinator, CommitAndAbortWriteMarkersAndRecords) {
  txn_fixture f;
  auto a = f.init("t1");
  ASSERT_EQ(a.error_code, 0);
  EXPECT_EQ(a.producer_id, 100);
  EXPECT_EQ(a.epoch, 0);
  EXPECT_EQ(f.run(f.c->add_partitions("t1", 100, 0, {{"a", 0}, {"b", 1}})), 0);
  EXPECT_EQ(f.c->describe("t1")->state, txn_state::ongoing);
  // Adding what is already there writes nothing.
  const size_t records = f.written.size();
  EXPECT_EQ(f.run(f.c->add_partitions("t1", 100, 0, {{"a", 0}})), 0);
  EXPECT_EQ(f.written.size(), records);
  EXPECT_EQ(f.run(f.c->end_txn("t1", 100, 0, true)).error_code, 0);
  ASSERT_EQ(f.markers.size(), 1u);
  EXPECT_TRUE(f.markers[0].commit);
  EXPECT_EQ(f.markers[0].partitions.size(), 2u);
  EXPECT_EQ(f.c->describe("t1")->state, txn_state::complete_commit);
  // A retried EndTxn is answered again; the other outcome is refused.
  EXPECT_EQ(f.run(f.c->end_txn("t1", 100, 0, true)).error_code, 0);
  EXPECT_EQ(f.run(f.c->end_txn("t1", 100, 0, false)).error_code,
            code(error_code::invalid_txn_state));

  EXPECT_EQ(f.run(f.c->add_partitions("t1", 100, 0, {{"a", 0}})), 0);
  EXPECT_EQ(f.run(f.c->end_txn("t1", 100, 0, false)).error_code, 0);
  ASSERT_EQ(f.markers.size(), 2u);
  EXPECT_FALSE(f.markers[1].commit);
  EXPECT_EQ(f.c->describe("t1")->state, txn_state::complete_abort);
  // Nothing to end.
  EXPECT_EQ(f.run(f.c->end_txn("t1", 100, 0, true)).error_code,
            code(error_code::invalid_txn_state));

  // The records rebuild the same state.
  txn_fixture g;
  for (const auto& r : f.written)
    ASSERT_TRUE(g.c->load(
        r.key, r.value ? std::optional<std::span<const uint8_t>>(*r.value) : std::nullopt));
  auto d = g.c->describe("t1");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->state, txn_state::complete_abort);
  EXPECT_EQ(d->producer_id, 100);
  EXPECT_EQ(d->epoch, 0);
}

TEST(TxnCoordinator, RefusalsAndFencing) {
  txn_fixture f;
  EXPECT_EQ(f.init("t", 0).error_code, code(error_code::invalid_transaction_timeout));
  EXPECT_EQ(f.init("t", 900001).error_code, code(error_code::invalid_transaction_timeout));
  EXPECT_EQ(f.run(f.c->add_partitions("none", 1, 0, {{"a", 0}})),
            code(error_code::invalid_producer_id_mapping));
  auto a = f.init("t");
  EXPECT_EQ(f.run(f.c->add_partitions("t", a.producer_id + 1, 0, {{"a", 0}})),
            code(error_code::invalid_producer_id_mapping));
  EXPECT_EQ(f.run(f.c->end_txn("t", a.producer_id, 0, true)).error_code,
            code(error_code::invalid_txn_state));
  EXPECT_EQ(f.run(f.c->add_partitions("t", a.producer_id, 0, {{"a", 0}})), 0);
  // A second incarnation fences the first: its open transaction is aborted at a bumped epoch
  // and the caller retries.
  auto b = f.init("t");
  EXPECT_EQ(b.error_code, code(error_code::concurrent_transactions));
  ASSERT_EQ(f.markers.size(), 1u);
  EXPECT_FALSE(f.markers[0].commit);
  EXPECT_EQ(f.markers[0].epoch, 1);
  b = f.init("t");
  ASSERT_EQ(b.error_code, 0);
  EXPECT_EQ(b.producer_id, a.producer_id);
  EXPECT_EQ(b.epoch, 2);
  EXPECT_EQ(f.run(f.c->add_partitions("t", a.producer_id, 0, {{"a", 0}})),
            code(error_code::producer_fenced));
  EXPECT_EQ(f.run(f.c->end_txn("t", a.producer_id, 0, true)).error_code,
            code(error_code::producer_fenced));
  // KIP-360: the producer names its id and epoch; a stale pair is fenced.
  EXPECT_EQ(f.run(f.c->init_producer_id("t", 60000, std::pair<int64_t, int16_t>{a.producer_id, 0}))
                .error_code,
            code(error_code::producer_fenced));
  auto c = f.run(f.c->init_producer_id("t", 60000, std::pair<int64_t, int16_t>{b.producer_id, 2}));
  EXPECT_EQ(c.error_code, 0);
  EXPECT_EQ(c.epoch, 3);
  // The verification of KIP-890: only the partitions of the open transaction pass.
  EXPECT_EQ(f.run(f.c->add_partitions("t", c.producer_id, 3, {{"a", 0}})), 0);
  auto v = f.c->verify_partitions("t", c.producer_id, 3, {{"a", 0}, {"a", 1}});
  EXPECT_EQ(v.at({"a", 0}), 0);
  EXPECT_EQ(v.at({"a", 1}), code(error_code::transaction_abortable));
}

TEST(TxnCoordinator, TimeoutsAbortAndListFilters) {
  txn_fixture f;
  auto a = f.init("slow", 1);
  ASSERT_EQ(f.run(f.c->add_partitions("slow", a.producer_id, 0, {{"a", 0}})), 0);
  auto b = f.init("other");
  ASSERT_EQ(b.error_code, 0);
  const int64_t now = f.c->describe("slow")->start_ms + 10;
  auto ongoing = f.c->list({txn_state::ongoing}, {}, -1, std::nullopt, now);
  ASSERT_EQ(ongoing.size(), 1u);
  EXPECT_EQ(ongoing[0].id, "slow");
  EXPECT_EQ(f.c->list({}, {b.producer_id}, -1, std::nullopt, now).size(), 1u);
  EXPECT_EQ(f.c->list({}, {}, -1, std::string("oth.*"), now).size(), 1u);
  EXPECT_EQ(f.c->list({}, {}, 5, std::nullopt, now).size(), 1u);
  f.c->tick(now);
  f.io.restart();
  f.io.run();
  ASSERT_EQ(f.markers.size(), 1u);
  EXPECT_FALSE(f.markers[0].commit);
  EXPECT_EQ(f.markers[0].epoch, 1);
  EXPECT_EQ(f.c->describe("slow")->state, txn_state::complete_abort);
  // The timed-out producer is fenced.
  EXPECT_EQ(f.run(f.c->end_txn("slow", a.producer_id, 0, true)).error_code,
            code(error_code::producer_fenced));
}

TEST(TxnCoordinator, HalfCompletedTransactionsFinishAfterLoad) {
  txn_metadata m;
  m.id = "t";
  m.producer_id = 7;
  m.epoch = 2;
  m.state = txn_state::prepare_commit;
  m.partitions = {{"a", 0}};
  txn_fixture f;
  ASSERT_TRUE(f.c->load(encode_txn_key("t"), encode_txn_value(m)));
  f.c->resume();
  f.io.restart();
  f.io.run();
  ASSERT_EQ(f.markers.size(), 1u);
  EXPECT_TRUE(f.markers[0].commit);
  EXPECT_EQ(f.c->describe("t")->state, txn_state::complete_commit);
  // A tombstone forgets the id; a broken value is not a record.
  EXPECT_TRUE(f.c->load(encode_txn_key("t"), std::nullopt));
  EXPECT_FALSE(f.c->describe("t").has_value());
  std::vector<uint8_t> broken{0, 0, 1};
  EXPECT_FALSE(f.c->load(encode_txn_key("t"), broken));
}

TEST(TxnCoordinator, VersionTwoBumpsTheEpochAtEveryEnd) {
  txn_fixture f;
  auto a = f.init("v2");
  ASSERT_EQ(a.error_code, 0);
  const int64_t pid = a.producer_id;
  // The partition leader adds the partition (Produce v12); EndTxn v5 answers the next epoch and
  // the markers carry it, for transactions version 2.
  EXPECT_EQ(f.run(f.c->add_partitions("v2", pid, 0, {{"a", 0}}, 2)), 0);
  auto e = f.run(f.c->end_txn("v2", pid, 0, true, 2));
  ASSERT_EQ(e.error_code, 0);
  EXPECT_EQ(e.producer_id, pid);
  EXPECT_EQ(e.epoch, 1);
  ASSERT_EQ(f.markers.size(), 1u);
  EXPECT_EQ(f.markers[0].epoch, 1);
  EXPECT_EQ(f.markers[0].tv, 2);
  // A retry (the epoch before) gets the same answer; the other outcome is refused; the old
  // epoch cannot write any more.
  e = f.run(f.c->end_txn("v2", pid, 0, true, 2));
  EXPECT_EQ(e.error_code, 0);
  EXPECT_EQ(e.epoch, 1);
  EXPECT_EQ(f.run(f.c->end_txn("v2", pid, 0, false, 2)).error_code,
            code(error_code::invalid_txn_state));
  EXPECT_EQ(f.run(f.c->add_partitions("v2", pid, 0, {{"a", 0}}, 2)),
            code(error_code::producer_fenced));
  // Nothing open: a commit is refused, an abort bumps the epoch and writes no marker.
  EXPECT_EQ(f.run(f.c->end_txn("v2", pid, 1, true, 2)).error_code,
            code(error_code::invalid_txn_state));
  e = f.run(f.c->end_txn("v2", pid, 1, false, 2));
  EXPECT_EQ(e.error_code, 0);
  EXPECT_EQ(e.epoch, 2);
  EXPECT_EQ(f.markers.size(), 1u);
  EXPECT_EQ(f.run(f.c->end_txn("v2", pid, 0, false, 2)).error_code,
            code(error_code::producer_fenced));

  // The records (TransactionLogValue version 1, with its tagged fields) rebuild the same state.
  txn_fixture g;
  for (const auto& r : f.written)
    ASSERT_TRUE(g.c->load(
        r.key, r.value ? std::optional<std::span<const uint8_t>>(*r.value) : std::nullopt));
  auto d = g.c->describe("v2");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->state, txn_state::complete_abort);
  EXPECT_EQ(d->epoch, 2);
  EXPECT_EQ(d->client_tv, 2);
}

TEST(TxnCoordinator, VersionTwoMovesToANewProducerIdWhenTheEpochRunsOut) {
  txn_metadata m;
  m.id = "old";
  m.producer_id = 7;
  m.epoch = std::numeric_limits<int16_t>::max() - 1;
  m.state = txn_state::ongoing;
  m.client_tv = 2;
  m.partitions = {{"a", 0}};
  m.start_ms = 1;
  txn_fixture f;
  ASSERT_TRUE(f.c->load(encode_txn_key("old"), encode_txn_value(m)));
  auto e = f.run(f.c->end_txn("old", 7, m.epoch, true, 2));
  ASSERT_EQ(e.error_code, 0);
  EXPECT_EQ(e.producer_id, 100);
  EXPECT_EQ(e.epoch, 0);
  // The markers are the old id's, at the last epoch.
  ASSERT_EQ(f.markers.size(), 1u);
  EXPECT_EQ(f.markers[0].pid, 7);
  EXPECT_EQ(f.markers[0].epoch, std::numeric_limits<int16_t>::max());
  // A retry from before the move is known.
  e = f.run(f.c->end_txn("old", 7, m.epoch, true, 2));
  EXPECT_EQ(e.error_code, 0);
  EXPECT_EQ(e.producer_id, 100);
  EXPECT_EQ(e.epoch, 0);
  EXPECT_EQ(f.run(f.c->add_partitions("old", 100, 0, {{"a", 0}}, 2)), 0);
}

TEST(TxnCoordinator, VersionTwoFencingAbortsAtOneEpochUp) {
  txn_fixture f;
  auto a = f.init("z");
  ASSERT_EQ(f.run(f.c->add_partitions("z", a.producer_id, 0, {{"a", 0}}, 2)), 0);
  EXPECT_EQ(f.init("z").error_code, code(error_code::concurrent_transactions));
  ASSERT_EQ(f.markers.size(), 1u);
  EXPECT_EQ(f.markers[0].epoch, 1);
  EXPECT_EQ(f.markers[0].tv, 2);
  EXPECT_EQ(f.c->describe("z")->epoch, 1);
  EXPECT_EQ(f.init("z").epoch, 2);
  // A broker of transactions version 1 bumps first and aborts at that epoch.
  txn_config v1;
  v1.transaction_version = 1;
  txn_fixture g(v1);
  a = g.init("z");
  ASSERT_EQ(g.run(g.c->add_partitions("z", a.producer_id, 0, {{"a", 0}})), 0);
  EXPECT_EQ(g.init("z").error_code, code(error_code::concurrent_transactions));
  ASSERT_EQ(g.markers.size(), 1u);
  EXPECT_EQ(g.markers[0].epoch, 1);
  EXPECT_EQ(g.markers[0].tv, 1);
}

}  // namespace
}  // namespace brook::coordinator
