package io.bpf4j.core;

import io.bpf4j.core.btf.LibbpfHarness;
import io.bpf4j.core.elf.Fixtures;
import io.bpf4j.core.elf.RealWorldObjectsTest;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.testing.KernelMatrix;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Conformance with libbpf: every program of every object is loaded on its own (all other programs' autoload off)
 * once by libbpf (Debian's libbpf, through {@code core_harness --each}, see {@link LibbpfHarness}) and once by
 * bpf4j. Both must agree on whether it loads, and for programs both load, the kernel's program tags (a hash of the
 * instructions as handed to the kernel, map fds left out) must be equal: the same relocated instructions. Each
 * object is also loaded whole (every autoload program together) by both, with the same requirement.
 *
 * <p>Objects: the fixtures of src/test/c and src/test/c/core, and the CO-RE objects libbpf-tools embed in the
 * binaries of /usr/sbin (objects written by others, built by Debian). Differences that are known and acceptable
 * are listed in {@link #KNOWN}, each with its reason, and printed with the table; any other difference fails.
 */
@KernelTest
class ConformanceTest {
    /** The program name of the row that compares the whole object (every autoload program loaded together). */
    static final String WHOLE = "(object)";

    /**
     * Known differences, "object:program" (program "*" for all programs of the object, {@link #WHOLE} for the
     * whole-object row) to the reason. They are printed every run so they stay visible; an entry that no longer
     * differs is reported as stale.
     */
    static final Map<String, String> KNOWN = new LinkedHashMap<>();

    static {
        KNOWN.put("legacy_maps:*", "libbpf 1.0 dropped the legacy SEC(\"maps\") (struct bpf_map_def) section: libbpf "
                + "1.1 refuses to open the object (EOPNOTSUPP); bpf4j still reads legacy map definitions on purpose");
        KNOWN.put("map_in_map:lookup_inner", "loaded on its own, 'tail' has autoload off, yet libbpf 1.1 still fills "
                + "prog array 'jumps' slot [1] with tail's fd (-1) and fails the object with EBADF; bpf4j leaves a slot "
                + "of a program not loaded empty. With every program loaded, libbpf loads lookup_inner too, with the "
                + "same tag as bpf4j's");
        KNOWN.put("externs:on_switch", "libbpf 1.1 rejects kfunc extern 'bpf_task_acquire': its prototype check "
                + "(bpf_core_types_are_compat) finds 'struct task_struct *' to a forward declaration incompatible with "
                + "the kernel's pointer to the full struct (\"func_proto [8] incompatible with kernel\"), EINVAL before "
                + "anything is loaded; bpf4j does not check kfunc prototypes itself and lets the verifier check the "
                + "call against the kernel's BTF, which accepts it");
        KNOWN.put("externs:" + WHOLE, "the whole object holds on_switch: " + KNOWN.get("externs:on_switch"));
        KNOWN.put("externs:typed_ksym", "on a kernel without kfunc bpf_task_acquire (before 6.2: the kernel matrix's "
                + "6.1) libbpf 1.1 resolves every extern of the object, those of programs not loaded included, and "
                + "fails the object over on_switch's missing kfunc ('not found in kernel or module BTFs', EINVAL); "
                + "bpf4j resolves the externs of the programs it loads, and typed_ksym uses none of on_switch's");
    }

    /** What bpf4j did with one program loaded on its own. */
    record Ours(boolean loaded, String tag, String reason) {
    }

    /** One program compared. */
    record Row(String object, String program, LibbpfHarness.Outcome libbpf, Ours bpf4j) {
        boolean agree() {
            if (libbpf.loaded() != bpf4j.loaded()) return false;
            return !libbpf.loaded() || libbpf.tag().equals(bpf4j.tag());
        }

        String describe() {
            String theirs = libbpf.loaded() ? "loaded tag " + libbpf.tag() : "failed errno " + libbpf.errno();
            String ours = bpf4j.loaded() ? "loaded tag " + bpf4j.tag() : "failed: " + bpf4j.reason();
            return object + ":" + program + " libbpf " + theirs + " / bpf4j " + ours;
        }
    }

    /** bpf4j's outcome for each program of {@code object}, each loaded on its own. */
    static Map<String, Ours> bpf4j(Path object) {
        Map<String, Ours> out = new LinkedHashMap<>();
        ObjectSpec spec;
        try {
            spec = ObjectSpec.read(object);
        } catch (RuntimeException e) {
            out.put("", new Ours(false, null, "read: " + reason(e)));
            return out;
        }
        for (ObjectProgram p : spec.programs()) {
            ObjectSpec alone = spec;
            for (ObjectProgram q : spec.programs()) alone = alone.withAutoload(q.name(), q.name().equals(p.name()));
            try (BpfObject o = BpfObject.load(alone)) {
                out.put(p.name(), new Ours(true, o.program(p.name()).info().tag(), null));
            } catch (RuntimeException e) {
                out.put(p.name(), new Ours(false, null, reason(e)));
            }
        }
        return out;
    }

    /** The kind of failure: exception, errno and the message up to its first colon, for the summary. */
    static String shortReason(String reason) {
        String[] parts = reason.split(": ", 3);
        String what = parts.length > 2 ? parts[1] + ": " + parts[2] : parts.length > 1 ? parts[1] : "";
        what = what.replaceAll("\"[^\"]*\"", "\"…\"").replaceAll("'[^' ]*'", "'…'");
        if (what.length() > 80) what = what.substring(0, 80) + "…";
        return parts[0] + " " + what;
    }

    static String reason(RuntimeException e) {
        String m = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        if (m.length() > 200) m = m.substring(0, 200) + "…";
        String errno = e instanceof BpfException b ? " errno " + b.errnoCode() : "";
        return e.getClass().getSimpleName() + errno + ": " + m;
    }

    /**
     * bpf4j loading the whole object as it is: loaded, with "name=tag" of each program sorted as its tag, or the
     * reason it failed.
     */
    static Ours bpf4jWhole(Path object) {
        try (BpfObject o = BpfObject.load(ObjectSpec.read(object))) {
            Map<String, String> tags = new TreeMap<>();
            o.programs().forEach((name, p) -> tags.put(name, p.info().tag()));
            return new Ours(true, tags.toString(), null);
        } catch (RuntimeException e) {
            return new Ours(false, null, reason(e));
        }
    }

    /** Both loaders on the whole object, then on every program of {@code object} on its own. */
    static List<Row> compare(String label, Path object) {
        Map<String, LibbpfHarness.Outcome> theirs = LibbpfHarness.each(object);
        Map<String, Ours> ours = bpf4j(object);
        List<Row> rows = new ArrayList<>();
        LibbpfHarness.Outcome whole = theirs.getOrDefault("@", theirs.get(""));
        if (whole != null && whole.loaded()) {
            Map<String, String> tags = new TreeMap<>();
            theirs.forEach((k, v) -> {
                if (k.startsWith("@") && k.length() > 1) tags.put(k.substring(1), v.tag());
            });
            whole = new LibbpfHarness.Outcome(WHOLE, true, tags.toString(), 0);
        } else if (whole == null) {
            whole = new LibbpfHarness.Outcome(WHOLE, false, null, -1);
        }
        rows.add(new Row(label, WHOLE, whole, bpf4jWhole(object)));
        Set<String> names = new LinkedHashSet<>();
        ours.keySet().stream().filter(n -> !n.isEmpty()).forEach(names::add);
        theirs.keySet().stream().filter(n -> !n.isEmpty() && !n.startsWith("@")).forEach(names::add);
        if (names.isEmpty()) names.add("");
        for (String n : names) {
            LibbpfHarness.Outcome t = theirs.getOrDefault(n, theirs.get(""));
            if (t == null) t = new LibbpfHarness.Outcome(n, false, null, -1); // not a program to libbpf
            Ours o = ours.getOrDefault(n, ours.get(""));
            if (o == null) o = new Ours(false, null, "not a program to bpf4j");
            rows.add(new Row(label, n, t, o));
        }
        return rows;
    }

    /** Prints the table and asserts that every difference is a known one. */
    static void check(String title, int objects, List<Row> all) {
        List<Row> rows = all.stream().filter(r -> !r.program().equals(WHOLE)).toList();
        int both = 0, neither = 0, known = 0;
        List<String> unexplained = new ArrayList<>();
        List<String> explained = new ArrayList<>();
        Set<String> used = new LinkedHashSet<>();
        int wholeBoth = 0, wholeNeither = 0, wholeKnown = 0, wholeUnexplained = 0;
        for (Row r : all) {
            if (r.agree()) {
                if (r.program().equals(WHOLE)) {
                    if (r.libbpf().loaded()) wholeBoth++;
                    else wholeNeither++;
                    continue;
                }
                if (r.libbpf().loaded()) both++;
                else neither++;
                continue;
            }
            String key = KNOWN.containsKey(r.object() + ":" + r.program()) ? r.object() + ":" + r.program()
                    : r.object() + ":*";
            boolean whole = r.program().equals(WHOLE);
            if (KNOWN.containsKey(key)) {
                if (whole) wholeKnown++;
                else known++;
                used.add(key);
                explained.add(r.describe() + "\n      known: " + KNOWN.get(key));
            } else {
                if (whole) wholeUnexplained++;
                unexplained.add(r.describe());
            }
        }
        StringBuilder t = new StringBuilder();
        t.append("ConformanceTest ").append(title).append(": ").append(objects).append(" objects, ")
                .append(rows.size()).append(" programs: ").append(both).append(" both loaded (equal tags), ")
                .append(neither).append(" both failed, ").append(known).append(" known differences, ")
                .append(unexplained.size() - wholeUnexplained).append(" unexplained mismatches\n")
                .append("  whole objects (all autoload programs together): ").append(wholeBoth)
                .append(" both loaded (equal tags), ").append(wholeNeither).append(" both failed, ")
                .append(wholeKnown).append(" known differences, ").append(wholeUnexplained)
                .append(" unexplained mismatches\n");
        // both failed: grouped by libbpf's errno, with bpf4j's reasons (first words) and the programs
        Map<Integer, List<Row>> failedBoth = new TreeMap<>();
        for (Row r : rows) {
            if (r.agree() && !r.libbpf().loaded()) {
                failedBoth.computeIfAbsent(r.libbpf().errno(), k -> new ArrayList<>()).add(r);
            }
        }
        failedBoth.forEach((errno, group) -> {
            Map<String, Integer> ours = new TreeMap<>();
            for (Row r : group) ours.merge(shortReason(r.bpf4j().reason()), 1, Integer::sum);
            t.append("  both failed, libbpf errno ").append(errno).append(" (").append(Errno.of(errno))
                    .append("): ").append(group.size()).append("; bpf4j: ").append(ours).append('\n')
                    .append("    ").append(String.join(", ", group.stream().map(r -> r.object() + ":" + r.program())
                            .toList())).append('\n');
        });
        explained.forEach(e -> t.append("  KNOWN ").append(e).append('\n'));
        unexplained.forEach(e -> t.append("  MISMATCH ").append(e).append('\n'));
        for (String key : KNOWN.keySet()) {
            String object = key.substring(0, key.indexOf(':'));
            if (!used.contains(key) && rows.stream().anyMatch(r -> r.object().equals(object))) {
                t.append("  STALE known difference (agrees on this kernel; remove it unless another kernel differs): ")
                        .append(key).append('\n');
            }
        }
        System.out.print(t);
        assertThat(unexplained).as("programs where bpf4j and libbpf differ (add to KNOWN only with a reason)")
                .isEmpty();
    }

    /** Also in the kernel matrix: the fixtures, CO-RE ones included, compiled here and loaded on Linux 6.1 too. */
    @Test
    @KernelMatrix
    void fixturesLoadLikeLibbpf() {
        List<Row> rows = new ArrayList<>();
        int objects = 0;
        for (String name : Fixtures.names()) {
            rows.addAll(compare(name, Fixtures.object(name)));
            objects++;
        }
        for (String name : LibbpfHarness.coreFixtures()) {
            rows.addAll(compare("core/" + name, LibbpfHarness.coreFixture(name)));
            objects++;
        }
        check("fixtures", objects, rows);
        assertThat(rows.stream().filter(r -> r.agree() && r.libbpf().loaded()).count()).isGreaterThan(10);
    }

    @Test
    void libbpfToolsLoadLikeLibbpf() throws IOException {
        Path out = Path.of("target/libbpf-tools");
        Files.createDirectories(out);
        List<Path> tools;
        try (Stream<Path> files = Files.list(Path.of("/usr/sbin"))) {
            tools = files.filter(Files::isRegularFile).sorted().toList();
        }
        List<Row> rows = new ArrayList<>();
        int objects = 0;
        for (Path tool : tools) {
            List<byte[]> embedded = RealWorldObjectsTest.embeddedBpfObjects(Files.readAllBytes(tool));
            for (int i = 0; i < embedded.size(); i++) {
                String label = tool.getFileName() + (embedded.size() > 1 ? "#" + i : "");
                Path object = out.resolve(label + ".bpf.o");
                Files.write(object, embedded.get(i));
                rows.addAll(compare(label, object));
                objects++;
            }
        }
        assumeTrue(objects > 0, "libbpf-tools is not installed (no BPF skeletons in /usr/sbin)");
        check("libbpf-tools", objects, rows);
        assertThat(rows.stream().filter(r -> r.agree() && r.libbpf().loaded()).count()).isPositive();
    }
}
