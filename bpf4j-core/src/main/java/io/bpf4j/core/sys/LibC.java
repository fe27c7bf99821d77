package io.bpf4j.core.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Downcalls into the C library. Every call captures {@code errno} through the linker (reading it later from
 * Java would be unreliable: the JVM itself may make calls in between). Each method returns the raw result;
 * on failure it returns {@code -errno} (for calls returning an int or a long) so callers need no second look-up.
 */
public final class LibC {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** One capture buffer per thread: downcalls write errno there. */
    private static final ThreadLocal<MemorySegment> ERRNO_BUF =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final boolean AARCH64 = System.getProperty("os.arch").equals("aarch64");
    /** Syscall numbers: x86-64 and arm64 (asm-generic). */
    public static final long SYS_BPF = AARCH64 ? 280 : 321;
    public static final long SYS_PERF_EVENT_OPEN = AARCH64 ? 241 : 298;
    public static final long SYS_GETTID = AARCH64 ? 178 : 186;

    // Each downcall handle sits in its own holder class, made on first use: linking one costs milliseconds in a
    // fresh JVM, and a tool needs only some of them. (A static final in a holder still folds to a constant.)

    // long syscall(long number, ...): variadic arguments are passed as 64-bit values so no register keeps
    // stale upper bits (glibc reads each as a long).
    private static final class Syscall3 {
        static final MethodHandle H = downcall("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG), 1);
    }
    private static final class Syscall5 {
        static final MethodHandle H = downcall("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
    }
    private static final class Ioctl {
        static final MethodHandle H = downcall("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), 2);
    }
    private static final class IoctlPtr {
        static final MethodHandle H = downcall("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    }
    private static final class Open {
        static final MethodHandle H = downcall("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), 2);
    }
    private static final class Read {
        static final MethodHandle H = downcall("read",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
    }
    private static final class Close {
        static final MethodHandle H = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    }
    private static final class Mmap {
        static final MethodHandle H = downcall("mmap",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);
    }
    private static final class Munmap {
        static final MethodHandle H = downcall("munmap",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
    }
    private static final class EpollCreate1 {
        static final MethodHandle H = downcall("epoll_create1",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    }
    private static final class EpollCtl {
        static final MethodHandle H = downcall("epoll_ctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), -1);
    }
    private static final class EpollWait {
        static final MethodHandle H = downcall("epoll_wait",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), -1);
    }
    private static final class Mount {
        static final MethodHandle H = downcall("mount",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), -1);
    }
    private static final class Setrlimit {
        static final MethodHandle H = downcall("setrlimit",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), -1);
    }
    private static final class Geteuid {
        static final MethodHandle H = downcall("geteuid", FunctionDescriptor.of(JAVA_INT), -1);
    }
    private static final class Getpid {
        static final MethodHandle H = downcall("getpid", FunctionDescriptor.of(JAVA_INT), -1);
    }
    private static final class Sysconf {
        static final MethodHandle H = downcall("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT), -1);
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
    private static final int SC_PAGESIZE = 30;

    private LibC() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd, int firstVariadic) {
        MemorySegment symbol = LIBC.find(name).orElseThrow(
                () -> new UnsatisfiedLinkError("the C library has no symbol '" + name + "'"));
        return firstVariadic < 0
                ? LINKER.downcallHandle(symbol, fd, CAPTURE_ERRNO)
                : LINKER.downcallHandle(symbol, fd, CAPTURE_ERRNO, Linker.Option.firstVariadicArg(firstVariadic));
    }

    private static int errno(MemorySegment buf) {
        return (int) ERRNO.get(buf, 0L);
    }

    private static long orErrno(long result, MemorySegment buf) {
        return result == -1 ? -errno(buf) : result;
    }

    /** {@code syscall(nr, a, b, c)} with a pointer in the second place: bpf(cmd, attr, size). */
    public static long syscall(long nr, long a, MemorySegment b, long c) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return orErrno((long) Syscall3.H.invokeExact(buf, nr, a, b, c), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code syscall(nr, ptr, a, b, c, d)}: perf_event_open(attr, pid, cpu, group_fd, flags). */
    public static long syscall(long nr, MemorySegment p, long a, long b, long c, long d) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return orErrno((long) Syscall5.H.invokeExact(buf, nr, p, a, b, c, d), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl(fd, request, arg) with an integer argument. */
    public static int ioctl(int fd, long request, long arg) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return (int) orErrno((int) Ioctl.H.invokeExact(buf, fd, request, arg), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl(fd, request, ptr) with a pointer argument. */
    public static int ioctl(int fd, long request, MemorySegment arg) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return (int) orErrno((int) IoctlPtr.H.invokeExact(buf, fd, request, arg), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static final int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;

    /** open(path, flags). */
    public static int open(String path, int flags) {
        MemorySegment buf = ERRNO_BUF.get();
        try (Arena arena = Arena.ofConfined()) {
            return (int) orErrno((int) Open.H.invokeExact(buf, arena.allocateFrom(path), flags), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(fd, buf, count); {@code -EAGAIN} when a non-blocking fd has nothing. */
    public static long read(int fd, MemorySegment into, long count) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return orErrno((long) Read.H.invokeExact(buf, fd, into, count), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** close(fd). */
    public static int close(int fd) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return (int) orErrno((int) Close.H.invokeExact(buf, fd), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * mmap(addr, length, prot, flags, fd, offset). Returns the address, or {@code -errno} as a negative long
     * (a mapping address is never in the last page of the address space, so the ranges do not overlap).
     */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            MemorySegment r = (MemorySegment) Mmap.H.invokeExact(buf, MemorySegment.ofAddress(addr), length, prot,
                    flags, fd, offset);
            return r.address() == MAP_FAILED ? -errno(buf) : r.address();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** munmap(addr, length). */
    public static int munmap(long addr, long length) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return (int) orErrno((int) Munmap.H.invokeExact(buf, MemorySegment.ofAddress(addr), length), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** epoll_create1(flags). */
    public static int epollCreate1(int flags) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return (int) orErrno((int) EpollCreate1.H.invokeExact(buf, flags), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** epoll_ctl(epfd, op, fd, event). */
    public static int epollCtl(int epfd, int op, int fd, MemorySegment event) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return (int) orErrno((int) EpollCtl.H.invokeExact(buf, epfd, op, fd, event), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** epoll_wait(epfd, events, maxevents, timeout). */
    public static int epollWait(int epfd, MemorySegment events, int maxEvents, int timeoutMs) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return (int) orErrno((int) EpollWait.H.invokeExact(buf, epfd, events, maxEvents, timeoutMs), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** mount(source, target, fstype, flags, NULL). */
    public static int mount(String source, String target, String fsType, long flags) {
        MemorySegment buf = ERRNO_BUF.get();
        try (Arena arena = Arena.ofConfined()) {
            return (int) orErrno((int) Mount.H.invokeExact(buf, arena.allocateFrom(source), arena.allocateFrom(target),
                    arena.allocateFrom(fsType), flags, MemorySegment.NULL), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Raises RLIMIT_MEMLOCK to unlimited. Returns 0 or {@code -errno}; failure is normal on kernels that
     * charge BPF memory to the memory cgroup (5.11+) and need no such limit.
     */
    public static int raiseMemlockLimit() {
        MemorySegment buf = ERRNO_BUF.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rlim = arena.allocate(JAVA_LONG, 2);
            rlim.setAtIndex(JAVA_LONG, 0, -1L); // RLIM_INFINITY
            rlim.setAtIndex(JAVA_LONG, 1, -1L);
            return (int) orErrno((int) Setrlimit.H.invokeExact(buf, RLIMIT_MEMLOCK, rlim), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** geteuid(). */
    public static int geteuid() {
        try {
            return (int) Geteuid.H.invokeExact(ERRNO_BUF.get());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** getpid(). */
    public static int getpid() {
        try {
            return (int) Getpid.H.invokeExact(ERRNO_BUF.get());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The calling thread's kernel thread id. */
    public static int gettid() {
        return (int) syscall(SYS_GETTID, 0, MemorySegment.NULL, 0);
    }

    /** The size of a memory page. */
    public static long pageSize() {
        try {
            return (long) Sysconf.H.invokeExact(ERRNO_BUF.get(), SC_PAGESIZE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("native call failed", t);
    }
}
