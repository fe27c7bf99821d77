package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.Net;
import io.bpf4j.core.kernel.Fd;
import io.bpf4j.core.object.ProgramType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A socket filter program ({@link ProgramType#SOCKET_FILTER}) attached to a socket with
 * {@code setsockopt(SOL_SOCKET, SO_ATTACH_BPF)}: the program sees every packet the socket would receive and
 * returns how many bytes of it to keep (0 drops it). {@link #close()} detaches it (SO_DETACH_BPF); closing the
 * socket detaches it too. Any socket works; {@link PacketSocket#open(String)} opens the raw AF_PACKET socket
 * tcpdump-like tools use.
 */
public final class SocketFilter implements AutoCloseable {
    private static final int ENOTSOCK = 88;
    private final int socketFd;
    private final String description;
    private boolean closed;

    private SocketFilter(int socketFd, String description) {
        this.socketFd = socketFd;
        this.description = description;
    }

    /**
     * Attaches {@code program} to the socket {@code socketFd} (replacing any filter it had).
     *
     * @throws BpfException when setsockopt fails (EBADF/ENOTSOCK: not a socket; EPERM: the socket's filter is locked)
     */
    public static SocketFilter attach(Program program, int socketFd) {
        if (program.type() != ProgramType.SOCKET_FILTER) {
            throw new IllegalArgumentException("program '" + program.name() + "' is " + program.type().displayName()
                    + ", not socket_filter");
        }
        String what = "socket_filter '" + program.name() + "' on socket fd " + socketFd;
        int r = Net.setsockopt(socketFd, Net.SOL_SOCKET, Net.SO_ATTACH_BPF, program.fd());
        if (r < 0) {
            String hint = -r == Errno.EBADF.code() || -r == ENOTSOCK ? "fd " + socketFd + " is not an open socket"
                    : -r == Errno.EPERM.code() ? "the socket's filter is locked (SO_LOCK_FILTER)" : null;
            throw new BpfException("setsockopt(SO_ATTACH_BPF)", -r, Bpf.message("SO_ATTACH_BPF for " + what, -r,
                    hint));
        }
        return new SocketFilter(socketFd, what);
    }

    /** Attaches {@code program} to a packet socket opened with {@link PacketSocket#open(String)}. */
    public static SocketFilter attach(Program program, PacketSocket socket) {
        return attach(program, socket.fd());
    }

    /** The socket the program is attached to. */
    public int socketFd() {
        return socketFd;
    }

    /** What is attached where. */
    public String description() {
        return description;
    }

    /** Detaches the program (SO_DETACH_BPF); a socket already closed has nothing left to detach. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        int r = Net.setsockopt(socketFd, Net.SOL_SOCKET, Net.SO_DETACH_BPF, 0);
        if (r < 0 && r != -Errno.EBADF.code() && r != -Errno.ENOENT.code() && r != -ENOTSOCK) {
            throw new BpfException("setsockopt(SO_DETACH_BPF)", -r, Bpf.message("detaching " + description, -r,
                    null));
        }
    }

    @Override
    public String toString() {
        return "SocketFilter[" + description + (closed ? ", closed" : "") + "]";
    }

    /**
     * A raw packet socket ({@code socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))}) bound to one interface: it
     * receives every frame the interface sends or receives, Ethernet header included. Needs CAP_NET_RAW.
     */
    public static final class PacketSocket implements AutoCloseable {
        private final Fd fd;
        private final String ifname;

        private PacketSocket(Fd fd, String ifname) {
            this.fd = fd;
            this.ifname = ifname;
        }

        /** Opens a raw packet socket bound to {@code ifname} (e.g. "lo"). */
        public static PacketSocket open(String ifname) {
            int ifindex = Xdp.ifindex(ifname);
            int s = Net.socket(Net.AF_PACKET, Net.SOCK_RAW | Net.SOCK_CLOEXEC, Net.htons(Net.ETH_P_ALL) & 0xffff);
            if (s < 0) {
                throw new BpfException("socket(AF_PACKET)", -s, Bpf.message("opening a packet socket", -s,
                        -s == Errno.EPERM.code() ? "raw packet sockets need CAP_NET_RAW" : null));
            }
            Fd fd = Fd.adopt(s);
            try (Arena arena = Arena.ofConfined()) {
                int r = Net.bind(s, Net.sockaddrLl(arena, Net.ETH_P_ALL, ifindex));
                if (r < 0) {
                    fd.close();
                    throw new BpfException("bind(AF_PACKET)", -r, Bpf.message("binding a packet socket to "
                            + ifname, -r, null));
                }
            }
            return new PacketSocket(fd, ifname);
        }

        /** The socket's file descriptor, for {@link SocketFilter#attach(Program, int)}. */
        public int fd() {
            return fd.value();
        }

        /**
         * Receives one frame into {@code into} without waiting; returns its length (at most {@code into.length}),
         * or -1 when none is queued.
         */
        public int poll(byte[] into) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(Math.max(1, into.length));
                long n = Net.recv(fd.value(), buf, Net.MSG_DONTWAIT);
                if (n == -Errno.EAGAIN.code()) return -1;
                if (n < 0) {
                    throw new BpfException("recv", (int) -n, Bpf.message("recv on packet socket (" + ifname + ")",
                            (int) -n, null));
                }
                MemorySegment.copy(buf, JAVA_BYTE, 0, into, 0, (int) Math.min(n, into.length));
                return (int) Math.min(n, into.length);
            }
        }

        @Override
        public void close() {
            fd.close();
        }
    }
}
