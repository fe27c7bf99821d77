package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = &map[0] + offset}: like {@link LoadMapValue}, but naming the map by its index in the program's
 * {@code fd_array} ({@code src_reg = BPF_PSEUDO_MAP_IDX_VALUE}).
 *
 * @param dst    the register loaded
 * @param index  the index into {@code fd_array}
 * @param offset the byte offset into the value
 */
public record LoadMapIndexValue(Register dst, int index, int offset) implements WideInstruction {

    public LoadMapIndexValue {
        Check.notNull(dst, "dst");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return Opcodes.wide(dst, Opcodes.PSEUDO_MAP_IDX_VALUE, index, offset);
    }
}
