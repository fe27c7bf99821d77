package io.bpf4j.tools.net;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcpstates follows a connection this JVM makes over loopback: the client socket goes CLOSE → SYN_SENT →
 * ESTABLISHED → FIN_WAIT1, the server's LISTEN socket comes and goes, and -D keeps only that port.
 */
@KernelTest
class TcpstatesTest {
    @Test
    void followsAClientConnectionThroughItsStates() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            int port = server.getLocalPort();
            ToolRun.Running running = ToolRun.start(Tcpstates.class, "-D", String.valueOf(port));
            int clientPort;
            try (Socket client = new Socket("127.0.0.1", port); Socket accepted = server.accept()) {
                clientPort = client.getLocalPort();
                OutputStream out = client.getOutputStream();
                out.write(new byte[1000]);
                out.flush();
                InputStream in = accepted.getInputStream();
                assertThat(in.readNBytes(1000)).hasSize(1000);
                client.shutdownOutput(); // FIN from the client first
                assertThat(in.read()).isEqualTo(-1);
            }
            // The moves after FIN_WAIT1 come as the peer's packets are processed (in a softirq, maybe later, by
            // ksoftirqd, on a busy machine): the tool is stopped once it has shown the third the test counts on.
            int local = clientPort;
            running.awaitOut("three moves of the client's socket with its port", o ->
                    clientLines(o, port).stream().filter(c -> !c[9].equals("SYN_SENT") && c[4].equals(
                            String.valueOf(local))).count() >= 3);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String[]> client = clientLines(r.out(), port);
            // Java's sockets are dual-stack IPv6 ones: their IPv4 addresses are v4-mapped
            assertThat(client).as(r.out()).allSatisfy(c -> {
                assertThat(c[3]).isIn("127.0.0.1", "::ffff:127.0.0.1");
                assertThat(c[5]).isIn("127.0.0.1", "::ffff:127.0.0.1");
            });
            assertThat(client.stream().map(c -> c[7] + "->" + c[9]).toList())
                    .containsSubsequence("CLOSE->SYN_SENT", "SYN_SENT->ESTABLISHED", "ESTABLISHED->FIN_WAIT1");
            // the port is chosen after the move to SYN_SENT; from then on, up to and including the move to
            // CLOSE, each line shows it
            assertThat(client.stream().filter(c -> !c[9].equals("SYN_SENT")).map(c -> c[4]).toList()).as(r.out())
                    .hasSizeGreaterThanOrEqualTo(3).containsOnly(String.valueOf(clientPort));
            assertThat(client.stream().filter(c -> c[9].equals("ESTABLISHED")).map(c -> c[1]))
                    .as("connect() runs in this JVM").containsOnly(String.valueOf(ProcessHandle.current().pid()));
        }
    }

    /** SKADDR PID COMM LADDR LPORT RADDR RPORT OLDSTATE -> NEWSTATE MS: the client's socket, remote port {@code port}. */
    private static List<String[]> clientLines(String out, int port) {
        return out.lines().skip(1).map(l -> l.trim().split("\\s+"))
                .filter(c -> c.length >= 10 && c[6].equals(String.valueOf(port))).toList();
    }
}
