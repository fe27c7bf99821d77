package io.bpf4j.tools.sched;

import io.bpf4j.core.BpfMap;
import io.bpf4j.output.Histogram;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.ArgGroup;
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
 * {@code runqlat}: run-queue (scheduler) latency as power-of-two histograms — the time from a task becoming
 * runnable (woken by {@code sched_wakeup}/{@code sched_wakeup_new}, or switched out while still runnable, i.e.
 * preempted) to {@code sched_switch} putting it on a CPU. libbpf-tools' runqlat with its flags and output:
 * one histogram, or one per process ({@code -P}), thread ({@code -L}) or PID namespace ({@code --pidnss}).
 *
 * <p>Like libbpf-tools, a task is timed from its last wakeup or preemption; a wakeup of a task that is already
 * queued restarts its clock. The cgroup filter ({@code -c}) of libbpf-tools is not offered.
 */
@Command(name = "runqlat", mixinStandardHelpOptions = true,
        description = "Summarize run queue (scheduler) latency as a histogram.")
public final class Runqlat extends Tool {
    private static final int MAX_SLOTS = 27;
    private static final int COMM_LEN = 16;

    @Option(names = {"-T", "--timestamp"}, description = "Include timestamp on output.")
    boolean timestamp;

    @Option(names = {"-m", "--milliseconds"}, description = "Millisecond histogram.")
    boolean milliseconds;

    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this PID only.")
    Integer pid;

    @Option(names = {"-t", "--tid"}, paramLabel = "TID", converter = OptionTypes.Tid.class,
            description = "Trace this thread only.")
    Integer tid;

    @ArgGroup(exclusive = true)
    Per per;

    static final class Per {
        @Option(names = {"-P", "--pids"}, description = "Print a histogram per process ID.")
        boolean process;

        @Option(names = {"-L", "--tids"}, description = "Print a histogram per thread ID.")
        boolean thread;

        @Option(names = "--pidnss", description = "Print a histogram per PID namespace.")
        boolean pidns;
    }

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", converter = OptionTypes.Interval.class,
            description = "Print every interval (s).")
    Integer interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", converter = OptionTypes.Count.class,
            description = "Stop after this many intervals.")
    Integer count;

    @Override
    protected int run(ToolSession s) {
        s.object("runqlat");
        if (pid != null) s.set("targ_pid", pid);
        if (tid != null) s.set("targ_tid", tid);
        s.set("targ_ms", milliseconds ? 1 : 0);
        if (per != null) {
            s.set("targ_per_process", per.process ? 1 : 0);
            s.set("targ_per_thread", per.thread ? 1 : 0);
            s.set("targ_per_pidns", per.pidns ? 1 : 0);
        }
        s.load();
        s.attachAll();
        if (!s.json()) s.out().println("Tracing run queue latency... Hit Ctrl-C to end.");
        s.out().flush();
        boolean signalled = s.loop(null, interval == null ? null : Duration.ofSeconds(interval), count,
                () -> print(s));
        if (interval == null || signalled) print(s);
        return 0;
    }

    private void print(ToolSession s) {
        List<Map.Entry<byte[], byte[]>> hists = takeAll(s.map("hists"));
        if (!s.json()) {
            s.out().println();
            if (timestamp) {
                s.out().printf("%-8s%n", LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")));
            }
        }
        String unit = milliseconds ? "msecs" : "usecs";
        hists.sort(Comparator.comparingLong(e -> key(e.getKey())));
        for (Map.Entry<byte[], byte[]> e : hists) {
            ByteBuffer v = ByteBuffer.wrap(e.getValue()).order(ByteOrder.nativeOrder());
            long[] slots = new long[MAX_SLOTS];
            for (int i = 0; i < MAX_SLOTS; i++) slots[i] = Integer.toUnsignedLong(v.getInt(i * 4));
            Histogram h = Histogram.log2(unit, slots);
            String label = label(key(e.getKey()), comm(e.getValue()));
            if (label != null) {
                h = h.withLabel(label);
                if (!s.json()) s.out().println();
            }
            s.histogram(h);
        }
    }

    private String label(long key, String comm) {
        if (per == null) return null;
        if (per.process) return "pid = " + key + " " + comm;
        if (per.thread) return "tid = " + key + " " + comm;
        return "pidns = " + key;
    }

    private static long key(byte[] k) {
        return Integer.toUnsignedLong(ByteBuffer.wrap(k).order(ByteOrder.nativeOrder()).getInt());
    }

    private static String comm(byte[] value) {
        int off = MAX_SLOTS * 4, n = 0;
        while (n < COMM_LEN && value[off + n] != 0) n++;
        return new String(value, off, n, StandardCharsets.UTF_8);
    }

    /**
     * Reads and deletes every element, key by key as libbpf-tools does (increments between the read and the delete
     * of a key are lost, as there). Not BPF_MAP_LOOKUP_AND_DELETE_BATCH: on this 6.18 kernel it intermittently
     * returned nothing for a hash map that BPF programs were updating from interrupt context.
     */
    private static List<Map.Entry<byte[], byte[]>> takeAll(BpfMap map) {
        List<Map.Entry<byte[], byte[]>> all = new ArrayList<>(map.entries().toList());
        for (Map.Entry<byte[], byte[]> e : all) map.delete(e.getKey());
        return all;
    }
}
