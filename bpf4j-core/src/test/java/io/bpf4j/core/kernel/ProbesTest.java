package io.bpf4j.core.kernel;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The probes the library consults, against the real kernel; the "this machine" facts are those of the Linux 6.18
 * VM of shared/KERNEL.md (kprobes compiled out, fentry/fexit/LSM refused with EPERM under lockdown).
 */
@KernelTest
class ProbesTest {
    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "the probes load programs: needs root");
    }

    @Test
    void answersAreNamedAndCached() {
        assertThat(Probes.kprobe().name()).isEqualTo("kprobe");
        assertThat(Probes.fentry().name()).isEqualTo("fentry");
        assertThat(Probes.fexit().name()).isEqualTo("fexit");
        assertThat(Probes.lsm().name()).isEqualTo("lsm");
        assertThat(Probes.tcx().name()).isEqualTo("tcx");
        assertThat(Probes.attachCookie().name()).isEqualTo("get_attach_cookie");
        assertThat(Probes.fentry()).isSameAs(Probes.fentry());
    }

    @Test
    void thisMachine() {
        assumeTrue(Files.notExists(Path.of("/sys/bus/event_source/devices/kprobe")),
                "this kernel has a kprobe PMU: not the CONFIG_KPROBES=n kernel of KERNEL.md");
        assertThat(Probes.kprobe()).hasToString("kprobe: unavailable — CONFIG_KPROBES is not set");
        assertThat(Probes.fentry().reason()).contains("EPERM").contains("lockdown: " + KernelInfo.current().lockdown());
        assertThat(Probes.lsm().available()).isFalse();
        assertThat(Probes.tcx().available()).as("%s", Probes.tcx()).isTrue();
        assertThat(Probes.attachCookie().available()).as("%s", Probes.attachCookie()).isTrue();
    }

    @Test
    void kernelFactsAndConfig() throws Exception {
        KernelInfo k = KernelInfo.current();
        assertThat(k.release()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
        assertThat(KernelInfo.current()).isSameAs(k);
        KernelConfig c = KernelConfig.current();
        if (c.known()) {
            assertThat(c.source()).isPresent();
            assertThat(c.isSet("CONFIG_BPF_SYSCALL")).hasValue(true);
            assertThat(c.value("CONFIG_BPF_SYSCALL")).isEqualTo("y");
        } else {
            assertThat(c.source()).isEmpty();
            assertThat(c.knownUnset("CONFIG_BPF_SYSCALL")).isFalse();
        }
    }
}
