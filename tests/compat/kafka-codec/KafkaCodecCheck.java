// Reads every encoding that Brook's round-trip tests dumped (<MessageName>.v<version>.<n>.bin) with
// Apache Kafka's own generated message classes and writes it back with them: Brook and Kafka agree
// on a message and version when Kafka consumes every byte and re-encodes exactly the same bytes.
//
// Runs against whichever kafka-clients jar is on the classpath; tests/compat/kafka-codec/run.sh
// runs it once per pinned Kafka release. Only Kafka's public generated-message API is used
// (Message, Readable, ByteBufferAccessor, ObjectSerializationCache), which 3.x and 4.x share.
//
// Usage: java -cp <classes>:kafka-clients.jar KafkaCodecCheck DUMP_DIR [options]
//   --exclude FILE   dump file names (one a line) to leave out: checked against a newer jar
//   --handled FILE   write the names of the dump files this jar checked (passed or failed)
//   --list-skipped   print which messages and versions this jar does not know
//   --verbose        on a mismatch, print both encodings in hex and Kafka's decoded message
//
// Prints one line per mismatch and ends with "kafka-codec: N passed, N failed, N skipped".
// Exit status: 0 when nothing failed, 1 when something failed, 2 on bad usage.

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Readable;

public final class KafkaCodecCheck {
    private static final Pattern DUMP_NAME =
            Pattern.compile("([A-Za-z0-9]+)\\.v(\\d+)\\.(\\d+)\\.bin");
    private static final String PACKAGE = "org.apache.kafka.common.message.";

    /** One dump file: message name, version and sample number parsed from its name. */
    private record Dump(Path path, String message, short version, int sample)
            implements Comparable<Dump> {
        @Override
        public int compareTo(Dump o) {
            int c = message.compareTo(o.message);
            if (c != 0) return c;
            c = Short.compare(version, o.version);
            return c != 0 ? c : Integer.compare(sample, o.sample);
        }

        String fileName() {
            return path.getFileName().toString();
        }
    }

    /** What the jar on the classpath knows of one message: its class and version range. */
    private record Known(Class<? extends Message> cls, Constructor<? extends Message> reader,
                         short lowest, short highest) {}

    private final Map<String, Known> known = new HashMap<>();
    private final boolean verbose;

    private KafkaCodecCheck(boolean verbose) {
        this.verbose = verbose;
    }

