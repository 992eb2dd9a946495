// Checks Brook's __consumer_offsets records against Apache Kafka's own group coordinator classes
// (kafka-group-coordinator's generated OffsetCommitKey/Value, GroupMetadataKey/Value, the KIP-848
// records, and GroupCoordinatorRecordSerde, which the broker's loader and the offsets formatter of
// kafka-console-consumer use).
//
// Usage: java OffsetsRecordsCheck <brook samples> <kafka samples out> [--verbose]
//   <brook samples>: lines "<name> TAB <key hex> TAB <value hex or ->" that Brook wrote.
//   For each, Kafka's serde decodes Brook's bytes and writes them back (must be equal), renders
//   them with Kafka's JSON converters (what the offsets formatter prints), and Kafka builds its
//   own sample of the same name from the same values (its bytes must equal Brook's).
//   <kafka samples out>: Kafka's encodings of all its samples in the same form (plus share and
//   streams group records Brook does not model), for Brook to read back.
// Ends with "offsets-records kafka: N passed, N failed"; exits 1 if anything failed.

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.coordinator.common.runtime.CoordinatorRecord;
import org.apache.kafka.coordinator.group.GroupCoordinatorRecordSerde;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupCurrentMemberAssignmentKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupCurrentMemberAssignmentValue;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupMemberMetadataKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupMemberMetadataValue;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupMetadataKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupMetadataValue;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupPartitionMetadataKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupPartitionMetadataValue;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupRegularExpressionKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupRegularExpressionValue;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupTargetAssignmentMemberKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupTargetAssignmentMemberValue;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupTargetAssignmentMetadataKey;
import org.apache.kafka.coordinator.group.generated.ConsumerGroupTargetAssignmentMetadataValue;
import org.apache.kafka.coordinator.group.generated.CoordinatorRecordJsonConverters;
import org.apache.kafka.coordinator.group.generated.GroupMetadataKey;
import org.apache.kafka.coordinator.group.generated.GroupMetadataValue;
import org.apache.kafka.coordinator.group.generated.LegacyOffsetCommitKey;
import org.apache.kafka.coordinator.group.generated.LegacyOffsetCommitValue;
import org.apache.kafka.coordinator.group.generated.OffsetCommitKey;
import org.apache.kafka.coordinator.group.generated.OffsetCommitValue;
import org.apache.kafka.coordinator.group.generated.ShareGroupMetadataKey;
import org.apache.kafka.coordinator.group.generated.ShareGroupMetadataValue;
import org.apache.kafka.coordinator.group.generated.StreamsGroupMetadataKey;
import org.apache.kafka.coordinator.group.generated.StreamsGroupMetadataValue;
import org.apache.kafka.server.common.ApiMessageAndVersion;

public class OffsetsRecordsCheck {
    static final long TS = 1_700_000_000_000L;
    static final Uuid TOPIC_A = new Uuid(0x0123456789abcdefL, 0x0fedcba987654321L);
    static final Uuid TOPIC_B = new Uuid(0x1111222233334444L, 0x5555666677778888L);

    static final GroupCoordinatorRecordSerde SERDE = new GroupCoordinatorRecordSerde();

    // Kafka's samples, named as Brook's (src/coordinator/tests/compat_samples.cc).
    static final Map<String, CoordinatorRecord> SAMPLES = new LinkedHashMap<>();
    // Samples only Kafka has: records Brook keeps as unknown bytes.
    static final Map<String, CoordinatorRecord> KAFKA_ONLY = new LinkedHashMap<>();

    static CoordinatorRecord rec(ApiMessage key, ApiMessage value, int version) {
        return CoordinatorRecord.record(key, new ApiMessageAndVersion(value, (short) version));
    }

    static OffsetCommitKey offsetsKey() {
        return new OffsetCommitKey().setGroup("orders-app").setTopic("orders").setPartition(7);
    }

