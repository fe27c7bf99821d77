package io.bpf4j.tools.jvm;

import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.output.EventType;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Row;
import io.bpf4j.tools.Targets;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code javaflow}: the flow of Java method calls in a running HotSpot JVM — a line per entry ({@code ->}) and per
 * return ({@code <-}) of each method whose class (and name) start with the prefixes given, indented by the call depth
 * of its thread — as bcc's uflow for Java (javaflow), with its CPU, PID, TID, TIME and METHOD columns and its
 * {@code -C CLASS} and {@code -M METHOD} prefixes.
 *
 * <p>Hooks {@code hotspot:method__entry} and {@code method__return}, which the JVM reaches only when started with
 * {@code -XX:+DTraceMethodProbes} ({@code -XX:+ExtendedDTraceProbes} before JDK 25): without it the tool says so in
 * one line and exits 1. Every Java call of the process hits the probes; the prefixes are compared in the kernel, so
 * only the calls shown become events (without {@code -C} that is every call: give one). The depth counts only the
 * methods shown, per thread, as bcc's; but where bcc's counter only grows when an exception unwinds calls (HotSpot
 * fires no return for them), here a return is matched with its own entry on the thread's stack of calls, and the
 * calls above it are dropped (not shown: their returns never happened). TIME is in seconds since the tool attached (bcc's header says us but shows
 * seconds). Events the ring buffer had no room for are counted and reported at exit ({@code --buffer-kb} gives it
 * more room).
 */
@Command(name = "javaflow", mixinStandardHelpOptions = true,
        description = "Trace the flow of Java method calls of a Java process (needs -XX:+DTraceMethodProbes).")
public final class Javaflow extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class, required = true,
            description = "The Java process to trace.")
    Integer pid;

    @Option(names = {"-C", "--class"}, paramLabel = "PREFIX",
            description = "Only methods of classes whose name starts with this (e.g. com.example. or java/util/).")
    String classPrefix;

    @Option(names = {"-M", "--method"}, paramLabel = "PREFIX",
            description = "Only methods whose name starts with this.")
    String methodPrefix;

    @Mixin
    CommonOptions.TraceDuration duration;

    private final Row row = new Row();
    private final StringBuilder method = new StringBuilder(256);
    private long start;

    @Override
    protected int run(ToolSession s) {
        HotSpotProcess jvm = HotSpotProcess.require(pid);
        jvm.requireFlag("DTraceMethodProbes", "method__entry");
        s.object("javaflow");
        s.set("targ_pid", pid);
        MethodFilter.set(s, classPrefix, methodPrefix);
        s.load();
        // bpf_ktime_get_ns() and System.nanoTime() both read CLOCK_MONOTONIC on Linux
        start = System.nanoTime();
        // returns first: a return whose entry was not seen shows at depth 0, while an entry whose return was missed
        // (attached later) would indent the rest of its thread's flow one step too deep
        s.keep(Usdt.attach(s.loaded(), s.loaded().program("javaflow_return"), jvm.libjvm(), "hotspot",
                "method__return", pid));
        s.keep(Usdt.attach(s.loaded(), s.loaded().program("javaflow_entry"), jvm.libjvm(), "hotspot",
                "method__entry", pid));
        s.watch(Targets.process(pid));
        EventType call = s.eventType("call", "event");
        if (!s.json()) {
            String filters = MethodFilter.describe(classPrefix, methodPrefix);
            s.out().println("Tracing method calls in java process " + pid
                    + (filters.isEmpty() ? "" : " (" + filters + ")") + "... Ctrl-C to quit.");
            row.left("CPU", 3).left("PID", 6).left("TID", 6).left("TIME(s)", 10).end("METHOD").println(s.out());
        }
        s.onEvents("events", call, e -> print(s, e));
        s.loop(duration.get(), null, null, null);
        if (s.ended() != null) s.err().println("javaflow: " + s.ended() + "; stopped");
        return 0;
    }

    private void print(ToolSession s, TraceEvent e) {
        BtfRecord r = e.record();
        String clazz = HotSpotProcess.javaName(r.getString("clazz"));
        boolean ret = r.getLong("ret") != 0;
        long depth = r.getLong("depth");
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", ret ? "return" : "entry");
            m.put("ts", r.getLong("ts"));
            m.put("cpu", r.getLong("cpu"));
            m.put("pid", r.getLong("pid"));
            m.put("tid", r.getLong("tid"));
            m.put("depth", depth);
            m.put("class", clazz);
            m.put("method", r.getString("method"));
            s.printJson(m);
            return;
        }
        method.setLength(0);
        for (long i = 1; i < depth; i++) method.append("  ");
        method.append(ret ? "<- " : "-> ").append(clazz).append('.').append(r.getString("method"));
        long us = Math.max(0, r.getLong("ts") - start) / 1000;
        row.left(r.getLong("cpu"), 3).left(r.getLong("pid"), 6).left(r.getLong("tid"), 6)
                .left(us / 1_000_000 + "." + String.valueOf(1_000_000 + us % 1_000_000).substring(1), 10)
                .end(method.toString()).println(s.out());
    }
}
