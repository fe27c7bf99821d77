package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = map}: like {@link LoadMapFd}, but naming the map by its index in the program's {@code fd_array}
 * ({@code src_reg = BPF_PSEUDO_MAP_IDX}), which keeps the instructions independent of descriptor numbers.
 *
 * @param dst   the register loaded
 * @param index the index into {@code fd_array}
 */
public record LoadMapIndex(Register dst, int index) implements WideInstruction {

    public LoadMapIndex {
        Check.notNull(dst, "dst");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return Opcodes.wide(dst, Opcodes.PSEUDO_MAP_IDX, index, 0);
    }
}
