package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code r0 = ntoh(*(size *)(skb->data + offset))}: the legacy packet load inherited from classic BPF
 * ({@code BPF_LD | BPF_ABS}), for socket filters. The context must be in R6; R1–R5 are clobbered.
 *
 * @param size   B, H or W
 * @param offset the packet offset
 */
public record LoadAbsolute(Size size, int offset) implements Instruction {

    public LoadAbsolute {
        Check.notDoubleWord(size, "a legacy packet load (LD_ABS)");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_LD | Opcodes.MODE_ABS | size.code(), 0, 0, 0, offset));
    }
}
