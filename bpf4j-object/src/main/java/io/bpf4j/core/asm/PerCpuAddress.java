package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = &(void __percpu *)(src)}: turns a per-CPU pointer into this CPU's address. The kernel emits it
 * when it inlines per-CPU map lookups and {@code bpf_get_smp_processor_id} (Linux 6.10+), so it appears in
 * translated instructions the kernel reports; the verifier rejects it in programs being loaded. Encoded as an
 * ALU64 register {@code MOV} with offset -1.
 *
 * @param dst the destination
 * @param src the per-CPU pointer
 */
public record PerCpuAddress(Register dst, Register src) implements Instruction {

    /** The offset that marks the kernel-internal per-CPU form of a register MOV. */
    static final int OFFSET = -1;

    public PerCpuAddress {
        Check.notNull(dst, "dst");
        Check.notNull(src, "src");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_ALU64 | Opcodes.ALU_MOV | Opcodes.SOURCE_X,
                dst.number(), src.number(), OFFSET, 0));
    }
}
