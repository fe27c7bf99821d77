package io.bpf4j.cli;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code bpf4j bt} through the real command line. */
class BtCommandTest {
    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(false, "bt");
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void syntaxErrorsPointAtTheirColumnAndExit2() {
        Run r = run("bt", "-e", "BEGIN { @x = 1 +; }");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("""
                stdin:1:17: ERROR: expected an expression, found ';'
                BEGIN { @x = 1 +; }
                                ^
                """);
    }

    /** A source error: one message at its line and column, the line, a caret; exit 2; no stack trace. */
    private static void assertSourceError(Run r, String expected) {
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(expected).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void typeErrorsPointAtTheirOperand() {
        assertSourceError(run("bt", "-e", "BEGIN { @x = \"a\" + 1; }"), """
                stdin:1:14: ERROR: the left operand of + must be an integer, not a string
                BEGIN { @x = "a" + 1; }
                             ^
                """);
    }

    @Test
    @KernelTest
    void unknownProbesAndFieldsPointAtThem() {
        assertSourceError(run("bt", "-e", "BEGIN { }\ntracepoint:syscalls:sys_enter_nope { }"), """
                stdin:2:1: ERROR: tracepoint not found: syscalls:sys_enter_nope (list them with: bpf4j bt -l \
                'tracepoint:syscalls:*')
                tracepoint:syscalls:sys_enter_nope { }
                ^
                """);
        assertSourceError(run("bt", "-e", "tracepoint:syscalls:sys_enter_openat { @x = args->nope; }"), """
                stdin:1:49: ERROR: tracepoint:syscalls:sys_enter_openat has no field 'nope'; it has: __syscall_nr, \
                dfd, filename, flags, mode
                tracepoint:syscalls:sys_enter_openat { @x = args->nope; }
                                                                ^
                """);
        // a kernel struct, through BTF
        assertSourceError(run("bt", "-e", "BEGIN { $t = curtask->nofield; }"), """
                stdin:1:21: ERROR: struct task_struct has no field 'nofield'
                BEGIN { $t = curtask->nofield; }
                                    ^
                """);
    }

    /** A loop whose variable its body forgets to advance: the checker accepts it, the verifier does not. */
    private static final String ENDLESS_LOOP = """
            BEGIN
            {
              $i = 0;
              while ($i < 10) {
                if ($i % 2 == 0) {
                  printf("%d\\n", $i);
                }
              }
            }
            """;

    @Test
    @KernelTest
    void verifierRejectionsPointAtTheScriptsLineAndExit1(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("endless.bt"), ENDLESS_LOOP);
        Run r = run("bt", script.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        // the verifier names the comparison it sees looping on: the loop's condition
        assertThat(r.err()).matches(java.util.regex.Pattern.quote(script + ":4:13: ERROR: the verifier rejected the "
                + "program of BEGIN: infinite loop detected at insn ") + "\\d+\n"
                + java.util.regex.Pattern.quote("""
                          while ($i < 10) {
                                    ^
                        (-v shows the verifier's log,""") + " \\d+ lines\\)\n");

        // -v: the whole log, whose instructions the kernel annotates with the script's lines
        r = run("bt", "-v", script.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith(script + ":4:13: ERROR: the verifier rejected the program of BEGIN: ")
                .contains("\n; if ($i % 2 == 0) { @ endless.bt:5\n", "\n; while ($i < 10) { @ endless.bt:4\n")
                .doesNotContain("Exception");
    }

    /** The id of a process that has exited (and been reaped). */
    private static long exitedProcess() {
        try {
            Process p = new ProcessBuilder("true").start();
            p.waitFor();
            return p.pid();
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError("cannot run true", e);
        }
    }

    @Test
    void usageErrorsAreBpftraces() {
        Run r = run("bt", "-f", "jsonx", "-e", "BEGIN { exit(); }");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("ERROR: Invalid output format \"jsonx\"\n");
        r = run("bt", "-p", "a1111", "file.bt");
        assertThat(r.err()).isEqualTo("ERROR: pid 'a1111' is not a valid decimal number\n");
        r = run("bt", "-p", "5000000", "file.bt");
        assertThat(r.err()).isEqualTo("ERROR: pid '5000000' out of valid pid range [1,4194304]\n");
        r = run("bt", "no_such_file.bt");
        assertThat(r.err()).isEqualTo("ERROR: failed to open file 'no_such_file.bt': No such file or directory\n");
        String gone = String.valueOf(exitedProcess());
        for (String[] args : new String[][] {{"bt", "-l", "-p", gone}, {"bt", "-p", gone, "-e", "BEGIN { exit(); }"}}) {
            r = run(args);
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).isEqualTo("ERROR: no process " + gone + " (-p): it has exited, or never ran\n");
        }
        r = run("bt", "-idonotexist");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("USAGE: bpf4j bt");
        assertThat(run("bt", "--version").out()).contains("bpftrace v0.17.0");
    }

    @Test
    @KernelTest
    void infoSaysWhatIsSupported() {
        Run r = run("bt", "--info");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Loop support: yes", "perf_event_array: yes", "kfunc: no");
    }

    @Test
    @KernelTest
    void kprobesAreRefusedWithTheTracepointToUse() {
        Run r = run("bt", "-e", "kprobe:__x64_sys_openat { @ = count(); }");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("use tracepoint:syscalls:sys_enter_openat instead");
    }

    @Test
    @KernelTest
    void runsAnInlineProgram() {
        Run r = run("bt", "-e", "BEGIN { printf(\"%s=%d\\n\", \"answer\", 6 * 7); @[\"k\"] = 1; exit(); }", "x");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("Attaching 1 probe...\nanswer=42\n\n\n@[k]: 1\n");
    }

    @Test
    @KernelTest
    void runsAScriptFileWithPositionalArgumentsIntoAFile(@TempDir Path dir) throws Exception {
        Path script = dir.resolve("args.bt");
        Files.writeString(script, """
                #!/usr/bin/env bpftrace
                BEGIN
                {
                  printf("%s has %d arguments, the second is %d\\n", $1, $#, $2 + 1);
                  exit();
                }
                """);
        Path output = dir.resolve("out.txt");
        Run r = run("bt", "-q", "-o", output.toString(), script.toString(), "first", "41");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.readString(output)).isEqualTo("first has 2 arguments, the second is 42\n\n\n");
    }

    @Test
    @KernelTest
    void commandRunsOnceAttachedAndEndsTracing() {
        Run r = run("bt", "-q", "-c", "/bin/true", "-e",
                "tracepoint:sched:sched_process_exec /args->filename == \"/bin/true\"/ { printf(\"exec %s\\n\", "
                        + "args->filename); }");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("exec /bin/true\n\n\n");
    }

    @Test
    @KernelTest
    void listsTracepointsWithTheirArguments() {
        Run r = run("bt", "-lv", "tracepoint:syscalls:sys_enter_openat");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("tracepoint:syscalls:sys_enter_openat\n").contains("    const char *filename;\n");
    }
}
