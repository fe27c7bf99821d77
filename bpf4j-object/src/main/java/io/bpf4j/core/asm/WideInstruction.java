package io.bpf4j.core.asm;

/**
 * The 16-byte {@code BPF_LD | BPF_IMM | BPF_DW} instruction in its seven forms: a plain 64-bit constant and the
 * "pseudo" loads whose {@code src_reg} tells the kernel to substitute a map, a map value address, a kernel
 * variable or a function address at load time.
 */
public sealed interface WideInstruction extends Instruction
        permits LoadImm64, LoadMapFd, LoadMapValue, LoadKernelVariable, LoadFunction, LoadMapIndex,
                LoadMapIndexValue {

    /** The register that receives the value. */
    Register dst();

    @Override
    default int slots() {
        return 2;
    }
}
