package io.bpf4j.tools.irq;

import io.bpf4j.core.Codec;
import io.bpf4j.core.TypedMap;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code softirqs}: time spent in each softirq vector (timer, net_rx, rcu…), as totals, power-of-two histograms
 * ({@code -d}) or run counts ({@code -C}) — libbpf-tools' softirqs with its flags and output. Printed every
 * interval or at Ctrl-C, in vector order.
 *
 * <p>Times each vector's run between {@code softirq_entry} and {@code softirq_exit}, so it includes hard
 * interrupts that arrive meanwhile; softirq work done outside those tracepoints (e.g. NAPI busy polling) is not
 * seen.
 */
@Command(name = "softirqs", mixinStandardHelpOptions = true,
        description = "Summarize soft irq event time as histograms.")
public final class Softirqs extends Tool {
    /** The kernel's softirq vector names, by number (libbpf-tools prints them so). */
    static final List<String> VECTORS =
            List.of("hi", "timer", "net_tx", "net_rx", "block", "irq_poll", "tasklet", "sched", "hrtimer", "rcu");

    @ArgGroup(exclusive = true)
    Mode mode;

    static final class Mode {
        @Option(names = {"-C", "--count"}, description = "Show event counts instead of timing.")
        boolean count;

        @Option(names = {"-d", "--distributed"}, description = "Show distributions as histograms.")
        boolean distributed;
    }

    @Option(names = {"-N", "--nanoseconds"}, description = "Output in nanoseconds.")
    boolean nanoseconds;

    @Mixin
    CommonOptions.Timestamp timestamp;

    @Mixin
    CommonOptions.Intervals intervals;

    /** {@code struct vec} of softirqs.bpf.c, the value of {@code vecs}. */
    record Vec(long time, long count, int[] slots) {
    }

    private boolean count() {
        return mode != null && mode.count;
    }

    private boolean dist() {
        return mode != null && mode.distributed;
    }

    @Override
    protected int run(ToolSession s) {
        s.object("softirqs");
        var vec = Aggregates.values(s, "vecs", Vec.class);
        s.set("targ_dist", dist() ? 1 : 0);
        s.set("targ_ns", nanoseconds ? 1 : 0);
        s.load();
        s.attachAll();
        if (!s.json()) {
            s.out().println(count() ? "Tracing soft irq events... Hit Ctrl-C to end."
                    : "Tracing soft irq event time... Hit Ctrl-C to end.");
        }
        s.out().flush();
        var vecs = s.map("vecs").typed(Codec.INT, vec);
        intervals.loop(s, null, () -> print(s, vecs));
        return 0;
    }

    private void print(ToolSession s, TypedMap<Integer, Vec> vecs) {
        String unit = nanoseconds ? "nsecs" : "usecs";
        if (!s.json()) s.out().println();
        timestamp.print(s);
        if (!s.json() && !dist()) s.out().printf("%-16s %11s%n", "SOFTIRQ", "TOTAL_" + (count() ? "count" : unit));
        Vec zero = Aggregates.zero(vecs.valueCodec());
        for (int i = 0; i < VECTORS.size(); i++) {
            // an array: its elements always exist, and are emptied for the next interval by writing zeroes
            Vec v = vecs.get(i).orElse(zero);
            vecs.put(i, zero);
            long time = v.time(), runs = v.count();
            if (runs == 0) continue;
            String name = VECTORS.get(i);
            if (dist()) {
                s.histogram(Aggregates.log2(unit, v.slots()).withLabel("softirq = " + name));
                if (!s.json()) s.out().println();
            } else if (s.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("softirq", name);
                m.put("count", runs);
                if (!count()) m.put(unit, time);
                s.printJson(m);
            } else {
                s.out().printf("%-16s %11d%n", name, count() ? runs : time);
            }
        }
    }
}
