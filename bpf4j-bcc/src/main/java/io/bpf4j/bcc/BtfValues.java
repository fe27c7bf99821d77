package io.bpf4j.bcc;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.events.RecordDecoder;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Java values to and from the bytes of a BTF-described C type: what a bcc table key or value holds. Decoding is
 * {@link RecordDecoder#decodeValue}'s (integers as {@code Long}, char arrays as {@code String}, structs as
 * {@link BtfRecord}…); encoding takes the same shapes back, a struct also as a {@code Map} of its fields, and any
 * type as {@code byte[]} of its exact size.
 */
final class BtfValues {
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private BtfValues() {
    }

    /** Decodes a value of type {@code typeId} (0: no BTF, an unsigned integer of {@code size} bytes, or bytes). */
    static Object decode(Btf btf, int typeId, byte[] bytes) {
        MemorySegment seg = MemorySegment.ofArray(bytes);
        if (btf == null || typeId == 0) return untyped(seg, bytes);
        return RecordDecoder.decodeValue(btf, typeId, seg);
    }

    private static Object untyped(MemorySegment seg, byte[] bytes) {
        ValueLayout.OfLong u64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());
        return switch (bytes.length) {
            case 1 -> (long) Byte.toUnsignedInt(bytes[0]);
            case 2 -> (long) Short.toUnsignedInt(seg.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0));
            case 4 -> Integer.toUnsignedLong(seg.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
            case 8 -> seg.get(u64, 0);
            default -> bytes.clone();
        };
    }

    /**
     * Encodes {@code value} as type {@code typeId} into {@code size} bytes (zeroed first, so a hash key's padding
     * is always 0).
     *
     * @throws IllegalArgumentException when {@code value} does not fit the type; the message names both
     */
    static byte[] encode(Btf btf, int typeId, int size, Object value) {
        byte[] out = new byte[size];
        if (value instanceof byte[] b) {
            if (b.length != size) {
                throw new IllegalArgumentException("a " + size + "-byte value cannot be given as " + b.length
                        + " bytes");
            }
            return b.clone();
        }
        MemorySegment seg = MemorySegment.ofArray(out);
        if (btf == null || typeId == 0) {
            if (!(value instanceof Number n)) {
                throw new IllegalArgumentException("the map has no BTF type: give a number or " + size + " bytes, "
                        + "not " + value.getClass().getSimpleName());
            }
            integer(seg, 0, size, n.longValue());
            return out;
        }
        write(btf, typeId, seg, 0, value);
        return out;
    }

    private static void write(Btf btf, int typeId, MemorySegment seg, long at, Object value) {
        BtfType t = btf.resolveType(typeId);
        switch (t) {
            case BtfType.Int i when value instanceof Boolean b -> integer(seg, at, i.size(), b ? 1 : 0);
            case BtfType.Int i -> integer(seg, at, i.size(), number(value, btf, typeId));
            case BtfType.Enum e -> integer(seg, at, e.size(), enumValue(e, value, btf, typeId));
            case BtfType.Enum64 e -> integer(seg, at, e.size(), number(value, btf, typeId));
            case BtfType.Ptr p -> integer(seg, at, 8, value instanceof BtfRecord.Pointer ptr ? ptr.address()
                    : number(value, btf, typeId));
            case BtfType.Float f when f.size() == 8 -> seg.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, at,
                    ((Number) value).doubleValue());
            case BtfType.Float f -> seg.set(ValueLayout.JAVA_FLOAT_UNALIGNED, at, ((Number) value).floatValue());
            case BtfType.Array a when value instanceof String s -> {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                if (b.length >= a.count()) {
                    throw new IllegalArgumentException("\"" + s + "\" does not fit " + btf.describe(typeId)
                            + " (" + (a.count() - 1) + " bytes at most)");
                }
                MemorySegment.copy(b, 0, seg, BYTE, at, b.length);
            }
            case BtfType.Array a when value instanceof List<?> list -> {
                long stride = btf.sizeOf(a.type());
                if (list.size() > a.count()) {
                    throw new IllegalArgumentException(list.size() + " elements do not fit " + btf.describe(typeId));
                }
                for (int k = 0; k < list.size(); k++) write(btf, a.type(), seg, at + k * stride, list.get(k));
            }
            case BtfType.Composite c -> {
                Map<String, Object> fields = value instanceof BtfRecord r ? r.asMap()
                        : value instanceof Map<?, ?> m ? castMap(m) : null;
                if (fields == null) {
                    throw new IllegalArgumentException(btf.describe(typeId) + " is given as a BtfRecord or a Map of "
                            + "its fields, not " + value.getClass().getSimpleName());
                }
                writeFields(btf, c, seg, at * 8, fields);
            }
            default -> throw new IllegalArgumentException("cannot write a value of " + btf.describe(typeId));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    private static void writeFields(Btf btf, BtfType.Composite c, MemorySegment seg, long baseBits,
                                    Map<String, Object> fields) {
        List<BtfType.Member> members = c instanceof BtfType.Struct s ? s.members() : ((BtfType.Union) c).members();
        for (BtfType.Member m : members) {
            long bits = baseBits + m.bitOffset();
            if (m.name().isEmpty() && btf.resolveType(m.type()) instanceof BtfType.Composite inner) {
                writeFields(btf, inner, seg, bits, fields); // anonymous members read as the outer struct's
                continue;
            }
            Object v = fields.get(m.name());
            if (v == null) continue; // left 0, as C's {} initialiser leaves it
            if (m.bitfieldSize() > 0) {
                throw new IllegalArgumentException("bit field '" + m.name() + "' cannot be written from Java");
            }
            write(btf, m.type(), seg, bits / 8, v);
        }
    }

    private static long number(Object value, Btf btf, int typeId) {
        if (value instanceof Number n) return n.longValue();
        if (value instanceof Character ch) return ch;
        throw new IllegalArgumentException(btf.describe(typeId) + " is given as a number, not "
                + value.getClass().getSimpleName());
    }

    private static long enumValue(BtfType.Enum e, Object value, Btf btf, int typeId) {
        if (value instanceof String name) {
            for (BtfType.EnumValue v : e.values()) if (v.name().equals(name)) return v.value();
            throw new IllegalArgumentException("no value '" + name + "' in " + btf.describe(typeId));
        }
        return number(value, btf, typeId);
    }

    private static void integer(MemorySegment seg, long at, int size, long v) {
        ByteOrder order = ByteOrder.nativeOrder();
        switch (size) {
            case 1 -> seg.set(BYTE, at, (byte) v);
            case 2 -> seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order), at, (short) v);
            case 4 -> seg.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(order), at, (int) v);
            case 8 -> seg.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order), at, v);
            default -> throw new IllegalArgumentException("no " + size + "-byte integer");
        }
    }
}
