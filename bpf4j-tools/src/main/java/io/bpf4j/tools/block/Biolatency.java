package io.bpf4j.tools.block;

import io.bpf4j.core.BpfMap;
import io.bpf4j.output.Histogram;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
    private static final int MAX_SLOTS = 27;
    private static final int DISK_NAME_LEN = 32;

    @Option(names = {"-D", "--disk"}, description = "A histogram per disk.")
    boolean perDisk;

    @Option(names = {"-Q", "--queued"}, description = "Include the time queued in the kernel.")
    boolean queued;

    @Option(names = {"-m", "--milliseconds"}, description = "Milliseconds instead of microseconds.")
    boolean milliseconds;

    @Option(names = {"-T", "--timestamp"}, description = "Print a timestamp with each output.")
    boolean timestamp;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", converter = OptionTypes.Interval.class,
            description = "Print every interval (s).")
    Integer interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", converter = OptionTypes.Count.class,
            description = "Stop after this many intervals.")
    Integer count;

    @Override
    protected int run(ToolSession s) {
        s.object("biolatency");
        s.set("targ_per_disk", perDisk ? 1 : 0);
        s.set("targ_queued", queued ? 1 : 0);
        s.set("targ_ms", milliseconds ? 1 : 0);
        s.load();
        s.attachAll();
        if (!s.json()) s.out().println("Tracing block device I/O... Hit Ctrl-C to end.");
        s.out().flush();
        boolean signalled = s.loop(null, interval == null ? null : Duration.ofSeconds(interval), count,
                () -> print(s));
        if (interval == null || signalled) print(s);
        return 0;
    }

    private void print(ToolSession s) {
        BpfMap hists = s.map("hists");
        // read key by key and delete what was read: the kernel adds to these maps from interrupts meanwhile
        List<Map.Entry<byte[], byte[]>> all = new ArrayList<>(hists.entries().toList());
        for (Map.Entry<byte[], byte[]> e : all) hists.delete(e.getKey());
        all.sort(Comparator.comparing(e -> disk(e.getKey())));
        if (!s.json()) {
            s.out().println();
            if (timestamp) s.out().println(LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")));
        }
        for (Map.Entry<byte[], byte[]> e : all) {
            ByteBuffer v = ByteBuffer.wrap(e.getValue()).order(ByteOrder.nativeOrder());
            long[] slots = new long[MAX_SLOTS];
            for (int i = 0; i < MAX_SLOTS; i++) slots[i] = Integer.toUnsignedLong(v.getInt(i * 4));
            Histogram h = Histogram.log2(milliseconds ? "msecs" : "usecs", slots);
            if (perDisk) h = h.withLabel("disk = " + disk(e.getKey()));
            s.histogram(h);
        }
    }

    private static String disk(byte[] key) {
        int n = 0;
        while (n < DISK_NAME_LEN && key[n] != 0) n++;
        return new String(key, 0, n, StandardCharsets.UTF_8);
    }
}
