package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = *(size *)(base + offset)}: a zero-extending memory load ({@code BPF_LDX | BPF_MEM}).
 *
 * @param size   the access width
 * @param dst    the register loaded
 * @param base   the register holding the address
 * @param offset a signed 16-bit displacement added to {@code base}
 */
public record Load(Size size, Register dst, Register base, int offset) implements Instruction {

    public Load {
        Check.notNull(size, "size");
        Check.notNull(dst, "dst");
        Check.notNull(base, "base");
        Check.offset16(offset, "memory offset");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_LDX | Opcodes.MODE_MEM | size.code(),
                dst.number(), base.number(), offset, 0));
    }
}
