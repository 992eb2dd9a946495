// KafkaPrincipal: the "Type:Name" identity that authentication produces and ACLs name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace brook::security {

struct principal {
  std::string type = "User";
  std::string name = "ANONYMOUS";

  std::string text() const { return type + ":" + name; }
  bool operator==(const principal&) const = default;
};

// Splits "Type:Name" at the first colon; nullopt when there is none or the type is empty (the
// name may be empty or hold colons, as Kafka allows).
std::optional<principal> parse_principal(std::string_view text);

}  // namespace brook::security
