package io.bpf4j.core.btf;

import io.bpf4j.core.format.IoErrors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemoryLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.RandomAccess;

/**
 * A BTF type table and its strings: the content of a {@code .BTF} ELF section, of a raw BTF file such as
 * {@code /sys/kernel/btf/vmlinux}, or of split BTF (a kernel module's types on top of vmlinux, whose type ids and
 * string offsets continue from its {@link #base() base}).
 *
 * <p>Parsing checks the whole blob up front (any problem is a {@link BtfException} naming the byte offset and what
 * was expected) but decodes each type into its {@link BtfType} record only when asked for, so opening vmlinux's
 * BTF costs one pass over it. A {@code Btf} is immutable and safe to share between threads.
 *
 * <pre>{@code
 * Btf btf = KernelBtf.vmlinux();
 * int id = btf.typeId("task_struct", BtfKind.STRUCT).orElseThrow();
 * BtfType.Struct task = btf.type(id, BtfType.Struct.class);
 * long size = btf.sizeOf(id);
 * }</pre>
 */
public final class Btf {
    private final Btf base;
    private final int firstId;
    private final int baseStrings;
    private final BtfParser.Index index;
    /** Decoded types, filled on demand; racy but safe: records are immutable and decoding is deterministic. */
    private final BtfType[] cache;
    private volatile NameIndex names;
    /** {@link #flavoredIds()}, once computed. */
    private volatile int[] flavored;
    /** The parsed blob (the index's sections are slices of it); {@code null} when made by {@link #indexed}. */
    private final ByteBuffer raw;
    private volatile Map<String, Integer> stringOffsets;
    /** Alignments of composites, 0 = not known yet; racy like {@link #cache}. */
    private volatile int[] aligns;

    private Btf(ByteBuffer data, Btf base) {
        this.base = base;
        this.firstId = base == null ? 1 : base.nextTypeId();
        this.baseStrings = base == null ? 0 : base.stringsEnd();
        this.index = BtfParser.index(data, firstId, baseStrings);
        this.cache = new BtfType[index.count()];
        this.raw = data.slice();
    }

    /** Base BTF from an index made before: no pass over the types (see {@link VmlinuxCache}). */
    private Btf(BtfParser.Index index, int[] nameSlots, int[] flavored) {
        this.base = null;
        this.firstId = 1;
        this.baseStrings = 0;
        this.index = index;
        this.cache = new BtfType[index.count()];
        this.names = new NameIndex(this, nameSlots);
        this.flavored = flavored;
        this.raw = null;
    }

    /**
     * Base BTF {@code data} as indexed before: {@code offsets} of its {@code count} types, the slots of its name
     * index and its flavored ids, as {@link #typeOffsets()}, {@link #nameSlots()} and {@link #flavoredIds()} gave them
     * for the same data.
     */
    static Btf indexed(ByteBuffer data, int[] offsets, int count, int[] nameSlots, int[] flavored) {
        return new Btf(BtfParser.indexed(data, offsets, count), nameSlots, flavored);
    }

    /** The BTF blob this table was parsed from (empty for one made by {@link #indexed}). */
    ByteBuffer raw() {
        return raw == null ? ByteBuffer.allocate(0) : raw.duplicate();
    }

    /** Where each own type starts in the type section (the first {@link #typeCount()} entries count). */
    int[] typeOffsets() {
        return index.offsets();
    }

    /** The name index's hash table, built now if it was not yet. */
    int[] nameSlots() {
        return nameIndex().slots();
    }

    /** Parses BTF (a {@code .BTF} section or raw BTF file); the byte order comes from the magic. */
    public static Btf parse(byte[] data) {
        return parse(ByteBuffer.wrap(data));
    }

    /**
     * Parses BTF from {@code data}'s position to its limit. The buffer is not copied: it must not change
     * afterwards.
     */
    public static Btf parse(ByteBuffer data) {
        return new Btf(data, null);
    }

    /** Parses split BTF whose type ids and string offsets continue from {@code base} (e.g. module BTF on vmlinux). */
    public static Btf parseSplit(byte[] data, Btf base) {
        return parseSplit(ByteBuffer.wrap(data), base);
    }

