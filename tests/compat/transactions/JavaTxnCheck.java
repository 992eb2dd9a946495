// Apache Kafka's Java client (kafka-clients) against brookd's transaction coordinator: the Java
// counterpart of clients_check.py. The client speaks transactions version 2 (KIP-890 part 2), which
// brookd finalizes.
//  - commit and abort: a transactional KafkaProducer commits 50 records, aborts 50 (sent and
//    flushed first), commits 50 more; a read_committed KafkaConsumer reads exactly the 100
//    committed ones, a read_uncommitted one all 150.
//  - consume-transform-produce: a consumer in group java-ctp reads java-in (read_committed), the
//    producer writes each record transformed to java-out with sendOffsetsToTransaction; every
//    third transaction is aborted and the consumer seeks back to its committed offsets. At the end
//    java-out (read_committed) holds each input once, and the group has committed the end of
//    java-in.
//  - fencing: a second producer with the same transactional.id makes the first one's commit fail
//    with ProducerFencedException.
//
// Usage: java -cp CLASSES:kafka-clients.jar:... JavaTxnCheck BOOTSTRAP
// Prints one line per check ("java ok: ..." or "java FAILED: ..."); exits 1 on any failure.

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class JavaTxnCheck {
  static int failed = 0;

  static void check(String name, boolean ok, String detail) {
    if (!ok) failed++;
    System.out.println("java " + (ok ? "ok" : "FAILED") + ": " + name + (detail.isEmpty() ? "" : ": " + detail));
  }

  static KafkaProducer<String, String> producer(String bootstrap, String txnId) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txnId);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
    KafkaProducer<String, String> producer = new KafkaProducer<>(p);
    producer.initTransactions();
    return producer;
  }

  static KafkaConsumer<String, String> consumer(String bootstrap, String group, String isolation) {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    if (group != null) {
      c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
      // Small polls: many transactions, some of them aborted.
      c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "20");
    }
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    return new KafkaConsumer<>(c);
  }

  // Every value of partition 0..n-1 of `topic`, up to each partition's end for this isolation.
  static List<String> readAll(String bootstrap, String topic, int partitions, String isolation) {
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> c = consumer(bootstrap, null, isolation)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(topic, p));
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> ends = c.endOffsets(tps);
      long deadline = System.currentTimeMillis() + 30000;
      while (System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(300))) out.add(r.value());
        boolean done = true;
        for (TopicPartition tp : tps) if (c.position(tp) < ends.get(tp)) done = false;
        if (done) break;
      }
    }
    return out;
  }

  static void commitAbort(String bootstrap) throws Exception {
    try (KafkaProducer<String, String> p = producer(bootstrap, "java-ca")) {
      for (String batch : new String[] {"a", "b", "c"}) {
        p.beginTransaction();
        for (int i = 0; i < 50; i++) p.send(new ProducerRecord<>("java-ca", i % 2, null, batch + i));
        p.flush();
        if (batch.equals("b")) p.abortTransaction(); else p.commitTransaction();
      }
    }
    // Transactions version 2 (brookd finalizes transaction.version 2): each of the three ends
    // bumped the epoch; version 1 would have kept epoch 0.
    try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
      var d = admin.describeTransactions(List.of("java-ca")).description("java-ca").get();
      check("transactions version 2: every end bumped the epoch", d.producerEpoch() == 3,
          "epoch " + d.producerEpoch() + ", state " + d.state());
    }
    List<String> committed = readAll(bootstrap, "java-ca", 2, "read_committed");
    List<String> all = readAll(bootstrap, "java-ca", 2, "read_uncommitted");
    boolean noB = committed.stream().noneMatch(v -> v.startsWith("b"));
    check("commit, abort, commit: read_committed reads the 100 committed records only",
        committed.size() == 100 && noB, committed.size() + " read");
    check("read_uncommitted reads all 150", all.size() == 150, all.size() + " read");
  }

  static void consumeTransformProduce(String bootstrap) throws Exception {
    int n = 200;
    Properties plain = new Properties();
    plain.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    plain.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    plain.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> p = new KafkaProducer<>(plain)) {
      for (int i = 0; i < n; i++) p.send(new ProducerRecord<>("java-in", i % 2, null, Integer.toString(i)));
      p.flush();
    }
    int txns = 0, aborted = 0;
    try (KafkaConsumer<String, String> c = consumer(bootstrap, "java-ctp", "read_committed");
        KafkaProducer<String, String> p = producer(bootstrap, "java-ctp-1")) {
      c.subscribe(Collections.singletonList("java-in"));
      java.util.Set<Integer> done = new java.util.HashSet<>();
      long deadline = System.currentTimeMillis() + 90000;
      while (done.size() < n && System.currentTimeMillis() < deadline) {
        var records = c.poll(Duration.ofMillis(500));
        if (records.isEmpty()) continue;
        p.beginTransaction();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        List<Integer> values = new ArrayList<>();
        for (ConsumerRecord<String, String> r : records) {
          p.send(new ProducerRecord<>("java-out", r.partition(), null, "out-" + r.value()));
          offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
          values.add(Integer.parseInt(r.value()));
        }
        p.sendOffsetsToTransaction(offsets, c.groupMetadata());
        p.flush();
        txns++;
        if (txns % 3 == 0) {
          p.abortTransaction();
          aborted++;
          var committed = c.committed(c.assignment());
          for (TopicPartition tp : c.assignment()) {
            OffsetAndMetadata o = committed.get(tp);
            if (o == null) c.seekToBeginning(Collections.singletonList(tp)); else c.seek(tp, o.offset());
          }
          continue;
        }
        p.commitTransaction();
        done.addAll(values);
      }
      var committed = c.committed(java.util.Set.of(new TopicPartition("java-in", 0), new TopicPartition("java-in", 1)));
      long sum = 0;
      for (OffsetAndMetadata o : committed.values()) sum += o == null ? 0 : o.offset();
      List<String> out = readAll(bootstrap, "java-out", 2, "read_committed");
      boolean once = out.size() == n && new java.util.HashSet<>(out).size() == n;
      check("consume-transform-produce: " + n + " records through " + txns + " transactions ("
          + aborted + " aborted), each exactly once in java-out", once, out.size() + " read");
      check("java-ctp committed the end of java-in", sum == n, "committed " + committed);
    }
  }

  static void fencing(String bootstrap) throws Exception {
    KafkaProducer<String, String> old = producer(bootstrap, "java-fence");
    old.beginTransaction();
    old.send(new ProducerRecord<>("java-fence", 0, null, "zombie"));
    old.flush();
    try (KafkaProducer<String, String> fresh = producer(bootstrap, "java-fence")) {
      fresh.beginTransaction();
      fresh.send(new ProducerRecord<>("java-fence", 0, null, "new"));
      fresh.commitTransaction();
    }
    boolean fenced = false;
    try {
      old.commitTransaction();
    } catch (ProducerFencedException e) {
      fenced = true;
    } catch (org.apache.kafka.common.KafkaException e) {
      fenced = e.getCause() instanceof ProducerFencedException
          || e instanceof org.apache.kafka.common.errors.InvalidProducerEpochException;
    }
    old.close(Duration.ofSeconds(5));
    check("a second producer with the same transactional.id fences the first", fenced, "");
    List<String> seen = readAll(bootstrap, "java-fence", 1, "read_committed");
    check("the fenced producer's record is never visible to read_committed",
        seen.equals(List.of("new")), seen.toString());
  }

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    Properties a = new Properties();
    a.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(a)) {
      admin.createTopics(List.of(new NewTopic("java-ca", 2, (short) 1), new NewTopic("java-in", 2, (short) 1),
          new NewTopic("java-out", 2, (short) 1), new NewTopic("java-fence", 1, (short) 1))).all().get();
    }
    commitAbort(bootstrap);
    consumeTransformProduce(bootstrap);
    fencing(bootstrap);
    System.out.println("java transactions: " + (failed == 0 ? "all passed" : failed + " failed"));
    System.exit(failed == 0 ? 0 : 1);
  }
}
