package io.bpf4j.core.btf;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

class BtfCHeaderTest {
    static final String CLANG = "clang-19";

    static final String PROGRAM = """
            #include "vmlinux.h"
            #include <bpf/bpf_helpers.h>
            #include <bpf/bpf_core_read.h>
            #include <bpf/bpf_tracing.h>

            SEC("tp_btf/sched_switch")
            int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
            {
            	pid_t pid = BPF_CORE_READ(next, pid);
            	pid_t parent = BPF_CORE_READ(next, real_parent, tgid);
            	bpf_printk("next %d parent %d", pid, parent);
            	return 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """;

    /** Runs a command in {@code dir}; returns its exit code, stdout+stderr in {@code output[0]}. */
    static int run(Path dir, String[] output, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        output[0] = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return p.waitFor();
    }

    static boolean clangInstalled() {
        return Files.isExecutable(Path.of("/usr/bin/" + CLANG));
    }

    @Test
    void smallHeaderSpellsEveryConstruct() {
        String h = BtfCHeader.of(Btf.parse(BtfTestData.kinds()), "KINDS_H");
        assertThat(h).startsWith("#ifndef KINDS_H\n#define KINDS_H\n\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
                + "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n");
        assertThat(h).endsWith("#pragma clang attribute pop\n#endif\n\n#endif /* KINDS_H */\n");
        assertThat(h).contains("struct node;\n", // a pointer to node comes (in callback_t) before its definition
                "\tunsigned int b: 5;\n",
                "} __attribute__((packed));\n",
                "\tBLUE = -3,\n",
                "\tHUGE = 18446744069414584320ULL,\n",
                "typedef int (*callback_t)(struct node *, const char *, ...);\n",
                "\tconst volatile int *restrict cvp;\n",
                "\tint __attribute__((btf_type_tag(\"user\"))) *tagged;\n",
                "\tu64_t matrix[2][3];\n",
                "\tstruct {\n\t\tint x;\n\t\tint y;\n\t} anon;\n",
                "\tunion {\n\t\tlong l;\n\t\tvoid *p;\n\t};\n",
                "\tchar tail[0];\n");
        assertThat(h.indexOf("union value {")).isLessThan(h.indexOf("struct node {"));
        assertThat(h).doesNotContain("prog", "LICENSE", ".maps"); // functions, variables, sections are not types
    }

    @Test
    void paddingAndPackingKeepTheLayout(@TempDir Path dir) throws Exception {
        assumeThat(clangInstalled()).as(CLANG + " is not installed").isTrue();
        List<BtfType> types = List.of(
                BtfType.Int.of("int", 4, true), // [1]
                BtfType.Int.of("long", 8, true), // [2]
                BtfType.Int.of("char", 1, true), // [3]
                // cacheline-aligned: member at 64, size 128 -> padding before b and after it
                new BtfType.Struct("aligned", 128, List.of(BtfType.Member.of("a", 1, 0),
                        BtfType.Member.of("b", 2, 64 * 8))), // [4]
                // packed: a long at offset 1
                new BtfType.Struct("packed", 9, List.of(BtfType.Member.of("c", 3, 0), BtfType.Member.of("l", 2, 8))),
                // a gap between bitfields
                new BtfType.Struct("bits", 8, List.of(new BtfType.Member("x", 1, 0, 3),
                        new BtfType.Member("y", 1, 20, 4), BtfType.Member.of("z", 1, 32))),
                new BtfType.Enum("small", 1, false, List.of(new BtfType.EnumValue("S0", 0))));
        Btf btf = Btf.of(types);
        String h = BtfCHeader.of(btf, "LAYOUT_H");
        assertThat(h).contains("long: 64;", "__attribute__((packed))");
        Files.writeString(dir.resolve("layout.h"), h);
        Files.writeString(dir.resolve("check.c"), "#include \"layout.h\"\n" + layoutAsserts(btf));
        String[] out = new String[1];
        int rc = run(dir, out, CLANG, "-target", "bpf", "-fsyntax-only", "-Wall", "-Werror", "check.c");
        assertThat(rc).as(out[0] + "\n" + h).isZero();
    }

    /** {@code _Static_assert}s that every named struct and union has its BTF size and member offsets in C. */
    static String layoutAsserts(Btf btf) throws IOException {
        CDeclarations names = new CDeclarations(btf, new StringBuilder());
        names.writeAll();
        StringBuilder sb = new StringBuilder();
        for (int id = 1; id < btf.nextTypeId(); id++) {
            if (btf.type(id) instanceof BtfType.Enum e && !e.name().isEmpty())
                sb.append("_Static_assert(sizeof(enum ").append(names.name(id)).append(") == ").append(e.size())
                        .append(", \"enum ").append(names.name(id)).append("\");\n");
            if (!(btf.type(id) instanceof BtfType.Composite c) || c.name().isEmpty()) continue;
            if (holdsVaList(btf, id, 0)) continue;
            String tag = (c instanceof BtfType.Union ? "union " : "struct ") + names.name(id);
            sb.append("_Static_assert(sizeof(").append(tag).append(") == ").append(Integer.toUnsignedLong(c.size()))
                    .append(", \"sizeof ").append(tag).append("\");\n");
            for (BtfType.Member m : c.members()) {
                if (m.name().isEmpty() || BtfLayout.isBitfield(btf, m)) continue;
                sb.append("_Static_assert(__builtin_offsetof(").append(tag).append(", ").append(m.name())
                        .append(") == ").append(m.bitOffset() / 8).append(", \"").append(tag).append('.')
                        .append(m.name()).append("\");\n");
            }
        }
        return sb.toString();
    }

