// Shared by the client library's integration tests: the broker under test (BROOK_TEST_BOOTSTRAP,
// "host:port"), its flavour (BROOK_TEST_BROKER: "brook" or "kafka-4.4.0" etc., for the few checks
// where Kafka versions differ), and topic names unique to one run.
#pragma once

#include <string>

#include "client/config.h"

namespace brook::client::test {

std::string bootstrap();
std::string broker_flavour();
// "it-<name>-<pid>-<counter>": topics of earlier runs never collide.
std::string unique_name(const std::string& name);
// A config with bootstrap.servers set, plus `extra`.
config base_config(std::initializer_list<std::pair<std::string, std::string>> extra = {});

}  // namespace brook::client::test
