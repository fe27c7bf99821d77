package io.bpf4j.tools.jvm;

import io.bpf4j.core.Codec;
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

/**
 * {@code javaclassload}: the classes a running HotSpot JVM loads and unloads — one line per class with the loader
 * that defined it and whether it came from the CDS archive; or, with {@code -c}, how many classes each class
 * loader loaded and unloaded, at Ctrl-C (or the end of {@code -d}).
 *
 * <p>Hooks the USDT probes {@code hotspot:class__loaded} and {@code hotspot:class__unloaded} of the libjvm.so the
 * process maps, which HotSpot fires without any flag: loaded when a class is defined (by any loader, hidden classes
 * such as lambdas' included; a class from the CDS archive is "shared"), unloaded when a collection frees a class
 * loader that nothing references any more, once per class it had defined. A loader is shown by its id (the address
 * of its ClassLoaderData in the JVM, the same for all its classes); with {@code -c}, the first class it was seen
 * loading tells which loader it is. Class names are written as {@link Class#getName()} writes them
 * ({@code java.lang.String}).
 */
@Command(name = "javaclassload", mixinStandardHelpOptions = true,
        description = "Trace the classes a Java process loads and unloads, or count them per class loader "
                + "(HotSpot USDT probes).")
public final class Javaclassload extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class, required = true,
            description = "The Java process to trace.")
    Integer pid;

    @Option(names = {"-c", "--count"}, description = "Count the classes each class loader loads and unloads, "
            + "and print the counts at the end, instead of a line per class.")
    boolean count;

    @Mixin
    CommonOptions.TraceDuration duration;

    private final Row row = new Row();

    /** {@code struct loader_counts} of javaclassload.bpf.c, the value of {@code loaders}. */
    record LoaderCounts(long loaded, long unloaded, String first) {
    }

    @Override
    protected int run(ToolSession s) {
        HotSpotProcess jvm = HotSpotProcess.require(pid);
        s.object("javaclassload");
        var counts = Aggregates.values(s, "loaders", LoaderCounts.class);
        s.set("targ_pid", pid);
        s.set("targ_count", count ? 1 : 0);
        s.load();
        // attached for this process only: the kernel fires them for its threads (the uprobe filter is its mm)
        s.keep(Usdt.attach(s.loaded(), s.loaded().program("javaclassload_loaded"), jvm.libjvm(), "hotspot",
                "class__loaded", pid));
        s.keep(Usdt.attach(s.loaded(), s.loaded().program("javaclassload_unloaded"), jvm.libjvm(), "hotspot",
                "class__unloaded", pid));
        s.watch(Targets.process(pid));
        if (count) {
            if (!s.json()) {
                s.out().println("Tracing class loading in process " + pid + " (language: java)... Ctrl-C to quit.");
            }
            s.loop(duration.get(), null, null, null);
            printCounts(s, s.map("loaders").typed(Codec.LONG, counts).entries().toList());
        } else {
            EventType classEvent = s.eventType("class", "event");
            if (!s.json()) {
                s.out().println("Tracing class loading in process " + pid + " (language: java)... Ctrl-C to quit.");
                s.out().printf("%-8s %-7s %-7s %-6s %-6s %-18s %s%n", "TIME", "PID", "TID", "TYPE", "SHARED",
                        "LOADER", "CLASS");
            }
            s.onEvents("events", classEvent, e -> print(s, e));
            s.loop(duration.get(), null, null, null);
        }
        if (s.ended() != null) s.err().println("javaclassload: " + s.ended() + "; stopped");
        return 0;
    }

    private void print(ToolSession s, TraceEvent e) {
        BtfRecord r = e.record();
        String name = HotSpotProcess.javaName(r.getString("name"));
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", e.type().name());
            m.putAll(JsonLinesSink.fields(r));
            m.put("loader", loader(r.getLong("loader")));
            m.put("name", name);
            s.printJson(m);
            return;
        }
        row.left(CommonOptions.time(), 8).left(r.getLong("pid"), 7).left(r.getLong("tid"), 7)
                .left(r.getString("type"), 6).left(r.getLong("shared") != 0 ? "yes" : "no", 6)
                .left(loader(r.getLong("loader")), 18).end(name).println(s.out());
    }

    /** The loaders, most classes loaded first. */
    private static void printCounts(ToolSession s, List<Map.Entry<Long, LoaderCounts>> loaders) {
        List<Map.Entry<Long, LoaderCounts>> rows = loaders.stream()
                .sorted(Comparator.comparingLong((Map.Entry<Long, LoaderCounts> e) -> e.getValue().loaded())
                        .reversed().thenComparing(Map.Entry::getKey))
                .toList();
        if (s.json()) {
            for (var e : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("loader", loader(e.getKey()));
                m.put("loaded", e.getValue().loaded());
                m.put("unloaded", e.getValue().unloaded());
                m.put("first", HotSpotProcess.javaName(e.getValue().first()));
                s.printJson(m);
            }
            return;
        }
        s.out().println();
        s.out().printf("%-18s %8s %8s %s%n", "LOADER", "LOADED", "UNLOADED", "FIRST CLASS");
        for (var e : rows) {
            s.out().printf("%-18s %8d %8d %s%n", loader(e.getKey()), e.getValue().loaded(), e.getValue().unloaded(),
                    HotSpotProcess.javaName(e.getValue().first()));
        }
    }

    private static String loader(long id) {
        return "0x" + Long.toHexString(id);
    }
}
