package io.bpf4j.tools.net;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * solisten shows this JVM listening on 127.0.0.1 (an IPv4 socket, and Java's default dual-stack IPv6 one) and on
 * ::1, with the backlogs it chose, in its network namespace. A socket's move to LISTEN is recorded in listen(2), so
 * the tool is stopped once the sockets are bound.
 */
@KernelTest
class SolistenTest {
    private static final long PID = ProcessHandle.current().pid();

    @Test
    void showsAddressPortBacklogAndNetns() throws Exception {
        String netns = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString().replaceAll("\\D", "");
        ToolRun.Running running = ToolRun.start(Solisten.class, "-p", String.valueOf(PID));
        int port4, port6, portMapped;
        try (ServerSocketChannel v4 = ServerSocketChannel.open(StandardProtocolFamily.INET)
                .bind(new InetSocketAddress("127.0.0.1", 0), 77);
             ServerSocket v6 = new ServerSocket(0, 33, InetAddress.getByName("::1"));
             ServerSocket mapped = new ServerSocket(0, 11, InetAddress.getByName("127.0.0.1"))) {
            port4 = ((InetSocketAddress) v4.getLocalAddress()).getPort();
            port6 = v6.getLocalPort();
            portMapped = mapped.getLocalPort();
        }
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().findFirst()).hasValueSatisfying(h -> assertThat(h.split("\\s+"))
                .containsExactly("PID", "COMM", "NETNS", "PROTO", "BACKLOG", "ADDR", "PORT"));
        assertThat(r.out().lines().filter(l -> l.endsWith(" " + port4)).map(l -> l.split("\\s+")))
                .singleElement().satisfies(c -> assertThat(c).containsExactly(String.valueOf(PID), c[1], netns,
                        "TCPv4", "77", "127.0.0.1", String.valueOf(port4)));
        assertThat(r.out().lines().filter(l -> l.endsWith(" " + port6)).map(l -> l.split("\\s+")))
                .singleElement().satisfies(c -> assertThat(c).containsExactly(String.valueOf(PID), c[1], netns,
                        "TCPv6", "33", "::1", String.valueOf(port6)));
        assertThat(r.out().lines().filter(l -> l.endsWith(" " + portMapped)).map(l -> l.split("\\s+")))
                .singleElement().satisfies(c -> assertThat(c).containsExactly(String.valueOf(PID), c[1], netns,
                        "TCPv6", "11", "::ffff:127.0.0.1", String.valueOf(portMapped)));
    }
}
