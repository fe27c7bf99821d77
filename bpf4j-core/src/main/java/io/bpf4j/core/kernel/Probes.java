package io.bpf4j.core.kernel;

import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.btf.KernelBtf;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.ObjectPath;
import io.bpf4j.core.internal.ProgLoadAttr;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.ProgramType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import static io.bpf4j.core.asm.Register.R0;
import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R10;
import static io.bpf4j.core.asm.Register.R6;

/**
 * The feature probes the library consults itself — before attaching a kprobe, to explain a refused fentry or LSM
 * load, to choose between tcx and netlink, to answer a {@code LINUX_HAS_BPF_COOKIE} extern — each run once per
 * process on first use and then cached; thread-safe. They load tiny programs with the syscall layer directly
 * (nothing they create outlives the probe), so that the classes that consult them do not depend on the
 * {@code bpf4j feature} report built on top ({@code io.bpf4j.core.features}), which shows these answers too.
 */
public final class Probes {
    /** The name of every probe program, so that bpftool shows what they are while they exist. */
    private static final String PROBE = "bpf4j_probe";
    private static final String NO_BTF = "the kernel has no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF)";
    private static final String[] FENTRY_TARGETS = {"bpf_fentry_test1", "do_unlinkat"};
    private static final Path EVENT_SOURCES = Path.of("/sys/bus/event_source/devices");
    private static final ConcurrentHashMap<String, Lazy> CACHE = new ConcurrentHashMap<>();

    private Probes() {
    }

    /** Whether kprobes can be created here (the kprobe PMU, or tracefs kprobe_events), and if not, why. */
    public static Probe kprobe() {
        return cached("kprobe", () -> {
            String name = "kprobe";
            boolean pmu = Files.exists(EVENT_SOURCES.resolve("kprobe"));
            boolean events = tracefsHas("kprobe_events");
            if (!pmu && !events) {
                KernelConfig c = KernelConfig.current();
                if (c.knownUnset("CONFIG_KPROBES") || !c.known()) return Probe.no(name, "CONFIG_KPROBES is not set");
                return Probe.no(name, "no kprobe PMU and no kprobe_events in tracefs: CONFIG_KPROBE_EVENTS is not set");
            }
            if (!pmu) return Probe.yes(name, "through tracefs kprobe_events only (no kprobe PMU)");
            return Probe.yes(name);
        });
    }

    /** Whether fentry programs (BPF trampolines at kernel function entry) load here, and if not, why. */
    public static Probe fentry() {
        return cached("fentry", () -> tracingLoad("fentry", AttachType.TRACE_FENTRY));
    }

    /** Whether fexit programs (BPF trampolines at kernel function exit) load here, and if not, why. */
    public static Probe fexit() {
        return cached("fexit", () -> tracingLoad("fexit", AttachType.TRACE_FEXIT));
    }

    /** Whether LSM programs load and run here (the BPF LSM is active), and if not, why. */
    public static Probe lsm() {
        return cached("lsm", () -> {
            String name = ProgramType.LSM.displayName();
            OptionalInt id = vmlinuxFunction("bpf_lsm_file_open", "bpf_lsm_bprm_check_security");
            if (id.isEmpty()) {
                if (vmlinux() == null) return Probe.no(name, NO_BTF);
                return Probe.no(name, KernelConfig.current().knownUnset("CONFIG_BPF_LSM") ? "CONFIG_BPF_LSM is not set"
                        : "the kernel has no BPF LSM hooks (bpf_lsm_* functions; needs CONFIG_BPF_LSM)");
            }
            Load load = load(returning(ProgramType.LSM, 0, AttachType.LSM_MAC, id.getAsInt()));
            load.close();
            KernelInfo k = KernelInfo.current();
            String inactive = !k.lsms().isEmpty() && !k.bpfLsmActive()
                    ? "the BPF LSM is not active (lsm= boot parameter lacks 'bpf'; active: "
                    + String.join(",", k.lsms()) + ")" : null;
            if (load.loaded()) {
                return inactive == null ? Probe.yes(name) : Probe.no(name, "programs load but never run: " + inactive);
            }
            String reason = load.explained();
            return Probe.no(name, inactive == null ? reason : reason + "; " + inactive);
        });
    }

    /** Whether tcx (traffic control through BPF links, Linux 6.6+) exists here, and if not, why. */
    public static Probe tcx() {
        return cached("tcx", () -> {
            String name = "tcx";
            Load load = load(returning(ProgramType.SCHED_CLS, -1, null, 0));
            if (!load.loaded()) return Probe.no(name, "sched_cls programs do not load: " + load.explained());
            // LINK_CREATE(TCX_INGRESS) on ifindex 0 answers ENODEV where tcx exists, EINVAL where it does not.
            try (Fd prog = Fd.adopt(load.fd());
                 Fd link = Fd.adopt(Bpf.linkCreate(prog.value(), 0, AttachType.TCX_INGRESS.code(), 0, name))) {
                return Probe.yes(name);
            } catch (BpfException e) {
                if (e.is(Errno.ENODEV)) return Probe.yes(name);
                if (e.is(Errno.EINVAL)) return Probe.no(name, "this kernel has no tcx (Linux 6.6+)");
                return Probe.no(name, "BPF_LINK_CREATE(tcx_ingress) failed: " + Probe.errnoName(e.errnoCode()));
            }
        });
    }