    /** As {@link #parseSplit(byte[], Btf)}, from a buffer that must not change afterwards. */
    public static Btf parseSplit(ByteBuffer data, Btf base) {
        return new Btf(data, java.util.Objects.requireNonNull(base, "base"));
    }

    /** Reads and parses a raw BTF file. */
    public static Btf read(Path file) {
        return parse(readAll(file));
    }

    /** Reads and parses a raw split BTF file on top of {@code base}. */
    public static Btf read(Path file, Btf base) {
        return parseSplit(readAll(file), base);
    }

    /** Builds BTF from types; type ids are 1, 2, … in list order (the list does not hold {@code void}). */
    public static Btf of(List<? extends BtfType> types) {
        return parse(BtfWriter.encode(types, ByteOrder.nativeOrder(), 1, null));
    }

    /** Builds split BTF on top of {@code base}; type ids continue from {@code base.nextTypeId()}. */
    public static Btf of(Btf base, List<? extends BtfType> types) {
        return parseSplit(BtfWriter.encode(types, ByteOrder.nativeOrder(), base.nextTypeId(), base), base);
    }

    private static byte[] readAll(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BTF from " + file + ": " + IoErrors.reason(e), e);
        }
    }

    /** The BTF this one is split from, if it is split BTF. */
    public Optional<Btf> base() {
        return Optional.ofNullable(base);
    }

    /** The byte order of the parsed data; {@link #encode()} uses it too. */
    public ByteOrder order() {
        return index.order();
    }

    /** The id of this table's first type: 1, or for split BTF the base's {@link #nextTypeId()}. */
    public int firstTypeId() {
        return firstId;
    }

    /** One past the highest type id: the id a type appended to this table would get. */
    public int nextTypeId() {
        return firstId + index.count();
    }

    /** The number of types in this table (not counting {@code void} or the base's types). */
    public int typeCount() {
        return index.count();
    }

    /** Where this table's string offsets end (string offsets of split BTF on top of this one start there). */
    int stringsEnd() {
        return baseStrings + index.strings().limit();
    }

    /**
     * The type with id {@code id}: 0 is {@link BtfType.Void}, ids below {@link #firstTypeId()} are the base's.
     *
     * @throws BtfException when there is no such type
     */
    public BtfType type(int id) {
        if (id >= firstId) {
            int i = id - firstId;
            if (i >= cache.length) throw new BtfException("no BTF type [" + id + "]: the highest id is "
                    + (nextTypeId() - 1));
            BtfType t = cache[i];
            if (t == null) cache[i] = t = decode(i);
            return t;
        }
        if (id == 0) return BtfType.Void.INSTANCE;
        if (base == null || id < 0) throw new BtfException("no BTF type [" + id + "]");
        return base.type(id);
    }

    /** The type with id {@code id}, which must be a {@code kind}. */
    public <T extends BtfType> T type(int id, Class<T> kind) {
        BtfType t = type(id);
        if (!kind.isInstance(t))
            throw new BtfException("BTF type [" + id + "] is " + t.kind() + " '" + t.name() + "', not "
                    + kind.getSimpleName());
        return kind.cast(t);
    }

    /** This table's own types in id order, starting at {@link #firstTypeId()}; decoded as they are read. */
    public List<BtfType> types() {
        return new TypeList();
    }

    private final class TypeList extends AbstractList<BtfType> implements RandomAccess {
        @Override
        public BtfType get(int i) {
            java.util.Objects.checkIndex(i, cache.length);
            return type(firstId + i);
        }

        @Override
        public int size() {
            return cache.length;
        }
    }

    /** The ids of all types (here and in the base) named {@code name}, in ascending order. */
    public List<Integer> typeIds(String name) {
        List<Integer> out = base == null ? new ArrayList<>() : new ArrayList<>(base.typeIds(name));
        for (int i : own(name)) out.add(firstId + i);
        return out;
    }

    /** The lowest id of a type of {@code kind} named {@code name} (looking in the base first). */
    public OptionalInt typeId(String name, BtfKind kind) {
        if (base != null) {
            OptionalInt b = base.typeId(name, kind);
            if (b.isPresent()) return b;
        }
        for (int i : own(name)) if (kindAt(i) == kind) return OptionalInt.of(firstId + i);
        return OptionalInt.empty();
    }

    /** The first type named {@code name} that is a {@code kind} (e.g. {@code BtfType.Struct.class}). */
    public <T extends BtfType> Optional<T> find(Class<T> kind, String name) {
        for (int id : typeIds(name)) {
            BtfType t = type(id);
            if (kind.isInstance(t)) return Optional.of(kind.cast(t));
        }
        return Optional.empty();
    }

    /** The id reached from {@code id} by skipping typedefs, const, volatile, restrict and type tags. */
    public int resolve(int id) {
        return BtfLayout.skip(this, id, true);
    }

    /** The type reached from {@code id} by skipping typedefs and modifiers. */
    public BtfType resolveType(int id) {
        return type(resolve(id));
    }

    /** The size in bytes of type {@code id} as C's {@code sizeof} would give it. */
    public long sizeOf(int id) {
        return BtfLayout.sizeOf(this, id);
    }

    /** The alignment in bytes of type {@code id} (1 for a packed struct). */
    public int alignOf(int id) {
        return BtfLayout.alignOf(this, id);
    }

    /**
     * The layout of type {@code id} as the Foreign Function &amp; Memory API describes memory: a struct as a
     * {@link java.lang.foreign.StructLayout} whose members carry the C field names at the C compiler's offsets
     * (holes are padding), a union as a {@link java.lang.foreign.UnionLayout}, an array as a
     * {@link java.lang.foreign.SequenceLayout}, integers, enums and pointers as value layouts of their size (a
     * pointer as a {@code long}), in {@link #order()}. Every value layout is byte-aligned, as packed structs and
     * events in ring buffers may place them anywhere. Bitfields have no byte layout and are left out as padding;
     * anonymous struct and union members keep no name. Made to bind a struct to a Java record by field name
     * (core's {@code StructCodec.ofBtf}), with names and sizes checked when the binding is made.
     *
     * @throws BtfException when the type has no layout (a function, void, an incomplete struct)
     */
    public MemoryLayout memoryLayout(int id) {
        return BtfLayout.memoryLayout(this, id);
    }

    /**
     * Encodes this table back to BTF bytes (header, types, strings), in {@link #order()}: what {@code BPF_BTF_LOAD}
     * takes. Split BTF encodes only its own types, with ids and string offsets continuing from the base.
     */
    public byte[] encode() {
        return BtfWriter.encode(types(), order(), firstId, base);
    }

    /**
     * Type {@code id} in bpftool's raw format, e.g.
     * {@code [1] INT 'long unsigned int' size=8 bits_offset=0 nr_bits=64 encoding=(none)}; members, enumerators,
     * parameters and section variables follow on lines starting with a tab.
     */
    public String describe(int id) {
        StringBuilder sb = new StringBuilder();
        BtfRawFormat.append(this, id, sb);
        return sb.toString();
    }

    /** Writes all of this table's types in bpftool's raw format, one {@link #describe(int)} per type. */
    public void writeRaw(Appendable out) throws IOException {
        StringBuilder sb = new StringBuilder(256);
        for (int id = firstId; id < nextTypeId(); id++) {
            sb.setLength(0);
            BtfRawFormat.append(this, id, sb);
            sb.append('\n');
            out.append(sb);
        }
    }

    @Override
    public String toString() {
        return "Btf[" + typeCount() + " types" + (base == null ? "" : ", split from ids 1-" + (firstId - 1)) + "]";
    }

    int alignCache(int id) {
        int[] a = aligns;
        return a == null || id >= a.length ? 0 : a[id];
    }

    void alignCache(int id, int align) {
        int[] a = aligns;
        if (a == null) aligns = a = new int[nextTypeId()];
        a[id] = align;
    }

    // ---- decoding ----

    /** The string at {@code off}: in the base below its end, else in this table's string section. */
    /** The string at offset {@code off} of the string section (names, and line info's file names and lines). */
    public String string(int off) {
        if (off == 0) return "";
        if (off < baseStrings) return base.string(off);
        ByteBuffer s = index.strings();
        int start = off - baseStrings;
        int end = start;
        while (s.get(end) != 0) end++; // the section ends with NUL: checked by the parser
        byte[] bytes = new byte[end - start];
        s.get(start, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The offset of string {@code s} here or in the base, or -1; the index is built on first use (split encoding). */
    int stringOffset(String s) {
        if (base != null) {
            int b = base.stringOffset(s);
            if (b >= 0) return b;
        }
        Map<String, Integer> m = stringOffsets;
        if (m == null) {
            synchronized (this) {
                m = stringOffsets;
                if (m == null) stringOffsets = m = buildStringOffsets();
            }
        }
        Integer off = m.get(s);
        return off == null ? -1 : off;
    }

    private Map<String, Integer> buildStringOffsets() {
        ByteBuffer s = index.strings();
        Map<String, Integer> m = new HashMap<>();
        for (int start = 0, i = 0; i < s.limit(); i++) {
            if (s.get(i) != 0) continue;
            byte[] bytes = new byte[i - start];
            s.get(start, bytes);
            m.putIfAbsent(new String(bytes, StandardCharsets.UTF_8), baseStrings + start);
            start = i + 1;
        }
        return m;
    }

    private BtfKind kindAt(int i) {
        return BtfKind.ofCode((index.types().getInt(index.offsets()[i] + 4) >>> 24) & 0x1f);
    }

    private BtfType decode(int i) {
        ByteBuffer b = index.types();
        int p = index.offsets()[i];
        String name = string(b.getInt(p));
        int info = b.getInt(p + 4);
        int vlen = info & 0xffff;
        boolean kflag = info < 0;
        int sizeOrType = b.getInt(p + 8);
        int x = p + 12;
        return switch (BtfKind.ofCode((info >>> 24) & 0x1f)) {
            case INT -> {
                int v = b.getInt(x);
                yield new BtfType.Int(name, sizeOrType, (v >>> 24) & 0x0f, (v >>> 16) & 0xff, v & 0xff);
            }
            case PTR -> new BtfType.Ptr(sizeOrType);
            case ARRAY -> new BtfType.Array(b.getInt(x), b.getInt(x + 4), b.getInt(x + 8));
            case STRUCT -> new BtfType.Struct(name, sizeOrType, members(x, vlen, kflag));
            case UNION -> new BtfType.Union(name, sizeOrType, members(x, vlen, kflag));
            case ENUM -> {
                BtfType.EnumValue[] vs = new BtfType.EnumValue[vlen];
                for (int k = 0; k < vlen; k++, x += 8) vs[k] = new BtfType.EnumValue(string(b.getInt(x)), b.getInt(x + 4));
                yield new BtfType.Enum(name, sizeOrType, kflag, List.of(vs));
            }
            case ENUM64 -> {
                BtfType.Enum64Value[] vs = new BtfType.Enum64Value[vlen];
                for (int k = 0; k < vlen; k++, x += 12)
                    vs[k] = new BtfType.Enum64Value(string(b.getInt(x)),
                            (Integer.toUnsignedLong(b.getInt(x + 4))) | ((long) b.getInt(x + 8) << 32));
                yield new BtfType.Enum64(name, sizeOrType, kflag, List.of(vs));
            }
            case FWD -> new BtfType.Fwd(name, kflag);
            case TYPEDEF -> new BtfType.Typedef(name, sizeOrType);
            case VOLATILE -> new BtfType.Volatile(sizeOrType);
            case CONST -> new BtfType.Const(sizeOrType);
            case RESTRICT -> new BtfType.Restrict(sizeOrType);
            case FUNC -> new BtfType.Func(name, sizeOrType, Linkage.values()[vlen]);
            case FUNC_PROTO -> {
                List<BtfType.Param> ps = new ArrayList<>(vlen);
                for (int k = 0; k < vlen; k++, x += 8) ps.add(new BtfType.Param(string(b.getInt(x)), b.getInt(x + 4)));
                yield new BtfType.FuncProto(sizeOrType, ps, false);
            }
            case VAR -> new BtfType.Var(name, sizeOrType, Linkage.values()[b.getInt(x)]);
            case DATASEC -> {
                BtfType.VarSecinfo[] vs = new BtfType.VarSecinfo[vlen];
                for (int k = 0; k < vlen; k++, x += 12)
                    vs[k] = new BtfType.VarSecinfo(b.getInt(x), b.getInt(x + 4), b.getInt(x + 8));
                yield new BtfType.Datasec(name, sizeOrType, List.of(vs));
            }
            case FLOAT -> new BtfType.Float(name, sizeOrType);
            case DECL_TAG -> new BtfType.DeclTag(name, sizeOrType, b.getInt(x), kflag);
            case TYPE_TAG -> new BtfType.TypeTag(name, sizeOrType, kflag);
            case VOID -> throw new IllegalStateException("the parser lets no VOID kind through");
        };
    }

    private List<BtfType.Member> members(int x, int vlen, boolean kflag) {
        ByteBuffer b = index.types();
        BtfType.Member[] ms = new BtfType.Member[vlen];
        for (int k = 0; k < vlen; k++, x += 12) {
            int off = b.getInt(x + 8);
            ms[k] = kflag ? new BtfType.Member(string(b.getInt(x)), b.getInt(x + 4), off & 0xffffff, off >>> 24)
                    : new BtfType.Member(string(b.getInt(x)), b.getInt(x + 4), off, 0);
        }
        return List.of(ms);
    }

    // ---- the name index ----

    /** Own type indexes (id - firstId) named {@code name}; the index is built on first use. */
    private int[] own(String name) {
        return nameIndex().find(name, index.types(), index.offsets());
    }

    private NameIndex nameIndex() {
        NameIndex m = names;
        if (m == null) {
            synchronized (this) {
                m = names;
                if (m == null) names = m = new NameIndex(this, index.types(), index.offsets(), index.count());
            }
        }
        return m;
    }

    /**
     * Own type ids whose names contain {@code ___} (CO-RE flavours, {@code task_struct___old}), found by reading
     * the names in place: decoding each of vmlinux's ~127k types would cost the start-up of every tool. Computed once;
     * the array is shared, not to be changed.
     */
    int[] flavoredIds() {
        int[] f = flavored;
        if (f == null) flavored = f = findFlavoredIds();
        return f;
    }

    private int[] findFlavoredIds() {
        ByteBuffer types = index.types(), strings = index.strings();
        int[] offsets = index.offsets();
        int[] out = new int[16];
        int n = 0;
        for (int i = 0; i < index.count(); i++) {
            int off = types.getInt(offsets[i]);
            if (off == 0 || off < baseStrings) continue;
            int run = 0;
            for (int p = off - baseStrings; p < strings.limit(); p++) {
                byte c = strings.get(p);
                if (c == 0) break;
                run = c == '_' ? run + 1 : 0;
                if (run == 3) {
                    if (n == out.length) out = java.util.Arrays.copyOf(out, n * 2);
                    out[n++] = firstTypeId() + i;
                    break;
                }
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** The hash {@link NameIndex} uses, of the string at {@code off}, read in place. */
    int hashString(int off) {
        if (off < baseStrings) return base.hashString(off);
        int h = NameIndex.hash(index.strings(), off - baseStrings);
        if (h != -1) return h;
        byte[] canonical = string(off).getBytes(StandardCharsets.UTF_8);
        return NameIndex.hash(canonical, canonical.length);
    }

    /** Whether the string at {@code off} is {@code q} (UTF-8), compared in place. */
    boolean stringEquals(int off, byte[] q, String name) {
        if (off < baseStrings) return base.stringEquals(off, q, name);
        ByteBuffer s = index.strings();
        int start = off - baseStrings;
        boolean same = start + q.length < s.limit() && s.get(start + q.length) == 0;
        for (int i = 0; same && i < q.length; i++) same = s.get(start + i) == q[i];
        // a name with bytes that are not valid UTF-8 only equals its decoded form
        return same || (NameIndex.hash(s, start) == -1 && string(off).equals(name));
    }
}
