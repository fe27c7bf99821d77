package io.bpf4j.cli;

import io.bpf4j.core.features.Features;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.testing.KernelMatrix;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code bpf4j feature} run in-process through picocli, in text and JSON, against this machine's kernel. It must
 * tell the truth on the kernel it runs on: the kernel matrix (scripts/kernel-matrix) runs it on this machine's 6.18
 * (no kprobes; fentry refused under lockdown) and on Linux 6.1 (kprobes; fentry, no lockdown). What is true is found
 * without the probe: the kprobe PMU in sysfs, the lockdown mode in securityfs.
 */
@KernelTest
@KernelMatrix
class FeatureCommandTest {
    /** Whether this kernel has kprobes: its kprobe PMU exists. */
    private static final boolean KPROBES = Files.exists(Path.of("/sys/bus/event_source/devices/kprobe"));
    /** Whether the kernel runs without lockdown, where fentry loads (on a kernel with BTF and trampolines). */
    private static final boolean NO_LOCKDOWN = lockdown().equals("none");

    private static String stdoutEncoding;

    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "the feature probe loads programs: needs root");
        // The command prints yes/no instead of the check marks when stdout cannot encode them; the test's
        // writer can, whatever the build machine's locale.
        stdoutEncoding = System.setProperty("stdout.encoding", "UTF-8");
    }

    @AfterAll
    static void restore() {
        if (stdoutEncoding != null) System.setProperty("stdout.encoding", stdoutEncoding);
    }

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine(false);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void textReport() throws Exception {
        Run r = run("feature");
        assertThat(r.exit()).as(r.err()).isZero();
        String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        assertThat(r.out()).startsWith("Kernel: " + release + ", BTF: yes, lockdown: ")
                .contains("JIT: on")
                .contains("\nProgram types (", "\nMap types (", "\nHelpers (", "\nAttach hooks (");
        List<String> lines = r.out().lines().toList();
        for (String hook : List.of("ringbuf", "tracepoint", "raw_tp", "uprobe", "xdp")) {
            assertThat(lines).anyMatch(l -> l.matches("  \u2714 " + hook + "( \\(.*\\))?"));
        }
        if (KPROBES) {
            assertThat(lines).anyMatch(l -> l.matches("  \u2714 kprobe( \\(.*\\))?"));
        } else {
            assertThat(lines).contains("  \u2718 kprobe: unavailable \u2014 CONFIG_KPROBES is not set");
        }
        if (NO_LOCKDOWN) {
            assertThat(lines).anyMatch(l -> l.matches("  \u2714 fentry( \\(.*\\))?"));
        } else {
            assertThat(lines).anyMatch(l -> l.startsWith("  \u2718 fentry: unavailable \u2014 program load refused "
                    + "with EPERM (lockdown: "));
        }
        // The helper matrix: a header of program types, then one row per helper.
        assertThat(lines).anyMatch(l -> l.strip().equals("kprobe  tracepoint  raw_tracepoint  perf_event  xdp  "
                + "sched_cls"));
        assertThat(lines).anyMatch(l -> l.matches("  get_stackid +\u2714 +\u2714 +\u2714 +\u2714 +\u2718 +\u2718"));
        assertThat(lines).allMatch(l -> !l.endsWith(" "), "no trailing blanks");
    }

    @Test
    void asciiMarks() {
        Run r = run("feature", "--ascii", "--helpers-for", "xdp,SOCKET_FILTER");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).doesNotContain("\u2714").contains("  yes xdp")
                .contains(KPROBES ? "  yes kprobe" : "  no  kprobe: unavailable");
        assertThat(r.out()).contains("Helpers (").contains("xdp  socket_filter");
    }

    @Test
    void jsonReport() {
        Run r = run("feature", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).as("indented, one member per line").startsWith("{\n  \"kernel\": {\n")
                .contains("\"name\": \"kprobe\"");
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) new MiniJson(r.out()).parse();
        assertThat(json).containsKeys("kernel", "programTypes", "mapTypes", "helpers", "attachHooks");
        @SuppressWarnings("unchecked")
        Map<String, Object> kernel = (Map<String, Object>) json.get("kernel");
        assertThat(kernel).containsEntry("btf", true).containsEntry("jit", true).containsKey("lockdown");

        Map<String, Map<String, Object>> hooks = byName(json.get("attachHooks"));
        for (String hook : List.of("ringbuf", "tracepoint", "raw_tp", "uprobe", "xdp")) {
            assertThat(hooks.get(hook)).as(hook).containsEntry("available", true);
        }
        assertThat(hooks.get("kprobe")).containsEntry("available", KPROBES);
        if (!KPROBES) assertThat((String) hooks.get("kprobe").get("reason")).contains("CONFIG_KPROBES");
        assertThat(hooks.get("fentry")).containsEntry("available", NO_LOCKDOWN);
        if (!NO_LOCKDOWN) assertThat((String) hooks.get("fentry").get("reason")).contains("EPERM");

        assertThat(byName(json.get("programTypes")).get("xdp")).containsEntry("available", true);
        assertThat(byName(json.get("mapTypes")).get("ringbuf")).containsEntry("available", true);
        @SuppressWarnings("unchecked")
        Map<String, Object> helpers = (Map<String, Object>) json.get("helpers");
        assertThat(byName(helpers.get("kprobe")).get("get_stackid")).containsEntry("available", true);
        assertThat(byName(helpers.get("xdp")).get("get_stackid")).containsEntry("available", false);
    }

    /**
     * The active lockdown mode ("[none] integrity confidentiality" is "none"), from securityfs; where it is not
     * mounted, what the library read (it mounts securityfs itself).
     */
    private static String lockdown() {
        Path file = Path.of("/sys/kernel/security/lockdown");
        try {
            String modes = Files.readString(file);
            int open = modes.indexOf('['), close = modes.indexOf(']');
            return open >= 0 && close > open ? modes.substring(open + 1, close) : "none";
        } catch (IOException notMounted) {
            return Features.kernel().lockdown();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> byName(Object list) {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        for (Object o : (List<Object>) list) {
            Map<String, Object> p = (Map<String, Object>) o;
            assertThat(p).containsOnlyKeys("name", "available", "reason");
            m.put((String) p.get("name"), p);
        }
        return m;
    }

    /** Just enough of a JSON parser to check the structure: objects, arrays, strings, numbers, booleans, null. */
    static final class MiniJson {
        private final String s;
        private int i;

        MiniJson(String s) {
            this.s = s;
        }

        Object parse() {
            Object v = value();
            ws();
            if (i != s.length()) throw new IllegalArgumentException("trailing text at " + i);
            return v;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private void expect(char c) {
            ws();
            if (i >= s.length() || s.charAt(i) != c) throw new IllegalArgumentException("expected " + c + " at " + i);
            i++;
        }

        private Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                do {
                    ws();
                    String k = string();
                    expect(':');
                    m.put(k, value());
                    ws();
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != '}') throw new IllegalArgumentException("expected } at " + (i - 1));
                return m;
            }
            if (c == '[') {
                i++;
                List<Object> l = new ArrayList<>();
                ws();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                do {
                    l.add(value());
                    ws();
                } while (s.charAt(i++) == ',');
                if (s.charAt(i - 1) != ']') throw new IllegalArgumentException("expected ] at " + (i - 1));
                return l;
            }
            if (c == '"') return string();
            for (String lit : List.of("true", "false", "null")) {
                if (s.startsWith(lit, i)) {
                    i += lit.length();
                    return lit.equals("null") ? null : Boolean.valueOf(lit);
                }
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            if (start == i) throw new IllegalArgumentException("unexpected " + c + " at " + i);
            return Double.parseDouble(s.substring(start, i));
        }

        private String string() {
            if (s.charAt(i) != '"') throw new IllegalArgumentException("expected string at " + i);
            StringBuilder b = new StringBuilder();
            for (i++; s.charAt(i) != '"'; i++) {
                char c = s.charAt(i);
                if (c == '\\') {
                    char e = s.charAt(++i);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                            i += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
            i++;
            return b.toString();
        }
    }
}
