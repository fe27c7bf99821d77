package io.bpf4j.core.link;

import io.bpf4j.core.internal.Bpf;

/**
 * What the kernel reports about a link.
 *
 * @param id        the link's kernel id
 * @param type      the kernel's link type number ({@code enum bpf_link_type}: 1 raw_tracepoint, 2 tracing,
 *                  3 cgroup, 4 iter, 5 netns, 6 xdp, 7 perf_event, 8 kprobe_multi, 9 struct_ops, 10 netfilter,
 *                  11 tcx, 12 uprobe_multi, 13 netkit)
 * @param programId the id of the attached program
 */
public record LinkInfo(int id, int type, int programId) {
    /** Link type number of XDP links. */
    public static final int TYPE_XDP = 6;
    /** Link type number of raw tracepoint links. */
    public static final int TYPE_RAW_TRACEPOINT = 1;

    /** Reads the info of the link behind {@code fd}. */
    public static LinkInfo of(int fd) {
        Bpf.LinkInfo info = Bpf.linkInfo(fd);
        return new LinkInfo(info.id(), info.type(), info.progId());
    }
}
