package io.bpf4j.tools.irq;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * softirqs sees the NET_RX softirqs that UDP datagrams to 127.0.0.1 cause (loopback delivers each sent packet
 * through the receive softirq) and the timer softirqs that always run: at least as many runs as
 * {@code /proc/softirqs} counted meanwhile. The tool runs until {@code /proc/softirqs} shows the runs the test
 * waits for (then stopped, it prints its totals as at Ctrl-C).
 */
@KernelTest
class SoftirqsTest {
    /** /proc/softirqs, summed over CPUs, by the tool's (lower-case) vector name. */
    static Map<String, Long> procSoftirqs() throws IOException {
        Map<String, Long> m = new HashMap<>();
        for (String l : Files.readAllLines(Path.of("/proc/softirqs")).subList(1, 11)) {
            String[] c = l.trim().split("\\s+");
            long n = 0;
            for (int i = 1; i < c.length; i++) n += Long.parseLong(c[i]);
            m.put(c[0].replace(":", "").toLowerCase(java.util.Locale.ROOT), n);
        }
        return m;
    }

    /** 2000 datagrams to a socket of ours on 127.0.0.1, received. */
    static void loopbackUdp() throws IOException {
        try (DatagramChannel rx = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             DatagramChannel tx = DatagramChannel.open()) {
            ByteBuffer buf = ByteBuffer.allocate(64);
            for (int i = 0; i < 2000; i++) {
                tx.send(ByteBuffer.wrap(new byte[32]), rx.getLocalAddress());
                buf.clear();
                rx.receive(buf);
            }
        }
    }

    /**
     * Waits until {@code /proc/softirqs} shows at least {@code runs} more runs of {@code vector} than
     * {@code before} (timer softirqs come at the tick: how soon is the kernel's business), and returns it.
     */
    static Map<String, Long> awaitRuns(Map<String, Long> before, String vector, long runs) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Map<String, Long> now = procSoftirqs();
            if (now.get(vector) - before.get(vector) >= runs) return now;
            assertThat(System.nanoTime()).as("%d %s softirqs", runs, vector).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void printsEveryIntervalUntilTheCount() throws Exception {
        ToolRun r = ToolRun.start(Softirqs.class, "-C", "1", "2").finish();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.linesWith("TOTAL_count")).as(r.out()).hasSize(2);
    }

    private static Map<String, Long> rows(String out, String header) {
        Map<String, Long> rows = new HashMap<>();
        out.substring(out.indexOf(header) + header.length()).lines().filter(l -> !l.isBlank()).forEach(l -> {
            String[] c = l.trim().split("\\s+");
            rows.put(c[0], Long.parseLong(c[1]));
        });
        return rows;
    }

    @Test
    void countsNetRxAndTimerRuns() throws Exception {
        ToolRun.Running running = ToolRun.start(Softirqs.class, "-C");
        Map<String, Long> before = procSoftirqs();
        loopbackUdp();
        Map<String, Long> after = awaitRuns(before, "timer", 1);
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        Map<String, Long> seen = rows(r.out(), String.format("%-16s %11s%n", "SOFTIRQ", "TOTAL_count"));
        for (String v : new String[] {"net_rx", "timer"}) {
            long delta = after.get(v) - before.get(v);
            assertThat(delta).as(v + " in /proc/softirqs").isPositive();
            assertThat(seen.get(v)).as(v + " ran " + delta + " times; output:\n" + r.out()).isNotNull()
                    .isGreaterThanOrEqualTo(delta);
        }
    }

    @Test
    void timeAndDistributions() throws Exception {
        ToolRun.Running running = ToolRun.start(Softirqs.class, "-N");
        Map<String, Long> before = procSoftirqs();
        loopbackUdp();
        awaitRuns(before, "timer", 50); // about as many as in the 3 s this test once waited
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Tracing soft irq event time... Hit Ctrl-C to end.\n");
        Map<String, Long> seen = rows(r.out(), String.format("%-16s %11s%n", "SOFTIRQ", "TOTAL_nsecs"));
        assertThat(seen.get("net_rx")).as(r.out()).isNotNull().isGreaterThan(1000);
        assertThat(seen.get("timer")).as(r.out()).isNotNull().isGreaterThan(1000);

        running = ToolRun.start(Softirqs.class, "-d");
        before = procSoftirqs();
        loopbackUdp();
        awaitRuns(before, "timer", 1);
        r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("softirq = net_rx\n     usecs               : count     distribution\n")
                .contains("softirq = timer\n");
    }
}
