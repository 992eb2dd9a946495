#include "security/principal.h"

namespace brook::security {

std::optional<principal> parse_principal(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return principal{std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
}

}  // namespace brook::security
