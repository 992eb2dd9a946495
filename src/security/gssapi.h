// GSSAPI (Kerberos V5) through Cyrus SASL, as Kafka's GSSAPI mechanism on the broker side.
//
// The broker's own key comes from a keytab (the keyTab of the listener's Krb5LoginModule JAAS
// entry; Kerberos reads it through KRB5_KTNAME, so one keytab serves the whole process) for the
// principal <sasl.kerberos.service.name>/<host>@<REALM>. An authenticated client principal
// becomes a short name by sasl.kerberos.principal.to.local.rules: DEFAULT (the only rule Brook
// reads for now) takes the first component of a principal of the broker's own realm.
#pragma once

#include <memory>
#include <string>

#include "security/sasl.h"

namespace brook::security {

struct gssapi_config {
  std::string service_name;  // sasl.kerberos.service.name
  std::string host;          // the host part of the broker's principal
  std::string realm;         // the realm of the broker's principal
  std::string keytab;
};

// Sets up Cyrus SASL for the process (once) and points Kerberos at `keytab`. Call before the
// shards start. Throws std::runtime_error with Cyrus's message when it cannot start.
void init_gssapi(const gssapi_config& config);

std::unique_ptr<sasl_exchange> make_gssapi_exchange(std::shared_ptr<const gssapi_config> config);

}  // namespace brook::security
