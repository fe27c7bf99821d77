package io.bpf4j.tools.jvm;

import io.bpf4j.core.Codec;
import io.bpf4j.core.TypedMap;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.output.EventType;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.MappedFiles;
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

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code javagc}: the garbage-collection pauses of a running HotSpot JVM — one line per pause with the thread that
 * ran it, whether it was a full collection, and how long it took; or, with {@code -H}, a power-of-two histogram of
 * the pause times — as libbpf-tools' javagc (and bcc's ugc for Java), with its TIME, CPU, PID and GC TIME columns.
 *
 * <p>Hooks the USDT probes {@code hotspot:gc__begin} and {@code hotspot:gc__end} of the libjvm.so the process has
 * mapped (found in {@code /proc/PID/maps}). HotSpot fires them around every stop-the-world pause of a collection, on
 * the thread that runs it (the VM thread), with Serial, Parallel, G1, ZGC and Shenandoah alike (ZGC and Shenandoah
 * pauses are never full), without {@code -XX:+ExtendedDTraceProbes}. They have no semaphore in Temurin 25 (were
 * there one, the kernel would set it: {@link Usdt#attach} passes its offset). The per-memory-pool probes
 * ({@code mem__pool__gc__begin/end}), which libbpf-tools also times, fire inside the same pauses once per pool, so
 * they would count a pause several times: they are not used. Unlike libbpf-tools, whose {@code -t} defaults to
 * 1000 us, every pause is shown unless {@code -t} is given.
 */
@Command(name = "javagc", mixinStandardHelpOptions = true,
        description = "Trace the garbage-collection pauses of a Java process (HotSpot USDT probes).")
public final class Javagc extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            required = true, description = "The Java process to trace.")
    Integer pid;

    @Option(names = {"-t", "--threshold"}, paramLabel = "USECS", converter = OptionTypes.Micros.class,
            description = "Only show pauses at least this long (microseconds).")
    long thresholdUs;

    @Option(names = {"-H", "--histogram"}, description = "Print a histogram of the pause times instead of events.")
    boolean histogram;

    @Option(names = {"-m", "--milliseconds"}, description = "Milliseconds instead of microseconds.")
    boolean milliseconds;

    @Option(names = {"-T", "--timestamp"}, description = "With -H: print a timestamp with each histogram.")
    boolean timestamp;

    @Mixin
    CommonOptions.TraceDuration duration;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", converter = OptionTypes.Interval.class,
            description = "With -H: print every interval (s).")
    Integer interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", converter = OptionTypes.Count.class,
            description = "Stop after this many intervals.")
    Integer count;

    private final Row row = new Row();

    /** {@code struct hist} of javagc.bpf.c, the value of {@code hist}. */
    record Hist(int[] slots) {
    }

    @Override
    protected int run(ToolSession s) {
        if (interval != null && !histogram) {
            throw new ParameterException(spec.commandLine(), "interval and count are for histograms: add -H");
        }
        Path libjvm = libjvm(pid);
        if (Usdt.probes(libjvm).isEmpty()) {
            throw new IllegalStateException(libjvm + " (the JVM of process " + pid + ") has no USDT probes (no "
                    + ".note.stapsdt section): this JDK was built without DTrace/SystemTap probes "
                    + "(configure --enable-dtrace); run the program on a JDK that has them (e.g. Temurin)");
        }
        s.object("javagc");
        var hist = Aggregates.values(s, "hist", Hist.class);
        s.set("targ_pid", pid);
        s.set("targ_min_ns", thresholdUs * 1000);
        s.set("targ_hist", histogram ? 1 : 0);
        s.set("targ_ms", milliseconds ? 1 : 0);
        s.load();
        // attached for this process only: the kernel fires them for its threads (the uprobe filter is its mm)
        s.keep(Usdt.attach(s.loaded(), s.loaded().program("javagc_begin"), libjvm, "hotspot", "gc__begin", pid));
        s.keep(Usdt.attach(s.loaded(), s.loaded().program("javagc_end"), libjvm, "hotspot", "gc__end", pid));
        s.watch(Targets.process(pid));
        Duration d = duration.get();
        if (histogram) {
            TypedMap<Integer, Hist> hists = s.map("hist").typed(Codec.INT, hist);
            if (!s.json()) s.out().println("Tracing GC pauses of process " + pid + "... Hit Ctrl-C to end.");
            s.out().flush();
            boolean signalled = s.loop(d, interval == null ? null : Duration.ofSeconds(interval), count,
                    () -> print(s, hists));
            if (interval == null || signalled) print(s, hists);
            if (s.ended() != null) s.err().println("javagc: " + s.ended() + "; stopped");
            return 0;
        }
        // A pause is a slice that ends at the event's timestamp: CTF, Perfetto and JFR outputs show it as one.
        EventType gc = s.eventType(EventType.of("gc", s.btf(), "event")
                .withDuration("pause_ns", TimeUnit.NANOSECONDS));
        if (!s.json()) {
            s.out().printf("%-8s %-3s %-7s %-7s %-4s %s%n", "TIME", "CPU", "PID", "TID", "FULL",
                    milliseconds ? "GC TIME(ms)" : "GC TIME(us)");
        }
        s.out().flush();
        s.onEvents("events", gc, e -> print(s, e));
        s.loop(d, null, null, null);
        if (s.ended() != null) s.err().println("javagc: " + s.ended() + "; stopped");
        return 0;
    }

    private void print(ToolSession s, TraceEvent e) {
        if (s.json()) {
            s.printJson(e);
            return;
        }
        BtfRecord r = e.record();
        long ns = r.getLong("pause_ns");
        row.left(CommonOptions.time(), 8).left(r.getLong("cpu"), 3).left(r.getLong("pid"), 7)
                .left(r.getLong("tid"), 7).left(r.getLong("full") != 0 ? "yes" : "no", 4)
                .end(milliseconds ? String.format(Locale.ROOT, "%.3f", ns / 1e6) : Long.toString(ns / 1000)).println(s.out());
    }

    /** Prints the pause-time histogram and empties it for the next interval. */
    private void print(ToolSession s, TypedMap<Integer, Hist> hists) {
        Hist h = hists.get(0).orElseThrow();
        hists.put(0, Aggregates.zero(hists.valueCodec()));
        if (!s.json()) {
            s.out().println();
            if (timestamp) s.out().println(CommonOptions.time());
        }
        s.histogram(Aggregates.log2(milliseconds ? "msecs" : "usecs", h.slots()));
    }

    /** The libjvm.so process {@code pid} runs ({@link MappedFiles#find}). */
    static Path libjvm(int pid) {
        return MappedFiles.find(pid, "libjvm.so"::equals).orElseThrow(() -> new IllegalArgumentException("process "
                + pid + " (" + MappedFiles.comm(pid) + ") has no libjvm.so mapped: it is not a HotSpot JVM (or has "
                + "not started one yet)"));
    }
}
