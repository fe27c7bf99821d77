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
 */
public record StackCounts(String unit, List<Stack> stacks) {
    public StackCounts {
        stacks = List.copyOf(stacks);
    }

    /**
     * One distinct stack.
     *
     * @param process the process (command name) it was seen in, or {@code null}
     * @param frames  the frames, innermost first: user frames after kernel frames, as perf and bcc print them
     * @param count   how often it was seen, or its total weight
     */
    public record Stack(String process, List<Frame> frames, long count) {
        public Stack {
            frames = List.copyOf(frames);
        }
    }
}
