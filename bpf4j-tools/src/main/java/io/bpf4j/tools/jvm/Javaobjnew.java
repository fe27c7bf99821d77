package io.bpf4j.tools.jvm;

import io.bpf4j.core.link.Usdt;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Targets;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code javaobjnew}: the objects a running HotSpot JVM allocates, per class — how many and how many bytes — as
 * bcc's uobjnew for Java (javaobjnew), with its NAME/TYPE, # ALLOCS and # BYTES columns, {@code -C N} (the N classes
 * most often allocated) and {@code -S N} (the N with the most bytes), at Ctrl-C or every {@code interval}.
 *
 * <p>Hooks {@code hotspot:object__alloc}, which the JVM reaches only when started with
 * {@code -XX:+DTraceAllocProbes} ({@code -XX:+ExtendedDTraceProbes} before JDK 25): without it the tool says so in
 * one line and exits 1. The counts are kept per class in the kernel; only the table is read. Classes are named as
 * {@code jmap -histo} names them ({@code java.lang.String}, {@code [B}, {@code [Ljava.lang.Object;}); rows are
 * sorted with the largest first (bcc prints the largest last).
 */
@Command(name = "javaobjnew", mixinStandardHelpOptions = true,
        description = "Summarize the objects a Java process allocates, per class (needs -XX:+DTraceAllocProbes).")
public final class Javaobjnew extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class, required = true,
            description = "The Java process to trace.")
    Integer pid;

    @ArgGroup(exclusive = true)
    Top top;

    /** {@code -C N} or {@code -S N}, as bcc's uobjnew. */
    static final class Top {
        @Option(names = {"-C", "--top-count"}, paramLabel = "N", converter = OptionTypes.Count.class,
                description = "Print the N classes most often allocated.")
        Integer count;

        @Option(names = {"-S", "--top-size"}, paramLabel = "N", converter = OptionTypes.Count.class,
                description = "Print the N classes with the most bytes allocated.")
        Integer size;
    }

    @Mixin
    CommonOptions.TraceDuration duration;

    @Mixin
    CommonOptions.Timestamp timestamp;

    @Mixin
    CommonOptions.Intervals intervals;

    /** {@code struct class_key} of javaobjnew.bpf.c, the key of {@code allocs}. */
    record ClassKey(String name) {
    }

    /** {@code struct counts} of javaobjnew.bpf.c, the value of {@code allocs}. */
    record Counts(long allocs, long bytes) {
        Counts minus(Counts before) {
            return before == null ? this : new Counts(allocs - before.allocs, bytes - before.bytes);
        }
    }

    /**
     * The totals at the last print: the map is never emptied (a key read then deleted would lose what a CPU adds
     * between the two), each table shows what was added since.
     */
    private Map<ClassKey, Counts> printed = Map.of();

    @Override
    protected int run(ToolSession s) {
        HotSpotProcess jvm = HotSpotProcess.require(pid);
        jvm.requireFlag("DTraceAllocProbes", "object__alloc");
        s.object("javaobjnew");
        var keys = Aggregates.keys(s, "allocs", ClassKey.class);
        var values = Aggregates.values(s, "allocs", Counts.class);
        s.set("targ_pid", pid);
        s.load();
        s.keep(Usdt.attach(s.loaded(), s.loaded().program("javaobjnew_alloc"), jvm.libjvm(), "hotspot",
                "object__alloc", pid));
        s.watch(Targets.process(pid));
        var allocs = s.map("allocs").typed(keys, values);
        if (!s.json()) s.out().println("Tracing allocations in process " + pid + " (language: java)... Ctrl-C to quit.");
        intervals.loop(s, duration.get(), () -> {
            Map<ClassKey, Counts> now = new HashMap<>();
            allocs.entries().forEach(e -> now.put(e.getKey(), e.getValue()));
            List<Map.Entry<ClassKey, Counts>> added = new ArrayList<>();
            now.forEach((k, v) -> {
                Counts d = v.minus(printed.get(k));
                if (d.allocs() != 0) added.add(Map.entry(k, d));
            });
            printed = now;
            print(s, added);
        });
        if (s.ended() != null) s.err().println("javaobjnew: " + s.ended() + "; stopped");
        return 0;
    }

    private void print(ToolSession s, List<Map.Entry<ClassKey, Counts>> counts) {
        Comparator<Map.Entry<ClassKey, Counts>> order = top != null && top.count != null
                ? Comparator.comparingLong(e -> e.getValue().allocs())
                : Comparator.comparingLong(e -> e.getValue().bytes());
        long limit = top == null ? Long.MAX_VALUE : top.count != null ? top.count : top.size;
        List<Map.Entry<ClassKey, Counts>> rows = counts.stream().sorted(order.reversed()
                .thenComparing(e -> e.getKey().name())).limit(limit).toList();
        if (s.json()) {
            for (var e : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("class", HotSpotProcess.javaName(e.getKey().name()));
                m.put("allocs", e.getValue().allocs());
                m.put("bytes", e.getValue().bytes());
                s.printJson(m);
            }
            return;
        }
        s.out().println();
        timestamp.print(s);
        s.out().printf("%-30s %8s %12s%n", "NAME/TYPE", "# ALLOCS", "# BYTES");
        for (var e : rows) {
            s.out().printf("%-30s %8d %12d%n", HotSpotProcess.javaName(e.getKey().name()), e.getValue().allocs(),
                    e.getValue().bytes());
        }
    }
}
