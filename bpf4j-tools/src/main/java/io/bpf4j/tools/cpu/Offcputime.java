package io.bpf4j.tools.cpu;

import io.bpf4j.core.link.RawTracepoint;
import io.bpf4j.output.StackCounts;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Background;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;
import io.bpf4j.tools.stack.StackOptions;
import io.bpf4j.tools.stack.Stacks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * {@code offcputime}: the time threads spent off CPU — blocked on I/O, locks, sleeps, or waiting for a CPU — summed
 * by thread and by the kernel and user stacks they left the CPU in, in microseconds; libbpf-tools' offcputime with
 * its flags and output, plus bcc's {@code -U}/{@code -K}/{@code -f}/{@code -d}.
 *
 * <p>Hooks {@code tp_btf/sched_switch} (a BPF link): the stacks are taken when a thread is switched out and the
 * time is counted when it is switched back in, so a thread still off CPU when the tool ends is not counted, and
 * involuntary preemption (waiting for a CPU) counts like blocking unless {@code --state} selects sleeping states.
 * The idle threads are left out. Frames of the tracing itself (the BPF program, {@code bpf_trace_run*}) are
 * dropped from the kernel stacks.
 */
@Command(name = "offcputime", mixinStandardHelpOptions = true,
        description = "Summarize off-CPU time by stack trace.")
public final class Offcputime extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this PID only.")
    Integer pid;

    @Option(names = {"-t", "--tid"}, paramLabel = "TID", converter = OptionTypes.Tid.class,
            description = "Trace this TID only.")
    Integer tid;

    @Option(names = {"-u", "--user-threads-only"}, description = "User threads only (no kernel threads).")
    boolean userThreads;

    @Option(names = {"-k", "--kernel-threads-only"}, description = "Kernel threads only (no user threads).")
    boolean kernelThreads;

    @Mixin
    StackOptions stack;

    @Option(names = {"-m", "--min-block-time"}, paramLabel = "MIN-BLOCK-TIME", defaultValue = "1",
            converter = OptionTypes.Micros.class,
            description = "The amount of time in microseconds over which we store traces (default ${DEFAULT-VALUE}).")
    long minUs;

    @Option(names = {"-M", "--max-block-time"}, paramLabel = "MAX-BLOCK-TIME",
            converter = OptionTypes.PositiveMicros.class,
            description = "The amount of time in microseconds under which we store traces (default U64_MAX).")
    Long maxUs;

    @Option(names = "--state", paramLabel = "STATE", converter = OptionTypes.StateMask.class,
            description = "Filter on this thread state bitmask (eg, 2 == TASK_UNINTERRUPTIBLE), "
                    + "see include/linux/sched.h.")
    Long state;

    @Parameters(index = "0", arity = "0..1", paramLabel = "duration", converter = OptionTypes.Seconds.class,
            description = "Duration of the trace in seconds.")
    Duration duration;

    @Override
    protected int run(ToolSession s) {
        if (userThreads && kernelThreads) throw new UsageError("-u and -k are mutually exclusive");
        Stacks.Options o = stack.options();
        if (maxUs != null && maxUs < minUs) {
            throw new UsageError("-M MAX-BLOCK-TIME (" + maxUs + ") is below -m MIN-BLOCK-TIME (" + minUs + ")");
        }
        s.object("offcputime");
        if (pid != null) s.set("targ_pid", pid);
        if (tid != null) s.set("targ_tid", tid);
        s.set("user_threads_only", userThreads ? 1 : 0);
        s.set("kernel_threads_only", kernelThreads ? 1 : 0);
        s.set("user_stacks_only", o.userOnly() ? 1 : 0);
        s.set("kernel_stacks_only", o.kernelOnly() ? 1 : 0);
        if (state != null) s.set("targ_state", state);
        s.set("min_block_ns", minUs * 1000);
        if (maxUs != null) s.set("max_block_ns", maxUs * 1000);
        try (Stacks stacks = stack.load(s).target(pid);
             Background names = stacks.prefetch(true, pid == null && tid == null)) {
            s.keep(RawTracepoint.attach(stacks.object().program("offcputime_switch")));
            PrintWriter note = o.folded() || s.json() ? s.err() : s.out();
            note.printf("Tracing off-CPU time (us) of %s by %s stack%s%n",
                    pid != null ? "PID " + pid : tid != null ? "TID " + tid : "all threads",
                    o.userOnly() ? "user" : o.kernelOnly() ? "kernel" : "user + kernel",
                    duration != null ? " for " + OptionTypes.Seconds.format(duration) + " secs." : "... Hit Ctrl-C to end.");
            note.flush();
            // stacks named while tracing: at the end, only the last ones are left
            names.begin();
            s.loop(duration, null, null, null);
            names.close();
            // in nanoseconds for pprof, the unit of profile's CPU time (the tool's precision stays the microsecond)
            stacks.print(stacks.resolve(stacks.read(), true), "us",
                    StackCounts.Values.of(new StackCounts.ValueType("off_cpu", "nanoseconds")), 1000);
            stacks.reportLost("offcputime", "block(s)");
        }
        return 0;
    }
}
