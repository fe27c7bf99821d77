package io.bpf4j.core.btf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Reads the BTF header and indexes the type section in one pass, checking everything that later decoding relies on
 * (sizes, kinds, string offsets, type ids), so that decoding a type afterwards cannot fail. Types themselves are
 * decoded on demand by {@link Btf}: vmlinux has ~100k types and most users look at a handful.
 */
final class BtfParser {
    static final int MAGIC = 0xeb9f;
    static final int HEADER_SIZE = 24;

    /** The result: the sections (as buffers in the right byte order) and where each type starts. */
    record Index(ByteOrder order, ByteBuffer types, ByteBuffer strings, int[] offsets, int count) {
    }

    private BtfParser() {
    }

    /**
     * @param data        the whole BTF blob (header, types, strings), position 0 at the magic
     * @param firstId     the id of the first type (1, or the base's next id for split BTF)
     * @param baseStrings the length of the base's string section (0 without a base)
     */
    static Index index(ByteBuffer data, int firstId, int baseStrings) {
        Sections x = sections(data, baseStrings);
        return new Scan(x.types(), x.typesStart(), x.strings(), baseStrings, firstId).run(x.order());
    }

    /**
     * The index of BTF that was indexed before (by {@link #index}, in this process or an earlier one): the header is
     * read and checked again, the types are not scanned; {@code offsets} are where each of the {@code count} types
     * starts, as {@link Index#offsets()} gave them.
     */
    static Index indexed(ByteBuffer data, int[] offsets, int count) {
        Sections x = sections(data, 0);
        if (count > offsets.length || (count > 0 && offsets[count - 1] >= x.types().limit()))
            throw err(8, "type offsets within the type section", count + " types, the last at "
                    + (count > 0 ? offsets[count - 1] : 0));
        return new Index(x.order(), x.types(), x.strings(), offsets, count);
    }

    /** The header's view of a BTF blob: its byte order and its type and string sections. */
    private record Sections(ByteOrder order, ByteBuffer types, int typesStart, ByteBuffer strings) {
    }

    private static Sections sections(ByteBuffer data, int baseStrings) {
        long total = data.remaining();
        if (total < 8) throw err(0, "a BTF header (at least 8 bytes)", "only " + total + " bytes");
        ByteBuffer b = data.slice().order(ByteOrder.LITTLE_ENDIAN);
        if ((b.getShort(0) & 0xffff) != MAGIC) {
            b.order(ByteOrder.BIG_ENDIAN);
            if ((b.getShort(0) & 0xffff) != MAGIC)
                throw err(0, "the BTF magic 0xeb9f (either byte order)",
                        String.format("0x%02x%02x", b.get(0) & 0xff, b.get(1) & 0xff));
        }
        int version = b.get(2) & 0xff;
        if (version != 1) throw err(2, "BTF version 1", "version " + version);
        long hdrLen = Integer.toUnsignedLong(b.getInt(4));
        if (hdrLen < HEADER_SIZE) throw err(4, "a header length of at least " + HEADER_SIZE, Long.toString(hdrLen));
        if (hdrLen > total) throw err(4, "a header length within the " + total + " bytes of data", Long.toString(hdrLen));
        long typeOff = Integer.toUnsignedLong(b.getInt(8));
        long typeLen = Integer.toUnsignedLong(b.getInt(12));
        long strOff = Integer.toUnsignedLong(b.getInt(16));
        long strLen = Integer.toUnsignedLong(b.getInt(20));
        long body = total - hdrLen;
        if (typeOff + typeLen > body)
            throw err(8, "a type section within the data (" + body + " bytes after the header)",
                    "type_off=" + typeOff + " type_len=" + typeLen);
        if (strOff + strLen > body)
            throw err(16, "a string section within the data (" + body + " bytes after the header)",
                    "str_off=" + strOff + " str_len=" + strLen);
        if (typeLen > 0 && strLen > 0 && typeOff < strOff + strLen && strOff < typeOff + typeLen)
            throw err(8, "type and string sections that do not overlap",
                    "types [" + typeOff + ", " + (typeOff + typeLen) + "), strings [" + strOff + ", "
                            + (strOff + strLen) + ")");
        int typesStart = (int) (hdrLen + typeOff);
        int strStart = (int) (hdrLen + strOff);
        ByteBuffer types = b.slice(typesStart, (int) typeLen).order(b.order());
        ByteBuffer strings = b.slice(strStart, (int) strLen).order(b.order());
        if (baseStrings == 0 && (strLen == 0 || strings.get(0) != 0))
            throw err(strStart, "a string section starting with an empty string (a NUL byte)",
                    strLen == 0 ? "an empty string section" : "byte 0x" + Integer.toHexString(strings.get(0) & 0xff));
        if (strLen > 0 && strings.get((int) strLen - 1) != 0)
            throw err(strStart + strLen - 1, "a NUL byte ending the string section",
                    "0x" + Integer.toHexString(strings.get((int) strLen - 1) & 0xff));
        return new Sections(b.order(), types, typesStart, strings);
    }


