package io.bpf4j.core.features;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.kernel.KernelConfig;
import io.bpf4j.core.kernel.KernelInfo;
import io.bpf4j.core.kernel.LoadedBtf;
import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelMatrix;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The feature probe against the real kernel. The "this machine" assertions describe the Linux 6.18 VM of
 * shared/KERNEL.md: kprobes compiled out, fentry/fexit/LSM refused with EPERM under lockdown=integrity. The tests
 * tagged {@link KernelMatrix} also run on Linux 6.1 (scripts/kernel-matrix), and assert what that kernel offers,
 * found by other means than the probe (the kprobe PMU, lockdown, the active LSMs, the kernel's configuration).
 */
@KernelTest
class FeaturesTest {
    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "the feature probe loads programs: needs root");
    }

    @Test
    void kernelFacts() throws IOException {
        KernelInfo k = Features.kernel();
        assertThat(k.release()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
        assertThat(k.btf()).isEqualTo(Files.exists(Path.of("/sys/kernel/btf/vmlinux")));
        assertThat(k.lockdown()).isIn("none", "integrity", "confidentiality");
        assertThat(k.jitEnabled()).isTrue(); // CONFIG_BPF_JIT_ALWAYS_ON here
        assertThat(k.unprivilegedBpfDisabled()).isBetween(0, 2);
    }

    @Test
    void thisMachineHasTheseHooks() {
        for (AttachHook h : List.of(AttachHook.RINGBUF, AttachHook.TRACEPOINT, AttachHook.RAW_TRACEPOINT,
                AttachHook.UPROBE, AttachHook.XDP)) {
            Probe p = Features.attachHook(h);
            assertThat(p.available()).as("%s", p).isTrue();
            assertThat(p.name()).isEqualTo(h.displayName());
        }
        assertThat(Features.programType(ProgramType.XDP).available()).isTrue();
        assertThat(Features.mapType(MapType.RINGBUF).available()).isTrue();
    }

    @Test
    @KernelMatrix
    void kprobeIsAvailableExactlyWhereTheKernelHasKprobes() {
        Probe p = Features.attachHook(AttachHook.KPROBE);
        if (Files.exists(Path.of("/sys/bus/event_source/devices/kprobe"))) {
            // a kernel with CONFIG_KPROBES (the kernel matrix's Linux 6.1): the kprobe PMU is there
            assertThat(p.available()).as("%s", p).isTrue();
            assertThat(p.toString()).startsWith("kprobe");
        } else {
            // this machine (shared/KERNEL.md): kprobes compiled out
            assertThat(p.available()).isFalse();
            assertThat(p.reason()).contains("CONFIG_KPROBES");
            assertThat(p.toString()).isEqualTo("kprobe: unavailable — CONFIG_KPROBES is not set");
        }
    }

    @Test
    @KernelMatrix
    void kprobeMultiNeedsKprobesAndFprobe() {
        Probe p = Features.attachHook(AttachHook.KPROBE_MULTI);
        KernelConfig config = KernelConfig.current();
        if (Files.notExists(Path.of("/sys/bus/event_source/devices/kprobe"))) {
            assertThat(p.available()).as("%s", p).isFalse();
        } else if (config.knownUnset("CONFIG_FPROBE")) {
            // Debian's Linux 6.1 (its configuration in /boot): kprobes, but no fprobe
            assertThat(p.toString()).isEqualTo("kprobe_multi: unavailable — CONFIG_FPROBE is not set");
        }
        if (!p.available()) assertThat(p.reason()).isNotBlank();
    }

    @Test
    @KernelMatrix
    void fentryFexitAndLsmAreRefusedExactlyUnderLockdown() throws IOException {
        String lockdown = Features.kernel().lockdown();
        List<Probe> trampolines = List.of(Features.attachHook(AttachHook.FENTRY),
                Features.attachHook(AttachHook.FEXIT));
        Probe lsm = Features.attachHook(AttachHook.LSM);
        if (lockdown.equals("none")) {
            // the kernel matrix's Linux 6.1, booted through BIOS: no lockdown, BPF trampolines load
            assertThat(trampolines).allSatisfy(p -> assertThat(p.available()).as("%s", p).isTrue());
            Path lsms = Path.of("/sys/kernel/security/lsm");
            if (Files.isReadable(lsms)) {
                boolean bpf = List.of(Files.readString(lsms).strip().split(",")).contains("bpf");
                assertThat(lsm.available()).as("%s (active LSMs: %s)", lsm, Files.readString(lsms)).isEqualTo(bpf);
            }
        } else {
            // this machine: lockdown=integrity refuses them with EPERM
            Probe p = trampolines.getFirst();
            assertThat(p.available()).as("%s", p).isFalse();
            assertThat(p.reason()).contains("EPERM").contains("lockdown: " + lockdown);
            assertThat(p.toString()).startsWith("fentry: unavailable — program load refused with EPERM");
            assertThat(trampolines.getLast().reason()).contains("EPERM");
            assertThat(lsm.reason()).contains("EPERM");
            assertThat(Features.programType(ProgramType.TRACING).reason()).contains("tp_btf").contains("EPERM");
        }
        // TRACING itself loads everywhere, as tp_btf and iter
        assertThat(Features.programType(ProgramType.TRACING).available()).isTrue();
        assertThat(Features.attachHook(AttachHook.TP_BTF).available()).isTrue();
    }

    @Test
    void helpersDistinguishMissingFromRejected() {
        assertThat(Features.helper(ProgramType.KPROBE, "get_stackid").available()).isTrue();
        assertThat(Features.helper(ProgramType.KPROBE, "bpf_ringbuf_output").available()).isTrue();
        assertThat(Features.helper(ProgramType.KPROBE, "perf_event_output").available()).isTrue();
        assertThat(Features.helper(ProgramType.XDP, "redirect").available()).isTrue();

        Probe stackid = Features.helper(ProgramType.XDP, "get_stackid");
        assertThat(stackid.available()).isFalse();
        assertThat(stackid.reason()).isEqualTo("not callable from xdp programs");

        // override_return needs CONFIG_BPF_KPROBE_OVERRIDE, which this kernel lacks (and kprobes anyway).
        Probe override = Features.helper(ProgramType.KPROBE, "override_return");
        assertThat(override.available()).isFalse();
        assertThat(override.reason()).startsWith("not callable from kprobe programs");

        // No helper probe was "rejected for another reason": every probe program is legal.
        for (ProgramType t : Features.HELPER_PROGRAM_TYPES) {
            for (Probe p : Features.helpers(t)) {
                assertThat(p.reason()).as("%s in %s", p.name(), t).doesNotContain("another reason");
            }
        }
        assertThatThrownBy(() -> Features.helper(ProgramType.KPROBE, "no_such_helper"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no_such_helper");
    }

    @Test
    void everyProbedHelperIsOneTheAssemblerKnows() {
        for (Helpers.HelperProbe h : Helpers.ALL.values()) {
            assertThat(h.helper().shortName()).as(h.name()).isEqualTo(h.name());
        }
    }

    @Test
    void everyTypeHasAnAnswerAndEveryNoHasAReason() {
        FeatureReport r = Features.report();
        assertThat(r.programTypes()).hasSize(ProgramType.values().length - 1);
        assertThat(r.mapTypes()).hasSize(MapType.values().length - 1);
        assertThat(r.attachHooks()).hasSize(AttachHook.values().length);
        assertThat(r.helpers().keySet()).containsExactly("kprobe", "tracepoint", "raw_tracepoint", "perf_event",
                "xdp", "sched_cls");
        Stream.of(r.programTypes(), r.mapTypes(), r.attachHooks(),
                        r.helpers().values().stream().flatMap(List::stream).toList())
                .flatMap(List::stream)
                .filter(p -> !p.available())
                .forEach(p -> assertThat(p.reason()).as(p.name()).isNotBlank());
        // The common program and map types work on any kernel bpf4j supports.
        for (String t : List.of("socket_filter", "kprobe", "tracepoint", "raw_tracepoint", "perf_event", "xdp",
                "sched_cls", "cgroup_skb")) {
            assertThat(r.programType(t)).get().extracting(Probe::available).as(t).isEqualTo(true);
        }
        for (String t : List.of("hash", "array", "percpu_array", "lru_hash", "stack_trace", "perf_event_array",
                "ringbuf", "lpm_trie", "hash_of_maps", "queue", "bloom_filter", "sk_storage")) {
            assertThat(r.mapType(t)).get().extracting(Probe::available).as(t).isEqualTo(true);
        }
        System.out.println("feature probe took " + r.elapsed().toMillis() + " ms");
    }

    @Test
    void cachedOncePerProcessAndThreadSafe() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<FeatureReport>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) futures.add(pool.submit(Features::report));
            FeatureReport first = futures.getFirst().get();
            for (Future<FeatureReport> f : futures) assertThat(f.get()).isSameAs(first);
        } finally {
            pool.shutdown();
        }
        assertThat(Features.attachHook(AttachHook.XDP)).isSameAs(Features.attachHook(AttachHook.XDP));
    }

    @Test
    void probingLeavesNoFileDescriptorOpen() throws IOException {
        Features.report(); // warm: the JVM's own descriptors (jars, classes) are open by now
        long before = openFds();
        // Probes not cached yet: helpers of other program types, and every map type afresh through helpers().
        Features.helpers(ProgramType.SOCKET_FILTER);
        Features.helpers(ProgramType.CGROUP_SKB);
        Features.helpers(ProgramType.LSM); // not loadable: every helper "no" with the reason
        assertThat(openFds()).isEqualTo(before);
        assertThat(Features.helper(ProgramType.LSM, "ktime_get_ns").reason()).contains("lsm programs do not load");
    }

    private static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void probeBtfParsesAndLoads() {
        Btf own = Btf.parse(ProbeBtf.bytes());
        assertThat(own.typeId("int", BtfKind.INT)).hasValue(ProbeBtf.INT);
        assertThat(own.typeId("a", BtfKind.FUNC)).hasValue(ProbeBtf.FUNC);
        try (LoadedBtf loaded = LoadedBtf.load(ProbeBtf.bytes())) {
            assertThat(loaded.fd()).as("the kernel accepts the probe's BTF").isPositive();
        }
    }

    @Test
    void reportIncludesTheProbesTheLibraryConsults() {
        assertThat(Features.attachHook(AttachHook.KPROBE)).isEqualTo(Probes.kprobe());
        assertThat(Features.attachHook(AttachHook.FENTRY)).isEqualTo(Probes.fentry());
        assertThat(Features.attachHook(AttachHook.TCX)).isEqualTo(Probes.tcx());
        assertThat(Features.programType(ProgramType.LSM)).isSameAs(Probes.lsm());
        assertThat(Features.helper(ProgramType.TRACEPOINT, "get_attach_cookie").available())
                .isEqualTo(Probes.attachCookie().available());
    }
}
