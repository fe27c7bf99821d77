package io.bpf4j.cli;

import io.bpf4j.bpftrace.BpfTrace;
import io.bpf4j.bpftrace.Info;
import io.bpf4j.bpftrace.Options;
import io.bpf4j.bpftrace.VerifierRejection;
import io.bpf4j.bpftrace.ast.SourceException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code bpf4j bt}: bpftrace's language, compiled to BPF in pure Java — {@code bpf4j bt -e 'PROGRAM'} or
 * {@code bpf4j bt FILE.bt [ARGS…]}, with bpftrace's options.
 */
@Command(name = "bt", mixinStandardHelpOptions = true, sortOptions = false, synopsisHeading = "USAGE: ",
        version = "bpf4j bt: the bpftrace " + Info.LANGUAGE_VERSION + " language, compiled to BPF in pure Java",
        description = {"Run a bpftrace program: compiled to BPF in pure Java (no clang, no libbpf).",
                "Maps are printed when the program ends: exit(), Ctrl-C, or the end of -p/-c's process."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:the kernel refused a program or an attachment",
                "2:usage, syntax or semantic error (shown at its line and column)"})
public final class BtCommand implements Callable<Integer> {
    /** The system property by which the launcher asks bt to name its process (as {@code bpftrace}). */
    static final String PROCESS_NAME_PROPERTY = "bpf4j.bt.processName";

    @Spec
    CommandSpec spec;

    @Option(names = "-e", paramLabel = "PROGRAM", description = "The program to run.")
    String program;

    @Option(names = "-l", description = "List the probes matching the pattern given as argument (wildcards * and ?; "
            + "all without one), e.g. -l 'tracepoint:sched:*'.")
    boolean list;

    @Option(names = "-p", paramLabel = "PID", description = "Limit uprobes to this process; end when it exits.")
    String pid;

    @Option(names = "-c", paramLabel = "CMD", description = "Run CMD once the probes are attached; end when it exits.")
    String command;

    @Option(names = "-f", paramLabel = "FORMAT", defaultValue = "text", description = "Output format: text or json.")
    String format;

    @Option(names = "-o", paramLabel = "FILE", description = "Write the output to FILE.")
    Path outputFile;

    @Option(names = "-v", description = "Show the generated instructions and the verifier's statistics; with -l, "
            + "the probes' arguments.")
    boolean verbose;

    @Option(names = "-q", description = "Quiet: no 'Attaching N probes...' line.")
    boolean quiet;

    @Option(names = "--unsafe", description = "Allow unsafe builtins: system().")
    boolean unsafe;

    @Option(names = "--no-perfmap", description = "Do not have the HotSpot JVMs ustack shows write their perf maps "
            + "(through the Attach API, as jcmd PID Compiler.perfmap): their JIT-compiled frames stay unnamed.")
    boolean noPerfMap;

    @Option(names = "--info", description = "Show what this kernel and this compiler support, as bpftrace --info.")
    boolean info;

    @Option(names = "-k", description = "Warn when a map lookup or delete fails at run time (-kk: also helpers' "
            + "errors). Accepted for compatibility: lookups of absent keys read as 0.")
    boolean[] helperErrors = new boolean[0];

    @Option(names = "--no-warnings", description = "Do not print warnings.")
    boolean noWarnings;

    @Option(names = "--include", paramLabel = "HEADER", description = "Accepted for compatibility: types come from "
            + "kernel BTF and the program's own struct definitions; macros with #define.")
    List<String> includes = new ArrayList<>();

    @Option(names = "--usdt-file-activation", description = "Accepted for compatibility: the kernel sets USDT "
            + "semaphores (uprobe ref_ctr_offset) in every process that maps the binary, or in -p's only.")
    boolean usdtFileActivation;

