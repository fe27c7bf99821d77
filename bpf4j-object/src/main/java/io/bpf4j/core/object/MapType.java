package io.bpf4j.core.object;

import java.util.Locale;

import static io.bpf4j.core.object.MapType.Traits.ARRAY_BATCH;
import static io.bpf4j.core.object.MapType.Traits.BATCH_DELETE;
import static io.bpf4j.core.object.MapType.Traits.BATCH_LOOKUP;
import static io.bpf4j.core.object.MapType.Traits.BATCH_LOOKUP_AND_DELETE;
import static io.bpf4j.core.object.MapType.Traits.BATCH_UPDATE;
import static io.bpf4j.core.object.MapType.Traits.HASH_BATCH;
import static io.bpf4j.core.object.MapType.Traits.DELETE;
import static io.bpf4j.core.object.MapType.Traits.FD_VALUES;
import static io.bpf4j.core.object.MapType.Traits.INDEXED;
import static io.bpf4j.core.object.MapType.Traits.ITERATE;
import static io.bpf4j.core.object.MapType.Traits.KEYLESS;
import static io.bpf4j.core.object.MapType.Traits.LOOKUP;
import static io.bpf4j.core.object.MapType.Traits.PER_CPU;

/**
 * eBPF map types, numbered as in {@code enum bpf_map_type} of include/uapi/linux/bpf.h, with what user space
 * can do with each (as of Linux 6.18).
 *
 * <p>bpf4j creates and uses from user space: {@link #HASH}, {@link #ARRAY}, {@link #PERCPU_HASH},
 * {@link #PERCPU_ARRAY}, {@link #LRU_HASH}, {@link #LRU_PERCPU_HASH}, {@link #LPM_TRIE}, {@link #QUEUE},
 * {@link #STACK}, {@link #BLOOM_FILTER}, {@link #PROG_ARRAY}, {@link #ARRAY_OF_MAPS}, {@link #HASH_OF_MAPS},
 * {@link #STACK_TRACE} (filled by programs, read by user space), {@link #PERF_EVENT_ARRAY} and {@link #RINGBUF}
 * (created here; read by the event readers).
 *
 * <p>Out of scope for {@code BpfMap}'s user-space operations, because their elements only come into being
 * through programs or kernel objects (sockets, cgroups, tasks, inodes, network devices, BTF-described kernel
 * structs): {@link #CGROUP_STORAGE}, {@link #PERCPU_CGROUP_STORAGE}, {@link #SK_STORAGE},
 * {@link #INODE_STORAGE}, {@link #TASK_STORAGE}, {@link #CGRP_STORAGE}, {@link #SOCKMAP}, {@link #SOCKHASH},
 * {@link #REUSEPORT_SOCKARRAY}, {@link #XSKMAP}, {@link #DEVMAP}, {@link #DEVMAP_HASH}, {@link #CPUMAP},
 * {@link #CGROUP_ARRAY}, {@link #STRUCT_OPS}, {@link #USER_RINGBUF} and {@link #ARENA}. They can still be
 * created from a {@link MapSpec} and opened (by id, path or fd); the kernel decides which operations succeed.
 */
