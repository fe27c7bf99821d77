package io.bpf4j.core.events;

import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.LibC;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One mmap'd region of a kernel object's fd, unmapped on {@link #close()}. The segment belongs to a shared arena
 * closed before munmap, so a stale segment kept by mistake throws instead of touching unmapped memory.
 */
final class Mapping implements AutoCloseable {
    private final long address;
    private final long length;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment segment;

    private Mapping(long address, long length, boolean writable) {
        this.address = address;
        this.length = length;
        MemorySegment s = MemorySegment.ofAddress(address).reinterpret(length, arena, null);
        // A write to a PROT_READ page would crash the JVM with SIGSEGV: make such writes throw instead.
        this.segment = writable ? s : s.asReadOnly();
    }

    /** mmap(NULL, length, prot, MAP_SHARED, fd, offset); {@code what} names the mapping in errors. */
    static Mapping map(int fd, long length, boolean writable, long offset, String what) {
        int prot = writable ? LibC.PROT_READ | LibC.PROT_WRITE : LibC.PROT_READ;
        long addr = LibC.mmap(0, length, prot, LibC.MAP_SHARED, fd, offset);
        if (addr < 0) {
            int errno = (int) -addr;
            throw new BpfException("mmap", errno, Bpf.message("mmap of " + what + " (" + length + " bytes at offset "
                    + offset + ")", errno, errno == 1 || errno == 13
                    ? "the kernel refused this protection for this part of the object"
                    : errno == 12 ? "out of address space or locked memory" : null));
        }
        return new Mapping(addr, length, writable);
    }

    MemorySegment segment() {
        return segment;
    }

    @Override
    public void close() {
        if (!arena.scope().isAlive()) return;
        arena.close();
        LibC.munmap(address, length);
    }
}
