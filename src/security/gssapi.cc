#include "security/gssapi.h"

#include <sasl/sasl.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace brook::security {

namespace {

std::once_flag g_init;
int g_init_result = SASL_OK;

// A client may name an authorization id (Java names its own principal); as in Kafka it must be
// the authenticated principal itself, with or without the realm Cyrus left off.
// The context is the exchange's gssapi_config: Cyrus leaves the broker's realm off the
// authenticated name.
int proxy_policy(sasl_conn_t* conn, void* context, const char* requested, unsigned rlen,
                 const char* authenticated, unsigned alen, const char* realm, unsigned urlen,
                 struct propctx*) {
  const std::string_view want(requested, rlen), have(authenticated, alen);
  std::string_view r(realm ? realm : "", realm ? urlen : 0);
  if (r.empty() && context) r = static_cast<const gssapi_config*>(context)->realm;
  auto same = [&](std::string_view a, std::string_view b) {
    if (a == b) return true;
    return !r.empty() && a.size() == b.size() + 1 + r.size() && a.starts_with(b) &&
           a[b.size()] == '@' && a.substr(b.size() + 1) == r;
  };
  if (same(want, have) || same(have, want)) return SASL_OK;
  sasl_seterror(conn, 0, "authorization id %s differs from the authenticated principal %s",
                std::string(want).c_str(), std::string(have).c_str());
  return SASL_NOAUTHZ;
}

using callback_fn = int (*)();

class gssapi_exchange : public sasl_exchange {
 public:
  explicit gssapi_exchange(std::shared_ptr<const gssapi_config> config)
      : _config(std::move(config)) {
    _callbacks[0] = {SASL_CB_PROXY_POLICY, reinterpret_cast<callback_fn>(&proxy_policy),
                     const_cast<gssapi_config*>(_config.get())};
    _callbacks[1] = {SASL_CB_LIST_END, nullptr, nullptr};
  }
  ~gssapi_exchange() override {
    if (_conn) sasl_dispose(&_conn);
  }

  sasl_step next(std::string_view message, int64_t) override {
    sasl_step out;
    if (_done) return failed(out, "GSSAPI exchange already ended");
    int rc = SASL_OK;
    const char* answer = nullptr;
    unsigned answer_len = 0;
    if (!_conn) {
      rc = sasl_server_new(_config->service_name.c_str(), _config->host.c_str(), nullptr, nullptr,
                           nullptr, _callbacks, 0, &_conn);
      if (rc != SASL_OK) return failed(out, sasl_errstring(rc, nullptr, nullptr));
      // Authentication only: no integrity or confidentiality layer, as Kafka negotiates.
      sasl_security_properties_t props{};
      props.min_ssf = 0;
      props.max_ssf = 0;
      props.maxbufsize = 0;
      sasl_setprop(_conn, SASL_SEC_PROPS, &props);
      rc = sasl_server_start(_conn, "GSSAPI", message.data(), static_cast<unsigned>(message.size()),
                             &answer, &answer_len);
    } else {
      rc = sasl_server_step(_conn, message.data(), static_cast<unsigned>(message.size()), &answer,
                            &answer_len);
    }
    if (rc != SASL_OK && rc != SASL_CONTINUE) return failed(out, sasl_errdetail(_conn));
    if (answer) out.response.assign(answer, answer_len);
    if (rc == SASL_CONTINUE) return out;
    const void* user = nullptr;
    if (sasl_getprop(_conn, SASL_USERNAME, &user) != SASL_OK || !user)
      return failed(out, "GSSAPI authenticated no user");
    std::string name = static_cast<const char*>(user);
    // DEFAULT of sasl.kerberos.principal.to.local.rules: the first component of a principal of
    // the broker's realm.
    const auto at = name.rfind('@');
    if (at != std::string::npos) {
      if (name.substr(at + 1) != _config->realm)
        return failed(out, "No rules apply to " + name + ", rules [DEFAULT]");
      name.resize(at);
    }
    if (const auto slash = name.find('/'); slash != std::string::npos) name.resize(slash);
    _done = true;
    out.complete = true;
    out.user = name;
    return out;
  }

 private:
  sasl_step& failed(sasl_step& out, const std::string& why) {
    _done = true;
    out.failed = true;
    out.error =
        "Authentication failed during authentication due to invalid credentials with SASL "
        "mechanism GSSAPI";
    out.detail = why;
    return out;
  }

  std::shared_ptr<const gssapi_config> _config;
  sasl_callback_t _callbacks[2];
  sasl_conn_t* _conn = nullptr;
  bool _done = false;
};

}  // namespace

void init_gssapi(const gssapi_config& config) {
  if (!config.keytab.empty()) ::setenv("KRB5_KTNAME", config.keytab.c_str(), 1);
  std::call_once(g_init, [] { g_init_result = sasl_server_init(nullptr, "brook"); });
  if (g_init_result != SASL_OK)
    throw std::runtime_error(std::string("Cyrus SASL did not start: ") +
                             sasl_errstring(g_init_result, nullptr, nullptr));
}

std::unique_ptr<sasl_exchange> make_gssapi_exchange(std::shared_ptr<const gssapi_config> config) {
  return std::make_unique<gssapi_exchange>(std::move(config));
}

}  // namespace brook::security
