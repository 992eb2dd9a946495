// Reads every record set Brook's records_dump test wrote (<name>.bin) with Apache Kafka's own
// decoder, org.apache.kafka.common.record.MemoryRecords, and compares what Kafka sees with the
// expectation beside it (<name>.json; its format is described in
// src/protocol/tests/records_dump_test.cc). For each set:
//   - the set: Kafka's valid bytes cover the whole file, and it has the expected batches;
//   - each batch: ensureValid() passes (size, CRC) and isValid() is true; magic, codec, base and
//     last offset, next offset, partition leader epoch, timestamp type, max timestamp, producer
//     id and epoch, base and last sequence, transactional and control flags, record count;
//   - each record, read both with the batch's iterator and with streamingIterator (the path the
//     consumer's fetcher takes): ensureValid(), offset, timestamp, sequence, key, value, headers,
//     for magic 0 and 1 the timestamp type, and for control batches the control record type and
//     the end transaction marker's coordinator epoch.
//
// kafka-clients 4.x moved these classes to org.apache.kafka.common.record.internal and
// org.apache.kafka.common.utils.internals; run.sh compiles a copy of this file with the imports
// rewritten for such a jar, so the code below is written against the 3.x names.
//
// Usage: java -cp <classes>:kafka-clients.jar:<codecs>:<jackson> RecordsCheck DUMP_DIR LABEL
//          [--magic 0,1,2] [--verbose]
//   LABEL     names the client in the output, e.g. "java 4.4.0"
//   --magic   check only the sets of these magics; the others are counted as skipped
//   --verbose print every mismatch of a set, not just the first few
// Ends with "records-interop: LABEL: N sets passed, N failed, N skipped".
// Exit status: 0 when nothing failed, 1 when something failed, 2 on bad usage.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.ControlRecordType;
import org.apache.kafka.common.record.EndTransactionMarker;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

public final class RecordsCheck {
    /** Mismatches printed per set unless --verbose. */
    private static final int MAX_MISMATCHES = 10;

    private final String label;
    private final boolean verbose;
    private final List<String> mismatches = new ArrayList<>();

