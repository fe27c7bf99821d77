package io.bpf4j.tools.sched;

import io.bpf4j.core.Codec;
import io.bpf4j.core.TypedMap;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

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

    @Mixin
    CommonOptions.Timestamp timestamp;

    @Mixin
    CommonOptions.TraceDuration duration;

    @Mixin
    CommonOptions.Intervals intervals;

    /** {@code struct switch_key} of task_switch.bpf.c, the key of {@code counts} (named as the C fields). */
    record Switch(long prev_pid, long next_pid) {
    }

    @Override
    protected int run(ToolSession s) {
        // streaming every switch costs a ring-buffer record each: only when there is somewhere to record it
        boolean record = !outputs.isEmpty();
        s.object("task_switch");
        var key = Aggregates.keys(s, "counts", Switch.class);
        if (pid != null) s.set("targ_pid", pid);
        s.set("record_events", record ? 1 : 0);
        s.load();
        s.attachAll();
        if (record) s.onEvents("events", s.eventType("sched_switch", "sched_switch_event"), e -> { });
        if (!s.json()) s.out().println("Tracing task switches... Hit Ctrl-C to end.");
        s.out().flush();
        TypedMap<Switch, Long> counts = s.map("counts").typed(key, Codec.LONG);
        intervals.loop(s, duration.get(), () -> print(s, Aggregates.takeAll(counts)));
        return 0;
    }

    private void print(ToolSession s, List<Map.Entry<Switch, Long>> counts) {
        List<Map.Entry<Switch, Long>> pairs = counts.stream()
                .sorted(Map.Entry.<Switch, Long>comparingByValue().reversed()).toList();
        if (s.json()) {
            for (Map.Entry<Switch, Long> p : pairs) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("prev_pid", p.getKey().prev_pid());
                m.put("next_pid", p.getKey().next_pid());
                m.put("count", p.getValue());
                s.printJson(m);
            }
            return;
        }
        timestamp.print(s);
        for (Map.Entry<Switch, Long> p : pairs) {
            s.out().printf("task_switch[%5d->%5d]=%d%n", p.getKey().prev_pid(), p.getKey().next_pid(), p.getValue());
        }
    }
}
