package io.bpf4j.core.asm;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static io.bpf4j.core.asm.Opcodes.*;

/**
 * Turns encoded slots back into instruction records. Every encoding the instruction set defines decodes, and so do
 * the two kernel-internal forms found in translated programs ({@link PerCpuAddress}, {@link SpeculationBarrier});
 * anything else, including non-zero reserved fields (which the verifier rejects too), is an error, so that
 * re-encoding a decoded program reproduces its bytes exactly.
 */
final class Decoder {
    private Decoder() {
    }

    static List<Instruction> decode(MemorySegment code) {
        long length = code.byteSize();
        if (length % RawInstruction.BYTES != 0) {
            throw new IllegalArgumentException("a program of " + length
                    + " bytes is not a whole number of 8-byte instructions");
        }
        long slotCount = length / RawInstruction.BYTES;
        List<Instruction> instructions = new ArrayList<>();
        for (long slot = 0; slot < slotCount; ) {
            RawInstruction raw = RawInstruction.readFrom(code, slot * RawInstruction.BYTES);
            Instruction instruction;
            try {
                if (raw.opcode() == LD_IMM64) {
                    if (slot + 1 >= slotCount) {
                        throw new IllegalArgumentException(
                                "a 64-bit immediate load needs two slots but the program ends after the first");
                    }
                    instruction = wide(raw, RawInstruction.readFrom(code, (slot + 1) * RawInstruction.BYTES));
                } else {
                    instruction = single(raw);
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid instruction at slot %d (byte offset %d), opcode byte 0x%02x: %s"
                        .formatted(slot, slot * RawInstruction.BYTES, raw.opcode(), e.getMessage()), e);
            }
            instructions.add(instruction);
            slot += instruction.slots();
        }
        return List.copyOf(instructions);
    }

    private static Instruction single(RawInstruction raw) {
        return switch (classOf(raw.opcode())) {
            case CLASS_LD -> legacyPacketLoad(raw);
            case CLASS_LDX -> load(raw);
            case CLASS_ST -> storeImmediate(raw);
            case CLASS_STX -> storeRegister(raw);
            case CLASS_ALU, CLASS_ALU64 -> alu(raw);
            case CLASS_JMP, CLASS_JMP32 -> jump(raw);
            default -> throw new AssertionError("three bits have eight values");
        };
    }

    private static Instruction wide(RawInstruction first, RawInstruction second) {
        reserved(first.offset(), "offset");
        if (second.opcode() != 0 || second.dst() != 0 || second.src() != 0 || second.offset() != 0) {
            throw new IllegalArgumentException("the second slot of a 64-bit immediate load must be all zero "
                    + "apart from its imm field, found " + second);
        }
        Register dst = Register.of(first.dst());
        int imm = first.imm();
        int next = second.imm();
        return switch (first.src()) {
            case 0 -> new LoadImm64(dst, (long) next << 32 | Integer.toUnsignedLong(imm));
            case PSEUDO_MAP_FD -> new LoadMapFd(dst, unusedNextImm(imm, next, "BPF_PSEUDO_MAP_FD"));
            case PSEUDO_MAP_VALUE -> new LoadMapValue(dst, imm, next);
            case PSEUDO_BTF_ID -> new LoadKernelVariable(dst, imm, next);
            case PSEUDO_FUNC -> new LoadFunction(dst, unusedNextImm(imm, next, "BPF_PSEUDO_FUNC"));
            case PSEUDO_MAP_IDX -> new LoadMapIndex(dst, unusedNextImm(imm, next, "BPF_PSEUDO_MAP_IDX"));
            case PSEUDO_MAP_IDX_VALUE -> new LoadMapIndexValue(dst, imm, next);
            default -> throw new IllegalArgumentException("src_reg " + first.src()
                    + " is not a 64-bit immediate load kind (0 constant, 1-6 BPF_PSEUDO_*)");
        };
    }

    private static int unusedNextImm(int imm, int next, String kind) {
        if (next != 0) {
            throw new IllegalArgumentException(kind + " leaves the second slot's imm zero, found " + next);
        }
        return imm;
    }

    private static Instruction legacyPacketLoad(RawInstruction raw) {
        int mode = raw.opcode() & 0xe0;
        if (mode != MODE_ABS && mode != MODE_IND) {
            throw new IllegalArgumentException(("class LD holds only 64-bit immediate loads (0x18) and the legacy "
                    + "packet loads LD_ABS/LD_IND; mode 0x%02x is not defined").formatted(mode));
        }
        reserved(raw.dst(), "dst_reg");
        reserved(raw.offset(), "offset");
        Size size = Size.fromCode(raw.opcode());
        if (mode == MODE_ABS) {
            reserved(raw.src(), "src_reg");
            return new LoadAbsolute(size, raw.imm());
        }
        return new LoadIndirect(size, Register.of(raw.src()), raw.imm());
    }

