// hello: the smallest program on Brook's client library, built against an installed copy of it
// (see CMakeLists.txt beside it). It connects to a Kafka cluster (brookd or Apache Kafka) and
// lists its brokers and topics.
//
// Usage: hello BOOTSTRAP [PROPERTIES_FILE]
// PROPERTIES_FILE holds more client settings, one key=value a line, under the names Kafka's Java
// client and librdkafka use (security.protocol=SASL_SSL, ssl.ca.location=..., sasl.mechanism=...).
#include <client/cluster.h>
#include <client/errors.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s BOOTSTRAP [PROPERTIES_FILE]\n", argv[0]);
    return 2;
  }
  using namespace brook::client;
  try {
    config settings = argc == 3 ? config::from_properties_file(argv[2]) : config{};
    settings.set("bootstrap.servers", argv[1]);
    cluster c(std::move(settings));
    // Work happens on the cluster's I/O thread; run() waits for it here.
    const auto metadata = c.run([&] { return c.refresh_metadata(std::nullopt); });

    std::printf("cluster %s, controller %d\n", metadata->cluster_id.c_str(), metadata->controller);
    std::printf("brokers: %zu\n", metadata->brokers.size());
    for (const auto& [id, address] : metadata->brokers)
      std::printf("  broker %d at %s\n", id, address.to_string().c_str());
    std::printf("topics: %zu\n", metadata->topics.size());
    for (const auto& [name, topic] : metadata->topics) {
      std::string leaders;
      for (const auto& p : topic.partitions)
        leaders += (leaders.empty() ? "" : ",") + std::to_string(p.leader);
      std::printf("  %s: %zu partitions, leaders %s%s\n", name.c_str(), topic.partitions.size(),
                  leaders.c_str(), topic.internal ? " (internal)" : "");
    }
    return 0;
  } catch (const config_error& e) {
    std::fprintf(stderr, "hello: bad setting: %s\n", e.what());
  } catch (const kafka_error& e) {
    std::fprintf(stderr, "hello: %s\n", e.what());
  }
  return 1;
}
