package io.bpf4j.core.asm;

import java.util.Objects;

/** Argument checks shared by the instruction records, with messages that say what the field can hold. */
final class Check {
    private Check() {
    }

    /** Rejects offsets that do not fit the signed 16-bit {@code off} field. */
    static void offset16(int offset, String what) {
        if (offset < Short.MIN_VALUE || offset > Short.MAX_VALUE) {
            throw new IllegalArgumentException(what + " " + offset
                    + " does not fit the signed 16-bit offset field (" + Short.MIN_VALUE + ".." + Short.MAX_VALUE + ")");
        }
    }

    static void notNull(Object value, String name) {
        Objects.requireNonNull(value, name);
    }

    /** Rejects {@link Size#DW} for instructions that exist only for 8-, 16- and 32-bit accesses. */
    static void notDoubleWord(Size size, String instruction) {
        notNull(size, "size");
        if (size == Size.DW) {
            throw new IllegalArgumentException(instruction + " exists for sizes B, H and W only, not DW");
        }
    }
}
