package io.bpf4j.tools.packet;

import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** ddosdetect raises alarms for a UDP flood on loopback (XDP and tracepoint hooks), and none without one. */
class DdosdetectTest {
    private static final int FLOOD = 50_000;

    @Test
    void alarmsOnAFloodAtTheTracepoint() throws Exception {
        assertAlarms(ToolRun.start(Ddosdetect.class, "--threshold", "1000", "--window", "100", "-d", "3"));
    }

    @Test
    void alarmsOnAFloodWithXdpOnLo() throws Exception {
        ToolRun r = assertAlarms(ToolRun.start(Ddosdetect.class, "-i", "lo", "--threshold", "1000", "--window",
                "100", "-d", "3"));
        assertThat(r.out()).contains("XDP on lo");
    }

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
            byte[] b = new byte[16];
            DatagramPacket p = new DatagramPacket(b, b.length, receiver.getLocalSocketAddress());
            for (int i = 0; i < FLOOD; i++) sender.send(p);
        }
        ToolRun r = running.finish();
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
