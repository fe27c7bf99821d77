package io.bpf4j.core.elf;

import io.bpf4j.core.Await;
import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.features.Features;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.link.RawTracepoint;
import io.bpf4j.core.object.ObjectExtern;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Externs ({@code __kconfig}, typed and typeless {@code __ksym}, kfunc calls) and BTF attach targets (tp_btf,
 * fentry, lsm, iter) resolved against the running kernel. Needs root and kernel BTF.
 */
@KernelTest
class ExternsAndAttachTargetsTest {

    @BeforeEach
    void needsRootAndBtf() {
        assumeTrue(Host.isRoot(), "loading BPF objects needs root (CAP_BPF)");
        assumeTrue(Files.exists(Path.of("/sys/kernel/btf/vmlinux")), "needs kernel BTF (CONFIG_DEBUG_INFO_BTF)");
    }

    @Test
    void parsedExternsHaveTheirKinds() {
        ObjectSpec spec = ObjectSpecTest.spec("externs");
        assertThat(spec.externs()).contains(
                new ObjectExtern("LINUX_KERNEL_VERSION", ObjectExtern.Kind.KCONFIG, false, false),
                new ObjectExtern("CONFIG_BPF4J_NO_SUCH_OPTION", ObjectExtern.Kind.KCONFIG, true, false),
                new ObjectExtern("bpf_prog_active", ObjectExtern.Kind.KSYM, false, false),
                new ObjectExtern("bpf_task_acquire", ObjectExtern.Kind.KSYM, false, true),
                new ObjectExtern("bpf4j_no_such_kfunc", ObjectExtern.Kind.KSYM, true, true));
    }

    @Test
    void kconfigKsymsAndKfuncsResolveAndTheProgramSeesTheirValues() throws Exception {
        try (BpfObject obj = BpfObject.load(ObjectSpecTest.spec("externs"))) {
            BpfMap kconfig = obj.map(".kconfig");
            assertThat(kconfig.isFrozen()).isTrue();
            try (Link link = RawTracepoint.attach(obj.program("on_switch"))) {
                // until a context switch ran it (one comes at the latest when this thread sleeps)
                Await.until("a context switch", () -> global(obj, "acquired") != 0);
            }
            String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
            String[] v = release.split("[.-]");
            long expected = (Long.parseLong(v[0]) << 16) + (Long.parseLong(v[1]) << 8)
                    + Math.min(255, Long.parseLong(v[2]));
            assertThat(global(obj, "kernel_version")).isEqualTo(expected);
            String config = kernelConfig();
            assertThat(global(obj, "hz")).isEqualTo(Long.parseLong(option(config, "CONFIG_HZ")));
            assertThat(global(obj, "bpf_syscall")).isEqualTo(1);      // CONFIG_BPF_SYSCALL=y as bool
            assertThat(global(obj, "tristate")).isZero();              // weak and missing
            assertThat(global(obj, "kprobes")).isEqualTo(option(config, "CONFIG_KPROBES") == null ? 0 : 1);
            assertThat(global(obj, "cookie")).isEqualTo(
                    Features.helper(ProgramType.TRACEPOINT, "bpf_get_attach_cookie").available() ? 1 : 0);
            assertThat(global(obj, "missing")).isZero();
            String local = option(config, "CONFIG_LOCALVERSION");
            String expectedLocal = local == null ? "" : local.substring(1, local.length() - 1);
            if (expectedLocal.length() > 15) expectedLocal = expectedLocal.substring(0, 15);
            assertThat(string(obj, "localversion")).isEqualTo(expectedLocal);
            assertThat(global(obj, "sys_bpf")).isEqualTo(kallsyms("__x64_sys_bpf"));
            assertThat(global(obj, "no_symbol")).isZero();
            assertThat(global(obj, "acquired")).isPositive(); // bpf_task_acquire returned prev
        }
    }

    @Test
    void typedKsymResolvesToItsKernelBtfVar() throws Exception {
        ObjectSpec spec = ObjectSpecTest.spec("externs").withAutoload("on_switch", false)
                .withAutoload("typed_ksym", true);
        boolean inKallsyms = kallsymsHas("bpf_prog_active");
        if (!inKallsyms) { // the kernel looks the address up in kallsyms, which lists data only with KALLSYMS_ALL
            assertThatThrownBy(() -> BpfObject.load(spec)).isInstanceOf(BpfException.class)
                    .hasMessageContaining("bpf_prog_active").hasMessageContaining("CONFIG_KALLSYMS_ALL");
            return;
        }
        try (BpfObject obj = BpfObject.load(spec)) {
            try (Link link = RawTracepoint.attach(obj.program("typed_ksym"))) {
                Await.until("a context switch", () -> global(obj, "active") != 0);
            }
            assertThat(global(obj, "active")).isPositive(); // bpf_prog_active + 1 while a program runs: ≥ 1
        }
    }

