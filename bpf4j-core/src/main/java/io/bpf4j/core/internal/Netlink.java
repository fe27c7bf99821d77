package io.bpf4j.core.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A minimal NETLINK_ROUTE client: sends one request with NLM_F_ACK and waits for the kernel's answer. Enough for
 * tc qdiscs and filters ({@code struct tcmsg} requests with nested attributes).
 */
public final class Netlink implements AutoCloseable {
    public static final short RTM_NEWQDISC = 36, RTM_DELQDISC = 37, RTM_NEWTFILTER = 44, RTM_DELTFILTER = 45;
    public static final short NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    private static final short NLMSG_ERROR = 2;

    /** The socket; a plain int, not a kernel.Fd, because this layer sits below kernel (always try-with-resources). */
    private final int fd;
    private boolean closed;
    private int seq = (int) (System.nanoTime() & 0x7fffffff);

    private Netlink(int fd) {
        this.fd = fd;
    }

    /** Opens and binds a NETLINK_ROUTE socket (answers time out after 5 s). */
    public static Netlink open() {
        int s = Net.socket(Net.AF_NETLINK, Net.SOCK_RAW | Net.SOCK_CLOEXEC, Net.NETLINK_ROUTE);
        if (s < 0) throw new IllegalStateException("socket(AF_NETLINK, NETLINK_ROUTE) failed: errno " + -s);
        Netlink n = new Netlink(s);
        try (Arena arena = Arena.ofConfined()) {
            Net.setsockopt(s, Net.SOL_SOCKET, Net.SO_RCVTIMEO, Net.timeval(arena, 5000));
            int r = Net.bind(s, Net.sockaddrNl(arena));
            if (r < 0) {
                n.close();
                throw new IllegalStateException("bind(AF_NETLINK) failed: errno " + -r);
            }
        }
        return n;
    }

    /** Builds a message body: a {@code struct tcmsg} followed by attributes. */
    public static final class TcMsg {
        private final ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());
        private int nestStart = -1;

        public TcMsg(int ifindex, int handle, int parent, int info) {
            b.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(ifindex).putInt(handle).putInt(parent)
                    .putInt(info);
        }

        public TcMsg string(int type, String value) {
            byte[] s = value.getBytes(StandardCharsets.US_ASCII);
            byte[] z = new byte[s.length + 1];
            System.arraycopy(s, 0, z, 0, s.length);
            return attr(type, z);
        }

        public TcMsg u32(int type, int value) {
            return attr(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
        }

        public TcMsg attr(int type, byte[] value) {
            b.putShort((short) (4 + value.length)).putShort((short) type).put(value);
            while (b.position() % 4 != 0) b.put((byte) 0);
            return this;
        }

        /** Starts a nested attribute (NLA_F_NESTED is not required by rtnetlink for TCA_OPTIONS). */
        public TcMsg begin(int type) {
            nestStart = b.position();
            b.putShort((short) 0).putShort((short) type);
            return this;
        }

        public TcMsg end() {
            b.putShort(nestStart, (short) (b.position() - nestStart));
            nestStart = -1;
            return this;
        }

        byte[] bytes() {
            byte[] out = new byte[b.position()];
            b.get(0, out);
            return out;
        }
    }

    /**
     * Sends {@code body} as a message of {@code type} with NLM_F_REQUEST | NLM_F_ACK | {@code flags}; returns 0 when
     * the kernel acknowledged it, else {@code -errno} (its answer, or the socket's failure).
     */
    public int request(short type, short flags, TcMsg body) {
        byte[] payload = body.bytes();
        int len = 16 + payload.length;
        int mySeq = ++seq;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment msg = arena.allocate(len, 4);
            msg.set(JAVA_INT, 0, len);
            msg.set(JAVA_SHORT, 4, type);
            msg.set(JAVA_SHORT, 6, (short) (NLM_F_REQUEST | NLM_F_ACK | flags));
            msg.set(JAVA_INT, 8, mySeq);
            msg.set(JAVA_INT, 12, 0);
            MemorySegment.copy(payload, 0, msg, JAVA_BYTE, 16, payload.length);
            long sent = Net.sendto(fd, msg, Net.sockaddrNl(arena));
            if (sent < 0) return (int) sent;
            MemorySegment in = arena.allocate(8192, 4);
            while (true) {
                long n = Net.recv(fd, in, 0);
                if (n < 0) return (int) n;
                long off = 0;
                while (off + 16 <= n) {
                    int mlen = in.get(JAVA_INT, off);
                    short mtype = in.get(JAVA_SHORT, off + 4);
                    int mseq = in.get(JAVA_INT, off + 8);
                    if (mtype == NLMSG_ERROR && mseq == mySeq) return in.get(JAVA_INT, off + 16);
                    if (mlen < 16) break;
                    off += (mlen + 3) & ~3;
                }
            }
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        LibC.close(fd);
    }
}
