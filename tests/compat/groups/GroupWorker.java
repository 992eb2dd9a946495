// One consumer-group member for groups_check.py, with Apache Kafka's Java client (kafka-clients).
//
// Usage: java -cp CLASSES:kafka-clients.jar:... GroupWorker BOOTSTRAP GROUP TOPIC NAME [key=value...]
//   keys: protocol=classic|consumer (group.protocol; consumer = KIP-848, the broker assigns)
//         assignor=range|roundrobin|sticky|cooperative-sticky          (classic only; default range)
//         session_ms=6000 heartbeat_ms=1000 poll_interval_ms=20000     (classic only)
//         max_poll=50
//
// Subscribes TOPIC in GROUP (auto.offset.reset=earliest, no auto-commit) and after every poll that
// returned records commits, with commitSync, the offset after the last record of each partition.
// Writes to stdout one line each (the protocol of groups_worker.py):
//   assigned P,P,...|-   rec P OFFSET KEY   committed P:OFF,...   commit-error TEXT   error TEXT
//   closed (after stdin ended or said "stop" and the consumer closed, leaving the group)

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class GroupWorker {
  static synchronized void emit(String line) {
    System.out.println(line);
    System.out.flush();
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: GroupWorker BOOTSTRAP GROUP TOPIC NAME [key=value...]");
      System.exit(2);
    }
    String bootstrap = args[0], group = args[1], topic = args[2], name = args[3];
    Map<String, String> opt = new HashMap<>(Map.of("protocol", "classic", "assignor", "range",
        "session_ms", "6000", "heartbeat_ms", "1000", "poll_interval_ms", "20000", "max_poll", "50"));
    for (int i = 4; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      opt.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, opt.get("max_poll"));
    p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "5000");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, opt.get("protocol"));
    if (opt.get("protocol").equals("classic")) {
      Class<?> assignor = switch (opt.get("assignor")) {
        case "range" -> RangeAssignor.class;
        case "roundrobin" -> RoundRobinAssignor.class;
        case "sticky" -> StickyAssignor.class;
        case "cooperative-sticky" -> CooperativeStickyAssignor.class;
        default -> throw new IllegalArgumentException("assignor " + opt.get("assignor"));
      };
      p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor.getName());
      p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, opt.get("session_ms"));
      p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, opt.get("heartbeat_ms"));
      p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, opt.get("poll_interval_ms"));
    }

    AtomicBoolean stop = new AtomicBoolean(false);
    Thread stdin = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null && !line.trim().equals("stop")) {}
      } catch (Exception e) {
        // stdin gone: stop as well
      }
      stop.set(true);
    });
    stdin.setDaemon(true);
    stdin.start();

    KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p);
    c.subscribe(Set.of(topic));
    String shown = null;
    while (!stop.get()) {
      ConsumerRecords<byte[], byte[]> records;
      try {
        records = c.poll(Duration.ofMillis(200));
      } catch (Exception e) {
        emit("error poll: " + e);
        Thread.sleep(200);
        continue;
      }
      String now = c.assignment().stream().filter(tp -> tp.topic().equals(topic))
          .map(TopicPartition::partition).collect(Collectors.toCollection(TreeSet::new)).stream()
          .map(String::valueOf).collect(Collectors.joining(","));
      if (now.isEmpty()) now = "-";
      if (!now.equals(shown)) {
        shown = now;
        emit("assigned " + now);
      }
      Map<Integer, Long> next = new TreeMap<>();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        String key = r.key() == null ? "-" : new String(r.key(), StandardCharsets.UTF_8);
        emit("rec " + r.partition() + " " + r.offset() + " " + key);
        next.merge(r.partition(), r.offset() + 1, Math::max);
      }
      if (!next.isEmpty()) {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        next.forEach((part, off) -> commit.put(new TopicPartition(topic, part), new OffsetAndMetadata(off)));
        try {
          c.commitSync(commit, Duration.ofSeconds(15));
          emit("committed " + next.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
              .collect(Collectors.joining(",")));
        } catch (Exception e) {
          emit("commit-error " + e);
        }
      }
    }
    c.close(CloseOptions.timeout(Duration.ofSeconds(15)));
    emit("closed");
    System.exit(0);
  }
}
