#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <fstream>
#include <iterator>
#include <set>

namespace brook::net {

namespace {

std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  return text;
}

std::string read_file(const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw tls_error(key, "cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct bio_deleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

bio_ptr memory_bio(const std::string& bytes) {
  return bio_ptr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

struct pkey_deleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct x509_deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

struct key_and_chain {
  pkey_ptr key;
  std::vector<x509_ptr> certificates;  // the leaf first when a key is present
};

int pem_password(char* buf, int size, int, void* user) {
  const auto* password = static_cast<const std::string*>(user);
  if (!password) return 0;
  const int n = std::min(size, static_cast<int>(password->size()));
  std::copy_n(password->data(), n, buf);
  return n;
}

std::vector<x509_ptr> pem_certificates(const std::string& key, const std::string& pem) {
  std::vector<x509_ptr> out;
  auto bio = memory_bio(pem);
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
  ERR_clear_error();  // the read that ends the loop leaves "no start line"
  if (out.empty()) throw tls_error(key, "holds no PEM certificate");
  return out;
}

pkey_ptr pem_key(const std::string& key, const std::string& pem,
                 const std::optional<std::string>& password) {
  auto bio = memory_bio(pem);
  std::string pw = password.value_or("");
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, pem_password, password ? &pw : nullptr);
  if (!k)
    throw tls_error(key, "holds no PEM private key that could be read" +
                             std::string(password ? " with ssl.key.password" : "") + " (" +
                             openssl_reason() + ")");
  return pkey_ptr(k);
}

bool is_jks(const std::string& bytes) {
  return bytes.size() >= 4 && static_cast<uint8_t>(bytes[0]) == 0xFE &&
         static_cast<uint8_t>(bytes[1]) == 0xED && static_cast<uint8_t>(bytes[2]) == 0xFE &&
         static_cast<uint8_t>(bytes[3]) == 0xED;
}

key_and_chain pkcs12(const std::string& key, const std::string& path, const std::string& bytes,
                     const std::optional<std::string>& password) {
  if (is_jks(bytes))
    throw tls_error(key,
                    path +
                        " is a JKS key store, which Brook cannot read; convert it with keytool "
                        "-importkeystore -deststoretype PKCS12 and set the type to PKCS12");
  auto bio = memory_bio(bytes);
  PKCS12* p12 = d2i_PKCS12_bio(bio.get(), nullptr);
  if (!p12) throw tls_error(key, path + " is not a PKCS12 key store (" + openssl_reason() + ")");
  EVP_PKEY* k = nullptr;
  X509* leaf = nullptr;
  STACK_OF(X509)* ca = nullptr;
  const bool ok = PKCS12_parse(p12, password ? password->c_str() : nullptr, &k, &leaf, &ca) == 1;
  PKCS12_free(p12);
  if (!ok)
    throw tls_error(key,
                    path + " could not be opened with its password (" + openssl_reason() + ")");
  key_and_chain out;
  out.key.reset(k);
  if (leaf) out.certificates.emplace_back(leaf);
  if (ca) {
    for (int i = 0; i < sk_X509_num(ca); ++i) out.certificates.emplace_back(sk_X509_value(ca, i));
    sk_X509_free(ca);  // the certificates now belong to `out`
  }
  return out;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

key_and_chain load_keystore(const tls_settings& s) {
  const std::string type = upper(s.keystore_type);
  if (!s.keystore_key.empty() || !s.keystore_certificate_chain.empty()) {
    if (type != "PEM")
      throw tls_error("ssl.keystore.type", "must be PEM when ssl.keystore.key is given");
    if (s.keystore_key.empty() || s.keystore_certificate_chain.empty())
      throw tls_error("ssl.keystore.key",
                      "ssl.keystore.key and ssl.keystore.certificate.chain go together");
    key_and_chain out;
    out.key = pem_key("ssl.keystore.key", s.keystore_key, s.key_password);
    out.certificates =
        pem_certificates("ssl.keystore.certificate.chain", s.keystore_certificate_chain);
    return out;
  }
  if (s.keystore_location.empty())
    throw tls_error("ssl.keystore.location", "an SSL listener needs a key store");
  const std::string bytes = read_file("ssl.keystore.location", s.keystore_location);
  if (type == "PEM") {
    key_and_chain out;
    out.key = pem_key("ssl.keystore.location", bytes, s.key_password);
    out.certificates = pem_certificates("ssl.keystore.location", bytes);
    return out;
  }
  if (type != "PKCS12" && type != "JKS")
    throw tls_error("ssl.keystore.type", "'" + s.keystore_type + "' is not PKCS12, JKS or PEM");
  auto out = pkcs12("ssl.keystore.location", s.keystore_location, bytes, s.keystore_password);
  if (!out.key || out.certificates.empty())
    throw tls_error("ssl.keystore.location",
                    s.keystore_location + " holds no private key with its certificate");
  return out;
}

std::vector<x509_ptr> load_truststore(const tls_settings& s) {
  const std::string type = upper(s.truststore_type);
  if (!s.truststore_certificates.empty()) {
    if (type != "PEM")
      throw tls_error("ssl.truststore.type",
                      "must be PEM when ssl.truststore.certificates is given");
    return pem_certificates("ssl.truststore.certificates", s.truststore_certificates);
  }
  if (s.truststore_location.empty()) return {};
  const std::string bytes = read_file("ssl.truststore.location", s.truststore_location);
  if (type == "PEM") return pem_certificates("ssl.truststore.location", bytes);
  if (type != "PKCS12" && type != "JKS")
    throw tls_error("ssl.truststore.type", "'" + s.truststore_type + "' is not PKCS12, JKS or PEM");
  auto store =
      pkcs12("ssl.truststore.location", s.truststore_location, bytes, s.truststore_password);
  if (store.certificates.empty())
    throw tls_error("ssl.truststore.location", s.truststore_location + " holds no certificate");
  return std::move(store.certificates);
}

int protocol_version(const std::string& name) {
  if (name == "TLSv1.2") return TLS1_2_VERSION;
  if (name == "TLSv1.3") return TLS1_3_VERSION;
  throw tls_error("ssl.enabled.protocols",
                  "'" + name + "' is not supported; Brook serves TLSv1.2 and TLSv1.3");
}

// Java names cipher suites by their IANA names; OpenSSL knows those as standard names.
void set_cipher_suites(SSL_CTX* ctx, const std::vector<std::string>& suites) {
  std::string tls12, tls13;
  SSL* probe = SSL_new(ctx);
  if (!probe) throw tls_error("ssl.cipher.suites", openssl_reason());
  SSL_set_cipher_list(probe, "ALL:COMPLEMENTOFALL");
  STACK_OF(SSL_CIPHER)* all = SSL_get_ciphers(probe);
  static const std::set<std::string> k_tls13 = {
      "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"};
  for (const auto& suite : suites) {
    if (k_tls13.contains(suite)) {
      tls13 += (tls13.empty() ? "" : ":") + suite;
      continue;
    }
    bool found = false;
    for (int i = 0; all && i < sk_SSL_CIPHER_num(all); ++i) {
      const SSL_CIPHER* c = sk_SSL_CIPHER_value(all, i);
      if (const char* std_name = SSL_CIPHER_standard_name(c); std_name && suite == std_name) {
        tls12 += (tls12.empty() ? "" : ":") + std::string(SSL_CIPHER_get_name(c));
        found = true;
        break;
      }
    }
    if (!found) {
      SSL_free(probe);
      throw tls_error("ssl.cipher.suites", "'" + suite + "' is not a cipher suite OpenSSL offers");
    }
  }
  SSL_free(probe);
  // A list naming no suite of one version leaves that version without ciphers, as Java does.
  if (SSL_CTX_set_cipher_list(ctx, tls12.empty() ? "-ALL" : tls12.c_str()) != 1 && !tls12.empty())
    throw tls_error("ssl.cipher.suites", openssl_reason());
  ERR_clear_error();
  if (SSL_CTX_set_ciphersuites(ctx, tls13.c_str()) != 1)
    throw tls_error("ssl.cipher.suites", openssl_reason());
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_server_tls_context(const tls_settings& s) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // Sessions may be resumed (Java resumes them across its connections); with client
  // certificates OpenSSL refuses that unless sessions carry a context id.
  static constexpr unsigned char k_session_context[] = "brook";
  SSL_CTX_set_session_id_context(ctx, k_session_context, sizeof k_session_context - 1);

  if (s.enabled_protocols.empty()) throw tls_error("ssl.enabled.protocols", "names no protocol");
  int lowest = TLS1_3_VERSION, highest = TLS1_2_VERSION;
  for (const auto& p : s.enabled_protocols) {
    const int v = protocol_version(p);
    lowest = std::min(lowest, v);
    highest = std::max(highest, v);
  }
  if (s.enabled_protocols.size() == 1) highest = lowest;
  SSL_CTX_set_min_proto_version(ctx, lowest);
  SSL_CTX_set_max_proto_version(ctx, highest);
  if (!s.cipher_suites.empty()) set_cipher_suites(ctx, s.cipher_suites);

  use_keystore(*context, s);
  const size_t trusted = use_truststore(*context, s);

  const std::string mode = s.client_auth;
  if (mode == "required") {
    if (trusted == 0)
      throw tls_error("ssl.client.auth", "required needs a trust store (ssl.truststore.location)");
    context->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  } else if (mode == "requested") {
    context->set_verify_mode(asio::ssl::verify_peer);
  } else if (mode == "none") {
    context->set_verify_mode(asio::ssl::verify_none);
  } else {
    throw tls_error("ssl.client.auth", "'" + mode + "' is not none, requested or required");
  }
  return context;
}

void use_keystore(asio::ssl::context& context, const tls_settings& s) {
  SSL_CTX* ctx = context.native_handle();
  auto keys = load_keystore(s);
  if (SSL_CTX_use_certificate(ctx, keys.certificates.front().get()) != 1)
    throw tls_error("ssl.keystore.location", "its certificate is unusable: " + openssl_reason());
  for (size_t i = 1; i < keys.certificates.size(); ++i)
    if (SSL_CTX_add1_chain_cert(ctx, keys.certificates[i].get()) != 1)
      throw tls_error("ssl.keystore.location", "its chain is unusable: " + openssl_reason());
  if (SSL_CTX_use_PrivateKey(ctx, keys.key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1)
    throw tls_error("ssl.keystore.location",
                    "its private key does not match its certificate: " + openssl_reason());
}

size_t use_truststore(asio::ssl::context& context, const tls_settings& s) {
  SSL_CTX* ctx = context.native_handle();
  auto trusted = load_truststore(s);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  for (auto& c : trusted) {
    X509_STORE_add_cert(store, c.get());
    sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(c.get())));
  }
  SSL_CTX_set_client_CA_list(ctx, names);
  return trusted.size();
}

std::string certificate_subject(const void* x509) {
  const X509_NAME* name = X509_get_subject_name(static_cast<const X509*>(x509));
  bio_ptr out(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace brook::net
