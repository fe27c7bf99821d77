package io.bpf4j.tools.irq;

import io.bpf4j.output.Histogram;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
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
    private static final int MAX_SLOTS = 27;

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

    @Option(names = {"-T", "--timestamp"}, description = "Include timestamp on output.")
    boolean timestamp;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", converter = OptionTypes.Interval.class,
            description = "Print every interval (s).")
    Integer interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", converter = OptionTypes.Count.class,
            description = "Stop after this many intervals.")
    Integer times;

    private boolean count() {
        return mode != null && mode.count;
    }

    private boolean dist() {
        return mode != null && mode.distributed;
    }

    @Override
    protected int run(ToolSession s) {
        s.object("softirqs");
        s.set("targ_dist", dist() ? 1 : 0);
        s.set("targ_ns", nanoseconds ? 1 : 0);
        s.load();
        s.attachAll();
        if (!s.json()) {
            s.out().println(count() ? "Tracing soft irq events... Hit Ctrl-C to end."
                    : "Tracing soft irq event time... Hit Ctrl-C to end.");
        }
        s.out().flush();
        boolean signalled = s.loop(null, interval == null ? null : Duration.ofSeconds(interval), times,
                () -> print(s));
        if (interval == null || signalled) print(s);
        return 0;
    }

    private void print(ToolSession s) {
        var map = s.map("vecs");
        byte[] zero = new byte[map.valueSize()];
        String unit = nanoseconds ? "nsecs" : "usecs";
        if (!s.json()) {
            s.out().println();
            if (timestamp) {
                s.out().printf("%-8s%n", LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")));
            }
            if (!dist()) s.out().printf("%-16s %11s%n", "SOFTIRQ", "TOTAL_" + (count() ? "count" : unit));
        }
        for (int vec = 0; vec < VECTORS.size(); vec++) {
            byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(vec).array();
            byte[] value = map.lookup(key).orElse(zero);
            map.update(key, zero);
            ByteBuffer v = ByteBuffer.wrap(value).order(ByteOrder.nativeOrder());
            long time = v.getLong(0), runs = v.getLong(8);
            if (runs == 0) continue;
            String name = VECTORS.get(vec);
            if (dist()) {
                long[] slots = new long[MAX_SLOTS];
                for (int i = 0; i < MAX_SLOTS; i++) slots[i] = Integer.toUnsignedLong(v.getInt(16 + 4 * i));
                s.histogram(Histogram.log2(unit, slots).withLabel("softirq = " + name));
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
