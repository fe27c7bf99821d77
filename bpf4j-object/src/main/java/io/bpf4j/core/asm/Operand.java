package io.bpf4j.core.asm;

/**
 * The source operand of an ALU operation, a conditional jump or a store: either a {@link Register}
 * (the instruction's {@code BPF_X} form) or a 32-bit {@link Immediate} (the {@code BPF_K} form).
 */
public sealed interface Operand permits Register, Immediate {
}
