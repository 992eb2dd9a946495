// Frames recorded from real clients and from Apache Kafka (tests/data/captures, recorded by
// tests/captures/capture-all.sh) must decode and re-encode byte for byte: header and body.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "protocol/generated/messages.h"
#include "protocol/generated/response_header.h"
#include "protocol/request.h"

using namespace brook;
using namespace brook::protocol;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Decodes `body` as M at `version` and checks that encoding it gives the same bytes.
template <class M>
void expect_same_bytes(std::span<const uint8_t> body, int16_t version, const std::string& what) {
  wire::reader r(body);
  M m;
  try {
    m = M::decode(r, version);
  } catch (const wire::decode_error& e) {
    ADD_FAILURE() << what << ": decode failed: " << e.what();
    return;
  }
  EXPECT_TRUE(r.empty()) << what << ": " << r.remaining() << " bytes left over";
  wire::writer w;
  m.encode(w, version);
  auto out = w.take();
  EXPECT_EQ(out.size(), m.encoded_size(version)) << what;
  EXPECT_TRUE(std::ranges::equal(out, body.first(r.position()))) << what << ": re-encoding differs";
}

struct capture_counts {
  int requests = 0;
  int responses = 0;
  std::map<std::string, int> clients;
};

}  // namespace

TEST(captures, real_client_frames_round_trip_byte_for_byte) {
  const fs::path dir = fs::path(BROOK_TEST_DATA_DIR) / "captures";
  ASSERT_TRUE(fs::is_directory(dir)) << dir << " is missing";
  capture_counts counts;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (!name.ends_with(".req.bin")) continue;
    const std::string what = entry.path().parent_path().filename().string() + "/" + name;
    auto req = read_file(entry.path());
    wire::reader r(req);
    decoded_request_header h;
    try {
      h = decode_request_header(r);
    } catch (const wire::decode_error& e) {
      ADD_FAILURE() << what << ": header: " << e.what();
      continue;
    }
    // The header itself re-encodes to the same bytes.
    {
      wire::writer w;
      h.header.encode(w, h.header_version);
      EXPECT_TRUE(std::ranges::equal(w.bytes(), std::span(req).first(r.position())))
          << what << ": header re-encoding differs";
    }
    const int16_t key = h.header.request_api_key;
    const int16_t version = h.header.request_api_version;
    const auto body = std::span<const uint8_t>(req).subspan(r.position());
    auto resp_path = entry.path();
    resp_path.replace_filename(name.substr(0, name.size() - 8) + ".resp.bin");
    std::vector<uint8_t> resp;
    if (fs::exists(resp_path)) resp = read_file(resp_path);
    const bool known = visit_api(key, [&]<class Api>() {
      using req_t = typename Api::request;
      using resp_t = typename Api::response;
      if (version < req_t::min_version || version > req_t::max_version) {
        ADD_FAILURE() << what << ": version " << version << " outside Brook's range";
        return;
      }
      expect_same_bytes<req_t>(body, version, what);
      ++counts.requests;
      if (resp.empty()) return;
      wire::reader rr(resp);
      const int16_t hv = response_header_version(key, version);
      auto rh = response_header::decode(rr, hv);
      EXPECT_EQ(rh.correlation_id, h.header.correlation_id) << what;
      expect_same_bytes<resp_t>(std::span<const uint8_t>(resp).subspan(rr.position()), version,
                                what + " (response)");
      ++counts.responses;
    });
    EXPECT_TRUE(known) << what << ": unknown API key " << key;
    ++counts.clients[entry.path().parent_path().filename().string()];
  }
  EXPECT_GT(counts.requests, 0);
  EXPECT_GT(counts.responses, 0);
  for (const auto& [client, n] : counts.clients)
    std::printf("captures: %s: %d frames\n", client.c_str(), n);
}
