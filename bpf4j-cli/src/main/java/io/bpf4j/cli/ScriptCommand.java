package io.bpf4j.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code bpf4j script Prog.java [args]}: a bcc-style program written as one Java source file (bpf4j-bcc's
 * {@code Bcc} with its C in a string) run by Java's source launcher with bpf4j's class path and native access; and
 * {@code bpf4j jshell} ({@link Jshell}): JShell with the same. Each runs in a JVM of its own, started from this
 * one's JDK, sharing the terminal; its exit code is the command's, and a SIGTERM or Ctrl-C that ends this JVM ends
 * it first (its programs are detached by the kernel when it exits, however it exits).
 */
@Command(name = "script", mixinStandardHelpOptions = true,
        description = "Run a Java source file with bpf4j on the class path (Java's source launcher): a bcc-style "
                + "program, its C in a Java string (io.bpf4j.bcc.Bcc).")
public final class ScriptCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The .java file to run.")
    Path file;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "The program's arguments.")
    List<String> args = new ArrayList<>();

    /** {@code bpf4j jshell [ARGS]}: JShell with bpf4j on its class path and its bcc API imported. */
    @Command(name = "jshell", mixinStandardHelpOptions = true,
            description = "Start JShell with bpf4j on the class path and io.bpf4j.bcc.* imported.")
    public static final class Jshell implements Callable<Integer> {
        @Parameters(paramLabel = "ARGS", description = "JShell's own arguments, e.g. a script to load.")
        List<String> args = new ArrayList<>();

        @Override
        public Integer call() throws IOException, InterruptedException {
            return run(jshellCommand(args));
        }
    }

    /** What JShell imports at start: the bcc API and the core's commonly used packages. */
    static final String JSHELL_STARTUP = String.join("\n",
            "import io.bpf4j.bcc.*;",
            "import io.bpf4j.core.*;",
            "import io.bpf4j.core.events.*;",
            "import io.bpf4j.core.link.*;",
            "import java.time.Duration;",
            "");

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (!Files.isRegularFile(file)) throw new ParameterException(spec.commandLine(), "no file " + file);
        List<String> c = new ArrayList<>();
        c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        c.add("--enable-native-access=ALL-UNNAMED");
        c.addAll(extraJvmOptions());
        c.add("-cp");
        c.add(System.getProperty("java.class.path"));
        c.add(file.toString());
        c.addAll(args);
        return run(c);
    }

    private static int run(List<String> command) throws IOException, InterruptedException {
        Process child = new ProcessBuilder(command).inheritIO().start();
        // a signal that ends this JVM ends the child first; its exit detaches its programs
        Thread hook = new Thread(() -> {
            child.destroy();
            try {
                child.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        int exit = child.waitFor();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException exiting) {
            // a signal is ending the JVM: the hook waited for the child
        }
        return exit;
    }

    private static List<String> jshellCommand(List<String> args) {
        Path startup;
        try {
            startup = Files.createTempFile("bpf4j-jshell", ".jsh");
            Files.writeString(startup, JSHELL_STARTUP);
            startup.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JShell's start-up file: " + e.getMessage(), e);
        }
        List<String> c = new ArrayList<>();
        c.add(Path.of(System.getProperty("java.home"), "bin", "jshell").toString());
        c.add("--class-path");
        c.add(System.getProperty("java.class.path"));
        // JShell runs snippets in a JVM of its own: native access (FFM downcalls) must be allowed there
        c.add("-R--enable-native-access=ALL-UNNAMED");
        c.add("--startup");
        c.add("DEFAULT");
        c.add("--startup");
        c.add(startup.toString());
        c.addAll(args);
        return c;
    }

    /** BPF4J_JAVA_OPTS, as the launcher passes it to bpf4j's own JVM. */
    private static List<String> extraJvmOptions() {
        String opts = System.getenv("BPF4J_JAVA_OPTS");
        return opts == null || opts.isBlank() ? List.of() : List.of(opts.trim().split("\\s+"));
    }
}
