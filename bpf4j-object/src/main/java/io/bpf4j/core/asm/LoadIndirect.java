package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code r0 = ntoh(*(size *)(skb->data + index + offset))}: the legacy indexed packet load inherited from
 * classic BPF ({@code BPF_LD | BPF_IND}), for socket filters. The context must be in R6; R1–R5 are clobbered.
 *
 * @param size   B, H or W
 * @param index  the register added to the offset
 * @param offset the constant part of the packet offset
 */
public record LoadIndirect(Size size, Register index, int offset) implements Instruction {

    public LoadIndirect {
        Check.notDoubleWord(size, "a legacy packet load (LD_IND)");
        Check.notNull(index, "index");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_LD | Opcodes.MODE_IND | size.code(),
                0, index.number(), 0, offset));
    }
}
