package io.bpf4j.tools.sched;

import io.bpf4j.core.BpfMap;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code task_switch}: how many times the CPU switched from one task to another, per (previous pid, next pid)
 * pair — bcc's {@code examples/tracing/task_switch.py}, printed as it does: {@code task_switch[ 4394-> 4395]=152}.
 *
 * <p>It counts {@code sched_switch} events (tp_btf) where bcc counted calls of {@code finish_task_switch}; the two
 * are the same switches. Pids are the kernel's, i.e. thread ids; pid 0 is the idle task. Counts are printed at the
 * end (duration or Ctrl-C) or every interval, most frequent first.
 */
@Command(name = "task_switch", mixinStandardHelpOptions = true,
        description = "Count context switches per (previous pid, next pid) pair.")
public final class TaskSwitch extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID",
            description = "Count only switches into or out of this process.")
    Integer pid;

    @Option(names = {"-T", "--timestamp"}, description = "Print a timestamp before each interval's counts.")
    boolean timestamp;

    @Option(names = {"-d", "--duration"}, paramLabel = "SECONDS", description = "Trace for this long.")
    Double duration;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", description = "Print counts every interval (s).")
    Integer interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", description = "Stop after this many intervals.")
    Integer count;

    @Override
    protected int run(ToolSession s) {
        s.object("task_switch");
        if (pid != null) s.set("targ_pid", pid);
        s.load();
        s.attachAll();
        if (!s.json()) s.out().println("Tracing task switches... Hit Ctrl-C to end.");
        s.out().flush();
        boolean signalled = s.loop(duration == null ? null : Duration.ofMillis((long) (duration * 1000)),
                interval == null ? null : Duration.ofSeconds(interval), count, () -> print(s));
        if (interval == null || signalled) print(s);
        return 0;
    }

    private record Pair(long prev, long next, long count) {
    }

    private void print(ToolSession s) {
        List<Pair> pairs = takeAll(s.map("counts")).stream().map(e -> {
            ByteBuffer k = ByteBuffer.wrap(e.getKey()).order(ByteOrder.nativeOrder());
            long n = ByteBuffer.wrap(e.getValue()).order(ByteOrder.nativeOrder()).getLong();
            return new Pair(Integer.toUnsignedLong(k.getInt(0)), Integer.toUnsignedLong(k.getInt(4)), n);
        }).sorted(Comparator.comparingLong(Pair::count).reversed()).toList();
        if (s.json()) {
            for (Pair p : pairs) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("prev_pid", p.prev());
                m.put("next_pid", p.next());
                m.put("count", p.count());
                s.printJson(m);
            }
            return;
        }
        if (timestamp) s.out().printf("%-8s%n", LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss")));
        for (Pair p : pairs) s.out().printf("task_switch[%5d->%5d]=%d%n", p.prev(), p.next(), p.count());
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
