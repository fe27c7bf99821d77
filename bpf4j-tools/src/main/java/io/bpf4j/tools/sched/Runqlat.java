package io.bpf4j.tools.sched;

import io.bpf4j.core.Codec;
import io.bpf4j.core.StructCodec;
import io.bpf4j.output.Histogram;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * {@code runqlat}: run-queue (scheduler) latency as power-of-two histograms — the time from a task becoming
 * runnable (woken by {@code sched_wakeup}/{@code sched_wakeup_new}, or switched out while still runnable, i.e.
 * preempted) to {@code sched_switch} putting it on a CPU. libbpf-tools' runqlat with its flags and output:
 * one histogram, or one per process ({@code -P}), thread ({@code -L}) or PID namespace ({@code --pidnss}).
 *
 * <p>Like libbpf-tools, a task is timed from its last wakeup or preemption; a wakeup of a task that is already
 * queued restarts its clock. The cgroup filter ({@code -c}) of libbpf-tools is not offered.
 */
@Command(name = "runqlat", mixinStandardHelpOptions = true,
        description = "Summarize run queue (scheduler) latency as a histogram.")
public final class Runqlat extends Tool {
    @Mixin
    CommonOptions.Timestamp timestamp;

    @Option(names = {"-m", "--milliseconds"}, description = "Millisecond histogram.")
    boolean milliseconds;

    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this PID only.")
    Integer pid;

    @Option(names = {"-t", "--tid"}, paramLabel = "TID", converter = OptionTypes.Tid.class,
            description = "Trace this thread only.")
    Integer tid;

    @ArgGroup(exclusive = true)
    Per per;

    static final class Per {
        @Option(names = {"-P", "--pids"}, description = "Print a histogram per process ID.")
        boolean process;

        @Option(names = {"-L", "--tids"}, description = "Print a histogram per thread ID.")
        boolean thread;

        @Option(names = "--pidnss", description = "Print a histogram per PID namespace.")
        boolean pidns;
    }

    @Mixin
    CommonOptions.Intervals intervals;

    /** {@code struct hist} of runqlat.bpf.c, the value of {@code hists}. */
    record Hist(int[] slots, String comm) {
    }

    @Override
    protected int run(ToolSession s) {
        s.object("runqlat");
        StructCodec<Hist> hist = Aggregates.values(s, "hists", Hist.class);
        if (pid != null) s.set("targ_pid", pid);
        if (tid != null) s.set("targ_tid", tid);
        s.set("targ_ms", milliseconds ? 1 : 0);
        if (per != null) {
            s.set("targ_per_process", per.process ? 1 : 0);
            s.set("targ_per_thread", per.thread ? 1 : 0);
            s.set("targ_per_pidns", per.pidns ? 1 : 0);
        }
        s.load();
        s.attachAll();
        if (!s.json()) s.out().println("Tracing run queue latency... Hit Ctrl-C to end.");
        s.out().flush();
        var hists = s.map("hists").typed(Codec.INT, hist);
        intervals.loop(s, null, () -> print(s, Aggregates.takeAll(hists)));
        return 0;
    }

    private void print(ToolSession s, List<Map.Entry<Integer, Hist>> hists) {
        if (!s.json()) s.out().println();
        timestamp.print(s);
        String unit = milliseconds ? "msecs" : "usecs";
        // the key is a __u32: (u32)-1, the global histogram, sorts last
        for (Map.Entry<Integer, Hist> e : hists.stream()
                .sorted(Comparator.comparingLong(e -> Integer.toUnsignedLong(e.getKey()))).toList()) {
            Histogram h = Aggregates.log2(unit, e.getValue().slots());
            String label = label(Integer.toUnsignedLong(e.getKey()), e.getValue().comm());
            if (label != null) {
                h = h.withLabel(label);
                if (!s.json()) s.out().println();
            }
            s.histogram(h);
        }
    }

    private String label(long key, String comm) {
        if (per == null) return null;
        if (per.process) return "pid = " + key + " " + comm;
        if (per.thread) return "tid = " + key + " " + comm;
        return "pidns = " + key;
    }
}
