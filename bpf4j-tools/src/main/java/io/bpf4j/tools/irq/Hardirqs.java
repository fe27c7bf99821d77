package io.bpf4j.tools.irq;

import io.bpf4j.core.BpfMap;
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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
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
    private static final int NAME_LEN = 32;
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
        s.object("hardirqs");
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
        boolean signalled = s.loop(null, interval == null ? null : Duration.ofSeconds(interval), times,
                () -> print(s));
        if (interval == null || signalled) print(s);
        return 0;
    }

    private record Row(String name, long total, long[] slots) {
    }

    private void print(ToolSession s) {
        List<Row> rows = takeAll(s.map("infos")).stream().map(e -> {
            byte[] k = e.getKey();
            int n = 0;
            while (n < NAME_LEN && k[n] != 0) n++;
            ByteBuffer v = ByteBuffer.wrap(e.getValue()).order(ByteOrder.nativeOrder());
            long[] slots = new long[MAX_SLOTS];
            for (int i = 0; i < MAX_SLOTS; i++) slots[i] = Integer.toUnsignedLong(v.getInt(8 + 4 * i));
            return new Row(new String(k, 0, n, StandardCharsets.UTF_8), v.getLong(0), slots);
        }).sorted(Comparator.comparingLong(Row::total).reversed().thenComparing(Row::name)).toList();
        String unit = nanoseconds ? "nsecs" : "usecs";
        if (!s.json()) {
            s.out().println();
            if (timestamp) {
                s.out().printf("%-8s%n", LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")));
            }
        }
        if (dist()) {
            for (Row r : rows) s.histogram(Histogram.log2(unit, r.slots()).withLabel("hardirq = " + r.name()));
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

    /**
     * Reads and deletes every element, key by key as libbpf-tools does (increments between the read and the delete
     * of a key are lost, as there). Not BPF_MAP_LOOKUP_AND_DELETE_BATCH: on this 6.18 kernel it intermittently
     * returned nothing for a hash map that BPF programs were updating from interrupt context.
     */
    private static List<Map.Entry<byte[], byte[]>> takeAll(BpfMap map) {
        List<Map.Entry<byte[], byte[]>> all = new ArrayList<>(map.entries().toList());
        for (Map.Entry<byte[], byte[]> e : all) map.delete(e.getKey());
        return all;
    }
}
