package io.bpf4j.tools.proc;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * execsnoop sees this JVM exec a uniquely named program with its arguments, and fail to exec a missing one. An exec
 * is recorded before the syscall returns (the failed one before the JVM's spawn helper reports the failure), so the
 * tool is stopped once the test's execs are done.
 */
@KernelTest
class ExecsnoopTest {
    private static final int PID = (int) ProcessHandle.current().pid();

    @Test
    void showsExecsWithArgumentsAndFailuresWithX() throws Exception {
        String name = "bpf4jx" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path dir = Files.createTempDirectory("bpf4j-execsnoop");
        Path prog = dir.resolve(name);
        Path missing = dir.resolve(name + "-missing");
        Files.copy(Path.of("/bin/true"), prog);
        Files.setPosixFilePermissions(prog, PosixFilePermissions.fromString("rwx------"));
        try {
            ToolRun.Running running = ToolRun.start(Execsnoop.class, "-x", "-q", "-T");
            Process p = new ProcessBuilder(prog.toString(), "alpha", "two words", "say \"hi\"").start();
            assertThat(p.waitFor()).isZero();
            assertThatThrownBy(() -> new ProcessBuilder(missing.toString(), "beta").start())
                    .isInstanceOf(IOException.class);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().findFirst()).hasValueSatisfying(h -> assertThat(h.split("\\s+"))
                    .containsExactly("TIME", "PCOMM", "PID", "PPID", "RET", "ARGS"));
            assertThat(r.linesWith(prog + "\"")).singleElement().satisfies(l -> {
                String[] c = l.trim().split("\\s+", 6);
                assertThat(c[0]).matches("\\d\\d:\\d\\d:\\d\\d");
                assertThat(c[1]).isEqualTo(name);
                assertThat(c[2]).isEqualTo(String.valueOf(p.pid()));
                assertThat(c[3]).isEqualTo(String.valueOf(PID));
                assertThat(c[4]).isEqualTo("0");
                assertThat(c[5]).isEqualTo("\"" + prog + "\" \"alpha\" \"two words\" \"say \\\"hi\\\"\"");
            });
            // the JVM's spawn helper tries the exec and fails with ENOENT
            assertThat(r.linesWith(missing.toString())).isNotEmpty().allSatisfy(l -> {
                String[] c = l.trim().split("\\s+", 6);
                assertThat(c[3]).isEqualTo(String.valueOf(PID));
                assertThat(c[4]).isEqualTo("-2");
                assertThat(c[5]).isEqualTo("\"" + missing + "\" \"beta\"");
            });
        } finally {
            Files.delete(prog);
            Files.delete(dir);
        }
    }

    @Test
    void hidesFailuresByDefaultAndCutsArguments() throws Exception {
        String name = "bpf4jy" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path dir = Files.createTempDirectory("bpf4j-execsnoop");
        Path prog = dir.resolve(name);
        Path missing = dir.resolve(name + "-missing");
        Files.copy(Path.of("/bin/true"), prog);
        Files.setPosixFilePermissions(prog, PosixFilePermissions.fromString("rwx------"));
        try {
            ToolRun.Running running = ToolRun.start(Execsnoop.class, "--max-args", "3", "-l", name);
            Process p = new ProcessBuilder(prog.toString(), "a1", "a2", "a3", "a4").start();
            assertThat(p.waitFor()).isZero();
            assertThatThrownBy(() -> new ProcessBuilder(missing.toString()).start()).isInstanceOf(IOException.class);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.linesWith(missing.toString())).as("failed execs need -x").isEmpty();
            assertThat(r.out().lines().skip(1).toList()).as("-l keeps only the unique command").singleElement()
                    .satisfies(l -> assertThat(l.trim().split("\\s+", 5)[4]).isEqualTo(prog + " a1 a2 ..."));
        } finally {
            Files.delete(prog);
            Files.delete(dir);
        }
    }
}
