package io.bpf4j.tools.packet;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ddosdetect raises alarms for a UDP flood on loopback (XDP and tracepoint hooks), and none without one. The flood
 * goes in bursts of {@value #BURST} datagrams, each received before the next is sent: a received datagram has
 * passed the hooks (in a softirq that a busy machine may run late, in ksoftirqd), so once the last burst is in, the
 * tool has seen every packet and is stopped.
 */
@KernelTest
class DdosdetectTest {
    private static final int FLOOD = 50_000;
    private static final int BURST = 100;

    @Test
    void alarmsOnAFloodAtTheTracepoint() throws Exception {
        assertAlarms(ToolRun.start(Ddosdetect.class, "--threshold", "1000", "--window", "100"));
    }

    @Test
    void alarmsOnAFloodWithXdpOnLo() throws Exception {
        ToolRun r = assertAlarms(ToolRun.start(Ddosdetect.class, "-i", "lo", "--threshold", "1000", "--window",
                "100"));
        assertThat(r.out()).contains("XDP on lo");
    }

    /** Also the test of -d: it ends by itself, and no workload has to fit in its 2 s. */
    @Test
    void noAlarmWithoutAFlood() throws Exception {
        ToolRun r = ToolRun.start(Ddosdetect.class, "--threshold", "10000000", "--window", "100", "-d", "2").finish();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.linesWith("DDOS ALARM")).isEmpty();
        assertThat(r.err()).contains("0 alarm(s)");
    }

    private static ToolRun assertAlarms(ToolRun.Running running) throws Exception {
        try (DatagramSocket receiver = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             DatagramSocket sender = new DatagramSocket(new InetSocketAddress("127.66.0.4", 0))) {
            receiver.setSoTimeout(60_000); // a datagram lost on the way fails the test instead of hanging it
            byte[] b = new byte[16];
            DatagramPacket p = new DatagramPacket(b, b.length, receiver.getLocalSocketAddress());
            DatagramPacket in = new DatagramPacket(new byte[16], 16);
            for (int sent = 0; sent < FLOOD; sent += BURST) {
                for (int i = 0; i < BURST; i++) sender.send(p);
                for (int i = 0; i < BURST; i++) receiver.receive(in);
            }
        }
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().skip(1).findFirst()).hasValueSatisfying(h ->
                assertThat(h.split("\\s+")).containsExactly("TIME", "RATE(pps)", "PACKETS", "IN(ms)"));
        List<String> alarms = r.linesWith("DDOS ALARM");
        assertThat(alarms).as(r.out()).isNotEmpty().allSatisfy(l -> {
            String[] c = l.trim().split("\\s+");
            assertThat(c[0]).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3}");
            assertThat(Long.parseLong(c[1])).as("rate").isGreaterThan(1000);
            assertThat(c[2]).as("packets in the window when the alarm fired").isEqualTo("100");
        });
        long seen = Long.parseLong(r.err().replaceAll("(?s).*ddosdetect: (\\d+) packets seen.*", "$1"));
        assertThat(seen).as("packets seen").isGreaterThanOrEqualTo(FLOOD);
        return r;
    }
}
