package io.bpf4j.tools.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.atIndex;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * tcplife reports a session this JVM makes over loopback: odd byte counts each way, held open for a while, the
 * client closing first. Both ends are sessions of this JVM: the client's (it connected) and the accepted one's (it
 * closed it); each sent what the other received. A session ends (and is recorded) when its socket moves to CLOSE,
 * as the peer's last packets are processed, maybe after close() returned: each test stops the tool once it has
 * shown the sessions the test looks for.
 */
@KernelTest
class TcplifeTest {
    private static final int TO_SERVER = 123457, TO_CLIENT = 54321;
    private static final long OPEN_MS = 200;
    private static final String PID = String.valueOf(ProcessHandle.current().pid());

    /** The ports of one session: the server's (the client's remote port) and the client's. */
    private record Ports(int server, int client) {
    }

    /**
     * Connects to {@code server}, sends {@link #TO_SERVER} bytes one way and {@link #TO_CLIENT} back, keeps the
     * connection open {@link #OPEN_MS} more, then closes the client and, once it has seen the client's FIN, the
     * accepted socket.
     */
    private static Ports session(ServerSocket server) throws Exception {
        try (Socket client = new Socket(server.getInetAddress(), server.getLocalPort());
             Socket accepted = server.accept()) {
            client.getOutputStream().write(new byte[TO_SERVER]);
            assertThat(accepted.getInputStream().readNBytes(TO_SERVER)).hasSize(TO_SERVER);
            accepted.getOutputStream().write(new byte[TO_CLIENT]);
            assertThat(client.getInputStream().readNBytes(TO_CLIENT)).hasSize(TO_CLIENT);
            Thread.sleep(OPEN_MS);
            int clientPort = client.getLocalPort();
            client.close();
            assertThat(accepted.getInputStream().read()).isEqualTo(-1);
            return new Ports(server.getLocalPort(), clientPort);
        }
    }

    /** The text lines with local port {@code lport} and remote port {@code rport}, split into columns. */
    private static List<String[]> lines(ToolRun r, int lport, int rport) {
        return lines(r.out(), lport, rport);
    }

    private static List<String[]> lines(String out, int lport, int rport) {
        // PID COMM LADDR LPORT RADDR RPORT TX_KB RX_KB MS, counted from the end
        return out.lines().skip(1).filter(l -> !l.isEmpty()).map(l -> l.trim().split("\\s+"))
                .filter(c -> c.length >= 9 && c[c.length - 6].equals(String.valueOf(lport))
                        && c[c.length - 4].equals(String.valueOf(rport)))
                .toList();
    }

    private static void assertLine(String[] c, String tx, String rx, String loopback) {
        int n = c.length;
        assertThat(c[n - 9]).as("PID").isEqualTo(PID);
        assertThat(c[n - 7]).as("LADDR").isIn(loopback, "::ffff:" + loopback);
        assertThat(c[n - 5]).as("RADDR").isIn(loopback, "::ffff:" + loopback);
        assertThat(c[n - 3]).as("TX_KB").isEqualTo(tx);
        assertThat(c[n - 2]).as("RX_KB").isEqualTo(rx);
        assertThat(Double.parseDouble(c[n - 1])).as("MS").isGreaterThanOrEqualTo(OPEN_MS);
    }

