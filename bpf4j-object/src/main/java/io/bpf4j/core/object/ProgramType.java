package io.bpf4j.core.object;

/** eBPF program types, numbered as in {@code enum bpf_prog_type} of include/uapi/linux/bpf.h. */
public enum ProgramType {
    UNSPEC, SOCKET_FILTER, KPROBE, SCHED_CLS, SCHED_ACT, TRACEPOINT, XDP, PERF_EVENT, CGROUP_SKB, CGROUP_SOCK,
    LWT_IN, LWT_OUT, LWT_XMIT, SOCK_OPS, SK_SKB, CGROUP_DEVICE, SK_MSG, RAW_TRACEPOINT, CGROUP_SOCK_ADDR,
    LWT_SEG6LOCAL, LIRC_MODE2, SK_REUSEPORT, FLOW_DISSECTOR, CGROUP_SYSCTL, RAW_TRACEPOINT_WRITABLE,
    CGROUP_SOCKOPT, TRACING, STRUCT_OPS, EXT, LSM, SK_LOOKUP, SYSCALL, NETFILTER;

    private static final ProgramType[] VALUES = values();

    /** The kernel's number for this type. */
    public int code() {
        return ordinal();
    }

    /** The type the kernel numbers {@code code}; throws for numbers this version of bpf4j does not know. */
    public static ProgramType of(int code) {
        if (code < 0 || code >= VALUES.length) {
            throw new IllegalArgumentException("unknown BPF program type " + code);
        }
        return VALUES[code];
    }

    /** The name as bpftool prints it, e.g. {@code sched_cls}, {@code raw_tracepoint}. */
    public String displayName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
