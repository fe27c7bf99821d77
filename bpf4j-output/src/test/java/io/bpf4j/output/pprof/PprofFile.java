package io.bpf4j.output.pprof;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import static com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label.LABEL_OPTIONAL;
import static com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Label.LABEL_REPEATED;
import static com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_BOOL;
import static com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_INT64;
import static com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_MESSAGE;
import static com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_STRING;
import static com.google.protobuf.DescriptorProtos.FieldDescriptorProto.Type.TYPE_UINT64;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A pprof file read back for tests: gunzipped and parsed by protobuf's own parser ({@link DynamicMessage}) against
 * {@code perftools.profiles.Profile} as github.com/google/pprof's {@code proto/profile.proto} declares it (the
 * fields {@link Pprof} writes and the ones beside them), with the ids resolved: each sample's frames named.
 *
 * @param profile the decoded {@code Profile} message
 */
public record PprofFile(DynamicMessage profile) {
    /** One location of a sample, resolved: its address, the function at it and the file of its mapping. */
    public record Location(long address, String function, String mapping) {
    }

    /** One sample, resolved: its locations leaf first, its values and its string labels. */
    public record Sample(List<Location> locations, List<Long> values, Map<String, String> labels) {
        /** The functions of its locations, leaf first. */
        public List<String> functions() {
            return locations.stream().map(Location::function).toList();
        }
    }

    private static final Descriptor PROFILE = schema().findMessageTypeByName("Profile");

