package io.bpf4j.core.link;

import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.ObjectPath;
import io.bpf4j.core.internal.PerfEventAttr;
import io.bpf4j.core.kernel.Fd;

import java.nio.file.Path;
import java.util.List;

/**
 * A program attached to a hook through a BPF link. Closing the link detaches the program (unless the link is
 * pinned); the kernel also detaches it when this process exits, however it exits — so an XDP program
 * attached through a link is never left on an interface by a crashed tool. Detaching a link costs
 * microseconds, against ~76 ms for closing a perf-event tracepoint attachment, which is why bpf4j prefers
 * links wherever the kernel has them.
 */
public final class Link implements AutoCloseable {
    private final Fd fd;
    private final String description;
    /** False for a perf-event attachment made with PERF_EVENT_IOC_SET_BPF: {@link #fd} is then the perf event. */
    private final boolean bpfLink;
    /** Other fds the attachment holds (the perf event a link goes through), closed after {@link #fd}. */
    private final List<Fd> owned;

    Link(int fd, String description) {
        this(Fd.adopt(fd), true, description, List.of());
    }

    /**
     * A link that also owns {@code owned}, closed after {@code fd} (closing the perf event first would leave the
     * link pointing at a dead event until it is closed too).
     *
     * @param bpfLink false when {@code fd} is a perf event with a program set by ioctl, not a BPF link
     */
    Link(Fd fd, boolean bpfLink, String description, List<Fd> owned) {
        this.fd = fd;
        this.bpfLink = bpfLink;
        this.description = description;
        this.owned = List.copyOf(owned);
    }

    /** Opens the link with kernel id {@code id} (BPF_LINK_GET_FD_BY_ID), e.g. one {@code bpftool link} lists. */
    public static Link fromId(int id) {
        return new Link(Bpf.getFdById(Bpf.ObjType.LINK, id), "link id " + id);
    }

    /**
     * The link's file descriptor; for a perf-event attachment made without a BPF link (kernels before 5.15), the
     * perf event's.
     */
    public int fd() {
        return fd.value();
    }

    /** What is attached where, e.g. {@code xdp 'drop_udp' on lo (ifindex 1)}. */
    public String description() {
        return description;
    }

    /** What the kernel says about this link (BPF_OBJ_GET_INFO_BY_FD). */
    public LinkInfo info() {
        requireBpfLink("has no link info");
        return LinkInfo.of(fd.value());
    }

    /** Pins the link in bpffs: the attachment then outlives this process until the pin is removed. */
    public void pin(Path path) {
        requireBpfLink("cannot be pinned");
        ObjectPath.pin(fd.value(), path);
    }

    /**
     * Detaches the program now (BPF_LINK_DETACH), even while other holders (a pin, another process) keep the
     * link object alive. The link stays open but inert until closed.
     */
    public void detach() {
        if (!bpfLink) {
            // The program stays set on the perf event, but a disabled event never fires.
            int r = PerfEventAttr.disable(fd.value());
            if (r < 0) throw new BpfException("PERF_EVENT_IOC_DISABLE", -r, Bpf.message(
                    "disabling " + description, -r, null));
            return;
        }
        Bpf.linkDetach(fd.value(), description);
    }

    /** Closes this process's hold on the link; the program is detached once no pin or other holder remains. */
    @Override
    public void close() {
        fd.close();
        for (Fd f : owned) f.close();
    }

    private void requireBpfLink(String what) {
        if (!bpfLink) {
            throw new UnsupportedOperationException(description + " " + what + ": it was attached with "
                    + "PERF_EVENT_IOC_SET_BPF because this kernel has no perf-event BPF links (Linux 5.15+)");
        }
    }

    @Override
    public String toString() {
        return "Link[" + description + ", " + fd + "]";
    }
}
