package io.bpf4j.core.events;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfException;
import io.bpf4j.core.btf.BtfType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes raw bytes — a ring buffer record, a perf sample, a map value — into a {@link BtfRecord}, using the
 * object's own BTF description of the C type: no layout is written by hand. The type is analysed once, when the
 * decoder is made; decoding then only reads the fields, so one decoder serves millions of events per second.
 * A decoder is immutable and thread-safe.
 */
public final class RecordDecoder {
    /** Reads one value at {@code base} in {@code seg}. */
    @FunctionalInterface
    interface Reader {
        Object read(MemorySegment seg, long base);
    }

    private final Btf btf;
    private final String typeName;
    private final List<String> names;
    private final long[] offsets;
    private final Reader[] readers;
    private final long size;

    private RecordDecoder(Btf btf, String typeName, List<String> names, long[] offsets, Reader[] readers,
                          long size) {
        this.btf = btf;
        this.typeName = typeName;
        this.names = names;
        this.offsets = offsets;
        this.readers = readers;
        this.size = size;
    }

    /** A decoder for the struct or union named {@code name} in {@code btf}, e.g. {@code "event"}. */
    public static RecordDecoder forStruct(Btf btf, String name) {
        for (int id : btf.typeIds(name)) {
            if (btf.type(id) instanceof BtfType.Composite) return forType(btf, id);
        }
        throw new IllegalArgumentException("no struct or union named '" + name + "' in this BTF");
    }

    /** A decoder for the struct or union with type id {@code typeId} (typedefs and modifiers are skipped). */
    public static RecordDecoder forType(Btf btf, int typeId) {
        int id = btf.resolve(typeId);
        if (!(btf.type(id) instanceof BtfType.Composite c)) {
            throw new IllegalArgumentException("type [" + typeId + "] is " + btf.describe(typeId)
                    + ", not a struct or union: decode it with a decoder for the struct that holds it");
        }
        List<String> names = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        List<Reader> readers = new ArrayList<>();
        flatten(btf, c, 0, names, offsets, readers);
        return new RecordDecoder(btf, name(c), List.copyOf(names),
                offsets.stream().mapToLong(Long::longValue).toArray(), readers.toArray(Reader[]::new),
                btf.sizeOf(id));
    }

    /** The number of bytes the C type occupies; shorter input is refused. */
    public long size() {
        return size;
    }

    /** The BTF this decoder reads types from. */
    public Btf btf() {
        return btf;
    }

    /** Decodes the record that starts at the beginning of {@code data}. */
    public BtfRecord decode(MemorySegment data) {
        if (data.byteSize() < size) {
            throw new IllegalArgumentException("a " + (typeName.isEmpty() ? "record" : "struct " + typeName)
                    + " needs " + size + " bytes, got " + data.byteSize());
        }
        Object[] values = new Object[readers.length];
        for (int i = 0; i < readers.length; i++) values[i] = readers[i].read(data, offsets[i]);
        return new BtfRecord(typeName, names, values);
    }

    /** Decodes {@code data} (a copy of a record). */
    public BtfRecord decode(byte[] data) {
        return decode(MemorySegment.ofArray(data));
    }

    /**
     * Decodes one value of any BTF type — an integer, enum, char array, struct… — from the start of
     * {@code data}: what a map's key or value holds. Analyses the type on every call; for a stream of values of
     * one struct type, make a decoder with {@link #forType} instead.
     */
    public static Object decodeValue(Btf btf, int typeId, MemorySegment data) {
        return reader(btf, typeId).read(data, 0);
    }

    /** Field names as decoded (anonymous members flattened), in order. */
    public List<String> fieldNames() {
        return names;
    }

    private static String name(BtfType.Composite c) {
        return c instanceof BtfType.Struct s ? s.name() : ((BtfType.Union) c).name();
    }

    private static List<BtfType.Member> members(BtfType.Composite c) {
        return c instanceof BtfType.Struct s ? s.members() : ((BtfType.Union) c).members();
    }

    /** Adds the members of {@code c} at {@code baseBits}, anonymous struct/union members inlined. */
    private static void flatten(Btf btf, BtfType.Composite c, long baseBits, List<String> names, List<Long> offsets,
                                List<Reader> readers) {
        for (BtfType.Member m : members(c)) {
            long bits = baseBits + m.bitOffset();
            BtfType t = btf.resolveType(m.type());
            if (m.name().isEmpty() && t instanceof BtfType.Composite inner) {
                flatten(btf, inner, bits, names, offsets, readers);
                continue;
            }
            if (m.name().isEmpty()) continue; // unnamed padding bitfield
            names.add(m.name());
            if (m.bitfieldSize() > 0) {
                offsets.add(0L);
                readers.add(bitfield(t, bits, m.bitfieldSize()));
            } else {
                if (bits % 8 != 0) throw new BtfException("member '" + m.name() + "' is not byte-aligned");
                offsets.add(bits / 8);
                readers.add(reader(btf, m.type()));
            }
        }
    }

