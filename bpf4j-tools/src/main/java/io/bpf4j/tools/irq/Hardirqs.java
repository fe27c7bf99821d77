package io.bpf4j.tools.irq;

import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code hardirqs}: time spent in hard interrupt handlers per handler name (as {@code /proc/interrupts} names
 * them), as totals, power-of-two histograms ({@code -d}) or event counts ({@code -C}) — libbpf-tools' hardirqs
 * with its flags and output. Printed every interval or at Ctrl-C; totals largest first.
 *
 * <p>Times each handler action between {@code irq_handler_entry} and {@code irq_handler_exit}: the interrupt
 * entry and exit code around it, and interrupts without an action (the local APIC timer, IPIs), are not seen.
 * The cgroup filter ({@code -c}) of libbpf-tools is not offered.
 */
@Command(name = "hardirqs", mixinStandardHelpOptions = true,
        description = "Summarize hard irq event time as histograms.")
public final class Hardirqs extends Tool {
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

    /** {@code struct irq_key} and {@code struct info} of hardirqs.bpf.c, the key and value of {@code infos}. */
    record Irq(String name) {
    }

    record Info(long count, int[] slots) {
    }

    private boolean count() {
        return mode != null && mode.count;
    }

    private boolean dist() {
        return mode != null && mode.distributed;
    }

    @Override
    protected int run(ToolSession s) {
        s.object("hardirqs");
        var irq = Aggregates.keys(s, "infos", Irq.class);
        var info = Aggregates.values(s, "infos", Info.class);
        s.set("do_count", count() ? 1 : 0);
        s.set("targ_dist", dist() ? 1 : 0);
        s.set("targ_ns", nanoseconds ? 1 : 0);
        s.load();
        s.attachAll();
        if (!s.json()) {
            s.out().println(count() ? "Tracing hard irq events... Hit Ctrl-C to end."
                    : "Tracing hard irq event time... Hit Ctrl-C to end.");
        }
        s.out().flush();
        var infos = s.map("infos").typed(irq, info);
        intervals.loop(s, null, () -> print(s, Aggregates.takeAll(infos)));
        return 0;
    }

    private record Row(String name, long total, int[] slots) {
    }

    private void print(ToolSession s, List<Map.Entry<Irq, Info>> infos) {
        List<Row> rows = infos.stream()
                .map(e -> new Row(e.getKey().name(), e.getValue().count(), e.getValue().slots()))
                .sorted(Comparator.comparingLong(Row::total).reversed().thenComparing(Row::name)).toList();
        String unit = nanoseconds ? "nsecs" : "usecs";
        if (!s.json()) s.out().println();
        timestamp.print(s);
        if (dist()) {
            for (Row r : rows) s.histogram(Aggregates.log2(unit, r.slots()).withLabel("hardirq = " + r.name()));
            return;
        }
        String column = count() ? "count" : unit;
        if (!s.json()) s.out().printf("%-26s %11s%n", "HARDIRQ", "TOTAL_" + column);
        for (Row r : rows) {
            if (s.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("hardirq", r.name());
                m.put(column, r.total());
                s.printJson(m);
            } else {
                s.out().printf("%-26s %11d%n", r.name(), r.total());
            }
        }
    }
}
