package io.bpf4j.core.asm;

import java.util.List;

/**
 * Byte-order conversion of the low {@code bits} of a register ({@code BPF_END}): to little- or big-endian
 * (class {@code BPF_ALU}; a no-op or a swap depending on the host), or an unconditional swap
 * (class {@code BPF_ALU64}, ISA v4). The result is zero-extended to 64 bits.
 *
 * @param kind which conversion
 * @param bits how many low bits are converted: 16, 32 or 64
 * @param dst  the register converted in place
 */
public record ByteSwap(Kind kind, int bits, Register dst) implements Instruction {

    /** The conversion a {@link ByteSwap} performs. */
    public enum Kind {
        /** {@code htole}: convert to little-endian ({@code BPF_ALU | BPF_END | BPF_TO_LE}). */
        TO_LE,
        /** {@code htobe}: convert to big-endian ({@code BPF_ALU | BPF_END | BPF_TO_BE}). */
        TO_BE,
        /** Swap regardless of the host's byte order ({@code BPF_ALU64 | BPF_END}, ISA v4). */
        SWAP
    }

    public ByteSwap {
        Check.notNull(kind, "kind");
        Check.notNull(dst, "dst");
        if (bits != 16 && bits != 32 && bits != 64) {
            throw new IllegalArgumentException("a byte swap converts 16, 32 or 64 bits, not " + bits);
        }
    }

    @Override
    public List<RawInstruction> toRaw() {
        int opcode = switch (kind) {
            case TO_LE -> Opcodes.CLASS_ALU | Opcodes.ALU_END | Opcodes.END_TO_LE;
            case TO_BE -> Opcodes.CLASS_ALU | Opcodes.ALU_END | Opcodes.END_TO_BE;
            case SWAP -> Opcodes.CLASS_ALU64 | Opcodes.ALU_END;
        };
        return List.of(new RawInstruction(opcode, dst.number(), 0, 0, bits));
    }
}