    /**
     * Whether tracepoint programs may call {@code bpf_get_attach_cookie} (BPF cookies, Linux 5.15+), and if not,
     * why.
     */
    public static Probe attachCookie() {
        return cached("get_attach_cookie", () -> {
            String name = "get_attach_cookie";
            // The helper probe's shape: r6 = ctx, zeroed stack slots, the call with ctx, r0 = 0.
            Assembler c = new Assembler().mov64(R6, R1);
            for (int off = -8; off >= -64; off -= 8) c.stDW(R10, off, 0);
            byte[] insns = c.mov64(R1, R6).call(Helper.GET_ATTACH_COOKIE).mov64(R0, 0).exit().build().toBytes();
            Load load = load(attr(ProgramType.TRACEPOINT, insns, null, 0));
            load.close();
            return load.loaded() ? Probe.yes(name)
                    : Probe.no(name, "not callable from tracepoint programs: " + load.explained());
        });
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Loads a tracing program of attach type {@code at} on the first of {@link #FENTRY_TARGETS} in kernel BTF. */
    private static Probe tracingLoad(String name, AttachType at) {
        OptionalInt id = vmlinuxFunction(FENTRY_TARGETS);
        if (id.isEmpty()) {
            return Probe.no(name, vmlinux() == null ? NO_BTF
                    : "no attach target in kernel BTF (looked for " + String.join(", ", FENTRY_TARGETS) + ")");
        }
        Load load = load(returning(ProgramType.TRACING, 0, at, id.getAsInt()));
        load.close();
        return load.loaded() ? Probe.yes(name) : Probe.no(name, load.explained());
    }

    private static boolean tracefsHas(String file) {
        try {
            return Files.exists(ObjectPath.ensureTraceFs().resolve(file));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The kernel's BTF, or null when it has none (or it cannot be read). */
    private static Btf vmlinux() {
        try {
            return KernelBtf.vmlinux();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The BTF id of the first of {@code names} that is a function in kernel BTF. */
    private static OptionalInt vmlinuxFunction(String... names) {
        Btf btf = vmlinux();
        if (btf == null) return OptionalInt.empty();
        for (String n : names) {
            OptionalInt id = btf.typeId(n, BtfKind.FUNC);
            if (id.isPresent()) return id;
        }
        return OptionalInt.empty();
    }

    /** {@code r0 = value; exit}: all a probe program needs to be loadable. */
    private static ProgLoadAttr returning(ProgramType type, int value, AttachType expected, int attachBtfId) {
        return attr(type, new Assembler().mov64(R0, value).exit().build().toBytes(), expected, attachBtfId);
    }

    private static ProgLoadAttr attr(ProgramType type, byte[] insns, AttachType expected, int attachBtfId) {
        return new ProgLoadAttr(type.code(), insns, "GPL", 0, 0, PROBE, expected == null ? 0 : expected.code(), -1,
                new int[0], new int[0], attachBtfId, 0);
    }

    /**
     * A probe program's load: its fd, or the refusal with the verifier log (empty when the kernel wrote none, or
     * only statistics) — as {@code Program.load} would have thrown it.
     */
    private record Load(int fd, int errno, String log) {
        boolean loaded() {
            return fd >= 0;
        }

        String explained() {
            return Probe.explainLoad(errno, log);
        }

        void close() {
            if (fd >= 0) Fd.adopt(fd).close();
        }
    }

    /** Loads silently first; when refused for another reason than EPERM, again with the log, to say why. */
    private static Load load(ProgLoadAttr attr) {
        int fd = Bpf.progLoad(attr);
        if (fd >= 0) return new Load(fd, 0, "");
        if (-fd == Errno.EPERM.code()) return new Load(-1, -fd, "");
        Bpf.Loaded loaded = Bpf.progLoad(attr, 1);
        if (loaded.fd() >= 0) return new Load(loaded.fd(), 0, "");
        boolean said = loaded.log().lines().anyMatch(l -> !l.isBlank() && !l.startsWith("processed ")
                && !l.startsWith("verification time") && !l.startsWith("stack depth"));
        return new Load(-1, -loaded.fd(), said ? loaded.log() : "");
    }

    /** A value computed once, on first {@link #get()}, by whichever thread gets there first. */
    private static final class Lazy {
        private final Supplier<Probe> supplier;
        private volatile Probe value;

        Lazy(Supplier<Probe> supplier) {
            this.supplier = supplier;
        }

        Probe get() {
            Probe v = value;
            if (v == null) {
                synchronized (this) {
                    v = value;
                    if (v == null) value = v = supplier.get();
                }
            }
            return v;
        }
    }

    private static Probe cached(String key, Supplier<Probe> supplier) {
        // The Lazy is created inside computeIfAbsent, but computed outside it: a probe may consult another.
        return CACHE.computeIfAbsent(key, k -> new Lazy(supplier)).get();
    }
}
