#include "storage/producer_state.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>

#include "protocol/records/byte_order.h"
#include "protocol/records/checksum.h"

namespace brook::storage {

namespace {
namespace rec = protocol::records;

constexpr uint8_t k_magic[4] = {'B', 'R', 'P', 'S'};
constexpr uint16_t k_version = 1;

// Kafka's inSequence: the next sequence after `last`, with INT32_MAX wrapping to 0.
bool in_sequence(int32_t last, int32_t next) {
  return next == (last == std::numeric_limits<int32_t>::max() ? 0 : last + 1);
}

class writer {
 public:
  template <class T>
  void put(T v) {
    uint8_t b[sizeof(T)];
    rec::store_be<T>(b, v);
    _out.insert(_out.end(), b, b + sizeof(T));
  }
  std::vector<uint8_t>& bytes() { return _out; }

 private:
  std::vector<uint8_t> _out;
};

class reader {
 public:
  explicit reader(std::span<const uint8_t> in) : _in(in) {}
  template <class T>
  std::optional<T> get() {
    if (_in.size() - _pos < sizeof(T)) return std::nullopt;
    T v = rec::load_be<T>(_in.data() + _pos);
    _pos += sizeof(T);
    return v;
  }
  size_t remaining() const { return _in.size() - _pos; }

