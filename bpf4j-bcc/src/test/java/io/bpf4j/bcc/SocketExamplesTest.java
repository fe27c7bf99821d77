package io.bpf4j.bcc;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** examples/InetListen.java and examples/TcpConnectLatency.java, on sockets the test opens on 127.0.0.1. */
@KernelTest
class SocketExamplesTest {
    @TempDir
    static Path cache;

    @Test
    void inetListenReportsAddressPortBacklogAndNamespace() throws Exception {
        String ns = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(); // net:[4026531840]
        long netns = Long.parseLong(ns.substring(ns.indexOf('[') + 1, ns.indexOf(']')));
        try (ExampleRun run = ExampleRun.start(cache, "InetListen.java")) {
            run.await(l -> l.startsWith("Attached to sock:inet_sock_set_state"), "its attached line");
            // an IPv4 socket (a ServerSocket is IPv6, v4-mapped, where the JDK has IPv6): the example traces AF_INET
            try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.INET)) {
                server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 77);
                int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
                String expected = "pid " + ProcessHandle.current().pid() + " listening on 7f000001 " + port
                        + " with 77 pending connections in netns " + netns;
                assertThat(run.await(l -> l.equals(expected), expected)).isEqualTo(expected);
            }
        }
    }

    @Test
    void tcpConnectLatencyCountsTheConnectsToOnePort() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            try (ExampleRun run = ExampleRun.start(cache, "TcpConnectLatency.java", String.valueOf(port))) {
                run.await(l -> l.startsWith("Attached to sock:inet_sock_set_state"), "its attached line");
                for (int i = 0; i < 5; i++) {
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port); Socket accepted = server.accept()) {
                        assertThat(accepted.getPort()).isEqualTo(s.getLocalPort());
                    }
                }
                run.closeInput();
                assertThat(run.waitFor()).as(run.output()).isZero();
                List<String> lines = run.lines();
                assertThat(lines).contains("connections to port " + port + ": 5");
                assertThat(lines).anyMatch(l -> l.matches("\\s+usecs\\s+: count\\s+distribution"));
                long total = lines.stream().filter(l -> l.matches("\\s*\\d+ -> \\d+\\s+: \\d+\\s+\\|.*\\|"))
                        .mapToLong(l -> Long.parseLong(l.split(":")[1].trim().split("\\s+")[0])).sum();
                assertThat(total).as("connections in the histogram").isEqualTo(5);
            }
        }
    }
}
