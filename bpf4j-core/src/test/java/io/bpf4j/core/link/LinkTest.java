package io.bpf4j.core.link;

import io.bpf4j.core.BpfStats;
import io.bpf4j.core.KernelObjects;
import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** BPF links: BPF_LINK_CREATE (XDP), BPF_RAW_TRACEPOINT_OPEN, BPF_LINK_DETACH, BPF_ENABLE_STATS. */
@KernelTest
class LinkTest {
    private static Program returning(String name, ProgramType type, int value) {
        return Program.load(ProgramSpec.of(name, type, new Assembler().mov64(Register.R0, value).exit().build()));
    }

    private static String ipLink(String dev) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "-d", "link", "show", dev).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("ip link show %s: %s", dev, out).isZero();
        return out;
    }

    @Test
    void xdpLinkOnLoopbackIsGoneWhenClosed() throws Exception {
        try (Program pass = returning("xdp_pass", ProgramType.XDP, 2)) {
            int linkId;
            try (Link link = Xdp.attach(pass, "lo", Xdp.Mode.GENERIC)) {
                LinkInfo info = link.info();
                linkId = info.id();
                assertThat(info.type()).isEqualTo(LinkInfo.TYPE_XDP);
                assertThat(info.programId()).isEqualTo(pass.info().id());
                assertThat(KernelObjects.linkIds()).contains(linkId);
                try (Link byId = Link.fromId(linkId)) {
                    assertThat(byId.info()).isEqualTo(info);
                }
                assertThat(ipLink("lo")).contains("xdpgeneric").contains("id " + pass.info().id());
            }
            assertThat(KernelObjects.linkIds()).doesNotContain(linkId);
            assertThat(ipLink("lo")).doesNotContain("xdp");
        }
    }

    @Test
    void detachedLinkLeavesTheInterfaceAtOnce() throws Exception {
        try (Program pass = returning("xdp_pass", ProgramType.XDP, 2);
             Link link = Xdp.attach(pass, "lo", Xdp.Mode.GENERIC)) {
            link.detach();
            assertThat(ipLink("lo")).doesNotContain("xdp");
        }
    }

    @Test
    void rawTracepointRunsOnSyscallsWhileAttached() throws Exception {
        try (BpfStats stats = BpfStats.enable();
             Program prog = returning("count_enter", ProgramType.RAW_TRACEPOINT, 0)) {
            try (Link link = RawTracepoint.attach(prog, "sys_enter")) {
                assertThat(link.info().type()).isEqualTo(LinkInfo.TYPE_RAW_TRACEPOINT);
                for (int i = 0; i < 100; i++) Files.exists(Path.of("/proc/self/stat")); // stat(2) syscalls
                assertThat(prog.info().runCount()).as("runs seen through BPF_ENABLE_STATS").isGreaterThanOrEqualTo(100);
            }
            long after = prog.info().runCount();
            for (int i = 0; i < 100; i++) Files.exists(Path.of("/proc/self/stat"));
            assertThat(prog.info().runCount()).as("no runs once detached").isEqualTo(after);
        }
    }

    @Test
    void attachingToAMissingInterfaceSaysSo() {
        try (Program pass = returning("xdp_pass", ProgramType.XDP, 2)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Xdp.attach(pass, "nosuchif0", Xdp.Mode.GENERIC))
                    .hasMessageContaining("no network interface named 'nosuchif0'");
        }
    }
}
