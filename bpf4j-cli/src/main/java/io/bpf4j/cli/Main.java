package io.bpf4j.cli;

import io.bpf4j.core.format.IoErrors;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.registry.Tools;

import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The {@code bpf4j} command: the top of the command tree. It has no work of its own; with no arguments it prints
 * its usage. Subcommands are registered in the {@code subcommands} attribute of the {@link Command} annotation below.
 *
 * <p>Exit codes: 0 success, 1 the command failed (one line {@code bpf4j: <message>} on stderr; the stack trace too
 * when the environment has {@code BPF4J_DEBUG=1}), 2 the command line was wrong (one line {@code bpf4j: <message>}
 * and a pointer to the command's {@code --help}), 141 stdout went away before the command was done (its reader
 * ended, as {@code head} does: what a shell reports for a C program killed by SIGPIPE).
 */
@Command(
        name = "bpf4j",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        header = "bpf4j - eBPF for the JVM: load, attach and observe eBPF programs in pure Java.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%n",
        description = "A pure-Java eBPF toolkit (Java 25 Foreign Function & Memory API; no JNI, no libbpf, "
                + "no bcc): it loads eBPF programs and maps into the kernel, attaches them to hooks and reads "
                + "what they record, for users of bcc, libbpf-tools and bpftrace.",
        optionListHeading = "%nOptions:%n",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:the command failed (the reason is on stderr)",
                "2:invalid command line",
                "141:stdout was closed (e.g. by head) before the command was done",
        },
        footerHeading = "%n",
        footer = {
                "Most commands need root (or CAP_BPF + CAP_PERFMON).",
                "'bpf4j COMMAND --help' shows a command's options.",
                "BPF4J_DEBUG=1 adds stack traces to error messages.",
        },
        // Subcommands other than the tools (which commandLine() adds from Tools.groups()), one per line:
        subcommands = {
                FeatureCommand.class,
                BtfCommand.class,
                ObjectCommand.class,
                RunCommand.class,
                ProgCommand.class,
                MapCommand.class,
                LinkCommand.class,
                TracelogCommand.class,
                BtCommand.class,
                ScriptCommand.class,
                ScriptCommand.Jshell.class,
        })
public final class Main implements Runnable {

    private static final AtomicBoolean OUT_OF_MEMORY = new AtomicBoolean();

    /** Printed by {@code --version} when the classes do not come from the built jar (e.g. an IDE run). */
    static final String DEV_VERSION = "dev (not run from the bpf4j-cli jar)";

    @Spec
    CommandSpec spec;

    /** No subcommand given: print the usage to stdout. */
    @Override
    public void run() {
        CommandLine cl = spec.commandLine();
        cl.usage(cl.getOut());
    }

