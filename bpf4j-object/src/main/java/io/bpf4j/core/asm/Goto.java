package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code goto +offset}: an unconditional jump with a 16-bit offset ({@code BPF_JMP | BPF_JA}).
 * For longer distances see {@link GotoLong}.
 *
 * @param offset slots to skip, counted from the next instruction
 */
public record Goto(int offset) implements Instruction {

    public Goto {
        Check.offset16(offset, "jump offset");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_JMP | Opcodes.JMP_JA, 0, 0, offset, 0));
    }
}
