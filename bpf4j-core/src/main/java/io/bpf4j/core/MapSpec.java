package io.bpf4j.core;

import io.bpf4j.core.internal.LibC;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the kernel needs to create one map (BPF_MAP_CREATE): pure data, built without touching the kernel.
 * Create the map with {@link BpfMap#create(MapSpec)}; build a spec with {@link #builder(MapType)}, which fills
 * in what a map type implies (4-byte keys for arrays, 4-byte fd values for prog arrays and maps of maps,
 * BPF_F_NO_PREALLOC for LPM tries, one perf event array slot per CPU…).
 *
 * @param type           the map type
 * @param name           the map's name (the kernel keeps the first 15 bytes of [A-Za-z0-9_.])
 * @param keySize        the key size in bytes (0 for queues, stacks, bloom filters, ring buffers)
 * @param valueSize      the value size in bytes; for per-CPU maps the size of one CPU's value
 * @param maxEntries     how many elements the map holds; for ring buffers its size in bytes
 * @param flags          BPF_F_* creation flags ({@link #F_NO_PREALLOC}, {@link #F_RDONLY_PROG}…)
 * @param innerMap       for {@link MapType#ARRAY_OF_MAPS} and {@link MapType#HASH_OF_MAPS}: what the inner maps look
 *                       like (a map of this shape is created for the kernel as a template, then closed)
 * @param numaNode       the NUMA node to allocate on, or -1 for any (sets BPF_F_NUMA_NODE when ≥ 0)
 * @param mapExtra       type-specific extra (map_extra): for bloom filters the number of hash functions (1–15;
 *                       0 means the kernel's default of 5)
 * @param btfFd          the fd of BTF describing key and value, or -1 for none
 * @param btfKeyTypeId   the BTF type id of the key, 0 for none
 * @param btfValueTypeId the BTF type id of the value, 0 for none
 * @param btfVmlinuxValueTypeId for {@link MapType#STRUCT_OPS} maps: the id of the value type
 *                       ({@code struct bpf_struct_ops_<name>}) in the kernel's BTF, 0 otherwise; the kernel still
 *                       wants a {@code btfFd} (any loaded BTF) alongside it
 */
public record MapSpec(MapType type, String name, int keySize, int valueSize, int maxEntries, int flags,
                      Optional<MapSpec> innerMap, int numaNode, long mapExtra, int btfFd, int btfKeyTypeId,
                      int btfValueTypeId, int btfVmlinuxValueTypeId) {

    /** BPF_F_NO_PREALLOC: allocate hash elements on demand (required for LPM tries). */
    public static final int F_NO_PREALLOC = 1;
    /** BPF_F_NO_COMMON_LRU: one LRU list per CPU instead of a shared one (LRU hashes). */
    public static final int F_NO_COMMON_LRU = 1 << 1;
    /** BPF_F_NUMA_NODE: allocate on {@link #numaNode()} (set automatically when a node is given). */
    public static final int F_NUMA_NODE = 1 << 2;
    /** BPF_F_RDONLY: user space may only read the map through this fd. */
    public static final int F_RDONLY = 1 << 3;
    /** BPF_F_WRONLY: user space may only write the map through this fd. */
    public static final int F_WRONLY = 1 << 4;
    /** BPF_F_STACK_BUILD_ID: stack trace maps store build id + offset instead of addresses. */
    public static final int F_STACK_BUILD_ID = 1 << 5;
    /** BPF_F_ZERO_SEED: hash with a zero seed (deterministic order; for tests only). */
    public static final int F_ZERO_SEED = 1 << 6;
    /** BPF_F_RDONLY_PROG: programs may only read the map. */
    public static final int F_RDONLY_PROG = 1 << 7;
    /** BPF_F_WRONLY_PROG: programs may only write the map. */
    public static final int F_WRONLY_PROG = 1 << 8;
    /** BPF_F_MMAPABLE: the array can be mmap'd by user space. */
    public static final int F_MMAPABLE = 1 << 10;
    /** BPF_F_PRESERVE_ELEMS: perf event array slots survive the closing of the fd that filled them. */
    public static final int F_PRESERVE_ELEMS = 1 << 11;
    /** BPF_F_INNER_MAP: an inner map whose max_entries may differ between the maps stored in the outer map. */
    public static final int F_INNER_MAP = 1 << 12;

    /** Linux's deepest kernel or user stack (PERF_MAX_STACK_DEPTH), the default depth of stack trace maps. */
    public static final int MAX_STACK_DEPTH = 127;

    public MapSpec {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(innerMap, "innerMap (use Optional.empty())");
        if (keySize < 0 || valueSize < 0 || maxEntries < 0) {
            throw new IllegalArgumentException("map '" + name + "': key size, value size and max entries must not "
                    + "be negative (got " + keySize + ", " + valueSize + ", " + maxEntries + ")");
        }
    }

    /** A builder for a map of {@code type}. */
    public static Builder builder(MapType type) {
        return new Builder(type);
    }

    /** A builder that starts from this spec. */
    public Builder toBuilder() {
        Builder b = new Builder(type);
        b.name = name;
        b.keySize = keySize;
        b.valueSize = valueSize;
        b.maxEntries = maxEntries;
        b.flags = flags;
        b.innerMap = innerMap.orElse(null);
        b.numaNode = numaNode;
        b.mapExtra = mapExtra;
        b.btfFd = btfFd;
        b.btfKeyTypeId = btfKeyTypeId;
        b.btfValueTypeId = btfValueTypeId;
        b.btfVmlinuxValueTypeId = btfVmlinuxValueTypeId;
        return b;
    }

    /** This spec with another name. */
    public MapSpec withName(String newName) {
        return new MapSpec(type, newName, keySize, valueSize, maxEntries, flags, innerMap, numaNode, mapExtra, btfFd,
                btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId);
    }

    /** This spec with another number of entries (for ring buffers: size in bytes). */
    public MapSpec withMaxEntries(int entries) {
        return new MapSpec(type, name, keySize, valueSize, entries, flags, innerMap, numaNode, mapExtra, btfFd,
                btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId);
    }

    /**
     * A ring buffer (BPF_MAP_TYPE_RINGBUF) of {@code bytes} bytes: a power of two and a multiple of the page size.
     */
    public static MapSpec ringBuffer(String name, int bytes) {
        return builder(MapType.RINGBUF).name(name).maxEntries(bytes).build();
    }

    /** A perf event array with one slot per possible CPU (indexed by CPU id). */
    public static MapSpec perfEventArray(String name) {
        return builder(MapType.PERF_EVENT_ARRAY).name(name).build();
    }

    /** A stack trace map holding {@code maxEntries} stacks of up to {@code depth} frames (8 bytes each). */
    public static MapSpec stackTrace(String name, int depth, int maxEntries) {
        return builder(MapType.STACK_TRACE).name(name).stackDepth(depth).maxEntries(maxEntries).build();
    }

    /** A prog array (tail calls) with {@code maxEntries} slots. */
    public static MapSpec progArray(String name, int maxEntries) {
        return builder(MapType.PROG_ARRAY).name(name).maxEntries(maxEntries).build();
    }

    /**
     * What is wrong with this spec for its map type, as sentences a person can act on; empty when bpf4j sees
     * nothing wrong (the kernel may still refuse). {@link BpfMap#create(MapSpec)} refuses a spec with problems.
     */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        switch (type) {
            case UNSPEC -> p.add("UNSPEC is not a map type; choose one, e.g. HASH or ARRAY");
            case RINGBUF, USER_RINGBUF -> {
                if (keySize != 0 || valueSize != 0) {
                    p.add("ring buffers have no key or value size (got key " + keySize + ", value " + valueSize
                            + "); max entries is the buffer size in bytes");
                }
                long page = LibC.pageSize();
                if (maxEntries <= 0 || Integer.bitCount(maxEntries) != 1 || maxEntries % page != 0) {
                    p.add("a ring buffer's size (max entries) must be a power of two and a multiple of the page size ("
                            + page + " bytes), e.g. " + (page * 64) + "; got " + maxEntries);
                }
            }
            case QUEUE, STACK, BLOOM_FILTER -> {
                if (keySize != 0) {
                    p.add(type.displayName() + " maps have no keys: key size must be 0, got " + keySize);
                }
                if (valueSize == 0) p.add("value size must be greater than 0");
                if (type == MapType.BLOOM_FILTER && (mapExtra & ~0xfL) != 0) {
                    p.add("a bloom filter's map extra is the number of hash functions, 0 (default 5) to 15; got "
                            + mapExtra);
                }
            }
            case LPM_TRIE -> {
                if (keySize < 5 || keySize > 4 + 256) {
                    p.add("LPM trie keys are a 4-byte prefix length followed by 1 to 256 data bytes (8 for IPv4, 20 "
                            + "for IPv6); got key size " + keySize);
                }
                if ((flags & F_NO_PREALLOC) == 0) {
                    p.add("LPM tries need the BPF_F_NO_PREALLOC flag (MapSpec.F_NO_PREALLOC)");
                }
                if (valueSize == 0) p.add("value size must be greater than 0");
            }
            case ARENA -> {
                if (keySize != 0 || valueSize != 0) {
                    p.add("arenas have no key or value size (got key " + keySize + ", value " + valueSize
                            + "); max entries is the number of pages");
                }
            }
            case STACK_TRACE -> {
                if (keySize != 4) p.add("stack trace maps are keyed by a 4-byte stack id; got key size " + keySize);
                if (valueSize == 0 || valueSize % 8 != 0) {
                    p.add("a stack trace map's value size is 8 × the stack depth (e.g. " + 8 * MAX_STACK_DEPTH
                            + " for " + MAX_STACK_DEPTH + " frames); got " + valueSize);
                }
            }
            default -> {
                if (type.isIndexed() && keySize != 4) {
                    p.add(type.displayName() + " maps are indexed by a 4-byte key (the index 0.."
                            + (maxEntries > 0 ? maxEntries - 1 : "max entries - 1") + "); got key size " + keySize);
                } else if (keySize == 0 && type.hasKeys()) {
                    p.add("key size must be greater than 0");
                }
                if (takesFd32(type) && valueSize != 4) {
                    p.add(type.displayName() + " values are 4-byte file descriptors; got value size " + valueSize);
                } else if (valueSize == 0) {
                    p.add("value size must be greater than 0");
                }
                if (type.isIndexed() && (flags & F_NO_PREALLOC) != 0) {
                    p.add(type.displayName() + " maps are always preallocated: drop BPF_F_NO_PREALLOC");
                }
            }
        }
        if (maxEntries == 0 && !isStorage()) p.add("max entries must be greater than 0");
        boolean ofMaps = type == MapType.ARRAY_OF_MAPS || type == MapType.HASH_OF_MAPS;
        if (ofMaps && innerMap.isEmpty()) {
            p.add("maps of maps need an inner map spec (Builder.innerMap) describing the maps they will hold");
        }
        if (!ofMaps && innerMap.isPresent()) p.add("only ARRAY_OF_MAPS and HASH_OF_MAPS take an inner map");
        if (type != MapType.BLOOM_FILTER && mapExtra != 0 && type != MapType.ARENA) {
            p.add("map extra is only used by bloom filters and arenas; got " + mapExtra);
        }
        innerMap.ifPresent(inner -> inner.problems().forEach(s -> p.add("inner map: " + s)));
        return p;
    }

    private boolean isStorage() {
        return switch (type) {
            case CGROUP_STORAGE, PERCPU_CGROUP_STORAGE, SK_STORAGE, INODE_STORAGE, TASK_STORAGE, CGRP_STORAGE -> true;
            default -> false;
        };
    }

    /** Whether values are exactly a 4-byte fd (sockets may also take 8 bytes). */
    private static boolean takesFd32(MapType type) {
        return switch (type) {
            case PROG_ARRAY, PERF_EVENT_ARRAY, CGROUP_ARRAY, ARRAY_OF_MAPS, HASH_OF_MAPS, XSKMAP -> true;
            default -> false;
        };
    }

    @Override
    public String toString() {
        return type.displayName() + " map '" + name + "' (key " + keySize + " B, value " + valueSize + " B, "
                + maxEntries + " entries" + (flags == 0 ? "" : ", flags 0x" + Integer.toHexString(flags)) + ")";
    }

    /**
     * Builds a {@link MapSpec}. Sizes left at 0 are filled in from the map type where it implies them; everything
     * else defaults to none.
     */
    public static final class Builder {
        private final MapType type;
        private String name = "";
        private int keySize, valueSize, maxEntries, flags;
        private MapSpec innerMap;
        private int numaNode = -1;
        private long mapExtra;
        private int btfFd = -1, btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId;
        private int stackDepth;

        Builder(MapType type) {
            this.type = Objects.requireNonNull(type, "type");
        }

        /** The map's name (the kernel keeps the first 15 bytes of [A-Za-z0-9_.]). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** The key size in bytes. */
        public Builder keySize(int bytes) {
            this.keySize = bytes;
            return this;
        }

        /** The value size in bytes (for per-CPU maps, one CPU's value). */
        public Builder valueSize(int bytes) {
            this.valueSize = bytes;
            return this;
        }

        /** The number of elements (for ring buffers: the size in bytes). */
        public Builder maxEntries(int entries) {
            this.maxEntries = entries;
            return this;
        }

        /** BPF_F_* creation flags, replacing those set before. */
        public Builder flags(int flags) {
            this.flags = flags;
            return this;
        }

        /** For maps of maps: the shape of the maps it will hold. */
        public Builder innerMap(MapSpec inner) {
            this.innerMap = inner;
            return this;
        }

        /** The NUMA node to allocate the map on. */
        public Builder numaNode(int node) {
            this.numaNode = node;
            return this;
        }

        /** The type-specific map_extra (bloom filters: number of hash functions). */
        public Builder mapExtra(long extra) {
            this.mapExtra = extra;
            return this;
        }

        /** For stack trace maps: the deepest stack stored, sets the value size to 8 × depth. */
        public Builder stackDepth(int depth) {
            if (depth <= 0) throw new IllegalArgumentException("stack depth must be positive, got " + depth);
            this.stackDepth = depth;
            return this;
        }

        /** BTF describing key and value: the fd of loaded BTF and the type ids of key and value. */
        public Builder btf(int fd, int keyTypeId, int valueTypeId) {
            this.btfFd = fd;
            this.btfKeyTypeId = keyTypeId;
            this.btfValueTypeId = valueTypeId;
            return this;
        }

        /**
         * For {@link MapType#STRUCT_OPS} maps: the id of {@code struct bpf_struct_ops_<name>} in the kernel's BTF
         * (the value size is that struct's size). Give {@link #btf} a loaded BTF's fd as well.
         */
        public Builder btfVmlinuxValueTypeId(int id) {
            this.btfVmlinuxValueTypeId = id;
            return this;
        }

        /** The key size set so far (0 when not set). */
        int keySize() {
            return keySize;
        }

        /** The value size set so far (0 when not set). */
        int valueSize() {
            return valueSize;
        }

        MapType type() {
            return type;
        }

        /** The spec, with the sizes the map type implies filled in where they were not set. */
        public MapSpec build() {
            int k = keySize, v = valueSize, n = maxEntries, f = flags;
            if (k == 0 && (type.isIndexed() || type == MapType.STACK_TRACE)) k = 4;
            if (v == 0 && takesFd32(type)) v = 4;
            if (type == MapType.STACK_TRACE && v == 0) v = 8 * (stackDepth > 0 ? stackDepth : MAX_STACK_DEPTH);
            if (type == MapType.PERF_EVENT_ARRAY && n == 0) n = Cpus.possible().getLast() + 1;
            if (type == MapType.LPM_TRIE) f |= F_NO_PREALLOC;
            return new MapSpec(type, name, k, v, n, f, Optional.ofNullable(innerMap), numaNode, mapExtra, btfFd,
                    btfKeyTypeId, btfValueTypeId, btfVmlinuxValueTypeId);
        }
    }
}
