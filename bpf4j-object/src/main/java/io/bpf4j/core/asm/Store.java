package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code *(size *)(base + offset) = value}: a memory store of a register ({@code BPF_STX | BPF_MEM}) or of an
 * immediate ({@code BPF_ST | BPF_MEM}; a DW store sign-extends the 32-bit immediate).
 *
 * @param size   the access width
 * @param base   the register holding the address
 * @param offset a signed 16-bit displacement added to {@code base}
 * @param value  the register or immediate stored
 */
public record Store(Size size, Register base, int offset, Operand value) implements Instruction {

    public Store {
        Check.notNull(size, "size");
        Check.notNull(base, "base");
        Check.offset16(offset, "memory offset");
        Check.notNull(value, "value");
    }

    @Override
    public List<RawInstruction> toRaw() {
        int instructionClass = value instanceof Register ? Opcodes.CLASS_STX : Opcodes.CLASS_ST;
        return List.of(new RawInstruction(instructionClass | Opcodes.MODE_MEM | size.code(),
                base.number(), Opcodes.srcReg(value), offset, Opcodes.imm(value)));
    }
}
