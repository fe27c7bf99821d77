package io.bpf4j.core.object;


import java.util.ArrayList;
import java.util.List;

import static io.bpf4j.core.object.AttachType.*;
import static io.bpf4j.core.object.ProgramType.*;

/**
 * libbpf's section name table, written from its documentation ("Program Types and ELF Sections"). The order
 * matters: more specific names come before the shorter names they start with ({@code xdp.frags/devmap} before
 * {@code xdp.frags}, {@code sk_skb/stream_parser} before {@code sk_skb}).
 */
final class SectionTable {
    private SectionTable() {
    }

    /** One table row; {@code prefix} rows (libbpf's {@code +}) accept {@code name/<target>}. */
    record Entry(String name, boolean prefix, ProgramType type, AttachType attach, int flags, boolean attachBtf) {
    }

    private static final int SLEEPABLE = ProgramSection.F_SLEEPABLE;
    private static final int FRAGS = ProgramSection.F_XDP_HAS_FRAGS;

    static final List<Entry> ENTRIES = build();

    private static List<Entry> build() {
        List<Entry> t = new ArrayList<>();
        exact(t, "socket", SOCKET_FILTER, null);
        exact(t, "sk_reuseport/migrate", SK_REUSEPORT, SK_REUSEPORT_SELECT_OR_MIGRATE);
        exact(t, "sk_reuseport", SK_REUSEPORT, SK_REUSEPORT_SELECT);
        // kprobes and uprobes: the target is function[+offset] or binary:function[+offset]
        prefix(t, "kprobe", KPROBE, null, 0);
        prefix(t, "uprobe", KPROBE, null, 0);
        prefix(t, "uprobe.s", KPROBE, null, SLEEPABLE);
        prefix(t, "kretprobe", KPROBE, null, 0);
        prefix(t, "uretprobe", KPROBE, null, 0);
        prefix(t, "uretprobe.s", KPROBE, null, SLEEPABLE);
        prefix(t, "kprobe.multi", KPROBE, TRACE_KPROBE_MULTI, 0);
        prefix(t, "kretprobe.multi", KPROBE, TRACE_KPROBE_MULTI, 0);
        prefix(t, "kprobe.session", KPROBE, TRACE_KPROBE_SESSION, 0);
        prefix(t, "uprobe.multi", KPROBE, TRACE_UPROBE_MULTI, 0);
        prefix(t, "uretprobe.multi", KPROBE, TRACE_UPROBE_MULTI, 0);
        prefix(t, "uprobe.session", KPROBE, TRACE_UPROBE_SESSION, 0);
        prefix(t, "uprobe.multi.s", KPROBE, TRACE_UPROBE_MULTI, SLEEPABLE);
        prefix(t, "uretprobe.multi.s", KPROBE, TRACE_UPROBE_MULTI, SLEEPABLE);
        prefix(t, "uprobe.session.s", KPROBE, TRACE_UPROBE_SESSION, SLEEPABLE);
        prefix(t, "ksyscall", KPROBE, null, 0);
        prefix(t, "kretsyscall", KPROBE, null, 0);
        prefix(t, "usdt", KPROBE, null, 0);
        prefix(t, "usdt.s", KPROBE, null, SLEEPABLE);
        // traffic control: tc/ingress and tc/egress are libbpf's aliases of tcx
        exact(t, "tc/ingress", SCHED_CLS, TCX_INGRESS);
        exact(t, "tc/egress", SCHED_CLS, TCX_EGRESS);
        exact(t, "tcx/ingress", SCHED_CLS, TCX_INGRESS);
        exact(t, "tcx/egress", SCHED_CLS, TCX_EGRESS);
        exact(t, "tc", SCHED_CLS, null);
        exact(t, "classifier", SCHED_CLS, null);
        exact(t, "action", SCHED_ACT, null);
        exact(t, "netkit/primary", SCHED_CLS, NETKIT_PRIMARY);
        exact(t, "netkit/peer", SCHED_CLS, NETKIT_PEER);
        // tracepoints: the target is category/name
        prefix(t, "tracepoint", TRACEPOINT, null, 0);
        prefix(t, "tp", TRACEPOINT, null, 0);
        prefix(t, "raw_tracepoint", RAW_TRACEPOINT, null, 0);
        prefix(t, "raw_tp", RAW_TRACEPOINT, null, 0);
        prefix(t, "raw_tracepoint.w", RAW_TRACEPOINT_WRITABLE, null, 0);
        prefix(t, "raw_tp.w", RAW_TRACEPOINT_WRITABLE, null, 0);
        // BTF-attached tracing: the target is a kernel function, tracepoint or LSM hook found in kernel BTF
        btf(t, "tp_btf", TRACING, TRACE_RAW_TP, 0);
        btf(t, "fentry", TRACING, TRACE_FENTRY, 0);
        btf(t, "fmod_ret", TRACING, MODIFY_RETURN, 0);
        btf(t, "fexit", TRACING, TRACE_FEXIT, 0);
        btf(t, "fentry.s", TRACING, TRACE_FENTRY, SLEEPABLE);
        btf(t, "fmod_ret.s", TRACING, MODIFY_RETURN, SLEEPABLE);
        btf(t, "fexit.s", TRACING, TRACE_FEXIT, SLEEPABLE);
        btf(t, "freplace", EXT, null, 0);
        btf(t, "lsm", LSM, LSM_MAC, 0);
        btf(t, "lsm.s", LSM, LSM_MAC, SLEEPABLE);
        btf(t, "lsm_cgroup", LSM, LSM_CGROUP, 0);
        btf(t, "iter", TRACING, TRACE_ITER, 0);
        btf(t, "iter.s", TRACING, TRACE_ITER, SLEEPABLE);
        t.add(new Entry("syscall", false, SYSCALL, null, SLEEPABLE, false));
        // XDP
        t.add(new Entry("xdp.frags/devmap", false, ProgramType.XDP, XDP_DEVMAP, FRAGS, false));
        exact(t, "xdp/devmap", ProgramType.XDP, XDP_DEVMAP);
        t.add(new Entry("xdp.frags/cpumap", false, ProgramType.XDP, XDP_CPUMAP, FRAGS, false));
        exact(t, "xdp/cpumap", ProgramType.XDP, XDP_CPUMAP);
        t.add(new Entry("xdp.frags", false, ProgramType.XDP, AttachType.XDP, FRAGS, false));
        exact(t, "xdp", ProgramType.XDP, AttachType.XDP);
        exact(t, "perf_event", ProgramType.PERF_EVENT, null);
        exact(t, "lwt_in", LWT_IN, null);
        exact(t, "lwt_out", LWT_OUT, null);
        exact(t, "lwt_xmit", LWT_XMIT, null);
        exact(t, "lwt_seg6local", LWT_SEG6LOCAL, null);
        exact(t, "sockops", SOCK_OPS, CGROUP_SOCK_OPS);
        exact(t, "sk_skb/stream_parser", SK_SKB, SK_SKB_STREAM_PARSER);
        exact(t, "sk_skb/stream_verdict", SK_SKB, SK_SKB_STREAM_VERDICT);
        exact(t, "sk_skb/verdict", SK_SKB, SK_SKB_VERDICT);
        exact(t, "sk_skb", SK_SKB, null);
        exact(t, "sk_msg", SK_MSG, SK_MSG_VERDICT);
        exact(t, "lirc_mode2", ProgramType.LIRC_MODE2, AttachType.LIRC_MODE2);
        exact(t, "flow_dissector", ProgramType.FLOW_DISSECTOR, AttachType.FLOW_DISSECTOR);
        // cgroups
        exact(t, "cgroup_skb/ingress", CGROUP_SKB, CGROUP_INET_INGRESS);
        exact(t, "cgroup_skb/egress", CGROUP_SKB, CGROUP_INET_EGRESS);
        exact(t, "cgroup/skb", CGROUP_SKB, null);
        exact(t, "cgroup/sock_create", CGROUP_SOCK, CGROUP_INET_SOCK_CREATE);
        exact(t, "cgroup/sock_release", CGROUP_SOCK, CGROUP_INET_SOCK_RELEASE);
        exact(t, "cgroup/sock", CGROUP_SOCK, CGROUP_INET_SOCK_CREATE);
        exact(t, "cgroup/post_bind4", CGROUP_SOCK, CGROUP_INET4_POST_BIND);
        exact(t, "cgroup/post_bind6", CGROUP_SOCK, CGROUP_INET6_POST_BIND);
        exact(t, "cgroup/bind4", CGROUP_SOCK_ADDR, CGROUP_INET4_BIND);
        exact(t, "cgroup/bind6", CGROUP_SOCK_ADDR, CGROUP_INET6_BIND);
        exact(t, "cgroup/connect4", CGROUP_SOCK_ADDR, CGROUP_INET4_CONNECT);
        exact(t, "cgroup/connect6", CGROUP_SOCK_ADDR, CGROUP_INET6_CONNECT);
        exact(t, "cgroup/connect_unix", CGROUP_SOCK_ADDR, CGROUP_UNIX_CONNECT);
        exact(t, "cgroup/sendmsg4", CGROUP_SOCK_ADDR, CGROUP_UDP4_SENDMSG);
        exact(t, "cgroup/sendmsg6", CGROUP_SOCK_ADDR, CGROUP_UDP6_SENDMSG);
        exact(t, "cgroup/sendmsg_unix", CGROUP_SOCK_ADDR, CGROUP_UNIX_SENDMSG);
        exact(t, "cgroup/recvmsg4", CGROUP_SOCK_ADDR, CGROUP_UDP4_RECVMSG);
        exact(t, "cgroup/recvmsg6", CGROUP_SOCK_ADDR, CGROUP_UDP6_RECVMSG);
        exact(t, "cgroup/recvmsg_unix", CGROUP_SOCK_ADDR, CGROUP_UNIX_RECVMSG);
        exact(t, "cgroup/getpeername4", CGROUP_SOCK_ADDR, CGROUP_INET4_GETPEERNAME);
        exact(t, "cgroup/getpeername6", CGROUP_SOCK_ADDR, CGROUP_INET6_GETPEERNAME);
        exact(t, "cgroup/getpeername_unix", CGROUP_SOCK_ADDR, CGROUP_UNIX_GETPEERNAME);
        exact(t, "cgroup/getsockname4", CGROUP_SOCK_ADDR, CGROUP_INET4_GETSOCKNAME);
        exact(t, "cgroup/getsockname6", CGROUP_SOCK_ADDR, CGROUP_INET6_GETSOCKNAME);
        exact(t, "cgroup/getsockname_unix", CGROUP_SOCK_ADDR, CGROUP_UNIX_GETSOCKNAME);
        exact(t, "cgroup/sysctl", ProgramType.CGROUP_SYSCTL, AttachType.CGROUP_SYSCTL);
        exact(t, "cgroup/getsockopt", CGROUP_SOCKOPT, CGROUP_GETSOCKOPT);
        exact(t, "cgroup/setsockopt", CGROUP_SOCKOPT, CGROUP_SETSOCKOPT);
        exact(t, "cgroup/dev", ProgramType.CGROUP_DEVICE, AttachType.CGROUP_DEVICE);
        prefix(t, "struct_ops", ProgramType.STRUCT_OPS, null, 0);
        prefix(t, "struct_ops.s", ProgramType.STRUCT_OPS, null, SLEEPABLE);
        exact(t, "sk_lookup", ProgramType.SK_LOOKUP, AttachType.SK_LOOKUP);
        exact(t, "netfilter", ProgramType.NETFILTER, AttachType.NETFILTER);
        return List.copyOf(t);
    }

    private static void exact(List<Entry> t, String name, ProgramType type, AttachType attach) {
        t.add(new Entry(name, false, type, attach, 0, false));
    }

    private static void prefix(List<Entry> t, String name, ProgramType type, AttachType attach, int flags) {
        t.add(new Entry(name, true, type, attach, flags, false));
    }

    private static void btf(List<Entry> t, String name, ProgramType type, AttachType attach, int flags) {
        t.add(new Entry(name, true, type, attach, flags, true));
    }
}