public enum MapType {
    /** Invalid (0). */
    UNSPEC(0),
    /** Hash table: any fixed-size key to a fixed-size value. */
    HASH(LOOKUP | ITERATE | DELETE | HASH_BATCH),
    /** Array indexed by a 4-byte key 0..max_entries-1; all elements exist (zero-filled) and cannot be deleted. */
    ARRAY(LOOKUP | ITERATE | ARRAY_BATCH | INDEXED),
    /** Array of program fds for tail calls; user space reads back program ids. */
    PROG_ARRAY(LOOKUP | ITERATE | DELETE | INDEXED | FD_VALUES),
    /** Array of perf event fds, one per CPU, for bpf_perf_event_output; user space cannot read it back. */
    PERF_EVENT_ARRAY(ITERATE | DELETE | INDEXED | FD_VALUES),
    /** Hash table with one value per possible CPU. */
    PERCPU_HASH(LOOKUP | ITERATE | DELETE | HASH_BATCH | PER_CPU),
    /** Array with one value per possible CPU. */
    PERCPU_ARRAY(LOOKUP | ITERATE | ARRAY_BATCH | INDEXED | PER_CPU),
    /** Stack traces (8 bytes per frame) stored by bpf_get_stackid, keyed by stack id. */
    STACK_TRACE(LOOKUP | ITERATE | DELETE),
    /** Array of cgroup fds (bpf_current_task_under_cgroup); out of scope here. */
    CGROUP_ARRAY(ITERATE | DELETE | INDEXED | FD_VALUES),
    /** Hash table that evicts the least recently used element when full. */
    LRU_HASH(LOOKUP | ITERATE | DELETE | HASH_BATCH),
    /** LRU hash table with one value per possible CPU. */
    LRU_PERCPU_HASH(LOOKUP | ITERATE | DELETE | HASH_BATCH | PER_CPU),
    /** Longest-prefix-match trie (IP routing tables); keys are a prefix length and the data, see {@link LpmKey}. */
    LPM_TRIE(LOOKUP | ITERATE | DELETE | BATCH_LOOKUP | BATCH_UPDATE | BATCH_DELETE),
    /** Array whose values are maps (inner map fds in, inner map ids out). */
    ARRAY_OF_MAPS(LOOKUP | ITERATE | DELETE | INDEXED | FD_VALUES | BATCH_LOOKUP),
    /** Hash table whose values are maps (inner map fds in, inner map ids out). */
    HASH_OF_MAPS(LOOKUP | ITERATE | DELETE | FD_VALUES | BATCH_LOOKUP | BATCH_DELETE
            | BATCH_LOOKUP_AND_DELETE),
    /** XDP redirect targets by index; out of scope here. */
    DEVMAP(LOOKUP | ITERATE | DELETE | INDEXED),
    /** Sockets for sk_msg/sk_skb redirection; out of scope here. */
    SOCKMAP(LOOKUP | ITERATE | DELETE | INDEXED | FD_VALUES),
    /** XDP redirect to other CPUs; out of scope here. */
    CPUMAP(LOOKUP | ITERATE | DELETE | INDEXED),
    /** AF_XDP sockets; out of scope here. */
    XSKMAP(ITERATE | DELETE | INDEXED | FD_VALUES),
    /** Sockets by key; out of scope here. */
    SOCKHASH(LOOKUP | ITERATE | DELETE | FD_VALUES),
    /** Legacy per-cgroup storage (BPF_MAP_TYPE_CGROUP_STORAGE); elements exist only for attached programs. */
    CGROUP_STORAGE(LOOKUP | ITERATE),
    /** SO_REUSEPORT socket selection; out of scope here. */
    REUSEPORT_SOCKARRAY(LOOKUP | ITERATE | DELETE | INDEXED | FD_VALUES),
    /** Legacy per-CPU per-cgroup storage; elements exist only for attached programs. */
    PERCPU_CGROUP_STORAGE(LOOKUP | ITERATE | PER_CPU),
    /** FIFO queue of values, no keys: push, pop, peek. */
    QUEUE(LOOKUP | KEYLESS),
    /** LIFO stack of values, no keys: push, pop, peek. */
    STACK(LOOKUP | KEYLESS),
    /** Socket-local storage, keyed by socket fd; needs BTF, out of scope here. */
    SK_STORAGE(LOOKUP | DELETE),
    /** Hash variant of {@link #DEVMAP}; out of scope here. */
    DEVMAP_HASH(LOOKUP | ITERATE | DELETE),
    /** Kernel struct implemented by programs (e.g. TCP congestion control); out of scope here. */
    STRUCT_OPS(LOOKUP | ITERATE),
    /** Ring buffer shared by all CPUs: programs write records, user space reads them through mmap. */
    RINGBUF(KEYLESS),
    /** Inode-local storage (LSM); out of scope here. */
    INODE_STORAGE(LOOKUP | DELETE),
    /** Task-local storage, keyed by pidfd; needs BTF, out of scope here. */
    TASK_STORAGE(LOOKUP | DELETE),
    /** Bloom filter: values are pushed, membership is asked; false positives possible, no false negatives. */
    BLOOM_FILTER(LOOKUP | KEYLESS),
    /** Ring buffer written by user space and drained by programs (bpf_user_ringbuf_drain). */
    USER_RINGBUF(KEYLESS),
    /** Cgroup-local storage, keyed by cgroup fd; needs BTF, out of scope here. */
    CGRP_STORAGE(LOOKUP | DELETE),
    /** Memory region shared by programs and user space through mmap; out of scope here. */
    ARENA(KEYLESS);

