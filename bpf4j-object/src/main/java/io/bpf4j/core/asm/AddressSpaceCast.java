package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = addr_space_cast(src, dstSpace, srcSpace)}: converts a pointer between address spaces, as used for
 * BPF arena memory (Linux 6.9+; an ALU64 register {@code MOV} with offset 1 and the two spaces in {@code imm}).
 *
 * @param dst      the destination
 * @param src      the pointer to convert
 * @param dstSpace the address space converted to (upper 16 bits of imm)
 * @param srcSpace the address space converted from (lower 16 bits of imm)
 */
public record AddressSpaceCast(Register dst, Register src, int dstSpace, int srcSpace) implements Instruction {

    public AddressSpaceCast {
        Check.notNull(dst, "dst");
        Check.notNull(src, "src");
        if (dstSpace < 0 || dstSpace > 0xffff || srcSpace < 0 || srcSpace > 0xffff) {
            throw new IllegalArgumentException("address spaces are 16-bit numbers, got " + dstSpace + " and " + srcSpace);
        }
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_ALU64 | Opcodes.ALU_MOV | Opcodes.SOURCE_X,
                dst.number(), src.number(), Opcodes.ADDR_SPACE_CAST, dstSpace << 16 | srcSpace));
    }
}
