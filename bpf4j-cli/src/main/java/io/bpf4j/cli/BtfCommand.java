package io.bpf4j.cli;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfCHeader;
import io.bpf4j.core.btf.BtfException;
import io.bpf4j.core.btf.KernelBtf;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bpf4j btf}: read BTF type information. {@code bpf4j btf dump} prints a BTF file like
 * {@code bpftool btf dump file}: raw type lines, or a C header ({@code vmlinux.h}) for CO-RE programs.
 */
@Command(
        name = "btf",
        mixinStandardHelpOptions = true,
        header = "Inspect BTF type information (the kernel's or a file's).",
        description = "BTF describes C types: the kernel's own (/sys/kernel/btf/vmlinux), its modules' and those of "
                + "BPF objects. 'bpf4j btf dump' prints it.",
        subcommands = BtfCommand.Dump.class)
public final class BtfCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code bpf4j btf dump [--format c|raw] [FILE]}. */
    @Command(
            name = "dump",
            mixinStandardHelpOptions = true,
            header = "Print BTF as raw type lines (like bpftool) or as a C header (vmlinux.h).",
            description = {
                    "FILE is raw BTF (default /sys/kernel/btf/vmlinux). A module's file under /sys/kernel/btf is "
                            + "read as split BTF on top of vmlinux; for other split BTF, name its base with --base.",
                    "%nExamples:%n"
                            + "  bpf4j btf dump                          raw lines of the kernel's types%n"
                            + "  bpf4j btf dump --format c > vmlinux.h   a header for CO-RE programs"
            },
            sortOptions = false)
    static final class Dump implements Callable<Integer> {
        /** Output formats. */
        enum Format { raw, c }

        @Spec
        CommandSpec spec;

        @Option(names = {"-f", "--format"}, defaultValue = "raw", paramLabel = "FORMAT",
                description = "raw (bpftool's lines: [1] INT 'long unsigned int' size=8 ...) or c (a vmlinux.h). "
                        + "Default: ${DEFAULT-VALUE}.")
        Format format;

        @Option(names = "--base", paramLabel = "BASE", description = "Read FILE as split BTF on top of BASE.")
        Path base;

        @Parameters(arity = "0..1", paramLabel = "FILE", defaultValue = "/sys/kernel/btf/vmlinux",
                description = "Raw BTF file. Default: ${DEFAULT-VALUE}.")
        Path file;

        @Override
        public Integer call() throws IOException {
            Btf btf = open();
            PrintWriter out = spec.commandLine().getOut();
            if (format == Format.c) {
                BtfCHeader.write(btf, "__VMLINUX_H__", out);
            } else {
                btf.writeRaw(out);
            }
            out.flush();
            return 0;
        }

        private Btf open() throws IOException {
            if (!Files.isReadable(file)) throw new BtfException("cannot read " + file + (Files.exists(file)
                    ? ": permission denied" : ": no such file"));
            checkNotElf();
            Path abs = file.toAbsolutePath().normalize();
            if (base != null) return Btf.read(file, Btf.read(base));
            if (abs.equals(KernelBtf.SYSFS.resolve("vmlinux"))) return KernelBtf.vmlinux();
            if (abs.getParent() != null && abs.getParent().equals(KernelBtf.SYSFS))
                return KernelBtf.module(abs.getFileName().toString());
            return Btf.read(file);
        }

        /** BPF objects are ELF files with BTF in a section; say how to get at it rather than "bad magic". */
        private void checkNotElf() throws IOException {
            byte[] head = new byte[4];
            try (InputStream in = Files.newInputStream(file)) {
                if (in.readNBytes(head, 0, 4) == 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L'
                        && head[3] == 'F')
                    throw new BtfException(file + " is an ELF object, not raw BTF; extract its BTF first: "
                            + "llvm-objcopy --dump-section .BTF=out.btf " + file + " /dev/null");
            }
        }
    }
}
