#include "broker/partition.h"

#include <asio/post.hpp>

#include "base/log.h"
#include "protocol/errors.h"
#include "protocol/records/byte_order.h"
#include "protocol/records/record_batch.h"
#include "storage/validator.h"

namespace brook::broker {

namespace {
const log::logger lg("partition");
using protocol::error_code;
int16_t code(error_code e) { return static_cast<int16_t>(e); }
}  // namespace

partition::partition(std::string topic, wire::uuid topic_id, int32_t index,
                     std::unique_ptr<storage::partition_log> log, storage::log_config config)
    : _topic(std::move(topic)),
      _topic_id(topic_id),
      _index(index),
      _log(std::move(log)),
      _config(config) {
  if (_log->latest_epoch() < _leader_epoch) _log->assign_epoch(_leader_epoch, _log->end_offset());
}

produce_outcome partition::append(std::span<uint8_t> records, int16_t produce_version,
                                  int64_t now_ms, bool from_coordinator) {
  produce_outcome out;
  storage::append_options o;
  o.config = _config;
  o.now_ms = now_ms;
  o.leader_epoch = _leader_epoch;
  o.produce_version = produce_version;
  auto v = storage::validate_for_append(records, _log->end_offset(), o);
  if (!v) {
    out.error_code = static_cast<int16_t>(v.error().code);
    out.error_message = v.error().message;
    for (const auto& e : v.error().record_errors)
      out.record_errors.push_back({e.batch_index, e.message});
    out.log_start_offset = _log->log_start_offset();
    return out;
  }
  if (v->record_count == 0) {
    // Kafka answers a Produce without records with no error and no offset.
    out.log_start_offset = _log->log_start_offset();
    return out;
  }
  // Idempotent and transactional producers: a retried batch is answered as it was the first
  // time; one out of sequence or from a fenced epoch is refused.
  const auto bytes = v->bytes();
  if (protocol::records::load_be<int64_t>(bytes.data() + 43) >= 0) {
    const protocol::records::batch_view b(bytes);
    const auto verdict = _log->producers().check(
        {b.producer_id(), b.producer_epoch(), b.base_sequence(), b.last_sequence(), v->first_offset,
         v->last_offset, b.max_timestamp(), b.is_transactional(), false});
    // A coordinator's own transactional writes (TxnOffsetCommit) carry sequence 0 each time:
    // only their epoch is checked, as Kafka checks sequences only for clients.
    auto kind = verdict.kind;
    if (from_coordinator && (kind == storage::producer_verdict::duplicate ||
                             kind == storage::producer_verdict::out_of_order_sequence))
      kind = storage::producer_verdict::append;
    switch (kind) {
      case storage::producer_verdict::append:
        break;
      case storage::producer_verdict::duplicate:
        // As Kafka: the original batch's offset and timestamp, nothing written.
        out.base_offset = verdict.original.first_offset;
        out.log_append_time = verdict.original.timestamp;
        out.log_start_offset = _log->log_start_offset();
        return out;
      case storage::producer_verdict::out_of_order_sequence:
      case storage::producer_verdict::invalid_epoch:
      case storage::producer_verdict::invalid_txn_state:
      case storage::producer_verdict::coordinator_fenced:
        lg.debug("{}-{}: {}", _topic, _index, verdict.message);
        out.error_code = code(verdict.kind == storage::producer_verdict::invalid_epoch
                                  ? error_code::invalid_producer_epoch
                              : verdict.kind == storage::producer_verdict::invalid_txn_state
                                  ? error_code::invalid_txn_state
                                  : error_code::out_of_order_sequence_number);
        out.log_start_offset = _log->log_start_offset();
        return out;
    }
  }
  storage::append_info info;
  info.first_offset = v->first_offset;
  info.last_offset = v->last_offset;
  info.max_timestamp = v->max_timestamp;
  info.offset_of_max_timestamp = v->offset_of_max_timestamp;
  info.record_count = v->record_count;
  auto appended = _log->append(v->bytes(), info);
  if (!appended) {
    lg.error("{}-{}: append failed: {}", _topic, _index, appended.error().message);
    out.error_code = code(error_code::kafka_storage_error);
    out.error_message = appended.error().message;
    return out;
  }
  out.base_offset = v->first_offset;
  out.log_append_time = v->log_append_time;
  out.log_start_offset = _log->log_start_offset();
  wake_waiters();
  return out;
}

int16_t partition::append_marker(int64_t producer_id, int16_t producer_epoch, bool commit,
                                 int32_t coordinator_epoch, int8_t transaction_version,
                                 int64_t now_ms) {
  storage::marker_request m;
  m.producer_id = producer_id;
  m.producer_epoch = producer_epoch;
  m.commit = commit;
  m.coordinator_epoch = coordinator_epoch;
  m.transaction_version = transaction_version;
  m.leader_epoch = _leader_epoch;
  m.now_ms = now_ms;
  auto r = _log->append_marker(m);
  if (!r) {
    switch (r.error().code) {
      case storage::storage_errc::invalid_producer_epoch:
        lg.debug("{}-{}: {}", _topic, _index, r.error().message);
        return code(error_code::invalid_producer_epoch);
      case storage::storage_errc::coordinator_fenced:
        lg.debug("{}-{}: {}", _topic, _index, r.error().message);
        return code(error_code::transaction_coordinator_fenced);
      default:
        lg.error("{}-{}: marker append failed: {}", _topic, _index, r.error().message);
        return code(error_code::kafka_storage_error);
    }
  }
  wake_waiters();
  // flush.messages=1: on disk before the coordinator hears that it is written.
  if (_log->needs_sync_before_ack())
    if (auto f = _log->flush(); !f) {
      lg.error("{}-{}: flush failed: {}", _topic, _index, f.error().message);
      return code(error_code::kafka_storage_error);
    }
  return 0;
}

fetch_outcome partition::read(int64_t offset, int32_t max_bytes, bool min_one_batch,
                              size_t file_threshold, bool read_committed) {
  fetch_outcome out;
  out.high_watermark = high_watermark();
  // Kafka reports the last stable offset whatever the isolation level.
  out.last_stable_offset = last_stable_offset();
  out.log_start_offset = _log->log_start_offset();
  auto r = _log->read(offset, max_bytes,
                      read_committed ? out.last_stable_offset : out.high_watermark, min_one_batch);
  if (!r) {
    out.error_code = r.error().code == storage::storage_errc::offset_out_of_range
                         ? code(error_code::offset_out_of_range)
                         : code(error_code::kafka_storage_error);
    return out;
  }
  if (read_committed && r->size() > 0)
    out.aborted = _log->collect_aborted_txns(offset, r->last_offset() + 1);
  if (r->size() >= file_threshold) {
    out.file = std::move(*r);
    return out;
  }
  if (auto e = r->read_into(out.records); !e) {
    out.records.clear();
    out.error_code = code(error_code::kafka_storage_error);
  }
  return out;
}

void partition::add_waiter(asio::io_context& home, std::weak_ptr<net::event> ev) {
  std::erase_if(_waiters, [](const auto& w) { return w.second.expired(); });
  _waiters.emplace_back(&home, std::move(ev));
}

void partition::wake_waiters() {
  if (_waiters.empty()) return;
  for (auto& [ctx, weak] : _waiters)
    asio::post(*ctx, [weak = std::move(weak)] {
      if (auto e = weak.lock()) e->set();
    });
  _waiters.clear();
}

void partition::maintain(int64_t now_ms) {
  _log->roll_if_due(now_ms);
  _log->enforce_retention(now_ms);
  _log->expire_producers(now_ms);
}

void partition::close() {
  if (auto r = _log->close(); !r)
    lg.error("{}-{}: close failed: {}", _topic, _index, r.error().message);
}

void partition::remove() {
  if (auto r = _log->remove(); !r)
    lg.error("{}-{}: remove failed: {}", _topic, _index, r.error().message);
}

}  // namespace brook::broker
