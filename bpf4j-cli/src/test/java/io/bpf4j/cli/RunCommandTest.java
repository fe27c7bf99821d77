package io.bpf4j.cli;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bpf4j run} on a miniature opensnoop: the test opens a uniquely named file while the runner is attached,
 * and the runner's output shows that open decoded from the ring buffer with BTF, and the per-process count map
 * at exit; afterwards nothing it attached is left. The test opens the file once the runner says it is attached,
 * and stops it once the opens are done: nothing has to fit in a duration.
 */
@KernelTest
class RunCommandTest {
    private record Run(int exit, String out, String err) {
    }

    /** {@code bpf4j run} started on a thread of its own: what it printed so far, its end, and a way to stop it. */
    private record Running(RunCommand command, StringWriter err, CompletableFuture<Run> future) {
        /** Waits until the runner says it is attached (its events read from then on), at most 60 s. */
        void awaitAttached() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!errSoFar().contains("program(s) attached")) {
                if (future.isDone()) throw new AssertionError("bpf4j run ended before it was attached: " + future.get());
                assertThat(System.nanoTime()).as("attached within 60 s: %s", errSoFar()).isLessThan(deadline);
                Thread.sleep(10);
            }
        }

        String errSoFar() {
            synchronized (err.getBuffer()) {
                return err.toString();
            }
        }

        /** Stops it as Ctrl-C does and waits for its end (at most 60 s). */
        Run stop() throws Exception {
            command.stop();
            return future.get(60, TimeUnit.SECONDS);
        }
    }

    private static Running run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        CompletableFuture<Run> future = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("bpf4j-run").start(() -> {
            try {
                int exit = cl.execute(args);
                future.complete(new Run(exit, out.toString(), err.toString()));
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        return new Running((RunCommand) cl.getSubcommands().get("run").getCommand(), err, future);
    }

    /** What one run saw: its output, and the uniquely named file the test opened while it ran. */
    private record Opened(Run run, String unique, Path file, int pid) {
        List<String> linesAboutTheFile() {
            return run.out().lines().filter(l -> l.contains(unique)).toList();
        }
    }

    /**
     * Runs {@code bpf4j run} on {@code fixture}, filtered to this JVM's pid, opens a uniquely named file
     * {@code opens} times once it says it is attached, then stops it (as Ctrl-C does): each open is in the ring or
     * perf buffer before open() returns, and the runner reads what is there before it ends.
     */
    private static Opened runWhileOpening(String fixture, int opens, String... extraArgs) throws Exception {
        ObjectCommandTest.root();
        Path object = ObjectCommandTest.fixture(fixture);
        String unique = "bpf4j-run-" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path file = Files.createTempFile(unique, ".txt");
        int pid = (int) ProcessHandle.current().pid();
        List<String> args = new java.util.ArrayList<>(List.of("run", object.toString(),
                "--set", "target_pid=" + pid));
        args.addAll(List.of(extraArgs));
        try {
            Running running = run(args.toArray(String[]::new));
            running.awaitAttached();
            for (int i = 0; i < opens; i++) Files.readString(file);
            Run r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            return new Opened(r, unique, file, pid);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void streamsDecodedEventsAndPrintsMapsAtExit() throws Exception {
        List<Integer> linksBefore = ProcessLinks.own();
        Opened o = runWhileOpening("run_opensnoop", 3);
        assertThat(o.run().err()).contains("1 program(s) attached, 1 ring buffer(s), 0 perf buffer(s)");
        assertThat(o.run().out()).contains("pid").contains("comm").contains("filename"); // the header, from BTF
        assertThat(o.linesAboutTheFile()).as("one event line per open of %s", o.unique())
                .hasSizeGreaterThanOrEqualTo(3)
                .allSatisfy(l -> assertThat(l).startsWith(String.valueOf(o.pid())));
        assertThat(o.run().out()).containsPattern("@opens_by_pid\\[" + o.pid() + "]: [1-9]\\d*");
        assertThat(ProcessLinks.own()).as("links after exit").isSubsetOf(linksBefore);
    }

    @Test
    void endsByItselfAfterItsDuration() throws Exception {
        ObjectCommandTest.root();
        List<Integer> linksBefore = ProcessLinks.own();
        Running running = run("run", ObjectCommandTest.fixture("run_opensnoop").toString(), "--duration", "0.5");
        Run r = running.future().get(60, TimeUnit.SECONDS);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("1 program(s) attached").contains("for 0.5 s").contains("detached");
        assertThat(ProcessLinks.own()).as("links after exit").isSubsetOf(linksBefore);
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
