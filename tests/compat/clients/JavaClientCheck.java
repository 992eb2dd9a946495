// Apache Kafka's Java client (kafka-clients) against a running brookd: the Java counterpart of
// clients_check.py. For every codec and acks setting it creates a topic with the Admin client,
// produces 200 records with KafkaProducer (keys, values, headers and timestamps exactly as
// clients_check.py's expected()), reads them back with KafkaConsumer and compares every field.
// The produce phase also checks Admin describeTopics, listTopics and deleteTopics (on a scratch
// topic).
//
// Usage: java -cp CLASSES:kafka-clients.jar:... JavaClientCheck BOOTSTRAP PHASE
//   PHASE: produce - create the topics, produce, read back, compare; Admin checks
//          verify  - read back what `produce` wrote (after a restart) and compare
//
// The producer is idempotent with acks=all (as the Java client's default); the consumer has no
// group.id (assign + seekToBeginning, no commits): tests/compat/groups covers groups. Prints one line per topic ("java PHASE TOPIC: ok" or "...: FAILED: reason"); exits 1
// on any failure.

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class JavaClientCheck {
  static final String[] CODECS = {"none", "gzip", "snappy", "lz4", "zstd"};
  static final String[] ACKS = {"0", "1", "all"};
  static final int COUNT = 200;
  static final long BASE_TS = 1_700_000_000_000L;
  static final String SCRATCH = "java-scratch";
  static final long TIMEOUT_S = 30;

  record Rec(byte[] key, byte[] value, List<Header> headers, long timestamp) {}

  static String topicName(String codec, String acks) {
    return "java-" + codec + "-acks" + acks;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // clients_check.py's expected(), exactly.
  static List<Rec> expected(String topic) {
    List<Rec> out = new ArrayList<>();
    for (int i = 0; i < COUNT; i++) {
      byte[] key = i % 10 == 9 ? null : utf8(topic + "-key-" + i);
      byte[] value = i % 17 == 16 ? null : utf8(topic + "-value-" + i + "-" + "x".repeat(i % 50));
      List<Header> headers = new ArrayList<>();
      if (i % 3 == 0) headers.add(new RecordHeader("h", utf8(Integer.toString(i))));
      out.add(new Rec(key, value, headers, BASE_TS + i));
    }
    return out;
  }

  static String show(byte[] b) {
    return b == null ? "null" : "'" + new String(b, StandardCharsets.UTF_8) + "'";
  }

  static String show(List<Header> hs) {
    StringBuilder sb = new StringBuilder("[");
    for (Header h : hs) {
      if (sb.length() > 1) sb.append(", ");
      sb.append("(").append(h.key()).append(", ").append(show(h.value())).append(")");
    }
    return sb.append("]").toString();
  }

  static boolean sameHeaders(List<Header> a, List<Header> b) {
    if (a.size() != b.size()) return false;
    for (int i = 0; i < a.size(); i++) {
      if (!a.get(i).key().equals(b.get(i).key())) return false;
      if (!Arrays.equals(a.get(i).value(), b.get(i).value())) return false;
    }
    return true;
  }

  static String compare(String topic, List<ConsumerRecord<byte[], byte[]>> got) {
    List<Rec> want = expected(topic);
    if (got.size() != want.size()) {
      return got.size() + " records, expected " + want.size();
    }
    for (int i = 0; i < want.size(); i++) {
      ConsumerRecord<byte[], byte[]> g = got.get(i);
      Rec w = want.get(i);
      if (g.offset() != i) return "record " + i + ": offset " + g.offset() + ", expected " + i;
      if (!Arrays.equals(g.key(), w.key()) || !Arrays.equals(g.value(), w.value())) {
        return "record " + i + ": key/value " + show(g.key()) + "/" + show(g.value()) + ", expected "
            + show(w.key()) + "/" + show(w.value());
      }
      List<Header> gh = Arrays.asList(g.headers().toArray());
      if (!sameHeaders(gh, w.headers())) {
        return "record " + i + ": headers " + show(gh) + ", expected " + show(w.headers());
      }
      if (g.timestamp() != w.timestamp() || g.timestampType() != TimestampType.CREATE_TIME) {
        return "record " + i + ": timestamp " + g.timestamp() + " (" + g.timestampType()
            + "), expected " + w.timestamp() + " (CreateTime)";
      }
    }
    return null;
  }

  static Properties common(String bootstrap, String clientId) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("client.id", clientId);
    p.put("request.timeout.ms", "15000");
    return p;
  }

  static Admin admin(String bootstrap, String phase) {
    Properties p = common(bootstrap, "brook-java-check-" + phase + "-admin");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    return Admin.create(p);
  }

  static void createTopic(Admin admin, String topic) throws Exception {
    try {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all()
          .get(TIMEOUT_S, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) throw e;
    }
  }

  static void produce(String bootstrap, String topic, String codec, String acks,
      List<Rec> records) throws Exception {
    Properties p = common(bootstrap, "brook-java-check-" + topic + "-producer");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    // Idempotent with acks=all, the Java client's default then (InitProducerId, sequences).
    boolean all = acks.equals("all") || acks.equals("-1");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, all ? "true" : "false");
    p.put(ProducerConfig.ACKS_CONFIG, acks);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "4096");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      List<Future<RecordMetadata>> futures = new ArrayList<>();
      for (Rec r : records) {
        futures.add(producer.send(
            new ProducerRecord<>(topic, null, r.timestamp(), r.key(), r.value(), r.headers())));
      }
      producer.flush();
      for (Future<RecordMetadata> f : futures) f.get(TIMEOUT_S, TimeUnit.SECONDS);
    }
  }

  static List<ConsumerRecord<byte[], byte[]>> consume(String bootstrap, String topic, int count) {
    Properties p = common(bootstrap, "brook-java-check-" + topic + "-consumer");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
    List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
      while (got.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) got.add(r);
      }
    }
    return got;
  }

  static String describe(Throwable e) {
    if (e instanceof ExecutionException && e.getCause() != null) e = e.getCause();
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  static boolean report(String phase, String what, String problem) {
    System.out.println("java " + phase + " " + what + ": "
        + (problem == null ? "ok" : "FAILED: " + problem));
    System.out.flush();
    return problem == null;
  }

  // Admin describeTopics and listTopics see every topic, each with its one partition and a leader.
  static String checkDescribe(Admin admin, Collection<String> topics) throws Exception {
    Map<String, TopicDescription> described =
        admin.describeTopics(topics).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
    for (String t : topics) {
      TopicDescription d = described.get(t);
      if (d == null) return "describeTopics: no " + t;
      if (d.partitions().size() != 1) {
        return "describeTopics: " + t + " has " + d.partitions().size() + " partitions";
      }
      if (d.partitions().get(0).leader() == null) return "describeTopics: " + t + " has no leader";
    }
    Set<String> listed = admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS);
    Set<String> missing = new HashSet<>(topics);
    missing.removeAll(listed);
    if (!missing.isEmpty()) return "listTopics lacks " + missing;
    return null;
  }

  // Admin deleteTopics on the scratch topic; listTopics must stop naming it.
  static String checkDelete(Admin admin) throws Exception {
    admin.deleteTopics(List.of(SCRATCH)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Set<String> listed = admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS);
      if (!listed.contains(SCRATCH)) return null;
      if (System.nanoTime() > deadline) return "listTopics still names " + SCRATCH + " 10 s later";
      Thread.sleep(200);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2 || !(args[1].equals("produce") || args[1].equals("verify"))) {
      System.err.println("usage: JavaClientCheck BOOTSTRAP produce|verify");
      System.exit(2);
    }
    String bootstrap = args[0];
    String phase = args[1];
    boolean producing = phase.equals("produce");
    int failed = 0;
    Admin admin = producing ? admin(bootstrap, phase) : null;

    // The scratch topic: created and written first, deleted after the loop.
    boolean scratchOk = true;
    if (producing) {
      String problem = null;
      try {
        createTopic(admin, SCRATCH);
        List<Rec> one = expected(SCRATCH).subList(0, 1);
        produce(bootstrap, SCRATCH, "none", "all", one);
      } catch (Exception e) {
        problem = describe(e);
      }
      scratchOk = report(phase, "admin createTopics+produce " + SCRATCH, problem);
      if (!scratchOk) failed++;
    }

    List<String> topics = new ArrayList<>();
    for (String codec : CODECS) {
      for (String acks : ACKS) {
        String topic = topicName(codec, acks);
        topics.add(topic);
        String problem;
        try {
          if (producing) {
            createTopic(admin, topic);
            produce(bootstrap, topic, codec, acks, expected(topic));
          }
          problem = compare(topic, consume(bootstrap, topic, COUNT));
        } catch (Exception e) {
          problem = describe(e);
        }
        if (!report(phase, topic, problem)) failed++;
      }
    }

    if (producing) {
      String problem;
      try {
        problem = checkDescribe(admin, topics);
      } catch (Exception e) {
        problem = describe(e);
      }
      if (!report(phase, "admin describeTopics+listTopics", problem)) failed++;
      if (scratchOk) {
        try {
          problem = checkDelete(admin);
        } catch (Exception e) {
          problem = describe(e);
        }
        if (!report(phase, "admin deleteTopics " + SCRATCH, problem)) failed++;
      }
      admin.close(Duration.ofSeconds(5));
    }
    System.exit(failed == 0 ? 0 : 1);
  }
}