    static OffsetCommitValue offsetValue(int version) {
        OffsetCommitValue v = new OffsetCommitValue().setOffset(42).setMetadata("meta").setCommitTimestamp(TS);
        if (version == 1) v.setExpireTimestamp(TS + 600_000);
        if (version >= 3) v.setLeaderEpoch(5);
        return v;
    }

    static GroupMetadataValue groupValue(int version) {
        GroupMetadataValue v = new GroupMetadataValue()
            .setProtocolType("consumer").setGeneration(3).setProtocol("range").setLeader("consumer-1-aaaa");
        if (version >= 2) v.setCurrentStateTimestamp(TS);
        GroupMetadataValue.MemberMetadata m1 = new GroupMetadataValue.MemberMetadata()
            .setMemberId("consumer-1-aaaa").setClientId("consumer-1").setClientHost("/10.0.0.1")
            .setSessionTimeout(45000)
            .setSubscription(new byte[] {0, 1, 0, 0, 0, 1, 0, 6, 'o', 'r', 'd', 'e', 'r', 's'})
            .setAssignment(new byte[] {0, 1, 2});
        if (version >= 3) m1.setGroupInstanceId("instance-1");
        if (version >= 1) m1.setRebalanceTimeout(300000);
        GroupMetadataValue.MemberMetadata m2 = new GroupMetadataValue.MemberMetadata()
            .setMemberId("consumer-2-bbbb").setClientId("consumer-2").setClientHost("/10.0.0.2")
            .setSessionTimeout(45000).setSubscription(new byte[] {9}).setAssignment(new byte[0]);
        if (version >= 1) m2.setRebalanceTimeout(300000);
        v.setMembers(new ArrayList<>(List.of(m1, m2)));
        return v;
    }

    static ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions memberPartitions(
            Uuid topic, List<Integer> partitions, List<Integer> epochs) {
        return new ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions()
            .setTopicId(topic).setPartitions(partitions).setAssignmentEpochs(epochs);
    }

