package io.bpf4j.tools.jvm;

import io.bpf4j.core.Codec;
import io.bpf4j.core.TypedMap;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Targets;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * {@code javastat}: a live summary of every HotSpot JVM on the machine (or of one, {@code -p}), refreshed every
 * interval as top does — per process, Java method calls, garbage collections, object allocations, class loads and
 * thread starts per second — as bcc's ustat for Java (javastat), with its columns (but EXC/s), {@code -C} (do not
 * clear the screen), {@code -S FIELD} (sort by a column, largest first; by PID otherwise), {@code -r MAXROWS} and
 * {@code interval [count]} (1 s by default).
 *
 * <p>The JVMs are the processes that map a libjvm.so (a scan of /proc at each interval); the tool's own JVM is left
 * out. Without {@code -p}, each libjvm.so file is probed for every process (pid -1), so a JVM started later from a
 * file already probed is counted from its start; one started from another file is probed when an interval's scan
 * finds it. GC/s counts stop-the-world pauses ({@code hotspot:gc__begin}; bcc also counts each memory pool's
 * collection, several per pause); CLOAD/s {@code class__loaded}, THR/s {@code thread__start}. OBJNEW/s and
 * METHOD/s count {@code object__alloc} and {@code method__entry}, which a JVM reaches only when started with
 * {@code -XX:+DTraceAllocProbes} and {@code -XX:+DTraceMethodProbes} ({@code -XX:+ExtendedDTraceProbes} before
 * JDK 25): for a JVM without the flag the column shows {@code -}. bcc's EXC/s (JNI's ExceptionOccurred calls, not
 * Java exceptions) is left out.
 */
@Command(name = "javastat", mixinStandardHelpOptions = true,
        description = "Live GC, class-load, thread, allocation and call rates of every Java process (as top).")
