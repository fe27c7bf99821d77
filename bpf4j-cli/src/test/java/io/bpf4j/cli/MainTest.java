package io.bpf4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.Ansi;

class MainTest {

    /** Output of one run of the command line, with colours off so the text can be compared. */
    private record Run(int exitCode, String out, String err) {}

    private static Run run(CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(Ansi.OFF));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpPrintsUsageWithWhatBpf4jIs() {
        Run r = run(Main.commandLine(false), "--help");

        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out())
                .startsWith("bpf4j - eBPF for the JVM: load, attach and observe eBPF programs in pure Java.")
                .contains("Usage: bpf4j [-hV]")
                .contains("pure-Java eBPF toolkit")
                .contains("-h, --help", "Show this help message and exit.")
                .contains("-V, --version", "Print version information and exit.")
                .contains("Exit codes:", "0     success", "1     the command failed", "2     invalid command line",
                        "141   stdout was closed")
                .contains("Most commands need root (or CAP_BPF + CAP_PERFMON).")
                .contains("BPF4J_DEBUG=1");
    }

    @Test
    void noArgumentsPrintsTheSameUsage() {
        Run none = run(Main.commandLine(false));
        Run help = run(Main.commandLine(false), "--help");

        assertThat(none.exitCode()).isZero();
        assertThat(none.out()).isEqualTo(help.out());
    }

    @Test
    void versionNamesBpf4jAndTheJavaRuntime() {
        Run r = run(Main.commandLine(false), "--version");

        assertThat(r.exitCode()).isZero();
        // Tests run from target/classes, not the jar, so the manifest version is absent here.
        assertThat(r.out()).startsWith("bpf4j " + Main.DEV_VERSION).contains("Java " + Runtime.version());
    }

    @Test
    void unknownOptionIsAUsageErrorWithExitCode2() {
        Run r = run(Main.commandLine(false), "--no-such-option");

        assertThat(r.exitCode()).isEqualTo(2);
        // one line and where to read the usage, not the whole usage
        assertThat(r.err()).isEqualTo("bpf4j: Unknown option: '--no-such-option'" + System.lineSeparator()
                + "Try 'bpf4j --help' for more information." + System.lineSeparator());
    }

    @Command(name = "boom")
    static final class Boom implements Runnable {
        @Override
        public void run() {
            throw new IllegalStateException("BPF_MAP_CREATE failed: EPERM (Operation not permitted); run as root");
        }
    }

    @Test
    void aFailingCommandPrintsOneLineAndExits1() {
        CommandLine cl = Main.commandLine(false).addSubcommand(new Boom());
        Run r = run(cl, "boom");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err())
                .isEqualTo("bpf4j: BPF_MAP_CREATE failed: EPERM (Operation not permitted); run as root"
                        + System.lineSeparator());
    }

    @Test
    void debugAddsTheStackTrace() {
        CommandLine cl = Main.commandLine(true).addSubcommand(new Boom());
        Run r = run(cl, "boom");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err())
                .startsWith("bpf4j: BPF_MAP_CREATE failed")
                .contains("java.lang.IllegalStateException: BPF_MAP_CREATE failed")
                .contains("at io.bpf4j.cli.MainTest$Boom.run");
    }

    @Test
    void messageFallsBackToTheCauseThenTheClassName() {
        // a wrapper's message made of its cause ("java.lang.IllegalArgumentException: bad key size") says less
        assertThat(Main.ErrorHandler.message(new RuntimeException(new IllegalArgumentException("bad key size"))))
                .isEqualTo("bad key size");
        assertThat(Main.ErrorHandler.message(new java.io.UncheckedIOException(
                new java.nio.file.AccessDeniedException("/sys/kernel/tracing/events"))))
                .startsWith("/sys/kernel/tracing/events: permission denied");
        assertThat(Main.ErrorHandler.message(new RuntimeException((String) null, new IllegalArgumentException("x"))))
                .isEqualTo("x");
        assertThat(Main.ErrorHandler.message(new UnsupportedOperationException()))
                .isEqualTo("java.lang.UnsupportedOperationException");
    }
}
