// Codec throughput: encoding a Metadata response with 1000 partitions, and decoding plus
// re-encoding a Produce request that carries 1000 records. Each case has a memcpy of the same
// bytes beside it as the reference; the ratio is printed as a counter (bytes/s relative to memcpy).
#include <benchmark/benchmark.h>

#include <cstring>

#include "protocol/generated/metadata_response.h"
#include "protocol/generated/produce_request.h"

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

// A produce request of one partition whose records field holds `records` records of 100 bytes.
// The codec carries records as opaque bytes; their layout is the record batch's business.
produce_request make_produce(int records) {
  produce_request p;
  p.acks = -1;
  p.timeout_ms = 30000;
  auto& t = p.topic_data.emplace_back();
  t.name = "bench-topic";
  auto& part = t.partition_data.emplace_back();
  part.index = 0;
  part.records = wire::shared_bytes(std::vector<uint8_t>(61 + records * 110, 0x5a));
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
BENCHMARK_MAIN();
