package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code nospec}: a speculation barrier the verifier inserts to mitigate Spectre variants in programs loaded
 * without the capability to bypass the mitigations. It appears only in translated instructions the kernel
 * reports ({@code BPF_ST} with the internal mode {@code BPF_NOSPEC}, 0xc2); the verifier rejects it in programs
 * being loaded.
 */
public record SpeculationBarrier() implements Instruction {

    /** {@code BPF_ST | BPF_NOSPEC}; the mode has no uapi name. */
    static final int OPCODE = Opcodes.CLASS_ST | 0xc0;

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(OPCODE, 0, 0, 0, 0));
    }
}