    private RecordsCheck(String label, boolean verbose) {
        this.label = label;
        this.verbose = verbose;
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) usage();
        Path dir = Paths.get(args[0]);
        String label = args[1];
        Set<Integer> magics = null;
        boolean verbose = false;
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--verbose" -> verbose = true;
                case "--magic" -> {
                    if (++i == args.length) usage();
                    magics = new HashSet<>();
                    for (String m : args[i].split(",")) magics.add(Integer.parseInt(m.trim()));
                }
                default -> usage();
            }
        }
        List<Path> sets;
        try (Stream<Path> s = Files.list(dir)) {
            sets = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        if (sets.isEmpty()) {
            System.err.println("RecordsCheck: no <name>.json in " + dir);
            System.exit(2);
        }
        ObjectMapper mapper = new ObjectMapper();
        int passed = 0, failed = 0, skipped = 0;
        for (Path json : sets) {
            String file = json.getFileName().toString();
            String name = file.substring(0, file.length() - ".json".length());
            JsonNode want = mapper.readTree(json.toFile());
            if (magics != null && !magics.contains(want.get("magic").asInt())) {
                skipped++;
                continue;
            }
            byte[] bin = Files.readAllBytes(dir.resolve(name + ".bin"));
            RecordsCheck check = new RecordsCheck(label, verbose);
            try {
                check.checkSet(bin, want);
            } catch (Exception e) {
                check.mismatch("Kafka threw " + e);
            }
            if (check.mismatches.isEmpty()) {
                passed++;
                continue;
            }
            failed++;
            int shown = verbose ? check.mismatches.size()
                                : Math.min(MAX_MISMATCHES, check.mismatches.size());
            for (int i = 0; i < shown; i++) {
                System.out.println("records-interop: " + label + ": " + name + ": "
                        + check.mismatches.get(i));
            }
            if (shown < check.mismatches.size()) {
                System.out.println("records-interop: " + label + ": " + name + ": ... and "
                        + (check.mismatches.size() - shown) + " more");
            }
        }
        System.out.println("records-interop: " + label + ": " + passed + " sets passed, " + failed
                + " failed, " + skipped + " skipped");
        System.exit(failed == 0 ? 0 : 1);
    }

    private static void usage() {
        System.err.println(
                "usage: RecordsCheck DUMP_DIR LABEL [--magic 0,1,2] [--verbose]");
        System.exit(2);
    }

    private void mismatch(String what) {
        mismatches.add(what);
    }

    private void expect(String where, Object want, Object got) {
        if (Objects.equals(want, got)) return;
        if (!verbose && want instanceof String w && got instanceof String g
                && Math.max(w.length(), g.length()) > 80) {
            // Long base64 values: show where they part, not how they start.
            int k = 0;
            while (k < w.length() && k < g.length() && w.charAt(k) == g.charAt(k)) k++;
            int from = Math.max(0, k - 20);
            mismatch(where + ": " + w.length() + " vs " + g.length()
                    + " base64 chars, first difference at " + k + ": want ..."
                    + w.substring(from, Math.min(w.length(), k + 20)) + "..., Kafka read ..."
                    + g.substring(from, Math.min(g.length(), k + 20)) + "...");
            return;
        }
        mismatch(where + ": want " + shorten(want) + ", Kafka read " + shorten(got));
    }

    private String shorten(Object o) {
        String s = String.valueOf(o);
        return verbose || s.length() <= 80 ? s : s.substring(0, 60) + "...(" + s.length() + " chars)";
    }

    private void checkSet(byte[] bin, JsonNode want) {
        MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(bin));
        expect("set: size", bin.length, records.sizeInBytes());
        expect("set: valid bytes", bin.length, records.validBytes());
        List<MutableRecordBatch> batches = new ArrayList<>();
        for (MutableRecordBatch b : records.batches()) batches.add(b);
        JsonNode wantBatches = want.get("batches");
        expect("set: batch count", wantBatches.size(), batches.size());
        int sum = 0;
        for (int i = 0; i < Math.min(batches.size(), wantBatches.size()); i++) {
            sum += batches.get(i).sizeInBytes();
            checkBatch("batch " + i, batches.get(i), wantBatches.get(i));
        }
        expect("set: bytes covered by batches", bin.length, sum);
    }

    private static String timestampTypeName(TimestampType t) {
        return switch (t) {
            case NO_TIMESTAMP_TYPE -> "none";
            case CREATE_TIME -> "create_time";
            case LOG_APPEND_TIME -> "log_append_time";
        };
    }

    private static TimestampType timestampTypeNamed(String name) {
        return switch (name) {
            case "none" -> TimestampType.NO_TIMESTAMP_TYPE;
            case "create_time" -> TimestampType.CREATE_TIME;
            case "log_append_time" -> TimestampType.LOG_APPEND_TIME;
            default -> throw new IllegalArgumentException("timestamp type " + name);
        };
    }

    /** Kafka's DefaultRecordBatch.incrementSequence, restated: sequences wrap to 0. */
    private static int incrementSequence(int base, int delta) {
        if (base > Integer.MAX_VALUE - delta) return delta - (Integer.MAX_VALUE - base) - 1;
        return base + delta;
    }

    private void checkBatch(String at, MutableRecordBatch batch, JsonNode want) {
        try {
            batch.ensureValid();
        } catch (RuntimeException e) {
            mismatch(at + ": ensureValid() threw " + e);
        }
        expect(at + ": isValid()", true, batch.isValid());
        int magic = want.get("magic").asInt();
        String codec = want.get("codec").asText();
        expect(at + ": magic", magic, (int) batch.magic());
        expect(at + ": codec", codec, batch.compressionType().name);
        expect(at + ": isCompressed()", !codec.equals("none"), batch.isCompressed());
        long baseOffset = want.get("base_offset").asLong();
        long lastOffset = want.get("last_offset").asLong();
        expect(at + ": base offset", baseOffset, batch.baseOffset());
        expect(at + ": last offset", lastOffset, batch.lastOffset());
        expect(at + ": next offset", lastOffset + 1, batch.nextOffset());
        expect(at + ": partition leader epoch", want.get("partition_leader_epoch").asInt(),
                batch.partitionLeaderEpoch());
        String tsType = want.get("timestamp_type").asText();
        expect(at + ": timestamp type", tsType, timestampTypeName(batch.timestampType()));
        expect(at + ": max timestamp", want.get("max_timestamp").asLong(), batch.maxTimestamp());
        long producerId = want.get("producer_id").asLong();
        expect(at + ": producer id", producerId, batch.producerId());
        expect(at + ": hasProducerId()", producerId != -1, batch.hasProducerId());
        expect(at + ": producer epoch", (short) want.get("producer_epoch").asInt(),
                batch.producerEpoch());
        int baseSequence = want.get("base_sequence").asInt();
        expect(at + ": base sequence", baseSequence, batch.baseSequence());
        expect(at + ": last sequence", want.get("last_sequence").asInt(), batch.lastSequence());
        expect(at + ": transactional", want.get("transactional").asBoolean(),
                batch.isTransactional());
        boolean control = want.get("control").asBoolean();
        expect(at + ": control", control, batch.isControlBatch());
        JsonNode wantRecords = want.get("records");
        // Magic 0 and 1 batches do not know their count without reading them.
        expect(at + ": countOrNull()", magic == 2 ? Integer.valueOf(wantRecords.size()) : null,
                batch.countOrNull());

        List<Record> iterated = new ArrayList<>();
        try {
            for (Record r : batch) iterated.add(r);
        } catch (RuntimeException e) {
            mismatch(at + ": iterating threw " + e);
        }
        List<Record> streamed = new ArrayList<>();
        try (CloseableIterator<Record> it = batch.streamingIterator(BufferSupplier.create())) {
            while (it.hasNext()) streamed.add(it.next());
        } catch (RuntimeException e) {
            mismatch(at + ": streamingIterator threw " + e);
        }
        for (String how : new String[] {"iterator", "streamingIterator"}) {
            List<Record> got = how.equals("iterator") ? iterated : streamed;
            expect(at + ": record count (" + how + ")", wantRecords.size(), got.size());
            for (int i = 0; i < Math.min(got.size(), wantRecords.size()); i++) {
                checkRecord(at + " record " + i + " (" + how + ")", got.get(i),
                        wantRecords.get(i), magic, baseOffset, baseSequence, control);
            }
        }
    }

    private void checkRecord(String at, Record r, JsonNode want, int magic, long baseOffset,
            int baseSequence, boolean control) {
        try {
            r.ensureValid();
        } catch (RuntimeException e) {
            mismatch(at + ": ensureValid() threw " + e);
        }
        long offset = want.get("offset").asLong();
        expect(at + ": offset", offset, r.offset());
        expect(at + ": timestamp", want.get("timestamp").asLong(), r.timestamp());
        expect(at + ": magic", true, r.hasMagic((byte) magic));
        expect(at + ": compressed", false, r.isCompressed());
        if (magic < 2) {
            // Records of magic 2 carry no timestamp type of their own (their batch does).
            String tsType = want.get("timestamp_type").asText();
            expect(at + ": timestamp type " + tsType, true,
                    r.hasTimestampType(timestampTypeNamed(tsType)));
        }
        int sequence = baseSequence == -1
                ? -1 : incrementSequence(baseSequence, (int) (offset - baseOffset));
        expect(at + ": sequence", sequence, r.sequence());
        expect(at + ": key", text(want.get("key")), base64(r.key()));
        expect(at + ": hasKey()", !want.get("key").isNull(), r.hasKey());
        expect(at + ": value", text(want.get("value")), base64(r.value()));
        expect(at + ": hasValue()", !want.get("value").isNull(), r.hasValue());
        Header[] headers = r.headers();
        JsonNode wantHeaders = want.get("headers");
        expect(at + ": header count", wantHeaders.size(), headers.length);
        for (int i = 0; i < Math.min(headers.length, wantHeaders.size()); i++) {
            JsonNode h = wantHeaders.get(i);
            expect(at + ": header " + i + " key", h.get("key").asText(), headers[i].key());
            byte[] v = headers[i].value();
            expect(at + ": header " + i + " value", text(h.get("value")),
                    v == null ? null : Base64.getEncoder().encodeToString(v));
        }
        if (control) {
            ControlRecordType type = ControlRecordType.parse(r.key());
            expect(at + ": control record type", want.get("control_type").asInt(),
                    (int) type.type());
            EndTransactionMarker marker = EndTransactionMarker.deserialize(r);
            expect(at + ": end transaction marker type", type, marker.controlType());
            expect(at + ": coordinator epoch", want.get("coordinator_epoch").asInt(),
                    marker.coordinatorEpoch());
        }
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    private static String base64(ByteBuffer b) {
        if (b == null) return null;
        byte[] a = new byte[b.remaining()];
        b.duplicate().get(a);
        return Base64.getEncoder().encodeToString(a);
    }
}
