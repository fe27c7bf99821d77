package io.bpf4j.bpftrace.runtime;

import io.bpf4j.bpftrace.check.Type;

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

    /** {@code print(@map)}. */
    record PrintMap(String map) implements Event {
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
