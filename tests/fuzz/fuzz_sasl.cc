// What unauthenticated clients send to the SASL mechanisms: the first byte picks the entry point,
// the rest is its input. 0: the JSON reader; 1: a SCRAM exchange (client-first and client-final,
// split at the first NUL); 2: an OAUTHBEARER initial response and JWT; 3: a JWKS document.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "security/json.h"
#include "security/oauthbearer.h"
#include "security/scram.h"

namespace {

using namespace brook::security;

// One P-256 key (RFC 7515's example, appendix A.3) so that tokens reach the signature check.
constexpr std::string_view k_jwks =
    R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";

const std::shared_ptr<const jwt_validator>& validator() {
  static const auto v = [] {
    auto keys = jwks::parse(k_jwks);
    oauthbearer_config c;
    c.expected_audience = {"brook"};
    return keys ? std::make_shared<const jwt_validator>(c, *keys) : nullptr;
  }();
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      (void)parse_json(in);
      break;
    case 1: {
      const auto cred = credential_from_salted_password(scram_mechanism::sha256, "salt",
                                                        std::string(32, 'p'), 4096);
      scram_server server(
          scram_mechanism::sha256,
          [&](std::string_view user) -> std::optional<scram_credential> {
            if (user == "user") return cred;
            return std::nullopt;
          },
          "SERVERNONCE");
      const size_t nul = in.find('\0');
      auto first = server.next(in.substr(0, nul));
      if (!first.failed && nul != std::string_view::npos) (void)server.next(in.substr(nul + 1));
      break;
    }
    case 2: {
      if (!validator()) break;
      oauthbearer_server server(validator());
      auto s = server.next(in, 1767225600000);
      if (!s.failed && !s.complete) (void)server.next("\x01", 1767225600000);
      break;
    }
    case 3:
      (void)jwks::parse(in);
      break;
  }
  return 0;
}
