package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.BpfCommand;
import io.bpf4j.core.internal.PerfEventAttr;
import io.bpf4j.core.kernel.Fd;
import io.bpf4j.core.object.AttachType;

import java.util.List;

/**
 * Attaching a program to an open perf event — a tracepoint, kprobe, uprobe or sampling event: through a
 * BPF_PERF_EVENT link where the kernel has them (5.15+), otherwise with PERF_EVENT_IOC_SET_BPF. The one place
 * every perf-event hook family goes through.
 */
final class PerfLinks {
    private PerfLinks() {
    }

    /**
     * A link owning {@code perf}: a BPF link over it, or on kernels without perf links the perf event itself with
     * the program set by ioctl (only without a cookie, which needs a link).
     */
    static Link attach(Program program, Fd perf, long cookie, String what) {
        int link = create(program, perf, cookie);
        if (link >= 0) {
            enable(perf, what);
            return new Link(Fd.adopt(link), true, what, List.of(perf));
        }
        Errno e = Errno.of(-link);
        // Kernels before 5.15 do not know BPF_PERF_EVENT links: EINVAL (unknown attach type) or EOPNOTSUPP.
        boolean noPerfLinks = e == Errno.EINVAL || e == Errno.EOPNOTSUPP || e == Errno.ENOTSUPP;
        if (!noPerfLinks || cookie != 0) throw Bpf.failure(BpfCommand.LINK_CREATE, -link, what);
        int r = PerfEventAttr.setBpf(perf.value(), program.fd());
        if (r < 0) {
            throw new BpfException("PERF_EVENT_IOC_SET_BPF", -r, Bpf.message("PERF_EVENT_IOC_SET_BPF for " + what
                    + " (after BPF_LINK_CREATE failed with " + e.name() + ")", -r, null));
        }
        enable(perf, what);
        return new Link(perf, false, what, List.of());
    }

    /** A BPF_PERF_EVENT link fd over {@code perf} (no ioctl fallback), the event enabled; throws when refused. */
    static Fd linkFd(Program program, Fd perf, long cookie, String what) {
        int link = create(program, perf, cookie);
        if (link < 0) throw Bpf.failure(BpfCommand.LINK_CREATE, -link, what);
        enable(perf, what);
        return Fd.adopt(link);
    }

    private static int create(Program program, Fd perf, long cookie) {
        return Bpf.linkCreatePerfEvent(program.fd(), perf.value(), AttachType.PERF_EVENT.code(), cookie);
    }

    private static void enable(Fd perf, String what) {
        // Events are opened enabled already; enabling again is what perf and libbpf do, and is harmless.
        int r = PerfEventAttr.enable(perf.value());
        if (r < 0) throw new BpfException("PERF_EVENT_IOC_ENABLE", -r, Bpf.message("enabling " + what, -r, null));
    }
}
