package io.bpf4j.tools.syscall;

import io.bpf4j.core.Codec;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code syscount}: system calls counted per syscall (or per process with {@code -P}), with their total time with
 * {@code -L} — libbpf-tools' syscount, with its flags and columns. The top {@code -T} rows (10) are printed every
 * {@code -i} seconds, or once at the end ({@code -d} or Ctrl-C).
 *
 * <p>Hooks the generic syscall tracepoints ({@code tp_btf/sys_enter}, {@code sys_exit}). A call is counted when
 * it returns, so {@code exit} and {@code exit_group} never appear, and calls in flight when the tool starts are
 * counted without latency. Names come from the x86_64 syscall table (other architectures print numbers).
 * {@code -c} filters by command name, where libbpf-tools' {@code -c} takes a cgroup path.
 */
@Command(name = "syscount", mixinStandardHelpOptions = true,
        description = "Summarize syscall counts and latencies.")
public final class Syscount extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Process PID to trace.")
    Integer pid;

    @Option(names = {"-t", "--tid"}, paramLabel = "TID", converter = OptionTypes.Tid.class,
            description = "Thread TID to trace.")
    Integer tid;

    @Option(names = {"-c", "--comm"}, paramLabel = "COMM", description = "Trace processes with this command name.")
    String comm;

    @Option(names = {"-i", "--interval"}, paramLabel = "INTERVAL", converter = OptionTypes.IntervalOrNone.class,
            description = "Print summary at this interval (seconds), 0 for infinite wait (default).")
    int interval;

    @Option(names = {"-d", "--duration"}, paramLabel = "DURATION", converter = OptionTypes.Seconds.class,
            description = "Total tracing duration (seconds).")
    Duration duration;

    @Option(names = {"-T", "--top"}, paramLabel = "TOP", converter = OptionTypes.Count.class,
            description = "Print only the top syscalls (default 10).")
    int top = 10;

    @Option(names = {"-x", "--failures"}, description = "Trace only failed syscalls.")
    boolean failures;

    @Option(names = {"-e", "--errno"}, paramLabel = "ERRNO", converter = Errno.class,
            description = "Trace only syscalls that return this error (numeric or EPERM, etc.).")
    Integer errno;

    /** {@code -e ERRNO}: an error number, or its name (EPERM…). */
    static final class Errno implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return Syscalls.errno(value).orElseThrow(() -> new TypeConversionException("unknown errno '" + value
                    + "': give its name (EPERM, ENOENT…) or its number (from 1)"));
        }
    }

    @Option(names = {"-L", "--latency"}, description = "Collect syscall latency.")
    boolean latency;

    @Option(names = {"-m", "--milliseconds"}, description = "Display latency in milliseconds (default: microseconds).")
    boolean milliseconds;

    @Option(names = {"-P", "--process"}, description = "Count by process and not by syscall.")
    boolean byProcess;

    @Option(names = {"-l", "--list"}, description = "Print list of recognized syscalls and exit.")
    boolean list;

    @Override
    protected int run(ToolSession s) {
        if (list) {
            Syscalls.all().forEach((nr, name) -> s.out().printf("%3d: %s%n", nr, name));
            return 0;
        }
        if (!Syscalls.supported()) {
            s.err().println("syscount: no syscall name table for " + System.getProperty("os.arch")
                    + ": syscalls are shown by number");
        }
        s.object("syscount");
        var data = Aggregates.values(s, "data", Data.class);
        if (pid != null) s.set("targ_pid", pid);
        if (tid != null) s.set("targ_tid", tid);
        if (comm != null) s.setString("targ_comm", comm);
        if (errno != null) s.set("filter_errno", errno);
        s.set("filter_failed", failures ? 1 : 0);
        s.set("count_by_process", byProcess ? 1 : 0);
        s.set("measure_latency", latency ? 1 : 0);
        s.load();
        s.attachAll();
        if (!s.json()) s.out().printf("Tracing syscalls, printing top %d... Ctrl+C to quit.%n", top);
        s.out().flush();
        var counts = s.map("data").typed(Codec.INT, data);
        Runnable print = () -> print(s, Aggregates.takeAll(counts));
        boolean signalled;
        if (interval > 0) {
            // as libbpf-tools: with -d, whole intervals until the duration is used up
            Integer count = duration == null ? null
                    : (int) Math.clamp(Math.ceilDiv(duration.toMillis(), interval * 1000L), 1, Integer.MAX_VALUE);
            signalled = s.loop(null, Duration.ofSeconds(interval), count, print);
        } else {
            signalled = s.loop(duration, null, null, null);
        }
        if (interval <= 0 || signalled) print.run();
        return 0;
    }

    /** {@code struct data} of syscount.bpf.c, the value of {@code data} (named as the C fields). */
    record Data(long count, long total_ns, String comm) {
    }

    private record Row(long key, long count, long totalNs, String comm) {
    }

    private void print(ToolSession s, List<Map.Entry<Integer, Data>> data) {
        List<Row> rows = data.stream().map(e -> new Row(Integer.toUnsignedLong(e.getKey()), e.getValue().count(),
                        e.getValue().total_ns(), e.getValue().comm()))
                .sorted(Comparator.comparingLong(latency ? Row::totalNs : Row::count).reversed()).limit(top).toList();
        double div = milliseconds ? 1e6 : 1e3;
        if (s.json()) {
            for (Row r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                if (byProcess) {
                    m.put("pid", r.key());
                    m.put("comm", r.comm());
                } else {
                    m.put("syscall", Syscalls.name((int) r.key()));
                    m.put("nr", r.key());
                }
                m.put("count", r.count());
                if (latency) m.put("total_ns", r.totalNs());
                s.printJson(m);
            }
            return;
        }
        var out = s.out();
        out.printf("[%s]%n", CommonOptions.time());
        if (byProcess) out.printf("%-6s %-15s", "PID", "COMM");
        else out.printf("%-22s", "SYSCALL");
        if (latency) out.printf(" %8s %16s%n", "COUNT", milliseconds ? "TIME (ms)" : "TIME (us)");
        else out.printf(" %8s%n", "COUNT");
        for (Row r : rows) {
            if (byProcess) out.printf("%-6d %-15s", r.key(), r.comm());
            else out.printf("%-22s", Syscalls.name((int) r.key()));
            if (latency) out.printf(" %8d %16.3f%n", r.count(), r.totalNs() / div);
            else out.printf(" %8d%n", r.count());
        }
        out.println();
    }
}
