package io.bpf4j.core.kernel;

import io.bpf4j.core.error.Errno;

import java.util.Objects;

/**
 * One answer of the feature probe: whether {@code name} (a program type, map type, helper or attach hook) is
 * usable on this kernel, and why not — or, for an available feature, a note worth knowing (empty otherwise).
 *
 * @param name      what was probed, as bpftool names it ({@code xdp}, {@code ringbuf}, {@code get_stackid},
 *                  {@code kprobe}…)
 * @param available whether it works here
 * @param reason    for an unavailable feature, why (e.g. {@code CONFIG_KPROBES is not set},
 *                  {@code program load refused with EPERM (lockdown: integrity)}); for an available one a note or
 *                  the empty string
 */
public record Probe(String name, boolean available, String reason) {
    public Probe {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(reason, "reason");
    }

    /** An available feature. */
    public static Probe yes(String name) {
        return new Probe(name, true, "");
    }

    /** An available feature with a note. */
    public static Probe yes(String name, String note) {
        return new Probe(name, true, note);
    }

    /** An unavailable feature and why. */
    public static Probe no(String name, String reason) {
        return new Probe(name, false, reason);
    }

    /** This answer under another name (a hook answered by the probe of a program type, say). */
    public Probe named(String other) {
        return new Probe(other, available, reason);
    }

    /**
     * Why a probe's program load was refused, in a few words: EPERM as "not root" or with the lockdown mode,
     * otherwise the errno's name and the verifier's decisive line.
     *
     * @param log the verifier log of the refused load, empty when there was none
     */
    public static String explainLoad(int errno, String log) {
        if (errno == Errno.EPERM.code()) {
            if (!Host.isRoot()) return "program load refused with EPERM: not root (needs CAP_BPF)";
            return "program load refused with EPERM" + lockdownNote();
        }
        String last = lastLine(log);
        return errnoName(errno) + (last.isEmpty() ? "" : ": " + last);
    }

    /** The verifier's decisive line: the last one that is not a statistic. */
    private static String lastLine(String log) {
        String last = "";
        for (String l : log.split("\n")) {
            String s = l.strip();
            if (s.isEmpty() || s.startsWith("processed ") || s.startsWith("verification time")
                    || s.startsWith("stack depth") || s.startsWith("-- END PROG LOAD LOG --")) continue;
            last = s;
        }
        return last;
    }

    /** The errno's name ({@code EINVAL}), or {@code errno N} for one bpf4j does not know. */
    public static String errnoName(int errno) {
        Errno e = Errno.of(errno);
        return e == Errno.UNKNOWN ? "errno " + errno : e.name();
    }

    /** " (lockdown: integrity)" when the kernel is locked down, else "". */
    public static String lockdownNote() {
        KernelInfo k = KernelInfo.current();
        return k.lockedDown() ? " (lockdown: " + k.lockdown() + ")" : "";
    }

    /** {@code name: available} or {@code name: unavailable — reason}, as the CLI prints it. */
    @Override
    public String toString() {
        if (available) return name + ": available" + (reason.isEmpty() ? "" : " (" + reason + ")");
        return name + ": unavailable — " + reason;
    }
}
