package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = &map[0] + offset}: loads the address of a byte inside the single value of an array map, as
 * global variables ({@code .data}, {@code .bss}, {@code .rodata}) are accessed
 * ({@code src_reg = BPF_PSEUDO_MAP_VALUE}).
 *
 * @param dst    the register loaded
 * @param fd     the map's file descriptor (or id, in a kernel dump)
 * @param offset the byte offset into the value
 */
public record LoadMapValue(Register dst, int fd, int offset) implements WideInstruction {

    public LoadMapValue {
        Check.notNull(dst, "dst");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return Opcodes.wide(dst, Opcodes.PSEUDO_MAP_VALUE, fd, offset);
    }
}
