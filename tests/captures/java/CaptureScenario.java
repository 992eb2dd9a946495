// The capture scenario for the Java client (kafka-clients): Admin, a producer per compression
// codec, a consumer in a classic group and one in a KIP-848 ("consumer" protocol) group.
//
// Usage: java -cp <kafka-clients and its dependencies>:. CaptureScenario BOOTSTRAP TOPIC GROUP
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class CaptureScenario {
  private static final List<String> CODECS = List.of("none", "gzip", "snappy", "lz4", "zstd");
  private static final long TIMEOUT_S = 15;

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0], topic = args[1], group = args[2];
    Properties common = new Properties();
    common.put("bootstrap.servers", bootstrap);
    common.put("client.id", "brook-captures-java");
    common.put("request.timeout.ms", "15000");

    try (Admin admin = Admin.create(common)) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)))
          .all().get(TIMEOUT_S, TimeUnit.SECONDS);

      for (String codec : CODECS) {
        Properties p = (Properties) common.clone();
        p.put("compression.type", codec);
        p.put("linger.ms", "50");
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
          for (int i = 0; i < 2; i++) {
            var record = new ProducerRecord<String, String>(topic, null, "key-" + codec + "-" + i,
                "value " + i + " compressed with " + codec,
                List.of(new RecordHeader("codec", codec.getBytes(StandardCharsets.UTF_8)),
                    new RecordHeader("n", Integer.toString(i).getBytes(StandardCharsets.UTF_8))));
            producer.send(record);
          }
          producer.flush();
        }
      }

      consume(common, topic, group, "classic");
      consume(common, topic, group + "-848", "consumer");

      TopicPartition tp = new TopicPartition(topic, 0);
      System.out.println("java: earliest " + admin.listOffsets(Map.of(tp, OffsetSpec.earliest()))
          .all().get(TIMEOUT_S, TimeUnit.SECONDS));
      System.out.println("java: latest " + admin.listOffsets(Map.of(tp, OffsetSpec.latest()))
          .all().get(TIMEOUT_S, TimeUnit.SECONDS));
      System.out.println("java: group offsets " + admin.listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata().get(TIMEOUT_S, TimeUnit.SECONDS));
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(resource))
          .all().get(TIMEOUT_S, TimeUnit.SECONDS);
      System.out.println("java: " + configs.get(resource).entries().size() + " configs");
      admin.deleteTopics(List.of(topic)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
    }
  }

  // Reads the topic's records in a group with the given group.protocol, then commits.
  private static void consume(Properties common, String topic, String group, String protocol) {
    Properties c = (Properties) common.clone();
    c.put("group.id", group);
    c.put("group.protocol", protocol);
    c.put("auto.offset.reset", "earliest");
    c.put("enable.auto.commit", "false");
    c.put("fetch.max.wait.ms", "100");
    c.put("key.deserializer", StringDeserializer.class.getName());
    c.put("value.deserializer", StringDeserializer.class.getName());
    int want = 2 * CODECS.size(), seen = 0;
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (seen < want && System.nanoTime() < deadline) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
        seen += records.count();
      }
      if (seen < want) {
        throw new IllegalStateException(protocol + " consumer read " + seen + " of " + want);
      }
      consumer.commitSync(Duration.ofSeconds(TIMEOUT_S));
      System.out.println("java: " + protocol + " group committed "
          + consumer.committed(Set.of(new TopicPartition(topic, 0)), Duration.ofSeconds(TIMEOUT_S)));
    }
  }
}
