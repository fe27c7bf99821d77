package io.bpf4j.core;

import io.bpf4j.core.btf.Btf;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A {@link Codec} for a fixed-size C struct, as a Java record whose components are the struct's fields.
 *
 * <p>Either give one layout per record component, in order, and let the codec place them as a C compiler would
 * (each field at its natural alignment, the struct padded to its largest alignment):
 * <pre>{@code
 * record Event(int pid, long bytes, String comm) {}
 * StructCodec<Event> codec = StructCodec.of(Event.class,
 *         JAVA_INT, JAVA_LONG, MemoryLayout.sequenceLayout(16, JAVA_BYTE));   // 32 bytes: pid, 4 pad, bytes, comm
 * }</pre>
 * or give the whole {@link StructLayout} with {@link #ofLayout}, fields named as the components (padding and
 * members without a name are skipped; when no member has a name, they are matched to the components in order).
 *
 * <p>How a component is read from its field layout:
 * <ul>
 * <li>a {@link ValueLayout} of the same size as the Java primitive (or its box): as is, in the layout's byte order
 *     ({@code JAVA_INT.withOrder(BIG_ENDIAN)} for a {@code __be32});</li>
 * <li>a {@code long}/{@code int} component with a smaller integer layout: read as unsigned (a {@code __u32} in a
 *     {@code long}, a {@code __u16} or {@code __u8} in an {@code int});</li>
 * <li>{@code boolean}: one byte, 0 = false;</li>
 * <li>a sequence of bytes: {@code byte[]} (exactly that many bytes) or {@code String} (a C char array, see
 *     {@link Codec#string(int)});</li>
 * <li>a sequence of {@code int}, {@code long} or {@code short}: {@code int[]}, {@code long[]}, {@code short[]};</li>
 * <li>a sequence of structs: an array of records, each read by these rules;</li>
 * <li>a {@link GroupLayout} (nested struct): a nested record, by the same rules.</li>
 * </ul>
 * Encoding zeroes the whole struct first, so padding is always 0 (hash keys compare all bytes).
 *
 * @param <R> the record type
 */
public final class StructCodec<R extends Record> implements Codec<R> {
    private final Class<R> type;
    private final StructLayout layout;
    private final int size;
    private final Field[] fields;
    private final MethodHandle constructor; // (Object[]) -> Object

    private record Field(String name, long offset, Codec<Object> codec, MethodHandle getter) {
    }

    private StructCodec(Class<R> type, StructLayout layout) {
        this.type = type;
        this.layout = layout;
        if (layout.byteSize() > Integer.MAX_VALUE) throw new IllegalArgumentException("struct too large: " + layout);
        this.size = (int) layout.byteSize();
        RecordComponent[] components = type.getRecordComponents();
        List<MemoryLayout> members = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        long off = 0;
        for (MemoryLayout m : layout.memberLayouts()) {
            if (!(m instanceof PaddingLayout)) {
                members.add(m);
                offsets.add(off);
            }
            off += m.byteSize();
        }
        boolean byName = members.stream().anyMatch(m -> m.name().isPresent());
        if (!byName && members.size() != components.length) {
            throw new IllegalArgumentException(type.getSimpleName() + " has " + components.length
                    + " components but the layout has " + members.size() + " (unnamed) fields: " + layout);
        }
        this.fields = new Field[components.length];
        Class<?>[] ctorTypes = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            ctorTypes[i] = c.getType();
            int index = i;
            if (byName) {
                index = -1;
                for (int j = 0; j < members.size(); j++) {
                    if (members.get(j).name().orElse("").equals(c.getName())) index = j;
                }
                if (index < 0) {
                    throw new IllegalArgumentException("the layout of " + type.getSimpleName() + " has no field named '"
                            + c.getName() + "': " + layout);
                }
            }
            String where = type.getSimpleName() + "." + c.getName();
            @SuppressWarnings("unchecked")
            Codec<Object> fc = (Codec<Object>) fieldCodec(c.getType(), members.get(index), where);
            MethodHandle getter = handle(c.getAccessor(), type)
                    .asType(MethodType.methodType(Object.class, Object.class));
            fields[i] = new Field(c.getName(), offsets.get(index), fc, getter);
        }
        try {
            Constructor<R> ctor = type.getDeclaredConstructor(ctorTypes);
            this.constructor = handle(ctor, type).asSpreader(Object[].class, components.length)
                    .asType(MethodType.methodType(Object.class, Object[].class));
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException(type.getName() + " has no canonical constructor", e);
        }
    }

    /**
     * A codec for {@code type} with one field layout per record component, in component order, laid out with C's
     * alignment rules (the layouts' own alignment decides; use {@code withByteAlignment(1)} for packed fields).
     */
    public static <R extends Record> StructCodec<R> of(Class<R> type, MemoryLayout... fieldLayouts) {
        Objects.requireNonNull(type, "type");
        RecordComponent[] components = type.getRecordComponents();
        if (components == null) throw new IllegalArgumentException(type.getName() + " is not a record");
        if (fieldLayouts.length != components.length) {
            throw new IllegalArgumentException(type.getSimpleName() + " has " + components.length
                    + " components; give one layout for each, in order (got " + fieldLayouts.length + ")");
        }
        List<MemoryLayout> members = new ArrayList<>();
        long offset = 0, maxAlign = 1;
        for (int i = 0; i < fieldLayouts.length; i++) {
            MemoryLayout f = fieldLayouts[i];
            long align = f.byteAlignment();
            maxAlign = Math.max(maxAlign, align);
            long aligned = (offset + align - 1) / align * align;
            if (aligned > offset) members.add(MemoryLayout.paddingLayout(aligned - offset));
            members.add(f.withName(components[i].getName()));
            offset = aligned + f.byteSize();
        }
        long total = (offset + maxAlign - 1) / maxAlign * maxAlign;
        if (total > offset) members.add(MemoryLayout.paddingLayout(total - offset));
        return new StructCodec<>(type, MemoryLayout.structLayout(members.toArray(MemoryLayout[]::new)));
    }

    /**
     * A codec for {@code type} following {@code layout}: members are matched to components by name (or, when no
     * member is named, in order); padding is skipped.
     */
    public static <R extends Record> StructCodec<R> ofLayout(Class<R> type, StructLayout layout) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(layout, "layout");
        if (!type.isRecord()) throw new IllegalArgumentException(type.getName() + " is not a record");
        return new StructCodec<>(type, layout);
    }

    /**
     * A codec for {@code type} bound to the struct {@code typeId} of {@code btf} (an object's own BTF, e.g. the
     * value type of one of its maps) by field name, through {@link Btf#memoryLayout}: a component with no field of
     * its name, or one whose Java type cannot hold the field (an {@code int} for a {@code __u64}, an {@code int[]}
     * of another length), is an {@link IllegalArgumentException} naming the component, now rather than when
     * values are read. Fields the record leaves out are skipped.
     *
     * @throws IllegalArgumentException when {@code typeId} is not a struct, or the record does not fit it
     */
    public static <R extends Record> StructCodec<R> ofBtf(Class<R> type, Btf btf, int typeId) {
        Objects.requireNonNull(btf, "btf");
        if (!(btf.memoryLayout(typeId) instanceof StructLayout layout)) {
            throw new IllegalArgumentException(type.getSimpleName() + ": BTF type [" + typeId + "] is "
                    + btf.describe(typeId) + ", not a struct");
        }
        return ofLayout(type, layout);
    }

    /** The struct's layout, padding included, fields named as the record components. */
    public StructLayout layout() {
        return layout;
    }

    /** The record type. */
    public Class<R> type() {
        return type;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public void encode(R value, MemorySegment to, long offset) {
        Objects.requireNonNull(value, "value");
        to.asSlice(offset, size).fill((byte) 0);
        for (Field f : fields) {
            Object v;
            try {
                v = f.getter.invokeExact((Object) value);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (v == null) {
                throw new NullPointerException(type.getSimpleName() + "." + f.name + " is null: it cannot be encoded");
            }
            f.codec.encode(v, to, offset + f.offset);
        }
    }

    @Override
    public R decode(MemorySegment from, long offset) {
        Object[] args = new Object[fields.length];
        for (int i = 0; i < fields.length; i++) {
            args[i] = fields[i].codec.decode(from, offset + fields[i].offset);
        }
        try {
            return type.cast(constructor.invokeExact(args));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public String toString() {
        return "StructCodec[" + type.getSimpleName() + ", " + size + " bytes, " + layout + "]";
    }

    private static Codec<?> fieldCodec(Class<?> jt, MemoryLayout l, String where) {
        if (l instanceof ValueLayout vl) {
            ValueLayout u = vl.withByteAlignment(1);
            long n = vl.byteSize();
            boolean integral = !(vl instanceof ValueLayout.OfFloat || vl instanceof ValueLayout.OfDouble
                    || vl instanceof ValueLayout.OfBoolean || vl instanceof ValueLayout.OfChar
                    || vl instanceof java.lang.foreign.AddressLayout);
            if ((jt == long.class || jt == Long.class) && integral && n <= 8) {
                return Codecs.fixed((int) n, (Long v, MemorySegment s, long o) -> putInt(s, u, o, v),
                        (s, o) -> getUnsigned(s, u, o));
            }
            if ((jt == int.class || jt == Integer.class) && integral && n <= 4) {
                return Codecs.fixed((int) n, (Integer v, MemorySegment s, long o) -> putInt(s, u, o, v),
                        (s, o) -> (int) getUnsigned(s, u, o));
            }
            if ((jt == short.class || jt == Short.class) && integral && n == 2) {
                return Codecs.fixed(2, (Short v, MemorySegment s, long o) -> putInt(s, u, o, v),
                        (s, o) -> (short) getUnsigned(s, u, o));
            }
            if ((jt == byte.class || jt == Byte.class) && integral && n == 1) {
                return Codecs.fixed(1, (Byte v, MemorySegment s, long o) -> s.set(JAVA_BYTE, o, v),
                        (s, o) -> s.get(JAVA_BYTE, o));
            }
            if ((jt == boolean.class || jt == Boolean.class) && n == 1) return Codec.BOOLEAN;
            if ((jt == float.class || jt == Float.class) && vl instanceof ValueLayout.OfFloat f) {
                ValueLayout.OfFloat uf = f.withByteAlignment(1);
                return Codecs.fixed(4, (Float v, MemorySegment s, long o) -> s.set(uf, o, v), (s, o) -> s.get(uf, o));
            }
            if ((jt == double.class || jt == Double.class) && vl instanceof ValueLayout.OfDouble d) {
                ValueLayout.OfDouble ud = d.withByteAlignment(1);
                return Codecs.fixed(8, (Double v, MemorySegment s, long o) -> s.set(ud, o, v), (s, o) -> s.get(ud, o));
            }
        } else if (l instanceof SequenceLayout sl) {
            MemoryLayout e = sl.elementLayout();
            int count = Math.toIntExact(sl.elementCount());
            if (e.byteSize() == 1 && e instanceof ValueLayout) {
                if (jt == byte[].class) return Codec.bytes(count);
                if (jt == String.class) return Codec.string(count);
            }
            if (jt == int[].class && e.byteSize() == 4 && e instanceof ValueLayout.OfInt ei) {
                ValueLayout.OfInt u = ei.withByteAlignment(1);
                return Codecs.fixed(4 * count, (int[] v, MemorySegment s, long o) -> {
                    checkLength(v.length, count, where);
                    for (int i = 0; i < count; i++) s.set(u, o + 4L * i, v[i]);
                }, (s, o) -> {
                    int[] v = new int[count];
                    for (int i = 0; i < count; i++) v[i] = s.get(u, o + 4L * i);
                    return v;
                });
            }
            if (jt == long[].class && e.byteSize() == 8 && e instanceof ValueLayout.OfLong el) {
                ValueLayout.OfLong u = el.withByteAlignment(1);
                return Codecs.fixed(8 * count, (long[] v, MemorySegment s, long o) -> {
                    checkLength(v.length, count, where);
                    for (int i = 0; i < count; i++) s.set(u, o + 8L * i, v[i]);
                }, (s, o) -> {
                    long[] v = new long[count];
                    for (int i = 0; i < count; i++) v[i] = s.get(u, o + 8L * i);
                    return v;
                });
            }
            if (jt == short[].class && e.byteSize() == 2 && e instanceof ValueLayout.OfShort es) {
                ValueLayout.OfShort u = es.withByteAlignment(1);
                return Codecs.fixed(2 * count, (short[] v, MemorySegment s, long o) -> {
                    checkLength(v.length, count, where);
                    for (int i = 0; i < count; i++) s.set(u, o + 2L * i, v[i]);
                }, (s, o) -> {
                    short[] v = new short[count];
                    for (int i = 0; i < count; i++) v[i] = s.get(u, o + 2L * i);
                    return v;
                });
            }
            if (jt.isArray() && jt.getComponentType().isRecord() && e instanceof StructLayout el) {
                return recordArray(jt.getComponentType(), el, count, where);
            }
        } else if (l instanceof StructLayout gl && jt.isRecord()) {
            @SuppressWarnings({"unchecked", "rawtypes"})
            Codec<?> nested = new StructCodec(jt, gl);
            return nested;
        }
        throw new IllegalArgumentException(where + ": a " + jt.getSimpleName() + " component cannot be read from the "
                + "layout " + l + " (see StructCodec's Javadoc for the supported pairs)");
    }

    /** An array of {@code count} nested structs as an array of records of {@code type}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Codec<Object[]> recordArray(Class<?> type, StructLayout element, int count, String where) {
        StructCodec<Record> codec = new StructCodec(type, element);
        long stride = element.byteSize();
        return Codecs.fixed(Math.toIntExact(stride * count), (Object[] v, MemorySegment s, long o) -> {
            checkLength(v.length, count, where);
            for (int i = 0; i < count; i++) codec.encode((Record) v[i], s, o + stride * i);
        }, (s, o) -> {
            Object[] v = (Object[]) Array.newInstance(type, count);
            for (int i = 0; i < count; i++) v[i] = codec.decode(s, o + stride * i);
            return v;
        });
    }

    private static void checkLength(int got, int want, String where) {
        if (got != want) throw new IllegalArgumentException(where + ": expected " + want + " elements, got " + got);
    }

    private static void putInt(MemorySegment s, ValueLayout l, long o, long v) {
        switch (l) {
            case ValueLayout.OfByte b -> s.set(b, o, (byte) v);
            case ValueLayout.OfShort sh -> s.set(sh, o, (short) v);
            case ValueLayout.OfChar c -> s.set(c, o, (char) v);
            case ValueLayout.OfInt i -> s.set(i, o, (int) v);
            case ValueLayout.OfLong lo -> s.set(lo, o, v);
            default -> throw new IllegalStateException("not an integer layout: " + l);
        }
    }

    private static long getUnsigned(MemorySegment s, ValueLayout l, long o) {
        return switch (l) {
            case ValueLayout.OfByte b -> Byte.toUnsignedLong(s.get(b, o));
            case ValueLayout.OfShort sh -> Short.toUnsignedLong(s.get(sh, o));
            case ValueLayout.OfChar c -> s.get(c, o);
            case ValueLayout.OfInt i -> Integer.toUnsignedLong(s.get(i, o));
            case ValueLayout.OfLong lo -> s.get(lo, o);
            default -> throw new IllegalStateException("not an integer layout: " + l);
        };
    }

    private static MethodHandle handle(Object member, Class<?> type) {
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        try {
            return member instanceof Method m ? lookup.unreflect(m)
                    : lookup.unreflectConstructor((Constructor<?>) member);
        } catch (IllegalAccessException e) {
            try {
                if (member instanceof Method m) {
                    m.setAccessible(true);
                    return lookup.unreflect(m);
                }
                Constructor<?> c = (Constructor<?>) member;
                c.setAccessible(true);
                return lookup.unreflectConstructor(c);
            } catch (IllegalAccessException | InaccessibleObjectException e2) {
                throw new IllegalArgumentException("bpf4j cannot access record " + type.getName()
                        + ": make it public, or open its package to bpf4j", e2);
            }
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
