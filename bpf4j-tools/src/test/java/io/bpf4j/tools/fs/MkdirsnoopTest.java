package io.bpf4j.tools.fs;

import io.bpf4j.core.kernel.Probes;
import io.bpf4j.testing.KernelMatrix;
import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * mkdirsnoop sees this JVM and a child mkdir make uniquely named directories, with per-process counts; the tool is
 * stopped once the mkdirs returned (each is recorded before its syscall returns). It hooks fexit on do_mkdirat
 * where the kernel runs BPF trampolines, the syscall tracepoints elsewhere: the kernel matrix (scripts/kernel-matrix)
 * runs this on both kinds of kernel, and compares what the two printed (the lines of the workload, without the
 * time and process ids, written where the system property {@value #MATRIX_OUT} says).
 */
@KernelTest
@KernelMatrix
class MkdirsnoopTest {
    /** The system property naming the directory the workload's lines are written to, for the kernel matrix. */
    static final String MATRIX_OUT = "bpf4j.matrix.out";

    private static final int PID = (int) ProcessHandle.current().pid();

    @Test
    void showsEachMkdirWithItsProcessErrorAndRunningCount() throws Exception {
        String unique = "bpf4j-mkdirsnoop-" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path base = Files.createTempDirectory(unique);
        try {
            ToolRun.Running running = ToolRun.start(Mkdirsnoop.class);
            // the hook it chose: fexit where the kernel runs BPF trampolines, the syscall tracepoints elsewhere
            List<String> programs = running.attachedPrograms();
            if (Probes.fexit().available()) {
                assertThat(programs).singleElement().asString().startsWith("mkdirsnoop_fex");
            } else {
                assertThat(programs).hasSize(2).allSatisfy(p -> assertThat(p).startsWith("mkdirsnoop_e"));
            }
            for (int i = 1; i <= 3; i++) Files.createDirectory(base.resolve("jvm-" + i));
            assertThatThrownBy(() -> Files.createDirectory(base.resolve("jvm-1")))
                    .isInstanceOf(FileAlreadyExistsException.class);
            Process child = new ProcessBuilder("mkdir", base.resolve("child-1").toString(),
                    base.resolve("child-2").toString()).start();
            assertThat(child.waitFor()).isZero();
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().findFirst()).hasValueSatisfying(h -> assertThat(h.split("\\s+"))
                    .containsExactly("TIME", "PID", "COMM", "COUNT", "ERR", "PATH"));

            // TIME PID COMM COUNT ERR PATH; the JVM may make other directories meanwhile, so its counts only rise
            List<String[]> jvm = r.linesWith(base + "/jvm-").stream().map(l -> l.trim().split("\\s+")).toList();
            assertThat(jvm).extracting(c -> c[5]).containsExactly(base + "/jvm-1", base + "/jvm-2",
                    base + "/jvm-3", base + "/jvm-1");
            assertThat(jvm).allSatisfy(c -> assertThat(c[1]).isEqualTo(String.valueOf(PID)));
            assertThat(jvm).extracting(c -> c[4]).containsExactly("0", "0", "0", "17"); // EEXIST
            List<Long> counts = jvm.stream().map(c -> Long.parseLong(c[3])).toList();
            assertThat(counts).isSorted().doesNotHaveDuplicates();

            List<String[]> kid = r.linesWith(base + "/child-").stream().map(l -> l.trim().split("\\s+")).toList();
            assertThat(kid).hasSize(2).allSatisfy(c -> {
                assertThat(c[1]).isEqualTo(String.valueOf(child.pid()));
                assertThat(c[2]).isEqualTo("mkdir");
                assertThat(c[4]).isEqualTo("0");
            });
            assertThat(kid).extracting(c -> c[3] + " " + c[5])
                    .containsExactly("1 " + base + "/child-1", "2 " + base + "/child-2");

            String matrixOut = System.getProperty(MATRIX_OUT);
            if (matrixOut != null) {
                // COMM ERR PATH of the JVM's lines, COMM COUNT ERR PATH of the child's (the JVM's counts include
                // whatever else it made), the directory as BASE: the same on every kernel
                List<String> lines = new ArrayList<>();
                lines.add(String.join(" ", r.out().lines().findFirst().orElseThrow().trim().split("\\s+")));
                jvm.forEach(c -> lines.add(c[2] + " " + c[4] + " " + c[5].replace(base.toString(), "BASE")));
                kid.forEach(c -> lines.add(c[2] + " " + c[3] + " " + c[4] + " "
                        + c[5].replace(base.toString(), "BASE")));
                Files.createDirectories(Path.of(matrixOut));
                Files.write(Path.of(matrixOut, "mkdirsnoop.txt"), lines);
                Files.write(Path.of(matrixOut, "mkdirsnoop-programs.txt"), programs);
            }
        } finally {
            try (Stream<Path> s = Files.walk(base)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
