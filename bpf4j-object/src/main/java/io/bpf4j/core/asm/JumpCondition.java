package io.bpf4j.core.asm;

/** The comparison of a conditional {@link Jump}: {@code if dst <cond> src goto +offset}. */
public enum JumpCondition {
    /** {@code ==}. */
    EQ(0x10),
    /** Unsigned {@code >}. */
    GT(0x20),
    /** Unsigned {@code >=}. */
    GE(0x30),
    /** {@code dst & src} is not zero. */
    SET(0x40),
    /** {@code !=}. */
    NE(0x50),
    /** Signed {@code >}. */
    SGT(0x60),
    /** Signed {@code >=}. */
    SGE(0x70),
    /** Unsigned {@code <}. */
    LT(0xa0),
    /** Unsigned {@code <=}. */
    LE(0xb0),
    /** Signed {@code <}. */
    SLT(0xc0),
    /** Signed {@code <=}. */
    SLE(0xd0);

    private final int code;

    JumpCondition(int code) {
        this.code = code;
    }

    int code() {
        return code;
    }

    /** The condition with this operation code, or null if the code is not a comparison. */
    static JumpCondition of(int code) {
        for (JumpCondition condition : values()) {
            if (condition.code == code) {
                return condition;
            }
        }
        return null;
    }
}
