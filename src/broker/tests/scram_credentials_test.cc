// SCRAM credentials in the cluster state file: written, read back byte for byte, found by user and
// mechanism.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "broker/cluster_state.h"

using namespace brook::broker;
namespace sec = brook::security;

namespace {

TEST(ClusterScram, CredentialsKeptInTheClusterFile) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("brook-scram-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string odd = "us er%\n,=\x01";
  scram_credentials creds;
  creds["alice"][sec::scram_mechanism::sha256] =
      sec::credential_from_password(sec::scram_mechanism::sha256, "pw", "salt", 8192);
  creds["alice"][sec::scram_mechanism::sha512] =
      sec::credential_from_password(sec::scram_mechanism::sha512, "pw", "salt2", 4096);
  creds[odd][sec::scram_mechanism::sha256] = sec::credential_from_password(
      sec::scram_mechanism::sha256, "x", std::string("\0\xff", 2), 16384);
  creds["nobody"] = {};  // a user without credentials is not kept
  auto s = cluster_snapshot().with_scram(creds);
  EXPECT_EQ(s->scram.size(), 2u);
  ASSERT_TRUE(save_cluster(dir, *s));
  auto loaded = load_cluster(dir);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ((*loaded)->scram, s->scram);
  const auto* c = (*loaded)->scram_credential_of("alice", sec::scram_mechanism::sha256);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->iterations, 8192);
  EXPECT_EQ(*c, creds["alice"][sec::scram_mechanism::sha256]);
  EXPECT_EQ((*loaded)->scram_credential_of(odd, sec::scram_mechanism::sha512), nullptr);
  EXPECT_NE((*loaded)->scram_credential_of(odd, sec::scram_mechanism::sha256), nullptr);
  EXPECT_EQ((*loaded)->scram_credential_of("bob", sec::scram_mechanism::sha256), nullptr);
  // An empty salt or key still makes a line that reads back.
  scram_credentials empty;
  empty["e"][sec::scram_mechanism::sha256] = {sec::scram_mechanism::sha256, 4096, "", "", ""};
  ASSERT_TRUE(save_cluster(dir, *cluster_snapshot().with_scram(empty)));
  loaded = load_cluster(dir);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ((*loaded)->scram, empty);
  // A damaged line is reported with its place.
  std::ofstream(dir / "__brook_cluster" / "topics")
      << "brook-topics 1\nscram alice SCRAM-SHA-1 4096 - - -\n";
  loaded = load_cluster(dir);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().find(":2: bad scram line"), std::string::npos) << loaded.error();
  std::filesystem::remove_all(dir);
}

}  // namespace
