package io.bpf4j.tools.stack;

import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;
import picocli.CommandLine.Option;

/**
 * The stack options profile and offcputime share with libbpf-tools' ({@code -U}, {@code -K}, {@code -f},
 * {@code -d}, {@code --stack-storage-size}, {@code --perf-max-stack-depth}), as a picocli mixin. stackcount keeps
 * bcc's own wording of them.
 */
public final class StackOptions {
    @Option(names = {"-U", "--user-stacks-only"},
            description = "Show stacks from user space only (no kernel space stacks).")
    boolean userOnly;

    @Option(names = {"-K", "--kernel-stacks-only"},
            description = "Show stacks from kernel space only (no user space stacks).")
    boolean kernelOnly;

    @Option(names = {"-f", "--folded"}, description = "Output folded format, one line per stack (for flame graphs).")
    boolean folded;

    @Option(names = {"-d", "--delimited"}, description = "Insert a delimiter between kernel and user stacks.")
    boolean delimited;

    @Option(names = "--stack-storage-size", paramLabel = "STACK-STORAGE-SIZE", defaultValue = "1024",
            converter = OptionTypes.StackStorage.class,
            description = "The number of unique stack traces that can be stored and displayed "
                    + "(default ${DEFAULT-VALUE}).")
    int stackStorage;

    @Option(names = "--perf-max-stack-depth", paramLabel = "PERF-MAX-STACK-DEPTH", defaultValue = "127",
            converter = OptionTypes.StackDepth.class,
            description = "The limit for both kernel and user stack traces (default ${DEFAULT-VALUE}).")
    int stackDepth;

    @Option(names = "--no-perfmap",
            description = "Do not attach to the JVMs in the stacks to have them write /tmp/perf-PID.map (their Java "
                    + "frames are then [unknown_java]).")
    boolean noPerfMap;

    /** Which stacks to collect and how to print them, libbpf-tools' way; {@code -U} with {@code -K} is refused. */
    public Stacks.Options options() {
        if (userOnly && kernelOnly) throw new UsageError("-U and -K are mutually exclusive");
        return new Stacks.Options(userOnly, kernelOnly, folded, delimited, false, !noPerfMap);
    }

    /** Loads the session's object with its stack map sized by these options ({@link Stacks#load}). */
    public Stacks load(ToolSession s) {
        return Stacks.load(s, stackStorage, stackDepth, options());
    }
}