    private static Instruction load(RawInstruction raw) {
        int mode = raw.opcode() & 0xe0;
        reserved(raw.imm(), "imm");
        Size size = Size.fromCode(raw.opcode());
        Register dst = Register.of(raw.dst());
        Register base = Register.of(raw.src());
        return switch (mode) {
            case MODE_MEM -> new Load(size, dst, base, raw.offset());
            case MODE_MEMSX -> new LoadSignExtend(size, dst, base, raw.offset());
            default -> throw new IllegalArgumentException(
                    "class LDX defines modes MEM (0x60) and MEMSX (0x80), not 0x%02x".formatted(mode));
        };
    }

    private static Instruction storeImmediate(RawInstruction raw) {
        if (raw.opcode() == SpeculationBarrier.OPCODE) {
            reserved(raw.dst(), "dst_reg");
            reserved(raw.src(), "src_reg");
            reserved(raw.offset(), "offset");
            reserved(raw.imm(), "imm");
            return new SpeculationBarrier();
        }
        int mode = raw.opcode() & 0xe0;
        if (mode != MODE_MEM) {
            throw new IllegalArgumentException(
                    "class ST defines mode MEM (0x60) and the kernel-internal nospec (0xc2), not mode 0x%02x".formatted(mode));
        }
        reserved(raw.src(), "src_reg");
        return new Store(Size.fromCode(raw.opcode()), Register.of(raw.dst()), raw.offset(), Immediate.of(raw.imm()));
    }

    private static Instruction storeRegister(RawInstruction raw) {
        int mode = raw.opcode() & 0xe0;
        Size size = Size.fromCode(raw.opcode());
        Register dst = Register.of(raw.dst());
        Register src = Register.of(raw.src());
        if (mode == MODE_MEM) {
            reserved(raw.imm(), "imm");
            return new Store(size, dst, raw.offset(), src);
        }
        if (mode != MODE_ATOMIC) {
            throw new IllegalArgumentException(
                    "class STX defines modes MEM (0x60) and ATOMIC (0xc0), not 0x%02x".formatted(mode));
        }
        return switch (raw.imm()) {
            case ATOMIC_LOAD_ACQ -> new LoadAcquire(size, dst, src, raw.offset());
            case ATOMIC_STORE_REL -> new StoreRelease(size, dst, raw.offset(), src);
            default -> {
                AtomicOp op = AtomicOp.of(raw.imm());
                if (op == null) {
                    throw new IllegalArgumentException("imm 0x%x is not an atomic operation".formatted(raw.imm()));
                }
                yield new Atomic(op, size, dst, raw.offset(), src);
            }
        };
    }

    private static Instruction alu(RawInstruction raw) {
        Width width = classOf(raw.opcode()) == CLASS_ALU64 ? Width.BITS64 : Width.BITS32;
        int operation = raw.opcode() & 0xf0;
        boolean registerSource = (raw.opcode() & SOURCE_X) != 0;
        Register dst = Register.of(raw.dst());
        return switch (operation) {
            case ALU_NEG -> neg(raw, width, registerSource, dst);
            case ALU_END -> byteSwap(raw, width, registerSource, dst);
            case ALU_MOV -> registerSource ? moveRegister(raw, width, dst) : twoOperand(raw, width, AluOp.MOV, dst, false);
            default -> {
                AluOp op = AluOp.of(operation, raw.offset());
                if (op == null) {
                    throw new IllegalArgumentException(undefinedAlu(operation, raw.offset()));
                }
                yield twoOperand(raw, width, op, dst, registerSource);
            }
        };
    }

    private static String undefinedAlu(int operation, int offset) {
        AluOp plain = AluOp.of(operation, 0);
        return plain == null
                ? "ALU operation 0x%02x is not defined".formatted(operation)
                : "offset %d is not defined for ALU operation %s".formatted(offset, plain);
    }

    private static Instruction twoOperand(RawInstruction raw, Width width, AluOp op, Register dst, boolean registerSource) {
        if (op == AluOp.MOV) {
            reserved(raw.offset(), "offset");
        }
        return new Alu(width, op, dst, operand(raw, registerSource));
    }

    private static Instruction neg(RawInstruction raw, Width width, boolean registerSource, Register dst) {
        if (registerSource) {
            throw new IllegalArgumentException("NEG has only the immediate (BPF_K) form");
        }
        reserved(raw.src(), "src_reg");
        reserved(raw.offset(), "offset");
        reserved(raw.imm(), "imm");
        return new Neg(width, dst);
    }

    private static Instruction byteSwap(RawInstruction raw, Width width, boolean toBigEndian, Register dst) {
        reserved(raw.src(), "src_reg");
        reserved(raw.offset(), "offset");
        ByteSwap.Kind kind;
        if (width == Width.BITS32) {
            kind = toBigEndian ? ByteSwap.Kind.TO_BE : ByteSwap.Kind.TO_LE;
        } else if (toBigEndian) {
            throw new IllegalArgumentException("the ALU64 byte swap is unconditional; its BPF_TO_BE form is not defined");
        } else {
            kind = ByteSwap.Kind.SWAP;
        }
        return new ByteSwap(kind, raw.imm(), dst);
    }

