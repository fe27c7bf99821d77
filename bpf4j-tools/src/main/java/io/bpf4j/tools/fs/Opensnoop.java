package io.bpf4j.tools.fs;

import io.bpf4j.output.EventType;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.Row;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.core.events.BtfRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/**
 * {@code opensnoop}: every open(), openat() and openat2() with the process, the file descriptor (or the error)
 * and the path — libbpf-tools' opensnoop, with its flags and columns.
 */
@Command(name = "opensnoop", mixinStandardHelpOptions = true,
        description = "Trace open() syscalls: process, file descriptor or error, path.")
public final class Opensnoop extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this process only.")
    Integer pid;

    @Option(names = {"-t", "--tid"}, paramLabel = "TID", converter = OptionTypes.Tid.class,
            description = "Trace this thread only.")
    Integer tid;

    @Option(names = {"-u", "--uid"}, paramLabel = "UID", converter = OptionTypes.Uid.class,
            description = "Trace this user only.")
    Integer uid;

    @Option(names = {"-n", "--name"}, paramLabel = "COMM", description = "Trace processes with this command name.")
    String comm;

    @Option(names = {"-x", "--failed"}, description = "Show failed opens only.")
    boolean failed;

    @Option(names = {"-T", "--timestamp"}, description = "Include a timestamp column (seconds since start).")
    boolean timestamp;

    @Option(names = {"-U", "--print-uid"}, description = "Include a UID column.")
    boolean printUid;

    @Option(names = {"-e", "--extended-fields"}, description = "Include the open flags column.")
    boolean extended;

    @Mixin
    CommonOptions.TraceDuration duration;

    @Override
    protected int run(ToolSession s) {
        s.object("opensnoop");
        if (pid != null) s.set("targ_pid", pid);
        if (tid != null) s.set("targ_tid", tid);
        if (uid != null) s.set("targ_uid", uid);
        if (comm != null) s.setString("targ_comm", comm);
        s.set("targ_failed", failed ? 1 : 0);
        s.load();
        s.attachAll();
        EventType open = s.eventType("open", "event");
        PrintWriter out = s.out();
        if (!s.json()) {
            if (timestamp) out.printf("%-8s ", "TIME(s)");
            if (printUid) out.printf("%-7s ", "UID");
            out.printf("%-7s %-16s %3s %3s ", "PID", "COMM", "FD", "ERR");
            if (extended) out.printf("%-8s ", "FLAGS");
            out.println("PATH");
        }
        long start = System.nanoTime();
        s.onEvents("events", open, e -> print(s, e, start));
        s.loop(duration.get(), null, null, null);
        return 0;
    }

    private final Row row = new Row();

    private void print(ToolSession s, TraceEvent e, long start) {
        if (s.json()) {
            s.printJson(e);
            return;
        }
        BtfRecord r = e.record();
        int ret = (int) r.getLong("ret");
        if (timestamp) row.column(String.format("%-8.3f", (e.timestampNs() - start) / 1e9));
        if (printUid) row.left(r.getLong("uid"), 7);
        row.left(r.getLong("pid"), 7).left(r.getString("comm"), 16).right(ret >= 0 ? ret : -1, 3)
                .right(ret >= 0 ? 0 : -ret, 3);
        if (extended) row.column(String.format("%08o", r.getLong("flags")));
        row.end(r.getString("fname")).println(s.out());
    }
}
