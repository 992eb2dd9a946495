// Reads every encoding that Brook's round-trip tests dumped (<MessageName>.v<version>.<n>.bin) with
// Apache Kafka's own generated message classes and checks two things:
//   bytes:  Kafka consumes every byte and re-encodes exactly the same bytes;
//   values: Kafka's JSON of what it decoded (its generated <Name>JsonConverter) equals Brook's JSON
//           of the message it encoded (<MessageName>.v<version>.<n>.json beside the dump), once the
//           known rendering differences are normalised (see "Normalisation" below). The byte check
//           alone cannot see two neighbouring fields of one type swapped; this one can.
// A dump passes only when both agree.
//
// Runs against whichever kafka-clients jar is on the classpath, plus jackson-databind (which the
// JSON converters need); tests/compat/kafka-codec/run.sh runs it once per pinned Kafka release.
// The generated-message API (Message, Readable, ByteBufferAccessor, ObjectSerializationCache) is
// used directly; the converters, the records classes (whose package moved in 4.x) and the tagged
// field lists of the schemas are reached by reflection, so one build runs against 3.x and 4.x.
//
// Usage: java -cp <classes>:kafka-clients.jar KafkaCodecCheck DUMP_DIR [options]
//   --exclude FILE   dump file names (one a line) to leave out: checked against a newer jar
//   --handled FILE   write the names of the dump files this jar checked (passed or failed)
//   --list-skipped   print which messages and versions this jar does not know
//   --verbose        on a mismatch, print both encodings in hex and Kafka's decoded message, or
//                    both JSON renderings after normalisation
//
// Prints one line per mismatch (a byte mismatch, or a value at a JSON path where Kafka and Brook
// differ) and ends with "kafka-codec: N passed, N failed, N skipped".
// Exit status: 0 when nothing failed, 1 when something failed, 2 on bad usage.

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Readable;
import org.apache.kafka.common.protocol.types.BoundField;
import org.apache.kafka.common.protocol.types.Schema;
import org.apache.kafka.common.protocol.types.TaggedFields;

public final class KafkaCodecCheck {
    private static final Pattern DUMP_NAME =
            Pattern.compile("([A-Za-z0-9]+)\\.v(\\d+)\\.(\\d+)\\.bin");
    private static final String PACKAGE = "org.apache.kafka.common.message.";
    /** Value mismatches printed per dump; the rest are counted. */
    private static final int MAX_VALUE_MISMATCHES = 8;
    // Brook's JSON is read with integers as longs (see rule 4 below), and a key written twice is an
    // error rather than silently the last value.
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

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

