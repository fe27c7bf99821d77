package io.bpf4j.tools.net;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.nio.channels.SocketChannel;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tcpconnect shows this JVM's connects to its own listeners on 127.0.0.1 (an IPv4 socket) and ::1. A connect is
 * recorded in connect(2) (the move to SYN_SENT), so the tool is stopped once the connects returned.
 */
@KernelTest
class TcpconnectTest {
    private static final String PID = String.valueOf(ProcessHandle.current().pid());

    @Test
    void showsEachConnectWithAddressesAndPort() throws Exception {
        try (ServerSocket v4 = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"));
             ServerSocket v6 = new ServerSocket(0, 5, InetAddress.getByName("::1"))) {
            ToolRun.Running running = ToolRun.start(Tcpconnect.class, "-p", PID,
                    "-P", v4.getLocalPort() + "," + v6.getLocalPort());
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.INET)) {
                c.connect(new InetSocketAddress("127.0.0.1", v4.getLocalPort()));
            }
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.INET6)) {
                c.connect(new InetSocketAddress("::1", v6.getLocalPort()));
            }
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().findFirst()).hasValueSatisfying(h -> assertThat(h.split("\\s+"))
                    .containsExactly("PID", "COMM", "IP", "SADDR", "DADDR", "DPORT"));
            assertThat(r.out().lines().skip(1).map(l -> l.split("\\s+"))).satisfiesExactly(
                    c -> assertThat(c).containsExactly(PID, c[1], "4", "127.0.0.1", "127.0.0.1",
                            String.valueOf(v4.getLocalPort())),
                    c -> assertThat(c).containsExactly(PID, c[1], "6", "::1", "::1", String.valueOf(v6.getLocalPort())));
        }
    }
}
