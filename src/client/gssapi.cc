#include "client/gssapi.h"

#include <fmt/format.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <openssl/rand.h>

#include <atomic>
#include <vector>

#include "client/config.h"
#include "client/errors.h"
#include "client/sasl.h"

namespace brook::client {

namespace {

using protocol::error_code;

// RFC 4752 section 3.3: bit 0x01 of the first byte offers (and chooses) no security layer.
constexpr uint8_t k_no_security_layer = 0x01;

// GSS-API's text for a major and minor status, as gss_display_status gives it.
std::string gss_message(OM_uint32 major, OM_uint32 minor) {
  std::string out;
  auto append = [&](OM_uint32 code, int type) {
    OM_uint32 context = 0;
    do {
      OM_uint32 ignored = 0;
      gss_buffer_desc text{0, nullptr};
      if (gss_display_status(&ignored, code, type, GSS_C_NO_OID, &context, &text) != GSS_S_COMPLETE)
        break;
      if (!out.empty()) out += "; ";
      out.append(static_cast<const char*>(text.value), text.length);
      gss_release_buffer(&ignored, &text);
    } while (context != 0);
  };
  append(major, GSS_C_GSS_CODE);
  if (minor != 0) append(minor, GSS_C_MECH_CODE);
  return out;
}

[[noreturn]] void fail(std::string_view what, OM_uint32 major, OM_uint32 minor) {
  throw kafka_error(error_code::sasl_authentication_failed,
                    fmt::format("GSSAPI: {}: {}", what, gss_message(major, minor)));
}

[[noreturn]] void fail(std::string_view what) {
  throw kafka_error(error_code::sasl_authentication_failed, fmt::format("GSSAPI: {}", what));
}

class gss_name {
 public:
  gss_name(std::string_view text, gss_OID type) {
    OM_uint32 minor = 0;
    gss_buffer_desc buffer{text.size(), const_cast<char*>(text.data())};
    const OM_uint32 major = gss_import_name(&minor, &buffer, type, &_name);
    if (GSS_ERROR(major)) fail(fmt::format("the name '{}'", text), major, minor);
  }
  ~gss_name() {
    OM_uint32 minor = 0;
    if (_name != GSS_C_NO_NAME) gss_release_name(&minor, &_name);
  }
  gss_name(const gss_name&) = delete;
  gss_name& operator=(const gss_name&) = delete;
  gss_name_t get() const { return _name; }

 private:
  gss_name_t _name = GSS_C_NO_NAME;
};

class gssapi_client : public sasl_client {
 public:
  gssapi_client(const kerberos_settings& settings, std::string_view broker_host)
      : _service(fmt::format("{}@{}", settings.service_name, broker_host),
                 GSS_C_NT_HOSTBASED_SERVICE) {
    if (broker_host.empty()) fail("no broker host to name the service principal after");
    if (settings.keytab.empty()) return;  // the default credentials, from the ticket cache
    // Without kinit: the TGT is got from the keytab into this client's memory ccache.
    std::optional<gss_name> principal;
    if (!settings.principal.empty())
      principal.emplace(settings.principal, GSS_KRB5_NT_PRINCIPAL_NAME);
    gss_key_value_element_desc elements[] = {{"client_keytab", settings.keytab.c_str()},
                                             {"ccache", settings.ccache.c_str()}};
    const gss_key_value_set_desc store{settings.ccache.empty() ? 1u : 2u, elements};
    OM_uint32 minor = 0;
    const OM_uint32 major = gss_acquire_cred_from(
        &minor, principal ? principal->get() : GSS_C_NO_NAME, GSS_C_INDEFINITE, GSS_C_NO_OID_SET,
        GSS_C_INITIATE, &store, &_credentials, nullptr, nullptr);
    if (GSS_ERROR(major))
      fail(fmt::format("no credentials from keytab {}{}", settings.keytab,
                       settings.principal.empty() ? "" : " for " + settings.principal),
           major, minor);
  }

  ~gssapi_client() override {
    OM_uint32 minor = 0;
    if (_context != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &_context, GSS_C_NO_BUFFER);
    if (_credentials != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &_credentials);
  }

  std::vector<uint8_t> first_message() override { return step({}); }

  std::optional<std::vector<uint8_t>> respond(std::span<const uint8_t> challenge) override {
    switch (_state) {
      case state::context:
        return step(challenge);
      case state::layers:
        return choose_layer(challenge);
      case state::sent_layer:
        // The broker's final, empty answer.
        _state = state::done;
        return std::nullopt;
      case state::done:
        break;
    }
    fail("a message after the exchange ended");
  }

  bool complete() const override { return _state == state::done; }

 private:
  enum class state { context, layers, sent_layer, done };

