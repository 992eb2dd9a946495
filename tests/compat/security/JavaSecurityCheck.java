// The Java client (kafka-clients) over a secured listener of brookd, configured only through
// Kafka's own client settings (a properties file: security.protocol, ssl.*, sasl.*).
//
// Usage: java JavaSecurityCheck PROPERTIES MODE TOPIC [COUNT]
//   roundtrip: produces COUNT records (acks=all, idempotent) and reads them back by assignment;
//              prints "ok N".
//   refused:   expects the connection to be refused: prints "refused <exception class>: <message>"
//              when an AuthenticationException (SASL or TLS) ends a metadata request.
//   steady:    sends one record every 250 ms for COUNT seconds with one producer, each waited
//              for; prints "ok N" (used across re-authentications, KIP-368).
// Exit status 0 when the mode's expectation held, 1 otherwise (with the reason on stderr).
import java.io.FileInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class JavaSecurityCheck {
  public static void main(String[] args) throws Exception {
    Properties base = new Properties();
    try (FileInputStream in = new FileInputStream(args[0])) {
      base.load(in);
    }
    String mode = args[1];
    String topic = args[2];
    int count = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    switch (mode) {
      case "roundtrip":
        System.exit(roundtrip(base, topic, count));
        break;
      case "refused":
        System.exit(refused(base));
        break;
      case "steady":
        System.exit(steady(base, topic, count));
        break;
      default:
        System.err.println("unknown mode " + mode);
        System.exit(2);
    }
  }

  static Properties producerProps(Properties base) {
    Properties p = new Properties();
    p.putAll(base);
    p.put("acks", "all");
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    p.put("delivery.timeout.ms", "30000");
    p.put("request.timeout.ms", "10000");
    return p;
  }

  static int roundtrip(Properties base, String topic, int count) throws Exception {
    List<String> sent = new ArrayList<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(base))) {
      for (int i = 0; i < count; i++) {
        String v = "java-" + i;
        producer.send(new ProducerRecord<>(topic, 0, null, v)).get(30, TimeUnit.SECONDS);
        sent.add(v);
      }
    }
    Properties c = new Properties();
    c.putAll(base);
    c.put("key.deserializer", StringDeserializer.class.getName());
    c.put("value.deserializer", StringDeserializer.class.getName());
    c.put("auto.offset.reset", "earliest");
    c.put("enable.auto.commit", "false");
    List<String> got = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.currentTimeMillis() + 30000;
      while (System.currentTimeMillis() < deadline && got.size() < sent.size()) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          if (r.value().startsWith("java-")) got.add(r.value());
        }
      }
    }
    if (!got.equals(sent)) {
      System.err.println("read back " + got.size() + " of " + sent.size() + ": " + got);
      return 1;
    }
    System.out.println("ok " + got.size());
    return 0;
  }

  static int refused(Properties base) {
    Properties p = new Properties();
    p.putAll(base);
    p.put("request.timeout.ms", "10000");
    p.put("default.api.timeout.ms", "15000");
    try (Admin admin = Admin.create(p)) {
      admin.listTopics().names().get(20, TimeUnit.SECONDS);
      System.err.println("the connection was not refused");
      return 1;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof AuthenticationException) {
        System.out.println("refused " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
        return 0;
      }
      System.err.println("failed otherwise: " + cause);
      return 1;
    } catch (Exception e) {
      System.err.println("failed otherwise: " + e);
      return 1;
    }
  }

  static int steady(Properties base, String topic, int seconds) throws Exception {
    int n = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(base))) {
      long end = System.currentTimeMillis() + seconds * 1000L;
      while (System.currentTimeMillis() < end) {
        producer.send(new ProducerRecord<>(topic, 0, null, "steady-" + n)).get(30, TimeUnit.SECONDS);
        n++;
        Thread.sleep(250);
      }
    }
    System.out.println("ok " + n);
    return 0;
  }
}
