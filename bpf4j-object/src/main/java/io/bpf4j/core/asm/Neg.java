package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = -dst} on 32 or 64 bits ({@code BPF_NEG}; defined with an immediate source of 0 only).
 *
 * @param width 32- or 64-bit operation
 * @param dst   the register to negate
 */
public record Neg(Width width, Register dst) implements Instruction {

    public Neg {
        Check.notNull(width, "width");
        Check.notNull(dst, "dst");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(width.aluClass() | Opcodes.ALU_NEG | Opcodes.SOURCE_K, dst.number(), 0, 0, 0));
    }
}
