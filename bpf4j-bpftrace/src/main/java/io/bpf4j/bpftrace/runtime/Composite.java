package io.bpf4j.bpftrace.runtime;

import io.bpf4j.bpftrace.check.Type;
import io.bpf4j.bpftrace.format.RawBuffer;
import io.bpf4j.output.Json;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A struct, array or tuple value as bpftrace prints it: {@code text} as in {@code { .m = 2, .n = 3 }},
 * {@code [1,2,3]} and {@code (1, 2, string)}; {@code json} as {@code -f json} writes it.
 *
 * @param text the text form
 * @param json the JSON form
 */
public record Composite(String text, String json, String key) {
    /** A value that prints the same as a map key and elsewhere. */
    public Composite(String text, String json) {
        this(text, json, text);
    }

    /** The text form, so that printf's {@code %s} and map printing show it. */
    @Override
    public String toString() {
        return text;
    }

    /** The value of type {@code type} at {@code offset} of {@code bytes}. */
    static Composite decode(Type type, MemorySegment bytes, long offset) {
        return switch (type) {
            case Type.Int i -> {
                long v = integer(bytes, offset, i.bytes(), i.signed());
                String s = i.signed() ? Long.toString(v) : Long.toUnsignedString(v);
                yield new Composite(s, s);
            }
            case Type.Ptr p -> {
                String s = "0x" + Long.toHexString(bytes.get(ValueLayout.JAVA_LONG_UNALIGNED, offset));
                yield new Composite(s, "\"" + s + "\"");
            }
            case Type.Str s -> {
                int n = 0;
                while (n < s.size() && offset + n < bytes.byteSize() && bytes.get(ValueLayout.JAVA_BYTE, offset + n) != 0) n++;
                String str = new String(bytes.asSlice(offset, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                yield new Composite(str, Json.write(str));
            }
            case Type.Record r -> {
                List<String> text = new ArrayList<>();
                List<String> json = new ArrayList<>();
                List<String> key = new ArrayList<>();
                for (Type.Member m : r.members()) {
                    Composite c;
                    if (m.bitWidth() != 0) {
                        long word = integer(bytes, offset + m.bitOffset() / 8, Math.min(8,
                                (int) (bytes.byteSize() - offset - m.bitOffset() / 8)), false);
                        long v = (word >>> (m.bitOffset() % 8)) & (m.bitWidth() >= 64 ? -1L : (1L << m.bitWidth()) - 1);
                        c = new Composite(Long.toString(v), Long.toString(v));
                    } else {
                        c = decode(m.type(), bytes, offset + m.offset());
                    }
                    text.add("." + m.name() + " = " + c.text());
                    json.add("\"" + m.name() + "\": " + c.json());
                    key.add("." + m.name() + "=" + c.key());
                }
                yield new Composite("{ " + String.join(", ", text) + " }", "{ " + String.join(", ", json) + " }",
                        "{" + String.join(",", key) + "}");
            }
            case Type.Array a when a.element() instanceof Type.Int i && i.bytes() == 1 && i.signed() -> {
                int n = 0;
                while (n < a.count() && bytes.get(ValueLayout.JAVA_BYTE, offset + n) != 0) n++;
                String str = new String(bytes.asSlice(offset, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                yield new Composite(str, Json.write(str));
            }
            case Type.Array a -> {
                List<String> text = new ArrayList<>();
                List<String> json = new ArrayList<>();
                for (int i = 0; i < a.count(); i++) {
                    Composite c = decode(a.element(), bytes, offset + (long) i * a.element().cSize());
                    text.add(c.text());
                    json.add(c.json());
                }
                yield new Composite("[" + String.join(",", text) + "]", "[" + String.join(",", json) + "]");
            }
            case Type.Tuple t -> {
                List<String> text = new ArrayList<>();
                List<String> json = new ArrayList<>();
                List<Integer> offs = t.offsets();
                for (int i = 0; i < t.elements().size(); i++) {
                    Composite c = decode(t.elements().get(i), bytes, offset + offs.get(i));
                    text.add(c.text());
                    json.add(c.json());
                }
                yield new Composite("(" + String.join(", ", text) + ")", "[" + String.join(",", json) + "]");
            }
            case Type.Timestamp ts -> {
                long ns = bytes.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
                long wall = MonotonicToWall.OFFSET + ns;
                String s = Strftime.format(ts.format(), java.time.ZonedDateTime.ofInstant(
                        java.time.Instant.ofEpochSecond(Math.floorDiv(wall, 1_000_000_000L),
                                Math.floorMod(wall, 1_000_000_000L)), java.time.ZoneId.systemDefault()));
                yield new Composite(s, Json.write(s));
            }
            case Type.Formatted f when f.kind() == Type.Formatted.Kind.MAC -> {
                List<String> parts = new ArrayList<>();
                for (int i = 0; i < 6; i++) parts.add(String.format("%02X", bytes.get(ValueLayout.JAVA_BYTE, offset + i)));
                String s = String.join(":", parts);
                yield new Composite(s, Json.write(s));
            }
            case Type.Formatted f when f.kind() == Type.Formatted.Kind.USERNAME -> {
                String s = UserNames.of(bytes.get(ValueLayout.JAVA_LONG_UNALIGNED, offset));
                yield new Composite(s, Json.write(s));
            }
            case Type.Formatted f when f.kind() == Type.Formatted.Kind.USYM || f.kind() == Type.Formatted.Kind.KSYM -> {
                long pid = bytes.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
                long addr = bytes.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + 8);
                io.bpf4j.core.symbols.Frame frame = f.kind() == Type.Formatted.Kind.USYM
                        ? Symbols.INSTANCE.user(pid, addr) : Symbols.INSTANCE.kernel(addr);
                String s = frame.resolved() ? frame.symbol() : "0x" + Long.toHexString(addr);
                yield new Composite(s, Json.write(s));
            }
            case Type.Formatted f -> {
                long af = bytes.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
                byte[] addr = bytes.asSlice(offset + 8, af == 10 ? 16 : 4).toArray(ValueLayout.JAVA_BYTE);
                String s;
                try {
                    s = java.net.InetAddress.getByAddress(addr).getHostAddress();
                    if (af == 10) s = ipv6(addr);
                } catch (java.net.UnknownHostException e) {
                    s = "";
                }
                yield new Composite(s, Json.write(s));
            }
            case Type.Buf b -> {
                RawBuffer r = new RawBuffer(bytes.asSlice(offset, b.length()).toArray(ValueLayout.JAVA_BYTE));
                yield new Composite(r.toString(), Json.write(r.toString()));
            }
            default -> {
                long v = bytes.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
                yield new Composite(Long.toString(v), Long.toString(v));
            }
        };
    }

    /**
     * CLOCK_MONOTONIC (bpf_ktime_get_ns, {@link java.lang.System#nanoTime}) to the wall clock, measured once so that
     * every strftime() of a run converts alike.
     */
    private static final class MonotonicToWall {
        static final long OFFSET = offset();

        private static long offset() {
            java.time.Instant now = java.time.Instant.now();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano() - java.lang.System.nanoTime();
        }
    }

    /** The symbolizer of usym() and ksym(), made on first use. */
    private static final class Symbols {
        static final io.bpf4j.core.symbols.Symbolizer INSTANCE = new io.bpf4j.core.symbols.Symbolizer();
    }

    /** An IPv6 address as inet_ntop writes it: the longest run of zero groups as "::". */
    private static String ipv6(byte[] a) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) g[i] = (a[2 * i] & 0xff) << 8 | (a[2 * i + 1] & 0xff);
        int best = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) j++;
            if (j - i > bestLen) {
                best = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == best) {
                sb.append(i == 0 ? "::" : ":");
                i += bestLen - 1;
                continue;
            }
            sb.append(Integer.toHexString(g[i]));
            if (i < 7) sb.append(':');
        }
        return sb.toString();
    }

    private static long integer(MemorySegment bytes, long offset, int size, boolean signed) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) v = v << 8 | (bytes.get(ValueLayout.JAVA_BYTE, offset + i) & 0xff);
        if (signed && size < 8) v = v << (64 - size * 8) >> (64 - size * 8);
        return v;
    }
}
