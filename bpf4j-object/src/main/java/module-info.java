/**
 * What needs no kernel: the eBPF instruction set ({@code asm}), ELF ({@code elf}), BTF ({@code btf}) and DWARF
 * ({@code dwarf}) reading, CO-RE relocation, and the BPF object model with libbpf's conventions ({@code object}). It
 * makes no system call and requires nothing beyond {@code java.base}, so objects can be read, checked and relocated
 * on any machine.
 */
module io.bpf4j.object {
    exports io.bpf4j.core.asm;
    exports io.bpf4j.core.btf;
    exports io.bpf4j.core.dwarf;
    exports io.bpf4j.core.elf;
    exports io.bpf4j.core.format;
    exports io.bpf4j.core.object;
}
