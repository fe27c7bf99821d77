package io.bpf4j.bpftrace.check;

import java.util.List;

/**
 * A map as the program uses it.
 *
 * @param name      its name with the {@code @} ({@code @} alone for the anonymous map)
 * @param keys      the types of its key parts; empty for a map without keys
 * @param kind      what it holds
 * @param value     the value type for {@link MapKind#VALUE} maps (an integer type for the aggregations)
 * @param lhistMin  lhist's min (other kinds: 0)
 * @param lhistMax  lhist's max
 * @param lhistStep lhist's step
 */
public record MapInfo(String name, List<Type> keys, MapKind kind, Type value, long lhistMin, long lhistMax,
                      long lhistStep) {
    public MapInfo {
        keys = List.copyOf(keys);
    }

    /** The bytes of the user-visible part of the key: each part's size, or 8 for a map without keys. */
    public int keySize() {
        if (keys.isEmpty()) return 8;
        int size = 0;
        for (Type t : keys) size += t.size();
        return size;
    }

    /** The bytes of the key in the kernel: the user-visible part, then the bucket index for histograms. */
    public int kernelKeySize() {
        return keySize() + (kind.bucketed() ? 8 : 0);
    }

    /** The bytes of one value (per CPU for per-CPU maps). */
    public int valueSize() {
        return switch (kind) {
            case VALUE -> value.size();
            case COUNT, SUM, HIST, LHIST -> 8;
            // min/max: {value, set}; avg/stats: {count, total}
            case MIN, MAX, AVG, STATS -> 16;
        };
    }

    /** lhist's bucket count, not counting the two outer ones. */
    public int lhistBuckets() {
        return (int) ((lhistMax - lhistMin) / lhistStep);
    }
}
