// TLS for listeners: an OpenSSL server context built from Kafka's ssl.* settings. The key store and
// trust store loaders are shared with the client library, which builds its client context from the
// same settings (client/tls.h).
//
// Key stores: PKCS12 (ssl.keystore.type=PKCS12, or JKS naming a PKCS12 file, which is what Java's
// keytool writes by default since Java 9; a real JKS file is refused with a message), PEM files
// (ssl.keystore.type=PEM: private key and certificate chain in one file) and PEM given inline
// (ssl.keystore.key with ssl.keystore.certificate.chain). Trust stores alike (ssl.truststore.*,
// ssl.truststore.certificates). ssl.client.auth: none, requested or required (mutual TLS).
// ssl.enabled.protocols: TLSv1.2 and/or TLSv1.3; ssl.cipher.suites narrows TLS 1.2 ciphers and
// TLS 1.3 suites by their IANA names as Java names them.
#pragma once

#include <asio/ssl/context.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace brook::net {

struct tls_settings {
  std::string keystore_type = "JKS";
  std::string keystore_location;
  std::optional<std::string> keystore_password;
  std::optional<std::string> key_password;
  std::string keystore_key;                // PEM, inline
  std::string keystore_certificate_chain;  // PEM, inline
  std::string truststore_type = "JKS";
  std::string truststore_location;
  std::optional<std::string> truststore_password;
  std::string truststore_certificates;  // PEM, inline
  std::string client_auth = "none";     // none, requested, required
  std::vector<std::string> enabled_protocols{"TLSv1.2", "TLSv1.3"};
  std::vector<std::string> cipher_suites;  // empty: OpenSSL's defaults
};

// Thrown with a message that names the setting at fault.
struct tls_error : std::runtime_error {
  std::string setting;
  tls_error(std::string key, const std::string& message)
      : std::runtime_error(message), setting(std::move(key)) {}
};

std::shared_ptr<asio::ssl::context> make_server_tls_context(const tls_settings& s);

// Loads the key store that `s` names (ssl.keystore.location, or the inline PEM pair) into
// `context`: certificate, chain and private key. Throws tls_error, also when none is named.
void use_keystore(asio::ssl::context& context, const tls_settings& s);
// Trusts the certificates of the trust store that `s` names (ssl.truststore.location or inline
// PEM): adds them to the context's verify store and to the CA names a server sends when it asks
// for a client certificate. Returns how many; 0 when no trust store is named. Throws tls_error.
size_t use_truststore(asio::ssl::context& context, const tls_settings& s);

// The subject of a certificate as Java's X500Principal.getName() prints it (RFC 2253).
std::string certificate_subject(const void* x509);

}  // namespace brook::net
