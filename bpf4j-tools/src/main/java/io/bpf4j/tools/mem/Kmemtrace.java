package io.bpf4j.tools.mem;

import io.bpf4j.core.Codec;
import io.bpf4j.core.TypedMap;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.symbols.Frame;
import io.bpf4j.core.symbols.Symbolizer;
import io.bpf4j.output.EventType;
import io.bpf4j.output.JsonLinesSink;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.Background;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.Row;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kmemtrace}: the kernel's slab allocations and frees — {@code kmalloc}, {@code kfree},
 * {@code kmem_cache_alloc}, {@code kmem_cache_free} — one line each with the process, the call site (symbolized),
 * the object's address, the bytes requested and allocated, the GFP flags and the cache's name; or, with {@code -s},
 * counted per call site in the kernel and printed as the top call sites at the end or every {@code -i} seconds.
 * The kmem_cache_alloc/free tracer of the source documents, on the four tracepoints.
 *
 * <p>Hooks {@code tp_btf/kmalloc}, {@code kfree}, {@code kmem_cache_alloc}, {@code kmem_cache_free} (BPF links).
 * For {@code kmem_cache_alloc} the bytes are the cache's object and slot sizes, as the tracepoint reports them;
 * frees carry no size. The {@code -p}, {@code -t} and {@code -c} filters run in the kernel, and the tool's own
 * process is always left out (printing an event allocates, which would be traced in turn). Allocations in
 * interrupt context are charged to whatever task was running.
 */
@Command(name = "kmemtrace", mixinStandardHelpOptions = true,
        description = "Trace kernel slab allocations and frees (kmalloc, kfree, kmem_cache_alloc, kmem_cache_free).")
