package io.bpf4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The floor for a bpf(2) call from Java: one FFM downcall to {@code syscall(SYS_bpf, cmd, attr, size)} with a
 * prebuilt {@code bpf_attr} whose address is passed as a plain {@code long} (so the linker has no memory session
 * to keep alive), no errno capture, no checks. Nothing in bpf4j can be faster than this, so the
 * benchmark's {@code floor*} rows split a bpf4j-vs-libbpf gap into "the downcall" and "bpf4j's own work".
 * Sizes and offsets follow include/uapi/linux/bpf.h (x86-64 and arm64).
 */
@SuppressWarnings("restricted") // downcalls: the benchmark JVMs run with --enable-native-access=ALL-UNNAMED
final class RawBpf {
    static final long SYS_BPF = System.getProperty("os.arch").equals("aarch64") ? 280 : 321;
    static final int BPF_MAP_CREATE = 0, BPF_MAP_LOOKUP_ELEM = 1, BPF_MAP_UPDATE_ELEM = 2;
    static final int BPF_MAP_TYPE_HASH = 1;
    /** offsetofend(union bpf_attr, flags) for the *_ELEM commands: what libbpf passes. */
    static final int ELEM_ATTR_SIZE = 32;
    static final int MAP_FD = 0, KEY = 8, VALUE = 16, FLAGS = 24;

    private static final MethodHandle SYSCALL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle CLOSE = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private RawBpf() {
    }

    /** bpf(cmd, attr, size); returns the raw result (-1 on failure; errno is not captured). */
    static long bpf(int cmd, long attr, long size) {
        try {
            return (long) SYSCALL.invokeExact(SYS_BPF, (long) cmd, attr, size);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A hash map created with a raw BPF_MAP_CREATE; throws if that fails. */
    static int createHash(int keySize, int valueSize, int maxEntries) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(72, 8);
            attr.set(JAVA_INT, 0, BPF_MAP_TYPE_HASH);
            attr.set(JAVA_INT, 4, keySize);
            attr.set(JAVA_INT, 8, valueSize);
            attr.set(JAVA_INT, 12, maxEntries);
            long fd = bpf(BPF_MAP_CREATE, attr.address(), attr.byteSize());
            if (fd < 0) throw new IllegalStateException("BPF_MAP_CREATE failed (run as root)");
            return (int) fd;
        }
    }

    static void close(int fd) {
        try {
            int r = (int) CLOSE.invokeExact(fd);
            if (r != 0) throw new IllegalStateException("close(" + fd + ") failed");
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
