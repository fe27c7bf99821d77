package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = value}: loads a full 64-bit constant ({@code BPF_LD | BPF_IMM | BPF_DW}, src_reg 0); the lower
 * half goes in the first slot's {@code imm}, the upper half in the second's.
 *
 * @param dst   the register loaded
 * @param value the constant
 */
public record LoadImm64(Register dst, long value) implements WideInstruction {

    public LoadImm64 {
        Check.notNull(dst, "dst");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return Opcodes.wide(dst, 0, (int) value, (int) (value >>> 32));
    }
}
