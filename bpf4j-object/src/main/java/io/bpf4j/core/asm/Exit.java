package io.bpf4j.core.asm;

import java.util.List;

/** {@code exit}: returns R0 from the current function or, in the main program, ends it. */
public record Exit() implements Instruction {

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_JMP | Opcodes.JMP_EXIT, 0, 0, 0, 0));
    }
}
