package io.bpf4j.core.dwarf;

import io.bpf4j.core.elf.ElfFile;
import io.bpf4j.core.elf.ElfSection;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The functions and types of a binary's DWARF debugging information (versions 2 to 5, as gcc and clang write it into
 * {@code .debug_info}, {@code .debug_abbrev}, {@code .debug_str}, {@code .debug_line_str} and
 * {@code .debug_str_offsets}): the functions with their parameters, and the types those and the program's structs
 * are made of. Only what tracing needs is kept: compile units' {@code DW_TAG_subprogram}s and their
 * {@code DW_TAG_formal_parameter}s, and base, pointer, struct, union, array, enum, typedef and qualified types.
 * <p>
 * Types are referred to by the offset of their entry in {@code .debug_info} ({@link #type(long)}), so that recursive
 * structs ({@code struct list { struct list *next; }}) need no cycles. Compressed debug sections and split DWARF
 * ({@code .dwo}) are not read.
 */
public final class Dwarf {
    // tags (DWARF 5, section 7.5.3)
    private static final int TAG_ARRAY = 0x01, TAG_ENUM = 0x04, TAG_PARAMETER = 0x05, TAG_MEMBER = 0x0d,
            TAG_POINTER = 0x0f, TAG_REFERENCE = 0x10, TAG_COMPILE_UNIT = 0x11, TAG_STRUCT = 0x13,
            TAG_SUBROUTINE = 0x15, TAG_TYPEDEF = 0x16, TAG_UNION = 0x17, TAG_SUBRANGE = 0x21, TAG_BASE = 0x24,
            TAG_CONST = 0x26, TAG_SUBPROGRAM = 0x2e, TAG_VOLATILE = 0x35, TAG_RESTRICT = 0x37,
            TAG_ATOMIC = 0x47;
    // attributes (section 7.5.4)
    private static final int AT_LOCATION = 0x02, AT_NAME = 0x03, AT_BYTE_SIZE = 0x0b, AT_BIT_OFFSET = 0x0c,
            AT_BIT_SIZE = 0x0d, AT_UPPER_BOUND = 0x2f, AT_ABSTRACT_ORIGIN = 0x31, AT_COUNT = 0x37,
            AT_MEMBER_LOCATION = 0x38, AT_DECLARATION = 0x3c, AT_ENCODING = 0x3e, AT_SPECIFICATION = 0x47,
            AT_TYPE = 0x49, AT_DATA_BIT_OFFSET = 0x6b, AT_STR_OFFSETS_BASE = 0x72;
    // forms (section 7.5.6)
    private static final int FORM_STRX = 0x1a, FORM_STRX1 = 0x25, FORM_STRX4 = 0x28, FORM_IMPLICIT_CONST = 0x21,
            FORM_INDIRECT = 0x16;

    /** A function ({@code DW_TAG_subprogram} with a body or a declaration), its parameters in order. */
    public record Function(String name, List<Parameter> parameters, long returnType) {
        public Function {
            parameters = List.copyOf(parameters);
        }
    }

    /**
     * A formal parameter: its name, the offset of its type ({@link #type(long)}; -1 when none) and where it is kept
     * in the function's body ({@code null} when the entry says nothing).
     */
    public record Parameter(String name, long type, Location location) {
    }

    /** Where a variable lives, from its location expression (the two forms compilers use for parameters). */
    public sealed interface Location {
        /** In DWARF register {@code number} ({@code DW_OP_reg0…31}, {@code DW_OP_regx}). */
        record Register(int number) implements Location {
        }

        /** At {@code offset} from the function's frame base ({@code DW_OP_fbreg}). */
        record FrameBase(long offset) implements Location {
        }

        /** Another expression, kept as its bytes. */
        record Other(byte[] expression) implements Location {
        }
    }

    /** A type entry. */
    public sealed interface Type {
        /** {@code DW_TAG_base_type}: {@code encoding} is a {@code DW_ATE_*} value (5 signed, 6 signed char…). */
        record Base(String name, int size, int encoding) implements Type {
            /** Whether values of this type are signed (DW_ATE_signed, DW_ATE_signed_char). */
            public boolean signed() {
                return encoding == 0x05 || encoding == 0x06;
            }
        }

        /** A pointer (or C++ reference) to the type at {@code target} (-1: {@code void *}). */
        record Pointer(long target, int size) implements Type {
        }

        /** A struct ({@code union} false) or union, {@code name} empty when anonymous. */
        record Struct(String name, boolean union, int size, List<Member> members, boolean declaration)
                implements Type {
            public Struct {
                members = List.copyOf(members);
            }
        }

        /** An array of {@code count} elements of the type at {@code element} (count -1: unknown). */
        record Array(long element, int count) implements Type {
        }

        /** A typedef: {@code name} for the type at {@code target} (-1: void). */
        record Typedef(String name, long target) implements Type {
        }

        /** {@code const}, {@code volatile}, {@code restrict} or {@code _Atomic} applied to the type at target. */
        record Qualified(String qualifier, long target) implements Type {
        }

        /** An enumeration of {@code size} bytes. */
        record Enum(String name, int size) implements Type {
        }

        /** A function type (what a function pointer points to). */
        record Subroutine() implements Type {
        }
    }

    /** A member of a struct or union, at {@code offset} bytes; a bitfield of {@code bitSize} bits at bitOffset. */
    public record Member(String name, long type, int offset, int bitOffset, int bitSize) {
    }

    /** One debugging information entry: its tag, attributes (form-decoded values) and children's offsets. */
    private record Die(int tag, Map<Integer, Object> attrs, List<Long> children) {
    }

    private record AttrSpec(int name, int form, long implicitConst) {
    }

    private record Abbrev(int tag, boolean children, List<AttrSpec> attrs) {
    }

    /** A string given as an index into .debug_str_offsets, resolved once the unit's base is known. */
    private record StrIndex(long index) {
    }

    /** A reference to another entry, as an offset in .debug_info. */
    private record Ref(long offset) {
    }

    private final ByteBuffer info;
    private final ByteBuffer abbrev;
    private final ByteBuffer str;
    private final ByteBuffer lineStr;
    private final ByteBuffer strOffsets;
    private final Map<Long, Die> dies = new HashMap<>();
    private final Map<String, Function> functions = new LinkedHashMap<>();
    private final Map<String, Long> structs = new HashMap<>();
    private final Map<Long, Type> types = new HashMap<>();

    private Dwarf(ElfFile elf) {
        ByteOrder order = elf.byteOrder();
        info = section(elf, ".debug_info", order);
        abbrev = section(elf, ".debug_abbrev", order);
        str = section(elf, ".debug_str", order);
        lineStr = section(elf, ".debug_line_str", order);
        strOffsets = section(elf, ".debug_str_offsets", order);
        if (abbrev == null) throw new IllegalArgumentException(".debug_info without .debug_abbrev");
        readUnits();
        index();
    }

    /**
     * The DWARF of {@code elf}; empty when it has no {@code .debug_info}.
     *
     * @throws IllegalArgumentException when its debug sections are compressed or malformed
     */
    public static Optional<Dwarf> of(ElfFile elf) {
        Optional<ElfSection> s = elf.section(".debug_info");
        if (s.isEmpty() || s.get().size() == 0) return Optional.empty();
        try {
            return Optional.of(new Dwarf(elf));
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) throw e;
            throw new IllegalArgumentException("malformed DWARF: " + e, e);
        }
    }

    /** The functions, by name, in the order of their entries (a definition wins over a declaration). */
    public Map<String, Function> functions() {
        return java.util.Collections.unmodifiableMap(functions);
    }

    /** The function called {@code name}. */
    public Optional<Function> function(String name) {
        return Optional.ofNullable(functions.get(name));
    }

    /** The struct ({@code union} false) or union called {@code name} that has a definition, as a type offset. */
    public Optional<Long> struct(String name, boolean union) {
        return Optional.ofNullable(structs.get((union ? "union " : "struct ") + name));
    }

    /**
     * The type entry at {@code offset} ({@link Parameter#type()}, {@link Member#type()}…).
     *
     * @throws IllegalArgumentException when there is no type entry there
     */
    public Type type(long offset) {
        Type known = types.get(offset);
        if (known != null) return known;
        Die d = dies.get(offset);
        if (d == null) throw new IllegalArgumentException("no DWARF entry at offset 0x" + Long.toHexString(offset));
        Type t = switch (d.tag()) {
            case TAG_BASE -> new Type.Base(name(d), (int) num(d, AT_BYTE_SIZE, 0), (int) num(d, AT_ENCODING, 0));
            case TAG_POINTER, TAG_REFERENCE -> new Type.Pointer(ref(d, AT_TYPE), (int) num(d, AT_BYTE_SIZE, 8));
            case TAG_STRUCT, TAG_UNION -> new Type.Struct(name(d), d.tag() == TAG_UNION,
                    (int) num(d, AT_BYTE_SIZE, 0), members(d), d.attrs().containsKey(AT_DECLARATION));
            case TAG_ARRAY -> new Type.Array(ref(d, AT_TYPE), count(d));
            case TAG_TYPEDEF -> new Type.Typedef(name(d), ref(d, AT_TYPE));
            case TAG_CONST -> new Type.Qualified("const", ref(d, AT_TYPE));
            case TAG_VOLATILE -> new Type.Qualified("volatile", ref(d, AT_TYPE));
            case TAG_RESTRICT -> new Type.Qualified("restrict", ref(d, AT_TYPE));
            case TAG_ATOMIC -> new Type.Qualified("_Atomic", ref(d, AT_TYPE));
            case TAG_ENUM -> new Type.Enum(name(d), (int) num(d, AT_BYTE_SIZE, 4));
            case TAG_SUBROUTINE -> new Type.Subroutine();
            default -> throw new IllegalArgumentException("DWARF entry at 0x" + Long.toHexString(offset)
                    + " is not a type (tag 0x" + Integer.toHexString(d.tag()) + ")");
        };
        types.put(offset, t);
        return t;
    }

    // ---- reading ----

    private static ByteBuffer section(ElfFile elf, String name, ByteOrder order) {
        Optional<ElfSection> s = elf.section(name);
        if (s.isEmpty()) return null;
        if ((s.get().flags() & 0x800) != 0) { // SHF_COMPRESSED
            throw new IllegalArgumentException(name + " is compressed; bpf4j reads uncompressed DWARF only "
                    + "(objcopy --decompress-debug-sections)");
        }
        return ByteBuffer.wrap(elf.data(s.get())).order(order);
    }

    private void readUnits() {
        int at = 0;
        while (at < info.limit()) {
            long length = Integer.toUnsignedLong(info.getInt(at));
            int offsetSize = 4;
            int headerEnd = at + 4;
            if (length == 0xffffffffL) {
                length = info.getLong(at + 4);
                offsetSize = 8;
                headerEnd = at + 12;
            }
            int end = (int) (headerEnd + length);
            int version = Short.toUnsignedInt(info.getShort(headerEnd));
            int p = headerEnd + 2;
            long abbrevOffset;
            int addressSize;
            if (version >= 5) {
                int unitType = info.get(p) & 0xff;
                addressSize = info.get(p + 1) & 0xff;
                abbrevOffset = offsetSize == 8 ? info.getLong(p + 2) : Integer.toUnsignedLong(info.getInt(p + 2));
                p += 2 + offsetSize;
                // skeleton/split units carry an 8-byte id, type units a signature and a type offset
                if (unitType == 4 || unitType == 5) p += 8;
                else if (unitType == 2 || unitType == 6) p += 8 + offsetSize;
            } else if (version >= 2) {
                abbrevOffset = offsetSize == 8 ? info.getLong(p) : Integer.toUnsignedLong(info.getInt(p));
                addressSize = info.get(p + offsetSize) & 0xff;
                p += offsetSize + 1;
            } else {
                throw new IllegalArgumentException("DWARF version " + version + " is not supported");
            }
            Unit unit = new Unit(at, version, offsetSize, addressSize, abbrevs(abbrevOffset));
            readDies(unit, p, end);
            at = end;
        }
    }

    private final class Unit {
        final long start;
        final int version, offsetSize, addressSize;
        final Map<Long, Abbrev> abbrevs;
        long strOffsetsBase = 8; // the header of .debug_str_offsets for a DWARF 5 unit without the attribute

        Unit(long start, int version, int offsetSize, int addressSize, Map<Long, Abbrev> abbrevs) {
            this.start = start;
            this.version = version;
            this.offsetSize = offsetSize;
            this.addressSize = addressSize;
            this.abbrevs = abbrevs;
        }
    }

    private Map<Long, Abbrev> abbrevs(long offset) {
        Map<Long, Abbrev> out = new HashMap<>();
        int[] p = {(int) offset};
        while (true) {
            long code = uleb(abbrev, p);
            if (code == 0) return out;
            int tag = (int) uleb(abbrev, p);
            boolean children = abbrev.get(p[0]++) != 0;
            List<AttrSpec> specs = new ArrayList<>();
            while (true) {
                int name = (int) uleb(abbrev, p);
                int form = (int) uleb(abbrev, p);
                if (name == 0 && form == 0) break;
                long implicit = form == FORM_IMPLICIT_CONST ? sleb(abbrev, p) : 0;
                specs.add(new AttrSpec(name, form, implicit));
            }
            out.put(code, new Abbrev(tag, children, specs));
        }
    }

    private void readDies(Unit unit, int from, int end) {
        int[] p = {from};
        List<Die> parents = new ArrayList<>();
        while (p[0] < end) {
            long offset = p[0];
            long code = uleb(info, p);
            if (code == 0) {
                if (!parents.isEmpty()) parents.removeLast();
                continue;
            }
            Abbrev a = unit.abbrevs.get(code);
            if (a == null) throw new IllegalArgumentException("DWARF entry at 0x" + Long.toHexString(offset)
                    + " uses abbreviation " + code + ", which its unit does not define");
            Map<Integer, Object> attrs = new HashMap<>();
            for (AttrSpec s : a.attrs()) attrs.put(s.name(), value(unit, s.form(), s.implicitConst(), p));
            if (a.tag() == TAG_COMPILE_UNIT && attrs.get(AT_STR_OFFSETS_BASE) instanceof Long base) {
                unit.strOffsetsBase = base;
            }
            attrs.replaceAll((k, v) -> v instanceof StrIndex i ? strIndex(unit, i.index()) : v);
            Die d = new Die(a.tag(), attrs, new ArrayList<>());
            dies.put(offset, d);
            if (!parents.isEmpty()) parents.getLast().children().add(offset);
            if (a.children()) parents.add(d);
        }
    }

    private Object value(Unit u, int form, long implicitConst, int[] p) {
        ByteBuffer b = info;
        return switch (form) {
            case 0x01 -> u.addressSize == 8 ? b.getLong(adv(p, 8)) : Integer.toUnsignedLong(b.getInt(adv(p, 4)));
            case 0x03 -> block(Short.toUnsignedInt(b.getShort(adv(p, 2))), p);
            case 0x04 -> block(b.getInt(adv(p, 4)), p);
            case 0x05 -> (long) Short.toUnsignedInt(b.getShort(adv(p, 2)));
            case 0x06 -> Integer.toUnsignedLong(b.getInt(adv(p, 4)));
            case 0x07 -> b.getLong(adv(p, 8));
            case 0x08 -> {
                int start = p[0];
                while (b.get(p[0]) != 0) p[0]++;
                p[0]++;
                yield cString(b, start);
            }
            case 0x09, 0x18 -> block((int) uleb(b, p), p);
            case 0x0a -> block(b.get(adv(p, 1)) & 0xff, p);
            case 0x0b -> (long) (b.get(adv(p, 1)) & 0xff);
            case 0x0c -> (long) (b.get(adv(p, 1)) & 0xff);
            case 0x0d -> sleb(b, p);
            case 0x0e -> stringAt(str, offset(u, p), ".debug_str");
            case 0x0f -> uleb(b, p);
            case 0x10 -> new Ref(u.version > 2 ? offset(u, p) : u.addressSize == 8 ? b.getLong(adv(p, 8))
                    : Integer.toUnsignedLong(b.getInt(adv(p, 4)))); // DWARF 2: address-sized
            case 0x11 -> new Ref(u.start + (b.get(adv(p, 1)) & 0xff));
            case 0x12 -> new Ref(u.start + Short.toUnsignedInt(b.getShort(adv(p, 2))));
            case 0x13 -> new Ref(u.start + Integer.toUnsignedLong(b.getInt(adv(p, 4))));
            case 0x14 -> new Ref(u.start + b.getLong(adv(p, 8)));
            case 0x15 -> new Ref(u.start + uleb(b, p));
            case FORM_INDIRECT -> value(u, (int) uleb(b, p), implicitConst, p);
            case 0x17, 0x1d -> offset(u, p);
            case 0x19 -> 1L;
            case FORM_STRX, 0x1b, 0x22, 0x23 -> form == FORM_STRX ? new StrIndex(uleb(b, p)) : uleb(b, p);
            case 0x1c -> Integer.toUnsignedLong(b.getInt(adv(p, 4)));
            case 0x1e -> block(16, p);
            case 0x1f -> stringAt(lineStr, offset(u, p), ".debug_line_str");
            case 0x20, 0x24 -> b.getLong(adv(p, 8));
            case FORM_IMPLICIT_CONST -> implicitConst;
            case FORM_STRX1, 0x26, 0x27, FORM_STRX4 -> new StrIndex(fixed(b, p, form - FORM_STRX1 + 1));
            case 0x29, 0x2a, 0x2b, 0x2c -> fixed(b, p, form - 0x29 + 1);
            default -> throw new IllegalArgumentException("unknown DWARF form 0x" + Integer.toHexString(form));
        };
    }

    private static int adv(int[] p, int n) {
        int at = p[0];
        p[0] += n;
        return at;
    }

    private static long fixed(ByteBuffer b, int[] p, int n) {
        long v = 0;
        for (int i = 0; i < n; i++) v |= (long) (b.get(p[0] + i) & 0xff) << (8 * i);
        p[0] += n;
        return v;
    }

    private byte[] block(int length, int[] p) {
        byte[] out = new byte[length];
        info.get(p[0], out);
        p[0] += length;
        return out;
    }

    private long offset(Unit u, int[] p) {
        return u.offsetSize == 8 ? info.getLong(adv(p, 8)) : Integer.toUnsignedLong(info.getInt(adv(p, 4)));
    }

    private String strIndex(Unit u, long index) {
        if (strOffsets == null) throw new IllegalArgumentException("DW_FORM_strx without .debug_str_offsets");
        int at = (int) (u.strOffsetsBase + index * u.offsetSize);
        long off = u.offsetSize == 8 ? strOffsets.getLong(at) : Integer.toUnsignedLong(strOffsets.getInt(at));
        return stringAt(str, off, ".debug_str");
    }

    private static String stringAt(ByteBuffer b, long offset, String section) {
        if (b == null) throw new IllegalArgumentException("a DWARF string refers to " + section + ", which is missing");
        return cString(b, (int) offset);
    }

    private static String cString(ByteBuffer b, int start) {
        int end = start;
        while (b.get(end) != 0) end++;
        byte[] bytes = new byte[end - start];
        b.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static long uleb(ByteBuffer b, int[] p) {
        long v = 0;
        int shift = 0;
        while (true) {
            int x = b.get(p[0]++) & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) return v;
            shift += 7;
        }
    }

    private static long sleb(ByteBuffer b, int[] p) {
        long v = 0;
        int shift = 0;
        int x;
        do {
            x = b.get(p[0]++) & 0xff;
            v |= (long) (x & 0x7f) << shift;
            shift += 7;
        } while ((x & 0x80) != 0);
        if (shift < 64 && (x & 0x40) != 0) v |= -1L << shift;
        return v;
    }

    // ---- the index: functions and named structs ----

    private void index() {
        for (Map.Entry<Long, Die> e : dies.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            Die d = e.getValue();
            if (d.tag() == TAG_SUBPROGRAM) {
                Die named = d;
                // an out-of-line or concrete instance names its declaration instead of repeating it
                for (int hop = 0; hop < 4 && name(named).isEmpty(); hop++) {
                    long next = ref(named, AT_SPECIFICATION);
                    if (next < 0) next = ref(named, AT_ABSTRACT_ORIGIN);
                    if (next < 0 || !dies.containsKey(next)) break;
                    named = dies.get(next);
                }
                String name = name(named);
                if (name.isEmpty()) continue;
                boolean declaration = d.attrs().containsKey(AT_DECLARATION);
                if (declaration && functions.containsKey(name)) continue;
                Function f = new Function(name, parameters(d), ref(named, AT_TYPE));
                if (!declaration || !functions.containsKey(name)) functions.put(name, f);
            } else if ((d.tag() == TAG_STRUCT || d.tag() == TAG_UNION) && !name(d).isEmpty()
                    && !d.attrs().containsKey(AT_DECLARATION)) {
                structs.putIfAbsent((d.tag() == TAG_UNION ? "union " : "struct ") + name(d), e.getKey());
            }
        }
    }

    private List<Parameter> parameters(Die fn) {
        List<Parameter> out = new ArrayList<>();
        for (long c : fn.children()) {
            Die d = dies.get(c);
            if (d.tag() != TAG_PARAMETER) continue;
            Die named = d;
            long origin = ref(d, AT_ABSTRACT_ORIGIN);
            if (name(d).isEmpty() && origin >= 0 && dies.containsKey(origin)) named = dies.get(origin);
            out.add(new Parameter(name(named), ref(named, AT_TYPE), location(d.attrs().get(AT_LOCATION))));
        }
        return out;
    }

    private static Location location(Object value) {
        if (!(value instanceof byte[] expr) || expr.length == 0) return null;
        int op = expr[0] & 0xff;
        if (op >= 0x50 && op <= 0x6f && expr.length == 1) return new Location.Register(op - 0x50);
        int[] p = {1};
        ByteBuffer b = ByteBuffer.wrap(expr);
        if (op == 0x90) return new Location.Register((int) uleb(b, p)); // DW_OP_regx
        if (op == 0x91) return new Location.FrameBase(sleb(b, p)); // DW_OP_fbreg
        return new Location.Other(expr.clone());
    }

    private List<Member> members(Die d) {
        List<Member> out = new ArrayList<>();
        for (long c : d.children()) {
            Die m = dies.get(c);
            if (m.tag() != TAG_MEMBER) continue;
            int bitSize = (int) num(m, AT_BIT_SIZE, 0);
            long byteOffset = memberOffset(m.attrs().get(AT_MEMBER_LOCATION));
            int bitOffset = 0;
            if (m.attrs().containsKey(AT_DATA_BIT_OFFSET)) {
                long bits = num(m, AT_DATA_BIT_OFFSET, 0);
                byteOffset = bits / 8;
                bitOffset = (int) (bits % 8);
            } else if (bitSize != 0 && m.attrs().containsKey(AT_BIT_OFFSET)) {
                // DWARF 2-3 count from the storage unit's most significant bit (little-endian machines)
                int storage = (int) num(m, AT_BYTE_SIZE, 4);
                bitOffset = (int) (storage * 8 - num(m, AT_BIT_OFFSET, 0) - bitSize);
            }
            out.add(new Member(name(m), ref(m, AT_TYPE), (int) byteOffset, bitOffset, bitSize));
        }
        return out;
    }

    /** A member's offset: a constant, or (DWARF 2) the expression {@code DW_OP_plus_uconst N}. */
    private static long memberOffset(Object v) {
        if (v instanceof Long l) return l;
        if (v instanceof byte[] expr && expr.length > 1 && (expr[0] & 0xff) == 0x23) {
            return uleb(ByteBuffer.wrap(expr), new int[] {1});
        }
        return 0;
    }

    private int count(Die array) {
        for (long c : array.children()) {
            Die s = dies.get(c);
            if (s.tag() != TAG_SUBRANGE) continue;
            if (s.attrs().get(AT_COUNT) instanceof Long n) return n.intValue();
            if (s.attrs().get(AT_UPPER_BOUND) instanceof Long ub) return ub.intValue() + 1;
            return -1;
        }
        return -1;
    }

    private static String name(Die d) {
        return d.attrs().get(AT_NAME) instanceof String s ? s : "";
    }

    private static long num(Die d, int attr, long otherwise) {
        return d.attrs().get(attr) instanceof Long l ? l : otherwise;
    }

    private static long ref(Die d, int attr) {
        return d.attrs().get(attr) instanceof Ref r ? r.offset() : -1;
    }
}
