#include "protocol/request.h"

#include <fmt/format.h>

#include "protocol/generated/api_keys.h"

namespace brook::protocol {

int16_t request_header_version_for(int16_t key, int16_t version) {
  const api_info* api = find_api(key);
  if (!api) return -1;
  if (version >= api->min_version && version <= api->max_version)
    return request_header_version(key, version);
  // Outside the known range: flexible versions never become non-flexible again.
  return (api->first_flexible_version >= 0 && version >= api->first_flexible_version) ? 2 : 1;
}

decoded_request_header decode_request_header(wire::reader& r) {
  // Every header version starts with the API key and version; peek at them to pick the layout.
  wire::reader peek = r;
  const int16_t key = peek.read_int16();
  const int16_t version = peek.read_int16();
  const int16_t header_version = request_header_version_for(key, version);
  if (header_version < 0) throw wire::decode_error(fmt::format("unknown API key {}", key));
  decoded_request_header out;
  out.header = request_header::decode(r, header_version);
  out.header_version = header_version;
  return out;
}

}  // namespace brook::protocol
