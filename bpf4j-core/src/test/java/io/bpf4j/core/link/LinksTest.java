package io.bpf4j.core.link;

import io.bpf4j.core.KernelObjects;
import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.btf.KernelBtf;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Generic BPF_LINK_CREATE ({@link Links}) and kprobe_multi links. */
@KernelTest
class LinksTest {
    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "loading programs needs root");
    }

    private static ProgramSpec returning(ProgramType type, int value) {
        return ProgramSpec.of("links_test", type, new Assembler().mov64(Register.R0, value).exit().build());
    }

    @Test
    void iteratorLinkNeedsNoTarget() {
        int task = KernelBtf.vmlinux().typeId("bpf_iter_task", BtfKind.FUNC).orElse(-1);
        assumeTrue(task > 0, "no bpf_iter_task in kernel BTF");
        try (Program iter = Program.load(returning(ProgramType.TRACING, 0)
                .withExpectedAttachType(AttachType.TRACE_ITER).withAttachBtf(task, 0));
             Link link = Links.create(iter, 0, AttachType.TRACE_ITER, 0)) {
            assertThat(link.info().type()).isEqualTo(4); // BPF_LINK_TYPE_ITER
            assertThat(link.info().programId()).isEqualTo(iter.info().id());
            assertThat(link.description()).contains("trace_iter").contains("links_test");
        }
    }

    @Test
    void tcxLinkOnLoopbackIsGoneWhenClosed() {
        assumeTrue(Files.exists(Path.of("/sys/class/net/lo")), "no loopback interface");
        try (Program pass = Program.load(returning(ProgramType.SCHED_CLS, -1))) {
            int id;
            try (Link link = Links.create(pass, Xdp.ifindex("lo"), AttachType.TCX_INGRESS, 0)) {
                id = link.info().id();
                assertThat(link.info().type()).isEqualTo(11); // BPF_LINK_TYPE_TCX
                assertThat(KernelObjects.linkIds()).contains(id);
            }
            assertThat(KernelObjects.linkIds()).doesNotContain(id);
            // No such interface: the kernel's answer, with the attach type in the message.
            assertThatThrownBy(() -> Links.create(pass, 0, AttachType.TCX_INGRESS, 0))
                    .isInstanceOf(BpfException.class).hasMessageContaining("tcx_ingress")
                    .satisfies(e -> assertThat(((BpfException) e).errnoCode()).isPositive());
        }
    }

    @Test
    void kprobeMultiNamesTheFunctionWhenRefused() {
        assumeTrue(Files.notExists(Path.of("/sys/bus/event_source/devices/kprobe")),
                "this kernel has kprobes: kprobe_multi may attach here");
        try (Program kp = Program.load(returning(ProgramType.KPROBE, 0)
                .withExpectedAttachType(AttachType.TRACE_KPROBE_MULTI))) {
            assertThatThrownBy(() -> KprobeMulti.attach(kp, "bpf_fentry_test1"))
                    .isInstanceOf(BpfException.class).hasMessageContaining("kprobe_multi")
                    .hasMessageContaining("bpf_fentry_test1");
        }
        assertThatThrownBy(() -> KprobeMulti.attach(null, new String[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
