package io.bpf4j.tools.fs;

import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.link.Fentry;
import io.bpf4j.output.EventType;
import io.bpf4j.output.JsonLinesSink;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code mkdirsnoop}: every mkdir() and mkdirat() with the process, the path as the caller passed it (relative
 * paths are relative to its working directory or to mkdirat's directory), the error if it failed, and how many
 * mkdir calls that process has made since the tool started — the classic bcc "sys_mkdir" kprobe example, made a
 * tool. Where the kernel runs BPF trampolines ({@link Probes#fexit()}), it hooks the exit of do_mkdirat, the
 * function both syscalls call (io_uring's mkdirat too); elsewhere (this project's 6.18 machines refuse them under
 * lockdown) the syscall entry and exit raw tracepoints. Either way it sees calls, not directories the kernel makes
 * by other means (e.g. NFS servers, overlayfs copy-up), and prints the same lines.
 */
@Command(name = "mkdirsnoop", mixinStandardHelpOptions = true,
        description = "Trace mkdir() syscalls: process, path, error, and a running count per process.")
public final class Mkdirsnoop extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this process only.")
    Integer pid;

    @Option(names = {"-t", "--tid"}, paramLabel = "TID", converter = OptionTypes.Tid.class,
            description = "Trace this thread only.")
    Integer tid;

    @Option(names = {"-x", "--failed"}, description = "Show failed mkdirs only.")
    boolean failed;

    @Mixin
    CommonOptions.TraceDuration duration;

    private final Map<Long, Long> counts = new HashMap<>();

    @Override
    protected int run(ToolSession s) {
        s.object("mkdirsnoop");
        if (pid != null) s.set("targ_pid", pid);
        if (tid != null) s.set("targ_tid", tid);
        s.set("targ_failed", failed ? 1 : 0);
        Probe fexit = Probes.fexit();
        s.autoload("mkdirsnoop_fexit", fexit.available());
        s.autoload("mkdirsnoop_enter", !fexit.available());
        s.autoload("mkdirsnoop_exit", !fexit.available());
        s.load();
        if (fexit.available()) {
            s.keep(Fentry.attach(s.loaded().program("mkdirsnoop_fexit")));
        } else {
            s.attachAll();
        }
        EventType mkdir = s.eventType("mkdir", "event");
        if (!s.json()) s.out().printf("%-8s %-7s %-16s %5s %3s %s%n", "TIME", "PID", "COMM", "COUNT", "ERR", "PATH");
        s.onEvents("events", mkdir, e -> print(s, e));
        s.loop(duration.get(), null, null, null);
        return 0;
    }

    private void print(ToolSession s, TraceEvent e) {
        BtfRecord r = e.record();
        long count = counts.merge(r.getLong("pid"), 1L, Long::sum);
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", e.type().name());
            m.putAll(JsonLinesSink.fields(r));
            m.put("count", count);
            s.printJson(m);
            return;
        }
        int ret = (int) r.getLong("ret");
        PrintWriter out = s.out();
        out.printf("%-8s %-7d %-16s %5d %3d %s%n", CommonOptions.time(), r.getLong("pid"),
                r.getString("comm"), count, ret >= 0 ? 0 : -ret, r.getString("path"));
    }
}
