package io.bpf4j.bpftrace.check;

/** The type of a value of the language. */
public sealed interface Type {
    /** The bytes a value of this type takes in a map key, a map value or an event. */
    int size();

    /** An integer of 1, 2, 4 or 8 bytes; values are widened to 64 bits in registers, keys and events. */
    record Int(int bytes, boolean signed) implements Type {
        /** The type of builtins such as {@code pid} and {@code nsecs}. */
        public static final Int U64 = new Int(8, false);
        /** The type of integer literals. */
        public static final Int S64 = new Int(8, true);

        @Override
        public int size() {
            return 8;
        }
    }

    /**
     * A NUL-padded string of {@code size} bytes (a multiple of 8, so that it is copied a word at a time).
     */
    record Str(int size) implements Type {
        /** bpftrace's default string size (BPFTRACE_STRLEN). */
        public static final int DEFAULT = 64;

        /** A string type large enough for {@code bytes} bytes, rounded up to a multiple of 8. */
        public static Str holding(int bytes) {
            return new Str(Math.max(8, (bytes + 7) & ~7));
        }
    }

    /** A stack trace: an id in a stack-trace map, resolved to frames when printed. */
    record Stack(boolean user) implements Type {
        @Override
        public int size() {
            return 8;
        }
    }

    /** What a statement-only call ({@code printf}, {@code exit}…) yields: nothing usable. */
    record None() implements Type {
        @Override
        public int size() {
            return 0;
        }
    }
}
