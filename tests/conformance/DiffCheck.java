// Differential conformance: the same requests go to Apache Kafka and to brookd; both answers are
// decoded with Kafka's own message classes, rendered with Kafka's JSON converters, normalised by
// the rules in normalise.json (per-broker values such as cluster ids), and compared field by field.
//
// Usage: java DiffCheck --kafka HOST:PORT --brook HOST:PORT --scenarios DIR --normalise FILE
//                       --known FILE [--kafka-version V] [--only SUBSTRING] [--verbose]
//                       [--old-findings FILE] [--report FILE]
//        java DiffCheck --kafka HOST:PORT --versions-out FILE
//        java DiffCheck --old-versions-only --newer-versions FILE --findings-out FILE ...
//                       (the same options otherwise; see "Two passes" below)
//
// A scenario file holds a JSON array of scenarios:
//   {"name": "...", "steps": [ STEP, ... ]}
// and a step is
//   {"api": "Metadata", "request": { fields by their schema names },
//    "versions": "spread" | "all" | "newest" | [n, ...],   (default: "spread" when compared)
//    "compare": true | false,                             (default: true)
//    "wireVersion": n,                                    (the request header claims version n
//                                                          while the body is encoded at the
//                                                          step's version: unknown versions)
//    "capture": {"NAME": "/json/pointer"},                 (after the step: each broker's value
//                                                          at that pointer of its last answer,
//                                                          used as "$var:NAME" in requests)
//    "untilNoError": true,                                (repeats the request, up to 30 s,
//                                                          until no errorCode is set)
//    "until": {"path": "/json/pointer", "equals": VALUE},  (repeats the request to each broker,
//                                                          up to 30 s, until its answer has
//                                                          VALUE there)
//    "waitTopics": ["name", ...]}                         (after the step: until both brokers
//                                                          list these topics with a leader)
// "spread" is the oldest, a middle and the newest version that both brokers serve. A step with
// several versions runs once per version, oldest first. Versions of an explicit list that brookd
// serves and this pass's Kafka does not are left out. In a request, the string "$topicId:NAME"
// stands for that topic's id on the broker being asked.
//
// A Kafka serves the versions that its ApiVersions lists and its own classes can read: Kafka 4.x
// lists Produce v0-v2 for old librdkafka clients (KAFKA-18659) but closes the connection on them.
//
// Two passes. Brook serves the union of the versions of Kafka 3.9 and 4.x; Kafka 4.0 removed many
// old ones. run.sh therefore compares with both, each pass with its own fresh brookd (scenarios
// change a broker's state):
//   0. --versions-out, compiled against the newer Kafka: writes the versions it serves (JSON
//      {KEY: [min, max]}) and exits; only that Kafka's classes know which of the versions it
//      lists it really serves.
//   1. --old-versions-only, compiled against and talking to Kafka 3.9, with those versions
//      (--newer-versions): it compares only the versions that brookd and Kafka 3.9 serve and the
//      newer Kafka does not. "all", "spread" and "newest" choose among those, explicit lists are
//      filtered to them. Steps with "compare": false still run against both brokers (at the
//      newest version both serve), and so does, uncompared, a compared step left with no version,
//      so that later steps find the state they expect; a scenario with nothing to compare is
//      skipped. Its findings and Kafka 3.9's versions go to --findings-out (JSON).
//   2. The ordinary pass against the newer Kafka, which reads them back with --old-findings and
//      writes the report: it is compiled against the newer Kafka, whose ApiKeys list every API.
//
// Differences listed in the known file ({"scenario", "version"?, "path"?, "reason", "issue"?})
// are reported as known; any other one fails the run. With --report, a Markdown table of every
// API and version (same as Kafka / differs: why / not served yet) is written.
//
// Ends with "conformance: N same, N known differences, N failed"; exits 1 on any failure.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.RequestUtils;

public final class DiffCheck {
    static final ObjectMapper MAPPER =
            new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    static final JsonNodeFactory F = JsonNodeFactory.instance;

    // ---- talking to a broker ----------------------------------------------------------------

    /** One connection; requests are answered in order, so one at a time is enough. */
    static final class Conn implements AutoCloseable {
        final String broker;
        final String host;
        final int port;
        Socket socket;
        DataInputStream in;
        DataOutputStream out;
        int correlation = 0;

        Conn(String broker, String address) throws IOException {
            this.broker = broker;
            int colon = address.lastIndexOf(':');
            host = address.substring(0, colon);
            port = Integer.parseInt(address.substring(colon + 1));
            open();
        }

        void open() throws IOException {
            socket = new Socket(host, port);
            socket.setSoTimeout(30_000);
            socket.setTcpNoDelay(true);
            in = new DataInputStream(socket.getInputStream());
            out = new DataOutputStream(socket.getOutputStream());
        }

        /** The decoded answer, or null when the broker closed the connection instead. */
        ApiMessage call(ApiKeys key, short version, ApiMessage request) throws IOException {
            return call(key, version, request, version);
        }

