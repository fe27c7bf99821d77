package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code may_goto +offset}: falls through while the kernel's per-program loop budget lasts and jumps once it is
 * exhausted, which lets the verifier accept loops it cannot bound (Linux 6.9+; {@code BPF_JMP | BPF_JCOND}
 * with {@code src_reg = BPF_MAY_GOTO}).
 *
 * @param offset slots to skip, counted from the next instruction, when the budget is exhausted
 */
public record MayGoto(int offset) implements Instruction {

    public MayGoto {
        Check.offset16(offset, "jump offset");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_JMP | Opcodes.JMP_JCOND, 0, Opcodes.MAY_GOTO, offset, 0));
    }
}
