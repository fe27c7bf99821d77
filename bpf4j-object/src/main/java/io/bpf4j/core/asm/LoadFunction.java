package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = &function}: loads the address of a function of this program, to pass as a callback to helpers such
 * as {@code bpf_loop} or {@code bpf_for_each_map_elem} ({@code src_reg = BPF_PSEUDO_FUNC}).
 *
 * @param dst    the register loaded
 * @param offset the function's first slot, counted from the slot after this instruction's first slot
 */
public record LoadFunction(Register dst, int offset) implements WideInstruction {

    public LoadFunction {
        Check.notNull(dst, "dst");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return Opcodes.wide(dst, Opcodes.PSEUDO_FUNC, offset, 0);
    }
}