        /**
         * As above, with wireVersion in the request header instead of version (the body is still
         * encoded at version). An ApiVersions answer to a version the broker does not serve is
         * read as v0, as Kafka sends it.
         */
        ApiMessage call(ApiKeys key, short version, ApiMessage request, short wireVersion) throws IOException {
            if (socket == null) open();
            RequestHeaderData h = new RequestHeaderData()
                    .setRequestApiKey(key.id)
                    .setRequestApiVersion(wireVersion)
                    .setCorrelationId(++correlation)
                    .setClientId("brook-conformance");
            ByteBuffer b = RequestUtils.serialize(h, key.requestHeaderVersion(version), request, version);
            byte[] frame = new byte[b.remaining()];
            b.get(frame);
            try {
                out.writeInt(frame.length);
                out.write(frame);
                out.flush();
                int size = in.readInt();
                byte[] body = new byte[size];
                in.readFully(body);
                ByteBuffer rb = ByteBuffer.wrap(body);
                short answerVersion = version;
                if (wireVersion != version && key == ApiKeys.API_VERSIONS) answerVersion = 0;
                ResponseHeaderData rh =
                        new ResponseHeaderData(new ByteBufferAccessor(rb), key.responseHeaderVersion(answerVersion));
                if (rh.correlationId() != correlation)
                    throw new IOException(broker + ": correlation id " + rh.correlationId() + " for " + correlation);
                ApiMessage response = key.messageType.newResponse();
                response.read(new ByteBufferAccessor(rb), answerVersion);
                return response;
            } catch (EOFException | SocketException e) {
                close();
                return null;
            }
        }

        @Override
        public void close() {
            try {
                if (socket != null) socket.close();
            } catch (IOException ignored) {
            }
            socket = null;
        }
    }

    /** Each broker's served versions, from ApiVersions. */
    static Map<Short, short[]> apiVersions(Conn c) throws IOException {
        var r = (ApiVersionsResponseData) c.call(ApiKeys.API_VERSIONS, (short) 3,
                new ApiVersionsRequestData().setClientSoftwareName("brook-conformance").setClientSoftwareVersion("1"));
        Map<Short, short[]> m = new TreeMap<>();
        for (var k : r.apiKeys()) m.put(k.apiKey(), new short[] {k.minVersion(), k.maxVersion()});
        return m;
    }

    /** Kafka's served versions: those of its ApiVersions that its classes (these) can read. */
    static Map<Short, short[]> kafkaServes(Conn c) throws IOException {
        Map<Short, short[]> m = new TreeMap<>();
        apiVersions(c).forEach((id, r) -> {
            if (!ApiKeys.hasId(id)) return;
            ApiKeys key = ApiKeys.forId(id);
            short lo = (short) Math.max(r[0], key.oldestVersion());
            short hi = (short) Math.min(r[1], key.latestVersion(true));
            if (lo <= hi) m.put(id, new short[] {lo, hi});
        });
        return m;
    }

    static ObjectNode versionsJson(Map<Short, short[]> versions) {
        ObjectNode n = F.objectNode();
        versions.forEach((k, r) -> n.putArray(k.toString()).add(r[0]).add(r[1]));
        return n;
    }

    static Map<Short, short[]> versionsFromJson(JsonNode n) {
        Map<Short, short[]> versions = new TreeMap<>();
        for (var e : n.properties())
            versions.put(Short.valueOf(e.getKey()),
                    new short[] {(short) e.getValue().get(0).asInt(), (short) e.getValue().get(1).asInt()});
        return versions;
    }

    // ---- JSON of Kafka's messages -------------------------------------------------------------

    static Method converter(Class<?> cls, String method, Class<?>... args) throws Exception {
        Class<?> conv = Class.forName(cls.getName() + "JsonConverter", true, cls.getClassLoader());
        return conv.getMethod(method, args);
    }

    static ApiMessage readRequest(ApiKeys key, JsonNode json, short version) throws Exception {
        Class<?> cls = key.messageType.newRequest().getClass();
        return (ApiMessage) converter(cls, "read", JsonNode.class, short.class).invoke(null, json, version);
    }

    /**
     * Kafka's JSON of a message. Its converters write record sets as an empty string, so those of
     * a Fetch answer are put in decoded (RecordClasses.decode).
     */
    static JsonNode render(ApiMessage m, short version) throws Exception {
        if (m == null) return TextNode.valueOf("<connection closed>");
        JsonNode json = (JsonNode) converter(m.getClass(), "write", m.getClass(), short.class, boolean.class)
                .invoke(null, m, version, true);
        if (m instanceof FetchResponseData fetch)
            for (int t = 0; t < fetch.responses().size(); t++) {
                var partitions = fetch.responses().get(t).partitions();
                for (int p = 0; p < partitions.size(); p++)
                    ((ObjectNode) json.get("responses").get(t).get("partitions").get(p))
                            .set("records", RecordClasses.decode(partitions.get(p).records()));
            }
        return json;
    }

    // ---- normalisation --------------------------------------------------------------------------

    /** A rule of normalise.json: at "Api:dotted.path" (Api may be *), apply action. */
    record Rule(String api, List<String> path, String action, String reason) {}

    static List<Rule> loadRules(Path file) throws IOException {
        List<Rule> rules = new ArrayList<>();
        for (JsonNode n : MAPPER.readTree(file.toFile())) {
            String at = n.get("at").asText();
            int colon = at.indexOf(':');
            rules.add(new Rule(at.substring(0, colon), List.of(at.substring(colon + 1).split("\\.")),
                    n.get("action").asText(), n.get("reason").asText()));
        }
        return rules;
    }

    static JsonNode normalise(JsonNode node, String api, List<Rule> rules) {
        JsonNode copy = node.deepCopy();
        for (Rule r : rules)
            if (r.api.equals("*") || r.api.equals(api)) copy = apply(copy, r.path, 0, r.action);
        return copy;
    }

