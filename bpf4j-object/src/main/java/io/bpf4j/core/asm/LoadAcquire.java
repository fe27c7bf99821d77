package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = load_acquire((size *)(base + offset))}: a load that later memory accesses cannot be reordered
 * before (Linux 6.15+; {@code BPF_STX | BPF_ATOMIC} with {@code imm = BPF_LOAD_ACQ}).
 *
 * @param size   the access width
 * @param dst    the register loaded (zero-extended)
 * @param base   the register holding the address
 * @param offset a signed 16-bit displacement added to {@code base}
 */
public record LoadAcquire(Size size, Register dst, Register base, int offset) implements Instruction {

    public LoadAcquire {
        Check.notNull(size, "size");
        Check.notNull(dst, "dst");
        Check.notNull(base, "base");
        Check.offset16(offset, "memory offset");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_STX | Opcodes.MODE_ATOMIC | size.code(),
                dst.number(), base.number(), offset, Opcodes.ATOMIC_LOAD_ACQ));
    }
}
