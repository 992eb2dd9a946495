// brookd: a Kafka-protocol broker. With no arguments it serves one node on
// PLAINTEXT://127.0.0.1:9092 with its data in ./brook-data.
//
//   brookd [server.properties] [--override key=value]...
//
// Settings use Kafka's names. An unknown or invalid setting stops start-up with a message and
// exit code 2. SIGTERM or SIGINT shut down cleanly: requests in flight are answered, logs are
// flushed and closed, and the next start skips recovery.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/config.h"
#include "broker/options.h"

using namespace brook;

namespace {
const log::logger lg("brookd");

void usage(FILE* to) {
  std::fprintf(to,
               "usage: brookd [server.properties] [--override key=value]...\n"
               "Serves the Kafka protocol. Settings use Apache Kafka's names (see README).\n");
}
}  // namespace

int main(int argc, char** argv) {
  std::string properties_file;
  std::vector<std::pair<std::string, std::string>> overrides;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    }
    if (a == "--override") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "brookd: --override needs key=value\n");
        return 2;
      }
      a = argv[++i];
    } else if (a.starts_with("--override=")) {
      a = a.substr(11);
    } else if (!a.starts_with("-") && properties_file.empty()) {
      properties_file = a;
      continue;
    } else {
      std::fprintf(stderr, "brookd: unexpected argument '%s'\n", a.c_str());
      usage(stderr);
      return 2;
    }
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "brookd: --override needs key=value, got '%s'\n", a.c_str());
      return 2;
    }
    overrides.emplace_back(a.substr(0, eq), a.substr(eq + 1));
  }

  auto options = broker::load_options(properties_file, overrides);
  if (!options) {
    std::fprintf(stderr, "brookd: %s\n", options.error().c_str());
    return 2;
  }

  // Shard threads inherit this mask, so the signals reach only sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  broker::broker b(std::move(*options));
  try {
    b.start();
  } catch (const std::exception& e) {
    lg.error("cannot start: {}", e.what());
    return 1;
  }
  lg.info("started");
  int sig = 0;
  sigwait(&signals, &sig);
  lg.info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  b.stop();
  return 0;
}
