package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code call pc+offset}: a BPF-to-BPF call of a function in the same program
 * ({@code BPF_JMP | BPF_CALL} with {@code src_reg = BPF_PSEUDO_CALL}).
 *
 * @param offset the callee's first slot, counted from the next instruction
 */
public record SubprogramCall(int offset) implements Instruction {

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_JMP | Opcodes.JMP_CALL, 0, Opcodes.PSEUDO_CALL, 0, offset));
    }
}
