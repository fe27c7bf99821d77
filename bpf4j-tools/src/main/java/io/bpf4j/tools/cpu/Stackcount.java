package io.bpf4j.tools.cpu;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.link.Kprobe;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.link.RawTracepoint;
import io.bpf4j.core.link.Tracepoint;
import io.bpf4j.core.link.Uprobe;
import io.bpf4j.output.StackCounts;
import io.bpf4j.tools.Background;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.KernelFunctions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;
import io.bpf4j.tools.stack.Stacks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.List;

/**
 * {@code stackcount} (also {@code show_bt}): every distinct stack that reached an event, with how often, over the
 * run or per interval — bcc's stackcount, with its flags and output (and the back traces bcc's stacksnoop
 * example showed, summed).
 *
 * <p>The event is chosen at run time: a tracepoint {@code t:CATEGORY:NAME} is hooked as a raw tracepoint of that
 * name (a BPF link; the stack then starts in the function that fired it, the tracing frames being dropped), or,
 * where the kernel has no raw tracepoint of that name ({@code syscalls:*}), as a perf-event tracepoint (which
 * takes tens of milliseconds to detach); {@code raw_tp:NAME} names a raw tracepoint directly. A bare {@code FUNC}
 * (or {@code p::FUNC}) is a kernel function, traced with a kprobe where the kernel has kprobes; where it has none,
 * the tool says so and exits. {@code LIB:FUNC} (or {@code p:LIB:FUNC}; LIB a library name such as {@code c}, or a
 * path) is a user function, traced with a uprobe, with user stacks only (the kernel's would be the uprobe
 * machinery). USDT probes are not supported here (see {@code trace}).
 */
@Command(name = "stackcount", aliases = "show_bt", mixinStandardHelpOptions = true,
        description = "Count events and their stack traces.")
