package io.bpf4j.core;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A key of an {@link MapType#LPM_TRIE} map ({@code struct bpf_lpm_trie_key_u8}): a prefix length in bits and the
 * data it applies to, e.g. the CIDR {@code 10.1.0.0/16}. In the map the prefix length is a 4-byte integer in the
 * machine's byte order, followed by the data bytes as given (addresses in network byte order).
 *
 * <p>Looking up a key with the full prefix length (e.g. {@code LpmKey.parse("10.1.2.3")}, which is /32) finds the
 * element with the longest prefix that matches; deleting needs the exact prefix stored.
 *
 * @param prefixLength the number of leading bits of {@code data} that matter, 0 to {@code 8 × data.length}
 * @param data         the data (an IPv4 or IPv6 address, or any bytes), copied
 */
public record LpmKey(int prefixLength, byte[] data) {
    /** Keys with a 4-byte (IPv4) address: 8 bytes in the map. */
    public static final Codec<LpmKey> IPV4 = codec(4);
    /** Keys with a 16-byte (IPv6) address: 20 bytes in the map. */
    public static final Codec<LpmKey> IPV6 = codec(16);

    public LpmKey {
        Objects.requireNonNull(data, "data");
        data = data.clone();
        if (prefixLength < 0 || prefixLength > 8 * data.length) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0.." + 8 * data.length
                    + " for " + data.length + " bytes of data");
        }
    }

    /** The prefix {@code address/prefixLength}. */
    public static LpmKey of(InetAddress address, int prefixLength) {
        return new LpmKey(prefixLength, address.getAddress());
    }

    /**
     * Parses a CIDR such as {@code 10.0.0.0/8} or {@code 2001:db8::/32}; an address without {@code /n} is a full
     * (/32 or /128) prefix. Only literal addresses are accepted: nothing is looked up in DNS.
     */
    public static LpmKey parse(String cidr) {
        String s = cidr.strip();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        boolean literal = addr.indexOf(':') >= 0 || addr.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (!literal) throw new IllegalArgumentException("not an IP address or CIDR: '" + cidr + "'");
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(addr).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address or CIDR: '" + cidr + "'", e);
        }
        if (slash < 0) return new LpmKey(8 * bytes.length, bytes);
        try {
            return new LpmKey(Integer.parseInt(s.substring(slash + 1)), bytes);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix length in '" + cidr + "'", e);
        }
    }

    /** A copy of the data. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /**
     * A codec for keys with {@code dataBytes} bytes of data (key size {@code 4 + dataBytes}); encoding a key with
     * a different data length is an error.
     */
    public static Codec<LpmKey> codec(int dataBytes) {
        if (dataBytes <= 0 || dataBytes > 256) {
            throw new IllegalArgumentException("LPM trie data is 1 to 256 bytes, got " + dataBytes);
        }
        return Codecs.fixed(4 + dataBytes, (LpmKey k, MemorySegment s, long o) -> {
            if (k.data.length != dataBytes) {
                throw new IllegalArgumentException("this LPM trie holds " + dataBytes + "-byte keys; " + k + " has "
                        + k.data.length + " bytes");
            }
            s.set(Codecs.I32, o, k.prefixLength);
            MemorySegment.copy(k.data, 0, s, JAVA_BYTE, o + 4, dataBytes);
        }, (s, o) -> {
            byte[] d = new byte[dataBytes];
            MemorySegment.copy(s, JAVA_BYTE, o + 4, d, 0, dataBytes);
            return new LpmKey(s.get(Codecs.I32, o), d);
        });
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LpmKey k && k.prefixLength == prefixLength && Arrays.equals(k.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * prefixLength + Arrays.hashCode(data);
    }

    /** {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or hex data for other lengths. */
    @Override
    public String toString() {
        if (data.length == 4 || data.length == 16) {
            try {
                return InetAddress.getByAddress(data).getHostAddress() + "/" + prefixLength;
            } catch (UnknownHostException e) {
                // cannot happen for 4 or 16 bytes
            }
        }
        return HexFormat.of().formatHex(data) + "/" + prefixLength;
    }
}