  // One gss_init_sec_context round: the token to send (empty once the context is set up and the
  // client has nothing more to say; the broker then offers its security layers).
  std::vector<uint8_t> step(std::span<const uint8_t> input) {
    gss_buffer_desc in{input.size(), const_cast<uint8_t*>(input.data())};
    gss_buffer_desc out{0, nullptr};
    OM_uint32 minor = 0;
    const OM_uint32 major = gss_init_sec_context(
        &minor, _credentials, &_context, _service.get(), GSS_C_NO_OID,
        GSS_C_MUTUAL_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_INTEG_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
        input.empty() ? GSS_C_NO_BUFFER : &in, nullptr, &out, nullptr, nullptr);
    std::vector<uint8_t> token(static_cast<const uint8_t*>(out.value),
                               static_cast<const uint8_t*>(out.value) + out.length);
    OM_uint32 ignored = 0;
    gss_release_buffer(&ignored, &out);
    if (GSS_ERROR(major)) fail("setting up the security context", major, minor);
    if (major == GSS_S_COMPLETE) _state = state::layers;
    return token;
  }

  // RFC 4752 section 3.1: the broker's wrapped offer (layers and its largest buffer); the client
  // answers, wrapped without confidentiality, "no security layer" and a buffer size of 0, with
  // no authorization identity (the authenticated principal is used).
  std::vector<uint8_t> choose_layer(std::span<const uint8_t> challenge) {
    if (challenge.empty()) {
      // The broker had a last context token to read and nothing to say yet: go on, once.
      if (_waited_for_offer) fail("the broker sends no security layer offer");
      _waited_for_offer = true;
      return {};
    }
    gss_buffer_desc in{challenge.size(), const_cast<uint8_t*>(challenge.data())};
    gss_buffer_desc offer{0, nullptr};
    OM_uint32 minor = 0;
    OM_uint32 major = gss_unwrap(&minor, _context, &in, &offer, nullptr, nullptr);
    if (GSS_ERROR(major)) fail("reading the broker's security layer offer", major, minor);
    const std::vector<uint8_t> offered(static_cast<const uint8_t*>(offer.value),
                                       static_cast<const uint8_t*>(offer.value) + offer.length);
    OM_uint32 ignored = 0;
    gss_release_buffer(&ignored, &offer);
    if (offered.size() != 4) fail("the broker's security layer offer is not 4 bytes");
    if ((offered[0] & k_no_security_layer) == 0)
      fail("the broker insists on a security layer; Kafka's clients use none");
    uint8_t choice[4] = {k_no_security_layer, 0, 0, 0};
    gss_buffer_desc plain{sizeof choice, choice};
    gss_buffer_desc wrapped{0, nullptr};
    major = gss_wrap(&minor, _context, 0, GSS_C_QOP_DEFAULT, &plain, nullptr, &wrapped);
    if (GSS_ERROR(major)) fail("wrapping the security layer choice", major, minor);
    std::vector<uint8_t> out(static_cast<const uint8_t*>(wrapped.value),
                             static_cast<const uint8_t*>(wrapped.value) + wrapped.length);
    gss_release_buffer(&ignored, &wrapped);
    _state = state::sent_layer;
    return out;
  }

  gss_name _service;
  gss_cred_id_t _credentials = GSS_C_NO_CREDENTIAL;
  gss_ctx_id_t _context = GSS_C_NO_CONTEXT;
  state _state = state::context;
  bool _waited_for_offer = false;
};

}  // namespace

kerberos_settings read_kerberos_settings(const config& settings) {
  kerberos_settings k;
  if (const std::string s = settings.get_string("sasl.kerberos.service.name"); !s.empty())
    k.service_name = s;
  k.keytab = settings.get_string("sasl.kerberos.keytab");
  k.principal = settings.get_string("sasl.kerberos.principal");
  if (const std::string jaas = settings.get_string("sasl.jaas.config"); !jaas.empty()) {
    bool use_keytab = false;
    std::string keytab, principal;
    for (auto& [key, v] : parse_jaas_options(jaas)) {
      if (key == "useKeyTab") use_keytab = v == "true";
      if (key == "keyTab") keytab = std::move(v);
      if (key == "principal") principal = std::move(v);
    }
    if (use_keytab && k.keytab.empty()) k.keytab = keytab;
    if (k.principal.empty()) k.principal = principal;
  }
  if (!k.keytab.empty()) {
    // One memory ccache per client: its TGT serves all its connections and is not shared with
    // other clients of the process that use other keys.
    static std::atomic<uint64_t> counter{0};
    uint8_t random[8];
    if (RAND_bytes(random, sizeof random) != 1) std::fill(std::begin(random), std::end(random), 0);
    uint64_t r = 0;
    for (uint8_t b : random) r = (r << 8) | b;
    k.ccache = fmt::format("MEMORY:brook-client-{:x}-{}", r, ++counter);
  }
  return k;
}

std::unique_ptr<sasl_client> make_gssapi_client(const kerberos_settings& settings,
                                                std::string_view broker_host) {
  return std::make_unique<gssapi_client>(settings, broker_host);
}

}  // namespace brook::client
