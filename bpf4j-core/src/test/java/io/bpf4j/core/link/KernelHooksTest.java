package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * kprobe, fentry/fexit and LSM attachments. Each test asks {@link Probes} whether the hook
 * works on this kernel: where it does, the program is attached for real (and the link checked); where it does not —
 * on the 6.18 VMs this project runs on, kprobes are compiled out (CONFIG_KPROBES is not set) and fentry/fexit/LSM
 * loads are refused with EPERM under lockdown=integrity — the test asserts that the error says exactly why, in the
 * words Features uses. So the tests are meaningful on both kinds of kernel.
 */
@KernelTest
class KernelHooksTest {
    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "loading tracing programs needs root");
    }

    private static Instructions returning0() {
        return new Assembler().mov64(Register.R0, 0).exit().build();
    }

    @Test
    void syscallFunctionNamesHaveTheArchitecturePrefix() {
        String arch = System.getProperty("os.arch");
        if (arch.equals("amd64")) assertThat(Kprobe.syscall("openat")).isEqualTo("__x64_sys_openat");
        if (arch.equals("aarch64")) assertThat(Kprobe.syscall("openat")).isEqualTo("__arm64_sys_openat");
        assertThat(Kprobe.syscall("getpid")).endsWith("sys_getpid");
    }

    @Test
    void kprobeAttachesOrSaysWhyNot() {
        Probe kprobe = Kprobe.availability();
        try (Program prog = Program.load(ProgramSpec.of("kp_test", ProgramType.KPROBE, returning0()))) {
            if (kprobe.available()) {
                // A kernel with kprobes: entry and return probes attach as perf-event BPF links.
                try (Link entry = Kprobe.attach(prog, Kprobe.syscall("getpid"), false);
                     Link ret = Kprobe.attach(prog, Kprobe.syscall("getpid"), true)) {
                    assertThat(entry.description()).startsWith("kprobe 'kp_test' on ");
                    assertThat(ret.description()).startsWith("kretprobe ");
                    assertThat(entry.info().programId()).isEqualTo(prog.info().id());
                }
                assertThatThrownBy(() -> Kprobe.attach(prog, "bpf4j_no_such_function", false))
                        .isInstanceOf(BpfException.class).hasMessageContaining("bpf4j_no_such_function");
            } else {
                // This VM: "kprobe: unavailable — CONFIG_KPROBES is not set (no /sys/bus/event_source/devices/kprobe)".
                assertThatThrownBy(() -> Kprobe.attach(prog, Kprobe.syscall("openat"), false))
                        .isInstanceOf(BpfException.class)
                        .hasMessageContaining("kprobe 'kp_test' on " + Kprobe.syscall("openat"))
                        .hasMessageContaining("kprobe: unavailable — " + kprobe.reason())
                        .hasMessageContaining("/sys/bus/event_source/devices/kprobe");
            }
        }
    }

    @Test
    void fentryAndFexitAttachOrSayWhyNot() {
        for (boolean exit : new boolean[]{false, true}) {
            ProgramSpec spec = Fentry.spec(exit ? "fexit_test" : "fentry_test", "bpf_fentry_test1", exit,
                    returning0());
            Probe probe = exit ? Probes.fexit() : Probes.fentry();
            if (probe.available()) {
                try (Program prog = Fentry.load(spec); Link link = Fentry.attach(prog)) {
                    assertThat(link.info().programId()).isEqualTo(prog.info().id());
                }
            } else {
                // This VM: "fentry: unavailable — program load refused with EPERM (lockdown: integrity)".
                assertThatThrownBy(() -> Fentry.load(spec)).isInstanceOf(BpfException.class)
                        .hasMessageContaining(probe.toString())
                        .satisfies(e -> assertThat(((BpfException) e).errnoCode()).isPositive());
            }
        }
        assertThatThrownBy(() -> Fentry.spec("x", "bpf4j_no_such_function", false, returning0()))
                .hasMessageContaining("no kernel function 'bpf4j_no_such_function'");
    }

    @Test
    void lsmAttachesOrSaysWhyNot() {
        Probe lsm = Lsm.availability();
        ProgramSpec spec = Lsm.spec("lsm_test", "file_open", returning0());
        if (lsm.available()) {
            try (Program prog = Lsm.load(spec); Link link = Lsm.attach(prog)) {
                assertThat(link.info().programId()).isEqualTo(prog.info().id());
            }
        } else {
            assertThatThrownBy(() -> Lsm.load(spec)).isInstanceOf(BpfException.class)
                    .hasMessageContaining(lsm.toString());
        }
    }

    @Test
    void wrongProgramTypesAreRefusedBeforeTheKernelIsAsked() {
        try (Program xdp = Program.load(ProgramSpec.of("xdp_pass", ProgramType.XDP,
                new Assembler().mov64(Register.R0, 2).exit().build()))) {
            assertThatThrownBy(() -> Kprobe.attach(xdp, "x", false)).hasMessageContaining("not kprobe");
            assertThatThrownBy(() -> Fentry.attach(xdp)).hasMessageContaining("not tracing");
            assertThatThrownBy(() -> Lsm.attach(xdp)).hasMessageContaining("not lsm");
            assertThatThrownBy(() -> SocketFilter.attach(xdp, 0)).hasMessageContaining("not socket_filter");
        }
    }
}
