package io.bpf4j.tools.proc;

import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.output.EventType;
import io.bpf4j.output.JsonLinesSink;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * {@code execsnoop}: every execve() and execveat() with the new command name, the parent, the result and the
 * arguments — libbpf-tools' execsnoop, with its flags and columns. Failed execs are shown with {@code -x}; their
 * PCOMM is the caller's name, as the exec did not happen.
 *
 * <p>Arguments are read when the call enters (at most {@code --max-args}, 128 bytes each, as libbpf-tools); a
 * command with more arguments ends with "...".
 */
@Command(name = "execsnoop", mixinStandardHelpOptions = true, description = "Trace exec syscalls.")
public final class Execsnoop extends Tool {
    private static final int TOTAL_MAX_ARGS = 60;

    @Option(names = {"-T", "--time"}, description = "Include time column on output (HH:MM:SS).")
    boolean time;

    @Option(names = {"-t", "--timestamp"}, description = "Include timestamp on output (seconds since start).")
    boolean timestamp;

    @Option(names = {"-x", "--fails"}, description = "Include failed exec()s.")
    boolean fails;

    @Option(names = {"-u", "--uid"}, paramLabel = "UID", converter = OptionTypes.Uid.class,
            description = "Trace this UID only.")
    Integer uid;

    @Option(names = {"-U", "--print-uid"}, description = "Print UID column.")
    boolean printUid;

    @Option(names = {"-q", "--quote"}, description = "Add quotemarks (\") around arguments.")
    boolean quote;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Only print commands whose name contains NAME.")
    String name;

    @Option(names = {"-l", "--line"}, paramLabel = "LINE", description = "Only print commands where an arg contains LINE.")
    String line;

    @Option(names = "--max-args", paramLabel = "MAX_ARGS", defaultValue = "20", converter = MaxArgs.class,
            description = "Maximum number of arguments parsed and displayed (1-60, default 20).")
    int maxArgs;

    @Mixin
    CommonOptions.TraceDuration duration;

    /** {@code --max-args}: 1 to {@value #TOTAL_MAX_ARGS}, the program's argument array. */
    static final class MaxArgs extends OptionTypes.IntRange {
        MaxArgs() {
            super(1, TOTAL_MAX_ARGS, "a number of arguments");
        }
    }

    @Override
    protected int run(ToolSession s) {
        s.object("execsnoop");
        if (uid != null) s.set("targ_uid", uid);
        s.set("ignore_failed", fails ? 0 : 1);
        s.set("max_args", maxArgs);
        s.load();
        s.attachAll();
        EventType exec = s.eventType("exec", "event");
        // the arguments as the raw bytes of char args[]: NUL-separated, where the decoded string stops at the first
        StructLayout event = Aggregates.layout(s, "event");
        long argsOffset = event.byteOffset(groupElement("args"));
        int argsMax = (int) event.select(groupElement("args")).byteSize();
        PrintWriter out = s.out();
        if (!s.json()) {
            if (time) out.printf("%-8s ", "TIME");
            if (timestamp) out.printf("%-8s ", "TIME(s)");
            if (printUid) out.printf("%-6s ", "UID");
            out.printf("%-16s %-6s %-6s %3s %s%n", "PCOMM", "PID", "PPID", "RET", "ARGS");
        }
        long start = System.nanoTime();
        s.onEvents("events", exec, e -> print(s, e, args(e, argsOffset, argsMax), start));
        s.loop(duration.get(), null, null, null);
        return 0;
    }

    /** The NUL-separated arguments the program stored, plus "..." when there were more than --max-args. */
    private List<String> args(TraceEvent e, long offset, int max) {
        BtfRecord r = e.record();
        int count = (int) r.getLong("args_count");
        int size = (int) Math.min(r.getLong("args_size"), max);
        byte[] bytes = e.raw().asSlice(offset, size).toArray(ValueLayout.JAVA_BYTE);
        List<String> args = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < size; i++) {
            if (bytes[i] == 0) {
                args.add(new String(bytes, from, i - from, StandardCharsets.UTF_8));
                from = i + 1;
            }
        }
        if (count > args.size()) args.add("...");
        return args;
    }

    private void print(ToolSession s, TraceEvent e, List<String> args, long start) {
        BtfRecord r = e.record();
        String comm = r.getString("comm");
        if (name != null && !comm.contains(name)) return;
        if (line != null && args.stream().noneMatch(a -> a.contains(line))) return;
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", e.type().name());
            m.putAll(JsonLinesSink.fields(r));
            m.remove("args_size");
            m.put("args", args);
            s.printJson(m);
            return;
        }
        PrintWriter out = s.out();
        if (time) out.printf("%-8s ", CommonOptions.time());
        if (timestamp) out.printf("%-8.3f ", (e.timestampNs() - start) / 1e9);
        if (printUid) out.printf("%-6d ", r.getLong("uid"));
        out.printf("%-16s %-6d %-6d %3d ", comm, r.getLong("pid"), r.getLong("ppid"), r.getLong("ret"));
        StringBuilder b = new StringBuilder();
        for (String a : args) {
            if (!b.isEmpty()) b.append(' ');
            b.append(quote && !a.equals("...") ? '"' + a.replace("\"", "\\\"") + '"' : a);
        }
        out.println(b);
    }
}
