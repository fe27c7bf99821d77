package io.bpf4j.cli;

import io.bpf4j.core.Cpus;
import io.bpf4j.core.link.Kprobe;
import io.bpf4j.core.link.Tracefs;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Bad input as users give it, through the real command line: each is refused with one line on stderr,
 * {@code bpf4j: } and what is wrong — plus, for a usage error (exit code 2), one line pointing to the command's
 * {@code --help} instead of the whole usage; a command that fails (exit code 1) says why in one line. Nothing is
 * loaded into the kernel for a usage error: the values are checked as the command line is parsed.
 */
class BadInputTest {
    record Run(int exit, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine(false, args.length > 0 ? args[0] : null);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** A usage error: exit code 2, {@code message} and the pointer to {@code bpf4j COMMAND --help}, nothing else. */
    static void assertUsageError(Run r, String command, String message) {
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).containsExactly("bpf4j: " + message,
                "Try 'bpf4j " + command + " --help' for more information.");
    }

    /** A failure: exit code 1 and one line, {@code bpf4j: message}. */
    static void assertFailure(Run r, String message) {
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        assertThat(r.errLines()).containsExactly("bpf4j: " + message);
    }

    // --- numbers that mean nothing ------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            opensnoop -p -1                   | opensnoop | Invalid value for option '--pid': '-1' is not a process ID: a whole number from 1
            opensnoop -t -5                   | opensnoop | Invalid value for option '--tid': '-5' is not a thread ID: a whole number from 1
            opensnoop -p 999999999            | opensnoop | Invalid value for option '--pid': no process 999999999
            javagc -p 999999999               | javagc    | Invalid value for option '--pid': no process 999999999
            memleak -p 999999999              | memleak   | Invalid value for option '--pid': no process 999999999
            opensnoop -d -1                   | opensnoop | Invalid value for option '--duration': '-1' is not a duration: a number of seconds above 0
            opensnoop -d 0                    | opensnoop | Invalid value for option '--duration': '0' is not a duration: a number of seconds above 0
            opensnoop -d 99999999999999999999 | opensnoop | Invalid value for option '--duration': '99999999999999999999' seconds is too long: at most 2147483647 (68 years)
            runqlat 0 1                       | runqlat   | Invalid value for positional parameter at index 0 (interval): '0' is not an interval in seconds: a whole number from 1
            runqlat -5 1                      | runqlat   | Invalid value for positional parameter at index 0 (interval): '-5' is not an interval in seconds: a whole number from 1
            runqlat 1 0                       | runqlat   | Invalid value for positional parameter at index 1 (count): '0' is not a count: a whole number from 1
            syscount -i -3                    | syscount  | Invalid value for option '--interval': '-3' is not an interval in seconds (0: none): a whole number from 0
            profile -1                        | profile   | Invalid value for positional parameter at index 0 (duration): '-1' is not a duration: a number of seconds above 0
            profile -F 0                      | profile   | Invalid value for option '--frequency': '0' is not a frequency in Hertz: a whole number from 1 to %MAXRATE%
            opensnoop --buffer-kb 3           | opensnoop | Invalid value for option '--buffer-kb': '3' is not a ring buffer size in KiB: a whole number from 4 to 1048576
            opensnoop --buffer-kb 12          | opensnoop | Invalid value for option '--buffer-kb': '12' is not a ring buffer size in KiB: a power of two from 4 to 1048576 (4, 8, 16…)
            xdpfilter -i lo 10.0.0.1 0        | xdpfilter | interval: '0' is not an interval in seconds: a whole number from 1
            """)
    void aNumberThatMeansNothingIsAUsageError(String args, String command, String message) throws Exception {
        String maxRate;
        // in one read: a sysctl file read piecewise gives its first byte only
        try (var in = Files.newInputStream(Path.of("/proc/sys/kernel/perf_event_max_sample_rate"))) {
            maxRate = new String(in.readNBytes(64)).strip();
        }
        assertUsageError(run(args.split(" ")), command, message.replace("%MAXRATE%", maxRate));
    }

    @Test
    void aCpuThatDoesNotExistIsNamedAsSuch() {
        assumeFalse(Cpus.online().contains(99), "this machine has a CPU 99");
        Run r = run("profile", "-C", "99", "1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(2);
        assertThat(r.errLines().getFirst())
                .startsWith("bpf4j: Invalid value for option '--cpu': CPU 99 does not exist here (CPUs online: ")
                .doesNotContain("Hz", "sample");
    }

    // --- usage errors found by the commands' own checks: exit code 2, one line ------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            opensnoop --output bogus:x        | opensnoop | Invalid value for option '--output' (KIND:PATH): 'bogus:x': unknown kind 'bogus'; the kinds are ctf, json, folded, flamegraph, pprof, perfetto, jfr
            opensnoop --output nokind         | opensnoop | Invalid value for option '--output' (KIND:PATH): 'nokind' is not KIND:PATH (KIND one of ctf, json, folded, flamegraph, pprof, perfetto, jfr)
            run /nonexistent.bpf.o --output x | run       | Invalid value for option '--output' (KIND:PATH): 'x' is not KIND:PATH (KIND one of ctf, json, folded, flamegraph, pprof, perfetto, jfr)
            syscount -e EBOGUS                | syscount  | Invalid value for option '--errno': unknown errno 'EBOGUS': give its name (EPERM, ENOENT…) or its number (from 1)
            xdpfilter -i lo 1.2.3.x           | xdpfilter | not an IP address or CIDR: '1.2.3.x'
            xdpfilter -i lo 10.0.0.1 --mode x | xdpfilter | --mode is skb or native, not 'x'
            profile -U -K                     | profile   | -U and -K are mutually exclusive
            offcputime -u -k                  | offcputime | -u and -k are mutually exclusive
            stackcount -U -K t:sched:sched_switch | stackcount | -U and -K are mutually exclusive
            memleak -O libc.so.6              | memleak   | -O/--obj needs -p PID: without it, memleak traces the kernel's allocators
            kmemtrace -i 5                    | kmemtrace | -i INTERVAL needs -s (--summary)
            argdist                           | argdist   | give at least one -H or -C specifier
            argdist -H u:c:malloc             | argdist   | 'u:c:malloc' has no expression (PROBE[:TYPE]:EXPR[:FILTER])
            opensnoop --bogus                 | opensnoop | Unknown option: '--bogus'
            """)
    void aMalformedCommandLineIsOneLineAndExit2(String args, String command, String message) {
        assertUsageError(run(args.split(" ")), command, message);
    }

    @Test
    void malformedTraceAndArgdistExpressionsAreUsageErrors() {
        assertUsageError(run("trace", "u:c:malloc (arg1 >) \"x\""), "trace",
                "expression 'u:c:malloc (arg1 >) \"x\"' at 19: unexpected ')'");
        assertUsageError(run("trace", "u:c:malloc \"%d %d\", arg1"), "trace",
                "probe 'u:c:malloc \"%d %d\", arg1': the format takes 2 value(s) but 1 argument(s) follow it");
        assertUsageError(run("trace", "u:c:malloc(size_t size"), "trace",
                "probe 'u:c:malloc(size_t size': a signature ends with ')'");
        assertUsageError(run("argdist", "-C", "u:c:malloc:arg1 +"), "argdist",
                "expression 'arg1 +' at 7: expected a value");
    }

    @Test
    void aMisspelledOptionIsNotAnsweredWithTheWholeUsage() {
        Run r = run("opensnoop", "--pidd", "1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.errLines()).containsExactly("bpf4j: Unknown options: '--pidd', '1' (did you mean --pid?)",
                "Try 'bpf4j opensnoop --help' for more information.");
    }

    @Test
    void anUnknownCommandIsNamed() {
        Run r = run("opensnop");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.errLines()).containsExactly("bpf4j: unknown command 'opensnop' (did you mean opensnoop?)",
                "Try 'bpf4j --help' for more information.");
    }

    @Test
    void aBadSetValueOfRunIsAUsageError() throws Exception {
        Path object = ObjectCommandTest.fixture("run_opensnoop");
        assertUsageError(run("run", object.toString(), "--set", "target_pid=abc"), "run",
                "--set target_pid=abc: the value is not a number (decimal or 0x hex), true or false");
    }

    // --- files: what failed and why -------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            run /nonexistent.bpf.o                          | cannot read BPF object /nonexistent.bpf.o: no such file or directory
            run /tmp                                        | cannot read BPF object /tmp: is a directory
            run /etc/hostname/x.bpf.o                       | cannot read BPF object /etc/hostname/x.bpf.o: not a directory
            object load /nonexistent.bpf.o                  | cannot read /nonexistent.bpf.o: no such file or directory
            object show /tmp                                | cannot read /tmp: is a directory
            opensnoop --output json:/proc/x                 | --output json:/proc/x: cannot create /proc/x: no such file or directory
            opensnoop --output json:/nonexistent/x.json     | --output json:/nonexistent/x.json: cannot create /nonexistent/x.json: no such file or directory
            xdpfilter -i lo -f /nonexistent.txt             | cannot read -f /nonexistent.txt: no such file or directory
            """)
    void aFileThatCannotBeReadSaysWhy(String args, String message) {
        assertFailure(run(args.split(" ")), message);
    }

    /** trace as a user without the rights to read tracefs: "permission denied", not an exception's class name. */
    @KernelTest
    @Test
    void permissionDeniedSaysSo() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to become another user");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs setpriv (util-linux)");
        Tracefs.root(); // mounted, so that the user meets its permissions, not a mount it may not do
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", java,
                "--enable-native-access=ALL-UNNAMED", "-cp", classPathForAnyone(),
                Main.class.getName(), "trace", "t:syscalls:sys_enter_openat").start();
        p.getOutputStream().close();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String err = new String(p.getErrorStream().readAllBytes());
        assumeFalse(err.contains("Could not find or load main class") || err.contains("NoClassDefFoundError"),
                "the test's class path is not readable by user nobody: " + err);
        assertThat(p.exitValue()).as(err).isEqualTo(1);
        assertThat(err.lines().toList()).containsExactly("bpf4j: cannot read "
                + "/sys/kernel/tracing/events/syscalls/sys_enter_openat/format: permission denied (run as root)");
    }

    /**
     * This JVM's class path, its jars copied where any user can read them (the local Maven repository, where the
     * other modules' jars may come from, is root's own).
     */
    private static String classPathForAnyone() throws java.io.IOException {
        var open = java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x");
        Path dir = Files.createTempDirectory("bpf4j-classpath");
        Files.setPosixFilePermissions(dir, open);
        dir.toFile().deleteOnExit();
        List<String> entries = new java.util.ArrayList<>();
        int i = 0;
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(e);
            if (Files.isRegularFile(p)) {
                Path copy = Files.copy(p, dir.resolve(i++ + "-" + p.getFileName()));
                Files.setPosixFilePermissions(copy, open);
                copy.toFile().deleteOnExit();
                entries.add(copy.toString());
            } else {
                entries.add(e);
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    // --- kernel functions without kprobes: the same line everywhere -----------------------------------------------

    @KernelTest
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "trace p::do_sys_open",
            "trace r::do_sys_open",
            "trace do_sys_open",
            "trace k:do_sys_open",
            "trace kr:do_sys_open",
            "trace kprobe:do_sys_open",
            "trace kretprobe:do_sys_open",
            "argdist -H p::do_sys_open(int_dfd):int:dfd",
            "argdist -C kr:do_sys_open:$retval",
            "stackcount do_sys_open",
            "stackcount p::do_sys_open",
    })
    void aKernelFunctionSaysKprobesAreNotAvailableHere(String args) {
        assumeFalse(Kprobe.availability().available(), "this kernel has kprobes");
        assumeTrue("root".equals(System.getProperty("user.name")), "the hint reads tracefs, which needs root");
        assertFailure(run(args.split(" ")), "cannot trace kernel function 'do_sys_open': kprobes "
                + "are not available on this kernel (" + Kprobe.availability().reason() + "); trace a tracepoint "
                + "instead: t:CATEGORY:NAME (see /sys/kernel/tracing/events)");
    }

    @KernelTest
    @Test
    void aKernelFunctionThatIsAlsoATracepointIsPointedTo() {
        assumeFalse(Kprobe.availability().available(), "this kernel has kprobes");
        assumeTrue("root".equals(System.getProperty("user.name")), "the hint reads tracefs, which needs root");
        String expected = "cannot trace kernel function 'sched_process_fork': kprobes are not available on this "
                + "kernel (" + Kprobe.availability().reason() + "); the tracepoint t:sched:sched_process_fork "
                + "exists: trace it instead";
        assertFailure(run("trace", "p::sched_process_fork"), expected);
        assertFailure(run("stackcount", "sched_process_fork"), expected);
    }
}
