package io.bpf4j.bpftrace.runtime;

import io.bpf4j.bpftrace.check.MapInfo;
import io.bpf4j.bpftrace.check.MapKind;
import io.bpf4j.bpftrace.check.Type;
import io.bpf4j.bpftrace.format.RawBuffer;
import io.bpf4j.core.BpfMap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a program's map into Java values, merged over CPUs: keys are lists of Long and String (empty for a map
 * without keys); values are Long (assigned integers, count, sum, min, max), String, {@link Stats} (avg, stats)
 * or {@code long[]} buckets (hist: 65 buckets, bpftrace's; lhist: its buckets plus the two outer ones).
 */
public final class MapValues {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private MapValues() {
    }

    /** Every element of {@code map}, in bpftrace's print order (by value, or by key for strings). */
    public static LinkedHashMap<List<Object>, Object> read(BpfMap map, MapInfo info) {
        Map<List<Object>, Object> raw = new LinkedHashMap<>();
        int userKey = info.keySize();
        for (byte[] key : map.keys().toList()) {
            List<byte[]> values = info.kind().perCpu()
                    ? map.lookupPerCpu(key).orElse(null)
                    : map.lookup(key).map(List::of).orElse(null);
            if (values == null) continue; // deleted since the key was listed
            List<Object> k = decodeKey(info, key);
            MemorySegment keySeg = MemorySegment.ofArray(key);
            switch (info.kind()) {
                case VALUE -> raw.put(k, decodeValue(info.value(), values.getFirst()));
                case COUNT, SUM -> raw.put(k, sum(values, 0));
                case MIN, MAX -> {
                    Long merged = null;
                    for (byte[] v : values) {
                        MemorySegment s = MemorySegment.ofArray(v);
                        if (s.get(LONG, 8) == 0) continue;
                        long x = s.get(LONG, 0);
                        if (merged == null || (info.kind() == MapKind.MIN ? x < merged : x > merged)) merged = x;
                    }
                    raw.put(k, merged == null ? 0L : merged);
                }
                case AVG, STATS -> raw.put(k, new Stats(sum(values, 0), sum(values, 8)));
                case HIST, LHIST -> {
                    int buckets = info.kind() == MapKind.HIST ? 65 : info.lhistBuckets() + 2;
                    long[] b = (long[]) raw.computeIfAbsent(k, x -> new long[buckets]);
                    int index = (int) keySeg.get(LONG, userKey);
                    if (index >= 0 && index < buckets) b[index] += sum(values, 0);
                }
            }
        }
        List<Map.Entry<List<Object>, Object>> entries = new ArrayList<>(raw.entrySet());
        entries.sort(order(info).thenComparing(Map.Entry::getKey, MapValues::compareKeys));
        LinkedHashMap<List<Object>, Object> out = new LinkedHashMap<>();
        for (Map.Entry<List<Object>, Object> e : entries) out.put(e.getKey(), e.getValue());
        return out;
    }

    private static Comparator<Map.Entry<List<Object>, Object>> order(MapInfo info) {
        return switch (info.kind()) {
            case VALUE -> info.value() instanceof Type.Int i
                    ? Comparator.comparing(e -> (Long) e.getValue(), i.signed() ? Long::compare : Long::compareUnsigned)
                    : Comparator.comparing(Map.Entry::getKey, MapValues::compareKeys);
            case COUNT -> Comparator.comparing(e -> (Long) e.getValue(), Long::compareUnsigned);
            case SUM, MIN, MAX -> Comparator.comparing(e -> (Long) e.getValue());
            case AVG, STATS -> Comparator.comparingLong(e -> ((Stats) e.getValue()).average());
            case HIST, LHIST -> Comparator.comparingLong(e -> {
                long total = 0;
                for (long b : (long[]) e.getValue()) total += b;
                return total;
            });
        };
    }

    private static int compareKeys(List<Object> a, List<Object> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i) instanceof Long x && b.get(i) instanceof Long y ? Long.compare(x, y)
                    : String.valueOf(a.get(i)).compareTo(String.valueOf(b.get(i)));
            if (c != 0) return c;
        }
        return Integer.compare(a.size(), b.size());
    }

    private static long sum(List<byte[]> values, int offset) {
        long total = 0;
        for (byte[] v : values) total += MemorySegment.ofArray(v).get(LONG, offset);
        return total;
    }

    private static List<Object> decodeKey(MapInfo info, byte[] key) {
        List<Object> out = new ArrayList<>(info.keys().size());
        int off = 0;
        for (Type t : info.keys()) {
            out.add(decodeValue(t, java.util.Arrays.copyOfRange(key, off, off + t.size())));
            off += t.size();
        }
        return out;
    }

    /** An integer as Long, a string as String (up to its first NUL), from the bytes of a value or key part. */
    public static Object decodeValue(Type type, byte[] bytes) {
        if (type instanceof Type.Timestamp || type instanceof Type.Formatted) {
            return Composite.decode(type, MemorySegment.ofArray(bytes), 0).text();
        }
        if (type instanceof Type.Buf b) return new RawBuffer(java.util.Arrays.copyOf(bytes, b.length()));
        if (type instanceof Type.Record || type instanceof Type.Array || type instanceof Type.Tuple) {
            return Composite.decode(type, MemorySegment.ofArray(bytes), 0);
        }
        if (type instanceof Type.Str) {
            int n = 0;
            while (n < bytes.length && bytes[n] != 0) n++;
            return new String(bytes, 0, n, StandardCharsets.UTF_8);
        }
        return MemorySegment.ofArray(bytes).get(LONG, 0);
    }
}