    static void buildSamples() {
        for (int v = 0; v <= 4; v++) SAMPLES.put("offset_commit_v" + v, rec(offsetsKey(), offsetValue(v), v));
        OffsetCommitValue withId = offsetValue(4).setTopicId(TOPIC_A);
        SAMPLES.put("offset_commit_v4_topic_id", rec(offsetsKey(), withId, 4));
        OffsetCommitValue withTag = offsetValue(4).setTopicId(TOPIC_A);
        withTag.unknownTaggedFields().add(new RawTaggedField(7, new byte[] {(byte) 0xca, (byte) 0xfe}));
        SAMPLES.put("offset_commit_v4_unknown_tag", rec(offsetsKey(), withTag, 4));
        SAMPLES.put("offset_commit_legacy_v0", rec(
            new LegacyOffsetCommitKey().setGroup("old-app").setTopic("orders").setPartition(1),
            new LegacyOffsetCommitValue().setOffset(42).setMetadata("meta").setCommitTimestamp(TS), 0));
        SAMPLES.put("offset_commit_tombstone", CoordinatorRecord.tombstone(offsetsKey()));

        GroupMetadataKey gkey = new GroupMetadataKey().setGroup("orders-app");
        for (int v = 0; v <= 4; v++) SAMPLES.put("group_metadata_v" + v, rec(gkey, groupValue(v), v));
        GroupMetadataValue tagged = groupValue(4);
        tagged.unknownTaggedFields().add(new RawTaggedField(3, new byte[] {1}));
        tagged.members().get(0).unknownTaggedFields().add(new RawTaggedField(4, new byte[] {2, 2}));
        SAMPLES.put("group_metadata_v4_unknown_tags", rec(gkey, tagged, 4));
        // As GroupCoordinatorRecordHelpers.newEmptyGroupMetadataRecord builds it.
        SAMPLES.put("group_metadata_empty_v3", rec(gkey, new GroupMetadataValue()
            .setProtocolType("").setGeneration(0).setProtocol(null).setLeader(null)
            .setCurrentStateTimestamp(TS).setMembers(List.of()), 3));
        SAMPLES.put("group_metadata_tombstone", CoordinatorRecord.tombstone(gkey));

        ConsumerGroupMetadataKey cgkey = new ConsumerGroupMetadataKey().setGroupId("orders-848");
        SAMPLES.put("consumer_group_metadata_v0", rec(cgkey, new ConsumerGroupMetadataValue().setEpoch(10), 0));
        SAMPLES.put("consumer_group_metadata_hash_v0", rec(cgkey,
            new ConsumerGroupMetadataValue().setEpoch(10).setMetadataHash(0x1122334455667788L), 0));
        SAMPLES.put("consumer_group_metadata_tombstone", CoordinatorRecord.tombstone(cgkey));

        ConsumerGroupPartitionMetadataKey pkey = new ConsumerGroupPartitionMetadataKey().setGroupId("orders-848");
        SAMPLES.put("consumer_group_partition_metadata_v0", rec(pkey, new ConsumerGroupPartitionMetadataValue()
            .setTopics(List.of(
                new ConsumerGroupPartitionMetadataValue.TopicMetadata()
                    .setTopicId(TOPIC_A).setTopicName("orders").setNumPartitions(3)
                    .setPartitionMetadata(List.of(
                        new ConsumerGroupPartitionMetadataValue.PartitionMetadata()
                            .setPartition(0).setRacks(List.of("rack-a", "rack-b")),
                        new ConsumerGroupPartitionMetadataValue.PartitionMetadata()
                            .setPartition(1).setRacks(List.of()))),
                new ConsumerGroupPartitionMetadataValue.TopicMetadata()
                    .setTopicId(TOPIC_B).setTopicName("payments").setNumPartitions(1)
                    .setPartitionMetadata(List.of()))), 0));
        SAMPLES.put("consumer_group_partition_metadata_tombstone", CoordinatorRecord.tombstone(pkey));

        ConsumerGroupMemberMetadataKey mkey =
            new ConsumerGroupMemberMetadataKey().setGroupId("orders-848").setMemberId("member-1");
        SAMPLES.put("consumer_group_member_metadata_v0", rec(mkey, new ConsumerGroupMemberMetadataValue()
            .setInstanceId(null).setRackId("rack-a").setClientId("client-1").setClientHost("/10.0.0.1")
            .setSubscribedTopicNames(List.of("orders", "payments")).setSubscribedTopicRegex(null)
            .setRebalanceTimeoutMs(300000).setServerAssignor("uniform").setClassicMemberMetadata(null), 0));
        SAMPLES.put("consumer_group_member_metadata_classic_v0", rec(mkey, new ConsumerGroupMemberMetadataValue()
            .setInstanceId("instance-1").setRackId(null).setClientId("client-1").setClientHost("/10.0.0.1")
            .setSubscribedTopicNames(List.of()).setSubscribedTopicRegex("ord.*")
            .setRebalanceTimeoutMs(300000).setServerAssignor(null)
            .setClassicMemberMetadata(new ConsumerGroupMemberMetadataValue.ClassicMemberMetadata()
                .setSessionTimeoutMs(45000)
                .setSupportedProtocols(List.of(
                    new ConsumerGroupMemberMetadataValue.ClassicProtocol().setName("range")
                        .setMetadata(new byte[] {1, 2, 3}),
                    new ConsumerGroupMemberMetadataValue.ClassicProtocol().setName("cooperative-sticky")
                        .setMetadata(new byte[0])))), 0));
        SAMPLES.put("consumer_group_member_metadata_tombstone", CoordinatorRecord.tombstone(mkey));

        ConsumerGroupTargetAssignmentMetadataKey tkey =
            new ConsumerGroupTargetAssignmentMetadataKey().setGroupId("orders-848");
        SAMPLES.put("consumer_group_target_assignment_metadata_v0",
            rec(tkey, new ConsumerGroupTargetAssignmentMetadataValue().setAssignmentEpoch(11), 0));
        SAMPLES.put("consumer_group_target_assignment_metadata_timestamp_v0", rec(tkey,
            new ConsumerGroupTargetAssignmentMetadataValue().setAssignmentEpoch(11).setAssignmentTimestamp(TS), 0));
        SAMPLES.put("consumer_group_target_assignment_metadata_tombstone", CoordinatorRecord.tombstone(tkey));

        ConsumerGroupTargetAssignmentMemberKey tmkey =
            new ConsumerGroupTargetAssignmentMemberKey().setGroupId("orders-848").setMemberId("member-1");
        SAMPLES.put("consumer_group_target_assignment_member_v0", rec(tmkey,
            new ConsumerGroupTargetAssignmentMemberValue().setTopicPartitions(List.of(
                new ConsumerGroupTargetAssignmentMemberValue.TopicPartition()
                    .setTopicId(TOPIC_A).setPartitions(List.of(0, 1, 2)),
                new ConsumerGroupTargetAssignmentMemberValue.TopicPartition()
                    .setTopicId(TOPIC_B).setPartitions(List.of(0)))), 0));
        SAMPLES.put("consumer_group_target_assignment_member_empty_v0", rec(tmkey,
            new ConsumerGroupTargetAssignmentMemberValue().setTopicPartitions(List.of()), 0));
        SAMPLES.put("consumer_group_target_assignment_member_tombstone", CoordinatorRecord.tombstone(tmkey));

        ConsumerGroupCurrentMemberAssignmentKey ckey =
            new ConsumerGroupCurrentMemberAssignmentKey().setGroupId("orders-848").setMemberId("member-1");
        SAMPLES.put("consumer_group_current_member_assignment_v0", rec(ckey,
            new ConsumerGroupCurrentMemberAssignmentValue().setMemberEpoch(11).setPreviousMemberEpoch(10)
                .setState((byte) 0)
                .setAssignedPartitions(List.of(memberPartitions(TOPIC_A, List.of(0, 1), null)))
                .setPartitionsPendingRevocation(List.of(memberPartitions(TOPIC_B, List.of(0), null))), 0));
        SAMPLES.put("consumer_group_current_member_assignment_epochs_v0", rec(ckey,
            new ConsumerGroupCurrentMemberAssignmentValue().setMemberEpoch(12).setPreviousMemberEpoch(11)
                .setState((byte) 1)
                .setAssignedPartitions(List.of(memberPartitions(TOPIC_A, List.of(0, 1), List.of(11, 9))))
                .setPartitionsPendingRevocation(List.of()), 0));
        SAMPLES.put("consumer_group_current_member_assignment_tombstone", CoordinatorRecord.tombstone(ckey));

        ConsumerGroupRegularExpressionKey rkey =
            new ConsumerGroupRegularExpressionKey().setGroupId("orders-848").setRegularExpression("ord.*");
        SAMPLES.put("consumer_group_regular_expression_v0", rec(rkey, new ConsumerGroupRegularExpressionValue()
            .setTopics(List.of("orders", "orders-dlq")).setVersion(17).setTimestamp(TS), 0));
        SAMPLES.put("consumer_group_regular_expression_tombstone", CoordinatorRecord.tombstone(rkey));

        ShareGroupMetadataKey skey = new ShareGroupMetadataKey().setGroupId("share-app");
        KAFKA_ONLY.put("kafka_only_share_group_metadata_v0",
            rec(skey, new ShareGroupMetadataValue().setEpoch(4).setMetadataHash(99), 0));
        KAFKA_ONLY.put("kafka_only_share_group_metadata_tombstone", CoordinatorRecord.tombstone(skey));
        KAFKA_ONLY.put("kafka_only_streams_group_metadata_v0", rec(
            new StreamsGroupMetadataKey().setGroupId("streams-app"),
            new StreamsGroupMetadataValue().setEpoch(2).setMetadataHash(7), 0));
    }

