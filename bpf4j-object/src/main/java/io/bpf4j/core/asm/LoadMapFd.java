package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = map}: loads a pointer to a map, given by file descriptor, for helpers such as
 * {@code bpf_map_lookup_elem} ({@code src_reg = BPF_PSEUDO_MAP_FD}). In programs the kernel reports back
 * (translated instructions) the field holds the map's id instead.
 *
 * @param dst the register loaded
 * @param fd  the map's file descriptor (or id, in a kernel dump)
 */
public record LoadMapFd(Register dst, int fd) implements WideInstruction {

    public LoadMapFd {
        Check.notNull(dst, "dst");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return Opcodes.wide(dst, Opcodes.PSEUDO_MAP_FD, fd, 0);
    }
}
