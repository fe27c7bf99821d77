package io.bpf4j.cli;

import io.bpf4j.core.KernelObjects;
import io.bpf4j.core.Program;
import io.bpf4j.core.ProgramDump;
import io.bpf4j.core.ProgramInfo;
import io.bpf4j.core.asm.Disassembler;
import io.bpf4j.core.asm.Instruction;
import io.bpf4j.core.btf.BtfExt;
import io.bpf4j.core.symbols.KernelSymbols;
import io.bpf4j.output.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.IntFunction;

/** {@code bpf4j prog list|show|dump}: the loaded programs, as {@code bpftool prog} shows them. */
@Command(name = "prog", mixinStandardHelpOptions = true,
        description = "List, show and dump the BPF programs loaded in the kernel (as bpftool prog).",
        subcommands = {ProgCommand.ListPrograms.class, ProgCommand.Show.class, ProgCommand.Dump.class})
public final class ProgCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code prog list}. */
    @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
            description = "List every loaded program: id, type, name, tag, sizes, maps, BTF.")
    static final class ListPrograms implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "One JSON object per program.")
        boolean json;

        @Override
        public void run() {
            for (int id : KernelObjects.programIds()) show(spec.commandLine().getOut(), id, json, true);
        }
    }

    /** {@code prog show ID}. */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one program.")
    static final class Show implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ID", description = "The program's id (see prog list).")
        int id;

        @Option(names = "--json", description = "As a JSON object.")
        boolean json;

        @Override
        public void run() {
            show(spec.commandLine().getOut(), id, json, false);
        }
    }

    /** Prints one program as bpftool does; in a listing, a program that went away meanwhile is skipped. */
    static void show(PrintWriter out, int id, boolean json, boolean listing) {
        ProgramInfo info;
        List<Integer> maps;
        try (Program p = Program.fromId(id)) {
            info = p.info();
            maps = ProgramDump.of(p).mapIds();
        } catch (io.bpf4j.core.error.BpfException e) {
            if (listing && e.errnoCode() == io.bpf4j.core.error.Errno.ENOENT.code()) return;
            throw e;
        }
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", info.id());
            m.put("type", typeName(info));
            m.put("name", info.name());
            m.put("tag", info.tag());
            m.put("bytes_xlated", info.xlatedLength());
            m.put("bytes_jited", info.jitedLength());
            m.put("verified_insns", info.verifiedInstructions());
            m.put("map_ids", maps);
            m.put("btf_id", info.btfId());
            if (info.runCount() > 0) {
                m.put("run_cnt", info.runCount());
                m.put("run_time_ns", info.runTime().toNanos());
            }
            out.println(Json.write(m));
            return;
        }
        out.printf("%d: %s  name %s  tag %s%n", info.id(), typeName(info), info.name(), info.tag());
        out.printf("\txlated %dB  jited %dB  verified_insns %d%s%n", info.xlatedLength(), info.jitedLength(),
                info.verifiedInstructions(), maps.isEmpty() ? "" : "  map_ids " + join(maps));
        if (info.btfId() != 0) out.printf("\tbtf_id %d%n", info.btfId());
        if (info.runCount() > 0) {
            out.printf("\trun_time_ns %d  run_cnt %d%n", info.runTime().toNanos(), info.runCount());
        }
    }

    /** bpftool's name of the program type: lower case, e.g. {@code tracing}, {@code xdp}. */
    static String typeName(ProgramInfo info) {
        return info.type().name().toLowerCase(java.util.Locale.ROOT);
    }

    static String join(List<Integer> ids) {
        return String.join(",", ids.stream().map(String::valueOf).toList());
    }

    /** {@code prog dump ID [--linum]}. */
    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = "Print a loaded program's instructions as the verifier rewrote them (as bpftool prog "
                    + "dump xlated), each C source line before its instructions.")
    static final class Dump implements Runnable {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "ID", description = "The program's id.")
        int id;

        @Option(names = "--linum", description = "Add the file, line and column to each source line.")
        boolean linum;

        @Option(names = "--opcodes", description = "Add each instruction's bytes.")
        boolean opcodes;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            ProgramDump dump;
            try (Program p = Program.fromId(id)) {
                dump = ProgramDump.of(p);
            }
            Disassembler d = Disassembler.kernelDump().withCallNames(kernelCallNames());
            int slot = 0;
            for (Instruction insn : dump.xlated()) {
                int at = slot;
                dump.lineAt(at).ifPresent(l -> out.println(sourceLine(l, linum)));
                out.printf("%4d: %s%n", at, d.format(insn));
                if (opcodes) out.printf("       %s%n", hex(insn));
                slot += insn.slots();
            }
        }
    }

    /** {@code ; the C line} and, with {@code linum}, bpftool's {@code [file:F line_num:N line_col:C]}. */
    static String sourceLine(BtfExt.LineInfo l, boolean linum) {
        String text = "; " + l.lineText().strip();
        return linum ? text + " [file:" + l.fileName() + " line_num:" + l.line() + " line_col:" + l.column() + "]"
                : text;
    }

    private static String hex(Instruction insn) {
        StringBuilder sb = new StringBuilder();
        for (byte b : insn.encode()) sb.append(String.format("%02x ", b));
        return sb.toString().strip();
    }

    /**
     * Names of helper calls in a kernel dump: their immediates are offsets from {@code __bpf_call_base}, resolved
     * through /proc/kallsyms as bpftool does.
     */
    static IntFunction<String> kernelCallNames() {
        KernelSymbols ksyms = KernelSymbols.load();
        OptionalLong base = ksyms.address("__bpf_call_base");
        if (base.isEmpty()) return imm -> null;
        return imm -> ksyms.symbol(base.getAsLong() + imm).orElse(null);
    }
}
