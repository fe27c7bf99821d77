package io.bpf4j.tools.block;

import io.bpf4j.output.Histogram;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Comparator;
import java.util.Map;

/**
 * {@code biolatency}: block I/O latency as bcc's power-of-two histograms — from a request's issue to the device
 * (or, with {@code -Q}, its insertion in the queue) to its completion — overall or per disk, at Ctrl-C or every
 * interval, as libbpf-tools' biolatency ({@code tp_btf/block_rq_insert}, {@code block_rq_issue},
 * {@code block_rq_complete}).
 */
@Command(name = "biolatency", mixinStandardHelpOptions = true,
        description = "Summarize block device I/O latency as a histogram.")
public final class Biolatency extends Tool {
    @Option(names = {"-D", "--disk"}, description = "A histogram per disk.")
    boolean perDisk;

    @Option(names = {"-Q", "--queued"}, description = "Include the time queued in the kernel.")
    boolean queued;

    @Option(names = {"-m", "--milliseconds"}, description = "Milliseconds instead of microseconds.")
    boolean milliseconds;

    @Mixin
    CommonOptions.Timestamp timestamp;

    @Mixin
    CommonOptions.Intervals intervals;

    /** {@code struct hist_key} and {@code struct hist} of biolatency.bpf.c, the key and value of {@code hists}. */
    record Disk(String disk) {
    }

    record Hist(int[] slots) {
    }

    @Override
    protected int run(ToolSession s) {
        s.object("biolatency");
        var disk = Aggregates.keys(s, "hists", Disk.class);
        var hist = Aggregates.values(s, "hists", Hist.class);
        s.set("targ_per_disk", perDisk ? 1 : 0);
        s.set("targ_queued", queued ? 1 : 0);
        s.set("targ_ms", milliseconds ? 1 : 0);
        s.load();
        s.attachAll();
        if (!s.json()) s.out().println("Tracing block device I/O... Hit Ctrl-C to end.");
        s.out().flush();
        var hists = s.map("hists").typed(disk, hist);
        intervals.loop(s, null, () -> {
            // read key by key and delete what was read: the kernel adds to these maps from interrupts meanwhile
            var all = Aggregates.takeAll(hists);
            if (!s.json()) s.out().println();
            timestamp.print(s);
            for (Map.Entry<Disk, Hist> e : all.stream()
                    .sorted(Comparator.comparing((Map.Entry<Disk, Hist> x) -> x.getKey().disk())).toList()) {
                Histogram h = Aggregates.log2(milliseconds ? "msecs" : "usecs", e.getValue().slots());
                s.histogram(perDisk ? h.withLabel("disk = " + e.getKey().disk()) : h);
            }
        });
        return 0;
    }
}