    /** Register MOVs carry four instructions, told apart by the offset field. */
    private static Instruction moveRegister(RawInstruction raw, Width width, Register dst) {
        Register src = Register.of(raw.src());
        int offset = raw.offset();
        if (width == Width.BITS64 && offset == ADDR_SPACE_CAST) {
            return new AddressSpaceCast(dst, src, raw.imm() >>> 16, raw.imm() & 0xffff);
        }
        reserved(raw.imm(), "imm");
        if (width == Width.BITS64 && offset == PerCpuAddress.OFFSET) {
            return new PerCpuAddress(dst, src);
        }
        return switch (offset) {
            case 0 -> new Alu(width, AluOp.MOV, dst, src);
            case 8, 16, 32 -> new MovSignExtend(width, dst, src, offset);
            default -> throw new IllegalArgumentException(("offset %d is not defined for a register MOV (0 move, "
                    + "8/16/32 sign-extending move, 1 address-space cast, -1 per-CPU address)").formatted(offset));
        };
    }

    private static Instruction jump(RawInstruction raw) {
        boolean jmp32 = classOf(raw.opcode()) == CLASS_JMP32;
        int operation = raw.opcode() & 0xf0;
        boolean registerSource = (raw.opcode() & SOURCE_X) != 0;
        return switch (operation) {
            case JMP_JA -> unconditional(raw, jmp32, registerSource);
            case JMP_CALL -> call(raw, jmp32, registerSource);
            case JMP_EXIT -> exit(raw, jmp32, registerSource);
            case JMP_JCOND -> mayGoto(raw, jmp32, registerSource);
            default -> {
                JumpCondition condition = JumpCondition.of(operation);
                if (condition == null) {
                    throw new IllegalArgumentException("jump operation 0x%02x is not defined".formatted(operation));
                }
                yield new Jump(jmp32 ? Width.BITS32 : Width.BITS64, condition, Register.of(raw.dst()),
                        operand(raw, registerSource), raw.offset());
            }
        };
    }

    private static Instruction unconditional(RawInstruction raw, boolean jmp32, boolean registerSource) {
        if (registerSource) {
            throw new IllegalArgumentException("the register form of JA (indirect jump, gotox) is not supported");
        }
        reserved(raw.dst(), "dst_reg");
        reserved(raw.src(), "src_reg");
        if (jmp32) {
            reserved(raw.offset(), "offset");
            return new GotoLong(raw.imm());
        }
        reserved(raw.imm(), "imm");
        return new Goto(raw.offset());
    }

    private static Instruction call(RawInstruction raw, boolean jmp32, boolean registerSource) {
        if (jmp32 || registerSource) {
            throw new IllegalArgumentException("CALL is defined only as BPF_JMP | BPF_CALL | BPF_K (0x85)");
        }
        reserved(raw.dst(), "dst_reg");
        return switch (raw.src()) {
            case 0 -> {
                reserved(raw.offset(), "offset");
                yield new HelperCall(raw.imm());
            }
            case PSEUDO_CALL -> {
                reserved(raw.offset(), "offset");
                yield new SubprogramCall(raw.imm());
            }
            case PSEUDO_KFUNC_CALL -> new KfuncCall(raw.imm(), raw.offset());
            default -> throw new IllegalArgumentException("src_reg " + raw.src()
                    + " is not a call kind (0 helper, 1 BPF_PSEUDO_CALL, 2 BPF_PSEUDO_KFUNC_CALL)");
        };
    }

    private static Instruction exit(RawInstruction raw, boolean jmp32, boolean registerSource) {
        if (jmp32 || registerSource) {
            throw new IllegalArgumentException("EXIT is defined only as BPF_JMP | BPF_EXIT (0x95)");
        }
        reserved(raw.dst(), "dst_reg");
        reserved(raw.src(), "src_reg");
        reserved(raw.offset(), "offset");
        reserved(raw.imm(), "imm");
        return new Exit();
    }

    private static Instruction mayGoto(RawInstruction raw, boolean jmp32, boolean registerSource) {
        if (jmp32 || registerSource) {
            throw new IllegalArgumentException("JCOND is defined only as BPF_JMP | BPF_JCOND | BPF_K (0xe5)");
        }
        if (raw.src() != MAY_GOTO) {
            throw new IllegalArgumentException("src_reg " + raw.src() + " is not a JCOND condition (0 may_goto)");
        }
        reserved(raw.dst(), "dst_reg");
        reserved(raw.imm(), "imm");
        return new MayGoto(raw.offset());
    }

    /** The source of an ALU or jump instruction; the field the other form uses must be zero. */
    private static Operand operand(RawInstruction raw, boolean registerSource) {
        if (registerSource) {
            reserved(raw.imm(), "imm");
            return Register.of(raw.src());
        }
        reserved(raw.src(), "src_reg");
        return Immediate.of(raw.imm());
    }

    private static void reserved(int value, String field) {
        if (value != 0) {
            throw new IllegalArgumentException("reserved field " + field + " must be 0 but is " + value);
        }
    }
}
