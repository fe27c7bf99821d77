package io.bpf4j.core.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Socket downcalls: socket, bind, setsockopt, sendto, recv — for packet sockets (socket filters) and netlink
 * (the tc fallback). Like {@link LibC}, every call captures errno and returns {@code -errno} on failure.
 */
public final class Net {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> ERRNO_BUF =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    private static final class Socket {
        static final MethodHandle H = downcall("socket",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }
    private static final class Bind {
        static final MethodHandle H = downcall("bind",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Setsockopt {
        static final MethodHandle H = downcall("setsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Sendto {
        static final MethodHandle H = downcall("sendto",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    }
    private static final class Recv {
        static final MethodHandle H = downcall("recv",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    }

    public static final int AF_NETLINK = 16, AF_PACKET = 17;
    public static final int SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000, SOCK_NONBLOCK = 0x800;
    public static final int NETLINK_ROUTE = 0;
    public static final int SOL_SOCKET = 1, SO_ATTACH_BPF = 50, SO_DETACH_BPF = 27, SO_RCVTIMEO = 20;
    public static final int ETH_P_ALL = 0x0003;
    public static final int MSG_DONTWAIT = 0x40;

    private Net() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd) {
        MemorySegment symbol = LINKER.defaultLookup().find(name).orElseThrow(
                () -> new UnsatisfiedLinkError("the C library has no symbol '" + name + "'"));
        return LINKER.downcallHandle(symbol, fd, Linker.Option.captureCallState("errno"));
    }

    private static long orErrno(long result, MemorySegment buf) {
        return result == -1 ? -(int) ERRNO.get(buf, 0L) : result;
    }

    /** Network byte order for a 16-bit value. */
    public static short htons(int v) {
        return (short) (((v & 0xff) << 8) | ((v >> 8) & 0xff));
    }

    /** socket(domain, type, protocol). */
    public static int socket(int domain, int type, int protocol) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return (int) orErrno((int) Socket.H.invokeExact(buf, domain, type, protocol), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** bind(fd, addr, addr.byteSize()). */
    public static int bind(int fd, MemorySegment addr) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return (int) orErrno((int) Bind.H.invokeExact(buf, fd, addr, (int) addr.byteSize()), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** setsockopt(fd, level, name, &value, 4) for an int option. */
    public static int setsockopt(int fd, int level, int name, int value) {
        try (Arena arena = Arena.ofConfined()) {
            return setsockopt(fd, level, name, arena.allocateFrom(JAVA_INT, value));
        }
    }

    /** setsockopt(fd, level, name, value, value.byteSize()). */
    public static int setsockopt(int fd, int level, int name, MemorySegment value) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return (int) orErrno((int) Setsockopt.H.invokeExact(buf, fd, level, name, value, (int) value.byteSize()),
                    buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** sendto(fd, data, len, 0, addr, addrlen); {@code addr} may be {@link MemorySegment#NULL}. */
    public static long sendto(int fd, MemorySegment data, MemorySegment addr) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return orErrno((long) Sendto.H.invokeExact(buf, fd, data, data.byteSize(), 0, addr,
                    (int) addr.byteSize()), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** recv(fd, into, into.byteSize(), flags). */
    public static long recv(int fd, MemorySegment into, int flags) {
        MemorySegment buf = ERRNO_BUF.get();
        try {
            return orErrno((long) Recv.H.invokeExact(buf, fd, into, into.byteSize(), flags), buf);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A {@code struct sockaddr_ll} (20 bytes) for {@code protocol} (host order) on {@code ifindex}. */
    public static MemorySegment sockaddrLl(Arena arena, int protocol, int ifindex) {
        MemorySegment a = arena.allocate(20, 4);
        a.set(JAVA_SHORT, 0, (short) AF_PACKET);
        a.set(JAVA_SHORT, 2, htons(protocol));
        a.set(JAVA_INT, 4, ifindex);
        return a;
    }

    /** A {@code struct sockaddr_nl} (12 bytes) addressing the kernel. */
    public static MemorySegment sockaddrNl(Arena arena) {
        MemorySegment a = arena.allocate(12, 4);
        a.set(JAVA_SHORT, 0, (short) AF_NETLINK);
        return a;
    }

    /** A {@code struct timeval} of {@code millis}, for SO_RCVTIMEO. */
    public static MemorySegment timeval(Arena arena, long millis) {
        MemorySegment t = arena.allocate(16, 8);
        t.set(JAVA_LONG, 0, millis / 1000);
        t.set(JAVA_LONG, 8, (millis % 1000) * 1000);
        return t;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("native call failed", t);
    }
}
