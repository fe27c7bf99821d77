package io.bpf4j.bench;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Codec;
import io.bpf4j.core.TypedMap;
import io.bpf4j.core.object.MapType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * User-space cost of hash-map operations through bpf4j, measured next to the same operations done by the C
 * program {@code src/main/c/mapbench.c} through libbpf (run both with {@code run-map-bench}).
 *
 * <p>The map: {@code BPF_MAP_TYPE_HASH}, key u32, value u64, {@value #ENTRIES} entries, all present. Single
 * operations take the keys in turn (0, 1, 2, …) as the C program does; batch operations move {@value #BATCH}
 * entries per call and are reported per element ({@code @OperationsPerInvocation}), like the C figures.
 *
 * <p>The {@code floor*} benchmark is not bpf4j's API: it issues the same lookup through a bare FFM downcall
 * ({@link RawBpf}) with a prebuilt {@code bpf_attr}; it shows how much of a gap to libbpf is the downcall itself
 * and how much is bpf4j's work.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgs = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 15, time = 1)
@State(Scope.Thread)
public class MapBench {
    /** Entries in the map (all present); the C program's default -e. */
    public static final int ENTRIES = 1024;
    /** Elements per batch call; the C program's default -b. */
    public static final int BATCH = 1024;

    private Arena arena;
    private BpfMap map;
    private TypedMap<Integer, Long> typed;
    /** One key and one value for the single-element API; {@value #BATCH} keys and values for the batch API. */
    private MemorySegment key, value, keys, values;
    private BpfMap.BatchVisitor visitor;
    private long seen, sum;
    private int nextKey;
    private long counter;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        map = BpfMap.builder(MapType.HASH).name("mapbench").keySize(4).valueSize(8).maxEntries(ENTRIES).build();
        typed = map.typed(Codec.INT, Codec.LONG);
        key = arena.allocate(JAVA_INT);
        value = arena.allocate(JAVA_LONG);
        keys = arena.allocate(JAVA_INT, BATCH);
        values = arena.allocate(JAVA_LONG, BATCH);
        for (int k = 0; k < ENTRIES; k++) {
            key.set(JAVA_INT, 0, k);
            value.set(JAVA_LONG, 0, k);
            map.update(key, value, BpfMap.NOEXIST);
        }
        visitor = (ks, vs, n) -> {
            seen += n;
            sum += vs.get(JAVA_LONG, 0);
        };
        // lookupBatch must read the whole map in exactly one BPF_MAP_LOOKUP_BATCH call, as mapbench.c does
        int[] calls = {0};
        map.lookupBatch((ks, vs, n) -> {
            calls[0]++;
            seen += n;
        });
        if (calls[0] != 1 || seen != ENTRIES) {
            throw new IllegalStateException("lookupBatch read " + seen + " elements in " + calls[0]
                    + " calls; the benchmark assumes " + ENTRIES + " in one call (batch of " + BATCH + ")");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        map.close();
        arena.close();
    }

    private int nextKey() {
        int k = nextKey;
        nextKey = k + 1 == ENTRIES ? 0 : k + 1;
        return k;
    }

    // ---- single elements, allocation-free MemorySegment API ----

    /** BPF_MAP_LOOKUP_ELEM of one present key; cf. bpf_map_lookup_elem. */
    @Benchmark
    public long lookup() {
        key.set(JAVA_INT, 0, nextKey());
        if (!map.lookup(key, value)) throw new IllegalStateException("key missing");
        return value.get(JAVA_LONG, 0);
    }

    /** BPF_MAP_UPDATE_ELEM (BPF_ANY) of one present key with a new value; cf. bpf_map_update_elem. */
    @Benchmark
    public void update() {
        key.set(JAVA_INT, 0, nextKey());
        value.set(JAVA_LONG, 0, ++counter);
        map.update(key, value, BpfMap.ANY);
    }

    // ---- single elements, typed API (Codec.INT keys, Codec.LONG values) ----

    /** {@code TypedMap.get}: encode the key, look up, decode the value, box it in an Optional. */
    @Benchmark
    public long lookupTyped() {
        return typed.get(nextKey()).orElseThrow();
    }

    /** {@code TypedMap.put}: encode key and value, update. */
    @Benchmark
    public void updateTyped() {
        typed.put(nextKey(), ++counter);
    }

    // ---- batches of BATCH elements, reported per element ----

    /** The whole map ({@value #ENTRIES} elements) in one BPF_MAP_LOOKUP_BATCH call; cf. bpf_map_lookup_batch. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long lookupBatch() {
        map.lookupBatch(visitor);
        return sum;
    }

    /** {@value #BATCH} present keys with new values in one BPF_MAP_UPDATE_BATCH call; cf. bpf_map_update_batch. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int updateBatch() {
        long c = ++counter;
        int first = nextKey;
        for (int j = 0; j < BATCH; j++) { // the same work as mapbench.c: fill the key and value arrays
            keys.setAtIndex(JAVA_INT, j, (first + j) % ENTRIES);
            values.setAtIndex(JAVA_LONG, j, c + j);
        }
        nextKey = (first + BATCH) % ENTRIES;
        return map.updateBatch(keys, values, BATCH, BpfMap.ANY);
    }

    // ---- floor: the same lookup without bpf4j's map API ----

    /** A map created with a raw bpf(2) call, and a prebuilt lookup attr pointing at {@link #key}/{@link #value}. */
    @State(Scope.Thread)
    public static class Floor {
        Arena arena;
        int fd;
        MemorySegment key, value, attr;
        long attrAddress;
        int nextKey;

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            fd = RawBpf.createHash(4, 8, ENTRIES);
            key = arena.allocate(JAVA_INT);
            value = arena.allocate(JAVA_LONG);
            attr = arena.allocate(RawBpf.ELEM_ATTR_SIZE, 8);
            attr.set(JAVA_INT, RawBpf.MAP_FD, fd);
            attr.set(JAVA_LONG, RawBpf.KEY, key.address());
            attr.set(JAVA_LONG, RawBpf.VALUE, value.address());
            attr.set(JAVA_LONG, RawBpf.FLAGS, 0L); // BPF_ANY
            for (int k = 0; k < ENTRIES; k++) {
                key.set(JAVA_INT, 0, k);
                value.set(JAVA_LONG, 0, k);
                if (RawBpf.bpf(RawBpf.BPF_MAP_UPDATE_ELEM, attr.address(), RawBpf.ELEM_ATTR_SIZE) != 0) {
                    throw new IllegalStateException("prefill failed");
                }
            }
            attrAddress = attr.address();
        }

        int nextKey() {
            int k = nextKey;
            nextKey = k + 1 == ENTRIES ? 0 : k + 1;
            return k;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            RawBpf.close(fd);
            arena.close();
        }
    }

    /** Lookup through a bare FFM downcall, 32-byte attr (as libbpf passes it) by address, no errno capture. */
    @Benchmark
    public long floorFfmLookup(Floor f) {
        f.key.set(JAVA_INT, 0, f.nextKey());
        if (RawBpf.bpf(RawBpf.BPF_MAP_LOOKUP_ELEM, f.attrAddress, RawBpf.ELEM_ATTR_SIZE) != 0) {
            throw new IllegalStateException("lookup failed");
        }
        return f.value.get(JAVA_LONG, 0);
    }
}
