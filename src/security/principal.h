// KafkaPrincipal: the "Type:Name" identity that authentication produces and ACLs name.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

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

namespace brook::security {

// ssl.principal.mapping.rules: a comma-separated list of `RULE:pattern/replacement/` (optionally
// ending in L or U for lower or upper case) and `DEFAULT` (the subject as it is). The first rule
// whose pattern matches the whole subject gives the name; when none does, the client is refused.
class ssl_principal_mapper {
 public:
  // The error names what is wrong with the rules.
  static result<ssl_principal_mapper, std::string> parse(std::string_view rules);
  std::optional<std::string> name_of(const std::string& subject) const;

  struct rule;

 private:
  std::vector<std::shared_ptr<const rule>> _rules;
};

}  // namespace brook::security
