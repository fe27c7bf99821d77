package io.bpf4j.bpftrace.runtime;

import io.bpf4j.core.symbols.Frame;

import java.util.List;

/**
 * A {@code kstack} or {@code ustack} value, its frames named, innermost first, as bpftrace prints them:
 * {@code symbol+offset} (offset in decimal), or the address in hex when no symbol covers it.
 *
 * @param frames the frames' names
 */
public record StackTrace(List<String> frames) {
    public StackTrace {
        frames = List.copyOf(frames);
    }

    /** The stack of {@code resolved} frames. */
    public static StackTrace of(List<Frame> resolved) {
        return new StackTrace(resolved.stream().map(f -> f.resolved() ? f.symbol() + "+" + f.offset()
                : "0x" + Long.toHexString(f.address())).toList());
    }

    /** As a map key prints it: a line break, then each frame on its own line indented by 4. */
    public String key() {
        return text(4);
    }

    /** As a value prints it (printf, print, a map's value): each frame on its own line indented by 8. */
    @Override
    public String toString() {
        return text(8);
    }

    private String text(int indent) {
        StringBuilder sb = new StringBuilder("\n");
        for (String f : frames) sb.append(" ".repeat(indent)).append(f).append('\n');
        return sb.toString();
    }
}
