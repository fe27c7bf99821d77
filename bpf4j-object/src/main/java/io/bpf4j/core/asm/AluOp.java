package io.bpf4j.core.asm;

/**
 * The two-operand arithmetic, logic, shift and move operations of {@link Alu}: {@code dst = dst op src}.
 * Negation, sign-extending moves and byte swaps have their own records ({@link Neg}, {@link MovSignExtend},
 * {@link ByteSwap}) because they take a different shape of operands.
 */
public enum AluOp {
    ADD(0x00, 0),
    SUB(0x10, 0),
    MUL(0x20, 0),
    /** Unsigned division; division by zero yields 0. */
    DIV(0x30, 0),
    /** Signed division (ISA v4): {@code BPF_DIV} with offset 1. */
    SDIV(0x30, 1),
    OR(0x40, 0),
    AND(0x50, 0),
    LSH(0x60, 0),
    /** Logical (zero-filling) right shift. */
    RSH(0x70, 0),
    /** Unsigned modulo; modulo by zero leaves dst unchanged. */
    MOD(0x90, 0),
    /** Signed modulo (ISA v4): {@code BPF_MOD} with offset 1. */
    SMOD(0x90, 1),
    XOR(0xa0, 0),
    MOV(0xb0, 0),
    /** Arithmetic (sign-filling) right shift. */
    ARSH(0xc0, 0);

    private final int code;
    private final int offset;

    AluOp(int code, int offset) {
        this.code = code;
        this.offset = offset;
    }

    int code() {
        return code;
    }

    /** The value of the {@code off} field that selects this operation (1 for the signed variants). */
    int offset() {
        return offset;
    }

    /** The operation with this operation code and offset, or null if there is none. */
    static AluOp of(int code, int offset) {
        for (AluOp op : values()) {
            if (op.code == code && op.offset == offset) {
                return op;
            }
        }
        return null;
    }
}
