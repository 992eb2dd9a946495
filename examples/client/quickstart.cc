// quickstart: create a topic, write three records and read them back as a group member, on Brook's
// client library (brookd or Apache Kafka). Usage: quickstart BOOTSTRAP
#include <client/admin.h>
#include <client/consumer.h>
#include <client/producer.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s BOOTSTRAP\n", argv[0]);
    return 2;
  }
  using namespace brook::client;
  try {
    admin a(config{{"bootstrap.servers", argv[1]}});
    a.create_topics({{.name = "quickstart", .partitions = 1, .replication_factor = 1}});

    producer p(config{{"bootstrap.servers", argv[1]}, {"linger.ms", "1"}});
    for (const char* word : {"one", "two", "three"}) {
      record_metadata m = p.send({.topic = "quickstart", .key = "k", .value = word}).get();
      std::printf("wrote %s at offset %lld\n", word, static_cast<long long>(m.offset));
    }

    consumer c(config{{"bootstrap.servers", argv[1]},
                      {"group.id", "quickstart"},
                      {"auto.offset.reset", "earliest"}});
    c.subscribe({"quickstart"});
    for (int read = 0; read < 3;) {
      for (const consumer_record& r : c.poll(std::chrono::seconds(1))) {
        std::printf("read %.*s from partition %d offset %lld\n",
                    static_cast<int>(r.value_view().size()), r.value_view().data(), r.partition(),
                    static_cast<long long>(r.offset()));
        ++read;
      }
    }
    c.commit_sync();
    return 0;
  } catch (const kafka_error& e) {
    std::fprintf(stderr, "quickstart: %s\n", e.what());
    return 1;
  }
}
