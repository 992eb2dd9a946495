#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "broker/config.h"
#include "broker/options.h"

using namespace brook;
using namespace brook::broker;
using protocol::records::codec;
using protocol::records::timestamp_type;

namespace {

using overrides_t = std::vector<std::pair<std::string, std::string>>;

// A properties file in the temp folder, removed at the end of the test.
class temp_file {
 public:
  explicit temp_file(const std::string& text) {
    static int counter = 0;
    _path = std::filesystem::temp_directory_path() /
            ("brook-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
             ".properties");
    std::ofstream(_path, std::ios::binary) << text;
  }
  ~temp_file() { std::filesystem::remove(_path); }
  std::string path() const { return _path.string(); }

 private:
  std::filesystem::path _path;
};

broker_options load_ok(const std::string& text, const overrides_t& overrides = {}) {
  temp_file f(text);
  auto r = load_options(f.path(), overrides);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error());
  return r ? *r : broker_options{};
}

std::string load_error(const std::string& text, const overrides_t& overrides = {}) {
  temp_file f(text);
  auto r = load_options(text.empty() ? "" : f.path(), overrides);
  EXPECT_FALSE(r.has_value());
  return r ? "" : r.error();
}

}  // namespace

TEST(properties, parses_java_properties_syntax) {
  auto r = parse_properties(
      "# a comment\n"
      "   ! another comment\n"
      "\n"
      "a=1\n"
      "  b : two words  \n"
      "c three\r\n"
      "d\n"
      "e = first, \\\n"
      "    second\n"
      "f = back\\\\slash\\\\\n"
      "g=tab\\there \\u0041\n"
      "key\\=with\\:escapes = x\r"
      "# continued comment \\\n"
      "h=last",
      "test.properties");
  ASSERT_TRUE(r.has_value()) << r.error();
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& p : *r) got.emplace_back(p.key, p.value);
  std::vector<std::pair<std::string, std::string>> want = {
      {"a", "1"},
      {"b", "two words"},
      {"c", "three"},
      {"d", ""},
      {"e", "first, second"},
      {"f", "back\\slash\\"},
      {"g", "tab\there A"},
      {"key=with:escapes", "x"},
      {"h", "last"},
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ((*r)[0].line, 4);
  EXPECT_EQ((*r)[5].line, 10);
  EXPECT_EQ((*r)[8].line, 14);
}

TEST(properties, malformed_unicode_escape_is_an_error) {
  auto r = parse_properties("a=\\u12\n", "x.properties");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("x.properties, line 1"), std::string::npos) << r.error();
}

TEST(options, defaults_without_a_file) {
  auto r = load_options("", {});
  ASSERT_TRUE(r.has_value()) << r.error();
  ASSERT_EQ(r->listeners.size(), 1u);
  EXPECT_EQ(r->listeners[0].name, "PLAINTEXT");
  EXPECT_EQ(r->listeners[0].host, "127.0.0.1");
  EXPECT_EQ(r->listeners[0].port, 9092);
  EXPECT_EQ(r->log_dir, "brook-data");
  EXPECT_GE(r->shards, 1u);
  EXPECT_TRUE(r->advertised.empty());
  EXPECT_EQ(r->log_defaults.segment_bytes, storage::log_config{}.segment_bytes);
}

TEST(options, file_then_overrides_later_wins) {
  auto o = load_ok(
      "node.id=3\n"
      "num.partitions=4\n"
      "auto.create.topics.enable=FALSE\n"
      "log.dirs=/data/a, /data/b\n"
      "brook.shards=2\n"
      "num.partitions=5\n",
      {{"num.partitions", "6"}, {"delete.topic.enable", "false"}, {"num.partitions", "7"}});
  EXPECT_EQ(o.node_id, 3);
  EXPECT_EQ(o.num_partitions, 7);
  EXPECT_FALSE(o.auto_create_topics);
  EXPECT_FALSE(o.delete_topic_enable);
  EXPECT_EQ(o.log_dir, "/data/a");
  EXPECT_EQ(o.shards, 2u);
}

