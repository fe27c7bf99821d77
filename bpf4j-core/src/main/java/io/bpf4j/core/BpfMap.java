package io.bpf4j.core;

import io.bpf4j.core.asm.MapReference;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.BpfCommand;
import io.bpf4j.core.internal.MapCreateAttr;
import io.bpf4j.core.internal.ObjectPath;
import io.bpf4j.core.kernel.Fd;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A map in the kernel, untyped: keys and values are bytes, as {@link MemorySegment}s or {@code byte[]}. For Java
 * types use a {@link TypedMap} ({@link #typed}, or {@link Builder#build(Codec, Codec)}).
 *
 * <pre>{@code
 * try (TypedMap<Integer, Long> counts = BpfMap.builder(MapType.HASH).name("counts")
 *         .keySize(4).valueSize(8).maxEntries(1024).build(Codec.INT, Codec.LONG)) {
 *     counts.put(42, 1L);
 *     counts.get(42);                       // Optional[1]
 * }
 * }</pre>
 *
 * <p>A {@code BpfMap} owns its file descriptor: {@link #close()} releases it; the kernel frees the map once no
 * program, pin or other fd holds it. It is a {@link MapReference}, so the assembler can load it into a register.
 *
 * <p><b>Hot path.</b> {@link #lookup(MemorySegment, MemorySegment)} and
 * {@link #update(MemorySegment, MemorySegment, long)} allocate nothing: they fill a per-thread {@code bpf_attr} and
 * make one system call, as libbpf's {@code bpf_map_lookup_elem} does. Key and value segments must be native
 * (off-heap) and large enough: {@link #keySize()} bytes of key, {@link #valueBufferSize()} bytes of value. The
 * {@code byte[]} methods copy through a per-thread native buffer and allocate only their result.
 *
 * <p><b>Per-CPU maps</b> ({@link MapType#isPerCpu()}) read and write one value per possible CPU at once:
 * {@link #valueBufferSize()} = {@code roundUp(valueSize, 8) × Cpus.possibleCount()} bytes;
 * {@link #lookupPerCpu(byte[])} splits them.
 *
 * <p><b>Iteration</b> ({@link #keys()}, {@link #entries()}) walks the map with BPF_MAP_GET_NEXT_KEY and visits
 * each key once. The iterator fetches the next key <em>before</em> handing out the current one, so deleting the
 * key just returned (the usual "drain while iterating" loop of libbpf users) is safe and does not restart the
 * walk. If something else (another thread, a BPF program) deletes the key the iterator holds next, the kernel
 * restarts from the first key: keys may then be seen again, and after more than {@link #maxEntries()} keys the
 * iterator gives up with a {@link java.util.ConcurrentModificationException}. For a consistent view of a map under
 * concurrent change, use the batch operations ({@link #lookupBatch()}), which walk hash buckets.
 *
 * <p>A map may be used by several threads at once: each thread has its own scratch memory, and the kernel makes
 * each element operation atomic. Operations on a closed map throw {@link IllegalStateException}; kernel failures
 * throw {@link BpfException} whose message names the map and says what to do.
 */
public final class BpfMap implements MapReference, AutoCloseable {
    /** Update flag BPF_ANY: create the element or replace it. */
    public static final long ANY = 0;
    /** Update flag BPF_NOEXIST: create the element only if the key is absent (not for arrays). */
    public static final long NOEXIST = 1;
    /**
     * Update flag BPF_EXIST: replace an existing element only; for queues and stacks: overwrite the oldest element
     * when full.
     */
    public static final long EXIST = 2;
    /** Flag BPF_F_LOCK: update or look up the value under its {@code struct bpf_spin_lock} (maps with BTF). */
    public static final long F_LOCK = 4;

    /** How many bytes one batch call moves at most (keys + values), to size batches when none is given. */
    private static final long BATCH_BYTES = 256 * 1024;

    private final Fd fd;
    private final MapType type;
    private final String name;
    private final int keySize;
    private final int valueSize;
    private final int maxEntries;
    private final int flags;
    private final int valueBufferSize;
    private volatile Path pinnedPath;

    private BpfMap(Fd fd, MapType type, String name, int keySize, int valueSize, int maxEntries, int flags) {
        this.fd = fd;
        this.type = type;
        this.name = name;
        this.keySize = keySize;
        this.valueSize = valueSize;
        this.maxEntries = maxEntries;
        this.flags = flags;
        this.valueBufferSize = type.isPerCpu() ? Codecs.roundUp8(valueSize) * Cpus.possibleCount() : valueSize;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Creating and opening

    /** A builder for a new map of {@code type}; {@code build…} creates it in the kernel. */
    public static Builder builder(MapType type) {
        return new Builder(type);
    }

    /**
     * Creates a map (BPF_MAP_CREATE). For maps of maps, a map of the inner spec is created first as the kernel's
     * template and closed again.
     *
     * @throws IllegalArgumentException when the spec breaks a rule of its map type ({@link MapSpec#problems(long)})
     * @throws BpfException             when the kernel refuses it
     */
    public static BpfMap create(MapSpec spec) {
        Objects.requireNonNull(spec, "spec");
        if (spec.type() == MapType.PERF_EVENT_ARRAY && spec.maxEntries() == 0) {
            spec = spec.withMaxEntries(Cpus.possible().getLast() + 1);
        }
        List<String> problems = spec.problems(Host.pageSize());
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("cannot create " + spec + ": " + String.join("; ", problems));
        }
        try (BpfMap inner = spec.innerMap().map(BpfMap::create).orElse(null)) {
            int mapFlags = spec.flags() | (spec.numaNode() >= 0 ? MapSpec.F_NUMA_NODE : 0);
            int fd = Bpf.mapCreate(new MapCreateAttr(spec.type().code(), spec.keySize(), spec.valueSize(),
                    spec.maxEntries(), mapFlags, inner == null ? -1 : inner.fd(), spec.numaNode(), spec.name(),
                    spec.btfFd(), spec.btfKeyTypeId(), spec.btfValueTypeId(), spec.btfVmlinuxValueTypeId(),
                    spec.mapExtra()), spec.toString());
            return new BpfMap(Fd.adopt(fd), spec.type(), Bpf.objectName(spec.name()), spec.keySize(),
                    spec.valueSize(), spec.maxEntries(), mapFlags);
        }
    }

    /** Opens the map with kernel id {@code id} (BPF_MAP_GET_FD_BY_ID), e.g. one listed by bpftool. */
    public static BpfMap fromId(int id) {
        return adopt(Bpf.getFdById(Bpf.ObjType.MAP, id));
    }

    /** Opens the map pinned at {@code path} in bpffs; {@link #unpin()} then removes that pin. */
    public static BpfMap open(Path path) {
        BpfMap map = adopt(ObjectPath.get(path));
        map.pinnedPath = path;
        return map;
    }

    /**
     * Takes ownership of {@code fd}, a map file descriptor obtained elsewhere; the map's shape is read from the
     * kernel. Closing the returned map closes {@code fd}.
     */
    public static BpfMap adopt(int fd) {
        Fd owned = Fd.adopt(fd);
        try {
            String kind = fdKind(fd);
            if (!kind.equals("anon_inode:bpf-map")) {
                throw new IllegalArgumentException("file descriptor " + fd + " is not a BPF map but " + kind);
            }
            MapInfo info = MapInfo.of(fd);
            return new BpfMap(owned, info.type(), info.name(), info.keySize(), info.valueSize(), info.maxEntries(),
                    info.flags());
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
    }

    /** What an fd refers to, as /proc shows it: "anon_inode:bpf-map", "anon_inode:bpf-prog", a path… */
    private static String fdKind(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd", Integer.toString(fd))).toString();
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Properties

    /** The map's file descriptor. */
    @Override
    public int fd() {
        try {
            return fd.value();
        } catch (IllegalStateException e) {
            throw new IllegalStateException(this + " is closed", e);
        }
    }

    /** The map's name as the kernel keeps it. */
    @Override
    public String name() {
        return name;
    }

    /** The map type. */
    public MapType type() {
        return type;
    }

    /** The key size in bytes (0 for maps without keys). */
    public int keySize() {
        return keySize;
    }

    /** The value size in bytes as created; for per-CPU maps one CPU's value (see {@link #valueBufferSize()}). */
    public int valueSize() {
        return valueSize;
    }

    /**
     * How many bytes a lookup writes: {@link #valueSize()}, or for per-CPU maps
     * {@code roundUp(valueSize, 8) × Cpus.possibleCount()}.
     */
    public int valueBufferSize() {
        return valueBufferSize;
    }

    /** The maximum number of elements (ring buffers: the size in bytes). */
    public int maxEntries() {
        return maxEntries;
    }

    /** The BPF_F_* creation flags. */
    public int flags() {
        return flags;
    }

    /** What the kernel says about this map now. */
    public MapInfo info() {
        return MapInfo.of(fd());
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed() {
        return fd.isClosed();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Element operations on segments: the allocation-free hot path

    /**
     * Looks up {@code key} and copies its value into {@code value} (BPF_MAP_LOOKUP_ELEM). Allocates nothing.
     *
     * @param key   {@link #keySize()} bytes of native memory
     * @param value {@link #valueBufferSize()} bytes of native memory
     * @return true if the key was found, false if not (ENOENT)
     */
    public boolean lookup(MemorySegment key, MemorySegment value) {
        return lookup(key, value, 0);
    }

    /** As {@link #lookup(MemorySegment, MemorySegment)}, with flags (e.g. {@link #F_LOCK}). */
    public boolean lookup(MemorySegment key, MemorySegment value, long flags) {
        checkValue(value, valueBufferSize);
        int r = elem(BpfCommand.MAP_LOOKUP_ELEM, keyAddress(key), value.address(), flags);
        if (r == 0) return true;
        if (r == -ENOENT) return false;
        throw failure(BpfCommand.MAP_LOOKUP_ELEM, -r);
    }

    /**
     * Creates or replaces the element {@code key} (BPF_MAP_UPDATE_ELEM). Allocates nothing.
     *
     * @param flags {@link #ANY}, {@link #NOEXIST} or {@link #EXIST}, optionally with {@link #F_LOCK}
     * @throws BpfException e.g. EEXIST for NOEXIST on a present key, ENOENT for EXIST on an absent one, E2BIG when a
     *                      hash map is full or an array index is out of range
     */
    public void update(MemorySegment key, MemorySegment value, long flags) {
        checkValue(value, valueBufferSize);
        int r = elem(BpfCommand.MAP_UPDATE_ELEM, keyAddress(key), value.address(), flags);
        if (r < 0) throw failure(BpfCommand.MAP_UPDATE_ELEM, -r);
    }

    /** Deletes {@code key} (BPF_MAP_DELETE_ELEM); returns false if it was not there. */
    public boolean delete(MemorySegment key) {
        int r = elem(BpfCommand.MAP_DELETE_ELEM, keyAddress(key), 0, 0);
        if (r == 0) return true;
        if (r == -ENOENT) return false;
        throw failure(BpfCommand.MAP_DELETE_ELEM, -r);
    }

    /**
     * Looks up {@code key}, copies its value into {@code value} and deletes it (BPF_MAP_LOOKUP_AND_DELETE_ELEM;
     * hash maps, and queues/stacks where it is a pop with a {@link MemorySegment#NULL} key).
     *
     * @return true if the key was found, false if not
     */
    public boolean lookupAndDelete(MemorySegment key, MemorySegment value) {
        checkValue(value, valueBufferSize);
        int r = elem(BpfCommand.MAP_LOOKUP_AND_DELETE_ELEM, keyAddress(key), value.address(), 0);
        if (r == 0) return true;
        if (r == -ENOENT) return false;
        throw failure(BpfCommand.MAP_LOOKUP_AND_DELETE_ELEM, -r);
    }

    /**
     * Writes the key after {@code key} into {@code next} (BPF_MAP_GET_NEXT_KEY); with {@link MemorySegment#NULL}
     * as {@code key}, the first key. Returns false after the last key. Allocates nothing.
     */
    public boolean nextKey(MemorySegment key, MemorySegment next) {
        checkValue(next, keySize);
        long k = key.equals(MemorySegment.NULL) ? 0 : keyAddress(key);
        int r = elem(BpfCommand.MAP_GET_NEXT_KEY, k, next.address(), 0);
        if (r == 0) return true;
        if (r == -ENOENT) return false;
        throw failure(BpfCommand.MAP_GET_NEXT_KEY, -r);
    }

    /** Every element command goes through here: the hot path's one compiled unit (see {@link Bpf#mapElem}). */
    private int elem(BpfCommand cmd, long key, long value, long flags) {
        return Bpf.mapElem(Scratch.get().attr, cmd, fd(), key, value, flags);
    }

    private long keyAddress(MemorySegment key) {
        if (keySize == 0) return 0; // maps without keys take a NULL key
        checkSegment(key, keySize, "key");
        return key.address();
    }

    private void checkValue(MemorySegment value, int size) {
        checkSegment(value, size, "value");
    }

    private void checkSegment(MemorySegment s, long size, String what) {
        if (s.byteSize() < size || !s.isNative() || !s.scope().isAlive()) {
            throw new IllegalArgumentException(what + " segment for " + this + " must be live native memory of at "
                    + "least " + size + " bytes; got " + (s.isNative() ? "" : "a heap segment of ") + s.byteSize()
                    + " bytes" + (s.scope().isAlive() ? "" : " whose arena is closed"));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Element operations on byte arrays

    /** The value of {@code key} ({@link #valueBufferSize()} bytes), or empty if absent. */
    public Optional<byte[]> lookup(byte[] key) {
        Scratch s = Scratch.get();
        MemorySegment buf = s.buffer(Scratch.valueOffset(keySize) + valueBufferSize);
        MemorySegment k = copyKey(key, buf);
        MemorySegment v = buf.asSlice(Scratch.valueOffset(keySize), valueBufferSize);
        return lookup(k, v) ? Optional.of(v.toArray(JAVA_BYTE)) : Optional.empty();
    }

    /** For per-CPU maps: the value of {@code key} on each possible CPU, in CPU order, or empty if absent. */
    public Optional<List<byte[]>> lookupPerCpu(byte[] key) {
        requirePerCpu();
        return lookup(key).map(this::splitPerCpu);
    }

    /** Creates or replaces the element {@code key} ({@link #ANY}). */
    public void update(byte[] key, byte[] value) {
        update(key, value, ANY);
    }

    /**
     * Creates or replaces the element {@code key}; {@code value} must be {@link #valueBufferSize()} bytes.
     *
     * @param flags {@link #ANY}, {@link #NOEXIST} or {@link #EXIST}, optionally with {@link #F_LOCK}
     */
    public void update(byte[] key, byte[] value, long flags) {
        checkLength(value, valueBufferSize, "value");
        Scratch s = Scratch.get();
        MemorySegment buf = s.buffer(Scratch.valueOffset(keySize) + valueBufferSize);
        MemorySegment k = copyKey(key, buf);
        MemorySegment v = buf.asSlice(Scratch.valueOffset(keySize), valueBufferSize);
        MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, valueBufferSize);
        update(k, v, flags);
    }

    /** For per-CPU maps: sets the value of {@code key} on each possible CPU (one array per CPU, in CPU order). */
    public void updatePerCpu(byte[] key, List<byte[]> values, long flags) {
        requirePerCpu();
        int cpus = Cpus.possibleCount(), stride = Codecs.roundUp8(valueSize);
        if (values.size() != cpus) {
            throw new IllegalArgumentException(this + " needs one value per possible CPU (" + cpus + "), got "
                    + values.size());
        }
        byte[] all = new byte[valueBufferSize];
        for (int i = 0; i < cpus; i++) {
            checkLength(values.get(i), valueSize, "value for CPU #" + i);
            System.arraycopy(values.get(i), 0, all, i * stride, valueSize);
        }
        update(key, all, flags);
    }

    /** Deletes {@code key}; returns false if it was not there. */
    public boolean delete(byte[] key) {
        MemorySegment buf = Scratch.get().buffer(keySize);
        return delete(copyKey(key, buf));
    }

    /** Looks up and deletes {@code key} in one step (hash maps); empty if absent. */
    public Optional<byte[]> lookupAndDelete(byte[] key) {
        MemorySegment buf = Scratch.get().buffer(Scratch.valueOffset(keySize) + valueBufferSize);
        MemorySegment k = copyKey(key, buf);
        MemorySegment v = buf.asSlice(Scratch.valueOffset(keySize), valueBufferSize);
        return lookupAndDelete(k, v) ? Optional.of(v.toArray(JAVA_BYTE)) : Optional.empty();
    }

    /** The key after {@code key}, or the first key when {@code key} is null; empty after the last. */
    public Optional<byte[]> nextKey(byte[] key) {
        MemorySegment buf = Scratch.get().buffer(Scratch.valueOffset(keySize) + keySize);
        MemorySegment k = key == null ? MemorySegment.NULL : copyKey(key, buf);
        MemorySegment n = buf.asSlice(Scratch.valueOffset(keySize), keySize);
        return nextKey(k, n) ? Optional.of(n.toArray(JAVA_BYTE)) : Optional.empty();
    }

    private MemorySegment copyKey(byte[] key, MemorySegment buf) {
        if (keySize == 0) return MemorySegment.NULL;
        checkLength(key, keySize, "key");
        MemorySegment k = buf.asSlice(0, keySize);
        MemorySegment.copy(key, 0, k, JAVA_BYTE, 0, keySize);
        return k;
    }

    private void checkLength(byte[] b, int size, String what) {
        Objects.requireNonNull(b, what);
        if (b.length != size) {
            throw new IllegalArgumentException(this + ": " + what + " must be " + size + " bytes, got " + b.length);
        }
    }

    private void requirePerCpu() {
        if (!type.isPerCpu()) throw new UnsupportedOperationException(this + " is not a per-CPU map");
    }

    private List<byte[]> splitPerCpu(byte[] all) {
        int cpus = Cpus.possibleCount(), stride = Codecs.roundUp8(valueSize);
        List<byte[]> list = new ArrayList<>(cpus);
        for (int i = 0; i < cpus; i++) {
            byte[] v = new byte[valueSize];
            System.arraycopy(all, i * stride, v, 0, valueSize);
            list.add(v);
        }
        return List.copyOf(list);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Queues, stacks, bloom filters (no keys)

    /** Pushes {@code value} onto a queue or stack, or adds it to a bloom filter ({@link #ANY}). */
    public void push(byte[] value) {
        push(value, ANY);
    }

    /**
     * Pushes {@code value} onto a queue or stack, or adds it to a bloom filter.
     *
     * @param flags {@link #ANY} (fail with E2BIG… when full) or, for queues and stacks, {@link #EXIST} (overwrite the
     *              oldest element when full)
     */
    public void push(byte[] value, long flags) {
        requireKeyless("push");
        checkLength(value, valueSize, "value");
        MemorySegment v = Scratch.get().buffer(valueSize).asSlice(0, valueSize);
        MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, valueSize);
        update(MemorySegment.NULL, v, flags);
    }

    /** Pushes {@code valueSize()} bytes of {@code value} (native memory); allocates nothing. */
    public void push(MemorySegment value, long flags) {
        requireKeyless("push");
        update(MemorySegment.NULL, value, flags);
    }

    /** Removes and returns the head of a queue (oldest) or the top of a stack (newest); empty when empty. */
    public Optional<byte[]> pop() {
        requireKeyless("pop");
        return lookupAndDelete((byte[]) null);
    }

    /** Pops into {@code value}; false when the queue or stack is empty. Allocates nothing. */
    public boolean pop(MemorySegment value) {
        requireKeyless("pop");
        return lookupAndDelete(MemorySegment.NULL, value);
    }

    /** Returns the head of a queue or the top of a stack without removing it; empty when empty. */
    public Optional<byte[]> peek() {
        requireKeyless("peek");
        return lookup((byte[]) null);
    }

    /** Peeks into {@code value}; false when the queue or stack is empty. Allocates nothing. */
    public boolean peek(MemorySegment value) {
        requireKeyless("peek");
        return lookup(MemorySegment.NULL, value);
    }

    /**
     * Asks a bloom filter whether {@code value} was pushed: false means certainly not; true means probably
     * (false positives happen, at a rate set by max entries and the number of hash functions).
     */
    public boolean mightContain(byte[] value) {
        checkLength(value, valueSize, "value");
        MemorySegment v = Scratch.get().buffer(valueSize).asSlice(0, valueSize);
        MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, valueSize);
        return mightContain(v);
    }

    /** As {@link #mightContain(byte[])} for {@code valueSize()} bytes of native memory; allocates nothing. */
    public boolean mightContain(MemorySegment value) {
        if (type != MapType.BLOOM_FILTER) {
            throw new UnsupportedOperationException("mightContain is for bloom filters; " + this + " is not one");
        }
        checkValue(value, valueSize);
        int r = elem(BpfCommand.MAP_LOOKUP_ELEM, 0, value.address(), 0);
        if (r == 0) return true;
        if (r == -ENOENT) return false;
        throw failure(BpfCommand.MAP_LOOKUP_ELEM, -r);
    }

    private void requireKeyless(String op) {
        if (type.hasKeys()) {
            throw new UnsupportedOperationException(op + " is for queues, stacks and bloom filters; " + this
                    + " has keys: use lookup/update/delete");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Special map types

    /** Stores {@code program} at {@code index} of a prog array (for tail calls). */
    public void set(int index, Program program) {
        if (type != MapType.PROG_ARRAY) {
            throw new UnsupportedOperationException("programs are stored in prog arrays; " + this + " is not one");
        }
        setFd(index, program.fd());
    }

    /** Stores {@code inner} at {@code index} of an array of maps. */
    public void set(int index, BpfMap inner) {
        if (type != MapType.ARRAY_OF_MAPS) {
            throw new UnsupportedOperationException("set(index, map) is for arrays of maps; " + this + " is not one"
                    + (type == MapType.HASH_OF_MAPS ? " (use updateFd(key, inner.fd(), flags))" : ""));
        }
        setFd(index, inner.fd());
    }

    /**
     * Stores file descriptor {@code valueFd} at {@code index} of an fd array: a program (prog array), a map
     * (array of maps), a perf event (perf event array) or a cgroup (cgroup array).
     */
    public void setFd(int index, int valueFd) {
        updateFd(indexKey(index), valueFd, ANY);
    }

    /** Stores file descriptor {@code valueFd} as the value of {@code key} (e.g. an inner map in a hash of maps). */
    public void updateFd(byte[] key, int valueFd, long flags) {
        if (!type.hasFdValues()) {
            throw new UnsupportedOperationException(this + " does not hold file descriptors");
        }
        byte[] v = new byte[4];
        MemorySegment.ofArray(v).set(Codecs.I32, 0, valueFd);
        update(key, v, flags);
    }

    /**
     * The id stored at {@code index} of a prog array (the program's id) or array of maps (the inner map's id);
     * empty when the slot is empty. Open it with {@link Program#fromId(int)} or {@link #fromId(int)}.
     */
    public OptionalInt lookupId(int index) {
        return lookupId(indexKey(index));
    }

    /** The program or inner map id stored under {@code key} (prog arrays, maps of maps); empty when absent. */
    public OptionalInt lookupId(byte[] key) {
        if (!type.hasFdValues()) {
            throw new UnsupportedOperationException(this + " does not hold programs or maps");
        }
        return lookup(key).map(v -> OptionalInt.of(MemorySegment.ofArray(v).get(Codecs.I32, 0)))
                .orElse(OptionalInt.empty());
    }

    /**
     * The stack with id {@code stackId} in a stack trace map (as returned by {@code bpf_get_stackid}): its
     * instruction addresses, innermost first, without the zero padding after the last frame; empty if there is
     * no such stack.
     */
    public Optional<long[]> stackTrace(int stackId) {
        if (type != MapType.STACK_TRACE) {
            throw new UnsupportedOperationException("stackTrace is for stack trace maps; " + this + " is not one");
        }
        return lookup(indexKey(stackId)).map(v -> {
            MemorySegment s = MemorySegment.ofArray(v);
            int n = 0;
            while (n < v.length / 8 && s.get(Codecs.I64, 8L * n) != 0) n++;
            long[] frames = new long[n];
            for (int i = 0; i < n; i++) frames[i] = s.get(Codecs.I64, 8L * i);
            return frames;
        });
    }

    private static byte[] indexKey(int index) {
        byte[] k = new byte[4];
        MemorySegment.ofArray(k).set(Codecs.I32, 0, index);
        return k;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Iteration

    /** The keys, walked with BPF_MAP_GET_NEXT_KEY (see the class comment on changes during iteration). */
    public Stream<byte[]> keys() {
        return stream(new KeyWalk<>(this, (k, v) -> k.toArray(JAVA_BYTE), false));
    }

    /**
     * The elements, walked with BPF_MAP_GET_NEXT_KEY and looked up one by one; an element deleted between the two
     * steps is skipped. Values are {@link #valueBufferSize()} bytes.
     */
    public Stream<Map.Entry<byte[], byte[]>> entries() {
        return stream(new KeyWalk<>(this, (k, v) -> Map.entry(k.toArray(JAVA_BYTE), v.toArray(JAVA_BYTE)), true));
    }

    static <T> Stream<T> stream(Iterator<T> it) {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
                false);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Batch operations

    /**
     * Receives one chunk of a batch lookup: {@code count} keys of {@link #keySize()} bytes packed in {@code keys},
     * {@code count} values of {@link #valueBufferSize()} bytes packed in {@code values}. The segments are reused
     * for the next chunk.
     */
    @FunctionalInterface
    public interface BatchVisitor {
        /** Handles {@code count} elements. */
        void visit(MemorySegment keys, MemorySegment values, int count);
    }

    /** Every element, read with BPF_MAP_LOOKUP_BATCH (hash and array maps) in chunks. */
    public List<Map.Entry<byte[], byte[]>> lookupBatch() {
        List<Map.Entry<byte[], byte[]>> out = new ArrayList<>();
        lookupBatch(collect(out));
        return out;
    }

    /** Every element, read and deleted with BPF_MAP_LOOKUP_AND_DELETE_BATCH (hash maps) in chunks. */
    public List<Map.Entry<byte[], byte[]>> lookupAndDeleteBatch() {
        List<Map.Entry<byte[], byte[]>> out = new ArrayList<>();
        lookupAndDeleteBatch(collect(out));
        return out;
    }

    private BatchVisitor collect(List<Map.Entry<byte[], byte[]>> out) {
        return (keys, values, count) -> {
            for (int i = 0; i < count; i++) {
                out.add(Map.entry(keys.asSlice((long) i * keySize, keySize).toArray(JAVA_BYTE),
                        values.asSlice((long) i * valueBufferSize, valueBufferSize).toArray(JAVA_BYTE)));
            }
        };
    }

    /** Hands every element to {@code visitor}, chunk by chunk (BPF_MAP_LOOKUP_BATCH). */
    public void lookupBatch(BatchVisitor visitor) {
        batchLookup(BpfCommand.MAP_LOOKUP_BATCH, visitor);
    }

    /** Hands every element to {@code visitor} and deletes it, chunk by chunk (BPF_MAP_LOOKUP_AND_DELETE_BATCH). */
    public void lookupAndDeleteBatch(BatchVisitor visitor) {
        batchLookup(BpfCommand.MAP_LOOKUP_AND_DELETE_BATCH, visitor);
    }

    /** Elements per batch call: up to {@link #BATCH_BYTES} of keys and values, at most the whole map. */
    int batchSize() {
        long perElement = Math.max(1, keySize + (long) valueBufferSize);
        return (int) Math.max(1, Math.min(Math.max(1, maxEntries), Math.max(16, BATCH_BYTES / perElement)));
    }

    private void batchLookup(BpfCommand cmd, BatchVisitor visitor) {
        Objects.requireNonNull(visitor, "visitor");
        int n = batchSize();
        try (Arena arena = Arena.ofConfined()) {
            long cursorSize = Math.max(8, keySize); // hash maps keep a bucket index, arrays a key
            MemorySegment in = arena.allocate(cursorSize, 8);
            MemorySegment out = arena.allocate(cursorSize, 8);
            MemorySegment keys = arena.allocate((long) n * keySize, 8);
            MemorySegment values = arena.allocate((long) n * valueBufferSize, 8);
            boolean first = true;
            while (true) {
                Bpf.Batch b = Bpf.mapLookupBatch(fd(), cmd == BpfCommand.MAP_LOOKUP_AND_DELETE_BATCH,
                        first ? 0 : in.address(), out.address(), keys.address(), values.address(), n);
                int r = b.result(), got = b.count();
                if (r == -Errno.ENOSPC.code() && got == 0) {
                    // A hash bucket holds more elements than fit: retry the same position with more room.
                    n *= 2;
                    keys = arena.allocate((long) n * keySize, 8);
                    values = arena.allocate((long) n * valueBufferSize, 8);
                    continue;
                }
                if (r < 0 && r != -ENOENT) throw failure(cmd, -r);
                if (got > 0) visitor.visit(keys, values, got);
                if (r == -ENOENT) return; // the end; the elements of this last call were handed out above
                MemorySegment.copy(out, 0, in, 0, cursorSize);
                first = false;
            }
        }
    }

    /**
     * Creates or replaces {@code count} elements in one call (BPF_MAP_UPDATE_BATCH): keys and values packed in
     * native memory as for {@link BatchVisitor}.
     *
     * @param elemFlags {@link #ANY}, {@link #NOEXIST} or {@link #EXIST}, optionally with {@link #F_LOCK}
     * @return {@code count}
     * @throws BpfException when an element fails; the elements before it were written (the message says how many)
     */
    public int updateBatch(MemorySegment keys, MemorySegment values, int count, long elemFlags) {
        if (count == 0) return 0;
        checkSegment(keys, (long) count * keySize, "keys");
        checkSegment(values, (long) count * valueBufferSize, "values");
        Bpf.Batch b = Bpf.mapUpdateBatch(fd(), keys.address(), values.address(), count, elemFlags);
        if (b.result() < 0) {
            BpfException e = failure(BpfCommand.MAP_UPDATE_BATCH, -b.result());
            throw new BpfException(e.operation(), -b.result(), e.getMessage() + " (after " + b.count() + " of "
                    + count + " elements were written)");
        }
        return count;
    }

    /** As {@link #updateBatch(MemorySegment, MemorySegment, int, long)} for byte arrays, in chunks. */
    public int updateBatch(List<byte[]> keys, List<byte[]> values, long elemFlags) {
        if (keys.size() != values.size()) {
            throw new IllegalArgumentException("updateBatch needs as many values as keys: " + keys.size() + " keys, "
                    + values.size() + " values");
        }
        int chunk = batchSize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate((long) chunk * keySize, 8);
            MemorySegment v = arena.allocate((long) chunk * valueBufferSize, 8);
            for (int start = 0; start < keys.size(); start += chunk) {
                int n = Math.min(chunk, keys.size() - start);
                for (int i = 0; i < n; i++) {
                    byte[] kb = keys.get(start + i), vb = values.get(start + i);
                    checkLength(kb, keySize, "key #" + (start + i));
                    checkLength(vb, valueBufferSize, "value #" + (start + i));
                    MemorySegment.copy(kb, 0, k, JAVA_BYTE, (long) i * keySize, keySize);
                    MemorySegment.copy(vb, 0, v, JAVA_BYTE, (long) i * valueBufferSize, valueBufferSize);
                }
                updateBatch(k, v, n, elemFlags);
            }
        }
        return keys.size();
    }

    /**
     * Deletes {@code count} keys packed in {@code keys} (BPF_MAP_DELETE_BATCH). Keys that are not in the map are
     * skipped (the kernel stops at the first one; bpf4j resumes after it).
     *
     * @return how many elements were deleted
     */
    public int deleteBatch(MemorySegment keys, int count) {
        if (count == 0) return 0;
        checkSegment(keys, (long) count * keySize, "keys");
        int deleted = 0, done = 0;
        while (done < count) {
            Bpf.Batch b = Bpf.mapDeleteBatch(fd(), keys.address() + (long) done * keySize, count - done);
            deleted += b.count();
            done += b.count();
            if (b.result() == 0) break;
            if (b.result() != -ENOENT) throw failure(BpfCommand.MAP_DELETE_BATCH, -b.result());
            done++; // skip the missing key
        }
        return deleted;
    }

    /** As {@link #deleteBatch(MemorySegment, int)} for byte arrays; returns how many were deleted. */
    public int deleteBatch(List<byte[]> keys) {
        int chunk = batchSize(), deleted = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocate((long) chunk * keySize, 8);
            for (int start = 0; start < keys.size(); start += chunk) {
                int n = Math.min(chunk, keys.size() - start);
                for (int i = 0; i < n; i++) {
                    byte[] kb = keys.get(start + i);
                    checkLength(kb, keySize, "key #" + (start + i));
                    MemorySegment.copy(kb, 0, k, JAVA_BYTE, (long) i * keySize, keySize);
                }
                deleted += deleteBatch(k, n);
            }
        }
        return deleted;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Freezing, pinning, closing

    /**
     * Freezes the map (BPF_MAP_FREEZE): from now on user space can no longer change it (updates fail with EPERM);
     * BPF programs still can unless the map was created with {@link MapSpec#F_RDONLY_PROG}. Cannot be undone.
     */
    public void freeze() {
        int r = Bpf.mapFreeze(fd());
        if (r < 0) throw failure(BpfCommand.MAP_FREEZE, -r);
    }

    /** Whether the map is frozen ({@link #freeze()}, by this or any process), from /proc/self/fdinfo. */
    public boolean isFrozen() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", Integer.toString(fd())))) {
                if (line.startsWith("frozen:")) return line.substring(7).strip().equals("1");
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    /** Pins the map at {@code path} in bpffs (mounting /sys/fs/bpf if needed), so it outlives this process. */
    public void pin(Path path) {
        ObjectPath.pin(fd(), path);
        pinnedPath = path;
    }

    /** Removes the pin made by {@link #pin(Path)} or opened by {@link #open(Path)}; nothing if there is none. */
    public void unpin() {
        Path p = pinnedPath;
        if (p != null) {
            ObjectPath.unpin(p);
            pinnedPath = null;
        }
    }

    /** Where this map is pinned, as far as this object knows. */
    public Optional<Path> pinnedPath() {
        return Optional.ofNullable(pinnedPath);
    }

    /** A typed view of this map; closing the view closes this map. */
    public <K, V> TypedMap<K, V> typed(Codec<K> keys, Codec<V> values) {
        return new TypedMap<>(this, keys, values);
    }

    /**
     * A typed view of this per-CPU map, values as a list with one {@code V} per possible CPU; closing the view
     * closes this map.
     */
    public <K, V> TypedMap<K, List<V>> perCpu(Codec<K> keys, Codec<V> value) {
        requirePerCpu();
        return new TypedMap<>(this, keys, Codec.perCpu(value));
    }

    /** Releases this process's hold on the map (the pin, if any, stays). Idempotent. */
    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return type.displayName() + " map '" + name + "'";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Errors

    private static final int ENOENT = Errno.ENOENT.code();

    /** The exception for a failed command on this map, with the map-specific hint where there is one. */
    BpfException failure(BpfCommand cmd, int errno) {
        String op = cmd.kernelName() + " (" + this + ")";
        String hint = MapErrors.hint(this, cmd, errno);
        return new BpfException(op, errno, Bpf.message(op, errno, hint != null ? hint : Bpf.hint(cmd, errno)));
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Builds a map in the kernel: the setters of {@link MapSpec.Builder}, then {@link #build()} for an untyped
     * map, {@link #build(Codec, Codec)} for a typed one (key and value sizes default to the codecs' sizes),
     * {@link #buildPerCpu(Codec, Codec)} for a per-CPU one or {@link #build(Codec)} for a queue, stack or bloom
     * filter.
     */
    public static final class Builder {
        private final MapSpec.Builder spec;

        Builder(MapType type) {
            this.spec = MapSpec.builder(type);
        }

        /** The map's name (the kernel keeps the first 15 bytes of [A-Za-z0-9_.]). */
        public Builder name(String name) {
            spec.name(name);
            return this;
        }

        /** The key size in bytes. */
        public Builder keySize(int bytes) {
            spec.keySize(bytes);
            return this;
        }

        /** The value size in bytes (for per-CPU maps, one CPU's value). */
        public Builder valueSize(int bytes) {
            spec.valueSize(bytes);
            return this;
        }

        /** The number of elements (ring buffers: the size in bytes). */
        public Builder maxEntries(int entries) {
            spec.maxEntries(entries);
            return this;
        }

        /** BPF_F_* creation flags ({@link MapSpec#F_NO_PREALLOC}…). */
        public Builder flags(int flags) {
            spec.flags(flags);
            return this;
        }

        /** For maps of maps: the shape of the maps it will hold. */
        public Builder innerMap(MapSpec inner) {
            spec.innerMap(inner);
            return this;
        }

        /** The NUMA node to allocate the map on. */
        public Builder numaNode(int node) {
            spec.numaNode(node);
            return this;
        }

        /** The type-specific map_extra (bloom filters: number of hash functions). */
        public Builder mapExtra(long extra) {
            spec.mapExtra(extra);
            return this;
        }

        /** For stack trace maps: the deepest stack stored (value size 8 × depth). */
        public Builder stackDepth(int depth) {
            spec.stackDepth(depth);
            return this;
        }

        /** BTF describing key and value. */
        public Builder btf(int fd, int keyTypeId, int valueTypeId) {
            spec.btf(fd, keyTypeId, valueTypeId);
            return this;
        }

        /** The spec built so far, without creating anything. */
        public MapSpec spec() {
            return spec.build();
        }

        /** Creates the map. */
        public BpfMap build() {
            return create(spec.build());
        }

        /** Creates the map with a typed view; unset key and value sizes are taken from the codecs. */
        public <K, V> TypedMap<K, V> build(Codec<K> keys, Codec<V> values) {
            if (spec.type().isPerCpu()) {
                throw new IllegalArgumentException(spec.type().displayName() + " maps hold one value per CPU: use "
                        + "buildPerCpu(keys, value), whose values are List<V>");
            }
            if (spec.keySize() == 0) spec.keySize(keys.size());
            if (spec.valueSize() == 0) spec.valueSize(values.size());
            return typed(spec.build(), keys, values);
        }

        /** Creates a per-CPU map with a typed view whose values hold one {@code V} per possible CPU. */
        public <K, V> TypedMap<K, List<V>> buildPerCpu(Codec<K> keys, Codec<V> value) {
            if (!spec.type().isPerCpu()) {
                throw new IllegalArgumentException(spec.type().displayName() + " is not a per-CPU map type");
            }
            if (spec.keySize() == 0) spec.keySize(keys.size());
            if (spec.valueSize() == 0) spec.valueSize(value.size());
            if (spec.valueSize() != value.size()) {
                throw new IllegalArgumentException("value size " + spec.valueSize() + " does not match the value "
                        + "codec's " + value.size() + " bytes");
            }
            return typed(spec.build(), keys, Codec.perCpu(value));
        }

        /** Creates a queue, stack or bloom filter with a typed view of its values. */
        public <V> TypedMap<Void, V> build(Codec<V> values) {
            if (spec.type().hasKeys()) {
                throw new IllegalArgumentException(spec.type().displayName()
                        + " maps have keys: use build(keys, values)");
            }
            if (spec.valueSize() == 0) spec.valueSize(values.size());
            return typed(spec.build(), Codec.NONE, values);
        }

        private static <K, V> TypedMap<K, V> typed(MapSpec s, Codec<K> keys, Codec<V> values) {
            TypedMap.checkSizes(s.toString(), s.keySize(), s.type().isPerCpu()
                    ? Codecs.roundUp8(s.valueSize()) * Cpus.possibleCount() : s.valueSize(), keys, values);
            return new TypedMap<>(create(s), keys, values);
        }
    }
}
