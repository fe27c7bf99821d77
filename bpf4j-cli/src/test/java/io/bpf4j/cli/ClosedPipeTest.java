package io.bpf4j.cli;

import io.bpf4j.core.KernelObjects;
import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.Tool;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bpf4j TOOL | head -3}: the reader of a tool's stdout goes away after a few lines. The JVM ignores SIGPIPE,
 * so the tool learns it from its next write: it must then end promptly, quietly (no stack trace), with 141 — what a
 * shell reports for a C tool killed by SIGPIPE — and with its links detached. Each tool runs in a JVM of its own
 * ({@link Main}, as {@code ./bpf4j} runs it) whose stdout is a pipe this test reads three lines from, then closes;
 * a workload (opens, execs) runs until the tool has exited, so there is always a next line to write.
 */
@KernelTest
class ClosedPipeTest {
    @ParameterizedTest(name = "bpf4j {0} | head -3")
    @ValueSource(strings = {"opensnoop", "execsnoop", "runqlat 1", "syscount -i 1", "biolatency 1", "run FIXTURE"})
    void aToolWhoseOutputGoesAwayExitsWith141AndDetaches(String command) throws Exception {
        ObjectCommandTest.root();
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        if (args.contains("FIXTURE")) args.set(1, ObjectCommandTest.fixture("run_opensnoop").toString());
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        Path err = Files.createTempFile("bpf4j-closed-pipe", ".err");
        Process tool = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        AtomicBoolean working = new AtomicBoolean(true);
        Thread workload = Thread.ofPlatform().daemon().start(() -> work(working));
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(tool.getInputStream()));
            List<String> lines = new ArrayList<>();
            for (String line; lines.size() < 3 && (line = out.readLine()) != null; ) lines.add(line);
            assertThat(lines).as("the first lines (stderr: %s)", Files.readString(err)).hasSize(3);
            List<Integer> links = linkIds(tool.pid());
            tool.getInputStream().close(); // as head does after its third line

            assertThat(tool.waitFor(30, TimeUnit.SECONDS)).as("exited within 30 s of its stdout's reader").isTrue();
            String stderr = Files.readString(err);
            assertThat(tool.exitValue()).as(stderr).isEqualTo(Tool.EXIT_OUTPUT_CLOSED);
            assertThat(stderr).doesNotContain("Exception", "\tat ", "bpf4j: ");
            assertThat(links).as("the tool's links while it ran").isNotEmpty();
            assertThat(KernelObjects.linkIds()).as("its links, after it exited").doesNotContainAnyElementsOf(links);
        } finally {
            working.set(false);
            workload.join();
            tool.destroyForcibly().waitFor();
            Files.deleteIfExists(err);
        }
    }

    /**
     * The ids of the BPF links process {@code pid} holds (from its /proc/PID/fdinfo): other processes — other
     * tests on this machine among them — make and drop links of their own meanwhile.
     */
    static List<Integer> linkIds(long pid) throws IOException {
        List<Integer> ids = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (!Files.readSymbolicLink(fd).toString().equals("anon_inode:bpf_link")) continue;
                    Files.readAllLines(Path.of("/proc", String.valueOf(pid), "fdinfo", fd.getFileName().toString()))
                            .stream().filter(l -> l.startsWith("link_id:"))
                            .forEach(l -> ids.add(Integer.parseInt(l.substring(8).strip())));
                } catch (IOException closedMeanwhile) {
                    // closed between the listing and the read
                }
            }
        }
        return ids;
    }

    /** Opens a file and runs a program, again and again, until told to stop: events for every tool above. */
    private static void work(AtomicBoolean working) {
        try {
            Path f = Files.createTempFile("bpf4j-closed-pipe", ".txt");
            try {
                while (working.get()) {
                    Files.readString(f);
                    new ProcessBuilder("true").start().waitFor();
                    Thread.sleep(10);
                }
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
