package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.object.AttachType;

import java.util.Locale;

/**
 * BPF_LINK_CREATE for attach types that need nothing beyond a target: cgroup hooks (a cgroup directory fd),
 * iterators (no target), tcx (an interface index), netns hooks (a netns fd)… Hook families with their own
 * attributes have their own class ({@link Xdp}, {@link KprobeMulti}, {@link RawTracepoint}).
 */
public final class Links {
    private Links() {
    }

    /**
     * Links {@code program} to {@code target} as {@code attachType}.
     *
     * @param target the attach type's target: a file descriptor (cgroup directory, netns) or an interface index
     *               (tcx), 0 for none (iterators)
     * @param flags  BPF_F_* link flags, usually 0
     * @throws io.bpf4j.core.error.BpfException
     *         when the kernel refuses: ENODEV for a missing interface, EINVAL when this
     *         program or kernel cannot be attached this way…
     */
    public static Link create(Program program, int target, AttachType attachType, int flags) {
        String what = attachType.name().toLowerCase(Locale.ROOT) + " '" + program.name() + "'"
                + (target == 0 ? "" : " on target " + target);
        return new Link(Bpf.linkCreate(program.fd(), target, attachType.code(), flags, what), what);
    }
}
