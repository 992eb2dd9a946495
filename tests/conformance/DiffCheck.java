// Differential conformance: the same requests go to Apache Kafka and to brookd; both answers are
// decoded with Kafka's own message classes, rendered with Kafka's JSON converters, normalised by
// the rules in normalise.json (per-broker values such as cluster ids), and compared field by field.
//
// Usage: java DiffCheck --kafka HOST:PORT --brook HOST:PORT --scenarios DIR --normalise FILE
//                       --known FILE [--report FILE] [--only SUBSTRING] [--verbose]
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
//    "waitTopics": ["name", ...]}                         (after the step: until both brokers
//                                                          list these topics with a leader)
// "spread" is the oldest, a middle and the newest version that both brokers serve. A step with
// several versions runs once per version, oldest first. In a request, the string
// "$topicId:NAME" stands for that topic's id on the broker being asked.
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
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.ResponseHeaderData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
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

    // ---- JSON of Kafka's messages -------------------------------------------------------------

    static Method converter(Class<?> cls, String method, Class<?>... args) throws Exception {
        Class<?> conv = Class.forName(cls.getName() + "JsonConverter", true, cls.getClassLoader());
        return conv.getMethod(method, args);
    }

    static ApiMessage readRequest(ApiKeys key, JsonNode json, short version) throws Exception {
        Class<?> cls = key.messageType.newRequest().getClass();
        return (ApiMessage) converter(cls, "read", JsonNode.class, short.class).invoke(null, json, version);
    }

    static JsonNode render(ApiMessage m, short version) throws Exception {
        if (m == null) return TextNode.valueOf("<connection closed>");
        return (JsonNode) converter(m.getClass(), "write", m.getClass(), short.class, boolean.class)
                .invoke(null, m, version, true);
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
        this.kafkaVersions = apiVersions(kafka);
        this.brookVersions = apiVersions(brook);
        this.rules = rules;
        this.verbose = verbose;
    }

    List<Short> versionsFor(ApiKeys key, JsonNode spec, boolean compare) {
        short[] k = kafkaVersions.get(key.id);
        short[] b = brookVersions.get(key.id);
        short lo = (short) Math.max(k == null ? 0 : k[0], b == null ? 0 : b[0]);
        short hi = (short) Math.min(k == null ? -1 : k[1], b == null ? -1 : b[1]);
        hi = (short) Math.min(hi, key.latestVersion(true));
        List<Short> out = new ArrayList<>();
        String mode = spec == null ? (compare ? "spread" : "newest") : spec.isTextual() ? spec.asText() : "list";
        switch (mode) {
            case "list":
                for (JsonNode n : spec) out.add((short) n.asInt());
                break;
            case "all":
                for (short v = lo; v <= hi; v++) out.add(v);
                break;
            case "newest":
                if (hi >= lo) out.add(hi);
                break;
            case "spread":
                if (hi >= lo) {
                    out.add(lo);
                    short mid = (short) ((lo + hi) / 2);
                    if (mid != lo && mid != hi) out.add(mid);
                    if (hi != lo) out.add(hi);
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
        if (n.isObject() && n.has("$records")) return TextNode.valueOf(records(n.get("$records")));
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
     * [[name, value], ...]}]}; key and value may be null.
     */
    static String records(JsonNode spec) {
        byte magic = (byte) (spec.has("magic") ? spec.get("magic").asInt() : 2);
        String codec = spec.has("compression") ? spec.get("compression").asText() : "none";
        List<SimpleRecord> list = new ArrayList<>();
        for (JsonNode r : spec.get("records")) {
            List<Header> headers = new ArrayList<>();
            if (r.has("headers"))
                for (JsonNode h : r.get("headers"))
                    headers.add(new RecordHeader(h.get(0).asText(), bytes(h.get(1))));
            list.add(new SimpleRecord(r.has("timestamp") ? r.get("timestamp").asLong() : 1_700_000_000_000L,
                    bytes(r.get("key")), bytes(r.get("value")), headers.toArray(new Header[0])));
        }
        MemoryRecords m = MemoryRecords.withRecords(magic,
                Compression.of(CompressionType.forName(codec)).build(), list.toArray(new SimpleRecord[0]));
        ByteBuffer b = m.buffer().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return Base64.getEncoder().encodeToString(out);
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

    void waitTopics(JsonNode names) throws Exception {
        for (Conn c : List.of(kafka, brook))
            for (JsonNode n : names) {
                long deadline = System.currentTimeMillis() + 30_000;
                for (;;) {
                    var t = metadata(c, n.asText()).topics().find(n.asText());
                    boolean ready = t != null && t.errorCode() == 0 && !t.partitions().isEmpty()
                            && t.partitions().stream().allMatch(p -> p.errorCode() == 0 && p.leaderId() >= 0);
                    if (ready) break;
                    if (System.currentTimeMillis() > deadline)
                        throw new IOException(c.broker + ": topic " + n.asText() + " has no leader after 30 s");
                    Thread.sleep(50);
                }
            }
    }

    void note(ApiKeys key, short v, String what) {
        findings.computeIfAbsent(key.id, x -> new TreeMap<>()).computeIfAbsent(v, x -> new TreeSet<>()).add(what);
    }

    void runScenario(String file, JsonNode sc) throws Exception {
        String name = sc.get("name").asText();
        for (JsonNode step : sc.get("steps")) {
            ApiKeys key = apiByName(step.get("api").asText());
            boolean compare = !step.has("compare") || step.get("compare").asBoolean();
            for (short v : versionsFor(key, step.get("versions"), compare)) {
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
                if (!compare) continue;
                JsonNode kj = normalise(render(kr, answer), key.name, rules);
                JsonNode bj = normalise(render(br, answer), key.name, rules);
                List<String> diffs = new ArrayList<>();
                diff("", kj, bj, diffs);
                String where = name + " / " + key.name + " v" + wire;
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
        }
    }

    // ---- the report -----------------------------------------------------------------------------

    String status(ApiKeys key, short v) {
        short[] b = brookVersions.get(key.id);
        short[] k = kafkaVersions.get(key.id);
        boolean brookServes = b != null && v >= b[0] && v <= b[1];
        boolean kafkaServes = k != null && v >= k[0] && v <= k[1];
        if (!brookServes) return "not served yet";
        if (!kafkaServes) return "served; Kafka 4.x does not serve this version, not compared";
        var f = findings.getOrDefault(key.id, Map.of()).get(v);
        if (f == null) return "served; no scenario yet";
        TreeSet<String> reasons = new TreeSet<>(f);
        reasons.remove("same");
        if (reasons.isEmpty()) return "same as Kafka";
        return "differs: " + String.join("; ", reasons);
    }

    void writeReport(Path file, String kafkaVersion) throws IOException {
        StringBuilder s = new StringBuilder();
        s.append("# Compatibility with Apache Kafka\n\n");
        s.append("Generated by `tests/conformance/run.sh --report` from the differential scenarios in\n");
        s.append("`tests/conformance/scenarios/`: each request goes to Apache Kafka ").append(kafkaVersion);
        s.append(" and to brookd, and the\nanswers are compared field by field after the normalisations in ");
        s.append("`tests/conformance/normalise.json`.\nDifferences that are understood are listed in ");
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
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--verbose")) verbose = true;
            else opt.put(args[i], args[++i]);
        }
        List<Rule> rules = loadRules(Path.of(opt.get("--normalise")));
        try (Conn kafka = new Conn("kafka", opt.get("--kafka"));
                Conn brook = new Conn("brook", opt.get("--brook"))) {
            DiffCheck d = new DiffCheck(kafka, brook, rules, verbose);
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
            if (opt.containsKey("--report")) d.writeReport(Path.of(opt.get("--report")), opt.getOrDefault("--kafka-version", "4.x"));
            System.out.println("conformance: " + d.same + " same, " + d.knownDiffs + " known differences, " + d.failed + " failed");
            System.exit(d.failed == 0 ? 0 : 1);
        }
    }
}
