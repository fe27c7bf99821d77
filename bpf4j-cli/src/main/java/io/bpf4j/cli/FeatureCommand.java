package io.bpf4j.cli;

import io.bpf4j.core.features.FeatureReport;
import io.bpf4j.core.features.Features;
import io.bpf4j.core.kernel.KernelInfo;
import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.output.Json;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bpf4j feature}: what this kernel lets BPF do — program types, map types, helpers and attach hooks — with
 * the reason for every "no", like {@code bpftool feature probe} but grouped and readable; {@code --json} for
 * scripts.
 */
@Command(
        name = "feature",
        mixinStandardHelpOptions = true,
        header = "Probe what this kernel lets BPF do, and why not where it does not.",
        description = {
                "Loads tiny programs, creates tiny maps and opens and closes attachments to find out which program "
                        + "types, map types, helpers and attach hooks work on this kernel (nothing is left behind). "
                        + "Each unavailable feature comes with the reason: a kernel option that is not set, kernel "
                        + "lockdown, a missing privilege.",
                "Needs root (or CAP_BPF + CAP_PERFMON + CAP_NET_ADMIN); mounts tracefs and securityfs when missing."
        },
        sortOptions = false)
public final class FeatureCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(names = "--ascii", description = "Mark features with yes/no instead of \u2714/\u2718.")
    boolean ascii;

    @Option(names = {"-t", "--helpers-for"}, split = ",", paramLabel = "TYPE",
            description = "Program types whose helpers to probe (default: kprobe,tracepoint,raw_tracepoint,"
                    + "perf_event,xdp,sched_cls). Names as bpftool prints them.")
    List<ProgramType> helperTypes;

    @Override
    public Integer call() {
        FeatureReport report = Features.report();
        if (helperTypes != null && !helperTypes.isEmpty()) {
            Map<String, List<Probe>> helpers = new LinkedHashMap<>();
            for (ProgramType t : helperTypes) helpers.put(t.displayName(), Features.helpers(t));
            report = new FeatureReport(report.kernel(), report.programTypes(), report.mapTypes(), helpers,
                    report.attachHooks(), report.elapsed());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.writeIndented(json(report)));
        } else {
            boolean plain = ascii || !Charset.forName(System.getProperty("stdout.encoding", "UTF-8"),
                    Charset.defaultCharset()).newEncoder().canEncode("\u2714\u2718");
            out.print(text(report, plain));
        }
        out.flush();
        return 0;
    }

    /** The report as JSON: {@code {"kernel": {...}, "programTypes": [...], ..., "attachHooks": [...]}}. */
    static Map<String, Object> json(FeatureReport r) {
        KernelInfo k = r.kernel();
        Map<String, Object> kernel = new LinkedHashMap<>();
        kernel.put("release", k.release());
        kernel.put("btf", k.btf());
        kernel.put("lockdown", k.lockdown());
        kernel.put("jit", k.jitEnabled());
        kernel.put("unprivilegedBpfDisabled", k.unprivilegedBpfDisabled());
        kernel.put("lsms", k.lsms());
        Map<String, Object> helpers = new LinkedHashMap<>();
        r.helpers().forEach((type, list) -> helpers.put(type, probes(list)));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kernel", kernel);
        out.put("programTypes", probes(r.programTypes()));
        out.put("mapTypes", probes(r.mapTypes()));
        out.put("helpers", helpers);
        out.put("attachHooks", probes(r.attachHooks()));
        out.put("elapsedMillis", r.elapsed().toMillis());
        return out;
    }

    private static List<Map<String, Object>> probes(List<Probe> probes) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Probe p : probes) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", p.name());
            m.put("available", p.available());
            m.put("reason", p.reason());
            out.add(m);
        }
        return out;
    }

    /** The human-readable report. */
    static String text(FeatureReport r, boolean plain) {
        String yes = plain ? "yes" : "\u2714";
        String no = plain ? "no " : "\u2718";
        StringBuilder sb = new StringBuilder();
        KernelInfo k = r.kernel();
        sb.append("Kernel: ").append(k.release())
                .append(", BTF: ").append(k.btf() ? "yes" : "no")
                .append(", lockdown: ").append(k.lockdown())
                .append(", JIT: ").append(k.jitEnabled() ? "on" : "off")
                .append(", unprivileged BPF: ").append(switch (k.unprivilegedBpfDisabled()) {
                    case 0 -> "allowed";
                    case -1 -> "unknown";
                    default -> "disabled (" + k.unprivilegedBpfDisabled() + ")";
                });
        if (!k.lsms().isEmpty()) sb.append(", LSMs: ").append(String.join(",", k.lsms()));
        sb.append('\n');

        grid(sb, "Program types", r.programTypes(), yes, no);
        grid(sb, "Map types", r.mapTypes(), yes, no);
        helpers(sb, r.helpers(), yes, no);
        list(sb, "Attach hooks", r.attachHooks(), yes, no);
        sb.append("\n(probed in ").append(r.elapsed().toMillis()).append(" ms)\n");
        return sb.toString();
    }

    private static void heading(StringBuilder sb, String title, List<Probe> probes) {
        long n = probes.stream().filter(Probe::available).count();
        sb.append('\n').append(title).append(" (").append(n).append(" of ").append(probes.size())
                .append(" available)\n");
    }

    /** One line per probe: {@code ✔ name (note)} or {@code ✘ name: unavailable — reason}. */
    private static void list(StringBuilder sb, String title, List<Probe> probes, String yes, String no) {
        heading(sb, title, probes);
        for (Probe p : probes) sb.append("  ").append(line(p, yes, no)).append('\n');
    }

    private static String line(Probe p, String yes, String no) {
        if (!p.available()) return no + " " + p.name() + ": unavailable \u2014 " + p.reason();
        return yes + " " + p.name() + (p.reason().isEmpty() ? "" : " (" + p.reason() + ")");
    }

    /** Marks and names in columns, then a line for each unavailable probe (and each note). */
    private static void grid(StringBuilder sb, String title, List<Probe> probes, String yes, String no) {
        heading(sb, title, probes);
        int width = 0;
        for (Probe p : probes) width = Math.max(width, p.name().length());
        int columns = Math.max(1, 100 / (width + 6));
        List<String> remarks = new ArrayList<>();
        for (int i = 0; i < probes.size(); i++) {
            Probe p = probes.get(i);
            String cell = (p.available() ? yes : no) + " " + p.name();
            boolean last = i % columns == columns - 1 || i == probes.size() - 1;
            sb.append(i % columns == 0 ? "  " : "").append(last ? cell : pad(cell, width + 6));
            if (last) sb.append('\n');
            if (!p.available() || !p.reason().isEmpty()) remarks.add(line(p, yes, no));
        }
        for (String r : remarks) sb.append("  ").append(r).append('\n');
    }

    /** Helpers as a matrix (helper × program type), then a note for each "no" that is more than "not callable". */
    private static void helpers(StringBuilder sb, Map<String, List<Probe>> helpers, String yes, String no) {
        if (helpers.isEmpty()) return;
        List<String> types = new ArrayList<>(helpers.keySet());
        List<Probe> first = helpers.get(types.getFirst());
        int nameWidth = 4;
        for (Probe p : first) nameWidth = Math.max(nameWidth, p.name().length());
        sb.append("\nHelpers (").append(first.size()).append(" common helpers × ").append(types.size())
                .append(" program types)\n");
        sb.append("  ").append(pad("", nameWidth));
        for (String t : types) sb.append("  ").append(t);
        trimEnd(sb);
        sb.append('\n');
        List<String> notes = new ArrayList<>();
        for (int i = 0; i < first.size(); i++) {
            String helper = first.get(i).name();
            sb.append("  ").append(pad(helper, nameWidth));
            Map<String, List<String>> why = new LinkedHashMap<>(); // reason (type-neutral) -> program types
            for (String t : types) {
                Probe p = helpers.get(t).get(i);
                String mark = p.available() ? yes : no;
                int w = t.length();
                int left = (w - mark.codePointCount(0, mark.length())) / 2;
                sb.append("  ").append(" ".repeat(Math.max(0, left))).append(mark)
                        .append(" ".repeat(Math.max(0, w - left - mark.codePointCount(0, mark.length()))));
                if (!p.available() && !p.reason().equals("not callable from " + t + " programs")) {
                    String reason = p.reason().replace("not callable from " + t + " programs", "not callable");
                    why.computeIfAbsent(reason, x -> new ArrayList<>()).add(t);
                }
            }
            trimEnd(sb);
            sb.append('\n');
            why.forEach((reason, ts) -> notes.add(helper + " ("
                    + (ts.size() == types.size() && types.size() > 1 ? "all" : String.join(", ", ts)) + "): "
                    + reason));
        }
        if (!notes.isEmpty()) {
            sb.append("  notes:\n");
            for (String n : notes) sb.append("    ").append(n).append('\n');
        }
    }

    private static void trimEnd(StringBuilder sb) {
        while (!sb.isEmpty() && sb.charAt(sb.length() - 1) == ' ') sb.setLength(sb.length() - 1);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
