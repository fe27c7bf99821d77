package io.bpf4j.tools.packet;

import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * xdpfilter on {@code lo}: datagrams from the denied source never reach the receiver, those from another source do,
 * the counters and the per-prefix table show the drops, and no XDP program is left on {@code lo}.
 */
class XdpfilterTest {
    // Loopback sources of their own, so that other tests' traffic on lo is not dropped while this one runs.
    private static final String DENIED = "127.66.0.2";
    private static final String ALLOWED = "127.66.0.3";
    private static final int N = 20;

    @Test
    void dropsOnlyTheDeniedSourceAndDetaches() throws Exception {
        try (DatagramSocket receiver = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             DatagramSocket denied = new DatagramSocket(new InetSocketAddress(DENIED, 0));
             DatagramSocket allowed = new DatagramSocket(new InetSocketAddress(ALLOWED, 0))) {
            receiver.setSoTimeout(2000);
            ToolRun.Running running = ToolRun.start(Xdpfilter.class, "-i", "lo", DENIED + "/32", "2001:db8::/32",
                    "-d", "4", "1");
            InetSocketAddress to = (InetSocketAddress) receiver.getLocalSocketAddress();
            for (int i = 0; i < N; i++) {
                send(denied, to, "denied-" + i);
                send(allowed, to, "allowed-" + i);
            }
            List<String> got = new ArrayList<>();
            byte[] buf = new byte[64];
            try {
                while (got.size() < 2 * N) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    receiver.receive(p);
                    got.add(p.getAddress().getHostAddress() + " " + new String(p.getData(), 0, p.getLength(),
                            StandardCharsets.US_ASCII));
                }
            } catch (SocketTimeoutException done) {
                // everything that passes has arrived
            }
            ToolRun r = running.finish();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(got).as("datagrams received").hasSize(N).allSatisfy(g -> assertThat(g).startsWith(ALLOWED
                    + " allowed-"));
            assertThat(r.out().lines().findFirst()).hasValueSatisfying(h -> assertThat(h)
                    .startsWith("Dropping packets from 2 prefix(es) on lo (XDP skb mode)"));
            Matcher m = Pattern.compile("(?m)^\\d\\d:\\d\\d:\\d\\d dropped (\\d+) \\(\\+\\d+\\) passed (\\d+)")
                    .matcher(r.out());
            long dropped = -1, passed = -1;
            while (m.find()) {
                dropped = Long.parseLong(m.group(1));
                passed = Long.parseLong(m.group(2));
            }
            assertThat(dropped).as("dropped packets\n" + r.out()).isGreaterThanOrEqualTo(N);
            assertThat(passed).as("passed packets\n" + r.out()).isGreaterThanOrEqualTo(N);
            assertThat(r.linesWith("  cpu ")).hasSizeGreaterThanOrEqualTo(2);
            assertThat(r.linesWith(DENIED + "/32")).singleElement().satisfies(l ->
                    assertThat(Long.parseLong(l.trim().split("\\s+")[1])).isGreaterThanOrEqualTo(N));
            assertThat(r.linesWith("2001:db8:0:0:0:0:0:0/32")).singleElement().satisfies(l ->
                    assertThat(l.trim().split("\\s+")[1]).isEqualTo("0"));
        }
        Process ip = new ProcessBuilder("ip", "link", "show", "lo").redirectErrorStream(true).start();
        String link = new String(ip.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ip.waitFor()).isZero();
        assertThat(link).as("lo after exit").doesNotContain("xdp");
    }

    private static void send(DatagramSocket from, InetSocketAddress to, String payload) throws Exception {
        byte[] b = payload.getBytes(StandardCharsets.US_ASCII);
        from.send(new DatagramPacket(b, b.length, to.getAddress(), to.getPort()));
    }

}
