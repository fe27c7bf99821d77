package io.bpf4j.core.asm;

/**
 * Whether an ALU operation or a conditional jump works on the low 32 bits of its registers
 * (classes {@code BPF_ALU} and {@code BPF_JMP32}) or on all 64 bits ({@code BPF_ALU64} and {@code BPF_JMP}).
 */
public enum Width {
    /** 32-bit: results are zero-extended into the 64-bit register; printed with {@code w} registers. */
    BITS32(Opcodes.CLASS_ALU, Opcodes.CLASS_JMP32),
    /** 64-bit: the whole register. */
    BITS64(Opcodes.CLASS_ALU64, Opcodes.CLASS_JMP);

    private final int aluClass;
    private final int jumpClass;

    Width(int aluClass, int jumpClass) {
        this.aluClass = aluClass;
        this.jumpClass = jumpClass;
    }

    int aluClass() {
        return aluClass;
    }

    int jumpClass() {
        return jumpClass;
    }
}