public final class Javastat extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Only this Java process.")
    Integer pid;

    @Option(names = {"-C", "--noclear"}, description = "Don't clear the screen.")
    boolean noclear;

    @Option(names = {"-S", "--sort"}, paramLabel = "FIELD",
            description = "Sort by this column, largest first: ${COMPLETION-CANDIDATES} (default: by PID).")
    Field sort;

    @Option(names = {"-r", "--maxrows"}, paramLabel = "MAXROWS", converter = OptionTypes.Count.class,
            description = "Maximum rows to print (default 20).")
    int maxrows = 20;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", converter = OptionTypes.Interval.class,
            description = "Output interval in seconds (default 1).")
    Integer interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", converter = OptionTypes.Count.class,
            description = "Number of outputs.")
    Integer count;

    /** The columns {@code -S} sorts by, as bcc's ustat names them. */
    enum Field {
        method, gc, objnew, cload, thread
    }

    /** {@code struct jvm_stats} of javastat.bpf.c, the value of {@code stats} (per CPU). */
    record JvmStats(long gc, long cload, long thread, long objnew, long method) {
        JvmStats plus(JvmStats o) {
            return new JvmStats(gc + o.gc, cload + o.cload, thread + o.thread, objnew + o.objnew, method + o.method);
        }

        JvmStats minus(JvmStats o) {
            return o == null ? this : new JvmStats(gc - o.gc, cload - o.cload, thread - o.thread,
                    objnew - o.objnew, method - o.method);
        }
    }

    /** A JVM the scans found: its command line, and whether it fires the probes its flags enable. */
    private record Jvm(String cmdline, boolean objnew, boolean method) {
    }

    private static final JvmStats NONE = new JvmStats(0, 0, 0, 0, 0);
    private static final String CLEAR = "\033[H\033[2J";

    private final Map<Integer, Jvm> jvms = new HashMap<>();
    /** The libjvm.so files probed for every process (by file identity: paths through /proc/PID/root differ). */
    private final Set<Object> probed = new java.util.HashSet<>();
    /** The totals at the last print: each interval shows what was added since (the counters are never reset). */
    private Map<Integer, JvmStats> printed = Map.of();

    @Override
    protected int run(ToolSession s) {
        int every = interval == null ? 1 : interval;
        HotSpotProcess only = pid == null ? null : HotSpotProcess.require(pid);
        s.object("javastat");
        var values = Aggregates.values(s, "stats", JvmStats.class);
        if (pid != null) s.set("targ_pid", pid);
        s.set("targ_self", ProcessHandle.current().pid());
        s.load();
        if (only != null) {
            attach(s, only.libjvm(), pid);
            s.watch(Targets.process(pid));
        }
        scan(s);
        TypedMap<Integer, List<JvmStats>> stats = s.map("stats").perCpu(Codec.INT, values);
        if (!s.json()) s.out().println("Tracing... Output every " + every + " secs. Hit Ctrl-C to end");
        // the first interval starts now, not when the first probe was attached (attaching takes a while)
        printed = totals(stats);
        s.loop(null, Duration.ofSeconds(every), count, () -> print(s, stats, every));
        return 0;
    }

    /** Finds the JVMs running now, probing the libjvm.so files not probed yet (unless -p). */
    private void scan(ToolSession s) {
        List<HotSpotProcess> found;
        try {
            found = pid != null ? HotSpotProcess.of(pid).stream().toList()
                    : HotSpotProcess.all(ProcessHandle.current().pid());
        } catch (IllegalArgumentException exited) {
            found = List.of(); // -p's process exited: the watch ends the loop
        }
        Map<Integer, Jvm> now = new HashMap<>();
        for (HotSpotProcess p : found) {
            Jvm known = jvms.get(p.pid());
            if (known == null) {
                try {
                    known = new Jvm(cmdline(p.cmdline()), p.flag("DTraceAllocProbes").orElse(true),
                            p.flag("DTraceMethodProbes").orElse(true));
                } catch (RuntimeException gone) {
                    continue;
                }
            }
            now.put(p.pid(), known);
            if (pid == null && probed.add(HotSpotProcess.fileKey(p.libjvm()))) attach(s, p.libjvm(), -1);
        }
        jvms.clear();
        jvms.putAll(now);
    }

    private static void attach(ToolSession s, Path libjvm, int target) {
        String[][] probes = {{"javastat_gc", "gc__begin"}, {"javastat_cload", "class__loaded"},
                {"javastat_thread", "thread__start"}, {"javastat_objnew", "object__alloc"},
                {"javastat_method", "method__entry"}};
        for (String[] p : probes) {
            s.keep(Usdt.attach(s.loaded().program(p[0]), libjvm, "hotspot", p[1], target));
        }
    }

    /** argv[0] without its directory, then the arguments. */
    private static String cmdline(String full) {
        int space = full.indexOf(' ');
        String exe = space < 0 ? full : full.substring(0, space);
        return exe.substring(exe.lastIndexOf('/') + 1) + (space < 0 ? "" : full.substring(space));
    }

    private void print(ToolSession s, TypedMap<Integer, List<JvmStats>> stats, int every) {
        Map<Integer, JvmStats> totals = totals(stats);
        Map<Integer, JvmStats> added = new TreeMap<>();
        totals.forEach((p, t) -> added.put(p, t.minus(printed.get(p))));
        printed = totals;
        scan(s);
        for (int p : jvms.keySet()) added.putIfAbsent(p, NONE);
        // a process that ended before the scan and did nothing since the last print: no row
        added.entrySet().removeIf(e -> !jvms.containsKey(e.getKey()) && e.getValue().equals(NONE));
        // a process gone: its last counts are shown now, then its entry goes
        for (int p : List.copyOf(totals.keySet())) {
            if (!jvms.containsKey(p) && !Files.exists(Path.of("/proc", Integer.toString(p)))) {
                stats.remove(p);
                totals.remove(p);
            }
        }
        List<Map.Entry<Integer, JvmStats>> rows = new ArrayList<>(added.entrySet());
        if (sort != null) rows.sort(Comparator.comparingLong(sortKey(sort)).reversed());
        if (rows.size() > maxrows) rows = rows.subList(0, maxrows);
        if (s.json()) {
            String time = CommonOptions.time();
            for (var e : rows) {
                Jvm j = jvms.get(e.getKey());
                JvmStats st = e.getValue();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("time", time);
                m.put("pid", e.getKey());
                m.put("cmdline", j == null ? "" : j.cmdline());
                m.put("interval_s", every);
                m.put("method", j == null || j.method() ? st.method() : null);
                m.put("gc", st.gc());
                m.put("objnew", j == null || j.objnew() ? st.objnew() : null);
                m.put("cload", st.cload());
                m.put("thread", st.thread());
                s.printJson(m);
            }
            return;
        }
        var out = s.out();
        out.print(noclear ? "\n" : CLEAR);
        out.println(CommonOptions.time() + " loadavg: " + loadavg());
        out.println();
        out.printf("%-7s %-20s %-10s %-6s %-10s %-8s %s%n", "PID", "CMDLINE", "METHOD/s", "GC/s", "OBJNEW/s",
                "CLOAD/s", "THR/s");
        for (var e : rows) {
            Jvm j = jvms.get(e.getKey());
            JvmStats st = e.getValue();
            String cmd = j == null ? "" : j.cmdline();
            out.printf("%-7d %-20s %-10s %-6d %-10s %-8d %d%n", e.getKey(), cmd.substring(0, Math.min(20,
                            cmd.length())), j == null || j.method() ? Long.toString(st.method() / every) : "-",
                    st.gc() / every, j == null || j.objnew() ? Long.toString(st.objnew() / every) : "-",
                    st.cload() / every, st.thread() / every);
        }
    }

    /** Each process's counters, summed over the CPUs. */
    private static Map<Integer, JvmStats> totals(TypedMap<Integer, List<JvmStats>> stats) {
        Map<Integer, JvmStats> totals = new HashMap<>();
        stats.entries().forEach(e -> totals.put(e.getKey(), e.getValue().stream().reduce(NONE, JvmStats::plus)));
        return totals;
    }

    private static ToLongFunction<Map.Entry<Integer, JvmStats>> sortKey(Field f) {
        return switch (f) {
            case method -> e -> e.getValue().method();
            case gc -> e -> e.getValue().gc();
            case objnew -> e -> e.getValue().objnew();
            case cload -> e -> e.getValue().cload();
            case thread -> e -> e.getValue().thread();
        };
    }

    private static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
