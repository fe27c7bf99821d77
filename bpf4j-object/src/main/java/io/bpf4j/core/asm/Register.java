package io.bpf4j.core.asm;

/**
 * The eleven eBPF registers. R0 holds return values, R1–R5 pass arguments to calls (and are clobbered by them),
 * R6–R9 survive calls, and R10 is the read-only frame pointer to the 512-byte stack.
 */
public enum Register implements Operand {
    R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10;

    private static final Register[] BY_NUMBER = values();

    /** The register's number as encoded in {@code dst_reg}/{@code src_reg}. */
    public int number() {
        return ordinal();
    }

    /**
     * The register with this number.
     *
     * @throws IllegalArgumentException if {@code number} is not 0–10
     */
    public static Register of(int number) {
        if (number < 0 || number >= BY_NUMBER.length) {
            throw new IllegalArgumentException("register number " + number + " is out of range: eBPF has r0..r10");
        }
        return BY_NUMBER[number];
    }
}
