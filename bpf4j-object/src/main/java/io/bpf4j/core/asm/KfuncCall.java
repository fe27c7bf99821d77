package io.bpf4j.core.asm;

import java.util.List;

/**
 * A call of a kernel function exported to BPF (a kfunc), named by its BTF id
 * ({@code BPF_JMP | BPF_CALL} with {@code src_reg = BPF_PSEUDO_KFUNC_CALL}).
 *
 * @param btfId      the id of the function's {@code BTF_KIND_FUNC} in the kernel's (or a module's) BTF
 * @param btfFdIndex 0 for vmlinux BTF; otherwise the 1-based index into the program's {@code fd_array} of the
 *                   module BTF that defines the function
 */
public record KfuncCall(int btfId, int btfFdIndex) implements Instruction {

    public KfuncCall {
        Check.offset16(btfFdIndex, "BTF fd index");
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_JMP | Opcodes.JMP_CALL, 0, Opcodes.PSEUDO_KFUNC_CALL,
                btfFdIndex, btfId));
    }
}