public final class Kmemtrace extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this process only.")
    Integer pid;

    @Option(names = {"-t", "--tid"}, paramLabel = "TID", converter = OptionTypes.Tid.class,
            description = "Trace this thread only.")
    Integer tid;

    @Option(names = {"-c", "--comm"}, paramLabel = "COMM", description = "Trace processes with this command name.")
    String comm;

    @Option(names = {"-s", "--summary"},
            description = "Count allocations, frees and bytes per call site instead of printing each event.")
    boolean summary;

    @Option(names = {"-i", "--interval"}, paramLabel = "INTERVAL", converter = OptionTypes.IntervalOrNone.class,
            description = "With -s: print the summary every INTERVAL seconds (default: once at the end).")
    int interval;

    @Option(names = {"-T", "--top"}, paramLabel = "TOP", converter = OptionTypes.Count.class,
            description = "With -s: print the top TOP call sites "
            + "(default ${DEFAULT-VALUE}).", defaultValue = "10")
    int top;

    @Mixin
    CommonOptions.TraceDuration duration;

    /** {@code struct site} of kmemtrace.bpf.c, the value of {@code sites} (named as the C fields). */
    record Site(long allocs, long frees, long bytes_req, long bytes_alloc, String cache) {
        /** The most allocations and frees first, then the most bytes. */
        static final Comparator<Site> BUSIEST = Comparator.comparingLong((Site r) -> r.allocs + r.frees).reversed()
                .thenComparing(Comparator.comparingLong(Site::bytes_alloc).reversed());
    }

    private final Row row = new Row();
    private final Map<Long, String> symbols = new HashMap<>();

    @Override
    protected int run(ToolSession s) {
        if (!summary && interval > 0) throw new UsageError("-i INTERVAL needs -s (--summary)");
        s.object("kmemtrace");
        var site = Aggregates.values(s, "sites", Site.class);
        if (pid != null) s.set("targ_pid", pid);
        if (tid != null) s.set("targ_tid", tid);
        if (comm != null) s.setString("targ_comm", comm);
        s.set("self_pid", ProcessHandle.current().pid());
        s.set("summary", summary ? 1 : 0);
        s.load();
        // TIME(s) counts from before the attach: events that come while it goes on are not before the start
        long start = System.nanoTime();
        s.attachAll();
        // the call sites' names: kallsyms read in the background now, not at the first event or the summary
        Symbolizer sym = s.symbolizer();
        try (Background kallsyms = Background.start("bpf4j-kmemtrace", Duration.ofHours(1),
                b -> sym.kernelSymbols())) {
            return trace(s, start, s.map("sites").typed(Codec.LONG, site));
        }
    }

    private int trace(ToolSession s, long start, TypedMap<Long, Site> sites) {
        Duration d = duration.get();
        PrintWriter out = s.out();
        if (summary) {
            if (!s.json()) out.printf("Tracing kmem allocations and frees by call site, printing top %d... "
                    + "Hit Ctrl-C to end.%n", top);
            out.flush();
            boolean signalled;
            if (interval > 0) {
                // as syscount: with -d, whole intervals until the duration is used up
                Integer count = d == null ? null : (int) Math.max(1, (d.toMillis() + interval * 1000L - 1)
                        / (interval * 1000L));
                signalled = s.loop(null, Duration.ofSeconds(interval), count, () -> printSummary(s, sites));
            } else {
                signalled = s.loop(d, null, null, null);
            }
            if (interval <= 0 || signalled) printSummary(s, sites);
            return 0;
        }
        EventType type = s.eventType("kmem", "event");
        if (!s.json()) {
            out.println("Tracing kmem allocations and frees... Hit Ctrl-C to end.");
            out.printf("%-12s %-3s %-7s %-16s %-16s %-32s %-18s %9s %11s %-9s %s%n", "TIME(s)", "CPU", "PID", "COMM",
                    "EVENT", "CALL_SITE", "PTR", "BYTES_REQ", "BYTES_ALLOC", "GFP_FLAGS", "CACHE");
        }
        out.flush();
        s.onEvents("events", type, e -> print(s, e, start));
        s.loop(d, null, null, null);
        return 0;
    }

    private void print(ToolSession s, TraceEvent e, long start) {
        BtfRecord r = e.record();
        String site = symbol(s, r.getLong("call_site"));
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", e.type().name());
            m.putAll(JsonLinesSink.fields(r));
            m.put("call_site_sym", site);
            s.printJson(m);
            return;
        }
        String cache = r.getString("cache");
        row.left(seconds(e.timestampNs() - start), 12).left(r.getLong("cpu"), 3).left(r.getLong("pid"), 7)
                .left(r.getString("comm"), 16).left(r.getString("tracepoint"), 16).left(site, 32)
                .left("0x" + Long.toHexString(r.getLong("ptr")), 18).right(r.getLong("bytes_req"), 9)
                .right(r.getLong("bytes_alloc"), 11).left("0x" + Long.toHexString(r.getLong("gfp_flags")), 9)
                .end(cache.isEmpty() ? "-" : cache).println(s.out());
    }

    /** {@code ns} as seconds with six decimals, without String.format (see Row). */
    private static String seconds(long ns) {
        long us = Math.max(0, ns) / 1000;
        String frac = Long.toString(us % 1_000_000);
        return us / 1_000_000 + "." + "000000".substring(frac.length()) + frac;
    }

    /** A call site as {@code function+0xOFFSET}, resolved once per address. */
    private String symbol(ToolSession s, long address) {
        return symbols.computeIfAbsent(address, a -> {
            Frame f = s.symbolizer().kernel(a);
            return f.resolved() ? f.symbol() + "+0x" + Long.toHexString(f.offset()) : "0x" + Long.toHexString(a);
        });
    }

    private void printSummary(ToolSession s, TypedMap<Long, Site> sites) {
        // read and deleted key by key, as syscount: an interval shows what happened since the previous one
        List<Map.Entry<Long, Site>> rows = Aggregates.takeAll(sites).stream()
                .sorted(Map.Entry.comparingByValue(Site.BUSIEST)).toList();
        List<Map.Entry<Long, Site>> shown = rows.subList(0, Math.min(top, rows.size()));
        if (s.json()) {
            for (Map.Entry<Long, Site> e : shown) {
                Site r = e.getValue();
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("call_site", "0x" + Long.toHexString(e.getKey()));
                m.put("call_site_sym", symbol(s, e.getKey()));
                m.put("allocs", r.allocs());
                m.put("frees", r.frees());
                m.put("bytes_req", r.bytes_req());
                m.put("bytes_alloc", r.bytes_alloc());
                m.put("cache", r.cache());
                s.printJson(m);
            }
            return;
        }
        PrintWriter out = s.out();
        out.printf("[%s] Top %d call sites of %d:%n", CommonOptions.time(), shown.size(), rows.size());
        out.printf("%-40s %10s %10s %12s %12s %s%n", "CALL_SITE", "ALLOCS", "FREES", "BYTES_REQ", "BYTES_ALLOC",
                "CACHE");
        for (Map.Entry<Long, Site> e : shown) {
            Site r = e.getValue();
            out.printf("%-40s %10d %10d %12d %12d %s%n", symbol(s, e.getKey()), r.allocs(), r.frees(), r.bytes_req(),
                    r.bytes_alloc(), r.cache().isEmpty() ? "-" : r.cache());
        }
        out.println();
    }
}
