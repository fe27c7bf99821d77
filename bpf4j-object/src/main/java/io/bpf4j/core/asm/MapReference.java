package io.bpf4j.core.asm;

/**
 * A map that instructions can refer to: the assembler emits a map load ({@code ld_imm64} with
 * {@code BPF_PSEUDO_MAP_FD}) of {@link #fd()}, and uses {@link #name()} in listings and error messages.
 * Implemented by {@code io.bpf4j.core.BpfMap} and its typed views.
 */
public interface MapReference {
    /** The map's file descriptor, valid while the map is open. */
    int fd();

    /** The map's name, as the kernel knows it (at most 15 bytes). */
    String name();
}
