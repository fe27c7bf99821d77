package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = *(s8/s16/s32 *)(base + offset)}: a memory load that sign-extends to 64 bits
 * ({@code BPF_LDX | BPF_MEMSX}, ISA v4).
 *
 * @param size   the access width: B, H or W
 * @param dst    the register loaded
 * @param base   the register holding the address
 * @param offset a signed 16-bit displacement added to {@code base}
 */
public record LoadSignExtend(Size size, Register dst, Register base, int offset) implements Instruction {

    public LoadSignExtend {
        Check.notDoubleWord(size, "a sign-extending load");
        Check.notNull(dst, "dst");
        Check.notNull(base, "base");
        Check.offset16(offset, "memory offset");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_LDX | Opcodes.MODE_MEMSX | size.code(),
                dst.number(), base.number(), offset, 0));
    }
}
