package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = (s8/s16/s32) src}: a move that sign-extends the low {@code fromBits} of the source (ISA v4,
 * {@code BPF_MOV | BPF_X} with the offset field holding the source width). The 32-bit form extends 8 or 16 bits.
 *
 * @param width    32- or 64-bit destination
 * @param dst      the destination
 * @param src      the source
 * @param fromBits how many low bits of {@code src} are sign-extended: 8, 16, or (64-bit only) 32
 */
public record MovSignExtend(Width width, Register dst, Register src, int fromBits) implements Instruction {

    public MovSignExtend {
        Check.notNull(width, "width");
        Check.notNull(dst, "dst");
        Check.notNull(src, "src");
        if (fromBits != 8 && fromBits != 16 && fromBits != 32) {
            throw new IllegalArgumentException("a sign-extending move extends 8, 16 or 32 bits, not " + fromBits);
        }
        if (width == Width.BITS32 && fromBits == 32) {
            throw new IllegalArgumentException("a 32-bit sign-extending move extends 8 or 16 bits; "
                    + "extending 32 bits into 32 bits is a plain 32-bit mov");
        }
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(width.aluClass() | Opcodes.ALU_MOV | Opcodes.SOURCE_X,
                dst.number(), src.number(), fromBits, 0));
    }
}
