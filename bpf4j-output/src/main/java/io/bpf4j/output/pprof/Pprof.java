package io.bpf4j.output.pprof;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.bpf4j.core.symbols.Frame;
import io.bpf4j.output.StackCounts;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Stacks as a pprof profile: the gzip-compressed protocol buffer ({@code perftools.profiles.Profile} of
 * github.com/google/pprof's {@code proto/profile.proto}) that {@code go tool pprof}, Pyroscope, Parca and speedscope
 * read.
 *
 * <p>Each stack is one sample whose values are the stack's {@link StackCounts.Stack#values() values}, typed by
 * {@link StackCounts#values()}. Its locations are its frames, innermost first, then, when the stack has a process, a
 * root frame named after it (as folded stacks begin with it) and a {@code comm} label. Frames are told apart by
 * their mapping: {@code [kernel.kallsyms]} for the kernel, {@code [MODULE]} for a kernel module (perf's names),
 * {@code [JIT perf-PID.map]} for code a perf map names, and the file's path for user code; a user address in no
 * known mapping has none. Mappings, locations, functions and strings are each written once. The frames are named
 * already ({@code has_functions}): no reader tries to symbolize them again; a frame no symbol covers is a function
 * {@code [unknown]} at its own address. Mappings carry no address range: a file may be mapped at different
 * addresses in the processes of one profile.
 *
 * <p>Encoded with protobuf-java's {@link CodedOutputStream} and the field numbers of profile.proto written below,
 * not with classes protoc generates: the writer needs eight small messages, and the build then needs no protoc
 * binary, no plugin and no generated sources.
 */
public final class Pprof {
    /** The name of the frames no symbol covers, as in folded stacks. */
    private static final String UNKNOWN = "[unknown]";

    // field numbers of profile.proto, message by message
    private static final int PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3,
            PROFILE_LOCATION = 4, PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
            PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_COMMENT = 13;
    private static final int VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2;
    private static final int SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3;
    private static final int LABEL_KEY = 1, LABEL_STR = 2;
    private static final int MAPPING_ID = 1, MAPPING_FILENAME = 5, MAPPING_HAS_FUNCTIONS = 7;
    private static final int LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4;
    private static final int LINE_FUNCTION_ID = 1;
    private static final int FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3;

    private Pprof() {
    }

    /**
     * Writes {@code stacks} to {@code out} as a gzip-compressed pprof profile (and finishes the gzip stream; {@code
     * out} stays open).
     *
     * @param timeNanos     when the recording began, in nanoseconds since the Unix epoch
     * @param durationNanos how long it lasted
     * @param comments      free text shown by readers ({@code go tool pprof -comments})
     */
    public static void write(StackCounts stacks, long timeNanos, long durationNanos, List<String> comments,
                             OutputStream out) throws IOException {
        Tables t = new Tables();
        List<byte[]> sampleTypes = new ArrayList<>();
        for (StackCounts.ValueType v : stacks.values().types()) sampleTypes.add(t.valueType(v));
        List<byte[]> samples = new ArrayList<>();
        for (StackCounts.Stack s : stacks.stacks()) samples.add(t.sample(s));
        StackCounts.ValueType periodType = stacks.values().periodType();
        byte[] period = periodType == null ? null : t.valueType(periodType);
        long[] commentIds = comments.stream().mapToLong(t::string).toArray();

        GZIPOutputStream gzip = new GZIPOutputStream(out, 1 << 16);
        CodedOutputStream p = CodedOutputStream.newInstance(gzip, 1 << 16);
        for (byte[] m : sampleTypes) p.writeByteArray(PROFILE_SAMPLE_TYPE, m);
        for (byte[] m : samples) p.writeByteArray(PROFILE_SAMPLE, m);
        for (byte[] m : t.mappings.values()) p.writeByteArray(PROFILE_MAPPING, m);
        for (byte[] m : t.locations.values()) p.writeByteArray(PROFILE_LOCATION, m);
        for (byte[] m : t.functions.values()) p.writeByteArray(PROFILE_FUNCTION, m);
        for (String s : t.strings.keySet()) p.writeString(PROFILE_STRING_TABLE, s);
        if (timeNanos != 0) p.writeInt64(PROFILE_TIME_NANOS, timeNanos);
        if (durationNanos != 0) p.writeInt64(PROFILE_DURATION_NANOS, durationNanos);
        if (period != null) {
            p.writeByteArray(PROFILE_PERIOD_TYPE, period);
            p.writeInt64(PROFILE_PERIOD, stacks.values().period());
        }
        for (long c : commentIds) p.writeInt64(PROFILE_COMMENT, c);
        p.flush();
        gzip.finish();
    }

    /** The mapping a frame is in, as its file name: perf's names for the kernel's, the path for an ELF file. */
    private static String mappingName(Frame f) {
        String module = f.module();
        if (f.kind() == Frame.Kind.KERNEL) {
            return module == null || module.equals("kernel") ? "[kernel.kallsyms]" : "[" + module + "]";
        }
        if (module == null) return null;
        return f.kind() == Frame.Kind.JIT ? "[JIT " + module + "]" : module;
    }

    /** The string table and the deduplicated tables that refer to it, each entry encoded once. */
    private static final class Tables {
        private record LocationKey(long mapping, long address, long function) {
        }

        final Map<String, Long> strings = new LinkedHashMap<>();
        final Map<String, byte[]> mappings = new LinkedHashMap<>();
        final Map<String, byte[]> functions = new LinkedHashMap<>();
        final Map<LocationKey, byte[]> locations = new LinkedHashMap<>();
        private final Map<String, Long> mappingIds = new HashMap<>();
        private final Map<String, Long> functionIds = new HashMap<>();
        private final Map<LocationKey, Long> locationIds = new HashMap<>();

        Tables() {
            string(""); // string_table[0] must be ""
        }

        long string(String s) {
            return strings.computeIfAbsent(s, k -> (long) strings.size());
        }

        byte[] valueType(StackCounts.ValueType v) throws IOException {
            return new Message().varint(VALUE_TYPE_TYPE, string(v.type())).varint(VALUE_TYPE_UNIT, string(v.unit()))
                    .bytes();
        }

        byte[] sample(StackCounts.Stack s) throws IOException {
            List<Frame> frames = s.frames();
            long[] ids = new long[frames.size() + (s.process() == null ? 0 : 1)];
            for (int i = 0; i < frames.size(); i++) {
                Frame f = frames.get(i);
                String name = f.symbol() == null ? UNKNOWN : f.symbol();
                ids[i] = location(mapping(mappingName(f)), f.address(), function(name));
            }
            Message m = new Message();
            if (s.process() != null) {
                ids[frames.size()] = location(0, 0, function(s.process()));
            }
            m.packed(SAMPLE_LOCATION_ID, ids);
            m.packed(SAMPLE_VALUE, s.values().stream().mapToLong(Long::longValue).toArray());
            if (s.process() != null) {
                m.message(SAMPLE_LABEL, new Message().varint(LABEL_KEY, string("comm"))
                        .varint(LABEL_STR, string(s.process())));
            }
            return m.bytes();
        }

        /** The id of the mapping of file {@code name}, 0 for none. */
        private long mapping(String name) throws IOException {
            if (name == null) return 0;
            Long id = mappingIds.get(name);
            if (id != null) return id;
            long newId = mappingIds.size() + 1;
            mappingIds.put(name, newId);
            mappings.put(name, new Message().varint(MAPPING_ID, newId).varint(MAPPING_FILENAME, string(name))
                    .varint(MAPPING_HAS_FUNCTIONS, 1).bytes());
            return newId;
        }

        private long function(String name) throws IOException {
            Long id = functionIds.get(name);
            if (id != null) return id;
            long newId = functionIds.size() + 1;
            functionIds.put(name, newId);
            long s = string(name);
            functions.put(name, new Message().varint(FUNCTION_ID, newId).varint(FUNCTION_NAME, s)
                    .varint(FUNCTION_SYSTEM_NAME, s).bytes());
            return newId;
        }

        private long location(long mapping, long address, long function) throws IOException {
            LocationKey key = new LocationKey(mapping, address, function);
            Long id = locationIds.get(key);
            if (id != null) return id;
            long newId = locationIds.size() + 1;
            locationIds.put(key, newId);
            locations.put(key, new Message().varint(LOCATION_ID, newId).varint(LOCATION_MAPPING_ID, mapping)
                    .varint(LOCATION_ADDRESS, address)
                    .message(LOCATION_LINE, new Message().varint(LINE_FUNCTION_ID, function)).bytes());
            return newId;
        }
    }

    /**
     * One message being encoded: proto3 leaves fields at their default (0, false) out, and writes repeated numbers
     * packed.
     */
    private static final class Message {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final CodedOutputStream out = CodedOutputStream.newInstance(buffer);

        /** A varint field: int64, uint64 and bool are the same on the wire for values ≥ 0. */
        Message varint(int field, long value) throws IOException {
            if (value != 0) out.writeUInt64(field, value);
            return this;
        }

        Message packed(int field, long[] values) throws IOException {
            if (values.length == 0) return this;
            int size = 0;
            for (long v : values) size += CodedOutputStream.computeUInt64SizeNoTag(v);
            out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(size);
            for (long v : values) out.writeUInt64NoTag(v);
            return this;
        }

        Message message(int field, Message m) throws IOException {
            out.writeByteArray(field, m.bytes());
            return this;
        }

        byte[] bytes() throws IOException {
            out.flush();
            return buffer.toByteArray();
        }
    }
}
