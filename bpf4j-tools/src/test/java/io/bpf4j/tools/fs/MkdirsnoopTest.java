package io.bpf4j.tools.fs;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * mkdirsnoop sees this JVM and a child mkdir make uniquely named directories, with per-process counts; the tool is
 * stopped once the mkdirs returned (each is recorded before its syscall returns).
 */
@KernelTest
class MkdirsnoopTest {
    private static final int PID = (int) ProcessHandle.current().pid();

    @Test
    void showsEachMkdirWithItsProcessErrorAndRunningCount() throws Exception {
        String unique = "bpf4j-mkdirsnoop-" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path base = Files.createTempDirectory(unique);
        try {
            ToolRun.Running running = ToolRun.start(Mkdirsnoop.class);
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
        } finally {
            try (Stream<Path> s = Files.walk(base)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
