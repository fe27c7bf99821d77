package io.bpf4j.core.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * System calls from Java. Every one goes through a single downcall, glibc's {@code syscall(number, …)} with six
 * 64-bit arguments, capturing {@code errno} through the linker (reading it later from Java would be unreliable: the
 * JVM itself may make calls in between). Each method returns the raw result; on failure it returns {@code -errno}
 * (for calls returning an int or a long) so callers need no second look-up.
 *
 * <p>Why one downcall: the JDK builds each distinct downcall shape at run time, spinning classes with its
 * class-file library, and in a fresh JVM that costs milliseconds of interpreting and tens of milliseconds of JIT
 * work per shape — for a short tool run more CPU than everything else it does. One shape is built once. Pointers
 * are passed as their addresses; {@link #address} checks that a segment is native, as the linker would.
 */
public final class LibC {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** One capture buffer per thread: the downcall writes errno there. */
    private static final ThreadLocal<MemorySegment> ERRNO_BUF =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final boolean AARCH64 = System.getProperty("os.arch").equals("aarch64");
    /** Syscall numbers: x86-64 and arm64 (asm-generic). */
    public static final long SYS_BPF = AARCH64 ? 280 : 321;
    public static final long SYS_PERF_EVENT_OPEN = AARCH64 ? 241 : 298;
    public static final long SYS_GETTID = AARCH64 ? 178 : 186;
    private static final long SYS_READ = AARCH64 ? 63 : 0, SYS_CLOSE = AARCH64 ? 57 : 3;
    private static final long SYS_WRITE = AARCH64 ? 64 : 1, SYS_EVENTFD2 = AARCH64 ? 19 : 290;
    private static final long SYS_MMAP = AARCH64 ? 222 : 9, SYS_MUNMAP = AARCH64 ? 215 : 11;
    private static final long SYS_IOCTL = AARCH64 ? 29 : 16, SYS_OPENAT = AARCH64 ? 56 : 257;
    private static final long SYS_GETPID = AARCH64 ? 172 : 39, SYS_GETEUID = AARCH64 ? 175 : 107;
    private static final long SYS_MOUNT = AARCH64 ? 40 : 165, SYS_PRLIMIT64 = AARCH64 ? 261 : 302;
    private static final long SYS_EPOLL_CREATE1 = AARCH64 ? 20 : 291, SYS_EPOLL_CTL = AARCH64 ? 21 : 233;
    /** epoll_pwait with no signal mask is epoll_wait (arm64 has only the former). */
    private static final long SYS_EPOLL_PWAIT = AARCH64 ? 22 : 281;
    static final long SYS_SOCKET = AARCH64 ? 198 : 41, SYS_BIND = AARCH64 ? 200 : 49;
    static final long SYS_SETSOCKOPT = AARCH64 ? 208 : 54, SYS_SENDTO = AARCH64 ? 206 : 44;
    static final long SYS_RECVFROM = AARCH64 ? 207 : 45;
    private static final int AT_FDCWD = -100;

    /**
     * long syscall(long number, ...): the variadic arguments are passed as 64-bit values so no register keeps stale
     * upper bits (glibc reads each as a long). In a holder: made on first use.
     */
    private static final class Syscall {
        static final MethodHandle H = LINKER.downcallHandle(
                LINKER.defaultLookup().find("syscall").orElseThrow(
                        () -> new UnsatisfiedLinkError("the C library has no symbol 'syscall'")),
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                        JAVA_LONG),
                Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(1));
    }

    /** mmap's failure value. */
    public static final long MAP_FAILED = -1L;
    public static final int PROT_READ = 1, PROT_WRITE = 2;
    public static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20;
    public static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    public static final int EPOLLIN = 1;
    public static final int EPOLL_CLOEXEC = 0x80000;
    /** struct epoll_event is packed on x86-64 (12 bytes) and naturally aligned elsewhere (16 bytes). */
    public static final MemoryLayout EPOLL_EVENT = AARCH64
            ? MemoryLayout.structLayout(JAVA_INT.withName("events"), MemoryLayout.paddingLayout(4),
                    JAVA_LONG.withName("data"))
            : MemoryLayout.structLayout(JAVA_INT.withName("events"),
                    JAVA_LONG.withByteAlignment(4).withName("data"));
    private static final int RLIMIT_MEMLOCK = 8;
    private static final long AT_PAGESZ = 6;

    private LibC() {
    }

    /**
     * {@code syscall(nr, a…)}: the result, or {@code -errno} when the call failed. Segments passed by address must
     * stay reachable until it returns: the callers hold them in locals they use afterwards, or fence them.
     */
    static long syscall6(long nr, long a, long b, long c, long d, long e, long f) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            long r = (long) Syscall.H.invokeExact(buf, nr, a, b, c, d, e, f);
            return r == -1 ? -(int) ERRNO.get(buf, 0L) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The address of a native segment ({@link MemorySegment#NULL} is 0), as a pointer argument. */
    static long address(MemorySegment s) {
        if (!s.isNative()) throw new IllegalArgumentException("a heap segment cannot be passed to the kernel");
        return s.address();
    }

    /** {@code syscall(nr, a, b, c)} with a pointer in the second place: bpf(cmd, attr, size). */
    public static long syscall(long nr, long a, MemorySegment b, long c) {
        long r = syscall6(nr, a, address(b), c, 0, 0, 0);
        Reference.reachabilityFence(b);
        return r;
    }

    /** {@code syscall(nr, ptr, a, b, c, d)}: perf_event_open(attr, pid, cpu, group_fd, flags). */
    public static long syscall(long nr, MemorySegment p, long a, long b, long c, long d) {
        long r = syscall6(nr, address(p), a, b, c, d, 0);
        Reference.reachabilityFence(p);
        return r;
    }

    /** ioctl(fd, request, arg) with an integer argument. */
    public static int ioctl(int fd, long request, long arg) {
        return (int) syscall6(SYS_IOCTL, fd, request, arg, 0, 0, 0);
    }

    /** ioctl(fd, request, ptr) with a pointer argument. */
    public static int ioctl(int fd, long request, MemorySegment arg) {
        int r = (int) syscall6(SYS_IOCTL, fd, request, address(arg), 0, 0, 0);
        Reference.reachabilityFence(arg);
        return r;
    }

    public static final int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;

    /** open(path, flags). */
    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) syscall6(SYS_OPENAT, AT_FDCWD, address(arena.allocateFrom(path)), flags, 0, 0, 0);
        }
    }

    /** read(fd, buf, count); {@code -EAGAIN} when a non-blocking fd has nothing. */
    public static long read(int fd, MemorySegment into, long count) {
        long r = syscall6(SYS_READ, fd, address(into), count, 0, 0, 0);
        Reference.reachabilityFence(into);
        return r;
    }

    /** write(fd, buf, count). */
    public static long write(int fd, MemorySegment from, long count) {
        long r = syscall6(SYS_WRITE, fd, address(from), count, 0, 0, 0);
        Reference.reachabilityFence(from);
        return r;
    }

    public static final int EFD_CLOEXEC = 0x80000;

    /** eventfd2(initval, flags): a counter another thread can make readable, to wake an epoll_wait. */
    public static int eventfd(int initialValue, int flags) {
        return (int) syscall6(SYS_EVENTFD2, initialValue, flags, 0, 0, 0, 0);
    }

    /** close(fd). */
    public static int close(int fd) {
        return (int) syscall6(SYS_CLOSE, fd, 0, 0, 0, 0, 0);
    }

    /**
     * mmap(addr, length, prot, flags, fd, offset). Returns the address, or {@code -errno} as a negative long
     * (a mapping address is never in the last page of the address space, so the ranges do not overlap).
     */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        return syscall6(SYS_MMAP, addr, length, prot, flags, fd, offset);
    }

    /** munmap(addr, length). */
    public static int munmap(long addr, long length) {
        return (int) syscall6(SYS_MUNMAP, addr, length, 0, 0, 0, 0);
    }

    /** epoll_create1(flags). */
    public static int epollCreate1(int flags) {
        return (int) syscall6(SYS_EPOLL_CREATE1, flags, 0, 0, 0, 0, 0);
    }

    /** epoll_ctl(epfd, op, fd, event). */
    public static int epollCtl(int epfd, int op, int fd, MemorySegment event) {
        int r = (int) syscall6(SYS_EPOLL_CTL, epfd, op, fd, address(event), 0, 0);
        Reference.reachabilityFence(event);
        return r;
    }

    /** epoll_wait(epfd, events, maxevents, timeout). */
    public static int epollWait(int epfd, MemorySegment events, int maxEvents, int timeoutMs) {
        int r = (int) syscall6(SYS_EPOLL_PWAIT, epfd, address(events), maxEvents, timeoutMs, 0, 8);
        Reference.reachabilityFence(events);
        return r;
    }

    /** mount(source, target, fstype, flags, NULL). */
    public static int mount(String source, String target, String fsType, long flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) syscall6(SYS_MOUNT, address(arena.allocateFrom(source)), address(arena.allocateFrom(target)),
                    address(arena.allocateFrom(fsType)), flags, 0, 0);
        }
    }

    /**
     * Raises RLIMIT_MEMLOCK to unlimited. Returns 0 or {@code -errno}; failure is normal on kernels that
     * charge BPF memory to the memory cgroup (5.11+) and need no such limit.
     */
    public static int raiseMemlockLimit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlim = arena.allocate(JAVA_LONG, 2);
            rlim.setAtIndex(JAVA_LONG, 0, -1L); // RLIM_INFINITY
            rlim.setAtIndex(JAVA_LONG, 1, -1L);
            return (int) syscall6(SYS_PRLIMIT64, 0, RLIMIT_MEMLOCK, address(rlim), 0, 0, 0);
        }
    }

    /** geteuid(). */
    public static int geteuid() {
        return (int) syscall6(SYS_GETEUID, 0, 0, 0, 0, 0, 0);
    }

    /** getpid(). */
    public static int getpid() {
        return (int) syscall6(SYS_GETPID, 0, 0, 0, 0, 0, 0);
    }

    /** The calling thread's kernel thread id. */
    public static int gettid() {
        return (int) syscall6(SYS_GETTID, 0, 0, 0, 0, 0, 0);
    }

    /** The size of a memory page: the kernel tells every process in its auxiliary vector (AT_PAGESZ). */
    public static long pageSize() {
        return PageSize.VALUE;
    }

    private static final class PageSize {
        static final long VALUE = read();

        private static long read() {
            try {
                ByteBuffer auxv = ByteBuffer.wrap(Files.readAllBytes(Path.of("/proc/self/auxv")))
                        .order(ByteOrder.nativeOrder());
                while (auxv.remaining() >= 16) {
                    long type = auxv.getLong(), value = auxv.getLong();
                    if (type == AT_PAGESZ) return value;
                    if (type == 0) break;
                }
            } catch (IOException e) {
                // no procfs: the usual size
            }
            return 4096;
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("native call failed", t);
    }
}
