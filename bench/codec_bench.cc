// Codec throughput: encoding a Metadata response with 1000 partitions, and decoding plus
// re-encoding a Produce request that carries one batch of 1000 records of 100 bytes: the request
// alone (records as opaque bytes, which is all a broker's append needs), and the request with its
// batch validated (CRC32C and record structure), decoded record by record and encoded again. Each
// case has a memcpy of the same bytes beside it as the reference; bench/report.py prints the ratio.
#include <benchmark/benchmark.h>

#include <cstring>

#include "protocol/generated/metadata_response.h"
#include "protocol/generated/produce_request.h"
#include "protocol/records/record_batch.h"

using namespace brook;
using namespace brook::protocol;

namespace {

metadata_response make_metadata(int partitions) {
  metadata_response m;
  m.brokers.push_back({});
  m.brokers[0].node_id = 1;
  m.brokers[0].host = "127.0.0.1";
  m.brokers[0].port = 9092;
  m.cluster_id = "brook-cluster";
  m.controller_id = 1;
  auto& t = m.topics.emplace_back();
  t.name = "bench-topic";
  t.topic_id = wire::uuid::from_halves(1, 2);
  for (int p = 0; p < partitions; ++p) {
    auto& part = t.partitions.emplace_back();
    part.partition_index = p;
    part.leader_id = 1;
    part.leader_epoch = 3;
    part.replica_nodes = {1};
    part.isr_nodes = {1};
  }
  return m;
}

// A produce request of one partition whose records field holds one batch of `records` records,
// each with a 16-byte key and an 84-byte value.
produce_request make_produce(int records) {
  records::batch_options o;
  o.producer_id = 7;
  o.producer_epoch = 0;
  o.base_sequence = 0;
  records::batch_builder b(o);
  std::vector<uint8_t> key(16, 'k'), value(84, 'v');
  for (int i = 0; i < records; ++i) {
    key[0] = static_cast<uint8_t>(i);
    b.append(1'700'000'000'000 + i, key, value);
  }
  produce_request p;
  p.acks = -1;
  p.timeout_ms = 30000;
  auto& t = p.topic_data.emplace_back();
  t.name = "bench-topic";
  auto& part = t.partition_data.emplace_back();
  part.index = 0;
  part.records = wire::shared_bytes(b.build());
  return p;
}

void memcpy_reference(benchmark::State& state, size_t bytes) {
  std::vector<uint8_t> src(bytes, 1), dst(bytes);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * bytes);
}

void bm_metadata_response_encode(benchmark::State& state) {
  auto m = make_metadata(1000);
  const int16_t v = 12;
  size_t bytes = 0;
  for (auto _ : state) {
    wire::writer w(m.encoded_size(v));
    m.encode(w, v);
    bytes = w.size();
    benchmark::DoNotOptimize(w.bytes().data());
  }
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["ns_per_partition"] = benchmark::Counter(
      1000.0 * state.iterations() / 1e9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void bm_metadata_response_memcpy(benchmark::State& state) {
  auto m = make_metadata(1000);
  memcpy_reference(state, m.encoded_size(12));
}

void bm_produce_request_decode_encode(benchmark::State& state) {
  auto p = make_produce(1000);
  const int16_t v = 11;
  wire::writer w;
  p.encode(w, v);
  auto bytes = std::make_shared<wire::byte_buffer>(w.take());
  for (auto _ : state) {
    wire::reader r(*bytes, bytes);
    auto d = produce_request::decode(r, v);
    wire::writer out(bytes->size());
    d.encode(out, v);
    benchmark::DoNotOptimize(out.bytes().data());
  }
  state.SetBytesProcessed(state.iterations() * bytes->size());
  state.counters["ns_per_record"] = benchmark::Counter(
      1000.0 * state.iterations() / 1e9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void bm_produce_request_with_records(benchmark::State& state) {
  auto p = make_produce(1000);
  const int16_t v = 11;
  wire::writer w;
  p.encode(w, v);
  auto bytes = std::make_shared<wire::byte_buffer>(w.take());
  size_t records = 0;
  for (auto _ : state) {
    wire::reader r(*bytes, bytes);
    auto d = produce_request::decode(r, v);
    auto& part = d.topic_data[0].partition_data[0];
    records::batch_view batch(part.records->span(), bytes);
    records::validate(batch, 1 << 20);
    auto decoded = records::decode_records(batch, 1 << 20);
    records = decoded.size();
    part.records = wire::shared_bytes(records::encode_batch(batch.header(), decoded));
    wire::writer out(d.encoded_size(v));
    d.encode(out, v);
    benchmark::DoNotOptimize(out.bytes().data());
  }
  if (records != 1000) state.SkipWithError("the batch did not decode to 1000 records");
  state.SetBytesProcessed(state.iterations() * bytes->size());
  state.counters["ns_per_record"] = benchmark::Counter(
      1000.0 * state.iterations() / 1e9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void bm_produce_request_memcpy(benchmark::State& state) {
  auto p = make_produce(1000);
  memcpy_reference(state, p.encoded_size(11));
}

}  // namespace

// Pairs named brook/<case> and reference/<case>: bench/report.py prints their ratio.
BENCHMARK(bm_metadata_response_encode)->Name("brook/metadata_response_1000_partitions_encode");
BENCHMARK(bm_metadata_response_memcpy)->Name("reference/metadata_response_1000_partitions_encode");
BENCHMARK(bm_produce_request_decode_encode)
    ->Name("brook/produce_request_1000_records_decode_encode");
BENCHMARK(bm_produce_request_memcpy)->Name("reference/produce_request_1000_records_decode_encode");
BENCHMARK(bm_produce_request_with_records)
    ->Name("brook/produce_request_1000_records_decode_validate_encode_batch");
BENCHMARK(bm_produce_request_memcpy)
    ->Name("reference/produce_request_1000_records_decode_validate_encode_batch");
BENCHMARK_MAIN();
