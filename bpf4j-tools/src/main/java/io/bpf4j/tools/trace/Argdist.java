package io.bpf4j.tools.trace;

import io.bpf4j.output.Histogram;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code argdist}: the distribution of a probe argument or expression, as bcc's argdist: a log2 histogram
 * ({@code -H}) or a count per distinct value ({@code -C}), printed every interval.
 *
 * <p>A specifier is {@code PROBE[:TYPE]:EXPR[:FILTER][#LABEL]}, PROBE as {@link Probe} describes
 * ({@code t:CAT:NAME}, {@code u:BIN:FUNC}, {@code r:BIN:FUNC}, {@code U:BIN:PROV:NAME}); when the function has a
 * signature ({@code u:c:malloc(size_t size)}, or {@code ()}) a TYPE follows it, as in bcc
 * ({@code u:c:malloc(size_t size):size_t:size}); EXPR and FILTER are {@link Expr} expressions. Parameters the
 * signature declares as {@code char *} are counted as strings.
 *
 * <p>The probes are captured by {@code trace}'s generic program and aggregated in Java: each hit crosses the ring
 * buffer (about 100 bytes, more with strings), so probes hit hundreds of thousands of times a second lose events
 * (counted and reported).
 */
@Command(name = "argdist", mixinStandardHelpOptions = true,
        description = "Histogram (-H) or count (-C) of probe arguments and expressions.",
        footer = {"", "SPECIFIER: PROBE[:TYPE]:EXPR[:FILTER][#LABEL]  (TYPE only after a signature)",
                "  PROBE: t:CATEGORY:NAME, u:BINARY:FUNC[(SIG)], r:BINARY:FUNC[(SIG)],",
                "         U:BINARY:PROVIDER:NAME (see bpf4j trace --help)",
                "", "Examples:",
                "  bpf4j argdist -H 'u:c:malloc:arg1'           # malloc sizes, every second",
                "  bpf4j argdist -H 'u:c:malloc(size_t size):size_t:size' -p 1234 5 3",
                "  bpf4j argdist -C 't:syscalls:sys_enter_read:fd' -T 5",
                "  bpf4j argdist -C 'r:c:open():int:retval:retval < 0'  # failed opens by error"})
public final class Argdist extends Tool {
    @Option(names = {"-H", "--histogram"}, paramLabel = "SPECIFIER", description = "A log2 histogram of EXPR.")
    List<String> histograms = new ArrayList<>();

    @Option(names = {"-C", "--count"}, paramLabel = "SPECIFIER", description = "A count of each value of EXPR.")
    List<String> counts = new ArrayList<>();

    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this process only.")
    Integer pid;

    @Option(names = {"-i", "--interval"}, paramLabel = "SECONDS", converter = OptionTypes.Interval.class,
            description = "Output interval (default 1).")
    Integer intervalOption;

    @Option(names = {"-n", "--number"}, paramLabel = "COUNT", converter = OptionTypes.Count.class,
            description = "Print COUNT times, then exit.")
    Integer countOption;

    @Option(names = {"-d", "--duration"}, paramLabel = "SECONDS", converter = OptionTypes.Seconds.class,
            description = "Run for this long.")
    Duration duration;

    @Option(names = {"-T", "--top"}, paramLabel = "TOP", converter = OptionTypes.Count.class,
            description = "Show only the TOP most frequent values.")
    Integer top;

    @Option(names = {"-c", "--cumulative"}, description = "Do not clear the counts at each interval.")
    boolean cumulative;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", converter = OptionTypes.Interval.class,
            description = "As -i.")
    Integer intervalPositional;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", converter = OptionTypes.Count.class,
            description = "As -n.")
    Integer countPositional;

    /** One specifier: its probe, expression, filter, and what it has gathered. */
    static final class Spec {
        final String text;
        final boolean histogram;
        final Probe probe;
        final String exprText;
        final Expr expr;
        final Expr filter;
        final String label;
        final long[] slots = new long[64];
        final Map<Object, Long> values = new HashMap<>();

        Spec(String text, boolean histogram) {
            this.text = text;
            this.histogram = histogram;
            String body = text;
            int hash = body.lastIndexOf('#');
            label = hash < 0 ? text : body.substring(hash + 1);
            if (hash >= 0) body = body.substring(0, hash);
            int colon = body.indexOf(':');
            String kind = colon < 0 ? "" : body.substring(0, colon);
            int probeParts = kind.equals("U") || kind.equals("usdt") ? 4 : 3;
            // the probe ends at the colon after its name, or after its signature
            int at = 0, colons = 0;
            while (at < body.length()) {
                char c = body.charAt(at);
                if (c == '(') {
                    at = body.indexOf(')', at) + 1;
                    if (at == 0) throw new UsageError("'" + text + "': unclosed signature");
                    break;
                }
                if (c == ':' && colons++ == probeParts - 1) break;
                at++;
            }
            String probeText = body.substring(0, at);
            probe = Probe.parse(probeText);
            List<String> rest = at >= body.length() ? List.of() : List.of(body.substring(at + 1).split(":", -1));
            if (probeText.endsWith(")")) rest = rest.isEmpty() ? rest : rest.subList(1, rest.size()); // the TYPE
            if (rest.isEmpty() || rest.get(0).isBlank()) {
                throw new UsageError("'" + text + "' has no expression (PROBE[:TYPE]:EXPR[:FILTER])");
            }
            exprText = rest.get(0).strip();
            expr = Expr.parse(exprText);
            filter = rest.size() > 1 ? Expr.parse(String.join(":", rest.subList(1, rest.size()))) : null;
        }

        Set<String> names() {
            Set<String> n = new LinkedHashSet<>(expr.names);
            if (filter != null) n.addAll(filter.names);
            return n;
        }

        Set<String> stringNames() {
            Set<String> n = new LinkedHashSet<>(probe.stringParams);
            n.addAll(expr.stringNames);
            if (filter != null) n.addAll(filter.stringNames);
            return n;
        }

        void add(Capture.Sample e) {
            if (filter != null && !Expr.truth(filter.eval(e.vars()))) return;
            Object v = expr.eval(e.vars());
            if (histogram) {
                if (!(v instanceof Long l)) throw new IllegalArgumentException("-H needs a number; '" + exprText
                        + "' is the string '" + v + "'");
                slots[Histogram.log2Slot(l)]++;
            } else {
                values.merge(v, 1L, Long::sum);
            }
        }

        void clear() {
            Arrays.fill(slots, 0);
            values.clear();
        }
    }

    @Override
    protected int run(ToolSession s) {
        List<Spec> specs = new ArrayList<>();
        for (String h : histograms) specs.add(new Spec(h, true));
        for (String c : counts) specs.add(new Spec(c, false));
        if (specs.isEmpty()) throw new UsageError("give at least one -H or -C specifier");
        int interval = intervalPositional != null ? intervalPositional : intervalOption != null ? intervalOption : 1;
        Integer count = countPositional != null ? countPositional : countOption;

        Capture capture = new Capture(s, specs.stream().map(sp -> sp.probe).toList());
        capture.attach(specs.stream().map(Spec::names).toList(), specs.stream().map(Spec::stringNames).toList(),
                pid, null);
        if (!s.json()) s.out().printf("Tracing %d specifier(s)... Hit Ctrl-C to end.%n", specs.size());
        s.out().flush();
        UsageError[] failed = new UsageError[1];
        capture.onSamples(e -> {
            Spec spec = specs.get(e.index());
            try {
                spec.add(e);
            } catch (IllegalArgumentException ex) {
                // an expression or a filter the probe's values do not fit (a string where a number goes…)
                failed[0] = new UsageError("'" + spec.text + "': " + ex.getMessage(), ex);
                s.stop();
            }
        });
        int[] printed = new int[1];
        Runnable print = () -> {
            print(s, specs);
            printed[0]++;
        };
        s.loop(duration, Duration.ofSeconds(interval),
                count, print);
        if (count == null || printed[0] < count) print(s, specs); // what the last, partial interval gathered
        if (failed[0] != null) throw failed[0];
        return 0;
    }

    private void print(ToolSession s, List<Spec> specs) {
        PrintWriter out = s.out();
        String time = CommonOptions.time();
        if (!s.json()) out.printf("[%s]%n", time);
        for (Spec spec : specs) {
            if (spec.histogram) {
                Histogram h = Histogram.log2(spec.exprText, spec.slots).withLabel(spec.label);
                if (s.json()) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("time", time);
                    m.put("specifier", spec.label);
                    m.put("histogram", h.toJson());
                    s.printJson(m);
                } else {
                    s.histogram(h);
                }
            } else {
                List<Map.Entry<Object, Long>> rows = new ArrayList<>(spec.values.entrySet());
                rows.sort(Map.Entry.<Object, Long>comparingByValue()
                        .thenComparing(en -> String.valueOf(en.getKey()), Comparator.naturalOrder()));
                if (top != null && rows.size() > top) rows = rows.subList(rows.size() - top, rows.size());
                if (s.json()) {
                    List<Map<String, Object>> list = new ArrayList<>();
                    for (var r : rows) list.add(Map.of("value", r.getKey(), "count", r.getValue()));
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("time", time);
                    m.put("specifier", spec.label);
                    m.put("counts", list);
                    s.printJson(m);
                } else {
                    out.println(spec.label);
                    out.printf("\t%-10s %s%n", "COUNT", "EVENT");
                    for (var r : rows) out.printf("\t%-10d %s = %s%n", r.getValue(), spec.exprText, r.getKey());
                }
            }
            if (!cumulative) spec.clear();
        }
        out.flush();
    }
}
