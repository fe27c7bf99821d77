package io.bpf4j.tools.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** What the network tools share: the address families and TCP states as the kernel numbers them. */
final class Sockets {
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;

    /** {@code enum} of include/net/tcp_states.h, by number, as libbpf-tools print them. */
    private static final List<String> STATES = List.of("UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV",
            "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
            "NEW_SYN_RECV");

    private Sockets() {
    }

    static String state(long n) {
        return n >= 0 && n < STATES.size() ? STATES.get((int) n) : "UNKNOWN(" + n + ")";
    }

    /** An address field ({@code __u8 addr[16]}, decoded as a list of numbers) of {@code family}, as text. */
    static String address(long family, Object field) {
        List<?> bytes = (List<?>) field;
        byte[] b = new byte[family == AF_INET ? 4 : 16];
        for (int i = 0; i < b.length; i++) b[i] = ((Number) bytes.get(i)).byteValue();
        boolean v4Mapped = b.length == 16 && java.util.Arrays.equals(b, 0, 12,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1}, 0, 12);
        if (v4Mapped) { // what a dual-stack socket (Java's default) holds for an IPv4 address; inet_ntop's spelling
            return "::ffff:" + (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
        }
        String text;
        try {
            text = InetAddress.getByAddress(b).getHostAddress();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a 4- or 16-byte address is always valid", e);
        }
        return b.length == 16 ? compress(text) : text;
    }

    /** An IPv6 address as the tools print it: the longest run of zero groups as {@code ::} (RFC 5952). */
    static String compress(String full) {
        String[] g = full.split(":");
        int best = -1, bestLen = 0;
        for (int i = 0; i < g.length; ) {
            int j = i;
            while (j < g.length && g[j].equals("0")) j++;
            if (j - i > bestLen) {
                best = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        if (bestLen < 2) return full;
        return String.join(":", java.util.Arrays.copyOfRange(g, 0, best)) + "::"
                + String.join(":", java.util.Arrays.copyOfRange(g, best + bestLen, g.length));
    }
}
