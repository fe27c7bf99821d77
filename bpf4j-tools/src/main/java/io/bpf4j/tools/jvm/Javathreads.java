package io.bpf4j.tools.jvm;

import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.output.EventType;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Row;
import io.bpf4j.tools.Targets;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code javathreads}: the threads a running HotSpot JVM starts and stops, one line each with the thread's name, its
 * {@code Thread.threadId()} and its kernel thread id, as bcc's uthreads for Java (javathreads) shows them.
 *
 * <p>Hooks the USDT probes {@code hotspot:thread__start} and {@code hotspot:thread__stop} of the libjvm.so the
 * process maps, which HotSpot fires without any flag, on the thread itself: for the threads the program starts and
 * those the JDK starts in Java (e.g. {@code Common-Cleaner}). Virtual threads have no JVM thread of their own and
 * fire neither (their carrier threads, {@code ForkJoinPool-1-worker-N}, do). bcc prints the two ids as one
 * {@code R=jtid/N=tid} column and the time since the tool started; here they are columns of their own and the time
 * is the wall clock.
 */
@Command(name = "javathreads", mixinStandardHelpOptions = true,
        description = "Trace the threads a Java process starts and stops (HotSpot USDT probes).")
public final class Javathreads extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class, required = true,
            description = "The Java process to trace.")
    Integer pid;

    @Mixin
    CommonOptions.TraceDuration duration;

    private final Row row = new Row();

    @Override
    protected int run(ToolSession s) {
        HotSpotProcess jvm = HotSpotProcess.require(pid);
        s.object("javathreads");
        s.set("targ_pid", pid);
        s.load();
        // attached for this process only: the kernel fires them for its threads (the uprobe filter is its mm)
        for (String probe : new String[] {"start", "stop"}) {
            s.keep(Usdt.attach(s.loaded(), s.loaded().program("javathreads_" + probe), jvm.libjvm(), "hotspot",
                    "thread__" + probe, pid));
        }
        s.watch(Targets.process(pid));
        EventType thread = s.eventType("thread", "event");
        if (!s.json()) {
            s.out().println("Tracing thread events in process " + pid + " (language: java)... Ctrl-C to quit.");
            s.out().printf("%-8s %-7s %-7s %-7s %-5s %-6s %s%n", "TIME", "PID", "TID", "JTID", "TYPE", "DAEMON",
                    "NAME");
        }
        s.onEvents("events", thread, e -> print(s, e));
        s.loop(duration.get(), null, null, null);
        if (s.ended() != null) s.err().println("javathreads: " + s.ended() + "; stopped");
        return 0;
    }

    private void print(ToolSession s, TraceEvent e) {
        if (s.json()) {
            s.printJson(e);
            return;
        }
        BtfRecord r = e.record();
        row.left(CommonOptions.time(), 8).left(r.getLong("pid"), 7).left(r.getLong("tid"), 7)
                .left(r.getLong("jtid"), 7).left(r.getString("type"), 5).left(r.getLong("daemon") != 0 ? "yes" : "no", 6)
                .end(r.getString("name")).println(s.out());
    }
}
