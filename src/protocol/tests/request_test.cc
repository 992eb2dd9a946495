#include <gtest/gtest.h>

#include "protocol/generated/api_versions_request.h"
#include "protocol/request.h"
#include "protocol/wire/writer.h"

using namespace brook;
using namespace brook::protocol;

TEST(request_header, header_version_follows_the_api_version) {
  EXPECT_EQ(request_header_version_for(0, 8), 1);    // Produce v8: not flexible
  EXPECT_EQ(request_header_version_for(0, 9), 2);    // Produce v9: flexible
  EXPECT_EQ(request_header_version_for(18, 3), 2);   // ApiVersions v3
  EXPECT_EQ(request_header_version_for(18, 99), 2);  // newer than known: still flexible
  EXPECT_EQ(request_header_version_for(7, 0), 0);    // ControlledShutdown v0
  EXPECT_EQ(request_header_version_for(1000, 0), -1);
}

TEST(request_header, decodes_a_flexible_header_and_leaves_the_body) {
  request_header h;
  h.request_api_key = 18;
  h.request_api_version = 3;
  h.correlation_id = 42;
  h.client_id = "kcat";
  api_versions_request body;
  body.client_software_name = "brook-test";
  body.client_software_version = "1.0";
  wire::writer w;
  h.encode(w, 2);
  body.encode(w, 3);
  auto bytes = w.take();
  // Header v2 keeps the client id as a non-compact string (int16 length).
  EXPECT_EQ(bytes[8], 0);
  EXPECT_EQ(bytes[9], 4);

  wire::reader r(bytes);
  auto d = decode_request_header(r);
  EXPECT_EQ(d.header_version, 2);
  EXPECT_EQ(d.header.correlation_id, 42);
  EXPECT_EQ(d.header.client_id, "kcat");
  EXPECT_EQ(api_versions_request::decode(r, 3), body);
  EXPECT_TRUE(r.empty());
}

TEST(request_header, bad_headers_are_decode_errors) {
  std::vector<uint8_t> unknown_key = {0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0xff, 0xff};
  wire::reader r(unknown_key);
  EXPECT_THROW(decode_request_header(r), wire::decode_error);
  // A negative client id length other than -1.
  std::vector<uint8_t> bad_client = {0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xf0};
  wire::reader r2(bad_client);
  EXPECT_THROW(decode_request_header(r2), wire::decode_error);
  std::vector<uint8_t> short_frame = {0, 3};
  wire::reader r3(short_frame);
  EXPECT_THROW(decode_request_header(r3), wire::decode_error);
}
