package io.bpf4j.tools.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import io.bpf4j.tools.proc.Exitsnoop;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --output perfetto:FILE}: exitsnoop records each child's life as a complete slice; the file is valid JSON
 * (the trace-event array format), the slices of every thread nest, threads are named after their command, and a
 * child that slept 0.4 s lived at least that long.
 */
@KernelTest
class PerfettoOutputTest {
    @Test
    void processLivesAreSlicesThatNest() throws Exception {
        Path file = Files.createTempFile("bpf4j-perfetto", ".json");
        try {
            ToolRun.Running running = ToolRun.start(Exitsnoop.class, "--output", "perfetto:" + file);
            List<Long> pids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Process p = new ProcessBuilder("sleep", "0.4").start();
                pids.add(p.pid());
                assertThat(p.waitFor()).isZero();
            }
            ToolRun r = running.stop(); // each exit was recorded before this JVM could reap the child
            assertThat(r.exit()).as(r.err()).isZero();

            JsonNode trace = new ObjectMapper().readTree(file.toFile());
            assertThat(trace.isArray()).isTrue();
            Map<Long, List<JsonNode>> slicesByTid = new HashMap<>();
            for (JsonNode e : trace) {
                if (e.path("ph").asText().equals("X")) {
                    slicesByTid.computeIfAbsent(e.get("tid").asLong(), t -> new ArrayList<>()).add(e);
                }
            }
            for (long pid : pids) {
                assertThat(slicesByTid.get(pid)).as("the slice of child %d", pid).singleElement().satisfies(s -> {
                    assertThat(s.get("name").asText()).isEqualTo("exit");
                    // at least the 0.4 s it slept; at most a minute, however slowly a busy machine ran it (a slip
                    // of units, ns for µs, would be 1000 times more)
                    assertThat(s.get("dur").asDouble()).as("µs alive").isBetween(350_000.0, 60_000_000.0);
                    assertThat(s.get("args").get("comm").asText()).isEqualTo("sleep");
                });
                assertThat(trace).as("thread %d is named", pid).anySatisfy(e -> {
                    assertThat(e.path("ph").asText()).isEqualTo("M");
                    assertThat(e.path("name").asText()).isEqualTo("thread_name");
                    assertThat(e.path("tid").asLong()).isEqualTo(pid);
                    assertThat(e.path("args").path("name").asText()).isEqualTo("sleep");
                });
            }
            slicesByTid.forEach((tid, slices) -> {
                slices.sort(Comparator.comparingDouble(s -> s.get("ts").asDouble()));
                for (int i = 0; i < slices.size(); i++) {
                    for (int j = i + 1; j < slices.size(); j++) {
                        double aStart = slices.get(i).get("ts").asDouble(), aEnd = aStart + slices.get(i).get("dur").asDouble();
                        double bStart = slices.get(j).get("ts").asDouble(), bEnd = bStart + slices.get(j).get("dur").asDouble();
                        assertThat(bStart >= aEnd || bEnd <= aEnd).as("slices of thread %d nest or follow", tid).isTrue();
                    }
                }
            });
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
