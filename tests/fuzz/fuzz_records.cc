// libFuzzer target: record data as a broker receives it. The first input byte selects the form of
// the rest: even, a bare record set; odd, a request frame body whose Produce record sets are taken
// (so the real-client Produce captures seed it with valid batches of every codec). Every entry is
// walked, validated and decoded within a bound; what decodes must encode again to the same records.
// Nothing may crash, overread or allocate without bound.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "protocol/generated/produce_request.h"
#include "protocol/records/legacy.h"
#include "protocol/records/record_batch.h"
#include "protocol/records/record_set.h"
#include "protocol/request.h"

using namespace brook;
using namespace brook::protocol;
using namespace brook::protocol::records;

namespace {

// Small enough that a fuzzer-made "zip bomb" hits the bound quickly.
constexpr size_t k_max_uncompressed = 1 << 20;

void check_batch(const batch_view& batch) {
  bool crc_ok = batch.crc_matches();
  std::vector<record> decoded;
  try {
    decoded = decode_records(batch, k_max_uncompressed);
  } catch (const wire::decode_error&) {
    return;
  }
  // Structure decodes: a full validation then fails only on the CRC.
  if (crc_ok) {
    try {
      validate(batch, k_max_uncompressed);
    } catch (const wire::decode_error&) {
      std::abort();
    }
  }
  batch_header h = batch.header();
  // Re-encode uncompressed (a fuzzed compressed stream need not re-compress to the same bytes).
  h.attributes = static_cast<int16_t>(h.attributes & ~k_attr_codec_mask);
  auto again = encode_batch(h, decoded);
  batch_view v(again);
  validate(v, SIZE_MAX);
  if (decode_records(v, SIZE_MAX) != decoded) std::abort();
}

void check_legacy(std::span<const uint8_t> bytes) {
  try {
    legacy_message_view m(bytes);
    auto messages = decode_legacy_entry(m, k_max_uncompressed);
    if (messages.empty()) std::abort();
  } catch (const wire::decode_error&) {
  }
}

void check_set(std::span<const uint8_t> set) {
  record_set_reader reader(set);
  for (int entries = 0; entries < 10000; ++entries) {
    std::optional<record_set_entry> e;
    try {
      e = reader.next();
    } catch (const wire::decode_error&) {
      return;
    }
    if (!e) {
      if (reader.position() + reader.partial_size() != set.size()) std::abort();
      return;
    }
    if (e->magic == k_magic_v2) {
      try {
        check_batch(e->batch());
      } catch (const wire::decode_error&) {
      }
    } else {
      check_legacy(e->bytes);
    }
  }
}

void check_produce_frame(std::span<const uint8_t> frame) {
  wire::reader r(frame);
  try {
    auto h = decode_request_header(r);
    if (h.header.request_api_key != 0) return;
    const int16_t v = h.header.request_api_version;
    if (v < produce_request::min_version || v > produce_request::max_version) return;
    auto p = produce_request::decode(r, v);
    for (const auto& t : p.topic_data)
      for (const auto& part : t.partition_data)
        if (part.records) check_set(part.records->span());
  } catch (const wire::decode_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> rest(data + 1, size - 1);
  if (data[0] & 1)
    check_produce_frame(rest);
  else
    check_set(rest);
  return 0;
}
