package io.bpf4j.core.link;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.elf.Fixtures;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.features.AttachHook;
import io.bpf4j.core.features.Features;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.object.ObjectMap;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelMatrix;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * kprobe, fentry/fexit and LSM attachments. Each test asks {@link Probes} whether the hook
 * works on this kernel: where it does, the program is attached for real (and the link checked); where it does not —
 * on the 6.18 VMs this project runs on, kprobes are compiled out (CONFIG_KPROBES is not set) and fentry/fexit/LSM
 * loads are refused with EPERM under lockdown=integrity — the test asserts that the error says exactly why, in the
 * words Features uses. So the tests are meaningful on both kinds of kernel.
 *
 * <p>The tests named "…Counts…" and "…Denies…" run the programs of the kernel_hooks fixture (C, compiled on the
 * host, CO-RE) where the kernel has the hook, and count exactly what this thread did while they were attached;
 * where it has not, they are skipped naming what is missing. They run on a second kernel (Linux 6.1, which has
 * kprobes, fentry and the BPF LSM) through scripts/kernel-matrix.
 */
@KernelTest
@KernelMatrix
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

    /** How many mkdir calls each counting test makes while its programs are attached. */
    private static final int CALLS = 5;

    /** This thread's id as the kernel knows it (the low half of bpf_get_current_pid_tgid). */
    private static int tid() throws IOException {
        Path self = Path.of("/proc/thread-self").toRealPath();
        return Integer.parseInt(self.getFileName().toString());
    }

    /** The kernel_hooks fixture with only {@code programs} loaded, for this thread. */
    private static ObjectSpec hooks(long denyIno, String... programs) throws IOException {
        ObjectSpec spec = ObjectSpec.read(Fixtures.object("kernel_hooks")).withVariable("target_tid", tid())
                .withVariable("deny_ino", denyIno);
        for (String p : programs) spec = spec.withAutoload(p, true);
        return spec;
    }

    /** The value of global {@code name} (8 bytes in .bss) of {@code obj}, loaded from {@code spec}. */
    private static long global(BpfObject obj, ObjectSpec spec, String name) {
        for (ObjectMap m : spec.maps()) {
            for (var v : m.variables()) {
                if (v.name().equals(name)) {
                    byte[] value = obj.map(m.name()).lookup(new byte[4]).orElseThrow();
                    return ByteBuffer.wrap(value, v.offset(), 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
                }
            }
        }
        throw new AssertionError("no global " + name);
    }

    /** {@value #CALLS} mkdirs of a directory that exists: each reaches do_mkdirat and returns -EEXIST. */
    private static void mkdirsThatFail(Path existing) {
        for (int i = 0; i < CALLS; i++) {
            assertThatThrownBy(() -> Files.createDirectory(existing)).isInstanceOf(FileAlreadyExistsException.class);
        }
    }

    @Test
    void kprobeAndKretprobeCountEveryCallAndSeeTheReturnValue(@TempDir Path dir) throws IOException {
        Probe kprobe = Kprobe.availability();
        assumeTrue(kprobe.available(), "kernel has no kprobes (CONFIG_KPROBES): " + kprobe);
        ObjectSpec spec = hooks(0, "on_kprobe", "on_kretprobe");
        try (BpfObject obj = BpfObject.load(spec)) {
            try (Link entry = Kprobe.attach(obj.program("on_kprobe"), "do_mkdirat", false);
                 Link exit = Kprobe.attach(obj.program("on_kretprobe"), "do_mkdirat", true)) {
                assertThat(entry.description()).isEqualTo("kprobe 'on_kprobe' on do_mkdirat");
                assertThat(exit.description()).startsWith("kretprobe 'on_kretprobe' on do_mkdirat");
                mkdirsThatFail(dir);
            }
            mkdirsThatFail(dir); // detached: not counted
            assertThat(global(obj, spec, "kprobe_hits")).isEqualTo(CALLS);
            assertThat(global(obj, spec, "kretprobe_hits")).isEqualTo(CALLS);
            assertThat(global(obj, spec, "kretprobe_ret")).as("-EEXIST").isEqualTo(-17);
        }
    }

    @Test
    void kprobeMultiCountsEveryCall(@TempDir Path dir) throws IOException {
        // Linux 6.1 as Debian builds it has kprobes but no fprobe: this runs on neither kernel of the matrix
        Probe multi = Features.attachHook(AttachHook.KPROBE_MULTI);
        assumeTrue(multi.available(), "kernel cannot attach kprobe_multi (CONFIG_FPROBE): " + multi);
        ObjectSpec spec = hooks(0, "on_kprobe_multi");
        try (BpfObject obj = BpfObject.load(spec)) {
            try (Link link = KprobeMulti.attach(obj.program("on_kprobe_multi"), "do_mkdirat")) {
                assertThat(link.info().programId()).isEqualTo(obj.program("on_kprobe_multi").info().id());
                mkdirsThatFail(dir);
            }
            mkdirsThatFail(dir);
            assertThat(global(obj, spec, "kprobe_multi_hits")).isEqualTo(CALLS);
        }
    }

    @Test
    void fentryAndFexitCountEveryCallAndSeeTheReturnValue(@TempDir Path dir) throws IOException {
        Probe fentry = Probes.fentry(), fexit = Probes.fexit();
        assumeTrue(fentry.available() && fexit.available(), "kernel refuses BPF trampolines: " + fentry);
        ObjectSpec spec = hooks(0, "on_fentry", "on_fexit");
        try (BpfObject obj = BpfObject.load(spec)) {
            try (Link entry = Fentry.attach(obj.program("on_fentry"));
                 Link exit = Fentry.attach(obj.program("on_fexit"))) {
                assertThat(entry.info().programId()).isEqualTo(obj.program("on_fentry").info().id());
                mkdirsThatFail(dir);
                assertThat(exit.info().programId()).isEqualTo(obj.program("on_fexit").info().id());
            }
            mkdirsThatFail(dir);
            assertThat(global(obj, spec, "fentry_hits")).isEqualTo(CALLS);
            assertThat(global(obj, spec, "fexit_hits")).isEqualTo(CALLS);
            assertThat(global(obj, spec, "fexit_ret")).as("-EEXIST").isEqualTo(-17);
        }
    }

    @Test
    void lsmProgramDeniesAnOpenUntilDetached(@TempDir Path dir) throws IOException {
        Probe lsm = Lsm.availability();
        assumeTrue(lsm.available(), "kernel has no BPF LSM (CONFIG_BPF_LSM, 'bpf' in lsm=): " + lsm);
        Path file = Files.writeString(dir.resolve("bpf4j-lsm-denied"), "x");
        Path other = Files.writeString(dir.resolve("bpf4j-lsm-allowed"), "y");
        long ino = (Long) Files.getAttribute(file, "unix:ino");
        assertThat(Files.readString(file)).isEqualTo("x");
        ObjectSpec spec = hooks(ino, "deny_open");
        try (BpfObject obj = BpfObject.load(spec)) {
            try (Link link = Lsm.attach(obj.program("deny_open"))) {
                assertThat(link.info().programId()).isEqualTo(obj.program("deny_open").info().id());
                // EPERM: Java's FileSystemException (EACCES would be its AccessDeniedException)
                assertThatThrownBy(() -> Files.readString(file)).isInstanceOf(FileSystemException.class)
                        .hasMessageContaining("Operation not permitted");
                assertThat(Files.readString(other)).as("another file").isEqualTo("y");
            }
            assertThat(Files.readString(file)).as("allowed again once detached").isEqualTo("x");
            assertThat(global(obj, spec, "lsm_denials")).isEqualTo(1);
        }
    }
}
