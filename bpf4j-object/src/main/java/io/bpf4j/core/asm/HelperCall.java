package io.bpf4j.core.asm;

import java.util.List;
import java.util.Optional;

/**
 * {@code call helper}: calls a kernel helper function by its {@code bpf_func_id}
 * ({@code BPF_JMP | BPF_CALL}, src_reg 0). Arguments go in R1–R5, the result comes back in R0.
 *
 * @param id the helper's id; ids this library's {@link Helper} list does not know are kept as they are
 */
public record HelperCall(int id) implements Instruction {

    /** A call to {@code helper}. */
    public static HelperCall of(Helper helper) {
        return new HelperCall(helper.id());
    }

    /** The called helper, if {@link Helper} knows its id. */
    public Optional<Helper> helper() {
        return Helper.byId(id);
    }

    @Override
    public List<RawInstruction> toRaw() {
        return List.of(new RawInstruction(Opcodes.CLASS_JMP | Opcodes.JMP_CALL, 0, 0, 0, id));
    }
}
