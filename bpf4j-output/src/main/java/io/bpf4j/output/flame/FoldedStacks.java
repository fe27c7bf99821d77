package io.bpf4j.output.flame;

import io.bpf4j.core.symbols.Frame;
import io.bpf4j.output.StackCounts;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * Stacks in the folded format flame graph tools read ({@code flamegraph.pl}, speedscope, inferno): one line per
 * stack, {@code process;outermost;…;innermost count}, with bcc's annotations: {@code _[k]} after kernel frames,
 * {@code _[j]} after JIT frames, and async-profiler's {@code _[i]} after interpreted ones. Frames no symbol covers
 * are {@code [unknown]}, or {@code [unknown_java]} in a JVM's code cache ({@link Frame#name()}).
 */
public final class FoldedStacks {
    private FoldedStacks() {
    }

    /** Writes every stack of {@code stacks} as one folded line. */
    public static void write(StackCounts stacks, Writer out) throws IOException {
        for (StackCounts.Stack s : stacks.stacks()) {
            out.write(line(s));
            out.write('\n');
        }
    }

    /** One stack as a folded line, without the newline. */
    public static String line(StackCounts.Stack stack) {
        StringBuilder sb = new StringBuilder();
        if (stack.process() != null) sb.append(clean(stack.process()));
        List<Frame> frames = stack.frames();
        for (int i = frames.size() - 1; i >= 0; i--) { // outermost first
            if (!sb.isEmpty()) sb.append(';');
            sb.append(name(frames.get(i)));
        }
        return sb.append(' ').append(stack.count()).toString();
    }

    /** A frame's name as folded stacks spell it: the symbol, annotated with where it runs. */
    public static String name(Frame f) {
        String name = clean(f.name());
        return switch (f.kind()) {
            case KERNEL -> name + "_[k]";
            case JIT -> name + "_[j]";
            case INTERPRETED -> name + "_[i]";
            case USER -> name;
        };
    }

    /** Separators of the format cannot appear in names: ';' separates frames, a space the count. */
    private static String clean(String s) {
        return s.replace(';', ':').replace(' ', '_').replace('\n', '_');
    }
}
