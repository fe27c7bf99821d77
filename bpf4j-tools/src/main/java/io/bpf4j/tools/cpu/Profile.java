package io.bpf4j.tools.cpu;

import io.bpf4j.core.link.Link;
import io.bpf4j.core.link.PerfEvent;
import io.bpf4j.output.StackCounts;
import io.bpf4j.tools.Background;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.stack.StackOptions;
import io.bpf4j.tools.stack.Stacks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;

/**
 * {@code profile}: a CPU profiler — samples what runs on every CPU at a fixed frequency and counts each distinct
 * (process, kernel stack, user stack), as libbpf-tools' profile does with its flags and output; {@code -f} prints
 * folded stacks for flame graphs, and {@code --output} sinks get the same {@link io.bpf4j.output.StackCounts}.
 *
 * <p>It samples the software {@code cpu-clock} event (one perf event per CPU): it works in VMs without a
 * hardware PMU, and a sample lands at timer-interrupt granularity. User stacks are walked with frame pointers
 * (code built without them shows short or wrong user stacks, as with bcc); user frames are symbolized from ELF
 * symbol tables and JIT frames from {@code /tmp/perf-PID.map}, at the end of the run (a process that exited by
 * then shows {@code [unknown]} frames). A HotSpot JVM in the stacks is made to write its perf map through the
 * Attach API ({@link io.bpf4j.core.symbols.HotSpotJvms}; {@code --no-perfmap}: not).
 */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Profile CPU usage by sampling stack traces at a timed interval.")
public final class Profile extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Profile this process only.")
    Integer pid;

    @Option(names = {"-L", "--tid"}, paramLabel = "TID", converter = OptionTypes.Tid.class,
            description = "Profile this thread only.")
    Integer tid;

    @Mixin
    StackOptions stack;

    @Option(names = {"-F", "--frequency"}, paramLabel = "FREQUENCY", defaultValue = "49",
            converter = OptionTypes.Frequency.class,
            description = "Sample frequency in Hertz (default ${DEFAULT-VALUE}).")
    long frequency;

    @Option(names = {"-I", "--include-idle"}, description = "Include CPU idle stacks.")
    boolean includeIdle;

    @Option(names = {"-C", "--cpu"}, paramLabel = "CPU", converter = OptionTypes.Cpu.class,
            description = "Sample this CPU only.")
    Integer cpu;

    @Parameters(index = "0", arity = "0..1", paramLabel = "duration", converter = OptionTypes.Seconds.class,
            description = "Duration of the trace in seconds.")
    Duration duration;

    @Override
    protected int run(ToolSession s) {
        Stacks.Options o = stack.options();
        s.object("profile");
        if (pid != null) s.set("targ_pid", pid);
        if (tid != null) s.set("targ_tid", tid);
        s.set("user_stacks_only", o.userOnly() ? 1 : 0);
        s.set("kernel_stacks_only", o.kernelOnly() ? 1 : 0);
        s.set("include_idle", includeIdle ? 1 : 0);
        try (Stacks stacks = stack.load(s).target(pid);
             Background names = stacks.prefetch(true, pid == null && tid == null)) {
            PerfEvent.Spec spec = PerfEvent.Spec.software(PerfEvent.Software.CPU_CLOCK).frequency(frequency);
            if (cpu != null) spec = spec.cpus(List.of(cpu));
            for (Link l : PerfEvent.attach(stacks.object().program("profile"), spec).links()) s.keep(l);
            // The header is the "attached" signal; folded and JSON output keep stdout for the stacks alone.
            PrintWriter note = o.folded() || s.json() ? s.err() : s.out();
            note.printf("Sampling at %d Hertz of %s by %s stack%s%n", frequency,
                    pid != null ? "PID " + pid : tid != null ? "TID " + tid : "all threads",
                    o.userOnly() ? "user" : o.kernelOnly() ? "kernel" : "user + kernel",
                    duration != null ? " for " + OptionTypes.Seconds.format(duration) + " secs." : "... Hit Ctrl-C to end.");
            note.flush();
            // stacks named while tracing: at the end, only the last ones are left
            names.begin();
            s.loop(duration, null, null, null);
            names.close();
            // each sample stands for a period of CPU time: pprof readers show both, as Go's CPU profiles do
            long period = 1_000_000_000L / frequency;
            StackCounts.ValueType cpuNs = new StackCounts.ValueType("cpu", "nanoseconds");
            stacks.print(stacks.resolve(stacks.read(), true), "samples", new StackCounts.Values(
                    List.of(new StackCounts.ValueType("samples", "count"), cpuNs), cpuNs, period), 1, period);
            stacks.reportLost("profile", "sample(s)");
        }
        return 0;
    }

}
