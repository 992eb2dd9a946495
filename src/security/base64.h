// Base64 (RFC 4648) in the two alphabets security code meets: the standard one with padding (SCRAM
// messages, stored SCRAM credentials) and the URL-safe one without padding (JWTs, JWKs). Decoding
// is strict: a character outside the alphabet, misplaced padding or non-zero trailing bits fail.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace brook::security {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace brook::security