public final class Stackcount extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this PID only.")
    Integer pid;

    @Option(names = {"-i", "--interval"}, paramLabel = "INTERVAL", converter = OptionTypes.Seconds.class,
            description = "Summary interval, seconds.")
    Duration interval;

    @Option(names = {"-D", "--duration"}, paramLabel = "DURATION", converter = OptionTypes.Seconds.class,
            description = "Total duration of trace, seconds.")
    Duration duration;

    @Mixin
    CommonOptions.Timestamp timestamp;

    @Option(names = {"-P", "--perpid"}, description = "Display stacks separately for each process.")
    boolean perPid;

    @Option(names = {"-K", "--kernel-stacks-only"}, description = "Kernel stack only.")
    boolean kernelOnly;

    @Option(names = {"-U", "--user-stacks-only"}, description = "User stack only.")
    boolean userOnly;

    @Option(names = {"-d", "--delimited"}, description = "Insert delimiter between kernel/user stacks.")
    boolean delimited;

    @Option(names = "--no-perfmap",
            description = "Do not attach to the JVMs in the stacks to have them write /tmp/perf-PID.map.")
    boolean noPerfMap;

    @Option(names = {"-f", "--folded"}, description = "Output folded format.")
    boolean folded;

    @Option(names = "--stack-storage-size", paramLabel = "STACK-STORAGE-SIZE", defaultValue = "1024",
            converter = OptionTypes.StackStorage.class,
            description = "The number of unique stack traces that can be stored (default ${DEFAULT-VALUE}).")
    int stackStorage;

    @Option(names = "--perf-max-stack-depth", paramLabel = "PERF-MAX-STACK-DEPTH", defaultValue = "127",
            converter = OptionTypes.StackDepth.class,
            description = "The limit for both kernel and user stack traces (default ${DEFAULT-VALUE}).")
    int stackDepth;

    @Parameters(index = "0", paramLabel = "pattern",
            description = "The event: t:CATEGORY:NAME (tracepoint), raw_tp:NAME, FUNC / p::FUNC (kernel function, "
                    + "needs kprobes), LIB:FUNC / p:LIB:FUNC (user function, e.g. c:malloc).")
    String pattern;

    /** What the pattern names. */
    private record Target(String kind, String category, String name) {
    }

    @Override
    protected int run(ToolSession s) {
        if (userOnly && kernelOnly) throw new UsageError("-U and -K are mutually exclusive");
        Target t = parse(pattern);
        boolean uprobe = t.kind().equals("uprobe");
        if (uprobe && kernelOnly) throw new UsageError("-K: a user function has no kernel stack");
        if (t.kind().equals("kprobe")) {
            KernelFunctions.cannotTrace(t.name(), null).ifPresent(why -> {
                throw new IllegalStateException(why);
            });
        }
        s.object("stackcount");
        if (pid != null) s.set("targ_pid", pid);
        s.set("per_pid", perPid ? 1 : 0);
        s.set("user_stacks_only", userOnly || uprobe ? 1 : 0);
        s.set("kernel_stacks_only", kernelOnly ? 1 : 0);
        // raw_tp serves both tracepoint kinds when it can; the perf-event tracepoint is the fallback for syscalls:*
        for (String p : List.of("stackcount_raw_tp", "stackcount_tp", "stackcount_kprobe")) {
            boolean wanted = switch (p) {
                case "stackcount_kprobe" -> t.kind().equals("kprobe") || uprobe;
                case "stackcount_tp" -> t.kind().equals("tracepoint");
                default -> !t.kind().equals("kprobe") && !uprobe;
            };
            s.autoload(p, wanted);
        }
        Stacks.Options o = new Stacks.Options(userOnly || uprobe, kernelOnly, folded, delimited, true, !noPerfMap);
        try (Stacks stacks = Stacks.load(s, stackStorage, stackDepth, o).target(pid);
             Background names = stacks.prefetch(perPid, pid == null)) {
            s.keep(attach(s, stacks.object(), t));
            if (!folded && !s.json()) {
                s.out().println("Tracing 1 functions for \"" + pattern + "\"... Hit Ctrl-C to end.");
            } else {
                s.err().println("stackcount: tracing \"" + pattern + "\"");
            }
            s.out().flush();
            Runnable report = () -> {
                var entries = stacks.read();
                // an interval with nothing to show prints nothing, not even its timestamp
                if (entries.isEmpty() && interval != null) return;
                timestamp.print(s);
                stacks.print(stacks.resolve(entries, perPid), "count",
                        StackCounts.Values.of(new StackCounts.ValueType("events", "count")), 1);
            };
            // stacks named while tracing: at the end, only the last ones are left
            names.begin();
            s.loop(duration, interval, null, () -> {
                report.run();
                stacks.clear();
            });
            names.close();
            // what came after the last interval (or the whole run, without -i)
            report.run();
            stacks.reportLost("stackcount", "event(s)");
        }
        return 0;
    }

    private Link attach(ToolSession s, BpfObject obj, Target t) {
        switch (t.kind()) {
            case "kprobe" -> {
                return Kprobe.attach(obj.program("stackcount_kprobe"), t.name());
            }
            case "uprobe" -> {
                return Uprobe.attach(obj.program("stackcount_kprobe"), Uprobe.resolve(t.category()), t.name(), false,
                        pid == null ? -1 : pid);
            }
            case "raw_tp" -> {
                return RawTracepoint.attach(obj.program("stackcount_raw_tp"), t.name());
            }
            default -> {
                try {
                    return RawTracepoint.attach(obj.program("stackcount_raw_tp"), t.name());
                } catch (BpfException noRawTracepoint) {
                    s.err().println("stackcount: no raw tracepoint '" + t.name() + "': using the perf-event "
                            + "tracepoint " + t.category() + ":" + t.name());
                    try {
                        return Tracepoint.attach(obj.program("stackcount_tp"), t.category(), t.name());
                    } catch (RuntimeException e) {
                        e.addSuppressed(noRawTracepoint);
                        throw e;
                    }
                }
            }
        }
    }

    /**
     * t:CAT:NAME / tracepoint:CAT:NAME, raw_tp:NAME / r:NAME / tp_btf:NAME, FUNC / p::FUNC / k:FUNC / kprobe:FUNC,
     * LIB:FUNC / p:LIB:FUNC (the uprobe's library in {@link Target#category}).
     */
    static Target parse(String pattern) {
        String[] p = pattern.split(":", -1);
        if (p.length == 3 && (p[0].equals("t") || p[0].equals("tracepoint")) && !p[1].isEmpty() && !p[2].isEmpty()) {
            // raw tracepoint names are the tracepoint's name without its category
            return new Target("tracepoint", p[1], p[2]);
        }
        if (p.length == 2 && List.of("raw_tp", "r", "tp_btf", "raw_tracepoint").contains(p[0]) && !p[1].isEmpty()) {
            return new Target("raw_tp", null, p[1]);
        }
        if (p.length == 1 && !p[0].isEmpty()) return new Target("kprobe", null, p[0]);
        if (p.length == 2 && List.of("k", "kprobe").contains(p[0]) && !p[1].isEmpty()) {
            return new Target("kprobe", null, p[1]);
        }
        if (p.length == 3 && p[0].equals("p") && p[1].isEmpty() && !p[2].isEmpty()) {
            return new Target("kprobe", null, p[2]);
        }
        if (p.length == 2 && !p[0].isEmpty() && !p[1].isEmpty() && !List.of("t", "tracepoint", "u", "usdt")
                .contains(p[0])) {
            return new Target("uprobe", p[0], p[1]);
        }
        if (p.length == 3 && p[0].equals("p") && !p[1].isEmpty() && !p[2].isEmpty()) {
            return new Target("uprobe", p[1], p[2]);
        }
        throw new UsageError("unsupported pattern '" + pattern + "': use t:CATEGORY:NAME, raw_tp:NAME, "
                + "a kernel function name, or LIB:FUNC (USDT probes: use the trace tool)");
    }
}