    /** Applies `action` to every value at `path` (arrays are walked through transparently). */
    static JsonNode apply(JsonNode node, List<String> path, int i, String action) {
        if (node == null) return null;
        if (i == path.size()) return act(node, action);
        if (node.isArray()) {
            ArrayNode out = F.arrayNode();
            for (JsonNode e : node) out.add(apply(e, path, i, action));
            return out;
        }
        if (!node.isObject()) return node;
        ObjectNode o = (ObjectNode) node;
        String key = path.get(i);
        if (key.equals("**")) {
            // Any depth: try the rest of the path here and in every child.
            JsonNode here = apply(o, path, i + 1, action);
            if (!here.isObject()) return here;
            ObjectNode out = ((ObjectNode) here).deepCopy();
            for (var it = out.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                out.set(f, apply(out.get(f), path, i, action));
            }
            return out;
        }
        if (o.has(key)) o.set(key, apply(o.get(key), path, i + 1, action));
        return o;
    }

    static JsonNode act(JsonNode v, String action) {
        switch (action) {
            case "ignore":
                return TextNode.valueOf("<normalised>");
            case "nonzero":
                // Per-broker values (ids, times) that must be set, or unset, the same way.
                if (v.isNull()) return v;
                if (v.isNumber() && v.asLong() <= 0) return v;
                if (v.isTextual() && (v.asText().equals("AAAAAAAAAAAAAAAAAAAAAA") || v.asText().isEmpty())) return v;
                return TextNode.valueOf("<set>");
            case "sort":
                if (!v.isArray()) return v;
                List<JsonNode> items = new ArrayList<>();
                v.forEach(items::add);
                items.sort(Comparator.comparing(JsonNode::toString));
                ArrayNode out = F.arrayNode();
                items.forEach(out::add);
                return out;
            default:
                throw new IllegalArgumentException("unknown normalisation action " + action);
        }
    }

