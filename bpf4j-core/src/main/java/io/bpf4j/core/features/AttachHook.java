package io.bpf4j.core.features;

/** The ways a program can be attached (and the event channels it can report through) that the probe checks. */
public enum AttachHook {
    /** Classic tracepoints: a perf event of type PERF_TYPE_TRACEPOINT carrying a tracepoint program. */
    TRACEPOINT("tracepoint", "static kernel tracepoints via perf_event_open (tracefs ids)"),
    /** Raw tracepoints (BPF_RAW_TRACEPOINT_OPEN): raw arguments, a BPF link. */
    RAW_TRACEPOINT("raw_tp", "raw tracepoints via BPF_RAW_TRACEPOINT_OPEN"),
    /** BTF-typed raw tracepoints: tracing programs with typed arguments. */
    TP_BTF("tp_btf", "BTF-typed raw tracepoints"),
    /** Dynamic kernel probes on any kernel function (kprobe/kretprobe). */
    KPROBE("kprobe", "kprobe/kretprobe on kernel functions"),
    /** Many kprobes in one link (fprobe-based). */
    KPROBE_MULTI("kprobe_multi", "kprobes on many functions in one BPF link"),
    /** Dynamic user-space probes (uprobe/uretprobe, and USDT on top of them). */
    UPROBE("uprobe", "uprobe/uretprobe and USDT in user binaries"),
    /** BPF trampolines at kernel function entry. */
    FENTRY("fentry", "BPF trampoline at kernel function entry"),
    /** BPF trampolines at kernel function exit. */
    FEXIT("fexit", "BPF trampoline at kernel function exit"),
    /** BPF LSM hooks. */
    LSM("lsm", "BPF programs on LSM security hooks"),
    /** BPF iterators (bpf_iter: tasks, maps, …). */
    ITER("iter", "BPF iterators over kernel objects"),
    /** eXpress Data Path. */
    XDP("xdp", "XDP packet programs"),
    /** Traffic control classifier (sched_cls via netlink). */
    TC("tc", "traffic control classifier programs"),
    /** tcx: traffic control through BPF links (6.6+). */
    TCX("tcx", "traffic control through BPF links"),
    /** Cgroup hooks (cgroup_skb and friends) through BPF links. */
    CGROUP("cgroup", "cgroup programs through BPF links"),
    /** Software perf events (cpu-clock sampling) carrying a perf_event program. */
    PERF_EVENT("perf_event", "sampling on software perf events (cpu-clock)"),
    /** Hardware perf counters (cycles, instructions). */
    PERF_EVENT_HW("perf_event_hw", "sampling on hardware perf counters"),
    /** BPF ring buffer maps (event channel). */
    RINGBUF("ringbuf", "BPF ring buffer for events"),
    /** BPF links (BPF_LINK_CREATE). */
    BPF_LINK("bpf_link", "BPF_LINK_CREATE attachments");

    private final String displayName;
    private final String description;

    AttachHook(String displayName, String description) {
        this.displayName = displayName;
        this.description = description;
    }

    /** The short name, as the probe report shows it: {@code kprobe}, {@code raw_tp}, {@code ringbuf}. */
    public String displayName() {
        return displayName;
    }

    /** What the hook is, in a few words. */
    public String description() {
        return description;
    }
}
