package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.Net;
import io.bpf4j.core.internal.Netlink;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.ProgramType;

import java.util.Locale;
import java.util.Optional;

/**
 * Attaches traffic-control classifier programs ({@link ProgramType#SCHED_CLS}, direct action: the return value is
 * the verdict, {@code TC_ACT_OK} = 0, {@code TC_ACT_SHOT} = 2) to an interface's ingress or egress.
 * <p>
 * Where the kernel has tcx (Linux 6.6+) the attachment is a BPF link (BPF_LINK_CREATE with TCX_INGRESS or
 * TCX_EGRESS): it goes away when this process exits. Elsewhere bpf4j falls back to what {@code tc} does: a
 * {@code clsact} qdisc and a direct-action {@code bpf} filter (priority 1, handle 1) created over NETLINK_ROUTE;
 * the filter — and the qdisc, if this attachment created it — are removed by {@link #close()}, but unlike a link
 * they outlive a process that exits without closing.
 */
public final class Tc implements AutoCloseable {
    /** Which side of the interface the program sees. */
    public enum Direction {
        /** Packets the interface receives. */
        INGRESS(AttachType.TCX_INGRESS, 0xFFFFFFF2),
        /** Packets the interface sends. */
        EGRESS(AttachType.TCX_EGRESS, 0xFFFFFFF3);

        final AttachType attachType;
        /** TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS / TC_H_MIN_EGRESS). */
        final int parent;

        Direction(AttachType attachType, int parent) {
            this.attachType = attachType;
            this.parent = parent;
        }
    }

    /** How the program was attached. */
    public enum Mechanism {
        /** A tcx BPF link. */
        TCX,
        /** A clsact qdisc and a cls_bpf filter in direct-action mode, over netlink. */
        NETLINK
    }

    /** Tests set this to exercise the netlink fallback on kernels that have tcx. */
    static volatile boolean forceNetlink;

    private static final int TC_H_CLSACT = 0xFFFFFFF1, CLSACT_HANDLE = 0xFFFF0000;
    private static final int TCA_KIND = 1, TCA_OPTIONS = 2;
    private static final int TCA_BPF_FD = 6, TCA_BPF_NAME = 7, TCA_BPF_FLAGS = 8, TCA_BPF_FLAG_ACT_DIRECT = 1;
    private static final int PRIORITY = 1, HANDLE = 1;
    private static final int INFO = (PRIORITY << 16) | (Net.htons(Net.ETH_P_ALL) & 0xffff);

    private final Mechanism mechanism;
    private final Link link;
    private final int ifindex;
    private final Direction direction;
    private final boolean createdQdisc;
    private final String description;
    private boolean closed;

    private Tc(Mechanism mechanism, Link link, int ifindex, Direction direction, boolean createdQdisc,
               String description) {
        this.mechanism = mechanism;
        this.link = link;
        this.ifindex = ifindex;
        this.direction = direction;
        this.createdQdisc = createdQdisc;
        this.description = description;
    }

    /** Attaches {@code program} to the interface named {@code ifname}. */
    public static Tc attach(Program program, String ifname, Direction direction) {
        return attach(program, Xdp.ifindex(ifname), direction);
    }

    /**
     * Attaches {@code program} to the interface with index {@code ifindex}: a tcx link where the kernel has tcx,
     * else a clsact qdisc and a direct-action bpf filter.
     *
     * @throws IllegalArgumentException when the program is not sched_cls
     * @throws BpfException             when the kernel refuses both ways
     */
    public static Tc attach(Program program, int ifindex, Direction direction) {
        if (program.type() != ProgramType.SCHED_CLS) {
            throw new IllegalArgumentException("program '" + program.name() + "' is " + program.type().displayName()
                    + ", not sched_cls (tc)");
        }
        String dir = direction.name().toLowerCase(Locale.ROOT);
        if (!forceNetlink) {
            try {
                Link l = Links.create(program, ifindex, direction.attachType, 0);
                return new Tc(Mechanism.TCX, l, ifindex, direction, false,
                        "tcx " + dir + " '" + program.name() + "' on ifindex " + ifindex);
            } catch (BpfException e) {
                // EINVAL: the kernel does not know the tcx attach types (before 6.6). Anything else is a real refusal.
                if (!e.is(Errno.EINVAL) || Probes.tcx().available()) throw e;
            }
        }
        return attachNetlink(program, ifindex, direction);
    }

