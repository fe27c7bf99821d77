package io.bpf4j.cli;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.Program;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.elf.ElfException;
import io.bpf4j.core.format.IoErrors;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.ObjectExtern;
import io.bpf4j.core.object.ObjectMap;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.output.Json;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bpf4j object}: look into BPF ELF objects ({@code show}) and try loading them into the kernel
 * ({@code load}). A FILE that is not itself a BPF object is searched for embedded ones (libbpf skeletons, as in
 * the libbpf-tools binaries), named {@code FILE#1}, {@code FILE#2}…
 */
@Command(
        name = "object",
        mixinStandardHelpOptions = true,
        header = "Inspect BPF object files and try loading them.",
        description = "A BPF object is what clang -target bpf -c writes. 'show' lists what it holds; 'load' loads it "
                + "into the kernel and reports, per program, whether the verifier accepted it.",
        subcommands = {ObjectCommand.Show.class, ObjectCommand.Load.class})
public final class ObjectCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** One BPF object read from a file: its display name and spec. */
    record Named(String name, ObjectSpec spec) {
    }

    /** The BPF objects in {@code file}: the file itself, or those embedded in it. */
    static List<Named> read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + IoErrors.describe(e, file), e);
        }
        if (isBpfElf(bytes, 0)) return List.of(new Named(file.toString(), ObjectSpec.parse(bytes)));
        List<byte[]> embedded = embedded(bytes);
        if (embedded.isEmpty()) {
            throw new ElfException(file + " is neither a BPF object (ELF, EM_BPF) nor a program embedding one");
        }
        List<Named> out = new ArrayList<>();
        for (int i = 0; i < embedded.size(); i++) {
            out.add(new Named(file + "#" + (i + 1), ObjectSpec.parse(embedded.get(i))));
        }
        return out;
    }

    private static final int EM_BPF = 247;

    private static boolean isBpfElf(byte[] b, int i) {
        if (i + 64 > b.length || b[i] != 0x7f || b[i + 1] != 'E' || b[i + 2] != 'L' || b[i + 3] != 'F') return false;
        if (b[i + 4] != 2) return false; // ELF64
        ByteOrder order = b[i + 5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        return ByteBuffer.wrap(b).order(order).getShort(i + 18) == EM_BPF;
    }

    /** ELF64 EM_BPF images inside {@code binary}, each cut at the end of its section header table. */
    static List<byte[]> embedded(byte[] binary) {
        List<byte[]> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(binary).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 1; i + 64 <= binary.length; i++) {
            if (!isBpfElf(binary, i) || binary[i + 5] != 1) continue;
            long end = b.getLong(i + 40) + 64L * Short.toUnsignedInt(b.getShort(i + 60));
            if (end <= 64 || i + end > binary.length) continue;
            out.add(Arrays.copyOfRange(binary, i, (int) (i + end)));
        }
        return out;
    }

    // -------------------------------------------------------------------------------------------------------------

    /** {@code bpf4j object show FILE…}. */
    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            header = "List an object's programs, maps, globals, externs and BTF.",
            description = {"Reads the objects without the kernel.",
                    "%nExample:%n  bpf4j object show counter.bpf.o%n  bpf4j object show /usr/sbin/opensnoop"},
            sortOptions = false)
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print JSON: one object per BPF object, in an array.")
        boolean json;

        @Parameters(arity = "1..*", paramLabel = "FILE", description = "BPF object files (or binaries embedding them).")
        List<Path> files;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            List<Object> all = new ArrayList<>();
            for (Path f : files) {
                for (Named n : read(f)) {
                    if (json) all.add(describe(n));
                    else print(n, out);
                }
            }
            if (json) out.println(Json.write(all));
            out.flush();
            return 0;
        }

        private static void print(Named n, PrintWriter out) {
            ObjectSpec s = n.spec();
            out.println(n.name() + ": license \"" + s.license() + "\"" + (s.kernelVersion() != 0
                    ? ", version 0x" + Integer.toHexString(s.kernelVersion()) : ""));
            out.println("  programs (" + s.programs().size() + "):");
            Table t = new Table("NAME", "SECTION", "TYPE", "ATTACH", "TARGET", "INSNS", "");
            for (ObjectProgram p : s.programs()) {
                t.row(p.name(), p.sectionName(), p.type().displayName(),
                        p.expectedAttachType().map(a -> a.name().toLowerCase()).orElse("-"),
                        p.attachTarget().isEmpty() ? "-" : p.attachTarget(),
                        String.valueOf(p.instructions().size()), p.autoload() ? "" : "(not autoloaded)");
            }
            t.print(out, "    ");
            out.println("  maps (" + s.maps().size() + "):");
            t = new Table("NAME", "TYPE", "KEY", "VALUE", "MAX", "FLAGS");
            for (ObjectMap m : s.maps()) {
                MapSpec ms = m.spec();
                t.row(m.name(), ms.type().name().toLowerCase(), String.valueOf(ms.keySize()),
                        String.valueOf(ms.valueSize()), String.valueOf(ms.maxEntries()),
                        ms.flags() == 0 ? "0" : "0x" + Integer.toHexString(ms.flags()));
            }
            t.print(out, "    ");
            List<String[]> globals = globals(s);
            if (!globals.isEmpty()) {
                out.println("  globals (" + globals.size() + "):");
                t = new Table("SECTION", "VARIABLE", "SIZE", "INITIAL");
                for (String[] g : globals) t.row(g);
                t.print(out, "    ");
            }
            if (!s.externs().isEmpty()) {
                out.println("  externs (" + s.externs().size() + "):");
                t = new Table("NAME", "KIND", "");
                for (ObjectExtern e : s.externs()) {
                    t.row(e.name(), e.kind() == ObjectExtern.Kind.KCONFIG ? "__kconfig"
                            : e.function() ? "__ksym kfunc" : "__ksym", e.weak() ? "weak" : "");
                }
                t.print(out, "    ");
            }
            out.println("  btf: " + btfSummary(s));
        }

        private static String btfSummary(ObjectSpec s) {
            if (s.btf().length == 0) return "none";
            String types;
            try {
                types = Btf.parse(s.btf()).typeCount() + " types";
            } catch (RuntimeException e) {
                types = "unreadable (" + e.getMessage() + ")";
            }
            return types + ", " + s.btf().length + " bytes; .BTF.ext " + (s.btfExt().length == 0 ? "none"
                    : s.btfExt().length + " bytes");
        }

        private static Map<String, Object> describe(Named n) {
            ObjectSpec s = n.spec();
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("object", n.name());
            o.put("license", s.license());
            o.put("kernel_version", s.kernelVersion());
            List<Object> programs = new ArrayList<>();
            for (ObjectProgram p : s.programs()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", p.name());
                m.put("section", p.sectionName());
                m.put("type", p.type().displayName());
                m.put("attach_type", p.expectedAttachType().map(a -> a.name().toLowerCase()).orElse(null));
                m.put("attach_target", p.attachTarget());
                m.put("instructions", p.instructions().size());
                m.put("autoload", p.autoload());
                programs.add(m);
            }
            o.put("programs", programs);
            List<Object> maps = new ArrayList<>();
            for (ObjectMap m : s.maps()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("name", m.name());
                j.put("type", m.spec().type().name().toLowerCase());
                j.put("key_size", m.spec().keySize());
                j.put("value_size", m.spec().valueSize());
                j.put("max_entries", m.spec().maxEntries());
                j.put("flags", m.spec().flags());
                maps.add(j);
            }
            o.put("maps", maps);
            List<Object> globals = new ArrayList<>();
            for (String[] g : globals(s)) {
                globals.add(new LinkedHashMap<>(Map.of("section", g[0], "variable", g[1],
                        "size", Integer.parseInt(g[2]), "initial", g[3])));
            }
            o.put("globals", globals);
            List<Object> externs = new ArrayList<>();
            for (ObjectExtern e : s.externs()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("name", e.name());
                j.put("kind", e.kind() == ObjectExtern.Kind.KCONFIG ? "kconfig" : "ksym");
                j.put("weak", e.weak());
                j.put("function", e.function());
                externs.add(j);
            }
            o.put("externs", externs);
            Map<String, Object> btf = new LinkedHashMap<>();
            btf.put("bytes", s.btf().length);
            try {
                btf.put("types", s.btf().length == 0 ? 0 : Btf.parse(s.btf()).typeCount());
            } catch (RuntimeException e) {
                btf.put("types", null);
            }
            btf.put("ext_bytes", s.btfExt().length);
            o.put("btf", btf);
            return o;
        }

        /** section, variable, size, initial value of every global, in section then offset order. */
        private static List<String[]> globals(ObjectSpec s) {
            List<String[]> out = new ArrayList<>();
            for (ObjectMap m : s.maps()) {
                if (m.kind() != ObjectMap.Kind.DATA) continue;
                byte[] data = m.data();
                List<ObjectMap.Variable> vars = new ArrayList<>(m.variables());
                vars.sort(java.util.Comparator.comparingInt(ObjectMap.Variable::offset));
                for (ObjectMap.Variable v : vars) {
                    out.add(new String[]{m.name(), v.name(), String.valueOf(v.size()), initial(data, v)});
                }
            }
            return out;
        }

        /** A variable's initial bytes: a number (and hex) for 1, 2, 4 or 8 bytes, else hex (a string when text). */
        static String initial(byte[] data, ObjectMap.Variable v) {
            if (v.offset() + v.size() > data.length) return "0";
            byte[] b = Arrays.copyOfRange(data, v.offset(), v.offset() + v.size());
            if (v.size() <= 8 && Integer.bitCount(v.size()) == 1) {
                long n = 0;
                for (int i = v.size() - 1; i >= 0; i--) n = n << 8 | (b[i] & 0xff); // little-endian BPF
                return n < 10 ? Long.toString(n) : n + " (0x" + Long.toHexString(n) + ")";
            }
            int len = 0;
            while (len < b.length && b[len] != 0) len++;
            boolean text = len > 0;
            for (int i = 0; i < len; i++) if (b[i] < 0x20 || b[i] >= 0x7f) text = false;
            for (int i = len; i < b.length; i++) if (b[i] != 0) text = false;
            if (text) return "\"" + new String(b, 0, len, java.nio.charset.StandardCharsets.US_ASCII) + "\"";
            boolean zero = true;
            for (byte x : b) if (x != 0) zero = false;
            if (zero) return "0 (" + b.length + " zero bytes)";
            String hex = HexFormat.of().formatHex(b, 0, Math.min(b.length, 32));
            return hex + (b.length > 32 ? "…" : "");
        }
    }

    // -------------------------------------------------------------------------------------------------------------

    /** {@code bpf4j object load FILE… [--program NAME]… [--each] [--set NAME=VALUE]… [--json] [--verbose]}. */
    @Command(
            name = "load",
            mixinStandardHelpOptions = true,
            header = "Load objects into the kernel and report, per program, whether it loaded.",
            description = {"Creates the maps and loads the programs, then closes everything again. "
                    + "One line per program: object, program, section, result, instructions the verifier "
                    + "processed, and the reason of a failure.",
                    "With --each, each program is loaded on its own, the object's other programs left out (as "
                            + "libbpf's autoload off), so that one failure does not hide the others.",
                    "%nExit code 1 when a program failed to load.",
                    "%nExample:%n  bpf4j object load --each /usr/sbin/opensnoop"},
            sortOptions = false)
    static final class Load implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-p", "--program"}, paramLabel = "NAME",
                description = "Load only this program (repeatable); others are left out.")
        List<String> programs = new ArrayList<>();

        @Option(names = "--each", description = "Load each program on its own.")
        boolean each;

        @Option(names = "--set", paramLabel = "NAME=VALUE",
                description = "Set a global variable (a const volatile knob) before loading; VALUE is a number "
                        + "(0x… for hex) or true/false (repeatable).")
        Map<String, String> set = new LinkedHashMap<>();

        @Option(names = "--json", description = "Print JSON: an array with one element per program.")
        boolean json;

        @Option(names = {"-v", "--verbose"}, description = "Print the whole failure message, not its first line.")
        boolean verbose;

        @Parameters(arity = "1..*", paramLabel = "FILE", description = "BPF object files (or binaries embedding them).")
        List<Path> files;

        /** The outcome of one program. */
        record Result(String object, String program, String section, String result, int instructions,
                      String reason) {
        }

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            List<Result> results = new ArrayList<>();
            for (Path f : files) {
                for (Named n : read(f)) results.addAll(load(n));
            }
            if (json) {
                List<Object> rows = new ArrayList<>();
                for (Result r : results) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("object", r.object());
                    m.put("program", r.program());
                    m.put("section", r.section());
                    m.put("result", r.result());
                    m.put("verified_instructions", r.instructions());
                    m.put("reason", r.reason());
                    rows.add(m);
                }
                out.println(Json.write(rows));
            } else {
                Table t = new Table("OBJECT", "PROGRAM", "SECTION", "RESULT", "INSNS", "REASON");
                for (Result r : results) {
                    t.row(r.object(), r.program(), r.section(), r.result(),
                            r.instructions() < 0 ? "-" : String.valueOf(r.instructions()), r.reason());
                }
                t.print(out, "");
                long loaded = results.stream().filter(r -> r.result().equals("loaded")).count();
                long failed = results.stream().filter(r -> r.result().equals("failed")).count();
                out.println(loaded + " loaded, " + failed + " failed, " + (results.size() - loaded - failed)
                        + " not loaded");
            }
            out.flush();
            return results.stream().anyMatch(r -> r.result().equals("failed")) ? 1 : 0;
        }

        private List<Result> load(Named n) {
            ObjectSpec s = withSets(n.spec(), set, spec.commandLine());
            for (String p : programs) {
                if (s.program(p).isEmpty()) {
                    throw new IllegalArgumentException(n.name() + " has no program '" + p + "'; its programs: "
                            + s.programs().stream().map(ObjectProgram::name).toList());
                }
            }
            List<Result> out = new ArrayList<>();
            if (each) {
                for (ObjectProgram p : s.programs()) {
                    if (!programs.isEmpty() && !programs.contains(p.name())) continue;
                    ObjectSpec only = s;
                    for (ObjectProgram q : s.programs()) only = only.withAutoload(q.name(), q == p);
                    out.addAll(loadAll(n.name(), only));
                }
                return out;
            }
            if (!programs.isEmpty()) {
                for (ObjectProgram q : s.programs()) s = s.withAutoload(q.name(), programs.contains(q.name()));
            }
            return loadAll(n.name(), s);
        }

        /** A message's first line; when it ends with ':' (the verifier's log follows), the next line too. */
        static String firstLine(String message) {
            List<String> lines = message.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
            if (lines.isEmpty()) return "";
            String first = lines.getFirst();
            return first.endsWith(":") && lines.size() > 1 ? first + " " + lines.get(1) : first;
        }

        /** Loads the autoload programs of {@code s}; one result per loaded (or failed) program. */
        private List<Result> loadAll(String object, ObjectSpec s) {
            List<ObjectProgram> wanted = s.programs().stream().filter(ObjectProgram::autoload).toList();
            List<Result> out = new ArrayList<>();
            try (BpfObject obj = BpfObject.load(s)) {
                for (ObjectProgram p : wanted) {
                    Program prog = obj.programs().get(p.name());
                    int insns = prog == null ? -1 : prog.info().verifiedInstructions();
                    out.add(new Result(object, p.name(), p.sectionName(), "loaded", insns, ""));
                }
            } catch (RuntimeException e) {
                String message = e.getMessage() == null ? e.toString() : e.getMessage();
                String reason = verbose ? message : firstLine(message);
                ObjectProgram culprit = null;
                for (ObjectProgram p : wanted) {
                    if (message.contains("program '" + p.name() + "'")
                            || message.contains("program '" + p.name().substring(0, Math.min(15, p.name().length())))) {
                        culprit = p;
                        break;
                    }
                }
                for (ObjectProgram p : wanted) {
                    if (culprit == null || p == culprit) {
                        out.add(new Result(object, p.name(), p.sectionName(), "failed", -1, reason));
                    } else {
                        out.add(new Result(object, p.name(), p.sectionName(), "not loaded", -1,
                                "the object failed on '" + culprit.name() + "' first (use --each)"));
                    }
                }
                if (wanted.isEmpty()) out.add(new Result(object, "-", "-", "failed", -1, reason));
            }
            return out;
        }
    }

    /**
     * {@code --set NAME=VALUE} applied to global variables: numbers (decimal or 0x hex), true and false; a value
     * that is none of these, or a name the object has no variable for, is a usage error of {@code cl}.
     */
    static ObjectSpec withSets(ObjectSpec s, Map<String, String> sets, CommandLine cl) {
        for (Map.Entry<String, String> e : sets.entrySet()) {
            String v = e.getValue().strip();
            long value;
            try {
                value = switch (v) {
                    case "true" -> 1;
                    case "false" -> 0;
                    default -> v.startsWith("0x") || v.startsWith("0X") ? Long.parseUnsignedLong(v.substring(2), 16)
                            : Long.parseLong(v);
                };
            } catch (NumberFormatException bad) {
                throw new ParameterException(cl, "--set " + e.getKey() + "=" + e.getValue() + ": the value is not a "
                        + "number (decimal or 0x hex), true or false");
            }
            try {
                s = s.withVariable(e.getKey(), value);
            } catch (IllegalArgumentException bad) {
                throw new ParameterException(cl, "--set " + e.getKey() + "=" + e.getValue() + ": " + bad.getMessage());
            }
        }
        return s;
    }

    // -------------------------------------------------------------------------------------------------------------

    /** Left-aligned columns, the last one unpadded. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            rows.add(header);
        }

        void row(String... cells) {
            rows.add(cells);
        }

        void print(PrintWriter out, String indent) {
            int cols = rows.getFirst().length;
            int[] width = new int[cols];
            for (String[] r : rows) for (int i = 0; i < cols; i++) width[i] = Math.max(width[i], r[i].length());
            for (String[] r : rows) {
                StringBuilder sb = new StringBuilder(indent);
                for (int i = 0; i < cols; i++) {
                    sb.append(r[i]);
                    if (i < cols - 1) sb.append(" ".repeat(width[i] - r[i].length() + 2));
                }
                out.println(sb.toString().stripTrailing());
            }
        }
    }
}
