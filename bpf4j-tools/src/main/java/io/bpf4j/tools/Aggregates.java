package io.bpf4j.tools;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Codec;
import io.bpf4j.core.StructCodec;
import io.bpf4j.core.TypedMap;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.object.ObjectMap;
import io.bpf4j.output.Histogram;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.util.List;
import java.util.Map;

/**
 * What the tools aggregate in the kernel — hash and array maps of counts, totals and power-of-two histograms — read
 * as Java records. A record is bound to the C type of a map's key or value through the object's own BTF, by field
 * name ({@link StructCodec#ofBtf}): no offset or size is written in Java, and a component with no field of its name,
 * or one too small for its field, fails when the tool binds the map, right after reading the object and before
 * anything is loaded.
 */
public final class Aggregates {
    private Aggregates() {
    }

    /** A codec for the values of map {@code map} of the session's object, a struct bound to {@code type}. */
    public static <R extends Record> StructCodec<R> values(ToolSession s, String map, Class<R> type) {
        return StructCodec.ofBtf(type, s.btf(), objectMap(s, map).btfValueTypeId());
    }

    /** A codec for the keys of map {@code map} of the session's object, a struct bound to {@code type}. */
    public static <R extends Record> StructCodec<R> keys(ToolSession s, String map, Class<R> type) {
        return StructCodec.ofBtf(type, s.btf(), objectMap(s, map).btfKeyTypeId());
    }

    /**
     * The layout of {@code struct name} in the session object's BTF, its fields named as in C: for what is read in
     * parts, such as an event whose fixed fields are followed by variable data, or a map value written field by
     * field ({@code layout.byteOffset(groupElement("args"))} rather than an offset written by hand).
     */
    public static StructLayout layout(ToolSession s, String name) {
        int id = s.btf().typeId(name, BtfKind.STRUCT)
                .orElseThrow(() -> new IllegalArgumentException("no struct " + name + " in the object's BTF"));
        return (StructLayout) s.btf().memoryLayout(id);
    }

    private static ObjectMap objectMap(ToolSession s, String map) {
        return s.spec().map(map).orElseThrow(() -> new IllegalArgumentException("no map '" + map + "' in the object"));
    }

    /**
     * Reads and deletes every element, key by key as libbpf-tools does (increments between the read and the delete
     * of a key are lost, as there), so that each interval shows what happened since the last. Not
     * BPF_MAP_LOOKUP_AND_DELETE_BATCH: on this 6.18 kernel it intermittently returned nothing for a hash map that
     * BPF programs were updating from interrupt context.
     */
    public static <K, V> List<Map.Entry<K, V>> takeAll(TypedMap<K, V> map) {
        List<Map.Entry<K, V>> all = map.entries().toList();
        for (Map.Entry<K, V> e : all) map.remove(e.getKey());
        return all;
    }

    /**
     * A power-of-two histogram, printed as bcc prints it, of the {@code __u32 slots[]} a program filled with
     * {@code bpf4j_slot} (bpf4j_tools.h): the slot count is the array's, from BTF.
     */
    public static Histogram log2(String unit, int[] slots) {
        long[] counts = new long[slots.length];
        for (int i = 0; i < slots.length; i++) counts[i] = Integer.toUnsignedLong(slots[i]);
        return Histogram.log2(unit, counts);
    }

    /** The value whose bytes are all zero: what empties an element of an array map, whose elements cannot go. */
    public static <V> V zero(Codec<V> codec) {
        return codec.decode(MemorySegment.ofArray(new byte[codec.size()]), 0);
    }

    /** The sum over CPUs of the {@code __u64} counter at {@code index} of the per-CPU array {@code map}. */
    public static long sumPerCpu(BpfMap map, int index) {
        return map.perCpu(Codec.INT, Codec.LONG).get(index).orElseThrow().stream().mapToLong(Long::longValue).sum();
    }
}
