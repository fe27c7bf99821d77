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
