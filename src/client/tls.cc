#include "client/tls.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "client/errors.h"
#include "net/tls.h"

namespace brook::client {

namespace {

std::string read_pem_file(std::string_view key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw config_error(fmt::format("{}: cannot read {}", key, path));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::optional<std::string> non_empty(const config& settings, std::string_view key) {
  std::string v = settings.get_string(key);
  if (v.empty()) return std::nullopt;
  return v;
}

// The trust store and key store, in net's terms, from either family's settings.
net::tls_settings store_settings(const config& settings) {
  net::tls_settings s;
  if (auto ca = non_empty(settings, "ssl.ca.location")) {
    s.truststore_type = "PEM";
    s.truststore_location = *ca;
  } else if (auto location = non_empty(settings, "ssl.truststore.location")) {
    s.truststore_type = settings.get_string("ssl.truststore.type");
    s.truststore_location = *location;
    s.truststore_password = non_empty(settings, "ssl.truststore.password");
  }
  s.key_password = non_empty(settings, "ssl.key.password");
  auto certificate = non_empty(settings, "ssl.certificate.location");
  auto key = non_empty(settings, "ssl.key.location");
  if (certificate || key) {
    if (!certificate || !key)
      throw config_error(
          "ssl.certificate.location and ssl.key.location: a client certificate needs both");
    // librdkafka's separate PEM files are net's inline PEM key store.
    s.keystore_type = "PEM";
    s.keystore_key = read_pem_file("ssl.key.location", *key);
    s.keystore_certificate_chain = read_pem_file("ssl.certificate.location", *certificate);
  } else if (auto location = non_empty(settings, "ssl.keystore.location")) {
    s.keystore_type = settings.get_string("ssl.keystore.type");
    s.keystore_location = *location;
    s.keystore_password = non_empty(settings, "ssl.keystore.password");
  }
  return s;
}

}  // namespace

client_tls make_client_tls(const config& settings) {
  client_tls out;
  const std::string algorithm = lower(settings.get_string("ssl.endpoint.identification.algorithm"));
  if (algorithm == "https")
    out.verify_host_name = true;
  else if (algorithm.empty())
    out.verify_host_name = false;
  else
    throw config_error(
        fmt::format("ssl.endpoint.identification.algorithm: '{}' is not https or "
                    "empty",
                    algorithm));
  const bool verify = settings.get_bool("enable.ssl.certificate.verification");

  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);

  const net::tls_settings s = store_settings(settings);
  try {
    if (!s.keystore_location.empty() || !s.keystore_key.empty()) net::use_keystore(*context, s);
    if (net::use_truststore(*context, s) == 0) context->set_default_verify_paths();
  } catch (const net::tls_error& e) {
    // net names the Java settings; the librdkafka ones are what the user set when they are set.
    std::string key = e.setting;
    if (key.starts_with("ssl.keystore") && settings.contains("ssl.certificate.location"))
      key = "ssl.certificate.location / ssl.key.location";
    else if (key.starts_with("ssl.truststore") && settings.contains("ssl.ca.location"))
      key = "ssl.ca.location";
    throw config_error(fmt::format("{}: {}", key, e.what()));
  }
  if (verify) {
    context->set_verify_mode(asio::ssl::verify_peer);
  } else {
    context->set_verify_mode(asio::ssl::verify_none);
    out.verify_host_name = false;
  }
  out.context = std::move(context);
  return out;
}

}  // namespace brook::client
