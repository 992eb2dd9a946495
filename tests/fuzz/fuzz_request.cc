// libFuzzer target: a request frame body (header + request), then the matching response body for
// the same API version. Whatever decodes must re-encode, and that encoding must decode and
// encode to the same bytes; nothing may crash, overread or allocate without bound.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "protocol/generated/messages.h"
#include "protocol/request.h"

using namespace brook;
using namespace brook::protocol;

namespace {

template <class M>
void round_trip(std::span<const uint8_t> data, int16_t version) {
  wire::reader r(data);
  M m;
  try {
    m = M::decode(r, version);
  } catch (const wire::decode_error&) {
    return;
  }
  wire::writer w;
  try {
    m.encode(w, version);
  } catch (const wire::encode_error&) {
    // Decoded values are always encodable in the version they came in.
    std::abort();
  }
  if (w.size() != m.encoded_size(version)) std::abort();
  auto bytes = w.take();
  // Compared as bytes, not values: a float64 NaN decodes to a value unequal to itself.
  wire::reader r2(bytes);
  M again = M::decode(r2, version);
  wire::writer w2;
  again.encode(w2, version);
  if (!std::ranges::equal(w2.bytes(), bytes)) std::abort();
  wire::json_writer j;
  m.write_json(j, version);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  wire::reader r(in);
  decoded_request_header h;
  try {
    h = decode_request_header(r);
  } catch (const wire::decode_error&) {
    return 0;
  }
  const int16_t version = h.header.request_api_version;
  auto body = in.subspan(r.position());
  visit_api(h.header.request_api_key, [&]<class Api>() {
    using req = typename Api::request;
    using resp = typename Api::response;
    if (version < req::min_version || version > req::max_version) return;
    round_trip<req>(body, version);
    round_trip<resp>(body, version);
  });
  return 0;
}
