// The exceptions Brook's client throws. A broker's error arrives as kafka_error with Kafka's wire
// code, so callers branch on the same numbers every Kafka client knows (protocol/errors.h); the
// client's own failures use the codes Kafka's clients map them to: a lost or refused connection
// is NETWORK_EXCEPTION, a request without an answer in time REQUEST_TIMED_OUT, a version neither
// side shares UNSUPPORTED_VERSION. Wrong settings throw config_error before anything is sent.
#pragma once

#include <stdexcept>
#include <string>

#include "protocol/errors.h"

namespace brook::client {

class kafka_error : public std::runtime_error {
 public:
  kafka_error(protocol::error_code code, const std::string& message);
  explicit kafka_error(protocol::error_code code);

  protocol::error_code code() const { return _code; }
  // Whether Kafka's clients would retry the operation that failed with this code.
  bool retriable() const { return protocol::is_retriable(_code); }

 private:
  protocol::error_code _code;
};

// Throws kafka_error(code, context) unless code is NONE.
void throw_if_error(int16_t code, const std::string& context);
void throw_if_error(protocol::error_code code, const std::string& context);

// A setting that is unknown, malformed or out of range; the message names the key.
class config_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace brook::client
