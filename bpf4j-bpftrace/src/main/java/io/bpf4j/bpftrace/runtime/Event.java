package io.bpf4j.bpftrace.runtime;

import io.bpf4j.bpftrace.check.Type;
import io.bpf4j.bpftrace.format.Printf;

import java.util.List;

/**
 * What a record the programs send to user space asks for. Every record starts with a 64-bit event id, the index
 * of its {@link Event} in the compiled program's list.
 */
public sealed interface Event {
    /** {@code printf(format, args…)}: the arguments follow the id, 8 bytes per integer, a string's size per string. */
    record Printf(String format, List<Type> args) implements Event {
        public Printf {
            args = List.copyOf(args);
        }
    }

    /** {@code print(@map)}, {@code print(@map, top, divisor)} (0: all elements; 1: values as they are). */
    record PrintMap(String map, long top, long divisor) implements Event {
    }

    /** {@code print(value)} of something that is not a map: the value follows the id. */
    record PrintValue(Type type) implements Event {
    }

    /**
     * {@code join(argv, delimiter)}: {@link #JOIN_ARGS} strings of {@link #JOIN_ARG_SIZE} bytes follow the id, the
     * first empty one ending the list.
     */
    record Join(String delimiter) implements Event {
        /** How many strings a join() record holds. */
        public static final int JOIN_ARGS = 16;
        /** The bytes of each. */
        public static final int JOIN_ARG_SIZE = 64;
    }

    /** {@code time(format)}: the current time, formatted as C's strftime does. */
    record Time(String format) implements Event {
    }

    /** {@code system(format, args…)} (the arguments follow the id, as printf's) runs a shell command. */
    record System(String format, List<Type> args) implements Event {
        public System {
            args = List.copyOf(args);
        }
    }

    /** {@code cat(format, args…)}: prints a file's contents. */
    record Cat(String format, List<Type> args) implements Event {
        public Cat {
            args = List.copyOf(args);
        }
    }

    /** {@code clear(@map)}: delete every element. */
    record ClearMap(String map) implements Event {
    }

    /** {@code zero(@map)}: set every element to zero. */
    record ZeroMap(String map) implements Event {
    }

    /** {@code exit()}. */
    record Exit() implements Event {
    }
}
