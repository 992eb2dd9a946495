// Broker settings: a Java-properties file (Kafka's server.properties) and --override key=value
// pairs, read with Kafka's names into broker_options.
//
// A stock Kafka 4.x config/server.properties loads as is. Settings that Brook has no use for yet
// (replication factors, thread counts, controller quorum) are type-checked and ignored; an unknown
// setting, an invalid value or ZooKeeper settings stop start-up with a message naming the setting,
// its value and where it came from.
//
// Listeners named in controller.listener.names are not bound: Brook is one node that is its own
// controller and speaks no controller (Raft) protocol, so only client listeners are served.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "broker/broker.h"

namespace brook::broker {

// Reads `properties_file` (empty: none, defaults only), then applies `overrides` in order; a
// later value of a key wins over an earlier one and over the file. The error is a message for the
// operator.
result<broker_options, std::string> load_options(
    const std::string& properties_file,
    const std::vector<std::pair<std::string, std::string>>& overrides);

// One key=value of a properties file, with the line it starts on (1-based).
struct property {
  std::string key;
  std::string value;
  int line = 0;
};

// Java's Properties.load format: `key=value`, `key: value` or `key value`; lines whose first
// non-blank character is '#' or '!' are comments; a line ending in an odd number of backslashes
// continues on the next (whose leading blanks are dropped); \t \n \r \f \uXXXX and \<char> escapes.
// Keys and values are trimmed. `origin` (a file name) only goes into error messages.
result<std::vector<property>, std::string> parse_properties(std::string_view text,
                                                            const std::string& origin);

}  // namespace brook::broker