    /** Reads {@code file}: fails unless it is gzip-compressed (as pprof files on disk must be). */
    public static PprofFile read(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        if (raw.length < 2 || (raw[0] & 0xff) != 0x1f || (raw[1] & 0xff) != 0x8b) {
            throw new IOException(file + " is not gzip-compressed");
        }
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return new PprofFile(DynamicMessage.parseFrom(PROFILE, in.readAllBytes()));
        }
    }

    /** The string table, "" first. */
    @SuppressWarnings("unchecked")
    public List<String> strings() {
        return (List<String>) get(profile, "string_table");
    }

    /** The sample types as {@code type/unit}. */
    public List<String> sampleTypes() {
        return messages(profile, "sample_type").stream().map(this::valueType).toList();
    }

    /** The period type as {@code type/unit}, "/" when there is none. */
    public String periodType() {
        return valueType((DynamicMessage) get(profile, "period_type"));
    }

    public long period() {
        return (Long) get(profile, "period");
    }

    public long timeNanos() {
        return (Long) get(profile, "time_nanos");
    }

    public long durationNanos() {
        return (Long) get(profile, "duration_nanos");
    }

    public List<String> comments() {
        return longs(profile, "comment").stream().map(this::string).toList();
    }

    /** The mappings' file names, in the order of the table. */
    public List<String> mappings() {
        return messages(profile, "mapping").stream().map(m -> string((Long) get(m, "filename"))).toList();
    }

    /** Whether every mapping says its functions are named. */
    public boolean mappingsHaveFunctions() {
        return messages(profile, "mapping").stream().allMatch(m -> (Boolean) get(m, "has_functions"));
    }

    /** The functions' names, in the order of the table. */
    public List<String> functions() {
        return messages(profile, "function").stream().map(f -> string((Long) get(f, "name"))).toList();
    }

    /** How many locations the table holds. */
    public int locationCount() {
        return messages(profile, "location").size();
    }

    /**
     * The samples with their ids resolved; fails when an id refers to nothing, or an id is 0 or used twice.
     */
    public List<Sample> samples() {
        Map<Long, String> mappings = new HashMap<>();
        for (DynamicMessage m : messages(profile, "mapping")) {
            put(mappings, (Long) get(m, "id"), string((Long) get(m, "filename")), "mapping");
        }
        Map<Long, String> functions = new HashMap<>();
        for (DynamicMessage f : messages(profile, "function")) {
            put(functions, (Long) get(f, "id"), string((Long) get(f, "name")), "function");
        }
        Map<Long, Location> locations = new HashMap<>();
        for (DynamicMessage l : messages(profile, "location")) {
            List<DynamicMessage> lines = messages(l, "line");
            if (lines.size() != 1) throw new IllegalStateException("location with " + lines.size() + " lines: " + l);
            long mapping = (Long) get(l, "mapping_id");
            String file = mapping == 0 ? null : resolve(mappings, mapping, "mapping");
            put(locations, (Long) get(l, "id"), new Location((Long) get(l, "address"),
                    resolve(functions, (Long) get(lines.getFirst(), "function_id"), "function"), file), "location");
        }
        return messages(profile, "sample").stream().map(s -> {
            Map<String, String> labels = new LinkedHashMap<>();
            for (DynamicMessage l : messages(s, "label")) {
                labels.put(string((Long) get(l, "key")), string((Long) get(l, "str")));
            }
            return new Sample(longs(s, "location_id").stream().map(id -> resolve(locations, id, "location"))
                    .toList(), longs(s, "value"), labels);
        }).toList();
    }

    /**
     * Runs {@code go tool pprof ARGS} (e.g. {@code -top FILE}) and returns what it printed; fails when it fails, and
     * skips the test when go is not installed.
     */
    public static String goToolPprof(Object... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("go", "tool", "pprof"));
        for (Object a : args) cmd.add(a.toString());
        Process go;
        try {
            go = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException notFound) {
            assumeTrue(false, "go tool pprof is not installed (Debian: apt-get install golang-go): "
                    + notFound.getMessage());
            throw notFound;
        }
        String out = new String(go.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!go.waitFor(60, TimeUnit.SECONDS) || go.exitValue() != 0) {
            go.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out);
        }
        return out;
    }

    private String valueType(DynamicMessage v) {
        return string((Long) get(v, "type")) + "/" + string((Long) get(v, "unit"));
    }

    private String string(long index) {
        return strings().get(Math.toIntExact(index));
    }

    private static <T> void put(Map<Long, T> table, long id, T value, String what) {
        if (id == 0 || table.put(id, value) != null) {
            throw new IllegalStateException(what + " id " + id + " is 0 or used twice");
        }
    }

    private static <T> T resolve(Map<Long, T> table, long id, String what) {
        T value = table.get(id);
        if (value == null) throw new IllegalStateException("no " + what + " has id " + id);
        return value;
    }

    private static Object get(DynamicMessage m, String field) {
        return m.getField(m.getDescriptorForType().findFieldByName(field));
    }

    @SuppressWarnings("unchecked")
    private static List<DynamicMessage> messages(DynamicMessage m, String field) {
        return (List<DynamicMessage>) get(m, field);
    }

    @SuppressWarnings("unchecked")
    private static List<Long> longs(DynamicMessage m, String field) {
        return (List<Long>) get(m, field);
    }

    /** profile.proto's messages as descriptors, field by field (name, number, type). */
    private static FileDescriptor schema() {
        FileDescriptorProto file = FileDescriptorProto.newBuilder()
                .setName("profile.proto").setPackage("perftools.profiles").setSyntax("proto3")
                .addMessageType(message("Profile",
                        repeated("sample_type", 1, ".perftools.profiles.ValueType"),
                        repeated("sample", 2, ".perftools.profiles.Sample"),
                        repeated("mapping", 3, ".perftools.profiles.Mapping"),
                        repeated("location", 4, ".perftools.profiles.Location"),
                        repeated("function", 5, ".perftools.profiles.Function"),
                        field("string_table", 6, TYPE_STRING, LABEL_REPEATED),
                        field("drop_frames", 7, TYPE_INT64), field("keep_frames", 8, TYPE_INT64),
                        field("time_nanos", 9, TYPE_INT64), field("duration_nanos", 10, TYPE_INT64),
                        FieldDescriptorProto.newBuilder().setName("period_type").setNumber(11).setType(TYPE_MESSAGE)
                                .setLabel(LABEL_OPTIONAL).setTypeName(".perftools.profiles.ValueType").build(),
                        field("period", 12, TYPE_INT64), field("comment", 13, TYPE_INT64, LABEL_REPEATED),
                        field("default_sample_type", 14, TYPE_INT64)))
                .addMessageType(message("ValueType", field("type", 1, TYPE_INT64), field("unit", 2, TYPE_INT64)))
                .addMessageType(message("Sample", field("location_id", 1, TYPE_UINT64, LABEL_REPEATED),
                        field("value", 2, TYPE_INT64, LABEL_REPEATED),
                        repeated("label", 3, ".perftools.profiles.Label")))
                .addMessageType(message("Label", field("key", 1, TYPE_INT64), field("str", 2, TYPE_INT64),
                        field("num", 3, TYPE_INT64), field("num_unit", 4, TYPE_INT64)))
                .addMessageType(message("Mapping", field("id", 1, TYPE_UINT64), field("memory_start", 2, TYPE_UINT64),
                        field("memory_limit", 3, TYPE_UINT64), field("file_offset", 4, TYPE_UINT64),
                        field("filename", 5, TYPE_INT64), field("build_id", 6, TYPE_INT64),
                        field("has_functions", 7, TYPE_BOOL), field("has_filenames", 8, TYPE_BOOL),
                        field("has_line_numbers", 9, TYPE_BOOL), field("has_inline_frames", 10, TYPE_BOOL)))
                .addMessageType(message("Location", field("id", 1, TYPE_UINT64),
                        field("mapping_id", 2, TYPE_UINT64), field("address", 3, TYPE_UINT64),
                        repeated("line", 4, ".perftools.profiles.Line"), field("is_folded", 5, TYPE_BOOL)))
                .addMessageType(message("Line", field("function_id", 1, TYPE_UINT64), field("line", 2, TYPE_INT64)))
                .addMessageType(message("Function", field("id", 1, TYPE_UINT64), field("name", 2, TYPE_INT64),
                        field("system_name", 3, TYPE_INT64), field("filename", 4, TYPE_INT64),
                        field("start_line", 5, TYPE_INT64)))
                .build();
        try {
            return FileDescriptor.buildFrom(file, new FileDescriptor[0]);
        } catch (DescriptorValidationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static DescriptorProto message(String name, FieldDescriptorProto... fields) {
        return DescriptorProto.newBuilder().setName(name).addAllField(List.of(fields)).build();
    }

    private static FieldDescriptorProto field(String name, int number, FieldDescriptorProto.Type type) {
        return field(name, number, type, LABEL_OPTIONAL);
    }

    private static FieldDescriptorProto field(String name, int number, FieldDescriptorProto.Type type,
                                              FieldDescriptorProto.Label label) {
        return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(type).setLabel(label)
                .build();
    }

    private static FieldDescriptorProto repeated(String name, int number, String messageType) {
        return FieldDescriptorProto.newBuilder().setName(name).setNumber(number).setType(TYPE_MESSAGE)
                .setLabel(LABEL_REPEATED).setTypeName(messageType).build();
    }
}
