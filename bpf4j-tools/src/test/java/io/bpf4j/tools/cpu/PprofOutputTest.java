package io.bpf4j.tools.cpu;

import io.bpf4j.output.pprof.PprofFile;
import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import io.bpf4j.tools.Workload;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code profile --output pprof:FILE}: the profile read back (protobuf's parser, and {@code go tool pprof} where go is
 * installed) holds the stacks the tool printed, with the workload's own frames in its binary's mapping.
 */
@KernelTest
class PprofOutputTest {
    // a billion rounds of a loop that is not optimised away: CPU work, begun once the tool is attached; the process
    // then stays until the test closes it, so that the tool, stopped after "done", still finds its mappings
    private static final String WORK = """
            #include <stdio.h>
            void FN(void) { for (volatile long i = 0; i < 1000000000L; i++); }
            int main(void) { getchar(); FN(); puts("done"); fflush(stdout); getchar(); return 0; }
            """;

    private record Recorded(Workload workload, ToolRun run, PprofFile profile) {
    }

    /** Profiles the workload at 99 Hz from before it starts its work until it has done it. */
    private static Recorded record(Path file) throws Exception {
        Workload w = Workload.start("pprof", WORK);
        try {
            long before = System.currentTimeMillis() * 1_000_000;
            ToolRun.Running running = ToolRun.start(Profile.class, "-f", "-F", "99", "-p", String.valueOf(w.pid()),
                    "--output", "pprof:" + file);
            w.go();
            w.awaitLine();
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).containsPattern("to pprof:" + file + " \\(\\d+ B\\)");
            PprofFile p = PprofFile.read(file);
            assertThat(p.timeNanos()).isBetween(before, System.currentTimeMillis() * 1_000_000);
            return new Recorded(w, r, p);
        } catch (Throwable t) {
            w.close();
            throw t;
        }
    }

    @Test
    void profileWritesTheStacksItPrinted() throws Exception {
        Path file = Files.createTempFile("bpf4j-profile", ".pb.gz");
        Recorded rec = record(file);
        try (Workload w = rec.workload()) {
            PprofFile p = rec.profile();
            assertThat(p.sampleTypes()).containsExactly("samples/count", "cpu/nanoseconds");
            assertThat(p.periodType()).isEqualTo("cpu/nanoseconds");
            assertThat(p.period()).isEqualTo(1_000_000_000L / 99);
            assertThat(p.durationNanos()).isPositive();

            // the same samples as the folded lines on stdout, each with the CPU time it stands for
            long printed = rec.run().out().lines().mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)))
                    .sum();
            List<PprofFile.Sample> samples = p.samples();
            assertThat(samples.stream().mapToLong(s -> s.values().getFirst()).sum()).isEqualTo(printed);
            assertThat(samples).allSatisfy(s -> {
                assertThat(s.values().get(1)).isEqualTo(s.values().get(0) * p.period());
                assertThat(s.labels()).isEqualTo(Map.of("comm", w.comm));
                assertThat(s.functions().getLast()).as("the process as the root frame").isEqualTo(w.comm);
            });

            // the workload's function under main, in its own binary's mapping
            assertThat(samples).anySatisfy(s -> {
                assertThat(s.functions()).containsSubsequence(w.function, "main", w.comm);
                assertThat(s.locations().stream().filter(l -> l.function().equals(w.function)))
                        .allSatisfy(l -> assertThat(l.mapping()).endsWith("/" + w.comm));
            });
            assertThat(p.mappingsHaveFunctions()).isTrue();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void goToolPprofShowsTheWorkloadsFunction() throws Exception {
        PprofFile.goToolPprof("-h"); // skips the test when go is not installed, before the tool runs
        Path file = Files.createTempFile("bpf4j-profile", ".pb.gz");
        Recorded rec = record(file);
        try (Workload w = rec.workload()) {
            String top = PprofFile.goToolPprof("-top", file);
            assertThat(top).contains("Type: cpu").containsPattern("(?m)\\s" + w.function + "$")
                    .containsPattern("(?m)\\smain$");
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
