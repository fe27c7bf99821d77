package io.bpf4j.core.btf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The content of a {@code .BTF.ext} ELF section: per ELF code section, the BTF function info (which BTF
 * {@code FUNC} starts at which instruction), line info (which C source line each run of instructions comes from)
 * and CO-RE relocation records (which instructions access which field or type, to be adjusted to the running
 * kernel's BTF). Names (sections, files, source lines, access strings) are resolved from the string table of the
 * object's {@link Btf} at parse time.
 *
 * <p>All instruction offsets here are as in the ELF file: in <em>bytes</em> from the start of the ELF section
 * (divide by 8 for an instruction index). {@code BPF_PROG_LOAD} wants instruction indexes into the linked
 * program instead; the loader rebases them.
 *
 * <pre>{@code
 * Btf btf = Btf.parse(btfBytes);
 * BtfExt ext = BtfExt.parse(btfExtBytes, btf);
 * for (BtfExt.CoreRelocation r : ext.coreRelocations("kprobe/do_sys_open")) ...
 * }</pre>
 *
 * <p>Immutable and safe to share between threads.
 */
public final class BtfExt {
    static final int MAGIC = 0xeb9f;
    /** The header up to and including line_info_len; core_relo_off/len follow when hdr_len allows. */
    static final int MIN_HEADER = 24;
    static final int FULL_HEADER = 32;

    /** A BTF {@code FUNC} starting at an instruction (the kernel's {@code struct bpf_func_info}). */
    public record FuncInfo(int insnOffset, int typeId) {
        /** The instruction index: {@link #insnOffset()} / 8. */
        public int insnIndex() {
            return insnOffset / 8;
        }
    }

    /**
     * The C source position of the instructions from {@code insnOffset} up to the next line info (the kernel's
     * {@code struct bpf_line_info}). The offsets into the string table are kept so the record can be handed to
     * the kernel as is; the strings themselves are resolved.
     *
     * @param insnOffset    bytes from the start of the ELF section
     * @param fileNameOff   string table offset of {@link #fileName()}
     * @param lineOff       string table offset of {@link #lineText()}
     * @param lineCol       the raw {@code line_col}: line {@code << 10 | column}
     * @param fileName      the source file as the compiler saw it (may be a path)
     * @param lineText      the text of the source line (may be empty)
     */
    public record LineInfo(int insnOffset, int fileNameOff, int lineOff, int lineCol, String fileName,
                           String lineText) {
        public LineInfo {
            Objects.requireNonNull(fileName, "fileName");
            Objects.requireNonNull(lineText, "lineText");
        }

        /** The 1-based source line number. */
        public int line() {
            return lineCol >>> 10;
        }

        /** The 1-based column (0 when unknown). */
        public int column() {
            return lineCol & 0x3ff;
        }

        /** The instruction index: {@link #insnOffset()} / 8. */
        public int insnIndex() {
            return insnOffset / 8;
        }

        /** The same record at another instruction offset (in the unit the caller uses). */
        public LineInfo withInsnOffset(int offset) {
            return new LineInfo(offset, fileNameOff, lineOff, lineCol, fileName, lineText);
        }

        /** {@code file:line} with only the last path element of the file. */
        public String location() {
            String f = fileName;
            int slash = f.lastIndexOf('/');
            return (slash >= 0 ? f.substring(slash + 1) : f) + ":" + line();
        }
    }

    /** What a CO-RE relocation computes (the kernel's {@code enum bpf_core_relo_kind}, in its order). */
    public enum CoreReloKind {
        /** Byte offset of a field. */
        FIELD_BYTE_OFFSET,
        /** Byte size of a field. */
        FIELD_BYTE_SIZE,
        /** Whether a field exists in the target. */
        FIELD_EXISTS,
        /** Whether a field is signed. */
        FIELD_SIGNED,
        /** Left shift for bitfield extraction. */
        FIELD_LSHIFT_U64,
        /** Right shift for bitfield extraction. */
        FIELD_RSHIFT_U64,
        /** Type id in the program's own BTF. */
        TYPE_ID_LOCAL,
        /** Type id in the target (kernel) BTF. */
        TYPE_ID_TARGET,
        /** Whether the type exists in the target. */
        TYPE_EXISTS,
        /** Size of the type. */
        TYPE_SIZE,
        /** Whether an enum value exists in the target. */
        ENUMVAL_EXISTS,
        /** The value of an enumerator. */
        ENUMVAL_VALUE,
        /** Whether the type matches the target's (bpf_core_type_matches). */
        TYPE_MATCHES;

        private static final CoreReloKind[] VALUES = values();

        /** The kernel's value of this kind. */
        public int code() {
            return ordinal();
        }

        /** The kind with kernel value {@code code}, or null. */
        public static CoreReloKind ofCode(int code) {
            return code >= 0 && code < VALUES.length ? VALUES[code] : null;
        }

        /** Whether it is about a field ({@code FIELD_*}). */
        public boolean isField() {
            return ordinal() <= FIELD_RSHIFT_U64.ordinal();
        }

        /** Whether it is about a type ({@code TYPE_*}). */
        public boolean isType() {
            return this == TYPE_ID_LOCAL || this == TYPE_ID_TARGET || this == TYPE_EXISTS || this == TYPE_SIZE
                    || this == TYPE_MATCHES;
        }

        /** Whether it is about an enumerator ({@code ENUMVAL_*}). */
        public boolean isEnumValue() {
            return this == ENUMVAL_EXISTS || this == ENUMVAL_VALUE;
        }
    }

    /**
     * One CO-RE relocation (the kernel's {@code struct bpf_core_relo}).
     *
     * @param insnOffset   bytes from the start of the ELF section of the instruction to patch
     * @param typeId       the root type in the program's BTF
     * @param accessString the access path, e.g. {@code "0:1:2"} (resolved from the string table)
     * @param kind         what to compute
     */
    public record CoreRelocation(int insnOffset, int typeId, String accessString, CoreReloKind kind) {
        public CoreRelocation {
            Objects.requireNonNull(accessString, "accessString");
            Objects.requireNonNull(kind, "kind");
        }

        /** The instruction index: {@link #insnOffset()} / 8. */
        public int insnIndex() {
            return insnOffset / 8;
        }

        /** The access string split at ':' into indexes ({@code "0:1"} → [0, 1]); empty for an empty string. */
        public List<Integer> accessPath() {
            if (accessString.isEmpty()) return List.of();
            List<Integer> out = new ArrayList<>();
            for (String s : accessString.split(":", -1)) {
                try {
                    out.add(Integer.parseInt(s));
                } catch (NumberFormatException e) {
                    throw new BtfException("CO-RE access string '" + accessString + "' is not a ':'-separated "
                            + "list of indexes");
                }
            }
            return List.copyOf(out);
        }
    }

    private final Map<String, List<FuncInfo>> funcInfo;
    private final Map<String, List<LineInfo>> lineInfo;
    private final Map<String, List<CoreRelocation>> coreRelocations;

    private BtfExt(Map<String, List<FuncInfo>> funcInfo, Map<String, List<LineInfo>> lineInfo,
                   Map<String, List<CoreRelocation>> coreRelocations) {
        this.funcInfo = funcInfo;
        this.lineInfo = lineInfo;
        this.coreRelocations = coreRelocations;
    }

    /** An empty {@code .BTF.ext}: for objects without one. */
    public static BtfExt empty() {
        return new BtfExt(Map.of(), Map.of(), Map.of());
    }

    /**
     * Parses a {@code .BTF.ext} section; strings come from {@code btf}, the object's {@code .BTF}.
     *
     * @throws BtfException when the data is malformed or truncated (naming the byte offset) or refers to a string
     *                      the BTF does not have
     */
    public static BtfExt parse(byte[] data, Btf btf) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(btf, "btf");
        return new Parser(data, btf).run();
    }

    /** The names of the ELF sections that have func info, line info or CO-RE relocations. */
    public Set<String> sections() {
        var s = new java.util.LinkedHashSet<String>();
        s.addAll(funcInfo.keySet());
        s.addAll(lineInfo.keySet());
        s.addAll(coreRelocations.keySet());
        return Collections.unmodifiableSet(s);
    }

    /** The func info of ELF section {@code section} (e.g. {@code "kprobe/x"} or {@code ".text"}), by offset. */
    public List<FuncInfo> funcInfo(String section) {
        return funcInfo.getOrDefault(section, List.of());
    }

    /** The line info of ELF section {@code section}, in the order of the file (ascending offsets). */
    public List<LineInfo> lineInfo(String section) {
        return lineInfo.getOrDefault(section, List.of());
    }

    /** The CO-RE relocation records of ELF section {@code section}. */
    public List<CoreRelocation> coreRelocations(String section) {
        return coreRelocations.getOrDefault(section, List.of());
    }

    /** All func info, by section name. */
    public Map<String, List<FuncInfo>> funcInfo() {
        return funcInfo;
    }

    /** All line info, by section name. */
    public Map<String, List<LineInfo>> lineInfo() {
        return lineInfo;
    }

    /** All CO-RE relocation records, by section name. */
    public Map<String, List<CoreRelocation>> coreRelocations() {
        return coreRelocations;
    }

    /** The line info that covers byte offset {@code insnOffset} of {@code section}: the last one at or before it. */
    public java.util.Optional<LineInfo> lineAt(String section, int insnOffset) {
        LineInfo best = null;
        for (LineInfo l : lineInfo(section)) if (l.insnOffset() <= insnOffset && (best == null
                || l.insnOffset() >= best.insnOffset())) best = l;
        return java.util.Optional.ofNullable(best);
    }

    @Override
    public String toString() {
        return "BtfExt[" + count(funcInfo) + " func info, " + count(lineInfo) + " line info, "
                + count(coreRelocations) + " CO-RE relocations in " + sections().size() + " sections]";
    }

    private static int count(Map<String, ? extends List<?>> m) {
        return m.values().stream().mapToInt(List::size).sum();
    }

    private static final class Parser {
        private final byte[] raw;
        private final Btf btf;
        private ByteBuffer b;

        Parser(byte[] raw, Btf btf) {
            this.raw = raw;
            this.btf = btf;
        }

        BtfExt run() {
            int total = raw.length;
            if (total < 8) throw err(0, "a .BTF.ext header (at least 8 bytes)", "only " + total + " bytes");
            b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
            if ((b.getShort(0) & 0xffff) != MAGIC) {
                b.order(ByteOrder.BIG_ENDIAN);
                if ((b.getShort(0) & 0xffff) != MAGIC)
                    throw err(0, "the BTF magic 0xeb9f (either byte order)",
                            String.format("0x%02x%02x", raw[0] & 0xff, raw[1] & 0xff));
            }
            int version = raw[2] & 0xff;
            if (version != 1) throw err(2, ".BTF.ext version 1", "version " + version);
            long hdrLen = Integer.toUnsignedLong(b.getInt(4));
            if (hdrLen < MIN_HEADER)
                throw err(4, "a header length of at least " + MIN_HEADER, Long.toString(hdrLen));
            if (hdrLen > total)
                throw err(4, "a header length within the " + total + " bytes of data", Long.toString(hdrLen));
            Map<String, List<FuncInfo>> funcs = block(8, hdrLen, 8, (p, sec) -> new FuncInfo(insnOff(p, sec),
                    type(p + 4, sec)));
            Map<String, List<LineInfo>> lines = block(16, hdrLen, 16, (p, sec) -> {
                int fileOff = b.getInt(p + 4), lineOff = b.getInt(p + 8);
                return new LineInfo(insnOff(p, sec), fileOff, lineOff, b.getInt(p + 12), string(fileOff, p + 4),
                        string(lineOff, p + 8));
            });
            Map<String, List<CoreRelocation>> relos = hdrLen >= FULL_HEADER
                    ? block(24, hdrLen, 16, (p, sec) -> {
                        int code = b.getInt(p + 12);
                        CoreReloKind kind = CoreReloKind.ofCode(code);
                        if (kind == null)
                            throw err(p + 12, "a CO-RE relocation kind 0-12 in section '" + sec + "'",
                                    Integer.toUnsignedString(code));
                        return new CoreRelocation(insnOff(p, sec), type(p + 4, sec), string(b.getInt(p + 8), p + 8),
                                kind);
                    })
                    : Map.of();
            return new BtfExt(funcs, lines, relos);
        }

        interface Record<T> {
            T read(int at, String section);
        }

        /**
         * One info block whose off/len are at header offset {@code field}: rec_size, then per section
         * {sec_name_off, num_info, num_info records}.
         */
        private <T> Map<String, List<T>> block(int field, long hdrLen, int minRecSize, Record<T> record) {
            long off = Integer.toUnsignedLong(b.getInt(field));
            long len = Integer.toUnsignedLong(b.getInt(field + 4));
            if (len == 0) return Map.of();
            long body = raw.length - hdrLen;
            if (off + len > body)
                throw err(field, "an info block within the data (" + body + " bytes after the header)",
                        "off=" + off + " len=" + len);
            int start = (int) (hdrLen + off);
            int end = (int) (start + len);
            if (len < 4) throw err(start, "a 4-byte record size", len + " bytes");
            long recSize = Integer.toUnsignedLong(b.getInt(start));
            if (recSize < minRecSize || recSize > 1024 || (recSize & 3) != 0)
                throw err(start, "a record size of at least " + minRecSize + " (a multiple of 4)",
                        Long.toString(recSize));
            Map<String, List<T>> out = new LinkedHashMap<>();
            int p = start + 4;
            while (p < end) {
                if (end - p < 8) throw err(p, "an 8-byte section header (sec_name_off, num_info)",
                        (end - p) + " bytes left");
                String section = string(b.getInt(p), p);
                long n = Integer.toUnsignedLong(b.getInt(p + 4));
                if (n == 0) throw err(p + 4, "at least one record for section '" + section + "'", "num_info 0");
                if (n * recSize > end - p - 8)
                    throw err(p + 4, n + " records of " + recSize + " bytes for section '" + section + "'",
                            (end - p - 8) + " bytes left");
                p += 8;
                List<T> list = new ArrayList<>((int) n);
                for (long i = 0; i < n; i++, p += (int) recSize) list.add(record.read(p, section));
                out.merge(section, list, (a, c) -> {
                    List<T> merged = new ArrayList<>(a);
                    merged.addAll(c);
                    return merged;
                });
            }
            out.replaceAll((k, v) -> List.copyOf(v));
            return Collections.unmodifiableMap(out);
        }

        private int insnOff(int at, String section) {
            int v = b.getInt(at);
            if (v < 0 || (v & 7) != 0)
                throw err(at, "an instruction offset (a multiple of 8 bytes) in section '" + section + "'",
                        Integer.toUnsignedString(v));
            return v;
        }

        private int type(int at, String section) {
            int id = b.getInt(at);
            if (id < 0 || id >= btf.nextTypeId())
                throw err(at, "a type id below " + btf.nextTypeId() + " in section '" + section + "'",
                        Integer.toUnsignedString(id));
            return id;
        }

        private String string(int off, int at) {
            if (off < 0 || off >= btf.stringsEnd())
                throw err(at, "a string offset below " + btf.stringsEnd(), Integer.toUnsignedString(off));
            return btf.string(off);
        }

        private static BtfException err(long offset, String expected, String found) {
            return new BtfException("malformed .BTF.ext at byte " + offset + ": expected " + expected + ", found "
                    + found);
        }
    }
}