    @Test
    void legacyMapsWithKernelVersionExternLoads() {
        try (BpfObject obj = BpfObject.load(ObjectSpecTest.spec("legacy_maps"))) {
            assertThat(obj.programs()).containsKey("on_exec");
            assertThat(obj.maps()).containsKey(".kconfig");
        }
    }

    @Test
    void tpBtfProgramGetsItsAttachTargetAndRuns() throws Exception {
        try (BpfObject obj = BpfObject.load(ObjectSpecTest.spec("attach_targets"))) {
            assertThat(obj.programs()).containsOnlyKeys("on_switch");
            try (Link link = RawTracepoint.attach(obj.program("on_switch"))) {
                Await.until("a context switch", () -> global(obj, "switches") != 0);
            }
            assertThat(global(obj, "switches")).isPositive();
        }
    }

    @Test
    void iteratorTargetResolves() {
        ObjectSpec spec = ObjectSpecTest.spec("attach_targets").withAutoload("each_task", true)
                .withAutoload("on_switch", false);
        try (BpfObject obj = BpfObject.load(spec)) {
            assertThat(obj.program("each_task").type()).isEqualTo(ProgramType.TRACING);
        }
    }

    @Test
    void misspelledTracepointIsNamed() {
        ObjectSpec spec = ObjectSpecTest.spec("attach_targets").withAutoload("misspelled", true);
        assertThatThrownBy(() -> BpfObject.load(spec)).isInstanceOf(BpfException.class)
                .hasMessageContaining("misspelled").hasMessageContaining("sched_swtich")
                .hasMessageContaining("btf_trace_sched_swtich").hasMessageContaining("not found");
    }

    @Test
    void fentryRefusalIsExplained() {
        assumeTrue(!Probes.fentry().available(), "this kernel loads fentry programs");
        ObjectSpec spec = ObjectSpecTest.spec("attach_targets").withAutoload("on_unlink", true);
        assertThatThrownBy(() -> BpfObject.load(spec)).isInstanceOf(BpfException.class)
                .hasMessageContaining("on_unlink").hasMessageContaining("do_unlinkat")
                .hasMessageContaining("this kernel refuses fentry programs").hasMessageContaining("EPERM");
    }

    private static long global(BpfObject obj, String name) {
        return readVariable(obj, name, 8).getLong();
    }

    private static String string(BpfObject obj, String name) {
        ByteBuffer b = readVariable(obj, name, 16);
        byte[] bytes = new byte[16];
        b.get(bytes);
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) n++;
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

    /** The bytes of global {@code name}, found through the fixture the object was loaded from. */
    private static ByteBuffer readVariable(BpfObject obj, String name, int size) {
        ObjectSpec spec = ObjectSpecTest.spec(obj.maps().containsKey(".kconfig") ? "externs" : "attach_targets");
        for (var m : spec.maps()) {
            for (var v : m.variables()) {
                if (v.name().equals(name)) {
                    byte[] value = obj.map(m.name()).lookup(new byte[4]).orElseThrow();
                    return ByteBuffer.wrap(value, v.offset(), size).slice().order(ByteOrder.LITTLE_ENDIAN);
                }
            }
        }
        throw new AssertionError("no global " + name);
    }

    private static String kernelConfig() throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of("/proc/config.gz")))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            assumeTrue(false, "no /proc/config.gz: " + e.getMessage());
            throw e;
        }
    }

    private static String option(String config, String name) {
        return config.lines().filter(l -> l.startsWith(name + "=")).map(l -> l.substring(name.length() + 1))
                .findFirst().orElse(null);
    }

    private static boolean kallsymsHas(String name) throws IOException {
        return Files.readAllLines(Path.of("/proc/kallsyms")).stream().map(l -> l.split("\\s+"))
                .anyMatch(f -> f.length >= 3 && f[2].equals(name));
    }

    private static long kallsyms(String name) throws IOException {
        return Files.readAllLines(Path.of("/proc/kallsyms")).stream().map(l -> l.split("\\s+"))
                .filter(f -> f.length >= 3 && f[2].equals(name)).map(f -> Long.parseUnsignedLong(f[0], 16))
                .findFirst().orElseThrow();
    }
}
