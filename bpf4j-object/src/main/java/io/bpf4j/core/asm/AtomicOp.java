package io.bpf4j.core.asm;

/**
 * The read-modify-write operations of an {@link Atomic} instruction, carried in its {@code imm} field.
 * The {@code FETCH_} variants and {@link #XCHG} also return the old value in the source register;
 * {@link #CMPXCHG} compares with and returns into R0.
 */
public enum AtomicOp {
    ADD(0x00),
    OR(0x40),
    AND(0x50),
    XOR(0xa0),
    FETCH_ADD(0x00 | Opcodes.ATOMIC_FETCH),
    FETCH_OR(0x40 | Opcodes.ATOMIC_FETCH),
    FETCH_AND(0x50 | Opcodes.ATOMIC_FETCH),
    FETCH_XOR(0xa0 | Opcodes.ATOMIC_FETCH),
    /** Exchange: {@code src = xchg(*(dst + off), src)}. */
    XCHG(0xe0 | Opcodes.ATOMIC_FETCH),
    /** Compare and exchange: {@code r0 = cmpxchg(*(dst + off), r0, src)}. */
    CMPXCHG(0xf0 | Opcodes.ATOMIC_FETCH);

    private final int imm;

    AtomicOp(int imm) {
        this.imm = imm;
    }

    /** The value of the {@code imm} field that selects this operation. */
    public int imm() {
        return imm;
    }

    /** The operation with this {@code imm}, or null if there is none. */
    static AtomicOp of(int imm) {
        for (AtomicOp op : values()) {
            if (op.imm == imm) {
                return op;
            }
        }
        return null;
    }
}
