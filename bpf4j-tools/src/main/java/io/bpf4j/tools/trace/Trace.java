package io.bpf4j.tools.trace;

import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code trace}: one line per hit of tracepoints, uprobes, uretprobes or USDT probes, with a printf-style message
 * and an optional filter — bcc's trace, with its columns (PID TID COMM FUNC, then the message).
 *
 * <p>A probe is {@code PROBE [(FILTER)] ["FORMAT"[, ARG...]]} (the filter may also come last), PROBE as
 * {@link Probe} describes ({@code t:CAT:NAME}, {@code u:BIN:FUNC}, {@code r:BIN:FUNC}, {@code U:BIN:PROV:NAME}),
 * FILTER and each ARG expressions of {@link Expr} over the probe's names ({@code arg1}..{@code arg6},
 * {@code retval}, tracepoint fields, {@code $pid $tid $comm $cpu}), FORMAT a C printf format ({@link Printf}).
 *
 * <p>Unlike bcc, nothing is compiled at run time: a generic BPF program copies the probe's raw arguments (the
 * argument registers, USDT argument locations, or the tracepoint's whole record) and up to three strings
 * ({@code %s} arguments, or names compared with a string literal) into the ring buffer, and the filter and the
 * format run in Java. So a filter saves no ring-buffer traffic: for very frequent probes, prefer {@code -p}
 * (filtered in the kernel) or {@code argdist}. Strings are cut at 127 bytes; tracepoint records at 2 KiB.
 * Tracepoints attach as perf events (their formatted record is what the fields describe), which take ~76 ms
 * each to detach.
 */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = "Print a line for each hit of probes, with a printf-style message and a filter.",
        footer = {"", "PROBE [(FILTER)] [\"FORMAT\"[, ARG...]]   PROBE is one of",
                "  t:CATEGORY:NAME          tracepoint; names: its fields (tracefs format)",
                "  u:BINARY:FUNC[(SIG)]     function entry; names: arg1..arg6 (or SIG's names)",
                "  r:BINARY:FUNC            function return; name: retval",
                "  U:BINARY:PROVIDER:NAME   USDT probe; names: arg1..argN",
                "  and everywhere: $pid $tid $comm $cpu",
                "FILTER and ARG: C-like expressions of numbers, \"strings\" and names with",
                "  == != < <= > >= && || ! + - * / %% & | ^ << >>",
                "", "Examples:",
                "  bpf4j trace 't:syscalls:sys_enter_openat \"%%s\", filename'",
                "  bpf4j trace 't:sched:sched_process_exec \"%%s\", filename'",
                "  bpf4j trace 'u:c:malloc (arg1 > 1000) \"size=%%d\", arg1' -p 1234",
                "  bpf4j trace 'r:/bin/bash:readline \"%%s\", retval'"})
