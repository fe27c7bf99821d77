package io.bpf4j.bpftrace.format;

import java.util.ArrayList;
import java.util.List;

/**
 * The bytes of a {@code buf()}: printed as bpftrace does, printable ASCII as is and other bytes as {@code \xNN}
 * ({@code %r}), every byte escaped ({@code %rx}), or as spaced hexadecimal ({@code %rh}).
 *
 * @param bytes the bytes
 */
public record RawBuffer(byte[] bytes) {
    /** {@code %r}: printable ASCII as is, other bytes as {@code \xNN}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c >= 32 && c < 127) sb.append((char) c);
            else sb.append(String.format("\\x%02x", c));
        }
        return sb.toString();
    }

    /** {@code %rx}: every byte as {@code \xNN}. */
    public String escaped() {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) sb.append(String.format("\\x%02x", b & 0xff));
        return sb.toString();
    }

    /** {@code %rh}: every byte as two hexadecimal digits, separated by spaces. */
    public String hex() {
        List<String> parts = new ArrayList<>();
        for (byte b : bytes) parts.add(String.format("%02x", b & 0xff));
        return String.join(" ", parts);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawBuffer r && java.util.Arrays.equals(bytes, r.bytes);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(bytes);
    }
}