 private:
  std::span<const uint8_t> _in;
  size_t _pos = 0;
};

}  // namespace

producer_verdict producer_state::check(const producer_append& b) const {
  producer_verdict v;
  const producer_entry* e = find(b.producer_id);
  if (!e) return v;  // unknown: any sequence starts it
  if (b.epoch == e->epoch)
    for (const auto& old : e->batches) {
      // A transactional batch can only repeat one of the transaction open now: a match from an
      // earlier one (before the open transaction's first batch, or none is open) reuses its
      // sequence numbers instead. librdkafka does, after aborting with a batch whose outcome it
      // did not know; taking it for a duplicate, as Kafka would, drops it from a transaction that
      // then commits. It is out of sequence.
      if (b.transactional && (e->txn_first_offset < 0 || old.first_offset < e->txn_first_offset))
        continue;
      if (old.first_seq == b.first_seq && old.last_seq == b.last_seq) {
        v.kind = producer_verdict::duplicate;
        v.original = old;
        return v;
      }
    }
  if (b.epoch < e->epoch) {
    v.kind = producer_verdict::invalid_epoch;
    v.message = fmt::format(
        "Epoch of producer {} at offset {} is {}, which is smaller than the last seen epoch {}",
        b.producer_id, b.first_offset, b.epoch, e->epoch);
    return v;
  }
  if (b.epoch != e->epoch) {
    // A new epoch starts over at 0, unless the producer never had one.
    if (b.first_seq != 0 && e->epoch != -1) {
      v.kind = producer_verdict::out_of_order_sequence;
      v.message = fmt::format(
          "Invalid sequence number for new epoch of producer {} at offset {}: {} (request "
          "epoch), {} (seq. number), {} (current producer epoch)",
          b.producer_id, b.first_offset, b.epoch, b.first_seq, e->epoch);
      return v;
    }
  } else if (e->epoch != -1 && !in_sequence(e->last_seq(), b.first_seq)) {
    v.kind = producer_verdict::out_of_order_sequence;
    v.message = fmt::format(
        "Out of order sequence number for producer {} at offset {}: {} (incoming seq. number), "
        "{} (current end sequence number)",
        b.producer_id, b.first_offset, b.first_seq, e->last_seq());
    return v;
  }
  if (e->txn_first_offset >= 0 && !b.transactional) {
    v.kind = producer_verdict::invalid_txn_state;
    v.message = fmt::format(
        "Expected a transactional write from producer {} at offset {}: its transaction from "
        "offset {} is open",
        b.producer_id, b.first_offset, e->txn_first_offset);
  }
  return v;
}

producer_verdict producer_state::check_marker(int64_t producer_id, int16_t epoch,
                                              int32_t coordinator_epoch,
                                              int8_t transaction_version) const {
  producer_verdict v;
  const producer_entry* e = find(producer_id);
  if (!e) return v;
  const bool fenced = transaction_version >= 2 ? epoch <= e->epoch : epoch < e->epoch;
  if (fenced) {
    v.kind = producer_verdict::invalid_epoch;
    v.message = fmt::format(
        "Marker epoch {} of producer {} is {} the last seen epoch {} (transaction version {})",
        epoch, producer_id, transaction_version >= 2 ? "at or below" : "below", e->epoch,
        transaction_version);
    return v;
  }
  if (e->coordinator_epoch > coordinator_epoch) {
    v.kind = producer_verdict::coordinator_fenced;
    v.message =
        fmt::format("Marker of producer {} from coordinator epoch {}, older than the last one {}",
                    producer_id, coordinator_epoch, e->coordinator_epoch);
  }
  return v;
}

void producer_state::set_txn_first_offset(producer_entry& e, int64_t offset) {
  if (e.txn_first_offset >= 0) {
    auto [lo, hi] = _ongoing.equal_range(e.txn_first_offset);
    for (auto it = lo; it != hi; ++it)
      if (it->second == e.producer_id) {
        _ongoing.erase(it);
        break;
      }
  }
  e.txn_first_offset = offset;
  if (offset >= 0) _ongoing.emplace(offset, e.producer_id);
}

std::optional<completed_txn> producer_state::apply(const producer_append& b) {
  if (b.producer_id < 0) return std::nullopt;
  // A control batch without a marker: Kafka's empty control batch, whose transaction the
  // cleaner removed, changes nothing.
  if (b.control && !b.marker) return std::nullopt;
  auto& e = _producers[b.producer_id];
  e.producer_id = b.producer_id;
  if (b.epoch != e.epoch) {
    e.epoch = b.epoch;
    e.batches.clear();
  }
  std::optional<completed_txn> done;
  if (!b.control) {
    e.batches.push_back({b.first_seq, b.last_seq, b.first_offset, b.last_offset, b.max_timestamp});
    while (e.batches.size() > k_producer_batches_retained) e.batches.pop_front();
    if (b.transactional && e.txn_first_offset < 0) set_txn_first_offset(e, b.first_offset);
  } else {
    // A transaction marker ends the producer's transaction, if one is open.
    if (e.txn_first_offset >= 0)
      done = completed_txn{b.producer_id, e.txn_first_offset, b.first_offset, !b.commit};
    set_txn_first_offset(e, -1);
    e.coordinator_epoch = b.coordinator_epoch;
  }
  e.last_timestamp = b.max_timestamp;
  return done;
}

void producer_state::evict_below(int64_t log_start) {
  std::erase_if(_producers, [&](const auto& p) {
    const auto& e = p.second;
    return e.txn_first_offset < 0 && !e.batches.empty() && e.last_offset() < log_start;
  });
}

size_t producer_state::expire(int64_t now_ms, int64_t expiration_ms) {
  return std::erase_if(_producers, [&](const auto& p) {
    return p.second.txn_first_offset < 0 && now_ms - p.second.last_timestamp >= expiration_ms;
  });
}

const producer_entry* producer_state::find(int64_t producer_id) const {
  auto it = _producers.find(producer_id);
  return it == _producers.end() ? nullptr : &it->second;
}

std::vector<uint8_t> producer_state::encode() const {
  writer w;
  w.bytes().insert(w.bytes().end(), std::begin(k_magic), std::end(k_magic));
  w.put<uint16_t>(k_version);
  w.put<uint32_t>(static_cast<uint32_t>(_producers.size()));
  for (const auto& [id, e] : _producers) {
    w.put<int64_t>(id);
    w.put<int16_t>(e.epoch);
    w.put<int32_t>(e.coordinator_epoch);
    w.put<int64_t>(e.last_timestamp);
    w.put<int64_t>(e.txn_first_offset);
    w.put<uint8_t>(static_cast<uint8_t>(e.batches.size()));
    for (const auto& b : e.batches) {
      w.put<int32_t>(b.first_seq);
      w.put<int32_t>(b.last_seq);
      w.put<int64_t>(b.first_offset);
      w.put<int64_t>(b.last_offset);
      w.put<int64_t>(b.timestamp);
    }
  }
  w.put<uint32_t>(rec::crc32c(w.bytes()));
  return std::move(w.bytes());
}

std::optional<producer_state> producer_state::decode(std::span<const uint8_t> bytes) {
  if (bytes.size() < sizeof(k_magic) + 2 + 4 + 4 ||
      std::memcmp(bytes.data(), k_magic, sizeof(k_magic)) != 0)
    return std::nullopt;
  const auto body = bytes.first(bytes.size() - 4);
  if (rec::crc32c(body) != rec::load_be<uint32_t>(bytes.data() + body.size())) return std::nullopt;
  reader r(body.subspan(sizeof(k_magic)));
  auto version = r.get<uint16_t>();
  auto count = r.get<uint32_t>();
  if (!version || *version != k_version || !count) return std::nullopt;
  producer_state s;
  for (uint32_t i = 0; i < *count; ++i) {
    producer_entry e;
    auto id = r.get<int64_t>();
    auto epoch = r.get<int16_t>();
    auto coordinator_epoch = r.get<int32_t>();
    auto last_ts = r.get<int64_t>();
    auto txn = r.get<int64_t>();
    auto n = r.get<uint8_t>();
    if (!n || *n > k_producer_batches_retained) return std::nullopt;
    e.producer_id = *id;
    e.epoch = *epoch;
    e.coordinator_epoch = *coordinator_epoch;
    e.last_timestamp = *last_ts;
    e.txn_first_offset = *txn;
    for (uint8_t k = 0; k < *n; ++k) {
      producer_batch b;
      auto fs = r.get<int32_t>();
      auto ls = r.get<int32_t>();
      auto fo = r.get<int64_t>();
      auto lo = r.get<int64_t>();
      auto ts = r.get<int64_t>();
      if (!ts) return std::nullopt;
      b = {*fs, *ls, *fo, *lo, *ts};
      e.batches.push_back(b);
    }
    if (e.txn_first_offset >= 0) s._ongoing.emplace(e.txn_first_offset, e.producer_id);
    s._producers[e.producer_id] = std::move(e);
  }
  if (r.remaining() != 0) return std::nullopt;
  return s;
}

}  // namespace brook::storage