    @Test
    void printsBothEndsOfASession() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            ToolRun.Running running = ToolRun.start(Tcplife.class, "-p", PID, "-T");
            Ports p = session(server);
            running.awaitOut("both ends", o -> !lines(o, p.client(), p.server()).isEmpty()
                    && !lines(o, p.server(), p.client()).isEmpty());
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().findFirst()).contains(
                    "TIME     PID     COMM             LADDR           LPORT RADDR           RPORT TX_KB  RX_KB  MS");
            // 123457 bytes are 120.56 KiB, 54321 are 53.05
            List<String[]> client = lines(r, p.client(), p.server()), accepted = lines(r, p.server(), p.client());
            assertThat(client).as(r.out()).hasSize(1);
            assertThat(accepted).as(r.out()).hasSize(1);
            assertLine(client.getFirst(), "120.56", "53.05", "127.0.0.1");
            assertLine(accepted.getFirst(), "53.05", "120.56", "127.0.0.1");
            assertThat(client.getFirst()[0]).matches("\\d\\d:\\d\\d:\\d\\d");
        }
    }

    @Test
    void jsonCarriesTheExactDataBytes() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            ToolRun.Running running = ToolRun.start(Tcplife.class, "--json", "-p", PID);
            Ports p = session(server);
            running.awaitOut("both ends", o -> hasJson(o, p.client(), p.server())
                    && hasJson(o, p.server(), p.client()));
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(json(r, p.client(), p.server())).as(r.out()).hasSize(1).first().satisfies(m -> {
                assertThat(m.get("tx_bytes").asLong()).isEqualTo(TO_SERVER);
                assertThat(m.get("rx_bytes").asLong()).isEqualTo(TO_CLIENT);
                assertThat(m.get("pid").asText()).isEqualTo(PID);
                assertThat(m.get("laddr").asText()).isIn("127.0.0.1", "::ffff:127.0.0.1");
                assertThat(m.get("ms").asDouble()).isGreaterThanOrEqualTo(OPEN_MS);
            });
            assertThat(json(r, p.server(), p.client())).as(r.out()).hasSize(1).first().satisfies(m -> {
                assertThat(m.get("tx_bytes").asLong()).isEqualTo(TO_CLIENT);
                assertThat(m.get("rx_bytes").asLong()).isEqualTo(TO_SERVER);
                assertThat(m.get("pid").asText()).isEqualTo(PID);
                assertThat(m.get("ms").asDouble()).isGreaterThanOrEqualTo(OPEN_MS);
            });
        }
    }

    @Test
    void localPortKeepsOnlyTheAcceptedEndWideWithSeconds() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            String port = String.valueOf(server.getLocalPort());
            ToolRun.Running running = ToolRun.start(Tcplife.class, "-L", "1," + port, "-t", "-w");
            Ports p = session(server);
            running.awaitOut("the accepted end", o -> !lines(o, p.server(), p.client()).isEmpty());
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().findFirst()).contains("TIME(s)   PID     COMM             LADDR"
                    + " ".repeat(35) + "LPORT RADDR" + " ".repeat(35) + "RPORT TX_KB  RX_KB  MS");
            List<String[]> accepted = lines(r, p.server(), p.client());
            assertThat(accepted).as(r.out()).hasSize(1);
            assertLine(accepted.getFirst(), "53.05", "120.56", "127.0.0.1");
            assertThat(accepted.getFirst()[0]).as("seconds since the first session").isEqualTo("0.000000");
            assertThat(r.out().lines().skip(1)).as("only local port " + port).allSatisfy(
                    l -> assertThat(l.trim().split("\\s+")).contains(port, atIndex(4)));
        }
    }

    @Test
    void ipv6RemotePortKeepsOnlyTheClientEnd() throws Exception {
        try (ServerSocket server = ipv6Server()) {
            String port = String.valueOf(server.getLocalPort());
            ToolRun.Running running = ToolRun.start(Tcplife.class, "--json", "-6", "-D", port);
            Ports p = session(server);
            running.awaitOut("the client end", o -> hasJson(o, p.client(), p.server()));
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines()).as(r.out()).hasSize(1);
            assertThat(json(r, p.client(), p.server())).hasSize(1).first().satisfies(m -> {
                assertThat(m.get("family").asInt()).isEqualTo(6);
                assertThat(m.get("laddr").asText()).isEqualTo("::1");
                assertThat(m.get("raddr").asText()).isEqualTo("::1");
                assertThat(m.get("tx_bytes").asLong()).isEqualTo(TO_SERVER);
                assertThat(m.get("rx_bytes").asLong()).isEqualTo(TO_CLIENT);
                assertThat(m.get("pid").asText()).isEqualTo(PID);
                assertThat(m.get("ms").asDouble()).isGreaterThanOrEqualTo(OPEN_MS);
            });
        }
    }

    private static ServerSocket ipv6Server() {
        try {
            return new ServerSocket(0, 5, InetAddress.getByName("::1"));
        } catch (IOException e) {
            return abort("this machine has no IPv6 loopback (::1): " + e.getMessage());
        }
    }

    /** Whether {@code out} has a JSON line of the session with local port {@code lport} and remote port {@code rport}. */
    private static boolean hasJson(String out, int lport, int rport) {
        return out.lines().anyMatch(l -> l.contains("\"lport\":" + lport + ",")
                && l.contains("\"rport\":" + rport + ","));
    }

    /** The JSON lines with local port {@code lport} and remote port {@code rport}. */
    private static List<JsonNode> json(ToolRun r, int lport, int rport) throws Exception {
        List<JsonNode> found = new ArrayList<>();
        for (String line : r.out().lines().toList()) {
            JsonNode n = new ObjectMapper().readTree(line);
            if (n.get("lport").asInt() == lport && n.get("rport").asInt() == rport) found.add(n);
        }
        return found;
    }
}