        /** Brook's JSON of the same message, written beside the encoding. */
        Path jsonPath() {
            String name = fileName();
            String stem = name.substring(0, name.length() - ".bin".length());
            return path.resolveSibling(stem + ".json");
        }
    }

    /** What the jar on the classpath knows of one message: its class and version range. */
    private record Known(Class<? extends Message> cls, Constructor<? extends Message> reader,
                         short lowest, short highest) {}

    private final Map<String, Known> known = new HashMap<>();
    /** Per generated class: its JsonConverter's write(data, version, serializeRecords). */
    private final Map<Class<?>, Method> writers = new HashMap<>();
    /** Per generated class and version: the JSON keys of the fields tagged in that version. */
    private final Map<Class<?>, Map<Short, Set<String>>> taggedKeyCache = new HashMap<>();
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
            List<String> problems = check(k, d);
            if (problems.isEmpty()) {
                passed++;
            } else {
                failed++;
                for (String problem : problems) {
                    System.out.println("MISMATCH " + d.message + " v" + d.version
                            + " sample " + d.sample + ": " + problem);
                }
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

    /** Returns what differs between Brook and Kafka for d: nothing when it passes. */
    private List<String> check(Known k, Dump d) throws IOException {
        byte[] brook = Files.readAllBytes(d.path);
        ByteBuffer in = ByteBuffer.wrap(brook);
        Message msg;
        try {
            msg = k.reader.newInstance(new ByteBufferAccessor(in), d.version);
        } catch (InvocationTargetException e) {
            return List.of("Kafka cannot decode Brook's " + brook.length + " bytes: "
                    + describe(e.getCause()));
        } catch (ReflectiveOperationException e) {
            return List.of("cannot construct " + k.cls.getName() + ": " + describe(e));
        }
        if (in.hasRemaining()) {
            return List.of("Kafka's decode left " + in.remaining() + " of " + brook.length
                    + " bytes unread (first unread offset " + in.position() + ")"
                    + detail(brook, null, msg));
        }
        List<String> problems = new ArrayList<>();
        String bytes = checkBytes(brook, msg, d);
        if (bytes != null) problems.add(bytes);
        problems.addAll(checkValues(msg, d));
        return problems;
    }

    /** Returns null when Kafka writes msg, decoded from brook, back to exactly brook. */
    private String checkBytes(byte[] brook, Message msg, Dump d) {
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
     * Compares Kafka's JSON of msg (what Kafka decoded from Brook's bytes) with Brook's JSON of the
     * message it encoded; returns one line per JSON path where the values differ.
     */
    private List<String> checkValues(Message msg, Dump d) throws IOException {
        if (!Files.exists(d.jsonPath())) {
            return List.of("no Brook JSON " + d.jsonPath().getFileName() + " beside the dump");
        }
        JsonNode brook;
        try {
            brook = normaliseNumbers(MAPPER.readTree(d.jsonPath().toFile()));
        } catch (JsonProcessingException e) {
            return List.of("Brook's JSON does not parse: " + e.getOriginalMessage() + " (column "
                    + e.getLocation().getColumnNr() + ")");
        }
        JsonNode kafka;
        try {
            kafka = kafkaJson(msg, d.version);
        } catch (ReflectiveOperationException | RuntimeException e) {
            Throwable t = e instanceof InvocationTargetException ? e.getCause() : e;
            return List.of("cannot render Kafka's JSON: " + describe(t));
        }
        List<String> diffs = new ArrayList<>();
        diff("$", kafka, brook, diffs);
        if (diffs.isEmpty()) return diffs;
        List<String> problems = new ArrayList<>();
        for (String diff : diffs.subList(0, Math.min(diffs.size(), MAX_VALUE_MISMATCHES))) {
            problems.add("value " + diff);
        }
        if (diffs.size() > MAX_VALUE_MISMATCHES) {
            problems.add("... and " + (diffs.size() - MAX_VALUE_MISMATCHES)
                    + " more value mismatches");
        }
        if (verbose) {
            problems.set(problems.size() - 1, problems.get(problems.size() - 1)
                    + "\n  kafka json: " + kafka + "\n  brook json: " + brook);
        }
        return problems;
    }

    /** Records where two normalised JSON trees differ, as "at PATH: Kafka X vs Brook Y". */
    private static void diff(String path, JsonNode kafka, JsonNode brook, List<String> out) {
        if (kafka.isObject() && brook.isObject()) {
            Set<String> keys = new LinkedHashSet<>();
            kafka.fieldNames().forEachRemaining(keys::add);
            brook.fieldNames().forEachRemaining(keys::add);
            for (String key : keys) {
                JsonNode k = kafka.get(key);
                JsonNode b = brook.get(key);
                if (k == null || b == null) {
                    out.add("at " + path + "." + key + ": Kafka " + show(k)
                            + " vs Brook " + show(b));
                } else {
                    diff(path + "." + key, k, b, out);
                }
            }
        } else if (kafka.isArray() && brook.isArray()) {
            if (kafka.size() != brook.size()) {
                out.add("at " + path + ": Kafka " + kafka.size() + " elements vs Brook "
                        + brook.size() + " elements");
            }
            for (int i = 0; i < Math.min(kafka.size(), brook.size()); i++) {
                diff(path + "[" + i + "]", kafka.get(i), brook.get(i), out);
            }
        } else if (!kafka.equals(brook)) {
            out.add("at " + path + ": Kafka " + show(kafka) + " vs Brook " + show(brook));
        }
    }

    private static String show(JsonNode n) {
        if (n == null) return "(absent)";
        String s = n.toString();
        return s.length() <= 100 ? s : s.substring(0, 97) + "...";
    }

    // ---- Normalisation ------------------------------------------------------------------------
    // Kafka's JSON converters and Brook's write_json render the same values differently in a few
    // known ways. Kafka's tree is rewritten into Brook's conventions here, and only here; each
    // rule says why the difference is legitimate. Anything else that differs is a real mismatch.

    /** Kafka's JSON of a generated message or struct at version, in Brook's conventions. */
    private JsonNode kafkaJson(Object data, short version) throws ReflectiveOperationException {
        // serializeRecords=false: with true Kafka writes every records field as an empty binary
        // (KIP-673 keeps request logs small), which would hide the records entirely (rule 1).
        JsonNode raw = (JsonNode) writer(data.getClass()).invoke(null, data, version, false);
        return normaliseKafka(raw, data, version);
    }

    /**
     * Rewrites a node of Kafka's JSON into Brook's conventions; data is the Java value the node
     * renders (a generated struct for an object, a collection for an array), which the rules for
     * records and tagged fields need.
     */
    private JsonNode normaliseKafka(JsonNode node, Object data, short version)
            throws ReflectiveOperationException {
        if (node.isObject()) {
            ObjectNode out = NODES.objectNode();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                String key = e.getKey();
                // Rule 1, records: with serializeRecords=false Kafka writes a records field
                // "records" as "recordsSizeInBytes": <its size>, never its bytes. Brook writes the
                // bytes in base64 under the field's own name, like any bytes field. The bytes
                // Kafka decoded are taken from its records object to compare them in full.
                String recordsKey = key.endsWith("SizeInBytes")
                        ? key.substring(0, key.length() - "SizeInBytes".length()) : null;
                if (recordsKey != null && isRecordsAccessor(data, recordsKey)) {
                    Object records = data.getClass().getMethod(recordsKey).invoke(data);
                    out.set(recordsKey, recordsText(records, e.getValue()));
                    continue;
                }
                out.set(key, normaliseKafka(e.getValue(), child(data, key), version));
            }
            // Rule 2, tagged fields: Kafka's converter writes a tagged field only when its value
            // differs from the default, as the wire encoding leaves it out; Brook writes every
            // field present in the version. Each tagged field of this version that Kafka left out
            // is put back with the value Kafka holds for it (the default), rendered as Kafka's
            // converter renders that type. A key Brook writes that is not a field of this version
            // is still a mismatch: only the schema's tagged fields are put back.
            if (data instanceof Message) {
                for (String key : taggedKeys(data.getClass(), version)) {
                    if (!out.has(key)) {
                        out.set(key, renderJava(data.getClass().getMethod(key).invoke(data),
                                version));
                    }
                }
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = NODES.arrayNode();
            Iterator<?> elements = data instanceof Iterable<?> i ? i.iterator() : null;
            for (JsonNode element : node) {
                Object e = elements != null && elements.hasNext() ? elements.next() : null;
                out.add(normaliseKafka(element, e, version));
            }
            return out;
        }
        // Rule 3, bytes: Kafka puts a bytes field in a BinaryNode; Brook writes standard base64
        // with padding (RFC 4648 section 4), which is also what Jackson prints for a BinaryNode.
        // Both become the same base64 text.
        if (node.isBinary()) {
            try {
                return TextNode.valueOf(Base64.getEncoder().encodeToString(node.binaryValue()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return normaliseNumbers(node);
    }

    /**
     * Rule 4, numbers (applied to both trees): only a number's value counts, not the JSON node
     * class. Kafka picks the node by field type (ShortNode for int8/int16, IntNode, LongNode,
     * DoubleNode for float64) and Jackson picks by the text it reads. Integers become long nodes,
     * and a float64 with an integral value becomes one too, because Brook prints doubles in their
     * shortest form (7.0 as "7") where Kafka prints "7.0". A non-finite float64 becomes the text
     * Brook writes for it ("NaN", "Infinity", "-Infinity"): JSON has no such numbers.
     */
    private static JsonNode normaliseNumbers(JsonNode node) {
        if (node.isObject()) {
            ObjectNode out = NODES.objectNode();
            node.properties().forEach(e -> out.set(e.getKey(), normaliseNumbers(e.getValue())));
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = NODES.arrayNode();
            node.forEach(e -> out.add(normaliseNumbers(e)));
            return out;
        }
        if (!node.isNumber()) return node;
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? LongNode.valueOf(node.longValue())
                                           : BigIntegerNode.valueOf(node.bigIntegerValue());
        }
        double v = node.doubleValue();
        if (Double.isNaN(v)) return TextNode.valueOf("NaN");
        if (Double.isInfinite(v)) return TextNode.valueOf(v > 0 ? "Infinity" : "-Infinity");
        if (v == Math.rint(v) && Math.abs(v) < 0x1p63) return LongNode.valueOf((long) v);
        return DoubleNode.valueOf(v);
    }

    /** A Java value of a generated message, rendered as Kafka's converter renders it (rule 2). */
    private JsonNode renderJava(Object v, short version) throws ReflectiveOperationException {
        if (v == null) return NullNode.getInstance();
        if (v instanceof Message) return kafkaJson(v, version);
        if (v instanceof Boolean b) return BooleanNode.valueOf(b);
        if (v instanceof Double x) return normaliseNumbers(DoubleNode.valueOf(x));
        if (v instanceof Number n) return LongNode.valueOf(n.longValue());
        if (v instanceof String s) return TextNode.valueOf(s);
        if (v instanceof Uuid u) return TextNode.valueOf(u.toString());
        if (v instanceof byte[] b) return TextNode.valueOf(Base64.getEncoder().encodeToString(b));
        if (v instanceof ByteBuffer b) return renderJava(toArray(b), version);
        if (v instanceof Iterable<?> elements) {
            ArrayNode out = NODES.arrayNode();
            for (Object e : elements) out.add(renderJava(e, version));
            return out;
        }
        throw new IllegalStateException("cannot render a tagged " + v.getClass().getName());
    }

    /** The bytes of a records field (rule 1), checked against the size Kafka wrote for it. */
    private static JsonNode recordsText(Object records, JsonNode size)
            throws ReflectiveOperationException {
        if (records == null) return NullNode.getInstance();
        // MemoryRecords.buffer(); the class moved from o.a.k.common.record to
        // o.a.k.common.record.internal in 4.x, hence reflection.
        byte[] b = toArray((ByteBuffer) records.getClass().getMethod("buffer").invoke(records));
        if (size.asInt(-1) != b.length) {
            throw new IllegalStateException("records of " + b.length + " bytes, Kafka's JSON says "
                    + size);
        }
        return TextNode.valueOf(Base64.getEncoder().encodeToString(b));
    }

    private static boolean isRecordsAccessor(Object data, String key) {
        if (data == null) return false;
        try {
            return data.getClass().getMethod(key).getReturnType().getSimpleName()
                    .equals("BaseRecords");
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /** The Java value behind a key of a generated struct's JSON (its accessor), or null. */
    private static Object child(Object data, String key) throws ReflectiveOperationException {
        if (!(data instanceof Message)) return null;
        try {
            return data.getClass().getMethod(key).invoke(data);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    /**
     * The JSON keys of the fields of cls that are tagged in version: the names in its schema's
     * tagged-field section (snake_case) matched to its accessors (camelCase, like the JSON keys).
     * TaggedFields lists its fields publicly only from 4.x on, hence the private field.
     */
    private Set<String> taggedKeys(Class<?> cls, short version)
            throws ReflectiveOperationException {
        Map<Short, Set<String>> byVersion =
                taggedKeyCache.computeIfAbsent(cls, c -> new HashMap<>());
        Set<String> keys = byVersion.get(version);
        if (keys != null) return keys;
        keys = new TreeSet<>();
        Schema[] schemas = (Schema[]) cls.getField("SCHEMAS").get(null);
        Schema schema = version < schemas.length ? schemas[version] : null;
        if (schema != null) {
            Map<String, String> accessors = new HashMap<>();
            for (Method m : cls.getMethods()) {
                if (m.getParameterCount() != 0) continue;
                accessors.put(m.getName().toLowerCase(), m.getName());
            }
            Field fields = TaggedFields.class.getDeclaredField("fields");
            fields.setAccessible(true);
            for (BoundField bf : schema.fields()) {
                if (!(bf.def.type instanceof TaggedFields tagged)) continue;
                for (Object f : ((Map<?, ?>) fields.get(tagged)).values()) {
                    String name = ((org.apache.kafka.common.protocol.types.Field) f).name;
                    String key = accessors.get(name.replace("_", "").toLowerCase());
                    if (key == null) {
                        throw new IllegalStateException(cls.getName() + " has no accessor for "
                                + "tagged field " + name);
                    }
                    keys.add(key);
                }
            }
        }
        byVersion.put(version, keys);
        return keys;
    }

    /**
     * The write(data, version, serializeRecords) of a generated class's JSON converter: each
     * class Outer$Inner has its converter at OuterJsonConverter$InnerJsonConverter.
     */
    private Method writer(Class<?> cls) throws ReflectiveOperationException {
        Method m = writers.get(cls);
        if (m != null) return m;
        String[] parts = cls.getName().split("\\$");
        StringBuilder name = new StringBuilder();
        for (String part : parts) {
            if (name.length() > 0) name.append('$');
            name.append(part).append("JsonConverter");
        }
        Class<?> converter = Class.forName(name.toString(), true, cls.getClassLoader());
        m = converter.getMethod("write", cls, short.class, boolean.class);
        writers.put(cls, m);
        return m;
    }

    private static byte[] toArray(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
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
