// The entry point for an incoming request frame: the header, whose own version follows from the
// API key and version it carries, then the body. Pure decoding; the broker decides what to answer.
#pragma once

#include <cstdint>
#include <span>

#include "protocol/generated/request_header.h"
#include "protocol/wire/reader.h"

namespace brook::protocol {

// Header version for a request of `key` at `version`, also for versions newer than Brook knows
// (a client newer than the broker sends those; the header still has to be read to answer
// UNSUPPORTED_VERSION with the right correlation id). -1 for an unknown API key.
int16_t request_header_version_for(int16_t key, int16_t version);

struct decoded_request_header {
  request_header header;
  int16_t header_version = 0;
};

// Reads the request header at the start of a frame body; throws wire::decode_error on bad bytes or
// an unknown API key. The reader is left at the first byte of the request body.
decoded_request_header decode_request_header(wire::reader& r);

}  // namespace brook::protocol
