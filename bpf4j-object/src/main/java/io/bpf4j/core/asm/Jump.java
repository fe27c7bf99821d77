package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code if dst <condition> src goto +offset}: a conditional jump of class {@code BPF_JMP} (64-bit comparison)
 * or {@code BPF_JMP32} (compares the low 32 bits).
 *
 * @param width     32- or 64-bit comparison
 * @param condition the comparison
 * @param dst       the left operand
 * @param src       the right operand
 * @param offset    slots to skip, counted from the next instruction, when the condition holds
 */
public record Jump(Width width, JumpCondition condition, Register dst, Operand src, int offset) implements Instruction {

    public Jump {
        Check.notNull(width, "width");
        Check.notNull(condition, "condition");
        Check.notNull(dst, "dst");
        Check.notNull(src, "src");
        Check.offset16(offset, "jump offset");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(width.jumpClass() | condition.code() | Opcodes.source(src),
                dst.number(), Opcodes.srcReg(src), offset, Opcodes.imm(src)));
    }
}
