// TLS for the client's connections (security.protocol SSL and SASL_SSL): an OpenSSL client context
// built from the settings Kafka's clients read, under either family's names.
//
// Trust (which brokers are believed): librdkafka's ssl.ca.location (a PEM file of CA certificates)
// or Java's ssl.truststore.location with ssl.truststore.type PEM, PKCS12, or JKS naming a PKCS12
// file (with ssl.truststore.password); with neither, the system's default CA certificates.
// enable.ssl.certificate.verification=false (librdkafka) accepts any certificate.
// Identity (mutual TLS): librdkafka's ssl.certificate.location + ssl.key.location (PEM files, the
// key optionally encrypted with ssl.key.password) or Java's ssl.keystore.location with
// ssl.keystore.type PEM (key and chain in one file, ssl.key.password) or PKCS12/JKS (with
// ssl.keystore.password). Host names: ssl.endpoint.identification.algorithm "https" (the default)
// checks that the broker's certificate names the host connected to; empty skips the check.
//
// The context is built once per client (cluster) and shared by its connections; it is immutable
// after building, so any thread may hold it.
#pragma once

#include <asio/ssl/context.hpp>

#include <memory>

#include "client/config.h"

namespace brook::client {

struct client_tls {
  std::shared_ptr<asio::ssl::context> context;
  // Whether connections check the broker's host name against its certificate.
  bool verify_host_name = true;
};

// Builds the client context from `settings`. Throws config_error naming the setting at fault
// (an unreadable file, a wrong password, an unknown store type).
client_tls make_client_tls(const config& settings);

}  // namespace brook::client