    /**
     * Whether a type holds a {@code __builtin_va_list} by value: the header leaves that typedef to the compiler
     * (as bpftool does), and the BPF target's is 8 bytes where x86-64's, described by BTF, is 24.
     */
    static boolean holdsVaList(Btf btf, int id, int depth) {
        if (depth > 20) return false;
        return switch (btf.type(id)) {
            case BtfType.Typedef td -> td.name().equals("__builtin_va_list") || holdsVaList(btf, td.type(), depth + 1);
            case BtfType.Modifier m -> holdsVaList(btf, m.type(), depth + 1);
            case BtfType.Array a -> holdsVaList(btf, a.type(), depth + 1);
            case BtfType.Composite c -> c.members().stream().anyMatch(m -> holdsVaList(btf, m.type(), depth + 1));
            default -> false;
        };
    }

    @KernelTest
    @Test
    void vmlinuxHeaderCompilesWithACoReProgramAndKeepsEveryLayout(@TempDir Path dir) throws Exception {
        assumeThat(clangInstalled()).as(CLANG + " is not installed").isTrue();
        assumeThat(Path.of("/usr/include/bpf/bpf_helpers.h")).as("libbpf-dev headers are not installed").exists();
        Btf btf = KernelBtf.vmlinux();
        long t0 = System.nanoTime();
        String h = BtfCHeader.of(btf);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Files.writeString(dir.resolve("vmlinux.h"), h);
        Files.writeString(dir.resolve("prog.bpf.c"), PROGRAM);
        String[] out = new String[1];
        int rc = run(dir, out, CLANG, "-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86", "-Wall", "-c",
                "prog.bpf.c", "-o", "prog.bpf.o");
        assertThat(rc).as(out[0]).isZero();
        assertThat(out[0]).as("clang warnings").isEmpty();
        assertThat(dir.resolve("prog.bpf.o")).isNotEmptyFile();
        // every struct/union size and member offset as in BTF: the layout survived padding and packing
        Files.writeString(dir.resolve("layout.c"), "#include \"vmlinux.h\"\n" + layoutAsserts(btf));
        rc = run(dir, out, CLANG, "-target", "bpf", "-fsyntax-only", "-Wno-everything", "layout.c");
        assertThat(rc).as(out[0].lines().limit(20).toList().toString()).isZero();
        System.out.printf("vmlinux.h: %d lines written in %d ms; compiles with a CO-RE program (clang-19 -target "
                + "bpf) and keeps the BTF layout of every struct and union%n", h.lines().count(), ms);
    }

    @KernelTest
    @Test
    void vmlinuxHeaderDefinesEveryNameBpftoolDefines(@TempDir Path dir) throws Exception {
        assumeThat(KernelBtfTest.bpftoolInstalled())
                .as("bpftool is not installed (apt-get install bpftool): cannot compare with its vmlinux.h").isTrue();
        String theirs = KernelBtfTest.run("bpftool", "btf", "dump", "file", KernelBtfTest.VMLINUX.toString(),
                "format", "c");
        String mine = BtfCHeader.of(KernelBtf.vmlinux());
        Set<String> expected = definedNames(theirs), actual = definedNames(mine);
        assertThat(expected).hasSizeGreaterThan(10_000);
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        assertThat(missing).as("names bpftool's vmlinux.h defines and ours does not").isEmpty();
        Set<String> extra = new TreeSet<>(actual);
        extra.removeAll(expected);
        assertThat(extra).as("names ours defines and bpftool's does not").isEmpty();
        System.out.printf("vmlinux.h defines the same %d struct/union/enum/typedef/enumerator names as bpftool's%n",
                actual.size());
    }

    private static final Pattern TAG = Pattern.compile("^(struct|union|enum) (\\w+) \\{", Pattern.MULTILINE);
    private static final Pattern TYPEDEF = Pattern.compile("^typedef [^;]*?\\(?\\*?(\\w+)\\)?(\\[\\d+\\])*(\\(.*\\))?;$",
            Pattern.MULTILINE);
    private static final Pattern FUNC_TYPEDEF = Pattern.compile("^typedef [^;(]*\\(\\*?(\\w+)\\)\\(", Pattern.MULTILINE);
    private static final Pattern ENUMERATOR = Pattern.compile("^\\t(\\w+) = ", Pattern.MULTILINE);

    /** The struct/union/enum tags, typedef names and enumerators a header defines at top level. */
    static Set<String> definedNames(String header) {
        Set<String> s = new TreeSet<>();
        for (Matcher m = TAG.matcher(header); m.find(); ) s.add(m.group(1) + " " + m.group(2));
        for (Matcher m = FUNC_TYPEDEF.matcher(header); m.find(); ) s.add("typedef " + m.group(1));
        for (Matcher m = TYPEDEF.matcher(header); m.find(); )
            if (!m.group().contains("(")) s.add("typedef " + m.group(1));
        for (Matcher m = ENUMERATOR.matcher(header); m.find(); ) s.add("enumerator " + m.group(1));
        // multi-line typedefs of anonymous types end in "} name;"
        for (Matcher m = Pattern.compile("^\\} (?:__attribute__\\(\\(packed\\)\\) )?(\\w+);$", Pattern.MULTILINE)
                .matcher(header); m.find(); ) s.add("typedef " + m.group(1));
        return s;
    }
}
