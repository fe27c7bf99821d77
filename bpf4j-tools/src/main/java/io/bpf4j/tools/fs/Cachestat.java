package io.bpf4j.tools.fs;

import io.bpf4j.core.BpfMap;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code cachestat}: page-cache hits, misses and dirtied pages per interval, with the hit ratio and the size of
 * the buffer and page caches — libbpf-tools' cachestat, with its columns and {@code interval [count]}.
 *
 * <p><b>What it approximates.</b> bcc and libbpf-tools count calls of mark_page_accessed() (accesses),
 * add_to_page_cache_lru() and account_page_dirtied() with kprobes, which this kernel lacks. This tool counts, from
 * tracepoints: as accesses, the pages that buffered reads ask the page cache for ({@code mm_filemap_get_pages},
 * each page of a read once) plus one per file-backed page fault ({@code mm_filemap_fault}); as insertions, the
 * pages added to the page cache ({@code mm_filemap_add_to_page_cache}); as dirtied, the pages whose dirtying the
 * kernel accounts ({@code writeback_dirty_folio}). So, unlike bcc's, its accesses leave out buffered writes (which
 * bcc subtracts again through mark_buffer_dirty) and pages mapped around a fault without a fault of their own.
 * As libbpf-tools: MISSES = inserted − dirtied (pages a write creates are inserted and dirtied, and are not read
 * misses), HITS = accesses − MISSES, both at least 0; so an interval that rewrites cached pages and misses on
 * reads shows fewer misses than there were.
 */
@Command(name = "cachestat", mixinStandardHelpOptions = true,
        description = {"Count page cache hits, misses and dirtied pages per interval.",
                "Approximates bcc's kprobe counts with tracepoints: accesses are pages asked for by buffered reads "
                        + "(mm_filemap_get_pages) plus file page faults (mm_filemap_fault), not buffered writes; "
                        + "MISSES = pages added to the cache (mm_filemap_add_to_page_cache) - pages dirtied "
                        + "(writeback_dirty_folio); HITS = accesses - MISSES."})
public final class Cachestat extends Tool {
    private static final int ACCESSES = 0, ADDS = 1, DIRTIES = 2;

    @Option(names = {"-T", "--timestamp"}, description = "Print timestamp.")
    boolean timestamp;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", converter = OptionTypes.Interval.class,
            defaultValue = "1", description = "Print every interval seconds (default 1).")
    int interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", converter = OptionTypes.Count.class,
            description = "Stop after this many intervals.")
    Integer times;

    private final long[] previous = new long[3];

    @Override
    protected int run(ToolSession s) {
        s.object("cachestat");
        s.load();
        s.attachAll();
        if (!s.json()) {
            if (timestamp) s.out().printf("%-8s ", "TIME");
            s.out().printf("%8s %8s %8s %8s %12s %10s%n", "HITS", "MISSES", "DIRTIES", "HITRATIO", "BUFFERS_MB",
                    "CACHED_MB");
        }
        s.out().flush();
        BpfMap counts = s.map("counts");
        for (int i = 0; i < previous.length; i++) previous[i] = Aggregates.sumPerCpu(counts, i);
        s.loop(null, Duration.ofSeconds(interval), times, () -> print(s, counts));
        return 0;
    }

    private void print(ToolSession s, BpfMap counts) {
        long[] delta = new long[previous.length];
        for (int i = 0; i < previous.length; i++) {
            long now = Aggregates.sumPerCpu(counts, i);
            delta[i] = now - previous[i];
            previous[i] = now;
        }
        long total = delta[ACCESSES];
        long misses = Math.max(0, delta[ADDS] - delta[DIRTIES]);
        long hits = total - misses;
        if (hits < 0) {
            misses = total;
            hits = 0;
        }
        double ratio = total > 0 ? 100.0 * hits / total : 0;
        Map<String, Long> mem = meminfo();
        long buffersMb = mem.getOrDefault("Buffers", 0L) / 1024, cachedMb = mem.getOrDefault("Cached", 0L) / 1024;
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("hits", hits);
            m.put("misses", misses);
            m.put("dirties", delta[DIRTIES]);
            m.put("accesses", total);
            m.put("added", delta[ADDS]);
            m.put("hitratio", ratio);
            m.put("buffers_mb", buffersMb);
            m.put("cached_mb", cachedMb);
            s.printJson(m);
            return;
        }
        if (timestamp) s.out().printf("%-8s ", CommonOptions.time());
        s.out().printf("%8d %8d %8d %7.2f%% %12d %10d%n", hits, misses, delta[DIRTIES], ratio, buffersMb, cachedMb);
    }

    /** /proc/meminfo's values in kB, by name. */
    private static Map<String, Long> meminfo() {
        Map<String, Long> m = new LinkedHashMap<>();
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                String[] f = l.split(":?\\s+");
                if (f.length >= 2) m.put(f[0], Long.parseLong(f[1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }
}