    @Parameters(paramLabel = "FILE [ARGS]", description = "A program file (or '-' for stdin), then the values of "
            + "$1, $2…; with -e, all are positional arguments; with -l, the pattern.")
    List<String> arguments = new ArrayList<>();

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        String processName = System.getProperty(PROCESS_NAME_PROPERTY);
        if (processName != null) nameProcess(processName);
        if (info) {
            PrintWriter out = spec.commandLine().getOut();
            out.print(Info.report());
            out.flush();
            return 0;
        }
        int processId = 0;
        if (pid != null) {
            if (!pid.matches("\\d+")) return error(err, "pid '" + pid + "' is not a valid decimal number");
            long p = Long.parseLong(pid.length() > 10 ? "9999999999" : pid);
            if (p < 1 || p > 4194304) return error(err, "pid '" + pid + "' out of valid pid range [1,4194304]");
            processId = (int) p;
            // as bpftrace: a process that is not there is an error before anything else
            if (!Files.isDirectory(Path.of("/proc/" + processId))) {
                return error(err, "no process " + processId + " (-p): it has exited, or never ran");
            }
        }
        if (list) {
            PrintWriter out = spec.commandLine().getOut();
            String pattern = arguments.isEmpty() ? "*" : arguments.getFirst();
            if (pattern.chars().anyMatch(c -> !(Character.isLetterOrDigit(c) || "*?:./_-+\"[]".indexOf(c) >= 0))) {
                return error(err, "invalid character in search expression '" + pattern + "'");
            }
            BpfTrace.list(pattern, verbose, processId).forEach(out::println);
            out.flush();
            return 0;
        }
        if (!format.equals("text") && !format.equals("json")) {
            error(err, "Invalid output format \"" + format + "\"");
            return 2;
        }
        // SIGINT (Ctrl-C) ends tracing as in bpftrace: END runs, the maps are printed, the status is 0. Answered
        // from here on: one that comes while the program compiles stops it after BEGIN.
        AtomicReference<BpfTrace> interruptible = new AtomicReference<>();
        AtomicBoolean interrupted = new AtomicBoolean();
        BtSignals.onInterrupt(() -> {
            interrupted.set(true);
            BpfTrace running = interruptible.get();
            if (running != null) running.stop();
        });
        String source;
        String name;
        List<String> positionals;
        if (program != null) {
            source = program;
            name = "stdin";
            positionals = arguments;
        } else if (!arguments.isEmpty()) {
            name = arguments.getFirst();
            if (!name.equals("-") && !Files.isReadable(Path.of(name))) {
                return error(err, "failed to open file '" + name + "': No such file or directory");
            }
            source = name.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(name));
            positionals = arguments.subList(1, arguments.size());
        } else {
            throw new ParameterException(spec.commandLine(), "no program: give -e 'PROGRAM' or a program file");
        }
        Options options = new Options(positionals, processId,
                command == null ? List.of() : Arrays.asList(command.strip().split("\\s+")), format.equals("json"),
                quiet, verbose, unsafe, name, !noPerfMap);
        BpfTrace bt;
        try {
            bt = BpfTrace.compile(source, options);
        } catch (VerifierRejection e) {
            // where and why in one message; the whole log (the instructions, with the script's lines) on demand
            err.println(e.render(name, source));
            if (verbose || "1".equals(System.getenv("BPF4J_DEBUG"))) {
                err.println(e.verifierLog().strip());
            } else {
                err.println("(-v shows the verifier's log, " + e.verifierLog().lines().count() + " lines)");
            }
            err.flush();
            return 1;
        } catch (SourceException e) {
            err.println(e.render(name, source));
            err.flush();
            return 2;
        }
        try (bt; PrintWriter out = outputFile == null ? spec.commandLine().getOut()
                : new PrintWriter(Files.newBufferedWriter(outputFile), true)) {
            if (verbose) {
                out.print(bt.verboseReport());
                out.flush();
            }
            interruptible.set(bt);
            if (interrupted.get()) bt.stop();
            BtSignals.onUsr1(bt::printMaps);
            // SIGTERM and the like end it too: END runs and the maps are printed before the JVM exits
            CountDownLatch done = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                bt.stop();
                try {
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bpf4j-bt-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                bt.run(out);
            } finally {
                done.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException exiting) {
                    // the JVM is shutting down (Ctrl-C): the hook is running and sees done
                }
            }
        }
        return 0;
    }

    /**
     * Names this process and this thread {@code name}: the launcher asks for it when run as {@code bpftrace} (a link
     * to it of that name), for scripts that find the tracer by its name ({@code pidof bpftrace},
     * {@code pkill -INT bpftrace}) and programs that read it in BEGIN and END ({@code comm}), which this thread
     * runs. The process's name is its first thread's, which the JVM leaves waiting for this one.
     */
    private static void nameProcess(String name) {
        for (String comm : new String[] {"/proc/self/comm", "/proc/thread-self/comm"}) {
            try {
                Files.writeString(Path.of(comm), name);
            } catch (IOException e) {
                // the name only matters to whoever looks for it: run under the JVM's
            }
        }
    }

    /** bpftrace's error line: {@code ERROR: message} on stderr; exit code 1. */
    private static int error(PrintWriter err, String message) {
        err.println("ERROR: " + message);
        err.flush();
        return 1;
    }
}