    static String hex(byte[] b) {
        if (b == null) return "-";
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x & 0xff));
        return s.toString();
    }

    static byte[] unhex(String s) {
        if (s.equals("-")) return null;
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    static int passed = 0, failed = 0;
    static boolean verbose = false;

    static void fail(String name, String why) {
        failed++;
        System.out.println("FAIL " + name + ": " + why);
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: OffsetsRecordsCheck <brook samples> <kafka samples out> [--verbose]");
            System.exit(2);
        }
        verbose = args.length > 2 && args[2].equals("--verbose");
        buildSamples();

        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
            if (line.isEmpty()) continue;
            String[] f = line.split("\t");
            if (f.length != 3) {
                fail(line, "not <name> TAB <key> TAB <value>");
                continue;
            }
            String name = f[0];
            seen.put(name, true);
            byte[] key = unhex(f[1]);
            byte[] value = unhex(f[2]);

            // (1) Kafka's serde reads Brook's bytes and writes them back unchanged; the offsets
            // formatter's JSON rendering of them works.
            CoordinatorRecord decoded;
            try {
                decoded = SERDE.deserialize(ByteBuffer.wrap(key), value == null ? null : ByteBuffer.wrap(value));
            } catch (RuntimeException e) {
                fail(name, "Kafka cannot read Brook's bytes: " + e);
                continue;
            }
            byte[] key2 = SERDE.serializeKey(decoded);
            byte[] value2 = SERDE.serializeValue(decoded);
            if (!Arrays.equals(key, key2) || !Arrays.equals(value, value2)) {
                fail(name, "Kafka re-encodes Brook's bytes differently\n  brook " + f[1] + " " + f[2]
                    + "\n  kafka " + hex(key2) + " " + hex(value2));
                continue;
            }
            try {
                String json = "{\"key\":" + CoordinatorRecordJsonConverters.writeRecordKeyAsJson(decoded.key())
                    + ",\"value\":" + (decoded.value() == null ? "null"
                        : CoordinatorRecordJsonConverters.writeRecordValueAsJson(
                            decoded.value().message(), decoded.value().version())) + "}";
                if (verbose) System.out.println(name + " " + json);
            } catch (RuntimeException e) {
                fail(name, "Kafka's JSON converters fail on Brook's record: " + e);
                continue;
            }
            passed++;

            // (2) Kafka builds the same record from the same values: the bytes must be Brook's.
            CoordinatorRecord ours = SAMPLES.get(name);
            if (ours == null) {
                fail(name, "no Kafka sample of this name (keep compat_samples.cc and this file in step)");
                continue;
            }
            byte[] k = SERDE.serializeKey(ours);
            byte[] v = SERDE.serializeValue(ours);
            if (!Arrays.equals(key, k) || !Arrays.equals(value, v)) {
                fail(name, "Kafka's encoding of the sample differs from Brook's\n  brook " + f[1] + " " + f[2]
                    + "\n  kafka " + hex(k) + " " + hex(v));
                continue;
            }
            passed++;
        }
        for (String name : SAMPLES.keySet())
            if (!seen.containsKey(name)) fail(name, "missing from Brook's samples");

        // (3) Kafka's encodings, for Brook to read back.
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Path.of(args[1]), StandardCharsets.UTF_8))) {
            Map<String, CoordinatorRecord> all = new LinkedHashMap<>(SAMPLES);
            all.putAll(KAFKA_ONLY);
            for (Map.Entry<String, CoordinatorRecord> e : all.entrySet())
                out.println(e.getKey() + "\t" + hex(SERDE.serializeKey(e.getValue())) + "\t"
                    + hex(SERDE.serializeValue(e.getValue())));
        }
        System.out.println("offsets-records kafka: " + passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
