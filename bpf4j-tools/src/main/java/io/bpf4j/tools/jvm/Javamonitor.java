package io.bpf4j.tools.jvm;

import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.output.EventType;
import io.bpf4j.output.JsonLinesSink;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Row;
import io.bpf4j.tools.Targets;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code javamonitor}: monitor contention in a running HotSpot JVM — a line each time a thread had to wait to enter
 * a {@code synchronized} block or method that another thread held ({@code enter}), or waited in
 * {@code Object.wait()} ({@code wait}): which thread, on an object of which class, for how long; and at the end a
 * summary per class and kind: how many waits, their total and the longest, the longest total first.
 *
 * <p>Hooks the USDT probes {@code hotspot:monitor__contended__enter} / {@code monitor__contended__entered} and
 * {@code hotspot:monitor__wait} / {@code monitor__waited} of the libjvm.so the process maps; the wait is measured
 * between the two of a pair in the kernel, per thread, and summed there per class. HotSpot reaches these probes only
 * when started with {@code -XX:+DTraceMonitorProbes} ({@code -XX:+ExtendedDTraceProbes} before JDK 25), which
 * cannot be turned on later: without it the tool says which flag to restart the JVM with, and exits 1. A lock taken
 * without contention (or won by spinning) fires nothing. {@code java.util.concurrent} locks park threads instead
 * and are not monitors: they do not show here.
 */
@Command(name = "javamonitor", mixinStandardHelpOptions = true,
        description = "Trace monitor contention in a Java process: who waits on which class's monitor, how long "
                + "(HotSpot USDT probes; needs -XX:+DTraceMonitorProbes).")
public final class Javamonitor extends Tool {
    /** The JVM flag the probes need (JDK 25; {@link HotSpotProcess#flagToGive} names the older one). */
    static final String FLAG = "DTraceMonitorProbes";

    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class, required = true,
            description = "The Java process to trace.")
    Integer pid;

    @Option(names = {"-s", "--summary"}, description = "Print only the summary per class at the end, no line per "
            + "wait.")
    boolean summaryOnly;

    @Mixin
    CommonOptions.TraceDuration duration;

    private final Row row = new Row();

    /** {@code struct class_key} of javamonitor.bpf.c, the key of {@code classes}. */
    record ClassKey(int type, String name) {
    }

    /** {@code struct totals} of javamonitor.bpf.c, the value of {@code classes}. */
    record Totals(long count, long total_ns, long max_ns) {
    }

    @Override
    protected int run(ToolSession s) {
        HotSpotProcess jvm = HotSpotProcess.require(pid);
        jvm.requireFlag(FLAG, "monitor__contended__enter");
        s.object("javamonitor");
        var keys = Aggregates.keys(s, "classes", ClassKey.class);
        var values = Aggregates.values(s, "classes", Totals.class);
        s.set("targ_pid", pid);
        s.set("targ_events", summaryOnly ? 0 : 1);
        s.load();
        // attached for this process only: the kernel fires them for its threads (the uprobe filter is its mm)
        for (String[] p : new String[][] {{"enter", "contended__enter"}, {"entered", "contended__entered"},
                {"wait", "wait"}, {"waited", "waited"}}) {
            s.keep(Usdt.attach(s.loaded(), s.loaded().program("javamonitor_" + p[0]), jvm.libjvm(), "hotspot",
                    "monitor__" + p[1], pid));
        }
        s.watch(Targets.process(pid));
        if (!s.json()) {
            s.out().println("Tracing monitor contention in process " + pid + " (language: java)... Ctrl-C to quit.");
        }
        if (!summaryOnly) {
            // a wait is a slice that ends at the event's timestamp: CTF, Perfetto and JFR show it as one
            EventType monitor = s.eventType(EventType.of("monitor", s.btf(), "event")
                    .withDuration("wait_ns", TimeUnit.NANOSECONDS));
            if (!s.json()) {
                s.out().printf("%-8s %-7s %-7s %-16s %-5s %-10s %s%n", "TIME", "PID", "TID", "THREAD", "TYPE",
                        "WAIT(us)", "CLASS");
            }
            s.onEvents("events", monitor, e -> print(s, e));
        }
        s.loop(duration.get(), null, null, null);
        printSummary(s, s.map("classes").typed(keys, values).entries().toList());
        if (s.ended() != null) s.err().println("javamonitor: " + s.ended() + "; stopped");
        return 0;
    }

    private void print(ToolSession s, TraceEvent e) {
        BtfRecord r = e.record();
        String className = HotSpotProcess.javaName(r.getString("class_name"));
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", e.type().name());
            m.putAll(JsonLinesSink.fields(r));
            m.put("monitor", "0x" + Long.toHexString(r.getLong("monitor")));
            m.put("class_name", className);
            s.printJson(m);
            return;
        }
        row.left(CommonOptions.time(), 8).left(r.getLong("pid"), 7).left(r.getLong("tid"), 7)
                .left(r.getString("comm"), 16).left(r.getString("type"), 5).left(r.getLong("wait_ns") / 1000, 10)
                .end(className).println(s.out());
    }

    /** The classes, the longest total wait first. */
    private static void printSummary(ToolSession s, List<Map.Entry<ClassKey, Totals>> classes) {
        List<Map.Entry<ClassKey, Totals>> rows = classes.stream()
                .sorted(Comparator.comparingLong((Map.Entry<ClassKey, Totals> e) -> e.getValue().total_ns())
                        .reversed().thenComparing(e -> e.getKey().name()))
                .toList();
        if (s.json()) {
            for (var e : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("class_name", HotSpotProcess.javaName(e.getKey().name()));
                m.put("type", type(e.getKey()));
                m.put("count", e.getValue().count());
                m.put("total_ns", e.getValue().total_ns());
                m.put("max_ns", e.getValue().max_ns());
                s.printJson(m);
            }
            return;
        }
        s.out().println();
        s.out().printf("%-40s %-5s %8s %12s %10s%n", "CLASS", "TYPE", "COUNT", "TOTAL(us)", "MAX(us)");
        for (var e : rows) {
            s.out().printf("%-40s %-5s %8d %12d %10d%n", HotSpotProcess.javaName(e.getKey().name()),
                    type(e.getKey()), e.getValue().count(), e.getValue().total_ns() / 1000,
                    e.getValue().max_ns() / 1000);
        }
    }

    /** enum monitor_event of javamonitor.bpf.c by number. */
    private static String type(ClassKey k) {
        return k.type() == 0 ? "enter" : "wait";
    }
}
