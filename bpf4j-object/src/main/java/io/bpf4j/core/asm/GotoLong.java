package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code gotol +offset}: an unconditional jump with a 32-bit offset in {@code imm}
 * ({@code BPF_JMP32 | BPF_JA}, ISA v4), for programs larger than a 16-bit offset can span.
 *
 * @param offset slots to skip, counted from the next instruction
 */
public record GotoLong(int offset) implements Instruction {

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_JMP32 | Opcodes.JMP_JA, 0, 0, 0, offset));
    }
}