TEST(options, log_dirs_wins_over_log_dir_and_broker_id_is_an_alias) {
  auto o = load_ok("log.dir=/x\nlog.dirs=/y\nbroker.id=9\n");
  EXPECT_EQ(o.log_dir, "/y");
  EXPECT_EQ(o.node_id, 9);
  auto e = load_error("node.id=1\nbroker.id=2\n");
  EXPECT_NE(e.find("broker.id"), std::string::npos) << e;
}

TEST(options, unknown_setting_names_key_and_origin) {
  temp_file f("num.partitions=1\nno.such.thing=1\n");
  auto r = load_options(f.path(), {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("unknown setting 'no.such.thing'"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find(f.path() + ", line 2"), std::string::npos) << r.error();

  auto o = load_options("", {{"bogus", "1"}});
  ASSERT_FALSE(o.has_value());
  EXPECT_EQ(o.error(), "unknown setting 'bogus' (from --override)");
}

TEST(options, zookeeper_is_rejected_with_a_reason) {
  auto e = load_error("zookeeper.connect=localhost:2181\n");
  EXPECT_NE(e.find("zookeeper.connect"), std::string::npos) << e;
  EXPECT_NE(e.find("ZooKeeper"), std::string::npos) << e;
}

TEST(options, invalid_values_name_key_value_and_expectation) {
  auto e = load_error("", {{"num.partitions", "0"}});
  EXPECT_EQ(e,
            "invalid value '0' for setting 'num.partitions' (from --override): expected an "
            "integer >= 1");
  e = load_error("", {{"log.segment.bytes", "abc"}});
  EXPECT_NE(e.find("'abc'"), std::string::npos) << e;
  EXPECT_NE(e.find("log.segment.bytes"), std::string::npos) << e;
  e = load_error("", {{"auto.create.topics.enable", "yes"}});
  EXPECT_NE(e.find("true or false"), std::string::npos) << e;
  e = load_error("", {{"log.message.timestamp.type", "createtime"}});
  EXPECT_NE(e.find("CreateTime or LogAppendTime"), std::string::npos) << e;
  e = load_error("", {{"compression.type", "brotli"}});
  EXPECT_NE(e.find("compression.type"), std::string::npos) << e;
  e = load_error("", {{"log.cleanup.policy", "delete,shred"}});
  EXPECT_NE(e.find("log.cleanup.policy"), std::string::npos) << e;
  e = load_error("", {{"num.io.threads", "0"}});
  EXPECT_NE(e.find("num.io.threads"), std::string::npos) << e;
  e = load_error("", {{"compression.gzip.level", "0"}});
  EXPECT_NE(e.find("compression.gzip.level"), std::string::npos) << e;
  e = load_error("", {{"process.roles", "controller"}});
  EXPECT_NE(e.find("process.roles"), std::string::npos) << e;
  e = load_error("", {{"brook.shards", "0"}});
  EXPECT_NE(e.find("brook.shards"), std::string::npos) << e;
}

TEST(options, listeners) {
  auto o = load_ok(
      "listeners=PLAINTEXT://:9092, internal://[::1]:0,LOCAL://127.0.0.2:19092\n"
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,local:plaintext\n"
      "advertised.listeners=PLAINTEXT://kafka.example.com:9092,LOCAL://127.0.0.2:0\n"
      "socket.request.max.bytes=1000000\n"
      "queued.max.requests=7\n"
      "socket.send.buffer.bytes=102400\n");
  ASSERT_EQ(o.listeners.size(), 3u);
  EXPECT_EQ(o.listeners[0].name, "PLAINTEXT");
  EXPECT_EQ(o.listeners[0].host, "0.0.0.0");
  EXPECT_EQ(o.listeners[0].port, 9092);
  EXPECT_EQ(o.listeners[1].name, "INTERNAL");
  EXPECT_EQ(o.listeners[1].host, "::1");
  EXPECT_EQ(o.listeners[1].port, 0);
  EXPECT_EQ(o.listeners[2].host, "127.0.0.2");
  for (const auto& l : o.listeners) {
    EXPECT_EQ(l.max_frame_bytes, 1000000);
    EXPECT_EQ(l.max_in_flight, 7);
    EXPECT_EQ(l.send_buffer_bytes, 102400);
    EXPECT_EQ(l.receive_buffer_bytes, -1);
  }
  ASSERT_EQ(o.advertised.size(), 2u);
  EXPECT_EQ(o.advertised[0].name, "PLAINTEXT");
  EXPECT_EQ(o.advertised[0].host, "kafka.example.com");
  EXPECT_EQ(o.advertised[0].port, 9092);
  EXPECT_EQ(o.advertised[1].name, "LOCAL");
  EXPECT_EQ(o.advertised[1].port, 0);
}

TEST(options, localhost_listener_resolves_to_an_address) {
  auto o = load_ok("listeners=PLAINTEXT://localhost:9092\n");
  ASSERT_EQ(o.listeners.size(), 1u);
  EXPECT_TRUE(o.listeners[0].host == "127.0.0.1" || o.listeners[0].host == "::1")
      << o.listeners[0].host;
}

TEST(options, bad_listeners) {
  auto e = load_error("", {{"listeners", "PLAINTEXT://:9092,PLAINTEXT://:9093"}});
  EXPECT_NE(e.find("appears twice"), std::string::npos) << e;
  e = load_error("", {{"listeners", "PLAINTEXT://:70000"}});
  EXPECT_NE(e.find("70000"), std::string::npos) << e;
  e = load_error("", {{"listeners", "localhost:9092"}});
  EXPECT_NE(e.find("NAME://host:port"), std::string::npos) << e;
  e = load_error("", {{"listeners", "A://:9092,B://:9092"},
                      {"listener.security.protocol.map", "A:PLAINTEXT,B:PLAINTEXT"}});
  EXPECT_NE(e.find("port 9092"), std::string::npos) << e;
  e = load_error("", {{"listeners", "SSL://:9093"}});
  EXPECT_NE(e.find("'ssl.keystore.location': an SSL listener needs a key store"), std::string::npos)
      << e;
  e = load_error("", {{"listeners", "SSL://:9093"},
                      {"ssl.keystore.location", "/nonexistent/brook.p12"},
                      {"ssl.keystore.type", "PKCS12"}});
  EXPECT_NE(e.find("cannot read /nonexistent/brook.p12"), std::string::npos) << e;
  e = load_error("", {{"listeners", "SASL_PLAINTEXT://:9093"}});
  EXPECT_NE(e.find("sasl.enabled.mechanisms is not set"), std::string::npos) << e;
  e = load_error("",
                 {{"listeners", "SASL_PLAINTEXT://:9093"}, {"sasl.enabled.mechanisms", "PLAIN"}});
  EXPECT_NE(e.find("plain.sasl.jaas.config"), std::string::npos) << e;
  e = load_error("",
                 {{"listeners", "SASL_PLAINTEXT://:9093"}, {"sasl.enabled.mechanisms", "MAGIC"}});
  EXPECT_NE(e.find("unknown SASL mechanism MAGIC"), std::string::npos) << e;
  e = load_error(
      "", {{"listeners", "SASL_PLAINTEXT://:9093"}, {"sasl.enabled.mechanisms", "OAUTHBEARER"}});
  EXPECT_NE(e.find("sasl.oauthbearer.jwks.endpoint.url is not set"), std::string::npos) << e;
  e = load_error("", {{"listeners", "CLIENT://:9093"}});
  EXPECT_NE(e.find("listener.security.protocol.map"), std::string::npos) << e;
  e = load_error("", {{"listener.security.protocol.map", "PLAINTEXT:TLS"}});
  EXPECT_NE(e.find("listener.security.protocol.map"), std::string::npos) << e;
  e = load_error("", {{"advertised.listeners", "OTHER://host:1"}});
  EXPECT_NE(e.find("not in listeners"), std::string::npos) << e;
  e = load_error("", {{"advertised.listeners", "PLAINTEXT://0.0.0.0:9092"}});
  EXPECT_NE(e.find("unroutable"), std::string::npos) << e;
  e = load_error(
      "", {{"listeners", "CONTROLLER://:9093"}, {"controller.listener.names", "CONTROLLER"}});
  EXPECT_NE(e.find("controller listener"), std::string::npos) << e;
}

TEST(options, retention_precedence_like_kafka) {
  EXPECT_EQ(load_ok("log.retention.hours=2\n").log_defaults.retention_ms, 2 * 3600 * 1000);
  EXPECT_EQ(load_ok("log.retention.hours=2\nlog.retention.minutes=3\n").log_defaults.retention_ms,
            3 * 60 * 1000);
  EXPECT_EQ(load_ok("log.retention.hours=2\nlog.retention.minutes=3\nlog.retention.ms=1234\n")
                .log_defaults.retention_ms,
            1234);
  EXPECT_EQ(load_ok("log.retention.ms=-1\nlog.retention.hours=5\n").log_defaults.retention_ms, -1);
  EXPECT_EQ(load_ok("log.retention.hours=-1\n").log_defaults.retention_ms, -1);
  EXPECT_EQ(load_ok("log.retention.bytes=-1\n").log_defaults.retention_bytes, -1);
  EXPECT_EQ(load_ok("log.roll.hours=1\n").log_defaults.segment_ms, 3600 * 1000);
  EXPECT_EQ(load_ok("log.roll.hours=1\nlog.roll.ms=500\n").log_defaults.segment_ms, 500);
  EXPECT_EQ(load_ok("log.roll.jitter.hours=1\n").log_defaults.segment_jitter_ms, 3600 * 1000);
  // The losing setting is still checked.
  load_error("", {{"log.retention.ms", "5"}, {"log.retention.hours", "x"}});
}

TEST(options, log_defaults) {
  auto o = load_ok(
      "log.segment.bytes=2048\n"
      "log.index.interval.bytes=100\n"
      "log.index.size.max.bytes=4096\n"
      "log.flush.interval.messages=10\n"
      "log.flush.interval.ms=1000\n"
      "log.segment.delete.delay.ms=0\n"
      "message.max.bytes=5000\n"
      "log.message.timestamp.type=LogAppendTime\n"
      "log.message.timestamp.before.max.ms=10\n"
      "log.message.timestamp.after.max.ms=20\n"
      "compression.type=zstd\n"
      "compression.zstd.level=-5\n"
      "compression.lz4.level=17\n"
      "compression.gzip.level=-1\n"
      "log.cleanup.policy=compact, delete\n"
      "log.retention.check.interval.ms=1000\n");
  const auto& d = o.log_defaults;
  EXPECT_EQ(d.segment_bytes, 2048);
  EXPECT_EQ(d.index_interval_bytes, 100);
  EXPECT_EQ(d.segment_index_bytes, 4096);
  EXPECT_EQ(d.flush_messages, 10);
  EXPECT_EQ(d.flush_ms, 1000);
  EXPECT_EQ(d.file_delete_delay_ms, 0);
  EXPECT_EQ(d.max_message_bytes, 5000);
  EXPECT_EQ(d.timestamp_type, timestamp_type::log_append_time);
  EXPECT_EQ(d.timestamp_before_max_ms, 10);
  EXPECT_EQ(d.timestamp_after_max_ms, 20);
  EXPECT_FALSE(d.keep_producer_compression);
  EXPECT_EQ(d.compression, codec::zstd);
  EXPECT_EQ(d.compression_zstd_level, -5);
  EXPECT_EQ(d.compression_lz4_level, 17);
  EXPECT_EQ(d.compression_gzip_level, -1);
  EXPECT_TRUE(d.compact);
  EXPECT_TRUE(d.delete_retention);
  EXPECT_EQ(o.retention_check_interval_ms, 1000);

  auto u = load_ok("compression.type=uncompressed\nlog.cleanup.policy=compact\n").log_defaults;
  EXPECT_FALSE(u.keep_producer_compression);
  EXPECT_EQ(u.compression, codec::none);
  EXPECT_TRUE(u.compact);
  EXPECT_FALSE(u.delete_retention);
  EXPECT_TRUE(load_ok("compression.type=producer\n").log_defaults.keep_producer_compression);
  load_error("", {{"log.segment.bytes", "1023"}});
}

TEST(options, log_cleaner_settings) {
  auto o = load_ok(
      "log.cleaner.enable=false\nlog.cleaner.threads=3\nlog.cleaner.dedupe.buffer.size=1048576\n"
      "log.cleaner.io.buffer.size=65536\nlog.cleaner.io.buffer.load.factor=0.5\n"
      "log.cleaner.io.max.bytes.per.second=1000000\nlog.cleaner.backoff.ms=200\n"
      "log.cleaner.delete.retention.ms=1000\nlog.cleaner.min.compaction.lag.ms=10\n"
      "log.cleaner.max.compaction.lag.ms=20\nlog.cleaner.min.cleanable.ratio=0.01\n"
      "producer.id.expiration.ms=5000\n");
  EXPECT_FALSE(o.cleaner.enable);
  EXPECT_EQ(o.cleaner.threads, 3);
  EXPECT_EQ(o.cleaner.dedupe_buffer_size, 1048576);
  EXPECT_EQ(o.cleaner.io_buffer_size, 65536);
  EXPECT_EQ(o.cleaner.dedupe_buffer_load_factor, 0.5);
  EXPECT_EQ(o.cleaner.io_max_bytes_per_second, 1e6);
  EXPECT_EQ(o.cleaner.backoff_ms, 200);
  EXPECT_EQ(o.cleaner.producer_id_expiration_ms, 5000);
  EXPECT_EQ(o.log_defaults.delete_retention_ms, 1000);
  EXPECT_EQ(o.log_defaults.min_compaction_lag_ms, 10);
  EXPECT_EQ(o.log_defaults.max_compaction_lag_ms, 20);
  EXPECT_EQ(o.log_defaults.min_cleanable_dirty_ratio, 0.01);
  // Kafka's defaults.
  auto d = load_ok("");
  EXPECT_TRUE(d.cleaner.enable);
  EXPECT_EQ(d.cleaner.threads, 1);
  EXPECT_EQ(d.cleaner.dedupe_buffer_size, 128 << 20);
  EXPECT_EQ(d.cleaner.backoff_ms, 15000);
  EXPECT_EQ(d.log_defaults.delete_retention_ms, 86400000);
  EXPECT_EQ(d.log_defaults.min_cleanable_dirty_ratio, 0.5);
  auto e = load_error("", {{"log.cleaner.min.cleanable.ratio", "1.5"}});
  EXPECT_NE(e.find("log.cleaner.min.cleanable.ratio"), std::string::npos) << e;
  e = load_error("", {{"log.cleaner.max.compaction.lag.ms", "0"}});
  EXPECT_NE(e.find("log.cleaner.max.compaction.lag.ms"), std::string::npos) << e;
  e = load_error("", {{"log.cleaner.threads", "x"}});
  EXPECT_NE(e.find("log.cleaner.threads"), std::string::npos) << e;
}

TEST(topic_config, compaction_settings) {
  storage::log_config defaults;
  defaults.min_cleanable_dirty_ratio = 0.01;
  auto c = topic_log_config(defaults, {{"delete.retention.ms", "5000"},
                                       {"min.compaction.lag.ms", "7"},
                                       {"max.compaction.lag.ms", "9"},
                                       {"min.cleanable.dirty.ratio", "0.25"}});
  EXPECT_EQ(c.delete_retention_ms, 5000);
  EXPECT_EQ(c.min_compaction_lag_ms, 7);
  EXPECT_EQ(c.max_compaction_lag_ms, 9);
  EXPECT_EQ(c.min_cleanable_dirty_ratio, 0.25);
  // Kafka refuses a minimum lag above the maximum, the broker's defaults included.
  EXPECT_EQ(
      validate_topic_configs({{"min.compaction.lag.ms", "10"}, {"max.compaction.lag.ms", "5"}}),
      "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)");
  storage::log_config lagging;
  lagging.max_compaction_lag_ms = 100;
  EXPECT_NE(validate_topic_configs({{"min.compaction.lag.ms", "101"}}, lagging), "");
  EXPECT_EQ(validate_topic_configs({{"min.compaction.lag.ms", "100"}}, lagging), "");
  // Broker defaults are described as Kafka renders them.
  std::map<std::string, config_entry> by_name;
  for (auto& e : describe_topic_configs(defaults, {})) by_name[e.name] = e;
  EXPECT_EQ(by_name["min.cleanable.dirty.ratio"].value, "0.01");
  EXPECT_EQ(by_name["delete.retention.ms"].value, "86400000");
  EXPECT_EQ(by_name["max.compaction.lag.ms"].value, "9223372036854775807");
  defaults.min_cleanable_dirty_ratio = 1;
  for (auto& e : describe_topic_configs(defaults, {})) by_name[e.name] = e;
  EXPECT_EQ(by_name["min.cleanable.dirty.ratio"].value, "1.0");
  defaults.min_cleanable_dirty_ratio = 0.0001;
  for (auto& e : describe_topic_configs(defaults, {})) by_name[e.name] = e;
  EXPECT_EQ(by_name["min.cleanable.dirty.ratio"].value, "1.0E-4");
}

TEST(options, stock_kafka_server_properties_load) {
  auto o = load_ok(R"(############################# Server Basics #############################

# The role of this server. Setting this puts us in KRaft mode
process.roles=broker,controller

# The node id associated with this instance's roles
node.id=1

# List of controller endpoints used connect to the controller cluster
controller.quorum.bootstrap.servers=localhost:9093

############################# Socket Server Settings #############################
listeners=PLAINTEXT://:9092,CONTROLLER://:9093

# Name of listener used for communication between brokers.
inter.broker.listener.name=PLAINTEXT

advertised.listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093

controller.listener.names=CONTROLLER

listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL

num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600

############################# Log Basics #############################
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1

############################# Internal Topic Settings  #############################
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1

############################# Log Flush Policy #############################
#log.flush.interval.messages=10000
#log.flush.interval.ms=1000

############################# Log Retention Policy #############################
log.retention.hours=168
#log.retention.bytes=1073741824
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
group.initial.rebalance.delay.ms=0
controller.quorum.voters=1@localhost:9093
)");
  ASSERT_EQ(o.listeners.size(), 1u);  // CONTROLLER is not served
  EXPECT_EQ(o.listeners[0].name, "PLAINTEXT");
  EXPECT_EQ(o.listeners[0].host, "0.0.0.0");
  EXPECT_EQ(o.listeners[0].send_buffer_bytes, 102400);
  ASSERT_EQ(o.advertised.size(), 1u);
  EXPECT_EQ(o.advertised[0].host, "localhost");
  EXPECT_EQ(o.log_dir, "/tmp/kraft-combined-logs");
  EXPECT_EQ(o.log_defaults.retention_ms, 168LL * 3600 * 1000);
  EXPECT_EQ(o.node_id, 1);
}

TEST(options, missing_file_is_an_error) {
  auto r = load_options("/nonexistent/brook/server.properties", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("/nonexistent/brook/server.properties"), std::string::npos);
}

TEST(topic_config, overrides_apply_over_defaults) {
  storage::log_config defaults;
  defaults.retention_ms = 1000;
  defaults.segment_bytes = 4096;
  auto c = topic_log_config(defaults, {{"segment.bytes", "100"},
                                       {"segment.ms", "200"},
                                       {"segment.jitter.ms", "3"},
                                       {"retention.bytes", "-5"},
                                       {"index.interval.bytes", "10"},
                                       {"segment.index.bytes", "80"},
                                       {"flush.messages", "1"},
                                       {"flush.ms", "0"},
                                       {"file.delete.delay.ms", "7"},
                                       {"max.message.bytes", "999"},
                                       {"message.timestamp.type", "LogAppendTime"},
                                       {"message.timestamp.before.max.ms", "11"},
                                       {"message.timestamp.after.max.ms", "12"},
                                       {"compression.type", "lz4"},
                                       {"compression.lz4.level", "5"},
                                       {"compression.gzip.level", "9"},
                                       {"compression.zstd.level", "1"},
                                       {"cleanup.policy", "compact"},
                                       {"min.insync.replicas", "2"}});
  EXPECT_EQ(c.segment_bytes, 100);
  EXPECT_EQ(c.segment_ms, 200);
  EXPECT_EQ(c.segment_jitter_ms, 3);
  EXPECT_EQ(c.retention_ms, 1000);  // the default
  EXPECT_EQ(c.retention_bytes, -1);
  EXPECT_EQ(c.index_interval_bytes, 10);
  EXPECT_EQ(c.segment_index_bytes, 80);
  EXPECT_EQ(c.flush_messages, 1);
  EXPECT_EQ(c.flush_ms, 0);
  EXPECT_EQ(c.file_delete_delay_ms, 7);
  EXPECT_EQ(c.max_message_bytes, 999);
  EXPECT_EQ(c.timestamp_type, timestamp_type::log_append_time);
  EXPECT_EQ(c.timestamp_before_max_ms, 11);
  EXPECT_EQ(c.timestamp_after_max_ms, 12);
  EXPECT_FALSE(c.keep_producer_compression);
  EXPECT_EQ(c.compression, codec::lz4);
  EXPECT_EQ(c.compression_lz4_level, 5);
  EXPECT_EQ(c.compression_gzip_level, 9);
  EXPECT_EQ(c.compression_zstd_level, 1);
  EXPECT_TRUE(c.compact);
  EXPECT_FALSE(c.delete_retention);

  auto p = topic_log_config(c, {{"compression.type", "producer"},
                                {"cleanup.policy", "delete,compact"},
                                {"retention.ms", "-1"}});
  EXPECT_TRUE(p.keep_producer_compression);
  EXPECT_TRUE(p.compact);
  EXPECT_TRUE(p.delete_retention);
  EXPECT_EQ(p.retention_ms, -1);
  EXPECT_EQ(topic_log_config(c, {{"compression.type", "uncompressed"}}).compression, codec::none);
}

TEST(topic_config, validation_messages_like_kafka) {
  EXPECT_EQ(validate_topic_configs({}), "");
  EXPECT_EQ(validate_topic_configs({{"segment.bytes", "1048576"},
                                    {"cleanup.policy", "compact, delete"},
                                    {"compression.type", "zstd"},
                                    {"min.insync.replicas", "2"},
                                    {"min.cleanable.dirty.ratio", "0.1"},
                                    {"preallocate", "TRUE"},
                                    {"unclean.leader.election.enable", "false"},
                                    {"follower.replication.throttled.replicas", "0:1,1:1"},
                                    {"leader.replication.throttled.replicas", "*"},
                                    {"max.decompressed.message.bytes", "1000"},
                                    {"remote.copy.lag.ms", "-1"},
                                    {"retention.ms", "-1"},
                                    {"compression.gzip.level", "-1"}}),
            "");
  EXPECT_EQ(validate_topic_configs({{"foo", "1"}}), "Unknown topic config name: foo");
  // Kafka 4.0 removed the message format settings.
  EXPECT_EQ(validate_topic_configs({{"message.format.version", "3.0-IV1"}}),
            "Unknown topic config name: message.format.version");
  EXPECT_EQ(validate_topic_configs({{"segment.bytes", "abc"}}),
            "Invalid value abc for configuration segment.bytes: Not a number of type INT");
  EXPECT_EQ(validate_topic_configs({{"retention.ms", "1.5"}}),
            "Invalid value 1.5 for configuration retention.ms: Not a number of type LONG");
  EXPECT_EQ(validate_topic_configs({{"segment.bytes", "10"}}),
            "Invalid value 10 for configuration segment.bytes: Value must be at least 14");
  EXPECT_EQ(validate_topic_configs({{"segment.bytes", "3000000000"}}),
            "Invalid value 3000000000 for configuration segment.bytes: Not a number of type INT");
  EXPECT_EQ(validate_topic_configs({{"compression.lz4.level", "18"}}),
            "Invalid value 18 for configuration compression.lz4.level: Value must be no more "
            "than 17");
  EXPECT_EQ(validate_topic_configs({{"compression.type", "brotli"}}),
            "Invalid value brotli for configuration compression.type: String must be one of: "
            "uncompressed, zstd, lz4, snappy, gzip, producer");
  EXPECT_EQ(validate_topic_configs({{"cleanup.policy", "compact,shred"}}),
            "Invalid value compact,shred for configuration cleanup.policy: String must be one "
            "of: compact, delete");
  EXPECT_EQ(validate_topic_configs({{"preallocate", "yes"}}),
            "Invalid value yes for configuration preallocate: Expected value to be either true "
            "or false");
  EXPECT_EQ(validate_topic_configs({{"min.cleanable.dirty.ratio", "2"}}),
            "Invalid value 2 for configuration min.cleanable.dirty.ratio: Value must be no more "
            "than 1");
  EXPECT_NE(validate_topic_configs({{"message.timestamp.type", "createtime"}}), "");
  EXPECT_NE(validate_topic_configs({{"compression.gzip.level", "0"}}), "");
  EXPECT_NE(validate_topic_configs({{"leader.replication.throttled.replicas", "a:b"}}), "");
  EXPECT_TRUE(is_topic_config("retention.ms"));
  EXPECT_FALSE(is_topic_config("log.retention.ms"));
}

TEST(topic_config, describe_renders_overrides_and_defaults) {
  storage::log_config defaults;
  auto entries = describe_topic_configs(defaults, {{"retention.ms", "100"}});
  ASSERT_FALSE(entries.empty());
  for (size_t i = 1; i < entries.size(); ++i) EXPECT_LT(entries[i - 1].name, entries[i].name);
  std::map<std::string, config_entry> by_name;
  for (const auto& e : entries) by_name[e.name] = e;
  EXPECT_EQ(by_name["retention.ms"].value, "100");
  EXPECT_EQ(by_name["retention.ms"].source, k_config_source_dynamic_topic);
  EXPECT_EQ(by_name["cleanup.policy"].value, "delete");
  EXPECT_EQ(by_name["cleanup.policy"].source, k_config_source_default);
  EXPECT_EQ(by_name["compression.type"].value, "producer");
  EXPECT_EQ(by_name["message.timestamp.type"].value, "CreateTime");
  EXPECT_EQ(by_name["segment.bytes"].value, "1073741824");
  EXPECT_EQ(by_name["retention.bytes"].value, "-1");
  EXPECT_EQ(by_name["max.message.bytes"].value, "1048588");
  EXPECT_EQ(by_name["min.insync.replicas"].value, "1");
  // Every described name validates with its own rendered value.
  for (const auto& e : entries) {
    EXPECT_TRUE(is_topic_config(e.name)) << e.name;
    EXPECT_EQ(validate_topic_configs({{e.name, *e.value}}), "") << e.name;
  }
}

TEST(topic_config, describe_gives_types_and_synonyms) {
  storage::log_config defaults;
  auto entries = describe_topic_configs(defaults, {{"retention.ms", "100"}});
  std::map<std::string, config_entry> by_name;
  for (const auto& e : entries) by_name[e.name] = e;
  const auto& retention = by_name["retention.ms"];
  EXPECT_EQ(retention.type, 5);
  // As Kafka: log.retention.ms has no default of its own (log.retention.hours carries it), and
  // entries before the first one named log.retention.ms are not listed.
  ASSERT_EQ(retention.synonyms.size(), 1u);
  EXPECT_EQ(retention.synonyms[0].name, "retention.ms");
  EXPECT_EQ(retention.synonyms[0].source, k_config_source_dynamic_topic);
  const auto& roll = by_name["segment.ms"];
  EXPECT_TRUE(roll.synonyms.empty());
  EXPECT_EQ(roll.source, k_config_source_default);
  EXPECT_EQ(roll.value, "604800000");
  const auto& cleanup = by_name["cleanup.policy"];
  EXPECT_EQ(cleanup.type, k_config_type_list);
  ASSERT_EQ(cleanup.synonyms.size(), 1u);
  EXPECT_EQ(cleanup.synonyms[0].name, "log.cleanup.policy");
  EXPECT_EQ(topic_config_type("segment.bytes"), 3);
  EXPECT_EQ(topic_config_type("no.such.config"), 0);
  EXPECT_EQ(broker_synonym("segment.ms"), "log.roll.ms");
  EXPECT_EQ(broker_synonym("no.such.config"), "");
}

TEST(options, authorizer_settings) {
  EXPECT_FALSE(load_ok("").authorizer.enabled);
  auto o = load_ok(
      "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n"
      "super.users=User:admin;User:ops\n"
      "allow.everyone.if.no.acl.found=true\n");
  EXPECT_TRUE(o.authorizer.enabled);
  EXPECT_EQ(o.authorizer.super_users, (std::set<std::string>{"User:admin", "User:ops"}));
  EXPECT_TRUE(o.authorizer.allow_if_no_acl);
  EXPECT_TRUE(load_ok("authorizer.class.name=kafka.security.authorizer.AclAuthorizer\n")
                  .authorizer.enabled);
  auto e = load_error("", {{"authorizer.class.name", "com.example.Mine"}});
  EXPECT_NE(e.find("'com.example.Mine' for setting 'authorizer.class.name'"), std::string::npos)
      << e;
  e = load_error("", {{"super.users", "admin"}});
  EXPECT_NE(e.find("super.users"), std::string::npos) << e;
}