    public static void main(String[] args) throws IOException {
        Path dumpDir = null;
        Path excludeFile = null;
        Path handledFile = null;
        boolean listSkipped = false;
        boolean verbose = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--exclude" -> excludeFile = Paths.get(args[++i]);
                case "--handled" -> handledFile = Paths.get(args[++i]);
                case "--list-skipped" -> listSkipped = true;
                case "--verbose" -> verbose = true;
                default -> {
                    if (args[i].startsWith("--") || dumpDir != null) usage("unexpected " + args[i]);
                    dumpDir = Paths.get(args[i]);
                }
            }
        }
        if (dumpDir == null) usage("no dump directory");
        KafkaCodecCheck check = new KafkaCodecCheck(verbose);
        System.exit(check.run(dumpDir, excludeFile, handledFile, listSkipped));
    }

    private static void usage(String why) {
        System.err.println("KafkaCodecCheck: " + why);
        System.err.println("usage: KafkaCodecCheck DUMP_DIR [--exclude FILE] [--handled FILE]"
                + " [--list-skipped] [--verbose]");
        System.exit(2);
    }

    private int run(Path dumpDir, Path excludeFile, Path handledFile, boolean listSkipped)
            throws IOException {
        Set<String> exclude = new HashSet<>();
        if (excludeFile != null) exclude.addAll(Files.readAllLines(excludeFile));

        List<Dump> dumps = new ArrayList<>();
        try (Stream<Path> files = Files.list(dumpDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Matcher m = DUMP_NAME.matcher(p.getFileName().toString());
                if (!m.matches()) continue;
                dumps.add(new Dump(p, m.group(1), Short.parseShort(m.group(2)),
                        Integer.parseInt(m.group(3))));
            }
        }
        dumps.sort(null);
        if (dumps.isEmpty()) {
            System.out.println("kafka-codec: no dump files in " + dumpDir);
            return 1;
        }

        int passed = 0;
        int failed = 0;
        int skippedCount = 0;
        int left = 0;
        List<String> handled = new ArrayList<>();
        // message -> versions this jar does not know (or the whole message), for --list-skipped
        Map<String, TreeSet<Short>> skipped = new TreeMap<>();
        Set<String> unknownMessages = new TreeSet<>();
        for (Dump d : dumps) {
            if (exclude.contains(d.fileName())) {
                left++;
                continue;
            }
            Known k = lookup(d.message);
            if (k == null || d.version < k.lowest || d.version > k.highest) {
                if (k == null) unknownMessages.add(d.message);
                skipped.computeIfAbsent(d.message, x -> new TreeSet<>()).add(d.version);
                skippedCount++;
                continue;
            }
            handled.add(d.fileName());
            String problem = check(k, d);
            if (problem == null) {
                passed++;
            } else {
                failed++;
                System.out.println("MISMATCH " + d.message + " v" + d.version
                        + " sample " + d.sample + ": " + problem);
            }
        }

        if (handledFile != null) Files.write(handledFile, handled, StandardCharsets.UTF_8);
        if (listSkipped) {
            for (Map.Entry<String, TreeSet<Short>> e : skipped.entrySet()) {
                String why = unknownMessages.contains(e.getKey())
                        ? "no such message class" : "version unknown to this jar";
                System.out.println(
                        "skipped " + e.getKey() + " " + ranges(e.getValue()) + ": " + why);
            }
        }
        if (left > 0) System.out.println("kafka-codec: " + left + " dumps left to the newer jar");
        System.out.println("kafka-codec: " + passed + " passed, " + failed + " failed, "
                + skippedCount + " skipped");
        return failed == 0 ? 0 : 1;
    }

    /** Returns null when Kafka reads all of d's bytes and writes them back unchanged. */
    private String check(Known k, Dump d) throws IOException {
        byte[] brook = Files.readAllBytes(d.path);
        ByteBuffer in = ByteBuffer.wrap(brook);
        Message msg;
        try {
            msg = k.reader.newInstance(new ByteBufferAccessor(in), d.version);
        } catch (InvocationTargetException e) {
            return "Kafka cannot decode Brook's " + brook.length + " bytes: "
                    + describe(e.getCause());
        } catch (ReflectiveOperationException e) {
            return "cannot construct " + k.cls.getName() + ": " + describe(e);
        }
        if (in.hasRemaining()) {
            return "Kafka's decode left " + in.remaining() + " of " + brook.length
                    + " bytes unread (first unread offset " + in.position() + ")"
                    + detail(brook, null, msg);
        }

        byte[] kafka;
        try {
            ObjectSerializationCache cache = new ObjectSerializationCache();
            int size = msg.size(cache, d.version);
            ByteBuffer out = ByteBuffer.allocate(size);
            msg.write(new ByteBufferAccessor(out), cache, d.version);
            if (out.hasRemaining()) {
                return "Kafka's size() says " + size + " bytes but write() wrote " + out.position();
            }
            kafka = out.array();
        } catch (RuntimeException e) {
            return "Kafka cannot re-encode what it decoded: " + describe(e)
                    + detail(brook, null, msg);
        }
        int at = firstDifference(brook, kafka);
        if (at < 0) return null;
        String bytesAt = " (Brook " + byteAt(brook, at) + ", Kafka " + byteAt(kafka, at) + ")";
        return "first differing offset " + at + bytesAt + "; Brook " + brook.length
                + " bytes, Kafka " + kafka.length + " bytes" + detail(brook, kafka, msg);
    }

    /**
     * Finds a message's class: Kafka names request, response and header classes <Name>Data and
     * data messages (ConsumerProtocolSubscription, LeaderChangeMessage...) plain <Name>.
     */
    @SuppressWarnings("unchecked")
    private Known lookup(String message) {
        if (known.containsKey(message)) return known.get(message);
        Known k = null;
        for (String name : new String[] {PACKAGE + message + "Data", PACKAGE + message}) {
            Class<?> c;
            try {
                c = Class.forName(name, false, KafkaCodecCheck.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                continue;
            }
            if (!Message.class.isAssignableFrom(c)) continue;
            Class<? extends Message> cls = (Class<? extends Message>) c;
            try {
                Constructor<? extends Message> reader =
                        cls.getConstructor(Readable.class, short.class);
                short lowest = cls.getField("LOWEST_SUPPORTED_VERSION").getShort(null);
                short highest = cls.getField("HIGHEST_SUPPORTED_VERSION").getShort(null);
                k = new Known(cls, reader, lowest, highest);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(name + " lacks the generated-message API", e);
            }
            break;
        }
        known.put(message, k);
        return k;
    }

    private static int firstDifference(byte[] a, byte[] b) {
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            if (a[i] != b[i]) return i;
        }
        return a.length == b.length ? -1 : n;
    }

    private static String byteAt(byte[] b, int i) {
        return i < b.length ? String.format("0x%02x", b[i] & 0xff) : "end";
    }

    private static String describe(Throwable t) {
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private String detail(byte[] brook, byte[] kafka, Message msg) {
        if (!verbose) return "";
        StringBuilder s = new StringBuilder();
        s.append("\n  brook: ").append(hex(brook));
        if (kafka != null) s.append("\n  kafka: ").append(hex(kafka));
        s.append("\n  kafka decoded: ").append(msg);
        return s.toString();
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x & 0xff));
        return s.toString();
    }

    /** Renders versions as compact ranges: "v0-v2, v5". */
    private static String ranges(TreeSet<Short> versions) {
        StringBuilder s = new StringBuilder();
        Short start = null;
        Short prev = null;
        for (Short v : versions) {
            if (start == null) {
                start = v;
            } else if (v != prev + 1) {
                appendRange(s, start, prev);
                start = v;
            }
            prev = v;
        }
        appendRange(s, start, prev);
        return s.toString();
    }

    private static void appendRange(StringBuilder s, short from, short to) {
        if (s.length() > 0) s.append(", ");
        s.append('v').append(from);
        if (to != from) s.append("-v").append(to);
    }
}
