package io.bpf4j.tools.jvm;

import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.output.EventType;
import io.bpf4j.output.Histogram;
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
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code javajit}: the methods a running HotSpot JVM's JIT compilers compile — one line per compilation with the
 * compiler (C1, C2), how long it took, whether it succeeded, and the method as {@code class::name(descriptor)}; or,
 * with {@code -H}, a power-of-two histogram of the compile times per compiler.
 *
 * <p>Hooks the USDT probes {@code hotspot:method__compile__begin} and {@code hotspot:method__compile__end} of the
 * libjvm.so the process maps, which HotSpot fires without any flag, on the compiler thread, around each
 * compilation (on-stack-replacement ones included); the time is measured between the two in the kernel, per
 * compiler thread. The probes carry the compiler but not the tier: with tiered compilation, C1 compiles tiers 1 to
 * 3 and C2 tier 4. A compilation that began before the tool attached is not shown.
 */
@Command(name = "javajit", mixinStandardHelpOptions = true,
        description = "Trace the JIT compilations of a Java process: method, compiler, time (HotSpot USDT probes).")
public final class Javajit extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class, required = true,
            description = "The Java process to trace.")
    Integer pid;

    @Option(names = {"-H", "--histogram"},
            description = "Print a histogram of the compile times per compiler instead of events.")
    boolean histogram;

    @Mixin
    CommonOptions.TraceDuration duration;

    @Mixin
    CommonOptions.Timestamp timestamp;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", converter = OptionTypes.Interval.class,
            description = "With -H: print every interval (s).")
    Integer interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", converter = OptionTypes.Count.class,
            description = "Stop after this many intervals.")
    Integer count;

    private final Row row = new Row();

    /** {@code struct hist_key} of javajit.bpf.c, the key of {@code hists}. */
    record Compiler(String compiler) {
    }

    /** {@code struct hist} of javajit.bpf.c, the value of {@code hists}. */
    record Hist(int[] slots) {
    }

    @Override
    protected int run(ToolSession s) {
        if (interval != null && !histogram) {
            throw new ParameterException(spec.commandLine(), "interval and count are for histograms: add -H");
        }
        HotSpotProcess jvm = HotSpotProcess.require(pid);
        s.object("javajit");
        var compiler = Aggregates.keys(s, "hists", Compiler.class);
        var hist = Aggregates.values(s, "hists", Hist.class);
        s.set("targ_pid", pid);
        s.set("targ_hist", histogram ? 1 : 0);
        s.load();
        // attached for this process only: the kernel fires them for its threads (the uprobe filter is its mm)
        s.keep(Usdt.attach(s.loaded(), s.loaded().program("javajit_begin"), jvm.libjvm(), "hotspot",
                "method__compile__begin", pid));
        s.keep(Usdt.attach(s.loaded(), s.loaded().program("javajit_end"), jvm.libjvm(), "hotspot",
                "method__compile__end", pid));
        s.watch(Targets.process(pid));
        if (!s.json()) s.out().println("Tracing JIT compilations in process " + pid + " (language: java)... "
                + "Ctrl-C to quit.");
        if (histogram) {
            var hists = s.map("hists").typed(compiler, hist);
            Runnable print = () -> {
                // read key by key and delete what was read: the compiler threads add to it meanwhile
                var all = Aggregates.takeAll(hists);
                if (!s.json()) s.out().println();
                timestamp.print(s);
                for (var e : all.stream().sorted(Comparator.comparing(
                        (Map.Entry<Compiler, Hist> x) -> x.getKey().compiler())).toList()) {
                    Histogram h = Aggregates.log2("usecs", e.getValue().slots());
                    s.histogram(h.withLabel("compiler = " + e.getKey().compiler()));
                }
            };
            boolean signalled = s.loop(duration.get(), interval == null ? null : Duration.ofSeconds(interval), count,
                    print);
            if (interval == null || signalled) print.run();
        } else {
            // a compilation is a slice that ends at the event's timestamp: CTF, Perfetto and JFR show it as one
            EventType compile = s.eventType(EventType.of("compile", s.btf(), "event")
                    .withDuration("compile_ns", TimeUnit.NANOSECONDS));
            if (!s.json()) {
                s.out().printf("%-8s %-7s %-7s %-8s %-10s %-3s %s%n", "TIME", "PID", "TID", "COMPILER", "TIME(us)",
                        "OK", "METHOD");
            }
            s.onEvents("events", compile, e -> print(s, e));
            s.loop(duration.get(), null, null, null);
        }
        if (s.ended() != null) s.err().println("javajit: " + s.ended() + "; stopped");
        return 0;
    }

    private void print(ToolSession s, TraceEvent e) {
        BtfRecord r = e.record();
        String className = HotSpotProcess.javaName(r.getString("class_name"));
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", e.type().name());
            m.putAll(JsonLinesSink.fields(r));
            m.put("class_name", className);
            s.printJson(m);
            return;
        }
        row.left(CommonOptions.time(), 8).left(r.getLong("pid"), 7).left(r.getLong("tid"), 7)
                .left(r.getString("compiler"), 8).left(r.getLong("compile_ns") / 1000, 10)
                .left(r.getLong("success") != 0 ? "yes" : "no", 3)
                .end(className + "::" + r.getString("method") + r.getString("signature")).println(s.out());
    }
}
