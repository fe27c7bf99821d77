package io.bpf4j.tools.packet;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * xdpfilter on {@code lo}: datagrams from the denied source never reach the receiver, those from another source do,
 * the counters and the per-prefix table show the drops, and no XDP program is left on {@code lo}. Nothing waits
 * for a while to see that no more datagrams come: the tool is stopped once every allowed datagram has arrived and
 * its interval counters show every denied one dropped (so none of those can arrive any more).
 */
@KernelTest
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
            receiver.setSoTimeout(60_000); // a datagram lost on the way fails the test instead of hanging it
            ToolRun.Running running = ToolRun.start(Xdpfilter.class, "-i", "lo", DENIED + "/32", "2001:db8::/32",
                    "1");
            InetSocketAddress to = (InetSocketAddress) receiver.getLocalSocketAddress();
            for (int i = 0; i < N; i++) {
                send(denied, to, "denied-" + i);
                send(allowed, to, "allowed-" + i);
            }
            List<String> got = new ArrayList<>();
            byte[] buf = new byte[64];
            // N datagrams pass; were a denied one among them, an allowed one would be missing from `got`
            while (got.size() < N) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                receiver.receive(p);
                got.add(p.getAddress().getHostAddress() + " " + new String(p.getData(), 0, p.getLength(),
                        StandardCharsets.US_ASCII));
            }
            running.awaitOut(N + " drops and passes in an interval's counters", o -> last(INTERVAL.matcher(o))
                    .map(c -> c[0] >= N && c[1] >= N).orElse(false));
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(got).as("datagrams received").hasSize(N).allSatisfy(g -> assertThat(g).startsWith(ALLOWED
                    + " allowed-"));
            assertThat(r.out().lines().findFirst()).hasValueSatisfying(h -> assertThat(h)
                    .startsWith("Dropping packets from 2 prefix(es) on lo (XDP skb mode)"));
            long[] counters = last(INTERVAL.matcher(r.out())).orElse(new long[] {-1, -1});
            long dropped = counters[0], passed = counters[1];
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

    private static final Pattern INTERVAL = Pattern.compile(
            "(?m)^\\d\\d:\\d\\d:\\d\\d dropped (\\d+) \\(\\+\\d+\\) passed (\\d+) ");

    /** The dropped and passed totals of the last interval line {@code m} finds. */
    private static Optional<long[]> last(Matcher m) {
        long[] last = null;
        while (m.find()) last = new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
        return Optional.ofNullable(last);
    }

    private static void send(DatagramSocket from, InetSocketAddress to, String payload) throws Exception {
        byte[] b = payload.getBytes(StandardCharsets.US_ASCII);
        from.send(new DatagramPacket(b, b.length, to.getAddress(), to.getPort()));
    }

}
