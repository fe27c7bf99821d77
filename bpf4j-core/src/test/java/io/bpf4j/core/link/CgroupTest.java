package io.bpf4j.core.link;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.KernelObjects;
import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A cgroup_skb egress program on a cgroup the test creates, counting what a child process in it sends. */
@KernelTest
class CgroupTest {
    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "cgroup programs need root");
        assumeTrue(Cgroup.mountPoint().isPresent(), "no cgroup v2 file system is mounted");
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "the child process needs bash (/dev/udp)");
    }

    static Program counter(BpfMap counts) {
        Assembler a = new Assembler();
        Commands.count(a, counts, 0, "out").mov64(Register.R0, 1).exit(); // 1: let the packet go
        return Program.load(ProgramSpec.of("cg_egress", ProgramType.CGROUP_SKB, a.build())
                .withExpectedAttachType(AttachType.CGROUP_INET_EGRESS));
    }

    @Test
    void countsPacketsSentByAProcessInTheCgroup() throws Exception {
        Path cg = Cgroup.mountPoint().orElseThrow().resolve("bpf4j-test-" + Commands.randomSuffix());
        Files.createDirectory(cg);
        try (BpfMap counts = BpfMap.create(MapSpec.builder(MapType.ARRAY).name("cg_counts").keySize(4)
                .valueSize(8).maxEntries(1).build());
             Program prog = counter(counts);
             DatagramSocket receiver = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            int linkId;
            try (Link link = Cgroup.attach(prog, cg, AttachType.CGROUP_INET_EGRESS)) {
                linkId = link.info().id();
                assertThat(link.info().type()).isEqualTo(3); // BPF_LINK_TYPE_CGROUP
                assertThat(link.description()).contains("cgroup_inet_egress").contains(cg.toString());
                int port = receiver.getLocalPort();
                Process child = new ProcessBuilder("/bin/bash", "-c", "echo $$ > " + cg.resolve("cgroup.procs")
                        + " && for i in 1 2 3 4 5; do echo hi > /dev/udp/127.0.0.1/" + port + "; done")
                        .redirectErrorStream(true).start();
                assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(child.exitValue()).as(new String(child.getInputStream().readAllBytes())).isZero();
                assertThat(Commands.read(counts, 0)).as("packets sent from the cgroup").isGreaterThanOrEqualTo(5);
            }
            assertThat(KernelObjects.linkIds()).doesNotContain(linkId);
            // This process is not in the cgroup: its packets were never counted, and nothing runs after close.
            long after = Commands.read(counts, 0);
            receiver.send(new java.net.DatagramPacket(new byte[1], 1, receiver.getLocalSocketAddress()));
            assertThat(Commands.read(counts, 0)).isEqualTo(after);
        } finally {
            // the child leaves the cgroup as its exit completes, a little after its parent saw it exit
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!deleted(cg) && System.nanoTime() < deadline) Thread.sleep(10);
        }
    }

    private static boolean deleted(Path cg) {
        try {
            Files.deleteIfExists(cg);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void aDirectoryOutsideCgroupV2IsExplained() {
        try (BpfMap counts = BpfMap.create(MapSpec.builder(MapType.ARRAY).name("cg_counts").keySize(4)
                .valueSize(8).maxEntries(1).build());
             Program prog = counter(counts)) {
            assertThatThrownBy(() -> Cgroup.attach(prog, Path.of("/tmp"), AttachType.CGROUP_INET_EGRESS))
                    .isInstanceOf(BpfException.class).hasMessageContaining("not in the cgroup v2 hierarchy");
            assertThatThrownBy(() -> Cgroup.attach(prog, Path.of("/nonexistent-bpf4j"),
                    AttachType.CGROUP_INET_EGRESS)).hasMessageContaining("no such directory");
        }
    }
}
