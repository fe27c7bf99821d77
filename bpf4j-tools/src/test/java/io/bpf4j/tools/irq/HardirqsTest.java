package io.bpf4j.tools.irq;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * hardirqs sees the device interrupts that synced disk writes cause: every device handler whose
 * {@code /proc/interrupts} count rose while the tool ran is in its output, with at least that many events. The
 * tool runs from before the first count is read until after the last (then stopped, it prints its totals as at
 * Ctrl-C); intervals and their count are checked on a run that needs no workload.
 */
@KernelTest
class HardirqsTest {
    /** Per-action interrupt counts (summed over CPUs) of the device lines of /proc/interrupts with one action. */
    static Map<String, Long> deviceInterrupts() throws IOException {
        Map<String, Long> counts = new HashMap<>();
        var lines = Files.readAllLines(Path.of("/proc/interrupts"));
        int cpus = lines.getFirst().trim().split("\\s+").length;
        for (String l : lines.subList(1, lines.size())) {
            String[] c = l.trim().split("\\s+");
            if (!c[0].matches("\\d+:") || c.length < cpus + 3 || l.contains(",")) continue;
            long n = 0;
            for (int i = 1; i <= cpus; i++) n += Long.parseLong(c[i]);
            counts.put(c[c.length - 1], n);
        }
        return counts;
    }

    /** Synced writes to a file on the root disk: each fsync completes with a block-device interrupt. */
    static void diskWrites() throws IOException {
        Path f = Files.createTempFile(Path.of("/var/tmp"), "bpf4j-hardirqs-", ".dat");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 50; i++) {
                ch.write(ByteBuffer.allocate(4096), (long) i * 4096);
                ch.force(true);
            }
        } finally {
            Files.delete(f);
        }
    }

    /** The rows after the header as name -> value. */
    private static Map<String, Long> rows(String out, String header) {
        Map<String, Long> rows = new HashMap<>();
        String table = out.substring(out.indexOf(header) + header.length());
        table.lines().filter(l -> !l.isBlank()).forEach(l -> {
            String[] c = l.trim().split("\\s+");
            rows.put(c[0], Long.parseLong(c[1]));
        });
        return rows;
    }

    @Test
    void countsEveryDeviceInterruptOfTheWindow() throws Exception {
        ToolRun.Running running = ToolRun.start(Hardirqs.class, "-C");
        Map<String, Long> before = deviceInterrupts();
        diskWrites();
        Map<String, Long> after = deviceInterrupts();
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Tracing hard irq events... Hit Ctrl-C to end.\n");
        Map<String, Long> seen = rows(r.out(), String.format("%-26s %11s%n", "HARDIRQ", "TOTAL_count"));
        long fired = 0;
        for (var e : after.entrySet()) {
            long delta = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (delta <= 0) continue;
            fired += delta;
            assertThat(seen.get(e.getKey())).as(e.getKey() + " fired " + delta + " times; output:\n" + r.out())
                    .isNotNull().isGreaterThanOrEqualTo(delta);
        }
        assertThat(fired).as("the synced writes raised device interrupts").isGreaterThanOrEqualTo(50);
    }

    @Test
    void timeInNanosecondsAndDistributions() throws Exception {
        ToolRun.Running running = ToolRun.start(Hardirqs.class, "-N", "-T");
        Map<String, Long> before = deviceInterrupts();
        diskWrites();
        String busiest = busiest(before, deviceInterrupts());
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).containsPattern("\n\\d\\d:\\d\\d:\\d\\d\nHARDIRQ +TOTAL_nsecs\n");
        assertThat(rows(r.out(), "TOTAL_nsecs\n").get(busiest)).as(r.out()).isNotNull().isGreaterThan(1000);

        running = ToolRun.start(Hardirqs.class, "-d");
        before = deviceInterrupts();
        diskWrites();
        busiest = busiest(before, deviceInterrupts());
        r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("hardirq = " + busiest + "\n     usecs               : count     distribution\n");
    }

    @Test
    void printsEveryIntervalUntilTheCount() throws Exception {
        ToolRun r = ToolRun.start(Hardirqs.class, "-C", "1", "2").finish();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.linesWith("TOTAL_count")).as(r.out()).hasSize(2);
    }

    /** The device handler whose count rose most between the two snapshots (the disk's, after diskWrites). */
    private static String busiest(Map<String, Long> before, Map<String, Long> after) {
        return after.entrySet().stream()
                .max(java.util.Comparator.comparingLong(e -> e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .orElseThrow().getKey();
    }
}
