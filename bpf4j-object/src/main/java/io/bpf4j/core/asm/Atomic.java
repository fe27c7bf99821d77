package io.bpf4j.core.asm;

import java.util.List;

/**
 * An atomic read-modify-write of memory ({@code BPF_STX | BPF_ATOMIC}, operation in {@code imm}), e.g.
 * {@code lock *(u64 *)(base + offset) += src}. Load-acquire and store-release, which share the encoding but not
 * the shape, are {@link LoadAcquire} and {@link StoreRelease}.
 *
 * @param op     the operation
 * @param size   W or DW
 * @param base   the register holding the address
 * @param offset a signed 16-bit displacement added to {@code base}
 * @param src    the operand, and for fetching operations the register that receives the old value
 */
public record Atomic(AtomicOp op, Size size, Register base, int offset, Register src) implements Instruction {

    public Atomic {
        Check.notNull(op, "op");
        Check.notNull(size, "size");
        Check.notNull(base, "base");
        Check.offset16(offset, "memory offset");
        Check.notNull(src, "src");
        if (size != Size.W && size != Size.DW) {
            throw new IllegalArgumentException("atomic " + op + " exists for sizes W and DW only, not " + size);
        }
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_STX | Opcodes.MODE_ATOMIC | size.code(),
                base.number(), src.number(), offset, op.imm()));
    }
}
