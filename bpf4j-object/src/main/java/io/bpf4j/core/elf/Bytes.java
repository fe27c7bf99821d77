package io.bpf4j.core.elf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Bounds-checked reads from the file image in its byte order. Every read names what it was reading so that a
 * truncated or corrupt file fails with an {@link ElfException} saying where and what, never with an
 * {@code IndexOutOfBoundsException}.
 */
final class Bytes {
    private final MemorySegment data;
    private final ValueLayout.OfShort u16;
    private final ValueLayout.OfInt u32;
    private final ValueLayout.OfLong u64;

    Bytes(MemorySegment data, ByteOrder order) {
        this.data = data;
        this.u16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order);
        this.u32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(order);
        this.u64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order);
    }

    long size() {
        return data.byteSize();
    }

    /** Fails unless {@code [offset, offset + length)} lies inside the file. */
    void check(long offset, long length, String what) {
        if (offset < 0 || length < 0 || offset > data.byteSize() || length > data.byteSize() - offset) {
            throw new ElfException("truncated or corrupt ELF file: " + what + " at offset " + offset + " ("
                    + length + " bytes) lies outside the file's " + data.byteSize() + " bytes");
        }
    }

    int u8(long offset, String what) {
        check(offset, 1, what);
        return Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, offset));
    }

    int u16(long offset, String what) {
        check(offset, 2, what);
        return Short.toUnsignedInt(data.get(u16, offset));
    }

    int i32(long offset, String what) {
        check(offset, 4, what);
        return data.get(u32, offset);
    }

    long u32(long offset, String what) {
        return Integer.toUnsignedLong(i32(offset, what));
    }

    long u64(long offset, String what) {
        check(offset, 8, what);
        return data.get(u64, offset);
    }

    /** A copy of {@code length} bytes. */
    byte[] copy(long offset, long length, String what) {
        check(offset, length, what);
        if (length > Integer.MAX_VALUE - 8) {
            throw new ElfException(what + " at offset " + offset + " is " + length + " bytes, too large to copy");
        }
        return data.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }

    /** A view of {@code length} bytes (no copy). */
    MemorySegment slice(long offset, long length, String what) {
        check(offset, length, what);
        return data.asSlice(offset, length);
    }

    /** The NUL-terminated string at {@code offset} of a string table spanning {@code [start, end)}. */
    String string(long start, long end, long offset, String what) {
        return string(start, end, offset, () -> what);
    }

    /** As above, the description made only for an error message. */
    String string(long start, long end, long offset, Supplier<String> what) {
        if (offset < 0 || offset >= end - start) {
            throw new ElfException("corrupt ELF file: " + what.get() + " points at string offset " + offset
                    + ", outside its string table of " + (end - start) + " bytes");
        }
        long at = start + offset;
        long nul = at;
        while (nul < end && data.get(ValueLayout.JAVA_BYTE, nul) != 0) nul++;
        if (nul == end) {
            throw new ElfException("corrupt ELF file: " + what.get() + " at string offset " + offset
                    + " is not NUL-terminated before the end of its string table");
        }
        byte[] bytes = data.asSlice(at, nul - at).toArray(ValueLayout.JAVA_BYTE);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
