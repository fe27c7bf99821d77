package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code store_release((size *)(base + offset), src)}: a store that earlier memory accesses cannot be reordered
 * after (Linux 6.15+; {@code BPF_STX | BPF_ATOMIC} with {@code imm = BPF_STORE_REL}).
 *
 * @param size   the access width
 * @param base   the register holding the address
 * @param offset a signed 16-bit displacement added to {@code base}
 * @param src    the register stored
 */
public record StoreRelease(Size size, Register base, int offset, Register src) implements Instruction {

    public StoreRelease {
        Check.notNull(size, "size");
        Check.notNull(base, "base");
        Check.offset16(offset, "memory offset");
        Check.notNull(src, "src");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_STX | Opcodes.MODE_ATOMIC | size.code(),
                base.number(), src.number(), offset, Opcodes.ATOMIC_STORE_REL));
    }
}
