package io.bpf4j.core;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/** Implementation helpers of {@link Codec}. */
final class Codecs {
    // Unaligned: codecs also read and write byte arrays and packed struct fields.
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfShort I16_BE = I16.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfInt I32_BE = I32.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    private Codecs() {
    }

    static <T> Codec<T> fixed(int size, Encoder<T> encoder, Decoder<T> decoder) {
        return new Fixed<>(size, encoder, decoder);
    }

    static int roundUp8(int n) {
        return (n + 7) & ~7;
    }

    static byte checkRange(int v, int max, String what) {
        if (v < 0 || v > max) throw new IllegalArgumentException(what + " value out of range 0.." + max + ": " + v);
        return (byte) v;
    }

    static int checkRangeInt(int v, int max, String what) {
        if (v < 0 || v > max) throw new IllegalArgumentException(what + " value out of range 0.." + max + ": " + v);
        return v;
    }

    interface Encoder<T> {
        void encode(T value, MemorySegment to, long offset);
    }

    interface Decoder<T> {
        T decode(MemorySegment from, long offset);
    }

    /** The 0-byte codec. */
    enum None implements Codec<Void> {
        INSTANCE;

        @Override
        public int size() {
            return 0;
        }

        @Override
        public void encode(Void value, MemorySegment to, long offset) {
        }

        @Override
        public Void decode(MemorySegment from, long offset) {
            return null;
        }
    }

    /** A codec from two lambdas. */
    record Fixed<T>(int size, Encoder<T> encoder, Decoder<T> decoder) implements Codec<T> {
        @Override
        public void encode(T value, MemorySegment to, long offset) {
            Objects.requireNonNull(value, "value");
            encoder.encode(value, to, offset);
        }

        @Override
        public T decode(MemorySegment from, long offset) {
            return decoder.decode(from, offset);
        }

        @Override
        public String toString() {
            return "Codec[" + size + " bytes]";
        }
    }
}