    static BtfException err(long offset, String expected, String found) {
        return new BtfException("malformed BTF at byte " + offset + ": expected " + expected + ", found " + found);
    }

    /** One pass over the type section. */
    private static final class Scan {
        private final ByteBuffer types;
        private final int typesStart;
        private final ByteBuffer strings;
        private final int strLen;
        private final int baseStrings;
        private final int firstId;
        private int maxRef = -1;
        private long maxRefAt;
        private int maxRefFrom;

        Scan(ByteBuffer types, int typesStart, ByteBuffer strings, int baseStrings, int firstId) {
            this.types = types;
            this.typesStart = typesStart;
            this.strings = strings;
            this.strLen = strings.limit();
            this.baseStrings = baseStrings;
            this.firstId = firstId;
        }

        Index run(ByteOrder order) {
            int len = types.limit();
            int[] offsets = new int[Math.max(16, len / 32)];
            int n = 0;
            for (int p = 0; p < len; n++) {
                int id = firstId + n;
                if (id < 0) throw err(typesStart + p, "fewer than 2^31 types", "more");
                if (len - p < 12)
                    throw err(typesStart + p, "12 bytes for type [" + id + "]", (len - p) + " bytes left");
                int info = types.getInt(p + 4);
                int code = (info >>> 24) & 0x1f;
                BtfKind kind = BtfKind.ofCode(code);
                if (kind == null || kind == BtfKind.VOID)
                    throw err(typesStart + p + 4, "a known kind (1-19) for type [" + id + "]", "kind " + code);
                int vlen = info & 0xffff;
                int extra = kind.extraSize(vlen);
                if (len - p - 12 < extra)
                    throw err(typesStart + p, extra + 12 + " bytes for " + kind + " [" + id + "] (vlen=" + vlen + ")",
                            (len - p) + " bytes left");
                checkString(p, id);
                check(kind, p, vlen, id);
                if (n == offsets.length) offsets = Arrays.copyOf(offsets, n * 2);
                offsets[n] = p;
                p += 12 + extra;
            }
            if (maxRef >= firstId + n)
                throw err(maxRefAt, "a type id below " + (firstId + n) + " in type [" + maxRefFrom + "]",
                        "type id " + Integer.toUnsignedString(maxRef));
            return new Index(order, types, strings, offsets, n);
        }

        private void check(BtfKind kind, int p, int vlen, int id) {
            switch (kind) {
                case PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, DECL_TAG -> ref(p + 8, id);
                case FUNC -> {
                    ref(p + 8, id);
                    if (vlen > 2) throw err(typesStart + p + 4, "linkage 0-2 for FUNC [" + id + "]", "vlen " + vlen);
                }
                case VAR -> {
                    ref(p + 8, id);
                    int linkage = types.getInt(p + 12);
                    if (linkage < 0 || linkage > 2)
                        throw err(typesStart + p + 12, "linkage 0-2 for VAR [" + id + "]", Integer.toString(linkage));
                }
                case ARRAY -> {
                    ref(p + 12, id);
                    ref(p + 16, id);
                }
                case STRUCT, UNION -> {
                    for (int i = 0, m = p + 12; i < vlen; i++, m += 12) {
                        checkString(m, id);
                        ref(m + 4, id);
                    }
                }
                case ENUM, ENUM64 -> {
                    int step = kind == BtfKind.ENUM ? 8 : 12;
                    for (int i = 0, m = p + 12; i < vlen; i++, m += step) checkString(m, id);
                }
                case FUNC_PROTO -> {
                    ref(p + 8, id);
                    for (int i = 0, m = p + 12; i < vlen; i++, m += 8) {
                        checkString(m, id);
                        ref(m + 4, id);
                    }
                }
                case DATASEC -> {
                    for (int i = 0, m = p + 12; i < vlen; i++, m += 12) ref(m, id);
                }
                default -> {
                }
            }
        }

        /** Remembers the largest type id referred to; whether it exists is known only at the end. */
        private void ref(int at, int from) {
            int t = types.getInt(at);
            if (t < 0) throw err(typesStart + (long) at, "a type id in type [" + from + "]",
                    "type id " + Integer.toUnsignedString(t));
            if (t > maxRef) {
                maxRef = t;
                maxRefAt = typesStart + (long) at;
                maxRefFrom = from;
            }
        }

        private void checkString(int at, int id) {
            int off = types.getInt(at);
            if (off == 0) return;
            long local = Integer.toUnsignedLong(off) - baseStrings;
            if (off < 0 || (local >= strLen) || (local < 0 && baseStrings == 0))
                throw err(typesStart + (long) at, "a string offset below " + (baseStrings + (long) strLen)
                        + " in type [" + id + "]", "offset " + Integer.toUnsignedString(off));
        }
    }
}
