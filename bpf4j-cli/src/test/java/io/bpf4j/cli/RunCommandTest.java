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

    /** What one run saw: its output, and the uniquely named file the test opened while it ran. */
    private record Opened(Run run, String unique, Path file, int pid) {
        List<String> linesAboutTheFile() {
            return run.out().lines().filter(l -> l.contains(unique)).toList();
        }
    }

    /**
     * Runs {@code bpf4j run} on {@code fixture} for 3 s, filtered to this JVM's pid, and opens a uniquely named
     * file {@code opens} times while it is attached.
     */
    private static Opened runWhileOpening(String fixture, int opens, String... extraArgs) throws Exception {
        ObjectCommandTest.root();
        Path object = ObjectCommandTest.fixture(fixture);
        String unique = "bpf4j-run-" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path file = Files.createTempFile(unique, ".txt");
        int pid = (int) ProcessHandle.current().pid();
        List<String> args = new java.util.ArrayList<>(List.of("run", object.toString(), "--duration", "3",
                "--set", "target_pid=" + pid));
        args.addAll(List.of(extraArgs));
        try {
            CompletableFuture<Run> running = run(args.toArray(String[]::new));
            Thread.sleep(1500); // load and attach
            for (int i = 0; i < opens; i++) Files.readString(file);
            Run r = running.get();
            assertThat(r.exit()).as(r.err()).isZero();
            return new Opened(r, unique, file, pid);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void streamsDecodedEventsAndPrintsMapsAtExit() throws Exception {
        List<Integer> linksBefore = KernelObjects.linkIds();
        Opened o = runWhileOpening("run_opensnoop", 3);
        assertThat(o.run().err()).contains("1 program(s) attached, 1 ring buffer(s), 0 perf buffer(s)");
        assertThat(o.run().out()).contains("pid").contains("comm").contains("filename"); // the header, from BTF
        assertThat(o.linesAboutTheFile()).as("one event line per open of %s", o.unique())
                .hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(l -> assertThat(l).startsWith(String.valueOf(o.pid())));
        assertThat(o.run().out()).containsPattern("@opens_by_pid\\[" + o.pid() + "]: [1-9]\\d*");
        assertThat(KernelObjects.linkIds()).as("links after exit").isSubsetOf(linksBefore);
    }

    @Test
    void perfBufferEventsAreDecodedToo() throws Exception {
        Opened o = runWhileOpening("run_opensnoop_perf", 3);
        assertThat(o.run().err()).contains("1 program(s) attached, 0 ring buffer(s), 1 perf buffer(s)")
                .contains("0 lost by perf buffers");
        assertThat(o.linesAboutTheFile()).hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(l -> assertThat(l).startsWith(String.valueOf(o.pid())));
    }

    @Test
    void jsonLinesCarryTheDecodedFields() throws Exception {
        Opened o = runWhileOpening("run_opensnoop", 1, "--json");
        assertThat(o.linesAboutTheFile()).first().satisfies(l -> assertThat(l)
                .startsWith("{\"pid\":" + o.pid() + ",\"comm\":").contains("\"filename\":\"" + o.file() + "\""));
        assertThat(o.run().out()).contains("{\"map\":\"opens_by_pid\"");
    }

    @Test
    void outputRecordsTheEventsToo() throws Exception {
        Path json = Files.createTempFile("bpf4j-run", ".json");
        Path perfetto = Files.createTempFile("bpf4j-run", ".perfetto.json");
        try {
            Opened o = runWhileOpening("run_opensnoop_perf", 4, "-q",
                    "--output", "json:" + json + ",perfetto:" + perfetto);
            assertThat(o.run().err()).contains("bpf4j run: recorded ").contains("json:" + json)
                    .contains("perfetto:" + perfetto);
            assertThat(Files.readAllLines(json).stream().filter(l -> l.contains(o.file().toString())))
                    .hasSizeGreaterThanOrEqualTo(4).allSatisfy(l -> assertThat(l)
                            .startsWith("{\"event\":\"event\",\"ts\":").contains("\"pid\":" + o.pid()));
            String trace = Files.readString(perfetto);
            assertThat(trace).startsWith("[").contains("\"ph\":\"i\"").contains(o.file().toString()).endsWith("]\n");
        } finally {
            Files.deleteIfExists(json);
            Files.deleteIfExists(perfetto);
        }
    }
}
