package io.bpf4j.core;

import io.bpf4j.core.internal.BpfAttr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread native memory for map element operations, so the hot path allocates nothing: a {@code bpf_attr}
 * for the element commands and a buffer for keys and values copied from Java arrays or encoded by codecs.
 * Valid only until the same thread's next map operation.
 */
final class Scratch {
    /** The element commands use {@code bpf_attr} up to {@code flags} (as libbpf passes it): 32 bytes. */
    static final int ELEM_ATTR_SIZE = BpfAttr.MapElem.FLAGS + 8;

    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    /** The element-command attr: map_fd(+pad), key, value/next_key, flags; every call writes all four. */
    final MemorySegment attr;
    private MemorySegment buffer;

    private Scratch() {
        Arena arena = Arena.ofAuto();
        attr = arena.allocate(ELEM_ATTR_SIZE, 8);
        buffer = arena.allocate(4096, 8);
    }

    static Scratch get() {
        return LOCAL.get();
    }

    /** A buffer of at least {@code size} bytes (contents undefined), grown when needed. */
    MemorySegment buffer(long size) {
        MemorySegment b = buffer;
        if (b.byteSize() < size) {
            b = Arena.ofAuto().allocate(Math.max(size, b.byteSize() * 2), 8);
            buffer = b;
        }
        return b;
    }

    /** Offset of the value after a key of {@code keySize} bytes in {@link #buffer}. */
    static long valueOffset(int keySize) {
        return (keySize + 7L) & ~7L;
    }
}
