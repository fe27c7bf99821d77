package io.bpf4j.core;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Turns a Java value into the fixed number of bytes a map key or value holds, and back. Used by
 * {@link TypedMap}; numbers are in the machine's byte order (as a BPF program on the same machine sees them)
 * unless the codec says otherwise ({@link #U16_BE}, {@link #INT_BE}: network byte order).
 *
 * <p>Built in: {@link #INT}, {@link #LONG}, {@link #SHORT}, {@link #BYTE}, {@link #FLOAT}, {@link #DOUBLE},
 * {@link #BOOLEAN}; unsigned {@link #U8}, {@link #U16} (as {@code Integer}) and {@link #U32} (as {@code Long});
 * {@link #bytes(int)} and {@link #string(int)} (a C {@code char[n]}); {@link StructCodec} for C structs as Java
 * records; {@link LpmKey#IPV4}/{@link LpmKey#IPV6}; {@link #perCpu(Codec)} for the values of per-CPU maps.
 *
 * <p>{@link #encode} must write all {@link #size()} bytes of its slot (padding included, as zeros): hash maps
 * compare keys byte by byte.
 *
 * @param <T> the Java type
 */
public interface Codec<T> {
    /** The number of bytes one value occupies. */
    int size();

    /** Writes {@code value} into {@code size()} bytes of {@code to} at {@code offset}. */
    void encode(T value, MemorySegment to, long offset);

    /** Reads a value from {@code size()} bytes of {@code from} at {@code offset}. */
    T decode(MemorySegment from, long offset);

    /** The value as a new byte array of {@link #size()} bytes. */
    default byte[] toBytes(T value) {
        byte[] b = new byte[size()];
        encode(value, MemorySegment.ofArray(b), 0);
        return b;
    }

    /** Decodes a byte array of (at least) {@link #size()} bytes. */
    default T fromBytes(byte[] bytes) {
        if (bytes.length < size()) {
            throw new IllegalArgumentException("need " + size() + " bytes to decode, got " + bytes.length);
        }
        return decode(MemorySegment.ofArray(bytes), 0);
    }

    /**
     * A codec for another Java type with the same bytes, e.g. {@code Codec.INT.map(Pid::new, Pid::value)}.
     *
     * @param decoded turns a decoded {@code T} into a {@code U}
     * @param encoded turns a {@code U} into the {@code T} to encode
     */
    default <U> Codec<U> map(Function<? super T, ? extends U> decoded, Function<? super U, ? extends T> encoded) {
        Codec<T> self = this;
        return new Codec<>() {
            @Override
            public int size() {
                return self.size();
            }

            @Override
            public void encode(U value, MemorySegment to, long offset) {
                self.encode(encoded.apply(value), to, offset);
            }

            @Override
            public U decode(MemorySegment from, long offset) {
                return decoded.apply(self.decode(from, offset));
            }
        };
    }

    /** Nothing, in 0 bytes: the "key" of queues, stacks and bloom filters. */
    Codec<Void> NONE = Codecs.None.INSTANCE;
    /** A signed 32-bit integer ({@code int}, {@code __s32}). */
    Codec<Integer> INT = new Codecs.Fixed<>(4, (v, s, o) -> s.set(Codecs.I32, o, v), (s, o) -> s.get(Codecs.I32, o));
    /** A signed 64-bit integer ({@code __s64}); also for {@code __u64} (print with Long.toUnsignedString). */
    Codec<Long> LONG = new Codecs.Fixed<>(8, (v, s, o) -> s.set(Codecs.I64, o, v), (s, o) -> s.get(Codecs.I64, o));
    /** A signed 16-bit integer. */
    Codec<Short> SHORT = new Codecs.Fixed<>(2, (v, s, o) -> s.set(Codecs.I16, o, v), (s, o) -> s.get(Codecs.I16, o));
    /** A signed byte. */
    Codec<Byte> BYTE = new Codecs.Fixed<>(1, (v, s, o) -> s.set(JAVA_BYTE, o, v), (s, o) -> s.get(JAVA_BYTE, o));
    /** An unsigned byte ({@code __u8}) as 0..255. */
    Codec<Integer> U8 = new Codecs.Fixed<>(1, (v, s, o) -> s.set(JAVA_BYTE, o, Codecs.checkRange(v, 0xff, "U8")),
            (s, o) -> Byte.toUnsignedInt(s.get(JAVA_BYTE, o)));
    /** An unsigned 16-bit integer ({@code __u16}) as 0..65535. */
    Codec<Integer> U16 = new Codecs.Fixed<>(2,
            (v, s, o) -> s.set(Codecs.I16, o, (short) Codecs.checkRangeInt(v, 0xffff, "U16")),
            (s, o) -> Short.toUnsignedInt(s.get(Codecs.I16, o)));
    /** An unsigned 16-bit integer in network byte order ({@code __be16}, e.g. a port) as 0..65535. */
    Codec<Integer> U16_BE = new Codecs.Fixed<>(2,
            (v, s, o) -> s.set(Codecs.I16_BE, o, (short) Codecs.checkRangeInt(v, 0xffff, "U16_BE")),
            (s, o) -> Short.toUnsignedInt(s.get(Codecs.I16_BE, o)));
    /** An unsigned 32-bit integer ({@code __u32}) as 0..4294967295. */
    Codec<Long> U32 = new Codecs.Fixed<>(4, (v, s, o) -> {
        if (v < 0 || v > 0xffff_ffffL) throw new IllegalArgumentException("U32 value out of range: " + v);
        s.set(Codecs.I32, o, (int) (long) v);
    }, (s, o) -> Integer.toUnsignedLong(s.get(Codecs.I32, o)));
    /** A 32-bit integer in network byte order ({@code __be32}, e.g. an IPv4 address as an int). */
    Codec<Integer> INT_BE = new Codecs.Fixed<>(4, (v, s, o) -> s.set(Codecs.I32_BE, o, v),
            (s, o) -> s.get(Codecs.I32_BE, o));
    /** A 32-bit float. */
    Codec<Float> FLOAT = new Codecs.Fixed<>(4, (v, s, o) -> s.set(Codecs.F32, o, v), (s, o) -> s.get(Codecs.F32, o));
    /** A 64-bit double. */
    Codec<Double> DOUBLE = new Codecs.Fixed<>(8, (v, s, o) -> s.set(Codecs.F64, o, v),
            (s, o) -> s.get(Codecs.F64, o));
    /** A C {@code bool} in one byte: 0 is false, anything else true. */
    Codec<Boolean> BOOLEAN = new Codecs.Fixed<>(1, (v, s, o) -> s.set(JAVA_BYTE, o, (byte) (v ? 1 : 0)),
            (s, o) -> s.get(JAVA_BYTE, o) != 0);

    /** Exactly {@code size} raw bytes (a C {@code unsigned char[size]}); encoding another length is an error. */
    static Codec<byte[]> bytes(int size) {
        if (size <= 0) throw new IllegalArgumentException("byte array size must be positive, got " + size);
        return new Codecs.Fixed<>(size, (v, s, o) -> {
            if (v.length != size) {
                throw new IllegalArgumentException("expected " + size + " bytes, got " + v.length);
            }
            MemorySegment.copy(v, 0, s, JAVA_BYTE, o, size);
        }, (s, o) -> {
            byte[] b = new byte[size];
            MemorySegment.copy(s, JAVA_BYTE, o, b, 0, size);
            return b;
        });
    }

    /**
     * A C {@code char[size]} holding UTF-8 text, as {@code comm} or a file name: decoding stops at the first NUL
     * (or after {@code size} bytes); encoding pads with NULs and refuses text longer than {@code size} bytes
     * (a truncated key would silently match another).
     */
    static Codec<String> string(int size) {
        if (size <= 0) throw new IllegalArgumentException("string size must be positive, got " + size);
        return new Codecs.Fixed<>(size, (v, s, o) -> {
            byte[] b = v.getBytes(StandardCharsets.UTF_8);
            if (b.length > size) {
                throw new IllegalArgumentException("'" + v + "' is " + b.length + " bytes in UTF-8; this char["
                        + size + "] holds at most " + size);
            }
            MemorySegment.copy(b, 0, s, JAVA_BYTE, o, b.length);
            s.asSlice(o + b.length, size - b.length).fill((byte) 0);
        }, (s, o) -> {
            int n = 0;
            while (n < size && s.get(JAVA_BYTE, o + n) != 0) n++;
            byte[] b = new byte[n];
            MemorySegment.copy(s, JAVA_BYTE, o, b, 0, n);
            return new String(b, StandardCharsets.UTF_8);
        });
    }

    /**
     * The value of a per-CPU map: one {@code element} per possible CPU ({@link Cpus#possibleCount()}), each in a
     * slot rounded up to 8 bytes, in ascending CPU order. Encoding needs exactly one element per possible CPU.
     */
    static <T> Codec<List<T>> perCpu(Codec<T> element) {
        return perCpu(element, Cpus.possibleCount());
    }

    /** As {@link #perCpu(Codec)} for a given number of CPUs. */
    static <T> Codec<List<T>> perCpu(Codec<T> element, int cpus) {
        Objects.requireNonNull(element, "element");
        if (cpus <= 0) throw new IllegalArgumentException("CPU count must be positive, got " + cpus);
        int stride = Codecs.roundUp8(element.size());
        return new Codecs.Fixed<>(stride * cpus, (list, s, o) -> {
            if (list.size() != cpus) {
                throw new IllegalArgumentException("a per-CPU value needs one element per possible CPU (" + cpus
                        + "), got " + list.size() + "; e.g. Collections.nCopies(Cpus.possibleCount(), v)");
            }
            s.asSlice(o, (long) stride * cpus).fill((byte) 0);
            for (int i = 0; i < cpus; i++) element.encode(list.get(i), s, o + (long) i * stride);
        }, (s, o) -> {
            List<T> list = new ArrayList<>(cpus);
            for (int i = 0; i < cpus; i++) list.add(element.decode(s, o + (long) i * stride));
            return Collections.unmodifiableList(list);
        });
    }

    /** {@code count} consecutive elements (a C array {@code T[count]}) as a list. */
    static <T> Codec<List<T>> array(Codec<T> element, int count) {
        Objects.requireNonNull(element, "element");
        if (count <= 0) throw new IllegalArgumentException("array length must be positive, got " + count);
        int size = element.size();
        return new Codecs.Fixed<>(size * count, (list, s, o) -> {
            if (list.size() != count) {
                throw new IllegalArgumentException("expected " + count + " elements, got " + list.size());
            }
            for (int i = 0; i < count; i++) element.encode(list.get(i), s, o + (long) i * size);
        }, (s, o) -> {
            Object[] a = new Object[count];
            for (int i = 0; i < count; i++) a[i] = element.decode(s, o + (long) i * size);
            @SuppressWarnings("unchecked")
            List<T> list = (List<T>) Collections.unmodifiableList(Arrays.asList(a));
            return list;
        });
    }
}
