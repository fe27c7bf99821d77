package io.bpf4j.core.link;

import io.bpf4j.core.Await;
import io.bpf4j.core.BpfMap;
import io.bpf4j.core.KernelObjects;
import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.features.AttachHook;
import io.bpf4j.core.features.Features;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * TC programs on a veth pair whose peer lives in a network namespace the test creates: vA (this namespace,
 * 198.51.100.1/30) — vB (the test's namespace, 198.51.100.2/30). TEST-NET-1 addresses, and the traffic never leaves the
 * pair. Both the tcx link and the netlink clsact/cls_bpf fallback (forced) are exercised.
 */
@KernelTest
class TcTest {
    private static final String SUFFIX = Commands.randomSuffix();
    private static final String NS = "bpf4j-test-" + SUFFIX;
    private static final String VA = "b4jA" + SUFFIX, VB = "b4jB" + SUFFIX;

    @BeforeAll
    static void setUp() {
        assumeTrue(Host.isRoot(), "tc and network namespaces need root");
        assumeTrue(Commands.have("ip"), "iproute2 (ip) is not installed");
        assumeTrue(!Commands.check("ip", "-4", "addr").contains("198.51.100.")
                        && !Commands.check("ip", "-4", "route").contains("198.51.100."),
                "198.51.100.0/24 is in use on this machine: the test would disturb it");
        try {
            Commands.check("ip", "netns", "add", NS);
            Commands.check("ip", "link", "add", VA, "type", "veth", "peer", "name", VB, "netns", NS);
            Commands.check("ip", "addr", "add", "198.51.100.1/30", "dev", VA);
            Commands.check("ip", "link", "set", VA, "up");
            Commands.check("ip", "netns", "exec", NS, "ip", "addr", "add", "198.51.100.2/30", "dev", VB);
            Commands.check("ip", "netns", "exec", NS, "ip", "link", "set", VB, "up");
            Commands.check("ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up");
        } catch (RuntimeException e) {
            tearDown();
            throw e;
        }
    }

    @AfterAll
    static void tearDown() {
        Commands.run("ip", "link", "del", VA);
        Commands.run("ip", "netns", "del", NS);
    }

    /** Counts every packet into element {@code key} of {@code counts}; returns TC_ACT_OK (tcx: TCX_PASS). */
    static Program counter(BpfMap counts, int key) {
        Assembler a = new Assembler();
        Commands.count(a, counts, key, "out").mov64(Register.R0, 0).exit();
        return Program.load(ProgramSpec.of("tc_count", ProgramType.SCHED_CLS, a.build()));
    }

    static BpfMap counts() {
        return BpfMap.create(MapSpec.builder(MapType.ARRAY).name("tc_counts").keySize(4).valueSize(8)
                .maxEntries(2).build());
    }

    static void sendUdp(int n) throws Exception {
        // A fresh ARP exchange each time: the reply is ingress traffic on vA that no rate limit holds back.
        Commands.run("ip", "neigh", "flush", "dev", VA);
        long sent = txPackets();
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("198.51.100.1", 0))) {
            for (int i = 0; i < n; i++) {
                s.send(new DatagramPacket(new byte[]{(byte) i}, 1, new InetSocketAddress("198.51.100.2", 9)));
            }
        }
        // The datagrams wait for the ARP reply (which comes in through vA's ingress hook), then go out through
        // its egress hook, and the veth counts them sent: once it has, both hooks have seen what they will.
        Await.until(n + " datagrams sent out of " + VA, () -> txPackets() - sent >= n);
    }

    /** The packets vA has sent (counted by the veth driver, after the egress hook). */
    static long txPackets() throws Exception {
        return Long.parseLong(Files.readString(Path.of("/sys/class/net", VA, "statistics", "tx_packets")).strip());
    }

    @Test
    void tcxCountsBothDirectionsAndDetachesOnClose() throws Exception {
        assumeTrue(Probes.tcx().available(), () -> Probes.tcx()
                .toString());
        int linkId;
        try (BpfMap counts = counts(); Program prog = counter(counts, 0); Program prog2 = counter(counts, 1)) {
            try (Tc egress = Tc.attach(prog, VA, Tc.Direction.EGRESS);
                 Tc ingress = Tc.attach(prog2, VA, Tc.Direction.INGRESS)) {
                assertThat(egress.mechanism()).isEqualTo(Tc.Mechanism.TCX);
                linkId = egress.link().orElseThrow().info().id();
                assertThat(egress.link().orElseThrow().info().type()).isEqualTo(11); // BPF_LINK_TYPE_TCX
                assertThat(KernelObjects.linkIds()).contains(linkId, ingress.link().orElseThrow().info().id());
                sendUdp(10);
                assertThat(Commands.read(counts, 0)).as("packets out of " + VA).isGreaterThanOrEqualTo(10);
                assertThat(Commands.read(counts, 1)).as("packets into " + VA + " (ARP reply)").isPositive();
            }
            assertThat(KernelObjects.linkIds()).doesNotContain(linkId);
            long before = Commands.read(counts, 0);
            sendUdp(3);
            assertThat(Commands.read(counts, 0)).as("no counting once closed").isEqualTo(before);
        }
    }

    @Test
    void netlinkFallbackAddsClsactAndDirectActionFilterAndRemovesThem() throws Exception {
        assumeTrue(Features.attachHook(AttachHook.TC).available(), () -> Features.attachHook(AttachHook.TC)
                .toString());
        assumeTrue(Commands.have("tc"), "tc (iproute2) is not installed");
        Tc.forceNetlink = true;
        try (BpfMap counts = counts(); Program prog = counter(counts, 0)) {
            try (Tc egress = Tc.attach(prog, VA, Tc.Direction.EGRESS)) {
                assertThat(egress.mechanism()).isEqualTo(Tc.Mechanism.NETLINK);
                assertThat(egress.link()).isEmpty();
                assertThat(Commands.check("tc", "qdisc", "show", "dev", VA)).contains("clsact");
                assertThat(Commands.check("tc", "filter", "show", "dev", VA, "egress")).contains("bpf")
                        .contains("direct-action").contains("tc_count");
                // A second filter at the same priority/handle is refused, with a hint.
                assertThatThrownBy(() -> Tc.attach(prog, VA, Tc.Direction.EGRESS))
                        .hasMessageContaining("EEXIST").hasMessageContaining("already there");
                sendUdp(10);
                assertThat(Commands.read(counts, 0)).isGreaterThanOrEqualTo(10);
            }
            assertThat(Commands.check("tc", "filter", "show", "dev", VA, "egress")).doesNotContain("bpf");
            assertThat(Commands.check("tc", "qdisc", "show", "dev", VA)).doesNotContain("clsact");
        } finally {
            Tc.forceNetlink = false;
        }
    }

    @Test
    void onlySchedClsProgramsAttach() {
        try (Program xdp = Program.load(ProgramSpec.of("xdp_pass", ProgramType.XDP,
                new Assembler().mov64(Register.R0, 2).exit().build()))) {
            assertThatThrownBy(() -> Tc.attach(xdp, VA, Tc.Direction.INGRESS)).hasMessageContaining("not sched_cls");
        }
    }
}
