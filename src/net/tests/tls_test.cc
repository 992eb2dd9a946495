// Connections of a TLS listener against an OpenSSL client: frames far larger than a TLS record
// and a socket buffer, many small frames in flight, a TLS 1.3 KeyUpdate in the middle, the
// client's close_notify, and a client that does not speak TLS.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>

#include <string>

#include "net/server.h"
#include "net/tests/harness.h"
#include "net/tls.h"

using namespace brook;
using namespace brook::net;

namespace {

// Answers "<payload>" with "re:<payload>".
asio::awaitable<std::optional<response_frame>> echo(const connection_info&,
                                                    std::shared_ptr<wire::byte_buffer> frame,
                                                    event& dispatched) {
  dispatched.set();
  std::string body = "re:" + std::string(frame->begin(), frame->end());
  const auto n = static_cast<uint32_t>(body.size());
  response_frame r;
  r.bytes = {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
  r.bytes.insert(r.bytes.end(), body.begin(), body.end());
  co_return r;
}

// A self-signed P-256 key and certificate as PEM.
std::pair<std::string, std::string> self_signed() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  auto pem = [](auto write) {
    BIO* b = BIO_new(BIO_s_mem());
    write(b);
    char* data = nullptr;
    const long n = BIO_get_mem_data(b, &data);
    std::string s(data, static_cast<size_t>(n));
    BIO_free(b);
    return s;
  };
  std::string key_pem =
      pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  std::string cert_pem = pem([&](BIO* b) { PEM_write_bio_X509(b, cert); });
  X509_free(cert);
  EVP_PKEY_free(key);
  return {key_pem, cert_pem};
}

std::string pattern(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 4096 + seed) % 26);
  return s;
}

struct tls_client {
  asio::io_context io;
  asio::ssl::context context{asio::ssl::context::tls_client};
  asio::ssl::stream<asio::ip::tcp::socket> stream{io, context};
  explicit tls_client(uint16_t port) {
    context.set_verify_mode(asio::ssl::verify_none);
    stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    stream.handshake(asio::ssl::stream_base::client);
  }
  void send(const std::string& payload) {
    asio::write(stream, asio::buffer(harness::framed(payload)));
  }
  // The next response body, or "<closed>".
  std::string receive() { return harness::read_frame(stream); }
};

struct tls_fixture : harness::server_fixture<echo> {
  void SetUp() override {
    auto [key, cert] = self_signed();
    tls_settings s;
    s.keystore_type = "PEM";
    s.keystore_key = key;
    s.keystore_certificate_chain = cert;
    s.enabled_protocols = {"TLSv1.3"};
    listener_config c;
    c.name = "SSL";
    c.security_protocol = "SSL";
    c.port = 0;
    c.max_frame_bytes = 16 << 20;
    c.tls = make_server_tls_context(s);
    listen(c);
  }
};

}  // namespace

TEST_F(tls_fixture, frames_larger_than_records_and_socket_buffers_arrive_whole_in_order) {
  tls_client c(srv.port());
  // Written in full before any answer is read: the server reads on while its answers wait.
  for (int i = 0; i < 3; ++i) c.send(pattern(3 << 20, i));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.receive(), "re:" + pattern(3 << 20, i)) << i;
}

TEST_F(tls_fixture, many_small_frames_in_flight_are_answered_in_order) {
  tls_client c(srv.port());
  std::string all;
  for (int i = 0; i < 2000; ++i) all += harness::framed("m" + std::to_string(i));
  asio::write(c.stream, asio::buffer(all));
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(c.receive(), "re:m" + std::to_string(i));
}

TEST_F(tls_fixture, a_key_update_in_the_middle_is_answered_and_the_session_goes_on) {
  tls_client c(srv.port());
  c.send("before");
  EXPECT_EQ(c.receive(), "re:before");
  // The client asks the server to update its keys too.
  ASSERT_EQ(SSL_key_update(c.stream.native_handle(), SSL_KEY_UPDATE_REQUESTED), 1);
  c.send(pattern(100000, 1));
  EXPECT_EQ(c.receive(), "re:" + pattern(100000, 1));
  c.send("after");
  EXPECT_EQ(c.receive(), "re:after");
}

TEST_F(tls_fixture, close_notify_from_the_client_closes_the_connection) {
  {
    tls_client c(srv.port());
    c.send("one");
    EXPECT_EQ(c.receive(), "re:one");
    std::error_code ec;
    c.stream.shutdown(ec);  // sends close_notify and waits for the server's end
  }
  tls_client other(srv.port());
  other.send("still serving");
  EXPECT_EQ(other.receive(), "re:still serving");
}

TEST_F(tls_fixture, a_client_that_does_not_speak_tls_is_closed) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), srv.port()});
  const std::string request = std::string("\0\0\0\x05hello", 9);
  asio::write(s, asio::buffer(request));
  std::string got;
  std::error_code ec;
  char buf[512];
  for (;;) {
    const size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
  }
  // The answer is at most an alert, then the end of the stream.
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_LT(got.size(), 16u);
  tls_client c(srv.port());
  c.send("fine");
  EXPECT_EQ(c.receive(), "re:fine");
}