public final class Trace extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this process only.")
    Integer pid;

    @Option(names = {"-L", "--tid"}, paramLabel = "TID", converter = OptionTypes.Tid.class,
            description = "Trace this thread only.")
    Integer tid;

    @Option(names = {"-n", "--name"}, paramLabel = "NAME",
            description = "Only print events whose process name contains NAME.")
    String name;

    @Option(names = {"-M", "--max-events"}, paramLabel = "MAX", converter = OptionTypes.LongCount.class,
            description = "Exit after printing MAX events.")
    Long max;

    @Option(names = {"-T", "--time"}, description = "Include a time column (HH:MM:SS).")
    boolean time;

    @Option(names = {"-t", "--timestamp"}, description = "Include a timestamp column (seconds since start).")
    boolean timestamp;

    @Mixin
    CommonOptions.TraceDuration duration;

    @Parameters(paramLabel = "PROBE", arity = "1..*", description = "The probes to trace (see below).")
    List<String> probeTexts;

    /** A probe with its filter, format and arguments. */
    record Spec(Probe probe, Expr filter, Printf format, List<Expr> args) {
        Set<String> names() {
            Set<String> n = new LinkedHashSet<>();
            if (filter != null) n.addAll(filter.names);
            for (Expr a : args) n.addAll(a.names);
            return n;
        }

        Set<String> stringNames() {
            Set<String> n = new LinkedHashSet<>(probe.stringParams);
            if (filter != null) n.addAll(filter.stringNames);
            for (int i = 0; i < args.size(); i++) {
                Expr a = args.get(i);
                n.addAll(a.stringNames);
                if (a instanceof Expr.Name name && format.isString(i)) n.add(name.name);
            }
            return n;
        }
    }

    /** Parses {@code PROBE [(FILTER)] ["FORMAT"[, ARG...]] [(FILTER)]}. */
    static Spec parse(String text) {
        int at = 0;
        while (at < text.length() && !Character.isWhitespace(text.charAt(at)) && text.charAt(at) != '(') at++;
        if (at < text.length() && text.charAt(at) == '(') { // a signature, right after the function
            int depth = 0;
            do {
                char c = text.charAt(at);
                if (c == '(') depth++;
                else if (c == ')') depth--;
                at++;
            } while (depth > 0 && at < text.length());
        }
        Probe probe = Probe.parse(text.substring(0, at));
        Expr.Parser p = new Expr.Parser(text, at);
        Expr filter = null;
        Printf format = null;
        List<Expr> args = new ArrayList<>();
        p.skip();
        if (p.pos < text.length() && text.charAt(p.pos) == '(') filter = p.parse();
        p.skip();
        if (p.pos < text.length() && text.charAt(p.pos) == '"') {
            format = new Printf(p.readString());
            p.skip();
            while (p.pos < text.length() && text.charAt(p.pos) == ',') {
                p.pos++;
                args.add(p.parse());
                p.skip();
            }
        }
        if (filter == null && p.pos < text.length() && text.charAt(p.pos) == '(') {
            filter = p.parse();
            p.skip();
        }
        if (p.pos < text.length()) {
            throw new UsageError("probe '" + text + "': cannot read '" + text.substring(p.pos)
                    + "' (expected PROBE [(FILTER)] [\"FORMAT\"[, ARG...]])");
        }
        if (format == null) format = new Printf("");
        if (format.conversions() != args.size()) {
            throw new UsageError("probe '" + text + "': the format takes " + format.conversions()
                    + " value(s) but " + args.size() + " argument(s) follow it");
        }
        return new Spec(probe, filter, format, args);
    }

    @Override
    protected int run(ToolSession s) {
        List<Spec> specs = probeTexts.stream().map(Trace::parse).toList();
        Capture capture = new Capture(s, specs.stream().map(Spec::probe).toList());
        capture.attach(specs.stream().map(Spec::names).toList(), specs.stream().map(Spec::stringNames).toList(),
                pid, tid);
        PrintWriter out = s.out();
        if (!s.json()) {
            if (time) out.printf("%-8s ", "TIME");
            if (timestamp) out.printf("%-10s ", "TIME");
            out.printf("%-7s %-7s %-15s %-16s %s%n", "PID", "TID", "COMM", "FUNC", "-");
        }
        out.flush();
        long start = System.nanoTime();
        long[] printed = new long[1];
        UsageError[] failed = new UsageError[1];
        capture.onSamples(e -> {
            if (max != null && printed[0] >= max) return;
            if (name != null && !e.comm().contains(name)) return;
            Spec spec = specs.get(e.index());
            String message;
            try {
                if (spec.filter != null && !Expr.truth(spec.filter.eval(e.vars()))) return;
                List<Object> values = new ArrayList<>();
                for (Expr a : spec.args) values.add(a.eval(e.vars()));
                message = spec.format.format(values);
            } catch (IllegalArgumentException ex) {
                // a filter or an argument the probe's values do not fit (a string where a number goes…)
                failed[0] = new UsageError("probe '" + spec.probe.text + "': " + ex.getMessage(), ex);
                s.stop();
                return;
            }
            printed[0]++;
            if (s.json()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("event", "trace");
                m.put("ts", e.ts());
                m.put("cpu", e.cpu());
                m.put("pid", e.pid());
                m.put("tid", e.tid());
                m.put("comm", e.comm());
                m.put("func", spec.probe.func());
                m.put("message", message);
                s.printJson(m);
            } else {
                if (time) out.printf("%-8s ", CommonOptions.time());
                if (timestamp) out.printf("%-10.6f ", (e.ts() - start) / 1e9);
                out.printf("%-7d %-7d %-15s %-16s %s%n", e.pid(), e.tid(), e.comm(), spec.probe.func(), message);
            }
            if (max != null && printed[0] >= max) s.stop();
        });
        s.loop(duration.get(), null, null, null);
        if (failed[0] != null) throw failed[0];
        return 0;
    }
}
