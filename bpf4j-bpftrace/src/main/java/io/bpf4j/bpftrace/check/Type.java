package io.bpf4j.bpftrace.check;

import java.util.ArrayList;
import java.util.List;

/**
 * The type of a value of the language. Integers, pointers and stacks travel as 64-bit words; strings, structs,
 * arrays and tuples as bytes (in a stack buffer, a map key or value, an event).
 */
public sealed interface Type {
    /** The bytes a value of this type takes in a map key, a map value or an event. */
    int size();

    /** The bytes a value of this type takes in C: in a struct, an array or a tuple. */
    default int cSize() {
        return size();
    }

    /** Its alignment in C. */
    default int align() {
        return 1;
    }

    /** Whether values of this type are bytes in a buffer rather than a 64-bit word in a register. */
    default boolean inBuffer() {
        return false;
    }

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

        @Override
        public int cSize() {
            return bytes;
        }

        @Override
        public int align() {
            return bytes;
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

        @Override
        public boolean inBuffer() {
            return true;
        }
    }

    /** {@code buf(x, n)}: {@code length} raw bytes, printed with {@code %r} (non-printable bytes escaped). */
    record Buf(int length) implements Type {
        @Override
        public int size() {
            return (length + 7) & ~7;
        }

        @Override
        public int cSize() {
            return length;
        }

        @Override
        public boolean inBuffer() {
            return true;
        }
    }

    /** {@code strftime(format, nsecs)}: a CLOCK_MONOTONIC time in nanoseconds, printed as a wall-clock time. */
    record Timestamp(String format) implements Type {
        @Override
        public int size() {
            return 8;
        }

        @Override
        public int align() {
            return 8;
        }
    }

    /**
     * Bytes printed in a special way: {@code INET} (ntop: an address family, 8 bytes, then 16 bytes of address),
     * {@code MAC} (macaddr: 6 bytes), {@code USYM} and {@code KSYM} (usym/ksym: a process id, then an address,
     * printed as the symbol there), {@code USERNAME} (a user id, printed as the user's name).
     */
    record Formatted(Kind kind) implements Type {
        /** The formats. */
        public enum Kind { INET, MAC, USYM, KSYM, USERNAME }

        @Override
        public int size() {
            return switch (kind) {
                case INET -> 24;
                case MAC, USERNAME -> 8;
                case USYM, KSYM -> 16;
            };
        }

        @Override
        public int cSize() {
            return kind == Kind.MAC ? 6 : size();
        }

        @Override
        public boolean inBuffer() {
            return true;
        }
    }

    /** A stack trace: an id in a stack-trace map, resolved to frames when printed. */
    record Stack(boolean user) implements Type {
        @Override
        public int size() {
            return 8;
        }
    }

    /** A pointer to {@code target} ({@code void *} and unknown targets point to an unsigned byte). */
    record Ptr(Type target) implements Type {
        @Override
        public int size() {
            return 8;
        }

        @Override
        public int align() {
            return 8;
        }
    }

    /**
     * A C struct or union with its layout; {@code name} is as written ({@code struct Foo}), or empty when anonymous.
     */
    record Record(String name, int byteSize, List<Member> members) implements Type {
        public Record {
            members = List.copyOf(members);
        }

        /** The member called {@code field}, if there is one. */
        public java.util.Optional<Member> member(String field) {
            return members.stream().filter(m -> m.name().equals(field)).findFirst();
        }

        @Override
        public int size() {
            return (byteSize + 7) & ~7;
        }

        @Override
        public int cSize() {
            return byteSize;
        }

        @Override
        public int align() {
            int a = 1;
            for (Member m : members) a = Math.max(a, m.type().align());
            return a;
        }

        @Override
        public boolean inBuffer() {
            return true;
        }
    }

    /**
     * A member of a struct: at {@code offset} bytes; a bitfield of {@code bitWidth} bits (0: not a bitfield) starts
     * {@code bitOffset} bits after {@code offset}.
     */
    record Member(String name, Type type, int offset, int bitOffset, int bitWidth) {
    }

    /** A C array of {@code count} elements. */
    record Array(Type element, int count) implements Type {
        @Override
        public int size() {
            return (cSize() + 7) & ~7;
        }

        @Override
        public int cSize() {
            return element.cSize() * count;
        }

        @Override
        public int align() {
            return element.align();
        }

        @Override
        public boolean inBuffer() {
            return true;
        }
    }

    /** A tuple {@code (a, b, …)}, laid out as a C struct of its elements. */
    record Tuple(List<Type> elements) implements Type {
        public Tuple {
            elements = List.copyOf(elements);
        }

        /** Each element's offset. */
        public List<Integer> offsets() {
            List<Integer> out = new ArrayList<>();
            int off = 0;
            for (Type t : elements) {
                off = (off + t.align() - 1) / t.align() * t.align();
                out.add(off);
                off += t.cSize();
            }
            return out;
        }

        @Override
        public int cSize() {
            int end = 0;
            List<Integer> offs = offsets();
            for (int i = 0; i < elements.size(); i++) end = offs.get(i) + elements.get(i).cSize();
            int a = align();
            return (end + a - 1) / a * a;
        }

        @Override
        public int size() {
            return (cSize() + 7) & ~7;
        }

        @Override
        public int align() {
            int a = 1;
            for (Type t : elements) a = Math.max(a, t.align());
            return a;
        }

        @Override
        public boolean inBuffer() {
            return true;
        }
    }

    /**
     * A struct known by name only, the target of a pointer: resolved with {@link CTypes#resolve} when the pointer is
     * followed, as C allows pointers to structs that are recursive or not yet defined.
     */
    record Named(String name) implements Type {
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
