package io.bpf4j.core;

import io.bpf4j.core.internal.Bpf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread native memory for map element operations, so the hot path allocates nothing: a {@code bpf_attr}
 * for the element commands and a buffer for keys and values copied from Java arrays or encoded by codecs.
 * Valid only until the same thread's next map operation.
 */
final class Scratch {
    private static final ThreadLocal<Scratch> LOCAL = ThreadLocal.withInitial(Scratch::new);

    /** The element commands' attr. */
    final Bpf.ElemAttr attr;
    private MemorySegment buffer;

    private Scratch() {
        Arena arena = Arena.ofAuto();
        attr = new Bpf.ElemAttr(arena);
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
