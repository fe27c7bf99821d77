package io.bpf4j.tools.proc;

import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.output.EventType;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/**
 * {@code exitsnoop}: every process exit (every thread exit with {@code -T}) with its parent, its age and how it
 * ended — an exit code or the signal that killed it — libbpf-tools' exitsnoop, with its flags and columns.
 *
 * <p>Hooks {@code sched_process_exit}. A process is reported when its last thread exits (the tracepoint's
 * {@code group_dead}), with the process's group exit status, so a process whose main thread ends first is still
 * reported once, at its real end; TID is that last thread.
 */
@Command(name = "exitsnoop", mixinStandardHelpOptions = true,
        description = "Trace process termination: exit code or signal, age.")
public final class Exitsnoop extends Tool {
    @Option(names = {"-t", "--timestamp"}, description = "Include timestamp on output.")
    boolean timestamp;

    @Option(names = {"-x", "--failed"}, description = "Trace error exits only.")
    boolean failed;

    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Process ID to trace.")
    Integer pid;

    @Option(names = {"-T", "--threaded"}, description = "Trace by thread.")
    boolean threaded;

    @Mixin
    CommonOptions.TraceDuration duration;

    @Override
    protected int run(ToolSession s) {
        s.object("exitsnoop");
        if (pid != null) s.set("targ_pid", pid);
        s.set("targ_failed", failed ? 1 : 0);
        s.set("trace_by_process", threaded ? 0 : 1);
        s.load();
        s.attachAll();
        // A process's life is a slice that ends when it exits: CTF, Perfetto and JFR outputs show it as one.
        EventType exit = s.eventType(EventType.of("exit", s.btf(), "event")
                .withDuration("age", java.util.concurrent.TimeUnit.NANOSECONDS));
        if (!s.json()) {
            if (timestamp) s.out().printf("%-8s ", "TIME(s)");
            s.out().printf("%-16s %-7s %-7s %-7s %-7s %s%n", "PCOMM", "PID", "PPID", "TID", "AGE(s)", "EXIT_CODE");
        }
        s.onEvents("events", exit, e -> print(s, e));
        s.loop(duration.get(), null, null, null);
        return 0;
    }

    private void print(ToolSession s, TraceEvent e) {
        if (s.json()) {
            s.printJson(e);
            return;
        }
        BtfRecord r = e.record();
        PrintWriter out = s.out();
        if (timestamp) out.printf("%-8s ", CommonOptions.time());
        out.printf("%-16s %-7d %-7d %-7d %-7.2f %s%n", r.getString("comm"), r.getLong("pid"), r.getLong("ppid"),
                r.getLong("tid"), r.getLong("age") / 1e9, status((int) r.getLong("exit_code")));
    }

    /** The wait(2) status as libbpf-tools prints it: "0", "code N", or "signal N (Killed)", core dumped or not. */
    static String status(int code) {
        int sig = code & 0x7f;
        if (sig == 0) return code == 0 ? "0" : "code " + ((code >> 8) & 0xff);
        return "signal " + sig + " (" + Signals.describe(sig) + ")" + ((code & 0x80) != 0 ? ", core dumped" : "");
    }
}