    /** A reader for any value of type {@code typeId}. */
    static Reader reader(Btf btf, int typeId) {
        BtfType t = btf.resolveType(typeId);
        return switch (t) {
            case BtfType.Int i when (i.encoding() & BtfType.Int.BOOL) != 0 -> {
                Reader n = integer(i.size(), false);
                yield (seg, base) -> (Long) n.read(seg, base) != 0;
            }
            case BtfType.Int i -> integer(i.size(), i.signed());
            case BtfType.Enum e -> {
                Reader n = integer(e.size(), e.signed());
                yield (seg, base) -> {
                    long v = (Long) n.read(seg, base);
                    for (BtfType.EnumValue ev : e.values()) if (ev.value() == v) return ev.name();
                    return v;
                };
            }
            case BtfType.Enum64 e -> {
                Reader n = integer(e.size(), e.signed());
                yield (seg, base) -> {
                    long v = (Long) n.read(seg, base);
                    for (BtfType.Enum64Value ev : e.values()) if (ev.value() == v) return ev.name();
                    return v;
                };
            }
            case BtfType.Float f when f.size() == 4 -> (seg, base) -> (double) seg.get(FLOAT, base);
            case BtfType.Float f when f.size() == 8 -> (seg, base) -> seg.get(DOUBLE, base);
            case BtfType.Ptr p -> (seg, base) -> new BtfRecord.Pointer(seg.get(LONG, base));
            case BtfType.Array a when isChar(btf, a.type()) -> (seg, base) -> cString(seg, base, a.count());
            case BtfType.Array a -> {
                Reader element = reader(btf, a.type());
                long stride = btf.sizeOf(a.type());
                int count = a.count();
                yield (seg, base) -> {
                    List<Object> list = new ArrayList<>(count);
                    for (int k = 0; k < count; k++) list.add(element.read(seg, base + k * stride));
                    return list;
                };
            }
            case BtfType.Composite c -> {
                RecordDecoder nested = forType(btf, btf.resolve(typeId));
                yield (seg, base) -> nested.decode(seg.asSlice(base, nested.size));
            }
            default -> throw new IllegalArgumentException("cannot decode a value of type " + btf.describe(typeId));
        };
    }

    /** Arrays of plain {@code char} are text; arrays of {@code unsigned char} / {@code __u8} are data. */
    private static boolean isChar(Btf btf, int typeId) {
        return btf.resolveType(typeId) instanceof BtfType.Int i && i.size() == 1
                && ((i.encoding() & BtfType.Int.CHAR) != 0 || i.name().equals("char"));
    }

    private static String cString(MemorySegment seg, long base, int max) {
        int n = 0;
        while (n < max && seg.get(ValueLayout.JAVA_BYTE, base + n) != 0) n++;
        byte[] b = new byte[n];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, base, b, 0, n);
        return new String(b, StandardCharsets.UTF_8);
    }

    // Event data is in the machine's byte order and may sit at any alignment in a ring buffer or perf sample.
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    private static final ValueLayout.OfDouble DOUBLE =
            ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    private static Reader integer(int size, boolean signed) {
        return switch (size) {
            case 1 -> signed ? (seg, base) -> (long) seg.get(ValueLayout.JAVA_BYTE, base)
                    : (seg, base) -> (long) Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, base));
            case 2 -> signed ? (seg, base) -> (long) seg.get(SHORT, base)
                    : (seg, base) -> (long) Short.toUnsignedInt(seg.get(SHORT, base));
            case 4 -> signed ? (seg, base) -> (long) seg.get(INT, base)
                    : (seg, base) -> Integer.toUnsignedLong(seg.get(INT, base));
            case 8 -> (seg, base) -> seg.get(LONG, base);
            // __int128: the low 64 bits (little-endian), which is what bpftrace prints as well
            case 16 -> (seg, base) -> seg.get(LONG, base);
            default -> throw new IllegalArgumentException("integers of " + size + " bytes are not supported");
        };
    }

    /** A bitfield of {@code width} bits at absolute bit offset {@code bits} (little-endian bit numbering). */
    private static Reader bitfield(BtfType t, long bits, int width) {
        boolean signed = t instanceof BtfType.Int i ? i.signed()
                : t instanceof BtfType.Enum e ? e.signed() : t instanceof BtfType.Enum64 e64 && e64.signed();
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalArgumentException("bitfields are decoded on little-endian machines only");
        }
        long firstByte = bits / 8;
        int shift = (int) (bits % 8);
        int bytes = (shift + width + 7) / 8;
        return (seg, base) -> {
            long raw = 0;
            for (int k = 0; k < bytes && k < 8; k++) {
                raw |= Byte.toUnsignedLong(seg.get(ValueLayout.JAVA_BYTE, firstByte + k)) << (8 * k);
            }
            long v = raw >>> shift;
            if (width < 64) {
                v &= (1L << width) - 1;
                if (signed && (v & (1L << (width - 1))) != 0) v |= -1L << width;
            }
            return v;
        };
    }
}