    private static Tc attachNetlink(Program program, int ifindex, Direction direction) {
        String dir = direction.name().toLowerCase(Locale.ROOT);
        String what = "tc " + dir + " filter '" + program.name() + "' on ifindex " + ifindex;
        try (Netlink nl = Netlink.open()) {
            int q = nl.request(Netlink.RTM_NEWQDISC, (short) (Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL),
                    new Netlink.TcMsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0).string(TCA_KIND, "clsact"));
            if (q < 0 && q != -Errno.EEXIST.code()) {
                throw new BpfException("RTM_NEWQDISC", -q, Bpf.message("adding a clsact qdisc for " + what, -q,
                        q == -Errno.ENOENT.code() || q == -Errno.EOPNOTSUPP.code()
                                ? "the kernel has no clsact qdisc (CONFIG_NET_SCH_INGRESS)" : null));
            }
            boolean created = q == 0;
            int f = nl.request(Netlink.RTM_NEWTFILTER, (short) (Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL),
                    new Netlink.TcMsg(ifindex, HANDLE, direction.parent, INFO).string(TCA_KIND, "bpf")
                            .begin(TCA_OPTIONS)
                            .u32(TCA_BPF_FD, program.fd())
                            .string(TCA_BPF_NAME, program.name().isEmpty() ? "bpf4j" : program.name())
                            .u32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT)
                            .end());
            if (f < 0) {
                if (created) nl.request(Netlink.RTM_DELQDISC, (short) 0,
                        new Netlink.TcMsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0).string(TCA_KIND, "clsact"));
                throw new BpfException("RTM_NEWTFILTER", -f, Bpf.message("adding " + what, -f,
                        f == -Errno.EEXIST.code() ? "a filter with priority " + PRIORITY + " handle " + HANDLE
                                + " is already there (see `tc filter show dev … " + dir + "`)"
                                : f == -Errno.ENOENT.code() ? "the kernel has no cls_bpf (CONFIG_NET_CLS_BPF)" : null));
            }
            return new Tc(Mechanism.NETLINK, null, ifindex, direction, created, what + " (clsact, direct-action)");
        }
    }

    /** {@link Mechanism#TCX} or {@link Mechanism#NETLINK}. */
    public Mechanism mechanism() {
        return mechanism;
    }

    /** The tcx link, when the attachment is one. */
    public Optional<Link> link() {
        return Optional.ofNullable(link);
    }

    /** The interface index. */
    public int ifindex() {
        return ifindex;
    }

    /** Ingress or egress. */
    public Direction direction() {
        return direction;
    }

    /** What is attached where. */
    public String description() {
        return description;
    }

    /**
     * Detaches: closes the tcx link, or deletes the filter (and the clsact qdisc if this attachment created it).
     *
     * @throws BpfException when the kernel refuses to delete the filter (it may already have been deleted)
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (link != null) {
            link.close();
            return;
        }
        try (Netlink nl = Netlink.open()) {
            int f = nl.request(Netlink.RTM_DELTFILTER, (short) 0,
                    new Netlink.TcMsg(ifindex, HANDLE, direction.parent, INFO).string(TCA_KIND, "bpf"));
            int q = 0;
            if (createdQdisc) {
                q = nl.request(Netlink.RTM_DELQDISC, (short) 0,
                        new Netlink.TcMsg(ifindex, CLSACT_HANDLE, TC_H_CLSACT, 0).string(TCA_KIND, "clsact"));
            }
            int r = f < 0 && !(createdQdisc && q == 0) ? f : q;
            if (r < 0 && r != -Errno.ENODEV.code()) {
                throw new BpfException("RTM_DELTFILTER", -r, Bpf.message("removing " + description, -r, null));
            }
        }
    }

    @Override
    public String toString() {
        return "Tc[" + description + (closed ? ", closed" : "") + "]";
    }
}
