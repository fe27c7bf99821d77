package io.bpf4j.core.asm;

/**
 * A signed 32-bit constant operand, carried in the instruction's {@code imm} field.
 *
 * @param value the constant; 64-bit operations sign-extend it
 */
public record Immediate(int value) implements Operand {

    /** The immediate {@code value}. */
    public static Immediate of(int value) {
        return new Immediate(value);
    }
}
