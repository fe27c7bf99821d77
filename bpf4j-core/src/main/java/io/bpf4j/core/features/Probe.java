package io.bpf4j.core.features;

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

    /** This answer under another name. */
    Probe named(String other) {
        return new Probe(other, available, reason);
    }

    /** {@code name: available} or {@code name: unavailable — reason}, as the CLI prints it. */
    @Override
    public String toString() {
        if (available) return name + ": available" + (reason.isEmpty() ? "" : " (" + reason + ")");
        return name + ": unavailable — " + reason;
    }
}
