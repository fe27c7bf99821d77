package io.bpf4j.core.asm;

import java.util.List;

/**
 * The bit fields of the opcode byte and the special register/immediate values, named as in
 * {@code linux/bpf_common.h} and {@code linux/bpf.h}. Values this machine's header predates
 * (v4 instructions, {@code may_goto}, address-space casts, load-acquire/store-release) come from the
 * kernel's {@code Documentation/bpf/standardization/instruction-set.rst} and later uapi headers.
 */
final class Opcodes {
    static final int CLASS_LD = 0x00;
    static final int CLASS_LDX = 0x01;
    static final int CLASS_ST = 0x02;
    static final int CLASS_STX = 0x03;
    static final int CLASS_ALU = 0x04;
    static final int CLASS_JMP = 0x05;
    static final int CLASS_JMP32 = 0x06;
    static final int CLASS_ALU64 = 0x07;

    static final int SOURCE_K = 0x00;
    static final int SOURCE_X = 0x08;

    static final int MODE_IMM = 0x00;
    static final int MODE_ABS = 0x20;
    static final int MODE_IND = 0x40;
    static final int MODE_MEM = 0x60;
    static final int MODE_MEMSX = 0x80;
    static final int MODE_ATOMIC = 0xc0;

    static final int ALU_NEG = 0x80;
    static final int ALU_MOV = 0xb0;
    static final int ALU_END = 0xd0;
    /** In a BPF_END opcode the source bit selects the target byte order. */
    static final int END_TO_LE = 0x00;
    static final int END_TO_BE = 0x08;

    static final int JMP_JA = 0x00;
    static final int JMP_CALL = 0x80;
    static final int JMP_EXIT = 0x90;
    static final int JMP_JCOND = 0xe0;

    /** {@code BPF_LD | BPF_IMM | BPF_DW}: the only two-slot instruction. */
    static final int LD_IMM64 = CLASS_LD | MODE_IMM | 0x18;

    static final int PSEUDO_CALL = 1;
    static final int PSEUDO_KFUNC_CALL = 2;
    static final int PSEUDO_MAP_FD = 1;
    static final int PSEUDO_MAP_VALUE = 2;
    static final int PSEUDO_BTF_ID = 3;
    static final int PSEUDO_FUNC = 4;
    static final int PSEUDO_MAP_IDX = 5;
    static final int PSEUDO_MAP_IDX_VALUE = 6;
    /** The only {@code BPF_JCOND} condition, carried in src_reg. */
    static final int MAY_GOTO = 0;

    /** Offset of an ALU64 register MOV that marks an address-space cast (arena pointers). */
    static final int ADDR_SPACE_CAST = 1;

    static final int ATOMIC_FETCH = 0x01;
    static final int ATOMIC_LOAD_ACQ = 0x100;
    static final int ATOMIC_STORE_REL = 0x110;

    private Opcodes() {
    }

    static int classOf(int opcode) {
        return opcode & 0x07;
    }

    static int source(Operand operand) {
        return operand instanceof Register ? SOURCE_X : SOURCE_K;
    }

    /** The src_reg field for an operand: the register's number, or 0 for an immediate. */
    static int srcReg(Operand operand) {
        return operand instanceof Register register ? register.number() : 0;
    }

    /** The imm field for an operand: the immediate's value, or 0 for a register. */
    static int imm(Operand operand) {
        return operand instanceof Immediate immediate ? immediate.value() : 0;
    }

    /** Both slots of a wide load: the second slot carries only the upper immediate. */
    static List<RawInstruction> wide(Register dst, int pseudo, int imm, int nextImm) {
        return List.of(
                new RawInstruction(LD_IMM64, dst.number(), pseudo, 0, imm),
                new RawInstruction(0, 0, 0, 0, nextImm));
    }
}
