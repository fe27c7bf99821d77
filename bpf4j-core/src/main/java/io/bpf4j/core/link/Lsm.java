package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;

/**
 * BPF LSM programs ({@link ProgramType#LSM}, expected attach type {@link AttachType#LSM_MAC}) on a security hook
 * such as {@code file_open} (kernel function {@code bpf_lsm_file_open}): the program's return value can deny the
 * operation. Needs CONFIG_BPF_LSM with {@code bpf} in the active LSM list; {@link #load} explains refusals in
 * {@link Features}' words.
 */
public final class Lsm {
    private Lsm() {
    }

    /** A spec for a program on LSM hook {@code hook} ("file_open", or the full "bpf_lsm_file_open"). */
    public static ProgramSpec spec(String name, String hook, Instructions instructions) {
        String function = hook.startsWith("bpf_lsm_") ? hook : "bpf_lsm_" + hook;
        return ProgramSpec.of(name, ProgramType.LSM, instructions).withExpectedAttachType(AttachType.LSM_MAC)
                .withAttachBtf(Fentry.kernelFunction(function, "lsm"), 0);
    }

    /** Loads an LSM spec; refusals carry the reason {@link Features} found. */
    public static Program load(ProgramSpec spec) {
        return Fentry.loadExplained(spec, availability());
    }

    /** Attaches a loaded LSM program to its hook (BPF_RAW_TRACEPOINT_OPEN). */
    public static Link attach(Program program) {
        if (program.type() != ProgramType.LSM) {
            throw new IllegalArgumentException("program '" + program.name() + "' is " + program.type().displayName()
                    + ", not lsm");
        }
        return RawTracepoint.attach(program);
    }

    /** Whether LSM programs load and run here, and if not, why. */
    public static Probe availability() {
        return Probes.lsm();
    }
}
