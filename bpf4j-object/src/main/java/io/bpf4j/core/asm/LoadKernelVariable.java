package io.bpf4j.core.asm;

import java.util.List;

/**
 * {@code dst = &kernel_variable}: loads the address of a kernel (per-CPU or global) variable named by its
 * {@code BTF_KIND_VAR} id ({@code src_reg = BPF_PSEUDO_BTF_ID}), as {@code __ksym} externs compile to.
 *
 * @param dst      the register loaded
 * @param btfId    the variable's BTF id
 * @param btfObjFd 0 for vmlinux BTF, otherwise a file descriptor of the module BTF that defines the variable
 */
public record LoadKernelVariable(Register dst, int btfId, int btfObjFd) implements WideInstruction {

    public LoadKernelVariable {
        Check.notNull(dst, "dst");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return Opcodes.wide(dst, Opcodes.PSEUDO_BTF_ID, btfId, btfObjFd);
    }
}
