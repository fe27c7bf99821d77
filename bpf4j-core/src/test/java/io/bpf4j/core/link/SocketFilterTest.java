package io.bpf4j.core.link;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.asm.Size;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A socket filter on a raw AF_PACKET socket bound to lo that only lets UDP through — to the test's own port, so
 * that other processes' datagrams on lo (other tests on a busy machine) are not counted — counting what it keeps.
 */
@KernelTest
class SocketFilterTest {
    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "packet sockets need CAP_NET_RAW");
    }

    /** Keeps IPv4/UDP frames to {@code port} (whole) and counts them; drops everything else (returns 0). */
    static Program udpOnly(BpfMap counts, int port) {
        Assembler a = new Assembler()
                .mov64(Register.R6, Register.R1)      // LD_ABS needs the skb in R6
                .ldAbs(Size.H, 12)                    // ethertype (LD_ABS converts to host order)
                .jne(Register.R0, 0x0800, "drop")
                .ldAbs(Size.B, 14 + 9)                // IPv4 protocol
                .jne(Register.R0, 17, "drop")
                .ldAbs(Size.H, 14 + 20 + 2)           // UDP destination port (a 20-byte IPv4 header, as lo's are)
                .jne(Register.R0, port, "drop");
        Commands.count(a, counts, 0, "counted")
                .ldxW(Register.R0, Register.R6, 0)    // __sk_buff.len: keep the whole frame
                .exit()
                .label("drop")
                .mov64(Register.R0, 0)
                .exit();
        return Program.load(ProgramSpec.of("udp_only", ProgramType.SOCKET_FILTER, a.build()));
    }

    @Test
    void rawSocketOnLoopbackSeesOnlyUdp() throws Exception {
        int k = 10;
        try (BpfMap counts = BpfMap.create(MapSpec.builder(MapType.ARRAY).name("sf_counts").keySize(4)
                .valueSize(8).maxEntries(1).build());
             DatagramSocket receiver = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             Program prog = udpOnly(counts, receiver.getLocalPort());
             SocketFilter.PacketSocket raw = SocketFilter.PacketSocket.open("lo");
             DatagramSocket sender = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
             ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            byte[] frame = new byte[2048];
            try (SocketFilter filter = SocketFilter.attach(prog, raw.fd())) {
                assertThat(filter.description()).contains("udp_only");
                while (raw.poll(frame) >= 0) {
                    // frames queued before the filter was attached
                }
                for (int i = 0; i < k; i++) {
                    sender.send(new DatagramPacket(new byte[]{(byte) i}, 1, receiver.getLocalSocketAddress()));
                }
                // Each datagram went past the packet socket on its way out (in send) and on its way in (in the
                // receive softirq, which a busy machine may run late): once the receiver has them all, both
                // copies were filtered and queued. No sleep and hope.
                receiver.setSoTimeout(60_000);
                for (int i = 0; i < k; i++) receiver.receive(new DatagramPacket(new byte[1], 1));
                // TCP traffic on lo too, which the filter must keep out.
                try (Socket c = new Socket("127.0.0.1", server.getLocalPort()); Socket s = server.accept()) {
                    c.getOutputStream().write(new byte[100]);
                    s.getInputStream().readNBytes(100);
                }
                int frames = 0;
                int len;
                while ((len = raw.poll(frame)) >= 0) {
                    assertThat(len).isGreaterThanOrEqualTo(14 + 20 + 8);
                    assertThat(frame[12] & 0xff).isEqualTo(0x08);
                    assertThat(frame[23]).as("IPv4 protocol of a frame the filter kept").isEqualTo((byte) 17);
                    frames++;
                }
                // Each loopback datagram shows up twice on an ETH_P_ALL socket: outgoing and incoming.
                assertThat(frames).isGreaterThanOrEqualTo(k);
                assertThat(Commands.read(counts, 0)).isGreaterThanOrEqualTo(k).isEqualTo(frames);
            }
            // Detached: TCP frames arrive again.
            while (raw.poll(frame) >= 0) {
                // drain
            }
            // the byte was read, so its frame went past the packet socket (both ways) before read() returned
            try (Socket c = new Socket("127.0.0.1", server.getLocalPort()); Socket s = server.accept()) {
                c.getOutputStream().write(1);
                s.getInputStream().read();
            }
            boolean sawTcp = false;
            int len;
            while ((len = raw.poll(frame)) >= 0) {
                if (len > 23 && frame[23] == 6) sawTcp = true;
            }
            assertThat(sawTcp).as("TCP seen once the filter is detached").isTrue();
        }
    }

    @Test
    void attachingToANonSocketSaysSo() {
        try (Program prog = Program.load(ProgramSpec.of("sf", ProgramType.SOCKET_FILTER,
                new Assembler().mov64(Register.R0, 0).exit().build()))) {
            assertThatThrownBy(() -> SocketFilter.attach(prog, prog.fd())).isInstanceOf(BpfException.class)
                    .hasMessageContaining("SO_ATTACH_BPF").hasMessageContaining("not an open socket");
        }
    }
}
