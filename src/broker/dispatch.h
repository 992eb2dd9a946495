// From a request frame to a handler: reads the request header, picks the handler for its API
// and version, and turns what cannot be served into what Kafka does:
//   - ApiVersions at a version Brook lacks: the v0 answer with UNSUPPORTED_VERSION;
//   - an API or version Brook does not serve: the connection is closed with a log line (Kafka
//     closes it too; clients learn the served ranges from ApiVersions);
//   - a frame that does not decode: the connection is closed with a log line.
#pragma once

#include "net/server.h"

namespace brook::broker {

class broker;

net::frame_handler make_dispatcher(broker& b);

}  // namespace brook::broker
