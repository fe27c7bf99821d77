package io.bpf4j.cli;

import io.bpf4j.core.KernelObjects;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bpf4j run} on a miniature opensnoop: the test opens a uniquely named file while the runner is attached,
 * and the runner's output shows that open decoded from the ring buffer with BTF, and the per-process count map
 * at exit; afterwards nothing it attached is left.
 */
class RunCommandTest {
    private record Run(int exit, String out, String err) {
    }

    private static CompletableFuture<Run> run(String... args) {
        return CompletableFuture.supplyAsync(() -> {
            StringWriter out = new StringWriter(), err = new StringWriter();
            CommandLine cl = Main.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            int exit = cl.execute(args);
            return new Run(exit, out.toString(), err.toString());
        });
    }

    @Test
    void streamsDecodedEventsAndPrintsMapsAtExit() throws Exception {
        ObjectCommandTest.root();
        Path object = ObjectCommandTest.fixture("run_opensnoop");
        String unique = "bpf4j-run-" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path file = Files.createTempFile(unique, ".txt");
        int pid = (int) ProcessHandle.current().pid();
        List<Integer> linksBefore = KernelObjects.linkIds();

        CompletableFuture<Run> running = run("run", object.toString(), "--duration", "3",
                "--set", "target_pid=" + pid);
        Thread.sleep(1500); // load and attach
        for (int i = 0; i < 3; i++) Files.readString(file);
        Run r = running.get();

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("1 program(s) attached, 1 ring buffer(s), 0 perf buffer(s)");
        assertThat(r.out()).contains("pid").contains("comm").contains("filename"); // the header, from BTF
        assertThat(r.out().lines().filter(l -> l.contains(unique)).toList())
                .as("one event line per open of %s", unique).hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(l -> assertThat(l).startsWith(String.valueOf(pid)));
        assertThat(r.out()).containsPattern("@opens_by_pid\\[" + pid + "]: [1-9]\\d*");
        assertThat(KernelObjects.linkIds()).as("links after exit").isSubsetOf(linksBefore);
        Files.delete(file);
    }

    @Test
    void perfBufferEventsAreDecodedToo() throws Exception {
        ObjectCommandTest.root();
        Path object = ObjectCommandTest.fixture("run_opensnoop_perf");
        String unique = "bpf4j-perf-" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path file = Files.createTempFile(unique, ".txt");
        int pid = (int) ProcessHandle.current().pid();
        CompletableFuture<Run> running = run("run", object.toString(), "--duration", "3",
                "--set", "target_pid=" + pid);
        Thread.sleep(1500);
        for (int i = 0; i < 3; i++) Files.readString(file);
        Run r = running.get();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("1 program(s) attached, 0 ring buffer(s), 1 perf buffer(s)")
                .contains("0 lost by perf buffers");
        assertThat(r.out().lines().filter(l -> l.contains(unique)).toList()).hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(l -> assertThat(l).startsWith(String.valueOf(pid)));
        Files.delete(file);
    }

    @Test
    void jsonLinesCarryTheDecodedFields() throws Exception {
        ObjectCommandTest.root();
        Path object = ObjectCommandTest.fixture("run_opensnoop");
        String unique = "bpf4j-json-" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path file = Files.createTempFile(unique, ".txt");
        int pid = (int) ProcessHandle.current().pid();
        CompletableFuture<Run> running = run("run", object.toString(), "--duration", "3", "--json",
                "--set", "target_pid=" + pid);
        Thread.sleep(1500);
        Files.readString(file);
        Run r = running.get();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().filter(l -> l.contains(unique)).findFirst()).hasValueSatisfying(l -> assertThat(l)
                .startsWith("{\"pid\":" + pid + ",\"comm\":").contains("\"filename\":\"" + file + "\""));
        assertThat(r.out()).contains("{\"map\":\"opens_by_pid\"");
        Files.delete(file);
    }
}
