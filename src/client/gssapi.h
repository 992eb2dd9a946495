// SASL/GSSAPI (Kerberos V5) on the client side, RFC 4752 over MIT Kerberos' GSS-API library: the
// security context is set up with the broker's service principal <service>@<broker host> (mutual
// authentication), then the broker's offer of security layers is answered with "no security
// layer", as Kafka's clients do (TLS, when wanted, comes from SASL_SSL).
//
// Settings: sasl.kerberos.service.name (the first part of the broker's principal; "kafka" by
// default, as librdkafka); the client's key either from a keytab (librdkafka's
// sasl.kerberos.keytab and sasl.kerberos.principal, or Java's sasl.jaas.config
// `com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="..."
// principal="...";`), got without kinit through gss_acquire_cred_from into a ccache in memory of
// this client, or else from the ticket cache that Kerberos finds itself (KRB5CCNAME, after kinit).
// The broker's principal is named after the host the client connected to (the bootstrap or the
// advertised host name; 127.0.0.1 matches a principal for 127.0.0.1 only). Kerberos itself reads
// its usual configuration (KRB5_CONFIG).
//
// Failures: a missing or unusable key, an unknown service principal or a refused context are
// kafka_error(SASL_AUTHENTICATION_FAILED) with GSS-API's messages.
//
// Threads: a GSSAPI exchange runs on the I/O thread of the connection it authenticates. Getting a
// ticket talks to the KDC synchronously (as the GSS-API library does), once per authentication
// (the TGT is kept in the ccache).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace brook::client {

class sasl_client;
class config;

struct kerberos_settings {
  std::string service_name = "kafka";
  // A keytab file to take the client's key from; empty: the default ticket cache.
  std::string keytab;
  // The client's principal (user@REALM); empty: the default one of the keytab or cache.
  std::string principal;
  // With a keytab: the memory ccache this client's tickets go to (one per client).
  std::string ccache;
};

// Reads the Kerberos settings (see the file comment).
kerberos_settings read_kerberos_settings(const config& settings);

// The GSSAPI mechanism for one authentication with the broker at `broker_host`.
std::unique_ptr<sasl_client> make_gssapi_client(const kerberos_settings& settings,
                                                std::string_view broker_host);

}  // namespace brook::client
