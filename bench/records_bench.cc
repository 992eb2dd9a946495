// Record batch costs on the broker's hot path: checking the CRC32C of every batch a producer sends
// (1 MiB batch, hardware and table implementations) and decoding records (a batch of 1000 records
// with 100-byte values, uncompressed and lz4). Each case has a memcpy of the same bytes beside it
// (the uncompressed batch for the lz4 case) as the reference; bench/report.py prints the ratio.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <random>

#include "protocol/records/checksum.h"
#include "protocol/records/record_batch.h"

using namespace brook;
using namespace brook::protocol::records;

namespace {

// Records with an 8-byte key and a 100-byte value of random letters, until the batch holds
// `records` records or reaches `bytes` bytes, whichever comes first.
std::shared_ptr<wire::byte_buffer> make_batch(int records, size_t bytes, codec c) {
  std::mt19937 rng(42);
  batch_options o;
  o.compression = c;
  o.producer_id = 1;
  o.producer_epoch = 0;
  o.base_sequence = 0;
  batch_builder b(o);
  std::vector<uint8_t> key(8), value(100);
  for (int i = 0; i < records && b.uncompressed_size() < bytes; ++i) {
    for (auto& x : key) x = static_cast<uint8_t>('a' + rng() % 26);
    for (auto& x : value) x = static_cast<uint8_t>('a' + rng() % 26);
    b.append(1700000000000 + i, key, value);
  }
  return std::make_shared<wire::byte_buffer>(b.build());
}

void memcpy_reference(benchmark::State& state, size_t bytes) {
  std::vector<uint8_t> src(bytes, 1), dst(bytes);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), bytes);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

constexpr size_t k_mib = 1 << 20;

const wire::byte_buffer& mib_batch() {
  static const auto batch = make_batch(INT32_MAX, k_mib, codec::none);
  return *batch;
}

void bm_crc32c_validate(benchmark::State& state) {
  const auto& bytes = mib_batch();
  for (auto _ : state) {
    batch_view v(bytes);
    bool ok = v.crc_matches();
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.counters["hardware"] = crc32c_hardware_available() ? 1 : 0;
}

void bm_crc32c_software(benchmark::State& state) {
  const auto& bytes = mib_batch();
  for (auto _ : state) {
    uint32_t crc = crc32c_software(std::span(bytes).subspan(21));
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

void bm_mib_memcpy(benchmark::State& state) { memcpy_reference(state, mib_batch().size()); }

constexpr int k_records = 1000;

// Throughput counts the uncompressed batch, for compressed cases too: the record data produced.
size_t uncompressed_batch_size() {
  static const size_t size = make_batch(k_records, SIZE_MAX, codec::none)->size();
  return size;
}

void decode_case(benchmark::State& state, codec c, bool full_validation) {
  auto bytes = make_batch(k_records, SIZE_MAX, c);
  for (auto _ : state) {
    batch_view v(*bytes, bytes);
    if (full_validation) validate(v, 64 * k_mib);
    auto records = decode_records(v, 64 * k_mib);
    benchmark::DoNotOptimize(records.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * uncompressed_batch_size()));
  state.counters["ns_per_record"] =
      benchmark::Counter(static_cast<double>(k_records) * state.iterations() / 1e9,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void bm_decode_uncompressed(benchmark::State& state) { decode_case(state, codec::none, false); }
void bm_validate_decode_uncompressed(benchmark::State& state) {
  decode_case(state, codec::none, true);
}
void bm_decode_lz4(benchmark::State& state) { decode_case(state, codec::lz4, false); }

void bm_batch_memcpy(benchmark::State& state) {
  memcpy_reference(state, uncompressed_batch_size());
}

}  // namespace

// Pairs named brook/<case> and reference/<case>: bench/report.py prints their ratio.
BENCHMARK(bm_crc32c_validate)->Name("brook/crc32c_validate_1mib_batch");
BENCHMARK(bm_mib_memcpy)->Name("reference/crc32c_validate_1mib_batch");
BENCHMARK(bm_crc32c_software)->Name("brook/crc32c_software_1mib_batch");
BENCHMARK(bm_mib_memcpy)->Name("reference/crc32c_software_1mib_batch");
BENCHMARK(bm_decode_uncompressed)->Name("brook/decode_1000_records_100b");
BENCHMARK(bm_batch_memcpy)->Name("reference/decode_1000_records_100b");
BENCHMARK(bm_validate_decode_uncompressed)->Name("brook/validate_decode_1000_records_100b");
BENCHMARK(bm_batch_memcpy)->Name("reference/validate_decode_1000_records_100b");
BENCHMARK(bm_decode_lz4)->Name("brook/decode_lz4_1000_records_100b");
BENCHMARK(bm_batch_memcpy)->Name("reference/decode_lz4_1000_records_100b");
BENCHMARK_MAIN();
