package io.bpf4j.tools.jvm;

import io.bpf4j.core.link.Usdt;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Targets;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
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
 * {@code javacalls}: how often a running HotSpot JVM calls each Java method and, with {@code -L}, how long the calls
 * take — as bcc's ucalls for Java (javacalls), with its METHOD, # CALLS and TIME (us) columns, {@code -T N} (the N
 * methods most called, or slowest with {@code -L}), {@code -m} (milliseconds), at Ctrl-C or every
 * {@code interval}; plus {@code -C PREFIX} and {@code -M PREFIX} (as bcc's uflow) to count only the classes and
 * methods whose names start so.
 *
 * <p>Hooks {@code hotspot:method__entry} (and {@code method__return} with {@code -L}), which the JVM reaches only
 * when started with {@code -XX:+DTraceMethodProbes} ({@code -XX:+ExtendedDTraceProbes} before JDK 25): without it
 * the tool says so in one line and exits 1. With the flag, every Java call of the process hits the probe (a uprobe
 * trap, microseconds), whatever the filter: the filters are applied in the kernel, so that calls of other classes
 * add no map update and nothing to read, but the program runs much slower while the tool is attached. Calls are
 * counted at entry; a call's time is from its entry to its return, recursive calls each timed; a call left by an
 * exception (HotSpot fires no return for it) is counted but not timed (the caller that catches it is); calls in
 * progress when the tool attached are timed from the next. Methods are named
 * {@code java.lang.String.indexOf}; rows are sorted with the largest first (bcc prints the largest last).
 */
@Command(name = "javacalls", mixinStandardHelpOptions = true,
        description = "Summarize the Java method calls of a Java process (needs -XX:+DTraceMethodProbes).")
public final class Javacalls extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class, required = true,
            description = "The Java process to trace.")
    Integer pid;

    @Option(names = {"-C", "--class"}, paramLabel = "PREFIX",
            description = "Only methods of classes whose name starts with this (e.g. com.example. or java/util/).")
    String classPrefix;

    @Option(names = {"-M", "--method"}, paramLabel = "PREFIX",
            description = "Only methods whose name starts with this.")
    String methodPrefix;

    @Option(names = {"-L", "--latency"}, description = "Also time the calls, from entry to return.")
    boolean latency;

    @Option(names = {"-m", "--milliseconds"}, description = "Times in milliseconds (default microseconds).")
    boolean milliseconds;

    @Option(names = {"-T", "--top"}, paramLabel = "N", converter = OptionTypes.Count.class,
            description = "Print only the N methods most called (with -L: with the most time).")
    Integer top;

    @Mixin
    CommonOptions.TraceDuration duration;

    @Mixin
    CommonOptions.Intervals intervals;

    /** {@code struct method_name} of hotspot_methods.h, the key of {@code counts}. */
    record MethodName(String clazz, String method) {
    }

    /** {@code struct method_counts} of javacalls.bpf.c, the value of {@code counts}. */
    record MethodCounts(long calls, long total_ns) {
        MethodCounts minus(MethodCounts before) {
            return before == null ? this : new MethodCounts(calls - before.calls, total_ns - before.total_ns);
        }
    }

    /**
     * The totals at the last print: the map is never emptied (a key read then deleted would lose what a CPU adds
     * between the two), each table shows what was added since.
     */
    private Map<MethodName, MethodCounts> printed = Map.of();

    @Override
    protected int run(ToolSession s) {
        HotSpotProcess jvm = HotSpotProcess.require(pid);
        jvm.requireFlag("DTraceMethodProbes", "method__entry");
        s.object("javacalls");
        var keys = Aggregates.keys(s, "counts", MethodName.class);
        var values = Aggregates.values(s, "counts", MethodCounts.class);
        s.set("targ_pid", pid);
        s.set("targ_latency", latency ? 1 : 0);
        MethodFilter.set(s, classPrefix, methodPrefix);
        s.autoload("javacalls_return", latency);
        s.load();
        // returns first: a return whose entry was not seen is left out, while an entry whose return was missed
        // would stay on its thread's stack, and every later return would pop the wrong entry
        if (latency) {
            s.keep(Usdt.attach(s.loaded(), s.loaded().program("javacalls_return"), jvm.libjvm(), "hotspot",
                    "method__return", pid));
        }
        s.keep(Usdt.attach(s.loaded(), s.loaded().program("javacalls_entry"), jvm.libjvm(), "hotspot",
                "method__entry", pid));
        s.watch(Targets.process(pid));
        var counts = s.map("counts").typed(keys, values);
        if (!s.json()) {
            String filters = MethodFilter.describe(classPrefix, methodPrefix);
            s.out().println("Tracing calls in process " + pid + " (language: java"
                    + (filters.isEmpty() ? "" : ", " + filters) + ")... Ctrl-C to quit.");
        }
        intervals.loop(s, duration.get(), () -> {
            Map<MethodName, MethodCounts> now = new HashMap<>();
            counts.entries().forEach(e -> now.put(e.getKey(), e.getValue()));
            List<Map.Entry<MethodName, MethodCounts>> added = new ArrayList<>();
            now.forEach((k, v) -> {
                MethodCounts d = v.minus(printed.get(k));
                if (d.calls() != 0 || d.total_ns() != 0) added.add(Map.entry(k, d));
            });
            printed = now;
            print(s, added);
        });
        if (s.ended() != null) s.err().println("javacalls: " + s.ended() + "; stopped");
        return 0;
    }

    private void print(ToolSession s, List<Map.Entry<MethodName, MethodCounts>> counts) {
        Comparator<Map.Entry<MethodName, MethodCounts>> order = latency
                ? Comparator.comparingLong(e -> e.getValue().total_ns())
                : Comparator.comparingLong(e -> e.getValue().calls());
        List<Map.Entry<MethodName, MethodCounts>> rows = counts.stream()
                .sorted(order.reversed().thenComparing(e -> name(e.getKey())))
                .limit(top == null ? Long.MAX_VALUE : top).toList();
        if (s.json()) {
            for (var e : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("class", HotSpotProcess.javaName(e.getKey().clazz()));
                m.put("method", e.getKey().method());
                m.put("calls", e.getValue().calls());
                if (latency) m.put("total_ns", e.getValue().total_ns());
                s.printJson(m);
            }
            return;
        }
        var out = s.out();
        out.println();
        if (latency) out.printf("%-50s %8s %10s%n", "METHOD", "# CALLS", milliseconds ? "TIME (ms)" : "TIME (us)");
        else out.printf("%-50s %8s%n", "METHOD", "# CALLS");
        for (var e : rows) {
            if (latency) {
                out.printf("%-50s %8d %10.2f%n", name(e.getKey()), e.getValue().calls(),
                        e.getValue().total_ns() / (milliseconds ? 1e6 : 1e3));
            } else {
                out.printf("%-50s %8d%n", name(e.getKey()), e.getValue().calls());
            }
        }
    }

    private static String name(MethodName m) {
        return HotSpotProcess.javaName(m.clazz()) + "." + m.method();
    }
}
