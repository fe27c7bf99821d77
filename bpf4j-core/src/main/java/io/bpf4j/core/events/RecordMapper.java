package io.bpf4j.core.events;

import io.bpf4j.core.btf.Btf;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Decodes raw bytes into the user's own Java record, matching record components to the C struct's fields by
 * name — the bcc way without bcc's ctypes copy of every struct. Components may be primitives or their boxes,
 * {@code String} (char arrays, enum values), Java enums (matched to the C enum value's name, case-insensitive,
 * with or without the C name's prefix: {@code STATE_RUNNING} matches {@code RUNNING}),
 * nested records (nested structs), {@code List<?>}, or {@link BtfRecord}. A component with no field of that
 * name is an error when the mapper is made, not when events arrive.
 *
 * <pre>{@code
 * record Event(int pid, String comm, long ts) {}
 * RecordMapper<Event> events = RecordMapper.of(spec.btf(), "event", Event.class);
 * ringBuffer = RingBuffer.open(map, rec -> handle(events.decode(rec)));
 * }</pre>
 *
 * @param <R> the record type
 */
public final class RecordMapper<R extends Record> {
    private final RecordDecoder decoder;
    private final Class<R> type;
    private final int[] fieldIndex;
    private final Function<Object, Object>[] converters;
    private final MethodHandle constructor;

    private RecordMapper(RecordDecoder decoder, Class<R> type, int[] fieldIndex, Function<Object, Object>[] converters,
                         MethodHandle constructor) {
        this.decoder = decoder;
        this.type = type;
        this.fieldIndex = fieldIndex;
        this.converters = converters;
        this.constructor = constructor;
    }

    /** A mapper from the struct named {@code structName} in {@code btf} to {@code type}. */
    public static <R extends Record> RecordMapper<R> of(Btf btf, String structName, Class<R> type) {
        return of(RecordDecoder.forStruct(btf, structName), type);
    }

    /** A mapper from what {@code decoder} decodes to {@code type}. */
    public static <R extends Record> RecordMapper<R> of(RecordDecoder decoder, Class<R> type) {
        return build(decoder, decoder.fieldNames(), type, "the C struct");
    }

    @SuppressWarnings("unchecked")
    private static <R extends Record> RecordMapper<R> build(RecordDecoder decoder, List<String> fields,
                                                            Class<R> type, String what) {
        RecordComponent[] components = type.getRecordComponents();
        int[] index = new int[components.length];
        Function<Object, Object>[] conv = new Function[components.length];
        Class<?>[] params = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            index[i] = fields.indexOf(c.getName());
            if (index[i] < 0) {
                throw new IllegalArgumentException("record " + type.getSimpleName() + " has a component '"
                        + c.getName() + "' but " + what + " has no such field; its fields are " + fields);
            }
            conv[i] = converter(c.getType(), type.getSimpleName() + "." + c.getName());
            params[i] = c.getType();
        }
        try {
            Constructor<R> ctor = type.getDeclaredConstructor(params);
            ctor.setAccessible(true); // records declared package-private in the user's code
            MethodHandle mh = MethodHandles.lookup().unreflectConstructor(ctor);
            return new RecordMapper<>(decoder, type, index, conv, mh.asSpreader(Object[].class, params.length));
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("cannot call the canonical constructor of " + type.getName()
                    + " (a record in a module must open its package to bpf4j)", e);
        }
    }

    /** Decodes one record from the start of {@code data}. */
    public R decode(MemorySegment data) {
        return fromRecord(decoder.decode(data));
    }

    /** Decodes one record from a copy of its bytes. */
    public R decode(byte[] data) {
        return decode(MemorySegment.ofArray(data));
    }

    private R fromRecord(BtfRecord rec) {
        Object[] args = new Object[fieldIndex.length];
        List<String> names = rec.fieldNames();
        for (int i = 0; i < args.length; i++) {
            args[i] = converters[i].apply(rec.get(names.get(fieldIndex[i])));
        }
        try {
            return type.cast(constructor.invoke(args));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("constructing " + type.getName() + " failed", t);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Function<Object, Object> converter(Class<?> to, String where) {
        if (to == long.class || to == Long.class) return v -> number(v, where);
        if (to == int.class || to == Integer.class) return v -> (int) number(v, where);
        if (to == short.class || to == Short.class) return v -> (short) number(v, where);
        if (to == byte.class || to == Byte.class) return v -> (byte) number(v, where);
        if (to == char.class || to == Character.class) return v -> (char) number(v, where);
        if (to == boolean.class || to == Boolean.class) {
            return v -> v instanceof Boolean b ? b : number(v, where) != 0;
        }
        if (to == double.class || to == Double.class) return v -> v instanceof Double d ? d : (double) number(v, where);
        if (to == float.class || to == Float.class) {
            return v -> v instanceof Double d ? d.floatValue() : (float) number(v, where);
        }
        if (to == String.class) return String::valueOf;
        if (to == BtfRecord.class || to == Object.class || to == List.class) return v -> v;
        if (to.isEnum()) {
            Class<? extends Enum> e = (Class<? extends Enum>) to;
            return v -> {
                String name = String.valueOf(v);
                for (Enum constant : e.getEnumConstants()) {
                    String upper = name.toUpperCase(Locale.ROOT);
                    if (upper.equals(constant.name().toUpperCase(Locale.ROOT))
                            || upper.endsWith("_" + constant.name().toUpperCase(Locale.ROOT))) {
                        return constant;
                    }
                }
                throw new IllegalArgumentException(where + ": no constant of " + e.getSimpleName() + " matches '"
                        + name + "'");
            };
        }
        if (to.isRecord()) {
            Class<? extends Record> r = (Class<? extends Record>) to;
            // Built from the first value: the nested struct's field names come with it.
            return new Function<>() {
                private volatile RecordMapper<? extends Record> nested;

                @Override
                public Object apply(Object v) {
                    if (!(v instanceof BtfRecord rec)) {
                        throw new IllegalArgumentException(where + " is a record but the C field holds " + v);
                    }
                    RecordMapper<? extends Record> m = nested;
                    if (m == null) nested = m = build(null, rec.fieldNames(), r, "the nested C struct");
                    return m.fromRecord(rec);
                }
            };
        }
        throw new IllegalArgumentException(where + ": components of type " + to.getName() + " are not supported "
                + "(use a primitive, String, an enum, a record, List or BtfRecord)");
    }

    private static long number(Object v, String where) {
        if (v instanceof Long l) return l;
        if (v instanceof Boolean b) return b ? 1 : 0;
        if (v instanceof BtfRecord.Pointer p) return p.address();
        if (v instanceof Double d) return d.longValue();
        throw new IllegalArgumentException(where + " is a number but the C field holds " + v
                + " (" + v.getClass().getSimpleName().toLowerCase(Locale.ROOT) + ")");
    }
}
