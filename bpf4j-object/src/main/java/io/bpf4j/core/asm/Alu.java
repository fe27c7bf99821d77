package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst op= src}: a two-operand arithmetic, logic, shift or move instruction of class {@code BPF_ALU}
 * (32-bit) or {@code BPF_ALU64}, with a register or an immediate source.
 *
 * @param width 32- or 64-bit operation
 * @param op    the operation
 * @param dst   the destination (and first operand)
 * @param src   the second operand
 */
public record Alu(Width width, AluOp op, Register dst, Operand src) implements Instruction {

    public Alu {
        Check.notNull(width, "width");
        Check.notNull(op, "op");
        Check.notNull(dst, "dst");
        Check.notNull(src, "src");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(width.aluClass() | op.code() | Opcodes.source(src),
                dst.number(), Opcodes.srcReg(src), op.offset(), Opcodes.imm(src)));
    }
}
