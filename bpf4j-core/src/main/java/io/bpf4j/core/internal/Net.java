package io.bpf4j.core.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Socket calls: socket, bind, setsockopt, sendto, recv — for packet sockets (socket filters) and netlink (the tc
 * fallback). Like every call in this package they go through {@link LibC}'s one downcall and return
 * {@code -errno} on failure.
 */
public final class Net {
    public static final int AF_NETLINK = 16, AF_PACKET = 17;
    public static final int SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000, SOCK_NONBLOCK = 0x800;
    public static final int NETLINK_ROUTE = 0;
    public static final int SOL_SOCKET = 1, SO_ATTACH_BPF = 50, SO_DETACH_BPF = 27, SO_RCVTIMEO = 20;
    public static final int ETH_P_ALL = 0x0003;
    public static final int MSG_DONTWAIT = 0x40;

    private Net() {
    }

    /** Network byte order for a 16-bit value. */
    public static short htons(int v) {
        return (short) (((v & 0xff) << 8) | ((v >> 8) & 0xff));
    }

    /** socket(domain, type, protocol). */
    public static int socket(int domain, int type, int protocol) {
        return (int) LibC.syscall6(LibC.SYS_SOCKET, domain, type, protocol, 0, 0, 0);
    }

    /** bind(fd, addr, addr.byteSize()). */
    public static int bind(int fd, MemorySegment addr) {
        int r = (int) LibC.syscall6(LibC.SYS_BIND, fd, LibC.address(addr), addr.byteSize(), 0, 0, 0);
        Reference.reachabilityFence(addr);
        return r;
    }

    /** setsockopt(fd, level, name, &value, 4) for an int option. */
    public static int setsockopt(int fd, int level, int name, int value) {
        try (Arena arena = Arena.ofConfined()) {
            return setsockopt(fd, level, name, arena.allocateFrom(JAVA_INT, value));
        }
    }

    /** setsockopt(fd, level, name, value, value.byteSize()). */
    public static int setsockopt(int fd, int level, int name, MemorySegment value) {
        int r = (int) LibC.syscall6(LibC.SYS_SETSOCKOPT, fd, level, name, LibC.address(value), value.byteSize(), 0);
        Reference.reachabilityFence(value);
        return r;
    }

    /** sendto(fd, data, len, 0, addr, addrlen); {@code addr} may be {@link MemorySegment#NULL}. */
    public static long sendto(int fd, MemorySegment data, MemorySegment addr) {
        long r = LibC.syscall6(LibC.SYS_SENDTO, fd, LibC.address(data), data.byteSize(), 0, LibC.address(addr),
                addr.byteSize());
        Reference.reachabilityFence(data);
        Reference.reachabilityFence(addr);
        return r;
    }

    /** recv(fd, into, into.byteSize(), flags): recvfrom with no source address. */
    public static long recv(int fd, MemorySegment into, int flags) {
        long r = LibC.syscall6(LibC.SYS_RECVFROM, fd, LibC.address(into), into.byteSize(), flags, 0, 0);
        Reference.reachabilityFence(into);
        return r;
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
}