    /** Runs the command line and exits with its exit code. */
    public static void main(String[] args) {
        boolean debug = "1".equals(System.getenv("BPF4J_DEBUG"));
        CommandLine cl = commandLine(debug, args.length > 0 ? args[0] : null);
        PrintWriter out = stdout();
        cl.setOut(out);
        // a tool's own threads (stack naming, readers) fail as the main thread does: one line, not a stack trace
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> {
            if (e instanceof OutOfMemoryError) {
                outOfMemory(e, debug);
                return;
            }
            System.err.println("bpf4j: thread " + t.getName() + " failed: " + ErrorHandler.message(e)
                    + (debug ? "" : " (BPF4J_DEBUG=1 shows where)"));
            if (debug) e.printStackTrace();
        });
        int exit;
        try {
            exit = cl.execute(args);
        } catch (OutOfMemoryError e) {
            outOfMemory(e, debug);
            return;
        }
        // a command whose reader went away (`| head`) and that did not say so itself
        if (exit == 0 && out.checkError()) exit = Tool.EXIT_OUTPUT_CLOSED;
        System.exit(exit);
    }

    /**
     * Out of Java heap, in any thread: says how to raise the launcher's cap (a long run would otherwise grow the heap
     * to a quarter of the machine) and exits 1. System.exit runs the shutdown hooks, which release the kernel objects.
     */
    private static void outOfMemory(Throwable e, boolean debug) {
        if (OUT_OF_MEMORY.getAndSet(true)) return; // said once, by the first thread; that one exits
        long mb = Runtime.getRuntime().maxMemory() >> 20;
        System.err.println("bpf4j: out of Java heap (at most " + mb + " MB); give the JVM more, e.g. "
                + "BPF4J_JAVA_OPTS=-Xmx1g");
        if (debug) e.printStackTrace();
        System.exit(1);
    }

    /**
     * Stdout for commands, as picocli's own but written straight to file descriptor 1 rather than through
     * {@code System.out}, a PrintStream that hides write errors: so {@link PrintWriter#checkError()} tells when
     * the reader of a pipe went away (the JVM ignores SIGPIPE, the write fails with EPIPE) and the tools stop.
     */
    static PrintWriter stdout() {
        return new PrintWriter(new BufferedWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out),
                System.out.charset())), true);
    }

    /** The configured {@code bpf4j} command line; stack traces on errors when {@code BPF4J_DEBUG=1}. */
    public static CommandLine commandLine() {
        return commandLine("1".equals(System.getenv("BPF4J_DEBUG")));
    }

    /** The configured {@code bpf4j} command line; {@code debug} adds stack traces to error messages. */
    static CommandLine commandLine(boolean debug) {
        return commandLine(debug, null);
    }

    /**
     * The command line for a run whose first argument is {@code first}: when that names a tool, a {@code bpf4j}
     * with only that tool under it — picocli builds a model of every command it registers, and a tool run should
     * not pay for forty — else {@link Main} with every command (for the usage and the other commands).
     */
    static CommandLine commandLine(boolean debug, String first) {
        Optional<Class<? extends Tool>> named = first == null ? Optional.empty() : Tools.named(first);
        CommandLine cl;
        if (named.isEmpty()) {
            cl = new CommandLine(new Main());
            for (Tools.Entry t : Tools.all()) cl.addSubcommand(t.tool());
            cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, Main::commandList);
        } else {
            // not Main: modelling its other commands (prog, map, object…, each with subcommands) cost a tool 50 ms
            cl = new CommandLine(new ToolRoot());
            cl.addSubcommand(named.get());
        }
        cl.setExecutionExceptionHandler(new ErrorHandler(debug));
        cl.setParameterExceptionHandler(new UsageErrorHandler(debug));
        cl.setCaseInsensitiveEnumValuesAllowed(true); // --type xdp as well as --type XDP
        return cl;
    }

    /** {@code bpf4j} for a tool's run: {@link Main}'s name, options and version, and only that tool under it. */
    @Command(name = "bpf4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class)
    static final class ToolRoot implements Runnable {
        @Override
        public void run() {
            // never runs: commandLine() makes a ToolRoot only with a tool named on the command line
        }
    }

    /**
     * The command list of {@code --help}: the tools grouped by what they observe, then the other commands, each
     * with the first line of its description.
     */
    static String commandList(CommandLine.Help help) {
        Map<String, CommandLine> commands = help.commandSpec().commandLine().getSubcommands();
        Set<String> listed = new HashSet<>();
        StringBuilder sb = new StringBuilder();
        for (Tools.Group g : Tools.groups()) {
            if (g.tools().isEmpty()) continue;
            sb.append(String.format("%n%s:%n", g.title()));
            for (Class<? extends Tool> t : g.tools()) {
                String name = t.getAnnotation(Command.class).name();
                listed.add(name);
                line(sb, name, commands.get(name));
            }
        }
        sb.append(String.format("%nBPF objects and the kernel:%n"));
        commands.forEach((name, cl) -> {
            if (!listed.contains(name) && cl.getCommandName().equals(name)) line(sb, name, cl);
        });
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, CommandLine cl) {
        String[] h = cl.getCommandSpec().usageMessage().header();
        String[] d = h.length > 0 ? h : cl.getCommandSpec().usageMessage().description();
        String first = d.length == 0 ? "" : d[0];
        int end = first.indexOf(". ");
        if (end > 0) first = first.substring(0, end + 1); // the first sentence
        sb.append(String.format("  %-13s %s%n", name, first));
    }

    /**
     * A usage error (an unknown option, a value an option refuses, options that exclude each other…), from picocli
     * or from a command's own checks: {@code bpf4j: <message>} and where to read the usage, not the whole usage,
     * on stderr; exit code 2.
     */
    static final class UsageErrorHandler implements CommandLine.IParameterExceptionHandler {
        private final boolean debug;

        UsageErrorHandler(boolean debug) {
            this.debug = debug;
        }

        @Override
        public int handleParseException(CommandLine.ParameterException ex, String[] args) {
            CommandLine cl = ex.getCommandLine();
            PrintWriter err = cl.getErr();
            String message = ex.getMessage().strip();
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.isUnknownOption()
                    && !cl.getSubcommands().isEmpty() && !u.getUnmatched().isEmpty()) {
                message = "unknown command '" + u.getUnmatched().getFirst() + "'";
            }
            if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                message += " (did you mean " + u.getSuggestions().getFirst() + "?)"; // the closest
            }
            err.println("bpf4j: " + message.lines().findFirst().orElse(message));
            if (cl.getCommandSpec().userObject() instanceof BtCommand) {
                cl.usage(err); // as bpftrace: its usage after a usage error
            } else {
                err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
            }
            if (debug) ex.printStackTrace(err);
            err.flush();
            return cl.getCommandSpec().exitCodeOnInvalidInput();
        }
    }

    /**
     * Turns an exception thrown by a command (for the library that is a {@code BpfException} or a
     * {@code FormatException}, whose message says what failed, why and what to do) into {@code bpf4j: <message>} on stderr and exit code 1.
     */
    static final class ErrorHandler implements IExecutionExceptionHandler {
        private final boolean debug;

        ErrorHandler(boolean debug) {
            this.debug = debug;
        }

        @Override
        public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
            PrintWriter err = commandLine.getErr();
            err.println("bpf4j: " + message(ex));
            if (debug) {
                ex.printStackTrace(err);
            }
            err.flush();
            return 1;
        }

        /**
         * The first message along the cause chain that says something: not blank, and not one a wrapper made of
         * its cause ({@code new UncheckedIOException(e)} says "java.nio.file.AccessDeniedException: /x"); a file
         * error says which file and why ("/x: permission denied"). Else the exception's class name.
         */
        static String message(Throwable t) {
            for (Throwable c = t; c != null; c = c.getCause()) {
                if (c instanceof FileSystemException f) return IoErrors.describe(f);
                String m = c.getMessage();
                boolean wrapper = c.getCause() != null && c.getCause() != c && c.getCause().toString().equals(m);
                if (m != null && !m.isBlank() && !wrapper) {
                    return m.strip();
                }
                if (c.getCause() == c) {
                    break;
                }
            }
            return t.getClass().getName();
        }
    }

    /** {@code --version}: the bpf4j version from the jar manifest, plus the Java runtime and kernel it runs on. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {
                    "bpf4j " + (v != null ? v : DEV_VERSION),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ", "
                            + System.getProperty("java.home") + ")",
                    System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                            + System.getProperty("os.arch"),
            };
        }
    }
}