    private static final MapType[] VALUES = values();

    private final int traits;

    MapType(int traits) {
        this.traits = traits;
    }

    /** The kernel's number for this type. */
    public int code() {
        return ordinal();
    }

    /** The type the kernel numbers {@code code}; throws for numbers this version of bpf4j does not know. */
    public static MapType of(int code) {
        if (code < 0 || code >= VALUES.length) {
            throw new IllegalArgumentException("unknown BPF map type " + code
                    + " (this bpf4j knows types 0 to " + (VALUES.length - 1) + ")");
        }
        return VALUES[code];
    }

    /** The name as bpftool prints it, e.g. {@code hash}, {@code percpu_array}, {@code lpm_trie}. */
    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Whether each element holds one value per possible CPU: user space reads and writes
     * {@code roundUp(valueSize, 8) × possible CPUs} bytes (see {@code Cpus.possibleCount()}).
     */
    public boolean isPerCpu() {
        return (traits & PER_CPU) != 0;
    }

    /** Whether elements have keys; queues, stacks, bloom filters, ring buffers and arenas have none. */
    public boolean hasKeys() {
        return (traits & KEYLESS) == 0;
    }

    /**
     * Whether user space can read elements (BPF_MAP_LOOKUP_ELEM): for queues and stacks this is peek, for bloom
     * filters a membership test, for prog arrays and maps of maps it yields the id of the program or map.
     */
    public boolean canLookup() {
        return (traits & LOOKUP) != 0;
    }

    /** Whether user space can walk the keys (BPF_MAP_GET_NEXT_KEY). */
    public boolean canIterate() {
        return (traits & ITERATE) != 0;
    }

    /** Whether user space can delete elements (arrays' elements always exist: they cannot). */
    public boolean canDelete() {
        return (traits & DELETE) != 0;
    }

    /** Whether the kernel (6.18) offers BPF_MAP_LOOKUP_BATCH for this type. */
    public boolean canBatchLookup() {
        return (traits & BATCH_LOOKUP) != 0;
    }

    /** Whether the kernel (6.18) offers BPF_MAP_UPDATE_BATCH for this type. */
    public boolean canBatchUpdate() {
        return (traits & BATCH_UPDATE) != 0;
    }

    /** Whether the kernel (6.18) offers BPF_MAP_DELETE_BATCH for this type. */
    public boolean canBatchDelete() {
        return (traits & BATCH_DELETE) != 0;
    }

    /** Whether the kernel (6.18) offers BPF_MAP_LOOKUP_AND_DELETE_BATCH for this type (hash maps). */
    public boolean canBatchLookupAndDelete() {
        return (traits & BATCH_LOOKUP_AND_DELETE) != 0;
    }

    /** Whether keys are 4-byte indexes 0..max_entries-1 (arrays). */
    public boolean isIndexed() {
        return (traits & INDEXED) != 0;
    }

    /** Whether user space writes file descriptors as values (programs, maps, perf events, sockets, cgroups). */
    public boolean hasFdValues() {
        return (traits & FD_VALUES) != 0;
    }

    /** Trait bits (in a nested class: enum constants cannot refer to the enum's own static fields). */
    static final class Traits {
        static final int LOOKUP = 1, ITERATE = 1 << 1, DELETE = 1 << 2, INDEXED = 1 << 3, FD_VALUES = 1 << 4,
                PER_CPU = 1 << 5, KEYLESS = 1 << 6, BATCH_LOOKUP = 1 << 7, BATCH_UPDATE = 1 << 8,
                BATCH_DELETE = 1 << 9, BATCH_LOOKUP_AND_DELETE = 1 << 10;
        static final int ARRAY_BATCH = BATCH_LOOKUP | BATCH_UPDATE;
        static final int HASH_BATCH = BATCH_LOOKUP | BATCH_UPDATE | BATCH_DELETE | BATCH_LOOKUP_AND_DELETE;

        private Traits() {
        }
    }
}
