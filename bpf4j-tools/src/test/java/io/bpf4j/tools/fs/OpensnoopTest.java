package io.bpf4j.tools.fs;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * opensnoop sees this JVM open a uniquely named file (and fail to open a missing one), with the right columns. An
 * open is recorded before the syscall returns, so the tool is stopped once the test's opens are done.
 */
@KernelTest
class OpensnoopTest {
    private static final int PID = (int) ProcessHandle.current().pid();

    @Test
    void showsEachOpenOfAUniquelyNamedFileWithItsFdAndErrors() throws Exception {
        String unique = "bpf4j-opensnoop-" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path file = Files.createTempFile(unique, ".txt");
        Path missing = file.resolveSibling(unique + "-missing");
        try {
            ToolRun.Running running = ToolRun.start(Opensnoop.class, "-p", String.valueOf(PID), "-T");
            for (int i = 0; i < 3; i++) Files.readString(file);
            assertThatThrownBy(() -> Files.readString(missing)).isInstanceOf(NoSuchFileException.class);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().findFirst()).hasValueSatisfying(h ->
                    assertThat(h.split("\\s+")).containsExactly("TIME(s)", "PID", "COMM", "FD", "ERR", "PATH"));
            List<String> opens = r.linesWith(file.toString());
            assertThat(opens).hasSize(3).allSatisfy(l -> {
                String[] c = l.trim().split("\\s+");
                assertThat(c[1]).isEqualTo(String.valueOf(PID));
                assertThat(Integer.parseInt(c[c.length - 3])).as("fd").isGreaterThanOrEqualTo(0);
                assertThat(c[c.length - 2]).as("err").isEqualTo("0");
            });
            assertThat(r.linesWith(missing.toString())).singleElement().satisfies(l ->
                    assertThat(l.trim().split("\\s+")).containsSequence("-1", "2", missing.toString())); // ENOENT
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void failedOnlyAndJson() throws Exception {
        String unique = "bpf4j-opensnoop-x-" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path file = Files.createTempFile(unique, ".txt");
        Path missing = file.resolveSibling(unique + "-missing");
        try {
            ToolRun.Running running = ToolRun.start(Opensnoop.class, "-p", String.valueOf(PID), "-x", "--json");
            Files.readString(file);
            assertThatThrownBy(() -> Files.readString(missing)).isInstanceOf(NoSuchFileException.class);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.linesWith(file.toString())).as("-x hides successful opens").isEmpty();
            assertThat(r.linesWith(missing.toString())).singleElement().satisfies(l -> assertThat(l)
                    .startsWith("{\"event\":\"open\"").contains("\"pid\":" + PID).contains("\"ret\":-2"));
        } finally {
            Files.delete(file);
        }
    }
}
