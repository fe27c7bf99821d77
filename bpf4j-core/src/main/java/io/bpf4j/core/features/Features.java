package io.bpf4j.core.features;

import io.bpf4j.core.AttachType;
import io.bpf4j.core.Errno;
import io.bpf4j.core.MapType;
import io.bpf4j.core.ProgramType;
import io.bpf4j.core.sys.Bpf;
import io.bpf4j.core.sys.LibC;
import io.bpf4j.core.sys.ObjectPath;
import io.bpf4j.core.sys.PerfEventAttr;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What this kernel lets BPF do, found by trying it: like {@code bpftool feature probe}, but every "no" comes
 * with the reason ({@code CONFIG_KPROBES is not set}, {@code program load refused with EPERM (lockdown:
 * integrity)}, …).
 *
 * <p>Each answer is probed once per process, on first use, and then cached; all methods are thread-safe. A
 * probe loads a tiny program, creates a tiny map or opens and closes an attachment; nothing it creates
 * outlives the probe. Probing everything ({@link #report()}) takes a few hundred milliseconds. Needs root
 * (or CAP_BPF and friends); without it, most answers are "no" with a reason that says so.
 *
 * <pre>{@code
 * if (!Features.attachHook(AttachHook.KPROBE).available()) {
 *     System.err.println(Features.attachHook(AttachHook.KPROBE)); // kprobe: unavailable — CONFIG_KPROBES is not set
 * }
 * }</pre>
 */
public final class Features {
    /** The program types whose helpers {@link #report()} probes (the columns of {@code bpf4j feature}). */
    public static final List<ProgramType> HELPER_PROGRAM_TYPES = List.of(ProgramType.KPROBE,
            ProgramType.TRACEPOINT, ProgramType.RAW_TRACEPOINT, ProgramType.PERF_EVENT, ProgramType.XDP,
            ProgramType.SCHED_CLS);

    private static final Path EVENT_SOURCES = Path.of("/sys/bus/event_source/devices");
    private static final ConcurrentHashMap<Object, Lazy<?>> CACHE = new ConcurrentHashMap<>();

    private Features() {
    }

    // ---------------------------------------------------------------------------------------------------------
    // Public API

    /** The kernel's release, BTF, lockdown, JIT and unprivileged-BPF state. */
    public static KernelInfo kernel() {
        return cached("kernel", Features::readKernel);
    }

    /** Whether programs of type {@code type} load here, and if not, why. */
    public static Probe programType(ProgramType type) {
        if (type == ProgramType.UNSPEC) return Probe.no(type.displayName(), "not a program type");
        return cached(type, () -> probeProgramType(type));
    }

    /** {@link #programType} for every program type but UNSPEC, in the kernel's order. */
    public static List<Probe> programTypes() {
        List<Probe> list = new ArrayList<>();
        for (ProgramType t : ProgramType.values()) if (t != ProgramType.UNSPEC) list.add(programType(t));
        return list;
    }

    /** Whether maps of type {@code type} can be created here, and if not, why. */
    public static Probe mapType(MapType type) {
        if (type == MapType.UNSPEC) return Probe.no(type.displayName(), "not a map type");
        return cached(type, () -> probeMapType(type));
    }

    /** {@link #mapType} for every map type but UNSPEC, in the kernel's order. */
    public static List<Probe> mapTypes() {
        List<Probe> list = new ArrayList<>();
        for (MapType t : MapType.values()) if (t != MapType.UNSPEC) list.add(mapType(t));
        return list;
    }

    /** The helpers this probe knows, by name without the {@code bpf_} prefix, e.g. {@code get_stackid}. */
    public static List<String> helperNames() {
        return Helpers.names();
    }

    /**
     * For each of {@link #helperNames()}, whether a program of type {@code type} may call it: "no" either because
     * the helper is missing for that type ("not callable from … programs") or because the probe program was
     * rejected for another reason (which is then named).
     */
    public static List<Probe> helpers(ProgramType type) {
        return cached(List.of("helpers", type), () -> probeHelpers(type));
    }

    /**
     * Whether a program of type {@code type} may call helper {@code name} ({@code bpf_} prefix optional).
     *
     * @throws IllegalArgumentException when {@code name} is not one of {@link #helperNames()}
     */
    public static Probe helper(ProgramType type, String name) {
        String n = name.startsWith("bpf_") ? name.substring(4) : name;
        if (!Helpers.ALL.containsKey(n)) {
            throw new IllegalArgumentException("no probe for helper '" + name + "'; known: " + helperNames());
        }
        return helpers(type).stream().filter(p -> p.name().equals(n)).findFirst().orElseThrow();
    }

    /** Whether programs can be attached through {@code hook} here, and if not, why. */
    public static Probe attachHook(AttachHook hook) {
        return cached(hook, () -> probeHook(hook).named(hook.displayName()));
    }

    /** {@link #attachHook} for every hook. */
    public static List<Probe> attachHooks() {
        List<Probe> list = new ArrayList<>();
        for (AttachHook h : AttachHook.values()) list.add(attachHook(h));
        return list;
    }

    /** Probes everything (once per process) and returns it grouped: kernel, program types, maps, helpers, hooks. */
    public static FeatureReport report() {
        return cached("report", () -> {
            long start = System.nanoTime();
            KernelInfo k = kernel();
            List<Probe> progs = programTypes();
            List<Probe> maps = mapTypes();
            Map<String, List<Probe>> helpers = new LinkedHashMap<>();
            for (ProgramType t : HELPER_PROGRAM_TYPES) helpers.put(t.displayName(), helpers(t));
            List<Probe> hooks = attachHooks();
            return new FeatureReport(k, progs, maps, helpers, hooks, Duration.ofNanos(System.nanoTime() - start));
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Caching

    /** A value computed once, on first {@link #get()}, by whichever thread gets there first. */
    private static final class Lazy<T> {
        private final Supplier<T> supplier;
        private volatile T value;

        Lazy(Supplier<T> supplier) {
            this.supplier = supplier;
        }

        T get() {
            T v = value;
            if (v == null) {
                synchronized (this) {
                    v = value;
                    if (v == null) value = v = supplier.get();
                }
            }
            return v;
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T cached(Object key, Supplier<T> supplier) {
        // The Lazy is created inside computeIfAbsent, but computed outside it: probes call other probes.
        return ((Lazy<T>) CACHE.computeIfAbsent(key, k -> new Lazy<>(supplier))).get();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Kernel

    private static KernelInfo readKernel() {
        String release = read(Path.of("/proc/sys/kernel/osrelease"), "unknown");
        boolean btf = Files.isReadable(KernelBtf.VMLINUX);
        String lockdown = Bpf.lockdown(); // mounts securityfs when needed
        String jit = read(Path.of("/proc/sys/net/core/bpf_jit_enable"), "");
        int unpriv;
        try {
            unpriv = Integer.parseInt(read(Path.of("/proc/sys/kernel/unprivileged_bpf_disabled"), "-1"));
        } catch (NumberFormatException e) {
            unpriv = -1;
        }
        String lsm = read(ObjectPath.SECURITYFS.resolve("lsm"), "");
        List<String> lsms = lsm.isEmpty() ? List.of() : Arrays.asList(lsm.split(","));
        return new KernelInfo(release, btf, lockdown == null ? "unknown" : lockdown, !jit.isEmpty() && !jit.equals("0"),
                unpriv, lsms);
    }

    private static String read(Path p, String otherwise) {
        try {
            return Files.readString(p).strip();
        } catch (IOException | RuntimeException e) {
            return otherwise;
        }
    }

    private static KernelConfig config() {
        return KernelConfig.of(kernel().release());
    }

    /** " (lockdown: integrity)" when the kernel is locked down, else "". */
    private static String lockdownNote() {
        KernelInfo k = kernel();
        return k.lockedDown() ? " (lockdown: " + k.lockdown() + ")" : "";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Explaining refusals

    /** Why a load was refused, in a few words: EPERM and lockdown, an unknown type, or the verifier's reason. */
    static String explainLoad(Sys.Loaded r) {
        int errno = r.errno();
        if (errno == Errno.EPERM.code()) {
            if (LibC.geteuid() != 0) return "program load refused with EPERM: not root (needs CAP_BPF)";
            return "program load refused with EPERM" + lockdownNote();
        }
        String last = lastLine(r.log());
        return errnoName(errno) + (last.isEmpty() ? "" : ": " + last);
    }

    /** The verifier's decisive line: the last one that is not a statistic. */
    static String lastLine(String log) {
        String last = "";
        for (String l : log.split("\n")) {
            String s = l.strip();
            if (s.isEmpty() || s.startsWith("processed ") || s.startsWith("verification time")
                    || s.startsWith("stack depth") || s.startsWith("-- END PROG LOAD LOG --")) continue;
            last = s;
        }
        return last;
    }

    static String errnoName(int errno) {
        Errno e = Errno.of(errno);
        return e == Errno.UNKNOWN ? "errno " + errno : e.name();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Program types

    /** The config option without which the kernel does not know a program type. */
    private static String configFor(ProgramType t) {
        return switch (t) {
            case KPROBE, TRACEPOINT, PERF_EVENT, RAW_TRACEPOINT, RAW_TRACEPOINT_WRITABLE -> "CONFIG_BPF_EVENTS";
            case CGROUP_SKB, CGROUP_SOCK, CGROUP_DEVICE, CGROUP_SOCK_ADDR, CGROUP_SYSCTL, CGROUP_SOCKOPT ->
                    "CONFIG_CGROUP_BPF";
            case LWT_IN, LWT_OUT, LWT_XMIT -> "CONFIG_LWTUNNEL_BPF";
            case LWT_SEG6LOCAL -> "CONFIG_IPV6_SEG6_BPF";
            case LIRC_MODE2 -> "CONFIG_BPF_LIRC_MODE2";
            case SK_SKB, SK_MSG -> "CONFIG_BPF_STREAM_PARSER";
            case LSM -> "CONFIG_BPF_LSM";
            case NETFILTER -> "CONFIG_NETFILTER_BPF_LINK";
            case TRACING, EXT, STRUCT_OPS -> "CONFIG_BPF_JIT";
            default -> null;
        };
    }

    /** The expected attach type a program type needs for a plain load, or null. */
    private static AttachType expectedAttachType(ProgramType t) {
        return switch (t) {
            case CGROUP_SOCK -> AttachType.CGROUP_INET_SOCK_CREATE;
            case CGROUP_SOCK_ADDR -> AttachType.CGROUP_INET4_CONNECT;
            case CGROUP_SOCKOPT -> AttachType.CGROUP_GETSOCKOPT;
            case SK_LOOKUP -> AttachType.SK_LOOKUP;
            case NETFILTER -> AttachType.NETFILTER;
            default -> null;
        };
    }

    private static Probe probeProgramType(ProgramType t) {
        String name = t.displayName();
        return switch (t) {
            case TRACING -> probeTracing(name);
            case LSM -> probeLsm(name);
            case EXT -> probeExt(name);
            case STRUCT_OPS -> probeStructOps(name);
            default -> {
                Sys.Load l = Sys.Load.of(t, Insns.returning(0)).expect(expectedAttachType(t));
                if (t == ProgramType.SYSCALL) l = new Sys.Load(t, l.insns(), null, 0, 0, -1, 0, "GPL", 1 << 4);
                yield fromLoad(name, t, Sys.load(l));
            }
        };
    }

    /** Yes if it loaded (closing it), else no with the reason. */
    private static Probe fromLoad(String name, ProgramType t, Sys.Loaded r) {
        if (r.ok()) {
            r.close();
            return Probe.yes(name);
        }
        if (r.errno() == Errno.EINVAL.code() && r.log().isBlank()) {
            String option = configFor(t);
            String reason = "this kernel does not know the program type (EINVAL)";
            if (option != null) {
                reason = config().knownUnset(option) ? option + " is not set" : reason + "; needs " + option;
            }
            return Probe.no(name, reason);
        }
        return Probe.no(name, explainLoad(r));
    }

    private static OptionalInt btfId(int kind, String... names) {
        KernelBtf btf = KernelBtf.vmlinux();
        if (btf == null) return OptionalInt.empty();
        for (String n : names) {
            OptionalInt id = btf.find(kind, n);
            if (id.isPresent()) return id;
        }
        return OptionalInt.empty();
    }

    private static final String NO_BTF = "the kernel has no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF)";

    /** Loads a tracing program of attach type {@code at} on the first kernel function/type found; cached. */
    private static Probe tracingLoad(String name, AttachType at, int kind, String... targets) {
        return cached(List.of("tracing", at), () -> {
            OptionalInt id = btfId(kind, targets);
            if (id.isEmpty()) {
                return Probe.no(name, KernelBtf.vmlinux() == null ? NO_BTF
                        : "no attach target in kernel BTF (looked for " + String.join(", ", targets) + ")");
            }
            Sys.Loaded r = Sys.load(Sys.Load.of(ProgramType.TRACING, Insns.returning(0)).expect(at)
                    .attachBtf(id.getAsInt()));
            if (r.ok()) {
                r.close();
                return Probe.yes(name);
            }
            return Probe.no(name, explainLoad(r));
        });
    }

    private static Probe fentryLoad() {
        return tracingLoad("fentry", AttachType.TRACE_FENTRY, KernelBtf.KIND_FUNC, "bpf_fentry_test1",
                "do_unlinkat");
    }

    private static Probe fexitLoad() {
        return tracingLoad("fexit", AttachType.TRACE_FEXIT, KernelBtf.KIND_FUNC, "bpf_fentry_test1",
                "do_unlinkat");
    }

    private static Probe tpBtfLoad() {
        return tracingLoad("tp_btf", AttachType.TRACE_RAW_TP, KernelBtf.KIND_TYPEDEF, "btf_trace_sys_enter",
                "btf_trace_sched_switch");
    }

    private static Probe iterLoad() {
        return tracingLoad("iter", AttachType.TRACE_ITER, KernelBtf.KIND_FUNC, "bpf_iter_task", "bpf_iter_bpf_map");
    }

    private static Probe probeTracing(String name) {
        Probe fentry = fentryLoad();
        if (fentry.available()) return Probe.yes(name);
        Probe tpBtf = tpBtfLoad();
        Probe iter = iterLoad();
        if (tpBtf.available() || iter.available()) {
            List<String> ok = new ArrayList<>();
            if (tpBtf.available()) ok.add("tp_btf");
            if (iter.available()) ok.add("iter");
            return Probe.yes(name, "loads as " + String.join(" and ", ok) + "; fentry/fexit: " + fentry.reason());
        }
        return Probe.no(name, fentry.reason());
    }

    private static Probe probeLsm(String name) {
        OptionalInt id = btfId(KernelBtf.KIND_FUNC, "bpf_lsm_file_open", "bpf_lsm_bprm_check_security");
        if (id.isEmpty()) {
            if (KernelBtf.vmlinux() == null) return Probe.no(name, NO_BTF);
            return Probe.no(name, config().knownUnset("CONFIG_BPF_LSM") ? "CONFIG_BPF_LSM is not set"
                    : "the kernel has no BPF LSM hooks (bpf_lsm_* functions; needs CONFIG_BPF_LSM)");
        }
        Sys.Loaded r = Sys.load(Sys.Load.of(ProgramType.LSM, Insns.returning(0)).expect(AttachType.LSM_MAC)
                .attachBtf(id.getAsInt()));
        KernelInfo k = kernel();
        String inactive = !k.lsms().isEmpty() && !k.bpfLsmActive()
                ? "the BPF LSM is not active (lsm= boot parameter lacks 'bpf'; active: " + String.join(",", k.lsms())
                + ")" : null;
        if (r.ok()) {
            r.close();
            return inactive == null ? Probe.yes(name)
                    : Probe.no(name, "programs load but never run: " + inactive);
        }
        String reason = explainLoad(r);
        return Probe.no(name, inactive == null ? reason : reason + "; " + inactive);
    }

    private static Probe probeExt(String name) {
        int btf = Sys.loadBtf(ProbeBtf.bytes());
        if (btf < 0) return Probe.no(name, "could not load the probe's BTF: " + errnoName(-btf));
        try {
            Sys.Loaded target = Sys.load(Sys.Load.of(ProgramType.XDP, Insns.returning(0))
                    .funcInfo(btf, ProbeBtf.FUNC));
            if (!target.ok()) return Probe.no(name, "could not load a target program: " + explainLoad(target));
            try {
                Sys.Loaded ext = Sys.load(Sys.Load.of(ProgramType.EXT, Insns.returning(0)).funcInfo(btf, ProbeBtf.FUNC)
                        .attachProg(target.fd()).attachBtf(ProbeBtf.FUNC));
                return fromLoad(name, ProgramType.EXT, ext);
            } finally {
                target.close();
            }
        } finally {
            Sys.close(btf);
        }
    }

    /** A struct_ops program for tcp_congestion_ops.ssthresh (a member every kernel with BPF TCP CC has). */
    private static Probe probeStructOps(String name) {
        KernelBtf btf = KernelBtf.vmlinux();
        if (btf == null) return Probe.no(name, NO_BTF);
        OptionalInt st = btf.find(KernelBtf.KIND_STRUCT, "tcp_congestion_ops");
        int member = st.isPresent() ? btf.memberIndex(st.getAsInt(), "ssthresh") : -1;
        if (member < 0) return Probe.no(name, "no struct tcp_congestion_ops in kernel BTF to implement");
        Sys.Load l = Sys.Load.of(ProgramType.STRUCT_OPS, Insns.returning(0)).attachBtf(st.getAsInt());
        l = new Sys.Load(l.type(), l.insns(), AttachType.values()[member], l.attachBtfId(), 0, -1, 0, "GPL", 0);
        return fromLoad(name, ProgramType.STRUCT_OPS, Sys.load(l));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Map types

    private static final int F_NO_PREALLOC = 1, F_MMAPABLE = 1 << 10;

    private static Probe probeMapType(MapType t) {
        String name = t.displayName();
        int page = (int) LibC.pageSize();
        int code = t.code();
        int fd;
        switch (t) {
            case HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, ARRAY, PERCPU_ARRAY, STACK_TRACE ->
                    fd = Sys.createMap(code, 4, 8, 1, 0);
            case LPM_TRIE -> fd = Sys.createMap(code, 8, 8, 1, F_NO_PREALLOC);
            case ARRAY_OF_MAPS, HASH_OF_MAPS -> {
                int inner = Sys.createMap(MapType.ARRAY.code(), 4, 4, 1, 0);
                if (inner < 0) return Probe.no(name, "could not create an inner array map: " + errnoName(-inner));
                fd = Sys.createMap(code, 4, 4, 1, 0, inner, -1, 0, 0, 0);
                Sys.close(inner);
            }
            case CGROUP_STORAGE, PERCPU_CGROUP_STORAGE -> fd = Sys.createMap(code, 8, 8, 0, 0);
            case QUEUE, STACK, BLOOM_FILTER -> fd = Sys.createMap(code, 0, 4, 1, 0);
            case SK_STORAGE, INODE_STORAGE, TASK_STORAGE, CGRP_STORAGE -> {
                int btf = Sys.loadBtf(ProbeBtf.bytes());
                if (btf < 0) return Probe.no(name, "needs BTF, and loading BTF failed: " + errnoName(-btf));
                fd = Sys.createMap(code, 4, 4, 0, F_NO_PREALLOC, 0, btf, ProbeBtf.INT, ProbeBtf.INT, 0);
                Sys.close(btf);
            }
            case STRUCT_OPS -> {
                KernelBtf btf = KernelBtf.vmlinux();
                if (btf == null) return Probe.no(name, NO_BTF);
                OptionalInt vt = btf.find(KernelBtf.KIND_STRUCT, "bpf_struct_ops_tcp_congestion_ops");
                if (vt.isEmpty()) return Probe.no(name, "no struct_ops type (bpf_struct_ops_tcp_congestion_ops) "
                        + "in kernel BTF");
                // The kernel wants a valid btf_fd even though the value type is the kernel's own.
                int own = Sys.loadBtf(ProbeBtf.bytes());
                if (own < 0) return Probe.no(name, "needs BTF, and loading BTF failed: " + errnoName(-own));
                fd = Sys.createMap(code, 4, btf.size(vt.getAsInt()), 1, 0, 0, own, 0, 0, vt.getAsInt());
                Sys.close(own);
            }
            case RINGBUF, USER_RINGBUF -> fd = Sys.createMap(code, 0, 0, page, 0);
            case ARENA -> fd = Sys.createMap(code, 0, 0, 1, F_MMAPABLE);
            default -> fd = Sys.createMap(code, 4, 4, 1, 0); // fd arrays, devmaps, sockmaps, cpumap, xskmap
        }
        if (fd >= 0) {
            Sys.close(fd);
            return Probe.yes(name);
        }
        int errno = -fd;
        if (errno == Errno.EPERM.code()) {
            return Probe.no(name, "map creation refused with EPERM" + (LibC.geteuid() != 0
                    ? ": not root (needs CAP_BPF)" : lockdownNote()));
        }
        if (errno == Errno.EINVAL.code()) {
            return Probe.no(name, "this kernel does not support the map type (EINVAL)");
        }
        return Probe.no(name, "map creation failed: " + errnoName(errno));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers

    private static List<Probe> probeHelpers(ProgramType type) {
        List<Probe> out = new ArrayList<>();
        Probe prog = programType(type);
        if (!prog.available()) {
            for (String h : Helpers.names()) {
                out.add(Probe.no(h, type.displayName() + " programs do not load here: " + prog.reason()));
            }
            return out;
        }
        int page = (int) LibC.pageSize();
        int hash = Sys.createMap(MapType.HASH.code(), 4, 8, 1, 0);
        int progArray = Sys.createMap(MapType.PROG_ARRAY.code(), 4, 4, 1, 0);
        int perfArray = Sys.createMap(MapType.PERF_EVENT_ARRAY.code(), 4, 4, 1, 0);
        int stack = Sys.createMap(MapType.STACK_TRACE.code(), 4, 8 * 16, 1, 0);
        int ringbuf = Sys.createMap(MapType.RINGBUF.code(), 0, 0, page, 0);
        Helpers.Maps maps = new Helpers.Maps(hash, progArray, perfArray, stack, ringbuf);
        try {
            for (Helpers.Helper h : Helpers.ALL.values()) out.add(probeHelper(type, h, maps));
        } finally {
            for (int fd : new int[] {hash, progArray, perfArray, stack, ringbuf}) Sys.close(fd);
        }
        return out;
    }

    private static int mapFd(Helpers.Maps m, String which) {
        return switch (which) {
            case "hash" -> m.hash();
            case "progArray" -> m.progArray();
            case "perfArray" -> m.perfArray();
            case "stackTrace" -> m.stackTrace();
            case "ringbuf" -> m.ringbuf();
            default -> throw new IllegalArgumentException(which);
        };
    }

    private static Probe probeHelper(ProgramType type, Helpers.Helper h, Helpers.Maps maps) {
        if (h.map() != null && mapFd(maps, h.map()) < 0) {
            return Probe.no(h.name(), "probe not run: could not create the " + h.map() + " map it needs");
        }
        Sys.Load l = Sys.Load.of(type, Helpers.program(h, maps)).expect(expectedAttachType(type));
        Sys.Loaded r = Sys.load(l);
        if (r.ok()) {
            r.close();
            return Probe.yes(h.name());
        }
        String log = r.log();
        boolean missing = missingLine(log).contains("#");
        if (missing) {
            String line = missingLine(log);
            if (!java.util.regex.Pattern.compile("#" + h.id() + "\\b").matcher(line).find()) {
                // Another helper of the probe program is missing (ringbuf_reserve for ringbuf_submit).
                return Probe.no(h.name(), "not testable: " + line);
            }
            String reason = "not callable from " + type.displayName() + " programs";
            String mode = Helpers.lockdownMode(h.name());
            KernelInfo k = kernel();
            if (mode != null && k.lockedDown()
                    && (mode.equals("integrity") || k.lockdown().equals("confidentiality"))) {
                reason += ": removed by kernel lockdown (" + k.lockdown() + ")";
            } else if (h.config() != null && config().knownUnset(h.config())) {
                reason += " (" + h.config() + " is not set)";
            }
            return Probe.no(h.name(), reason);
        }
        return Probe.no(h.name(), "helper present, but the probe program was rejected for another reason: "
                + explainLoad(r));
    }

    /** The verifier's line naming a missing helper. */
    private static String missingLine(String log) {
        for (String l : log.split("\n")) {
            if (l.contains("cannot use helper") || l.contains("unknown func") || l.contains("invalid func")
                    || l.contains("not supported for program type")) {
                return l.strip();
            }
        }
        return "";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Attach hooks

    private static Probe probeHook(AttachHook hook) {
        return switch (hook) {
            case TRACEPOINT -> probeTracepoint();
            case RAW_TRACEPOINT -> probeRawTracepoint();
            case TP_BTF -> probeTpBtf();
            case KPROBE -> probeKprobe();
            case KPROBE_MULTI -> probeKprobeMulti();
            case UPROBE -> probeUprobe();
            case FENTRY -> fentryLoad();
            case FEXIT -> fexitLoad();
            case LSM -> programType(ProgramType.LSM);
            case ITER -> probeIter();
            case XDP -> programType(ProgramType.XDP);
            case TC -> probeTc();
            case TCX -> probeTcx();
            case CGROUP -> cgroupLink();
            case PERF_EVENT -> probePerfEvent();
            case PERF_EVENT_HW -> probePerfEventHw();
            case RINGBUF -> mapType(MapType.RINGBUF);
            case BPF_LINK -> probeBpfLink();
        };
    }

    private static Probe probeTracepoint() {
        String name = "tracepoint";
        Path tracefs;
        try {
            tracefs = ObjectPath.ensureTraceFs();
        } catch (RuntimeException e) {
            return Probe.no(name, "tracefs is not mounted and could not be mounted: " + e.getMessage());
        }
        Path events = tracefs.resolve("events");
        if (!Files.isDirectory(events)) return Probe.no(name, "no " + events + " (CONFIG_TRACEPOINTS?)");
        Path idFile = events.resolve("syscalls/sys_enter_getpid/id");
        if (!Files.exists(idFile)) idFile = events.resolve("sched/sched_process_exec/id");
        long id;
        try {
            id = Long.parseLong(Files.readString(idFile).strip());
        } catch (IOException | NumberFormatException e) {
            return Probe.no(name, "could not read a tracepoint id from " + idFile + ": " + e.getMessage());
        }
        Sys.Loaded prog = Sys.load(Sys.Load.of(ProgramType.TRACEPOINT, Insns.returning(0)));
        if (!prog.ok()) return Probe.no(name, "tracepoint programs do not load: " + explainLoad(prog));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = PerfEventAttr.allocate(arena, PerfEventAttr.TYPE_TRACEPOINT, id);
            attr.set(JAVA_LONG, PerfEventAttr.SAMPLE_PERIOD, 1);
            attr.set(JAVA_LONG, PerfEventAttr.FLAGS, PerfEventAttr.FLAG_DISABLED);
            int pfd = PerfEventAttr.open(attr, -1, 0, -1, 0);
            if (pfd < 0) return Probe.no(name, "perf_event_open(PERF_TYPE_TRACEPOINT) failed: " + errnoName(-pfd));
            try {
                int r = PerfEventAttr.setBpf(pfd, prog.fd());
                if (r < 0) return Probe.no(name, "PERF_EVENT_IOC_SET_BPF failed: " + errnoName(-r));
                return Probe.yes(name);
            } finally {
                Sys.close(pfd);
            }
        } finally {
            prog.close();
        }
    }

    private static Probe probeRawTracepoint() {
        String name = "raw_tp";
        Sys.Loaded prog = Sys.load(Sys.Load.of(ProgramType.RAW_TRACEPOINT, Insns.returning(0)));
        if (!prog.ok()) return Probe.no(name, "raw_tracepoint programs do not load: " + explainLoad(prog));
        try {
            int link = Sys.rawTracepointOpen("sys_enter", prog.fd());
            if (link < 0) return Probe.no(name, "BPF_RAW_TRACEPOINT_OPEN(sys_enter) failed: " + errnoName(-link));
            Sys.close(link);
            return Probe.yes(name);
        } finally {
            prog.close();
        }
    }

    private static Probe probeTpBtf() {
        String name = "tp_btf";
        Probe load = tpBtfLoad();
        if (!load.available()) return load;
        OptionalInt id = btfId(KernelBtf.KIND_TYPEDEF, "btf_trace_sys_enter", "btf_trace_sched_switch");
        Sys.Loaded prog = Sys.load(Sys.Load.of(ProgramType.TRACING, Insns.returning(0))
                .expect(AttachType.TRACE_RAW_TP).attachBtf(id.orElseThrow()));
        if (!prog.ok()) return Probe.no(name, explainLoad(prog));
        try {
            int link = Sys.rawTracepointOpen(null, prog.fd());
            if (link < 0) return Probe.no(name, "loads, but attaching failed: " + errnoName(-link));
            Sys.close(link);
            return Probe.yes(name);
        } finally {
            prog.close();
        }
    }

    private static boolean tracefsHas(String file) {
        try {
            return Files.exists(ObjectPath.ensureTraceFs().resolve(file));
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static Probe probeKprobe() {
        String name = "kprobe";
        boolean pmu = Files.exists(EVENT_SOURCES.resolve("kprobe"));
        boolean events = tracefsHas("kprobe_events");
        if (!pmu && !events) {
            KernelConfig c = config();
            if (c.knownUnset("CONFIG_KPROBES") || !c.known()) return Probe.no(name, "CONFIG_KPROBES is not set");
            return Probe.no(name, "no kprobe PMU and no kprobe_events in tracefs: CONFIG_KPROBE_EVENTS is not set");
        }
        if (!pmu) return Probe.yes(name, "through tracefs kprobe_events only (no kprobe PMU)");
        return Probe.yes(name);
    }

    private static Probe probeKprobeMulti() {
        String name = "kprobe_multi";
        Sys.Loaded prog = Sys.load(Sys.Load.of(ProgramType.KPROBE, Insns.returning(0))
                .expect(AttachType.TRACE_KPROBE_MULTI));
        if (!prog.ok()) return Probe.no(name, "kprobe programs do not load: " + explainLoad(prog));
        try {
            int link = Sys.kprobeMulti(prog.fd(), "bpf_fentry_test1");
            if (link >= 0) {
                Sys.close(link);
                return Probe.yes(name);
            }
            int errno = -link;
            if (errno == Errno.EOPNOTSUPP.code() || errno == Errno.ENOTSUPP.code()) {
                KernelConfig c = config();
                if (c.knownUnset("CONFIG_KPROBES")) return Probe.no(name, "CONFIG_KPROBES is not set");
                if (c.knownUnset("CONFIG_FPROBE")) return Probe.no(name, "CONFIG_FPROBE is not set");
                return Probe.no(name, "the kernel does not support it (" + errnoName(errno)
                        + "; needs CONFIG_FPROBE)");
            }
            if (errno == Errno.EPERM.code()) return Probe.no(name, "attach refused with EPERM" + lockdownNote());
            return Probe.no(name, "BPF_LINK_CREATE(kprobe_multi) failed: " + errnoName(errno));
        } finally {
            prog.close();
        }
    }

    private static Probe probeUprobe() {
        String name = "uprobe";
        Path type = EVENT_SOURCES.resolve("uprobe/type");
        if (Files.isReadable(type)) return Probe.yes(name, "uprobe PMU type " + read(type, "?"));
        if (tracefsHas("uprobe_events")) return Probe.yes(name, "through tracefs uprobe_events only (no uprobe PMU)");
        return Probe.no(name, config().knownUnset("CONFIG_UPROBES") ? "CONFIG_UPROBES is not set"
                : "no uprobe PMU and no uprobe_events in tracefs (CONFIG_UPROBE_EVENTS is not set)");
    }

    private static Probe probeIter() {
        String name = "iter";
        Probe load = iterLoad();
        if (!load.available()) return load;
        OptionalInt id = btfId(KernelBtf.KIND_FUNC, "bpf_iter_task", "bpf_iter_bpf_map");
        Sys.Loaded prog = Sys.load(Sys.Load.of(ProgramType.TRACING, Insns.returning(0))
                .expect(AttachType.TRACE_ITER).attachBtf(id.orElseThrow()));
        if (!prog.ok()) return Probe.no(name, explainLoad(prog));
        try {
            int link = Sys.linkCreate(prog.fd(), 0, AttachType.TRACE_ITER);
            if (link < 0) return Probe.no(name, "loads, but BPF_LINK_CREATE failed: " + errnoName(-link));
            Sys.close(link);
            return Probe.yes(name);
        } finally {
            prog.close();
        }
    }

    private static Probe probeTc() {
        String name = "tc";
        Probe prog = programType(ProgramType.SCHED_CLS);
        if (!prog.available()) return Probe.no(name, "sched_cls programs do not load: " + prog.reason());
        KernelConfig c = config();
        if (c.knownUnset("CONFIG_NET_CLS_BPF")) return Probe.no(name, "CONFIG_NET_CLS_BPF is not set");
        if (c.knownUnset("CONFIG_NET_SCH_INGRESS")) {
            return Probe.no(name, "CONFIG_NET_SCH_INGRESS is not set (no clsact qdisc)");
        }
        return Probe.yes(name);
    }

    /** tcx: LINK_CREATE(TCX_INGRESS) on ifindex 0 answers ENODEV where tcx exists, EINVAL where it does not. */
    private static Probe probeTcx() {
        String name = "tcx";
        Sys.Loaded prog = Sys.load(Sys.Load.of(ProgramType.SCHED_CLS, Insns.returning(-1)));
        if (!prog.ok()) return Probe.no(name, "sched_cls programs do not load: " + explainLoad(prog));
        try {
            int link = Sys.linkCreate(prog.fd(), 0, AttachType.TCX_INGRESS);
            if (link >= 0) {
                Sys.close(link);
                return Probe.yes(name);
            }
            int errno = -link;
            if (errno == Errno.ENODEV.code()) return Probe.yes(name);
            if (errno == Errno.EINVAL.code()) return Probe.no(name, "this kernel has no tcx (Linux 6.6+)");
            return Probe.no(name, "BPF_LINK_CREATE(tcx_ingress) failed: " + errnoName(errno));
        } finally {
            prog.close();
        }
    }

    /** The cgroup v2 mount point, or null. */
    private static Path cgroup2() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals("cgroup2")) return Path.of(f[1]);
            }
        } catch (IOException e) {
            // none
        }
        return null;
    }

    private static final int O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000, AT_FDCWD = -100;
    private static final long SYS_OPENAT = System.getProperty("os.arch").equals("aarch64") ? 56 : 257;

    private static int openDir(Path dir) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) LibC.syscall(SYS_OPENAT, AT_FDCWD, arena.allocateFrom(dir.toString()),
                    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
    }

    /** A cgroup_skb program linked (BPF_LINK_CREATE) to a fresh, empty cgroup, then everything removed. */
    private static Probe cgroupLink() {
        return cached("cgroup-link", () -> {
            String name = "cgroup";
            Path root = cgroup2();
            if (root == null) return Probe.no(name, "no cgroup v2 file system is mounted");
            Sys.Loaded prog = Sys.load(Sys.Load.of(ProgramType.CGROUP_SKB, Insns.returning(1))
                    .expect(AttachType.CGROUP_INET_INGRESS));
            if (!prog.ok()) return Probe.no(name, "cgroup_skb programs do not load: " + explainLoad(prog));
            Path dir = root.resolve("bpf4j-probe-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
            try {
                Files.createDirectory(dir);
                int cg = openDir(dir);
                if (cg < 0) return Probe.no(name, "could not open " + dir + ": " + errnoName(-cg));
                try {
                    int link = Sys.linkCreate(prog.fd(), cg, AttachType.CGROUP_INET_INGRESS);
                    if (link < 0) return Probe.no(name, "BPF_LINK_CREATE(cgroup_inet_ingress) failed: "
                            + errnoName(-link));
                    Sys.close(link);
                    return Probe.yes(name);
                } finally {
                    Sys.close(cg);
                }
            } catch (IOException e) {
                return Probe.no(name, "could not create a cgroup under " + root + ": " + e);
            } finally {
                prog.close();
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    // an empty cgroup left behind; harmless
                }
            }
        });
    }

    private static Probe probeBpfLink() {
        String name = "bpf_link";
        if (cgroupLink().available() || attachHook(AttachHook.ITER).available()) return Probe.yes(name);
        return Probe.no(name, "no BPF_LINK_CREATE attachment worked: cgroup: " + cgroupLink().reason());
    }

    private static Probe probePerfEvent() {
        String name = "perf_event";
        Sys.Loaded prog = Sys.load(Sys.Load.of(ProgramType.PERF_EVENT, Insns.returning(0)));
        if (!prog.ok()) return Probe.no(name, "perf_event programs do not load: " + explainLoad(prog));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = PerfEventAttr.allocate(arena, PerfEventAttr.TYPE_SOFTWARE,
                    PerfEventAttr.SW_CPU_CLOCK);
            attr.set(JAVA_LONG, PerfEventAttr.SAMPLE_PERIOD, 10_000_000L);
            attr.set(JAVA_LONG, PerfEventAttr.FLAGS, PerfEventAttr.FLAG_DISABLED);
            int pfd = PerfEventAttr.open(attr, -1, 0, -1, 0);
            if (pfd < 0) {
                return Probe.no(name, "perf_event_open(cpu-clock) failed: " + errnoName(-pfd)
                        + (-pfd == Errno.EACCES.code() ? " (kernel.perf_event_paranoid; needs CAP_PERFMON)" : ""));
            }
            try {
                int r = PerfEventAttr.setBpf(pfd, prog.fd());
                if (r < 0) return Probe.no(name, "PERF_EVENT_IOC_SET_BPF failed: " + errnoName(-r));
                return Probe.yes(name, "cpu-clock sampling");
            } finally {
                Sys.close(pfd);
            }
        } finally {
            prog.close();
        }
    }

    private static Probe probePerfEventHw() {
        String name = "perf_event_hw";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = PerfEventAttr.allocate(arena, PerfEventAttr.TYPE_HARDWARE,
                    PerfEventAttr.HW_CPU_CYCLES);
            attr.set(JAVA_LONG, PerfEventAttr.SAMPLE_PERIOD, 1_000_000L);
            attr.set(JAVA_LONG, PerfEventAttr.FLAGS, PerfEventAttr.FLAG_DISABLED);
            int pfd = PerfEventAttr.open(attr, 0, -1, -1, 0);
            if (pfd >= 0) {
                Sys.close(pfd);
                return Probe.yes(name);
            }
            int errno = -pfd;
            if (errno == Errno.ENOENT.code() || errno == Errno.EOPNOTSUPP.code() || errno == Errno.ENODEV.code()) {
                return Probe.no(name, "no hardware PMU (" + errnoName(errno)
                        + "; a VM without PMU passthrough?): only software events");
            }
            return Probe.no(name, "perf_event_open(cycles) failed: " + errnoName(errno));
        }
    }
}