    /** "at PATH: kafka X, brook Y" for each difference. */
    static void diff(String path, JsonNode k, JsonNode b, List<String> out) {
        if (k == null) k = F.missingNode();
        if (b == null) b = F.missingNode();
        if (k.isObject() && b.isObject()) {
            TreeSet<String> keys = new TreeSet<>();
            k.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String f : keys) diff(path.isEmpty() ? f : path + "." + f, k.get(f), b.get(f), out);
            return;
        }
        if (k.isArray() && b.isArray() && byName(k) && byName(b)) {
            // Named entries (configs, topics by name): matched by name, then their order.
            Map<String, JsonNode> km = new LinkedHashMap<>();
            Map<String, JsonNode> bm = new LinkedHashMap<>();
            k.forEach(e -> km.put(e.get("name").asText(), e));
            b.forEach(e -> bm.put(e.get("name").asText(), e));
            TreeSet<String> names = new TreeSet<>(km.keySet());
            names.addAll(bm.keySet());
            for (String n : names) diff(path + "[name=" + n + "]", km.get(n), bm.get(n), out);
            if (km.keySet().equals(bm.keySet()) && !new ArrayList<>(km.keySet()).equals(new ArrayList<>(bm.keySet())))
                out.add(path + ": order: kafka " + km.keySet() + ", brook " + bm.keySet());
            return;
        }
        if (k.isArray() && b.isArray()) {
            for (int i = 0; i < Math.max(k.size(), b.size()); i++) diff(path + "[" + i + "]", k.get(i), b.get(i), out);
            return;
        }
        if (!k.equals(b)) out.add((path.isEmpty() ? "<root>" : path) + ": kafka " + brief(k) + ", brook " + brief(b));
    }

    /** An array of objects with distinct "name" text fields. */
    static boolean byName(JsonNode a) {
        if (a.size() < 2) return false;
        TreeSet<String> seen = new TreeSet<>();
        for (JsonNode e : a)
            if (!e.isObject() || !e.has("name") || !e.get("name").isTextual() || !seen.add(e.get("name").asText())) return false;
        return true;
    }

    static String brief(JsonNode n) {
        String s = n.isMissingNode() ? "<absent>" : n.toString();
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    // ---- scenarios ------------------------------------------------------------------------------

    record Known(String scenario, Integer version, String path, String reason, Integer issue) {
        boolean matches(String sc, short v, String diffLine) {
            if (!scenario.equals(sc)) return false;
            if (version != null && version != v) return false;
            return path == null || diffLine.startsWith(path);
        }
    }

    static ApiKeys apiByName(String name) {
        for (ApiKeys k : ApiKeys.values())
            if (k.name.equals(name)) return k;
        throw new IllegalArgumentException("unknown API " + name);
    }

    final Conn kafka;
    final Conn brook;
    final Map<Short, short[]> kafkaVersions;
    final Map<Short, short[]> brookVersions;
    /** In the --old-versions-only pass: the newer Kafka's versions, which this pass leaves out. */
    Map<Short, short[]> newerVersions = null;
    /** " vs Kafka V" in the --old-versions-only pass, to tell its lines apart. */
    String label = "";
    /** For the report: what the --old-versions-only pass found (--old-findings), or null. */
    OldFindings old = null;
    final List<Rule> rules;
    final List<Known> known = new ArrayList<>();
    final boolean verbose;
    int same = 0;
    int knownDiffs = 0;
    int failed = 0;
    /** Per API key and version: what the comparisons found ("same", or reasons). */
    final Map<Short, Map<Short, TreeSet<String>>> findings = new TreeMap<>();

    DiffCheck(Conn kafka, Conn brook, List<Rule> rules, boolean verbose) throws IOException {
        this.kafka = kafka;
        this.brook = brook;
        this.kafkaVersions = kafkaServes(kafka);
        this.brookVersions = apiVersions(brook);
        this.rules = rules;
        this.verbose = verbose;
    }

    static boolean serves(Map<Short, short[]> versions, ApiKeys key, short v) {
        short[] r = versions.get(key.id);
        return r != null && v >= r[0] && v <= r[1];
    }

    boolean oldVersionsOnly() {
        return newerVersions != null;
    }

    /** The versions of key that both brokers serve (and this Kafka's classes know), oldest first. */
    List<Short> servedByBoth(ApiKeys key) {
        List<Short> out = new ArrayList<>();
        for (short v = key.oldestVersion(); v <= key.latestVersion(true); v++)
            if (serves(kafkaVersions, key, v) && serves(brookVersions, key, v)) out.add(v);
        return out;
    }

    /** The versions this pass compares: served by both, less the newer Kafka's in the old pass. */
    List<Short> comparable(ApiKeys key) {
        List<Short> out = servedByBoth(key);
        if (oldVersionsOnly()) out.removeIf(v -> serves(newerVersions, key, v));
        return out;
    }

    List<Short> versionsFor(ApiKeys key, JsonNode spec, boolean compare) {
        List<Short> pool = compare ? comparable(key) : servedByBoth(key);
        List<Short> out = new ArrayList<>();
        String mode = spec == null ? (compare ? "spread" : "newest") : spec.isTextual() ? spec.asText() : "list";
        switch (mode) {
            case "list":
                for (JsonNode n : spec) {
                    short v = (short) n.asInt();
                    // Sent as listed (even unserved versions, to see the refusals), except that a
                    // compared version brookd serves goes to the pass whose Kafka serves it too.
                    boolean otherPass = oldVersionsOnly() ? !pool.contains(v)
                            : serves(brookVersions, key, v) && !serves(kafkaVersions, key, v);
                    if (!compare || !otherPass) out.add(v);
                }
                break;
            case "all":
                out.addAll(pool);
                break;
            case "newest":
                if (!pool.isEmpty()) out.add(pool.get(pool.size() - 1));
                break;
            case "spread":
                if (!pool.isEmpty()) {
                    // The oldest, the middle and the newest (pools are contiguous ranges).
                    for (short v : new TreeSet<>(List.of(pool.get(0), pool.get((pool.size() - 1) / 2),
                            pool.get(pool.size() - 1)))) out.add(v);
                }
                break;
            default:
                throw new IllegalArgumentException("versions: " + mode);
        }
        return out;
    }

    /** The request JSON with "$topicId:NAME" replaced by the topic's id on that broker. */
    JsonNode resolve(JsonNode n, Conn c) throws Exception {
        if (n.isTextual() && n.asText().startsWith("$topicId:")) return TextNode.valueOf(topicId(c, n.asText().substring(9)));
        if (n.isTextual() && n.asText().startsWith("$var:")) {
            JsonNode v = vars.getOrDefault(c, Map.of()).get(n.asText().substring(5));
            if (v == null) throw new IllegalArgumentException("no captured value " + n.asText());
            return v;
        }
        if (n.isObject() && n.has("$records")) return TextNode.valueOf(records(resolve(n.get("$records"), c)));
        if (n.isObject()) {
            ObjectNode o = ((ObjectNode) n).deepCopy();
            for (var it = o.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                o.set(f, resolve(o.get(f), c));
            }
            return o;
        }
        if (n.isArray()) {
            ArrayNode a = F.arrayNode();
            for (JsonNode e : n) a.add(resolve(e, c));
            return a;
        }
        return n;
    }

    /**
     * A record set built by Kafka's own builder, base64 as Kafka's JSON carries bytes:
     * {"magic": 2, "compression": "none", "records": [{"key", "value", "timestamp", "headers":
     * [[name, value], ...]}]}; key and value may be null. With "producerId" (and "producerEpoch",
     * "baseSequence", "transactional") the batch is an idempotent or transactional producer's.
     */
    static String records(JsonNode spec) throws Exception {
        byte magic = (byte) (spec.has("magic") ? spec.get("magic").asInt() : 2);
        String codec = spec.has("compression") ? spec.get("compression").asText() : "none";
        JsonNode records = spec.get("records");
        Object list = Array.newInstance(RecordClasses.SIMPLE_RECORD, records.size());
        for (int i = 0; i < records.size(); i++) {
            JsonNode r = records.get(i);
            List<Header> headers = new ArrayList<>();
            if (r.has("headers"))
                for (JsonNode h : r.get("headers"))
                    headers.add(new RecordHeader(h.get(0).asText(), bytes(h.get(1))));
            Array.set(list, i, RecordClasses.NEW_SIMPLE_RECORD.newInstance(
                    r.has("timestamp") ? r.get("timestamp").asLong() : 1_700_000_000_000L,
                    bytes(r.get("key")), bytes(r.get("value")), headers.toArray(new Header[0])));
        }
        Object m = spec.has("producerId")
                ? RecordClasses.WITH_PRODUCER.invoke(null, magic, 0L, Compression.of(codec).build(),
                        org.apache.kafka.common.record.TimestampType.CREATE_TIME, spec.get("producerId").asLong(),
                        (short) spec.path("producerEpoch").asInt(0), spec.path("baseSequence").asInt(0), -1,
                        spec.path("transactional").asBoolean(false), list)
                : RecordClasses.WITH_RECORDS.invoke(null, magic, Compression.of(codec).build(), list);
        ByteBuffer b = ((ByteBuffer) RecordClasses.BUFFER.invoke(m)).duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return Base64.getEncoder().encodeToString(out);
    }

    /**
     * Kafka's record classes, reached by reflection because their package moved: Kafka 4.4 has
     * them in org.apache.kafka.common.record.internal, Kafka 3.9 (and 4.1) in
     * org.apache.kafka.common.record. This file compiles against either.
     */
    static final class RecordClasses {
        static final Class<?> SIMPLE_RECORD = find("SimpleRecord");
        static final Class<?> MEMORY_RECORDS = find("MemoryRecords");
        static final Class<?> RECORDS = find("Records");
        static final Class<?> RECORD_BATCH = find("RecordBatch");
        static final Class<?> RECORD = find("Record");
        /** new SimpleRecord(long timestamp, byte[] key, byte[] value, Header[] headers) */
        static final Constructor<?> NEW_SIMPLE_RECORD;
        /** MemoryRecords.withRecords(byte magic, Compression compression, SimpleRecord... records) */
        static final Method WITH_RECORDS;
        /**
         * MemoryRecords.withRecords(byte magic, long initialOffset, Compression compression,
         * TimestampType timestampType, long producerId, short producerEpoch, int baseSequence,
         * int partitionLeaderEpoch, boolean isTransactional, SimpleRecord... records)
         */
        static final Method WITH_PRODUCER;
        /** MemoryRecords.buffer() */
        static final Method BUFFER;
        /** Records.batches() */
        static final Method BATCHES;
        /** What decode reports of a batch and of a record: methods of RecordBatch and of Record. */
        static final List<String> BATCH_FIELDS = List.of("magic", "baseOffset", "compressionType", "timestampType",
                "producerId", "producerEpoch", "baseSequence", "isTransactional", "isControlBatch", "partitionLeaderEpoch");
        static final List<String> RECORD_FIELDS = List.of("offset", "timestamp", "key", "value", "headers");

        static {
            try {
                NEW_SIMPLE_RECORD = SIMPLE_RECORD.getConstructor(long.class, byte[].class, byte[].class, Header[].class);
                WITH_RECORDS = MEMORY_RECORDS.getMethod("withRecords", byte.class, Compression.class,
                        SIMPLE_RECORD.arrayType());
                WITH_PRODUCER = MEMORY_RECORDS.getMethod("withRecords", byte.class, long.class, Compression.class,
                        org.apache.kafka.common.record.TimestampType.class, long.class, short.class, int.class,
                        int.class, boolean.class, SIMPLE_RECORD.arrayType());
                BUFFER = MEMORY_RECORDS.getMethod("buffer");
                BATCHES = RECORDS.getMethod("batches");
            } catch (NoSuchMethodException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /**
         * A record set as JSON: one entry per record, in order, with its offset, timestamp, key,
         * value and headers, and in "batch" the fields of the batch that holds it (magic, base
         * offset, compression, producer...), so that a message set in another format or batched
         * differently shows record by record.
         */
        static JsonNode decode(Object records) throws Exception {
            if (records == null) return F.nullNode();
            ArrayNode out = F.arrayNode();
            for (Object batch : (Iterable<?>) BATCHES.invoke(records)) {
                ObjectNode b = F.objectNode();
                for (String f : BATCH_FIELDS) b.set(f, value(RECORD_BATCH.getMethod(f).invoke(batch)));
                for (Object record : (Iterable<?>) batch) {
                    ObjectNode r = out.addObject();
                    for (String f : RECORD_FIELDS) r.set(f, value(RECORD.getMethod(f).invoke(record)));
                    r.set("batch", b.deepCopy());
                }
            }
            return out;
        }

        static JsonNode value(Object v) {
            if (v == null) return F.nullNode();
            if (v instanceof ByteBuffer b) return TextNode.valueOf(StandardCharsets.UTF_8.decode(b.duplicate()).toString());
            if (v instanceof Header[] headers) {
                ArrayNode a = F.arrayNode();
                for (Header h : headers) a.addArray().add(h.key()).add(h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
                return a;
            }
            return MAPPER.valueToTree(v instanceof Enum<?> e ? e.toString() : v);
        }

        static Class<?> find(String name) {
            for (String pkg : List.of("org.apache.kafka.common.record.internal.", "org.apache.kafka.common.record."))
                try {
                    return Class.forName(pkg + name);
                } catch (ClassNotFoundException tryNext) {
                }
            throw new IllegalStateException("no " + name + " in Kafka's jars");
        }
    }

    static byte[] bytes(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText().getBytes(StandardCharsets.UTF_8);
    }

    MetadataResponseData metadata(Conn c, String topic) throws IOException {
        var req = new MetadataRequestData().setAllowAutoTopicCreation(false);
        req.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(topic));
        return (MetadataResponseData) c.call(ApiKeys.METADATA, (short) 12, req);
    }

    String topicId(Conn c, String topic) throws IOException {
        var t = metadata(c, topic).topics().find(topic);
        if (t == null || t.errorCode() != 0) throw new IOException(c.broker + ": no topic " + topic);
        return t.topicId().toString();
    }

    /** Whether a rendered answer has a nonzero errorCode anywhere. */
    static boolean hasError(JsonNode n) {
        if (n.isObject()) {
            for (var it = n.fields(); it.hasNext(); ) {
                var e = it.next();
                if (e.getKey().equals("errorCode") && e.getValue().asInt() != 0) return true;
                if (hasError(e.getValue())) return true;
            }
        } else if (n.isArray()) {
            for (JsonNode e : n)
                if (hasError(e)) return true;
        }
        return false;
    }

    /** Values captured from answers ("capture"), per broker, for "$var:NAME" in requests. */
    final Map<Conn, Map<String, JsonNode>> vars = new java.util.HashMap<>();
    JsonNode lastKafka;
    JsonNode lastBrook;

    void waitTopics(JsonNode names) throws Exception {
        for (Conn c : List.of(kafka, brook))
            for (JsonNode n : names) {
                long deadline = System.currentTimeMillis() + 30_000;
                for (;;) {
                    var t = metadata(c, n.asText()).topics().find(n.asText());
                    boolean ready = t != null && t.errorCode() == 0 && !t.partitions().isEmpty()
                            && t.partitions().stream().allMatch(p -> p.errorCode() == 0 && p.leaderId() >= 0);
                    // Metadata can name a leader before the partition serves (Kafka 3.9 then
                    // answers a Produce NOT_LEADER_OR_FOLLOWER): every partition must answer a
                    // ListOffsets too.
                    if (ready) ready = servesListOffsets(c, n.asText(), t.partitions().size());
                    if (ready) break;
                    if (System.currentTimeMillis() > deadline)
                        throw new IOException(c.broker + ": topic " + n.asText() + " has no leader after 30 s");
                    Thread.sleep(50);
                }
            }
    }

    boolean servesListOffsets(Conn c, String topic, int partitions) throws IOException {
        var t = new ListOffsetsRequestData.ListOffsetsTopic().setName(topic);
        for (int p = 0; p < partitions; p++)
            t.partitions().add(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(p).setTimestamp(-1));
        var req = new ListOffsetsRequestData().setReplicaId(-1).setTopics(new ArrayList<>(List.of(t)));
        var r = (ListOffsetsResponseData) c.call(ApiKeys.LIST_OFFSETS, (short) 7, req);
        return r.topics().stream().allMatch(x -> x.partitions().stream().allMatch(p -> p.errorCode() == 0));
    }

    void note(ApiKeys key, short v, String what) {
        findings.computeIfAbsent(key.id, x -> new TreeMap<>()).computeIfAbsent(v, x -> new TreeSet<>()).add(what);
    }

    static boolean compared(JsonNode step) {
        return !step.has("compare") || step.get("compare").asBoolean();
    }

    void runScenario(String file, JsonNode sc) throws Exception {
        String name = sc.get("name").asText();
        if (oldVersionsOnly()) {
            // Nothing to compare against the older Kafka: not even the setup steps are run.
            boolean any = false;
            for (JsonNode step : sc.get("steps"))
                any |= compared(step) && !versionsFor(apiByName(step.get("api").asText()), step.get("versions"), true).isEmpty();
            if (!any) return;
        }
        for (JsonNode step : sc.get("steps")) {
            ApiKeys key = apiByName(step.get("api").asText());
            boolean compare = compared(step);
            List<Short> versions = versionsFor(key, step.get("versions"), compare);
            if (compare && versions.isEmpty() && oldVersionsOnly()) {
                // Compared in the other pass only: still run here for its effects, uncompared.
                compare = false;
                versions = versionsFor(key, null, false);
            }
            for (short v : versions) {
                ApiMessage kreq;
                ApiMessage breq;
                try {
                    kreq = readRequest(key, resolve(step.get("request"), kafka), v);
                    breq = readRequest(key, resolve(step.get("request"), brook), v);
                    RequestUtils.serialize(new RequestHeaderData(), key.requestHeaderVersion(v), kreq, v);
                } catch (UnsupportedVersionException e) {
                    if (verbose) System.out.println("  " + name + ": " + key.name + " v" + v + " cannot carry the request: " + e.getMessage());
                    continue;
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw new IllegalArgumentException(file + ": " + name + ": " + key.name + " v" + v + ": " + e.getCause().getMessage());
                }
                short wire = step.has("wireVersion") ? (short) step.get("wireVersion").asInt() : v;
                short answer = wire != v && key == ApiKeys.API_VERSIONS ? 0 : v;
                ApiMessage kr = kafka.call(key, v, kreq, wire);
                ApiMessage br = brook.call(key, v, breq, wire);
                lastKafka = render(kr, answer);
                lastBrook = render(br, answer);
                if (step.has("untilNoError")) {
                    // Setup that must succeed, such as a coordinator that is still loading.
                    long deadline = System.currentTimeMillis() + 30_000;
                    while ((hasError(render(kr, answer)) || hasError(render(br, answer)))
                            && System.currentTimeMillis() < deadline) {
                        Thread.sleep(100);
                        if (hasError(render(kr, answer))) kr = kafka.call(key, v, kreq, wire);
                        if (hasError(render(br, answer))) br = brook.call(key, v, breq, wire);
                    }
                    // Captures take the answers that succeeded.
                    lastKafka = render(kr, answer);
                    lastBrook = render(br, answer);
                }
                if (step.has("until")) {
                    // Waits for what each broker does in the background (a transaction's markers).
                    String at = step.get("until").get("path").asText();
                    JsonNode want = step.get("until").get("equals");
                    long deadline = System.currentTimeMillis() + 30_000;
                    while ((!render(kr, answer).at(at).equals(want) || !render(br, answer).at(at).equals(want))
                            && System.currentTimeMillis() < deadline) {
                        Thread.sleep(100);
                        if (!render(kr, answer).at(at).equals(want)) kr = kafka.call(key, v, kreq, wire);
                        if (!render(br, answer).at(at).equals(want)) br = brook.call(key, v, breq, wire);
                    }
                }
                if (!compare) continue;
                JsonNode kj = normalise(render(kr, answer), key.name, rules);
                JsonNode bj = normalise(render(br, answer), key.name, rules);
                List<String> diffs = new ArrayList<>();
                diff("", kj, bj, diffs);
                String where = name + " / " + key.name + " v" + wire + label;
                if (diffs.isEmpty()) {
                    same++;
                    if (wire == v) note(key, v, "same");
                    if (verbose) System.out.println("same:  " + where);
                    continue;
                }
                for (String d : diffs) {
                    Known k = known.stream().filter(x -> x.matches(name, v, d)).findFirst().orElse(null);
                    if (k != null) {
                        knownDiffs++;
                        if (wire == v) note(key, v, k.reason + (k.issue != null ? " (issue " + k.issue + ")" : ""));
                        System.out.println("known: " + where + ": " + d);
                    } else {
                        failed++;
                        if (wire == v) note(key, v, "UNEXPLAINED: " + d);
                        System.out.println("DIFF:  " + where + ": " + d);
                    }
                }
                if (verbose) {
                    System.out.println("  kafka: " + MAPPER.writeValueAsString(kj));
                    System.out.println("  brook: " + MAPPER.writeValueAsString(bj));
                }
            }
            if (step.has("waitTopics")) waitTopics(step.get("waitTopics"));
            if (step.has("capture") && lastKafka != null) {
                // Values each broker chose (member ids) for later requests to that broker.
                for (var it = step.get("capture").fields(); it.hasNext(); ) {
                    var e = it.next();
                    vars.computeIfAbsent(kafka, x -> new java.util.HashMap<>()).put(e.getKey(), lastKafka.at(e.getValue().asText()));
                    vars.computeIfAbsent(brook, x -> new java.util.HashMap<>()).put(e.getKey(), lastBrook.at(e.getValue().asText()));
                }
            }
        }
    }

    // ---- the report -----------------------------------------------------------------------------

    /**
     * What the --old-versions-only pass found, as it writes it for the ordinary pass:
     * {"kafkaVersion": "3.9.2", "versions": {KEY: [min, max]}, "findings": {KEY: {VERSION: [...]}}}
     * with "versions" those Kafka 3.9 serves and "findings" as in the field of that name.
     */
    record OldFindings(String kafkaVersion, Map<Short, short[]> versions, Map<Short, Map<Short, TreeSet<String>>> findings) {
        /** "3.9" of "3.9.2". */
        String release() {
            String[] p = kafkaVersion.split("\\.");
            return p.length >= 2 ? p[0] + "." + p[1] : kafkaVersion;
        }

        static OldFindings read(Path file) throws IOException {
            JsonNode n = MAPPER.readTree(file.toFile());
            Map<Short, short[]> versions = versionsFromJson(n.get("versions"));
            Map<Short, Map<Short, TreeSet<String>>> findings = new TreeMap<>();
            for (var k : n.get("findings").properties())
                for (var v : k.getValue().properties()) {
                    TreeSet<String> what = new TreeSet<>();
                    v.getValue().forEach(x -> what.add(x.asText()));
                    findings.computeIfAbsent(Short.valueOf(k.getKey()), x -> new TreeMap<>()).put(Short.valueOf(v.getKey()), what);
                }
            return new OldFindings(n.get("kafkaVersion").asText(), versions, findings);
        }
    }

    void writeFindings(Path file, String kafkaVersion) throws IOException {
        ObjectNode n = F.objectNode();
        n.put("kafkaVersion", kafkaVersion);
        n.set("versions", versionsJson(kafkaVersions));
        ObjectNode found = n.putObject("findings");
        findings.forEach((k, byVersion) -> {
            ObjectNode o = found.putObject(k.toString());
            byVersion.forEach((v, what) -> what.forEach(o.withArray(v.toString())::add));
        });
        MAPPER.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), n);
    }

    /** "same as Kafka[ X]", "differs[ from Kafka X]: ...", or null without findings. */
    static String verdict(Map<Short, Map<Short, TreeSet<String>>> findings, ApiKeys key, short v, String kafka) {
        var f = findings.getOrDefault(key.id, Map.of()).get(v);
        if (f == null) return null;
        TreeSet<String> reasons = new TreeSet<>(f);
        reasons.remove("same");
        if (reasons.isEmpty()) return "same as Kafka" + kafka;
        return (kafka.isEmpty() ? "differs: " : "differs from Kafka" + kafka + ": ") + String.join("; ", reasons);
    }

    String status(ApiKeys key, short v) {
        if (!serves(brookVersions, key, v)) return "not served yet";
        if (serves(kafkaVersions, key, v)) {
            String verdict = verdict(findings, key, v, "");
            return verdict != null ? verdict : "served; no scenario yet";
        }
        if (old == null) return "served; Kafka 4.x does not serve this version, not compared";
        String release = " " + old.release();
        if (!serves(old.versions, key, v))
            return "served; neither Kafka 4.x nor" + release + " serves this version, not compared";
        String verdict = verdict(old.findings, key, v, release);
        return verdict != null ? verdict : "served; Kafka 4.x does not serve this version, no scenario yet against Kafka" + release;
    }

    void writeReport(Path file, String kafkaVersion) throws IOException {
        StringBuilder s = new StringBuilder();
        s.append("# Compatibility with Apache Kafka\n\n");
        s.append("Generated by `tests/conformance/run.sh --report` from the differential scenarios in\n");
        s.append("`tests/conformance/scenarios/`: each request goes to Apache Kafka ").append(kafkaVersion);
        s.append(" and to brookd, and the\nanswers are compared field by field after the normalisations in ");
        s.append("`tests/conformance/normalise.json`.\n");
        if (old != null) {
            s.append("The versions that Kafka 4.x no longer serves are compared the same way with Apache Kafka ");
            s.append(old.kafkaVersion).append(".\n");
        }
        s.append("Differences that are understood are listed in ");
        s.append("`tests/conformance/known.json` with the issue they wait for.\n\n");
        s.append("| API | key | versions | status |\n|---|---|---|---|\n");
        TreeSet<Short> keys = new TreeSet<>();
        for (ApiKeys k : ApiKeys.values()) keys.add(k.id);
        keys.addAll(brookVersions.keySet());
        for (short id : keys) {
            if (!ApiKeys.hasId(id)) continue;
            ApiKeys key = ApiKeys.forId(id);
            short[] b = brookVersions.get(id);
            short lo = key.oldestVersion();
            short hi = key.latestVersion(true);
            if (b != null) {
                lo = (short) Math.min(lo, b[0]);
                hi = (short) Math.max(hi, b[1]);
            }
            short start = lo;
            String current = status(key, lo);
            for (short v = (short) (lo + 1); v <= hi + 1; v++) {
                String st = v <= hi ? status(key, v) : null;
                if (st != null && st.equals(current)) continue;
                String range = start == v - 1 ? "v" + start : "v" + start + "–v" + (v - 1);
                s.append("| ").append(key.name).append(" | ").append(id).append(" | ").append(range)
                        .append(" | ").append(current.replace("|", "\\|")).append(" |\n");
                start = v;
                current = st;
            }
        }
        Files.writeString(file, s.toString());
    }

    // ---- main -----------------------------------------------------------------------------------

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        boolean verbose = false;
        boolean oldVersionsOnly = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--verbose")) verbose = true;
            else if (args[i].equals("--old-versions-only")) oldVersionsOnly = true;
            else opt.put(args[i], args[++i]);
        }
        if (opt.containsKey("--versions-out")) {
            try (Conn kafka = new Conn("kafka", opt.get("--kafka"))) {
                MAPPER.writeValue(Path.of(opt.get("--versions-out")).toFile(), versionsJson(kafkaServes(kafka)));
            }
            return;
        }
        if (oldVersionsOnly && (!opt.containsKey("--newer-versions") || opt.containsKey("--report")))
            throw new IllegalArgumentException("--old-versions-only needs --newer-versions, and writes --findings-out, not --report");
        List<Rule> rules = loadRules(Path.of(opt.get("--normalise")));
        String kafkaVersion = opt.getOrDefault("--kafka-version", "4.x");
        try (Conn kafka = new Conn("kafka", opt.get("--kafka"));
                Conn brook = new Conn("brook", opt.get("--brook"))) {
            DiffCheck d = new DiffCheck(kafka, brook, rules, verbose);
            if (oldVersionsOnly) {
                d.newerVersions = versionsFromJson(MAPPER.readTree(Path.of(opt.get("--newer-versions")).toFile()));
                d.label = " vs Kafka " + kafkaVersion;
            }
            if (opt.containsKey("--old-findings")) d.old = OldFindings.read(Path.of(opt.get("--old-findings")));
            for (JsonNode n : MAPPER.readTree(Path.of(opt.get("--known")).toFile()))
                d.known.add(new Known(n.get("scenario").asText(),
                        n.has("version") ? n.get("version").asInt() : null,
                        n.has("path") ? n.get("path").asText() : null, n.get("reason").asText(),
                        n.has("issue") ? n.get("issue").asInt() : null));
            List<Path> files;
            try (Stream<Path> s = Files.list(Path.of(opt.get("--scenarios")))) {
                files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
            }
            String only = opt.get("--only");
            for (Path p : files) {
                for (Iterator<JsonNode> it = MAPPER.readTree(p.toFile()).elements(); it.hasNext(); ) {
                    JsonNode sc = it.next();
                    if (only != null && !sc.get("name").asText().contains(only)) continue;
                    try {
                        d.runScenario(p.getFileName().toString(), sc);
                    } catch (Exception e) {
                        d.failed++;
                        System.out.println("ERROR: " + sc.get("name").asText() + ": " + e);
                    }
                }
            }
            if (opt.containsKey("--findings-out")) d.writeFindings(Path.of(opt.get("--findings-out")), kafkaVersion);
            if (opt.containsKey("--report")) d.writeReport(Path.of(opt.get("--report")), kafkaVersion);
            System.out.println("conformance" + (oldVersionsOnly ? " (versions the newer Kafka does not serve)" + d.label : "")
                    + ": " + d.same + " same, " + d.knownDiffs + " known differences, " + d.failed + " failed");
            System.exit(d.failed == 0 ? 0 : 1);
        }
    }
}
