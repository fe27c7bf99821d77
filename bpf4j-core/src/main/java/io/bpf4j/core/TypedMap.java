package io.bpf4j.core;

import io.bpf4j.core.asm.MapReference;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/**
 * A {@link BpfMap} seen through a key and a value {@link Codec}: Java objects in, Java objects out.
 *
 * <pre>{@code
 * try (TypedMap<Integer, Long> counts = BpfMap.builder(MapType.HASH).name("counts")
 *         .keySize(4).valueSize(8).maxEntries(1024).build(Codec.INT, Codec.LONG)) {
 *     counts.put(1, 10L);
 *     counts.get(1);                        // Optional[10]
 *     counts.entries().forEach(e -> System.out.println(e.getKey() + " " + e.getValue()));
 * }
 * }</pre>
 *
 * <p>Per-CPU maps are {@code TypedMap<K, List<V>>} with one {@code V} per possible CPU
 * ({@link BpfMap.Builder#buildPerCpu}, {@link BpfMap#perCpu}); queues, stacks and bloom filters are
 * {@code TypedMap<Void, V>} used through {@link #push}, {@link #pop}, {@link #peek} and {@link #mightContain}.
 *
 * <p>A view adds no kernel object: it shares the map's file descriptor, and {@link #close()} closes the map.
 * Iteration follows {@link BpfMap}'s rules (each key once; deleting the key just returned is safe).
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class TypedMap<K, V> implements MapReference, AutoCloseable {
    private final BpfMap map;
    private final Codec<K> keys;
    private final Codec<V> values;
    private final long valueOffset;
    private final long bufferSize;

    TypedMap(BpfMap map, Codec<K> keys, Codec<V> values) {
        this.map = Objects.requireNonNull(map, "map");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.values = Objects.requireNonNull(values, "values");
        checkSizes(map.toString(), map.keySize(), map.valueBufferSize(), keys, values);
        this.valueOffset = Scratch.valueOffset(map.keySize());
        this.bufferSize = valueOffset + map.valueBufferSize();
    }

    static void checkSizes(String what, int keySize, int valueBufferSize, Codec<?> keys, Codec<?> values) {
        if (keys.size() != keySize) {
            throw new IllegalArgumentException(what + " has " + keySize + "-byte keys but the key codec encodes "
                    + keys.size() + " bytes");
        }
        if (values.size() != valueBufferSize) {
            throw new IllegalArgumentException(what + " has " + valueBufferSize + "-byte values"
                    + " but the value codec encodes " + values.size() + " bytes"
                    + (values.size() * Cpus.possibleCount() == valueBufferSize
                    || Codecs.roundUp8(values.size()) * Cpus.possibleCount() == valueBufferSize
                    ? " (it is a per-CPU map: use BpfMap.perCpu / buildPerCpu)" : ""));
        }
    }

    /** The underlying untyped map. */
    public BpfMap map() {
        return map;
    }

    /** The key codec. */
    public Codec<K> keyCodec() {
        return keys;
    }

    /** The value codec. */
    public Codec<V> valueCodec() {
        return values;
    }

    @Override
    public int fd() {
        return map.fd();
    }

    @Override
    public String name() {
        return map.name();
    }

    private MemorySegment buffer() {
        return Scratch.get().buffer(bufferSize);
    }

    private MemorySegment key(MemorySegment buf, K key) {
        if (map.keySize() == 0) return MemorySegment.NULL;
        Objects.requireNonNull(key, "key");
        keys.encode(key, buf, 0);
        return buf.asSlice(0, map.keySize());
    }

    private MemorySegment value(MemorySegment buf) {
        return buf.asSlice(valueOffset, map.valueBufferSize());
    }

    /** The value of {@code key}, or empty if absent. */
    public Optional<V> get(K key) {
        MemorySegment buf = buffer();
        MemorySegment v = value(buf);
        return map.lookup(key(buf, key), v) ? Optional.of(values.decode(v, 0)) : Optional.empty();
    }

    /** The value of {@code key}, or {@code otherwise} if absent. */
    public V getOrDefault(K key, V otherwise) {
        return get(key).orElse(otherwise);
    }

    /** Whether {@code key} is in the map. */
    public boolean containsKey(K key) {
        MemorySegment buf = buffer();
        return map.lookup(key(buf, key), value(buf));
    }

    /** Creates or replaces the element. */
    public void put(K key, V value) {
        put(key, value, BpfMap.ANY);
    }

    /** Creates or replaces the element with update flags ({@link BpfMap#ANY}, {@link BpfMap#NOEXIST}, …). */
    public void put(K key, V value, long flags) {
        MemorySegment buf = buffer();
        MemorySegment k = key(buf, key);
        MemorySegment v = value(buf);
        values.encode(Objects.requireNonNull(value, "value"), v, 0);
        map.update(k, v, flags);
    }

    /** Creates the element only if {@code key} is absent (BPF_NOEXIST); returns whether it was created. */
    public boolean putIfAbsent(K key, V value) {
        try {
            put(key, value, BpfMap.NOEXIST);
            return true;
        } catch (BpfException e) {
            if (e.is(Errno.EEXIST)) return false;
            throw e;
        }
    }

    /** Replaces the element only if {@code key} is present (BPF_EXIST); returns whether it was replaced. */
    public boolean replace(K key, V value) {
        try {
            put(key, value, BpfMap.EXIST);
            return true;
        } catch (BpfException e) {
            if (e.is(Errno.ENOENT)) return false;
            throw e;
        }
    }

    /** Deletes {@code key}; returns whether it was there. */
    public boolean remove(K key) {
        return map.delete(key(buffer(), key));
    }

    /** Looks up and deletes {@code key} in one step (hash maps); empty if absent. */
    public Optional<V> getAndRemove(K key) {
        MemorySegment buf = buffer();
        MemorySegment v = value(buf);
        return map.lookupAndDelete(key(buf, key), v) ? Optional.of(values.decode(v, 0)) : Optional.empty();
    }

    /** The keys (BPF_MAP_GET_NEXT_KEY walk; each key once, deleting the key just returned is safe). */
    public Stream<K> keys() {
        return BpfMap.stream(new KeyWalk<>(map, (k, v) -> keys.decode(k, 0), false));
    }

    /** The elements (BPF_MAP_GET_NEXT_KEY walk, each looked up; elements deleted meanwhile are skipped). */
    public Stream<Map.Entry<K, V>> entries() {
        return BpfMap.stream(entryIterator());
    }

    private Iterator<Map.Entry<K, V>> entryIterator() {
        return new KeyWalk<>(map, (k, v) -> Map.entry(keys.decode(k, 0), values.decode(v, 0)), true);
    }

    /** Calls {@code action} for each element. */
    public void forEach(BiConsumer<? super K, ? super V> action) {
        entryIterator().forEachRemaining(e -> action.accept(e.getKey(), e.getValue()));
    }

    /**
     * Every element, in one or a few batch calls (BPF_MAP_LOOKUP_BATCH) where the map type has them
     * ({@link MapType#canBatchLookup()}), else by walking the keys.
     */
    public Map<K, V> getAll() {
        Map<K, V> out = new LinkedHashMap<>();
        if (map.type().canBatchLookup()) {
            map.lookupBatch(collect(out));
        } else {
            forEach(out::put);
        }
        return out;
    }

    /**
     * Every element, deleting them: BPF_MAP_LOOKUP_AND_DELETE_BATCH where the map type has it, else key by key
     * (look up, then delete) — elements added meanwhile may remain.
     */
    public Map<K, V> getAndRemoveAll() {
        Map<K, V> out = new LinkedHashMap<>();
        if (map.type().canBatchLookupAndDelete()) {
            map.lookupAndDeleteBatch(collect(out));
        } else {
            Iterator<Map.Entry<K, V>> it = entryIterator();
            while (it.hasNext()) {
                Map.Entry<K, V> e = it.next();
                if (remove(e.getKey())) out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    private BpfMap.BatchVisitor collect(Map<K, V> out) {
        int ks = map.keySize(), vs = map.valueBufferSize();
        return (k, v, count) -> {
            for (int i = 0; i < count; i++) out.put(keys.decode(k, (long) i * ks), values.decode(v, (long) i * vs));
        };
    }

    /**
     * Creates or replaces every element of {@code elements}: in batch calls (BPF_MAP_UPDATE_BATCH) where the map
     * type has them, else one by one. Returns how many were written.
     */
    public int putAll(Map<? extends K, ? extends V> elements) {
        if (elements.isEmpty()) return 0;
        if (!map.type().canBatchUpdate()) {
            elements.forEach(this::put);
            return elements.size();
        }
        int ks = map.keySize(), vs = map.valueBufferSize(), chunk = map.batchSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate((long) chunk * ks, 8);
            MemorySegment v = arena.allocate((long) chunk * vs, 8);
            int n = 0;
            for (Map.Entry<? extends K, ? extends V> e : elements.entrySet()) {
                keys.encode(Objects.requireNonNull(e.getKey(), "key"), k, (long) n * ks);
                values.encode(Objects.requireNonNull(e.getValue(), "value"), v, (long) n * vs);
                if (++n == chunk) {
                    map.updateBatch(k, v, n, BpfMap.ANY);
                    n = 0;
                }
            }
            if (n > 0) map.updateBatch(k, v, n, BpfMap.ANY);
        }
        return elements.size();
    }

    /**
     * Deletes every key of {@code toRemove} that is in the map: in batch calls (BPF_MAP_DELETE_BATCH) where the map
     * type has them, else one by one. Returns how many were deleted.
     */
    public int removeAll(Collection<? extends K> toRemove) {
        if (toRemove.isEmpty()) return 0;
        if (!map.type().canBatchDelete()) {
            int n = 0;
            for (K k : toRemove) if (remove(k)) n++;
            return n;
        }
        int ks = map.keySize(), chunk = map.batchSize(), deleted = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate((long) chunk * ks, 8);
            int n = 0;
            for (K key : toRemove) {
                keys.encode(Objects.requireNonNull(key, "key"), k, (long) n * ks);
                if (++n == chunk) {
                    deleted += map.deleteBatch(k, n);
                    n = 0;
                }
            }
            if (n > 0) deleted += map.deleteBatch(k, n);
        }
        return deleted;
    }

    /** Deletes every element (arrays cannot be cleared: their elements always exist). */
    public void clear() {
        if (map.type().isIndexed() && !map.type().canDelete()) {
            throw new UnsupportedOperationException("elements of " + map + " always exist and cannot be deleted");
        }
        removeAll(keys().toList());
    }

    /** Pushes {@code value} onto a queue or stack, or adds it to a bloom filter. */
    public void push(V value) {
        push(value, BpfMap.ANY);
    }

    /** Pushes with flags ({@link BpfMap#EXIST}: a full queue or stack drops its oldest element). */
    public void push(V value, long flags) {
        MemorySegment v = value(buffer());
        values.encode(Objects.requireNonNull(value, "value"), v, 0);
        map.push(v, flags);
    }

    /** Removes and returns the head of a queue or the top of a stack; empty when empty. */
    public Optional<V> pop() {
        MemorySegment v = value(buffer());
        return map.pop(v) ? Optional.of(values.decode(v, 0)) : Optional.empty();
    }

    /** Returns the head of a queue or the top of a stack without removing it; empty when empty. */
    public Optional<V> peek() {
        MemorySegment v = value(buffer());
        return map.peek(v) ? Optional.of(values.decode(v, 0)) : Optional.empty();
    }

    /** For bloom filters: false if {@code value} was certainly never pushed, true if it probably was. */
    public boolean mightContain(V value) {
        MemorySegment v = value(buffer());
        values.encode(Objects.requireNonNull(value, "value"), v, 0);
        return map.mightContain(v);
    }

    /** What the kernel says about the map. */
    public MapInfo info() {
        return map.info();
    }

    /** Closes the underlying map. */
    @Override
    public void close() {
        map.close();
    }

    @Override
    public String toString() {
        return map + " as " + keys + " → " + values;
    }
}
