package io.bpf4j.output;

import io.bpf4j.core.symbols.Frame;

import java.util.List;

/**
 * Stacks with how often each was seen (or a weight, such as off-CPU microseconds): what {@code profile},
 * {@code offcputime}, {@code stackcount} and {@code memleak} aggregate, and what folded stacks and flame graphs
 * show.
 *
 * @param unit   what the counts are: {@code samples}, {@code us}, {@code bytes}, {@code calls}…
 * @param stacks the stacks
 * @param values what each stack's {@link Stack#values() values} measure, for outputs that type them (pprof)
 */
public record StackCounts(String unit, List<Stack> stacks, Values values) {
    public StackCounts {
        stacks = List.copyOf(stacks);
        for (Stack s : stacks) {
            if (s.values().size() != values.types().size()) {
                throw new IllegalArgumentException("a stack has " + s.values().size() + " value(s) for "
                        + values.types().size() + " value type(s) " + values.types());
            }
        }
    }

    /** Stacks with one value each, their count, typed as {@code unit}. */
    public StackCounts(String unit, List<Stack> stacks) {
        this(unit, stacks, Values.of(new ValueType(unit, "count")));
    }

    /**
     * One distinct stack.
     *
     * @param process the process (command name) it was seen in, or {@code null}
     * @param frames  the frames, innermost first: user frames after kernel frames, as perf and bcc print them
     * @param count   how often it was seen, or its total weight
     * @param values  what {@link StackCounts#values()} types, in its order (the count itself, the CPU time it
     *                stands for, the allocations it made…)
     */
    public record Stack(String process, List<Frame> frames, long count, List<Long> values) {
        public Stack {
            frames = List.copyOf(frames);
            values = List.copyOf(values);
        }

        /** A stack whose one value is its count. */
        public Stack(String process, List<Frame> frames, long count) {
            this(process, frames, count, List.of(count));
        }
    }

    /**
     * A kind of value and its unit, as pprof names them: {@code samples}/{@code count}, {@code cpu}/{@code
     * nanoseconds}, {@code inuse_space}/{@code bytes}.
     *
     * @param type what is measured
     * @param unit its unit
     */
    public record ValueType(String type, String unit) {
    }

    /**
     * What each stack's values measure and, for a sampling tool, how often it sampled.
     *
     * @param types      one per value, the preferred one last (pprof readers show the last by default)
     * @param periodType what passes between two samples ({@code cpu}/{@code nanoseconds}), or {@code null} when
     *                   the values are not sampled
     * @param period     how much of {@code periodType} passes between two samples; 0 when not sampled
     */
    public record Values(List<ValueType> types, ValueType periodType, long period) {
        public Values {
            types = List.copyOf(types);
            if (types.isEmpty()) throw new IllegalArgumentException("no value type");
        }

        /** Values counted, not sampled. */
        public static Values of(ValueType... types) {
            return new Values(List.of(types), null, 0);
        }
    }
}
