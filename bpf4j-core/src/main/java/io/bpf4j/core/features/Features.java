package io.bpf4j.core.features;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Program;
import io.bpf4j.core.VerifierException;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.btf.KernelBtf;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.LibC;
import io.bpf4j.core.internal.ObjectPath;
import io.bpf4j.core.internal.PerfEventAttr;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.kernel.KernelConfig;
import io.bpf4j.core.kernel.KernelInfo;
import io.bpf4j.core.kernel.LoadedBtf;
import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.link.KprobeMulti;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.link.Links;
import io.bpf4j.core.link.RawTracepoint;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static io.bpf4j.core.asm.Register.R0;
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
        return KernelInfo.current();
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

    private static String read(Path p, String otherwise) {
        try {
            return Files.readString(p).strip();
        } catch (IOException | RuntimeException e) {
            return otherwise;
        }
    }

    private static KernelConfig config() {
        return KernelConfig.current();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Loading probe programs and explaining refusals

    /** The name of every probe program and map, so that bpftool shows what they are while they exist. */
    private static final String PROBE = "bpf4j_probe";

    /** {@code r0 = value; exit}: all a probe program needs to be loadable. */
    private static ProgramSpec returning(ProgramType type, int value) {
        return ProgramSpec.of(PROBE, type, new Assembler().mov64(R0, value).exit().build());
    }

    /** Null if {@code spec} loads (the program is closed again), else the kernel's refusal. */
    private static BpfException refusal(ProgramSpec spec) {
        try (Program ignored = Program.load(spec)) {
            return null;
        } catch (BpfException e) {
            return e;
        }
    }

    /**
     * Loads {@code spec} and hands the program to {@code attach}, closing it afterwards; if it does not load, "no"
     * with {@code prefix} and the reason.
     */
    private static Probe withProgram(String name, String prefix, ProgramSpec spec, Function<Program, Probe> attach) {
        Program prog;
        try {
            prog = Program.load(spec);
        } catch (BpfException e) {
            return Probe.no(name, prefix + explainLoad(e));
        }
        try (prog) {
            return attach.apply(prog);
        }
    }

    /** The verifier log of a refused load, empty when there was none. */
    private static String log(BpfException e) {
        return e instanceof VerifierException v ? v.log() : "";
    }

    /** Why a load was refused, in a few words (see {@link Probe#explainLoad}). */
    private static String explainLoad(BpfException e) {
        return Probe.explainLoad(e.errnoCode(), log(e));
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

    /** {@code spec} with the expected attach type its program type needs for a plain load, if any. */
    private static ProgramSpec expectingAttach(ProgramSpec spec) {
        AttachType t = switch (spec.type()) {
            case CGROUP_SOCK -> AttachType.CGROUP_INET_SOCK_CREATE;
            case CGROUP_SOCK_ADDR -> AttachType.CGROUP_INET4_CONNECT;
            case CGROUP_SOCKOPT -> AttachType.CGROUP_GETSOCKOPT;
            case SK_LOOKUP -> AttachType.SK_LOOKUP;
            case NETFILTER -> AttachType.NETFILTER;
            default -> null;
        };
        return t == null ? spec : spec.withExpectedAttachType(t);
    }

    private static Probe probeProgramType(ProgramType t) {
        String name = t.displayName();
        return switch (t) {
            case TRACING -> probeTracing(name);
            case LSM -> Probes.lsm();
            case EXT -> probeExt(name);
            case STRUCT_OPS -> probeStructOps(name);
            // Syscall programs must be sleepable.
            case SYSCALL -> fromLoad(name, returning(t, 0).withFlags(ProgramSpec.F_SLEEPABLE));
            default -> fromLoad(name, expectingAttach(returning(t, 0)));
        };
    }

    /** Yes if {@code spec} loads, else no with the reason. */
    private static Probe fromLoad(String name, ProgramSpec spec) {
        BpfException e = refusal(spec);
        if (e == null) return Probe.yes(name);
        if (e.is(Errno.EINVAL) && log(e).isBlank()) {
            String option = configFor(spec.type());
            String reason = "this kernel does not know the program type (EINVAL)";
            if (option != null) {
                reason = config().knownUnset(option) ? option + " is not set" : reason + "; needs " + option;
            }
            return Probe.no(name, reason);
        }
        return Probe.no(name, explainLoad(e));
    }

    /** The kernel's BTF, or null when it has none (or it cannot be read). */
    private static Btf vmlinux() {
        try {
            return KernelBtf.vmlinux();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static OptionalInt btfId(BtfKind kind, String... names) {
        Btf btf = vmlinux();
        if (btf == null) return OptionalInt.empty();
        for (String n : names) {
            OptionalInt id = btf.typeId(n, kind);
            if (id.isPresent()) return id;
        }
        return OptionalInt.empty();
    }

    private static final String NO_BTF = "the kernel has no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF)";

    /** A tracing program of attach type {@code at} on the first of the kernel functions/types found, or null. */
    private static ProgramSpec tracingSpec(AttachType at, BtfKind kind, String... targets) {
        OptionalInt id = btfId(kind, targets);
        return id.isEmpty() ? null : returning(ProgramType.TRACING, 0).withExpectedAttachType(at)
                .withAttachBtf(id.getAsInt(), 0);
    }

    private static final String[] TP_BTF_TARGETS = {"btf_trace_sys_enter", "btf_trace_sched_switch"};
    private static final String[] ITER_TARGETS = {"bpf_iter_task", "bpf_iter_bpf_map"};

    /** Loads a tracing program of attach type {@code at} on the first kernel function/type found; cached. */
    private static Probe tracingLoad(String name, AttachType at, BtfKind kind, String... targets) {
        return cached(List.of("tracing", at), () -> {
            ProgramSpec spec = tracingSpec(at, kind, targets);
            if (spec == null) {
                return Probe.no(name, vmlinux() == null ? NO_BTF
                        : "no attach target in kernel BTF (looked for " + String.join(", ", targets) + ")");
            }
            BpfException e = refusal(spec);
            return e == null ? Probe.yes(name) : Probe.no(name, explainLoad(e));
        });
    }

    private static Probe tpBtfLoad() {
        return tracingLoad("tp_btf", AttachType.TRACE_RAW_TP, BtfKind.TYPEDEF, TP_BTF_TARGETS);
    }

    private static Probe iterLoad() {
        return tracingLoad("iter", AttachType.TRACE_ITER, BtfKind.FUNC, ITER_TARGETS);
    }

    private static Probe probeTracing(String name) {
        Probe fentry = Probes.fentry();
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

    /** An extension program replacing the only function of an XDP program; both described by {@link ProbeBtf}. */
    private static Probe probeExt(String name) {
        LoadedBtf btf;
        try {
            btf = LoadedBtf.load(ProbeBtf.bytes());
        } catch (BpfException e) {
            return Probe.no(name, "could not load the probe's BTF: " + Probe.errnoName(e.errnoCode()));
        }
        try (btf) {
            List<ProgramSpec.FuncInfo> func = List.of(new ProgramSpec.FuncInfo(0, ProbeBtf.FUNC));
            return withProgram(name, "could not load a target program: ",
                    returning(ProgramType.XDP, 0).withBtf(btf.fd()).withFuncInfo(func),
                    target -> fromLoad(name, returning(ProgramType.EXT, 0).withBtf(btf.fd()).withFuncInfo(func)
                            .withAttachBtf(ProbeBtf.FUNC, target.fd())));
        }
    }

    /** A struct_ops program for tcp_congestion_ops.ssthresh (a member every kernel with BPF TCP CC has). */
    private static Probe probeStructOps(String name) {
        Btf btf = vmlinux();
        if (btf == null) return Probe.no(name, NO_BTF);
        OptionalInt st = btf.typeId("tcp_congestion_ops", BtfKind.STRUCT);
        int member = st.isPresent() ? memberIndex(btf.type(st.getAsInt(), BtfType.Struct.class), "ssthresh") : -1;
        if (member < 0) return Probe.no(name, "no struct tcp_congestion_ops in kernel BTF to implement");
        // For struct_ops programs, the expected attach type is the index of the member they implement.
        return fromLoad(name, returning(ProgramType.STRUCT_OPS, 0).withAttachBtf(st.getAsInt(), 0)
                .withExpectedAttachType(AttachType.values()[member]));
    }

    private static int memberIndex(BtfType.Struct struct, String name) {
        for (int i = 0; i < struct.members().size(); i++) {
            if (struct.members().get(i).name().equals(name)) return i;
        }
        return -1;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Map types

    private static Probe probeMapType(MapType t) {
        String name = t.displayName();
        MapSpec.Builder spec = MapSpec.builder(t).name(PROBE);
        boolean needsBtf = false;
        switch (t) {
            case HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH, ARRAY, PERCPU_ARRAY, STACK_TRACE ->
                    spec.keySize(4).valueSize(8).maxEntries(1);
            case LPM_TRIE -> spec.keySize(8).valueSize(8).maxEntries(1).flags(MapSpec.F_NO_PREALLOC);
            case ARRAY_OF_MAPS, HASH_OF_MAPS -> {
                Probe array = mapType(MapType.ARRAY);
                if (!array.available()) return Probe.no(name, "could not create an inner array map: " + array.reason());
                spec.keySize(4).valueSize(4).maxEntries(1).innerMap(MapSpec.builder(MapType.ARRAY).name(PROBE)
                        .keySize(4).valueSize(4).maxEntries(1).build());
            }
            case CGROUP_STORAGE, PERCPU_CGROUP_STORAGE -> spec.keySize(8).valueSize(8);
            case QUEUE, STACK, BLOOM_FILTER -> spec.valueSize(4).maxEntries(1);
            case SK_STORAGE, INODE_STORAGE, TASK_STORAGE, CGRP_STORAGE -> {
                // Local storage needs BTF for key and value, and is allocated on demand.
                spec.keySize(4).valueSize(4).flags(MapSpec.F_NO_PREALLOC).btf(-1, ProbeBtf.INT, ProbeBtf.INT);
                needsBtf = true;
            }
            case STRUCT_OPS -> {
                Btf btf = vmlinux();
                if (btf == null) return Probe.no(name, NO_BTF);
                OptionalInt vt = btf.typeId("bpf_struct_ops_tcp_congestion_ops", BtfKind.STRUCT);
                if (vt.isEmpty()) return Probe.no(name, "no struct_ops type (bpf_struct_ops_tcp_congestion_ops) "
                        + "in kernel BTF");
                // The kernel wants a valid btf_fd even though the value type is the kernel's own.
                spec.keySize(4).valueSize((int) btf.sizeOf(vt.getAsInt())).maxEntries(1).btf(-1, 0, 0)
                        .btfVmlinuxValueTypeId(vt.getAsInt());
                needsBtf = true;
            }
            case RINGBUF, USER_RINGBUF -> spec.maxEntries((int) Host.pageSize());
            case ARENA -> spec.maxEntries(1).flags(MapSpec.F_MMAPABLE);
            default -> spec.keySize(4).valueSize(4).maxEntries(1); // fd arrays, devmaps, sockmaps, cpumap, xskmap
        }
        LoadedBtf btf = null;
        if (needsBtf) {
            try {
                btf = LoadedBtf.load(ProbeBtf.bytes());
            } catch (BpfException e) {
                return Probe.no(name, "needs BTF, and loading BTF failed: " + Probe.errnoName(e.errnoCode()));
            }
            MapSpec s = spec.build();
            spec.btf(btf.fd(), s.btfKeyTypeId(), s.btfValueTypeId());
        }
        try (LoadedBtf ownBtf = btf; BpfMap map = BpfMap.create(spec.build())) {
            return Probe.yes(name);
        } catch (BpfException e) {
            if (e.is(Errno.EPERM)) {
                return Probe.no(name, "map creation refused with EPERM" + (!Host.isRoot()
                        ? ": not root (needs CAP_BPF)" : Probe.lockdownNote()));
            }
            if (e.is(Errno.EINVAL)) return Probe.no(name, "this kernel does not support the map type (EINVAL)");
            return Probe.no(name, "map creation failed: " + Probe.errnoName(e.errnoCode()));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers

    /** A map for helper probes, or null if the kernel refuses it. */
    private static BpfMap tryMap(MapSpec.Builder spec) {
        try {
            return BpfMap.create(spec.name(PROBE).build());
        } catch (BpfException e) {
            return null;
        }
    }

    private static List<Probe> probeHelpers(ProgramType type) {
        List<Probe> out = new ArrayList<>();
        Probe prog = programType(type);
        if (!prog.available()) {
            for (String h : Helpers.names()) {
                out.add(Probe.no(h, type.displayName() + " programs do not load here: " + prog.reason()));
            }
            return out;
        }
        Helpers.Maps maps = new Helpers.Maps(
                tryMap(MapSpec.builder(MapType.HASH).keySize(4).valueSize(8).maxEntries(1)),
                tryMap(MapSpec.builder(MapType.PROG_ARRAY).maxEntries(1)),
                tryMap(MapSpec.builder(MapType.PERF_EVENT_ARRAY).maxEntries(1)),
                tryMap(MapSpec.builder(MapType.STACK_TRACE).stackDepth(16).maxEntries(1)),
                tryMap(MapSpec.builder(MapType.RINGBUF).maxEntries((int) Host.pageSize())));
        try {
            for (Helpers.HelperProbe h : Helpers.ALL.values()) out.add(probeHelper(type, h, maps));
        } finally {
            for (BpfMap m : new BpfMap[] {maps.hash(), maps.progArray(), maps.perfArray(), maps.stackTrace(),
                    maps.ringbuf()}) {
                if (m != null) m.close();
            }
        }
        return out;
    }

    private static BpfMap map(Helpers.Maps m, String which) {
        return switch (which) {
            case "hash" -> m.hash();
            case "progArray" -> m.progArray();
            case "perfArray" -> m.perfArray();
            case "stackTrace" -> m.stackTrace();
            case "ringbuf" -> m.ringbuf();
            default -> throw new IllegalArgumentException(which);
        };
    }

    private static Probe probeHelper(ProgramType type, Helpers.HelperProbe h, Helpers.Maps maps) {
        if (h.map() != null && map(maps, h.map()) == null) {
            return Probe.no(h.name(), "probe not run: could not create the " + h.map() + " map it needs");
        }
        BpfException e = refusal(expectingAttach(ProgramSpec.of(PROBE, type, Helpers.program(h, maps))));
        if (e == null) return Probe.yes(h.name());
        String line = missingLine(log(e));
        if (line.contains("#")) {
            if (!Pattern.compile("#" + h.id() + "\\b").matcher(line).find()) {
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
                + explainLoad(e));
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
            case KPROBE -> Probes.kprobe();
            case KPROBE_MULTI -> probeKprobeMulti();
            case UPROBE -> probeUprobe();
            case FENTRY -> Probes.fentry();
            case FEXIT -> Probes.fexit();
            case LSM -> programType(ProgramType.LSM);
            case ITER -> probeIter();
            case XDP -> programType(ProgramType.XDP);
            case TC -> probeTc();
            case TCX -> Probes.tcx();
            case CGROUP -> cgroupLink();
            case PERF_EVENT -> probePerfEvent();
            case PERF_EVENT_HW -> probePerfEventHw();
            case RINGBUF -> mapType(MapType.RINGBUF);
            case BPF_LINK -> probeBpfLink();
        };
    }

    /** Attaches {@code prog} to a new perf event of {@code attr} on CPU 0 and closes it; null if that worked. */
    private static String setBpf(MemorySegment attr, String event, Program prog) {
        int pfd = PerfEventAttr.open(attr, -1, 0, -1, 0);
        if (pfd < 0) {
            return "perf_event_open(" + event + ") failed: " + Probe.errnoName(-pfd)
                    + (-pfd == Errno.EACCES.code() ? " (kernel.perf_event_paranoid; needs CAP_PERFMON)" : "");
        }
        try {
            int r = PerfEventAttr.setBpf(pfd, prog.fd());
            return r < 0 ? "PERF_EVENT_IOC_SET_BPF failed: " + Probe.errnoName(-r) : null;
        } finally {
            LibC.close(pfd);
        }
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
        return withProgram(name, "tracepoint programs do not load: ", returning(ProgramType.TRACEPOINT, 0), prog -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = PerfEventAttr.allocate(arena, PerfEventAttr.TYPE_TRACEPOINT, id);
                attr.set(JAVA_LONG, PerfEventAttr.SAMPLE_PERIOD, 1);
                attr.set(JAVA_LONG, PerfEventAttr.FLAGS, PerfEventAttr.FLAG_DISABLED);
                String failed = setBpf(attr, "PERF_TYPE_TRACEPOINT", prog);
                return failed == null ? Probe.yes(name) : Probe.no(name, failed);
            }
        });
    }

    private static Probe probeRawTracepoint() {
        String name = "raw_tp";
        return withProgram(name, "raw_tracepoint programs do not load: ", returning(ProgramType.RAW_TRACEPOINT, 0),
                prog -> {
                    try (Link link = RawTracepoint.attach(prog, "sys_enter")) {
                        return Probe.yes(name);
                    } catch (BpfException e) {
                        return Probe.no(name, "BPF_RAW_TRACEPOINT_OPEN(sys_enter) failed: "
                                + Probe.errnoName(e.errnoCode()));
                    }
                });
    }

    private static Probe probeTpBtf() {
        String name = "tp_btf";
        Probe load = tpBtfLoad();
        if (!load.available()) return load;
        return withProgram(name, "", tracingSpec(AttachType.TRACE_RAW_TP, BtfKind.TYPEDEF, TP_BTF_TARGETS),
                prog -> {
                    try (Link link = RawTracepoint.attach(prog)) {
                        return Probe.yes(name);
                    } catch (BpfException e) {
                        return Probe.no(name, "loads, but attaching failed: " + Probe.errnoName(e.errnoCode()));
                    }
                });
    }

    private static boolean tracefsHas(String file) {
        try {
            return Files.exists(ObjectPath.ensureTraceFs().resolve(file));
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static Probe probeKprobeMulti() {
        String name = "kprobe_multi";
        return withProgram(name, "kprobe programs do not load: ", returning(ProgramType.KPROBE, 0)
                .withExpectedAttachType(AttachType.TRACE_KPROBE_MULTI), prog -> {
                    try (Link link = KprobeMulti.attach(prog, "bpf_fentry_test1")) {
                        return Probe.yes(name);
                    } catch (BpfException e) {
                        if (e.is(Errno.EOPNOTSUPP) || e.is(Errno.ENOTSUPP)) {
                            KernelConfig c = config();
                            if (c.knownUnset("CONFIG_KPROBES")) return Probe.no(name, "CONFIG_KPROBES is not set");
                            if (c.knownUnset("CONFIG_FPROBE")) return Probe.no(name, "CONFIG_FPROBE is not set");
                            return Probe.no(name, "the kernel does not support it (" + Probe.errnoName(e.errnoCode())
                                    + "; needs CONFIG_FPROBE)");
                        }
                        if (e.is(Errno.EPERM)) {
                            return Probe.no(name, "attach refused with EPERM" + Probe.lockdownNote());
                        }
                        return Probe.no(name, "BPF_LINK_CREATE(kprobe_multi) failed: "
                                + Probe.errnoName(e.errnoCode()));
                    }
                });
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
        return withProgram(name, "", tracingSpec(AttachType.TRACE_ITER, BtfKind.FUNC, ITER_TARGETS), prog -> {
            try (Link link = Links.create(prog, 0, AttachType.TRACE_ITER, 0)) {
                return Probe.yes(name);
            } catch (BpfException e) {
                return Probe.no(name, "loads, but BPF_LINK_CREATE failed: " + Probe.errnoName(e.errnoCode()));
            }
        });
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
            return withProgram(name, "cgroup_skb programs do not load: ", returning(ProgramType.CGROUP_SKB, 1)
                    .withExpectedAttachType(AttachType.CGROUP_INET_INGRESS), prog -> {
                        Path dir = root.resolve("bpf4j-probe-" + ProcessHandle.current().pid() + "-"
                                + System.nanoTime());
                        try {
                            Files.createDirectory(dir);
                            int cg = openDir(dir);
                            if (cg < 0) return Probe.no(name, "could not open " + dir + ": " + Probe.errnoName(-cg));
                            try (Link link = Links.create(prog, cg, AttachType.CGROUP_INET_INGRESS, 0)) {
                                return Probe.yes(name);
                            } catch (BpfException e) {
                                return Probe.no(name, "BPF_LINK_CREATE(cgroup_inet_ingress) failed: "
                                        + Probe.errnoName(e.errnoCode()));
                            } finally {
                                LibC.close(cg);
                            }
                        } catch (IOException e) {
                            return Probe.no(name, "could not create a cgroup under " + root + ": " + e);
                        } finally {
                            try {
                                Files.deleteIfExists(dir);
                            } catch (IOException e) {
                                // an empty cgroup left behind; harmless
                            }
                        }
                    });
        });
    }

    private static Probe probeBpfLink() {
        String name = "bpf_link";
        if (cgroupLink().available() || attachHook(AttachHook.ITER).available()) return Probe.yes(name);
        return Probe.no(name, "no BPF_LINK_CREATE attachment worked: cgroup: " + cgroupLink().reason());
    }

    private static Probe probePerfEvent() {
        String name = "perf_event";
        return withProgram(name, "perf_event programs do not load: ", returning(ProgramType.PERF_EVENT, 0), prog -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = PerfEventAttr.allocate(arena, PerfEventAttr.TYPE_SOFTWARE,
                        PerfEventAttr.SW_CPU_CLOCK);
                attr.set(JAVA_LONG, PerfEventAttr.SAMPLE_PERIOD, 10_000_000L);
                attr.set(JAVA_LONG, PerfEventAttr.FLAGS, PerfEventAttr.FLAG_DISABLED);
                String failed = setBpf(attr, "cpu-clock", prog);
                return failed == null ? Probe.yes(name, "cpu-clock sampling") : Probe.no(name, failed);
            }
        });
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
                LibC.close(pfd);
                return Probe.yes(name);
            }
            int errno = -pfd;
            if (errno == Errno.ENOENT.code() || errno == Errno.EOPNOTSUPP.code() || errno == Errno.ENODEV.code()) {
                return Probe.no(name, "no hardware PMU (" + Probe.errnoName(errno)
                        + "; a VM without PMU passthrough?): only software events");
            }
            return Probe.no(name, "perf_event_open(cycles) failed: " + Probe.errnoName(errno));
        }
    }
}
