#include "client/errors.h"

#include <fmt/format.h>

namespace brook::client {

kafka_error::kafka_error(protocol::error_code code, const std::string& message)
    : std::runtime_error(fmt::format("{}: {}", protocol::error_name(code), message)), _code(code) {}

kafka_error::kafka_error(protocol::error_code code)
    : std::runtime_error(std::string(protocol::error_name(code))), _code(code) {}

void throw_if_error(protocol::error_code code, const std::string& context) {
  if (code != protocol::error_code::none) throw kafka_error(code, context);
}

void throw_if_error(int16_t code, const std::string& context) {
  if (code == 0) return;
  const auto known = protocol::error_from_int(code);
  if (!known)
    throw kafka_error(protocol::error_code::unknown_server_error,
                      fmt::format("{} (error code {})", context, code));
  throw kafka_error(*known, context);
}

}  // namespace brook::client
