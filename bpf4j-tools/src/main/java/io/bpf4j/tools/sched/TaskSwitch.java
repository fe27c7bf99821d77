package io.bpf4j.tools.sched;

import io.bpf4j.core.BpfMap;
import io.bpf4j.tools.OptionTypes;
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
 * end (duration or Ctrl-C) or every interval, most frequent first. {@code -p PID} keeps the switches into or out of
 * that process.
 *
 * <p>With {@code --output} it also records every switch (that {@code -p} keeps) as an event named
 * {@code sched_switch} with lttng-modules' fields, so that Trace Compass's kernel analyses (Control Flow, Resources,
 * CPU usage) read a {@code ctf:DIR} recording as they read an LTTng kernel trace:
 * <ul>
 *   <li>{@code prev_comm}, {@code prev_tid}, {@code prev_prio}, {@code prev_state}, {@code next_comm},
 *       {@code next_tid}, {@code next_prio}, plus {@code ts} and {@code cpu}, the CPU the switch ran on, whose CTF
 *       stream (packet {@code cpu_id}) the event is in;</li>
 *   <li>tids are the kernel's pids (thread ids); priorities are LTTng's {@code prio - MAX_RT_PRIO} (20 for nice 0,
 *       0..39 for normal tasks, negative for real-time ones — the kernel's own tracepoint reports {@code prio},
 *       120 for nice 0);</li>
 *   <li>{@code prev_state} is what the kernel tracepoint and LTTng both report: the task's state bit when it
 *       blocked — 1 (S, interruptible), 2 (D, uninterruptible), 0x4 (T), 0x8 (t), 0x10 (X) or 0x20 (Z) at its
 *       last switch, 0x40 (P), 0x80 (I, idle kernel thread); 0x100 ({@code TASK_REPORT_MAX}, ftrace's "R+") when
 *       it was preempted; 0 when it gave up the CPU still runnable otherwise (a reschedule on return to user
 *       space, as a non-preemptive kernel does; {@code sched_yield}; woken before it could sleep).</li>
 * </ul>
 * Recording is off without {@code --output}: a switch is the most frequent kernel event, and the counts alone cost
 * one hash update each.
 */
@Command(name = "task_switch", mixinStandardHelpOptions = true,
        description = "Count context switches per (previous pid, next pid) pair; with --output, also record each "
                + "as an LTTng-style sched_switch event.")
public final class TaskSwitch extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Count (and record) only switches into or out of this process.")
    Integer pid;

    @Option(names = {"-T", "--timestamp"}, description = "Print a timestamp before each interval's counts.")
    boolean timestamp;

    @Option(names = {"-d", "--duration"}, paramLabel = "SECONDS", converter = OptionTypes.Seconds.class,
            description = "Trace for this long.")
    Duration duration;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", converter = OptionTypes.Interval.class,
            description = "Print counts every interval (s).")
    Integer interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", converter = OptionTypes.Count.class,
            description = "Stop after this many intervals.")
    Integer count;

    @Override
    protected int run(ToolSession s) {
        // streaming every switch costs a ring-buffer record each: only when there is somewhere to record it
        boolean record = !outputs.isEmpty();
        s.object("task_switch");
        if (pid != null) s.set("targ_pid", pid);
        s.set("record_events", record ? 1 : 0);
        s.load();
        s.attachAll();
        if (record) s.onEvents("events", s.eventType("sched_switch", "sched_switch_event"), e -> { });
        if (!s.json()) s.out().println("Tracing task switches... Hit Ctrl-C to end.");
        s.out().flush();
        boolean signalled = s.loop(duration,
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
