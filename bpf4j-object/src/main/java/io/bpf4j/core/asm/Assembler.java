package io.bpf4j.core.asm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * Builds a program instruction by instruction, with named labels for jumps, subprogram calls and callback
 * addresses. Labels may be used before they are defined; {@link #build()} resolves every reference to a slot
 * offset and fails on a label that is never defined or a jump that cannot reach its label.
 *
 * <pre>{@code
 * Instructions program = new Assembler()
 *         .mov64(R1, R10).add64(R1, -4)           // r1 = &key
 *         .stW(R10, -4, 0)
 *         .mov64(R2, R1)
 *         .loadMapFd(R1, counts)
 *         .call(Helper.MAP_LOOKUP_ELEM)
 *         .jeq(R0, 0, "out")
 *         .mov64(R1, 1)
 *         .atomicAdd(Size.DW, R0, 0, R1)
 *         .label("out")
 *         .mov64(R0, 0)
 *         .exit()
 *         .build();
 * }</pre>
 *
 * <p>Method names follow the kernel's mnemonics: a {@code 64} or {@code 32} suffix picks the ALU or jump width,
 * {@code ldx}/{@code st}/{@code stx} plus a {@link Size} letter are memory accesses. An {@code int} operand is an
 * immediate, a {@link Register} operand the register form. The assembler is not thread-safe; it can build
 * more than once.
 */
public final class Assembler {
    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, Integer> labels = new LinkedHashMap<>();
    private int slot;

    /** An instruction as appended: complete, or waiting for a label's slot to compute its offset. */
    private sealed interface Entry permits Complete, Pending {
    }

    private record Complete(Instruction instruction) implements Entry {
    }

    /**
     * An instruction whose offset field points at {@code label}.
     *
     * @param label       the target
     * @param slot        the instruction's first slot; offsets count from the slot after it
     * @param description what the instruction is, for error messages
     * @param complete    builds the instruction from the offset
     */
    private record Pending(String label, int slot, String description, IntFunction<Instruction> complete)
            implements Entry {
    }

    /**
     * Marks the next instruction's slot with {@code name}.
     *
     * @throws IllegalArgumentException if the name is blank or already defined
     */
    public Assembler label(String name) {
        requireLabelName(name);
        Integer previous = labels.putIfAbsent(name, slot);
        if (previous != null) {
            throw new IllegalArgumentException("label '" + name + "' is already defined at slot " + previous
                    + "; each label marks one place, so give the second place its own name");
        }
        return this;
    }

    /**
     * The slot the next instruction will take: the program's length so far, counting two slots for a 64-bit
     * immediate load. A compiler records it to map instructions back to its source (BTF line info).
     */
    public int slot() {
        return slot;
    }

    /** Appends an instruction as it is, for instance one built as a record or decoded. */
    public Assembler append(Instruction instruction) {
        entries.add(new Complete(Objects.requireNonNull(instruction, "instruction")));
        slot += instruction.slots();
        return this;
    }

    /**
     * Resolves the labels and returns the program.
     *
     * @throws IllegalStateException if a referenced label is not defined, or a jump's offset to its label does not
     *                               fit the instruction's offset field
     */
    public Instructions build() {
        List<Instruction> instructions = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            instructions.add(switch (entry) {
                case Complete complete -> complete.instruction();
                case Pending pending -> resolve(pending);
            });
        }
        return new Instructions(instructions, labels);
    }

    private Instruction resolve(Pending pending) {
        Integer target = labels.get(pending.label());
        if (target == null) {
            throw new IllegalStateException("undefined label '" + pending.label() + "' used by " + pending.description()
                    + " at slot " + pending.slot() + "; define it with label(\"" + pending.label() + "\")");
        }
        int offset = target - (pending.slot() + 1);
        try {
            return pending.complete().apply(offset);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("label '" + pending.label() + "' at slot " + target + " is out of reach of "
                    + pending.description() + " at slot " + pending.slot() + ": " + e.getMessage()
                    + "; use gotol (32-bit offset) to cover long distances", e);
        }
    }

    private Assembler pending(String label, String description, int slots, IntFunction<Instruction> complete) {
        requireLabelName(label);
        entries.add(new Pending(label, slot, description, complete));
        slot += slots;
        return this;
    }

    private static void requireLabelName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a label needs a non-blank name, got " + (name == null ? "null" : "'" + name + "'"));
        }
    }

    // ---- ALU: generic forms ----

    /** {@code dst op= imm} on {@code width}. */
    public Assembler alu(Width width, AluOp op, Register dst, int imm) {
        return append(new Alu(width, op, dst, Immediate.of(imm)));
    }

    /** {@code dst op= src} on {@code width}. */
    public Assembler alu(Width width, AluOp op, Register dst, Register src) {
        return append(new Alu(width, op, dst, src));
    }

    // ---- ALU64 ----

    /** {@code dst = imm} (sign-extended to 64 bits). */
    public Assembler mov64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.MOV, dst, imm);
    }

    /** {@code dst = src}. */
    public Assembler mov64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.MOV, dst, src);
    }

    /** {@code dst += imm}. */
    public Assembler add64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.ADD, dst, imm);
    }

    /** {@code dst += src}. */
    public Assembler add64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.ADD, dst, src);
    }

    /** {@code dst -= imm}. */
    public Assembler sub64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.SUB, dst, imm);
    }

    /** {@code dst -= src}. */
    public Assembler sub64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.SUB, dst, src);
    }

    /** {@code dst *= imm}. */
    public Assembler mul64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.MUL, dst, imm);
    }

    /** {@code dst *= src}. */
    public Assembler mul64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.MUL, dst, src);
    }

    /** Unsigned {@code dst /= imm}. */
    public Assembler div64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.DIV, dst, imm);
    }

    /** Unsigned {@code dst /= src}. */
    public Assembler div64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.DIV, dst, src);
    }

    /** Signed {@code dst /= imm} (ISA v4). */
    public Assembler sdiv64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.SDIV, dst, imm);
    }

    /** Signed {@code dst /= src} (ISA v4). */
    public Assembler sdiv64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.SDIV, dst, src);
    }

    /** Unsigned {@code dst %= imm}. */
    public Assembler mod64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.MOD, dst, imm);
    }

    /** Unsigned {@code dst %= src}. */
    public Assembler mod64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.MOD, dst, src);
    }

    /** Signed {@code dst %= imm} (ISA v4). */
    public Assembler smod64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.SMOD, dst, imm);
    }

    /** Signed {@code dst %= src} (ISA v4). */
    public Assembler smod64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.SMOD, dst, src);
    }

    /** {@code dst |= imm}. */
    public Assembler or64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.OR, dst, imm);
    }

    /** {@code dst |= src}. */
    public Assembler or64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.OR, dst, src);
    }

    /** {@code dst &= imm}. */
    public Assembler and64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.AND, dst, imm);
    }

    /** {@code dst &= src}. */
    public Assembler and64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.AND, dst, src);
    }

    /** {@code dst ^= imm}. */
    public Assembler xor64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.XOR, dst, imm);
    }

    /** {@code dst ^= src}. */
    public Assembler xor64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.XOR, dst, src);
    }

    /** {@code dst <<= imm}. */
    public Assembler lsh64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.LSH, dst, imm);
    }

    /** {@code dst <<= src}. */
    public Assembler lsh64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.LSH, dst, src);
    }

    /** Logical {@code dst >>= imm}. */
    public Assembler rsh64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.RSH, dst, imm);
    }

    /** Logical {@code dst >>= src}. */
    public Assembler rsh64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.RSH, dst, src);
    }

    /** Arithmetic {@code dst s>>= imm}. */
    public Assembler arsh64(Register dst, int imm) {
        return alu(Width.BITS64, AluOp.ARSH, dst, imm);
    }

    /** Arithmetic {@code dst s>>= src}. */
    public Assembler arsh64(Register dst, Register src) {
        return alu(Width.BITS64, AluOp.ARSH, dst, src);
    }

    /** {@code dst = -dst}. */
    public Assembler neg64(Register dst) {
        return append(new Neg(Width.BITS64, dst));
    }

    /** {@code dst = (s8/s16/s32) src}, sign-extending the low {@code fromBits} (8, 16 or 32; ISA v4). */
    public Assembler movsx64(Register dst, Register src, int fromBits) {
        return append(new MovSignExtend(Width.BITS64, dst, src, fromBits));
    }

    // ---- ALU (32-bit) ----

    /** {@code wdst = imm}. */
    public Assembler mov32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.MOV, dst, imm);
    }

    /** {@code wdst = wsrc}, zero-extending into the 64-bit register. */
    public Assembler mov32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.MOV, dst, src);
    }

    /** {@code wdst += imm}. */
    public Assembler add32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.ADD, dst, imm);
    }

    /** {@code wdst += wsrc}. */
    public Assembler add32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.ADD, dst, src);
    }

    /** {@code wdst -= imm}. */
    public Assembler sub32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.SUB, dst, imm);
    }

    /** {@code wdst -= wsrc}. */
    public Assembler sub32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.SUB, dst, src);
    }

    /** {@code wdst *= imm}. */
    public Assembler mul32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.MUL, dst, imm);
    }

    /** {@code wdst *= wsrc}. */
    public Assembler mul32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.MUL, dst, src);
    }

    /** Unsigned {@code wdst /= imm}. */
    public Assembler div32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.DIV, dst, imm);
    }

    /** Unsigned {@code wdst /= wsrc}. */
    public Assembler div32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.DIV, dst, src);
    }

    /** Signed {@code wdst /= imm} (ISA v4). */
    public Assembler sdiv32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.SDIV, dst, imm);
    }

    /** Signed {@code wdst /= wsrc} (ISA v4). */
    public Assembler sdiv32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.SDIV, dst, src);
    }

    /** Unsigned {@code wdst %= imm}. */
    public Assembler mod32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.MOD, dst, imm);
    }

    /** Unsigned {@code wdst %= wsrc}. */
    public Assembler mod32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.MOD, dst, src);
    }

    /** Signed {@code wdst %= imm} (ISA v4). */
    public Assembler smod32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.SMOD, dst, imm);
    }

    /** Signed {@code wdst %= wsrc} (ISA v4). */
    public Assembler smod32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.SMOD, dst, src);
    }

    /** {@code wdst |= imm}. */
    public Assembler or32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.OR, dst, imm);
    }

    /** {@code wdst |= wsrc}. */
    public Assembler or32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.OR, dst, src);
    }

    /** {@code wdst &= imm}. */
    public Assembler and32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.AND, dst, imm);
    }

    /** {@code wdst &= wsrc}. */
    public Assembler and32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.AND, dst, src);
    }

    /** {@code wdst ^= imm}. */
    public Assembler xor32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.XOR, dst, imm);
    }

    /** {@code wdst ^= wsrc}. */
    public Assembler xor32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.XOR, dst, src);
    }

    /** {@code wdst <<= imm}. */
    public Assembler lsh32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.LSH, dst, imm);
    }

    /** {@code wdst <<= wsrc}. */
    public Assembler lsh32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.LSH, dst, src);
    }

    /** Logical {@code wdst >>= imm}. */
    public Assembler rsh32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.RSH, dst, imm);
    }

    /** Logical {@code wdst >>= wsrc}. */
    public Assembler rsh32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.RSH, dst, src);
    }

    /** Arithmetic {@code wdst s>>= imm}. */
    public Assembler arsh32(Register dst, int imm) {
        return alu(Width.BITS32, AluOp.ARSH, dst, imm);
    }

    /** Arithmetic {@code wdst s>>= wsrc}. */
    public Assembler arsh32(Register dst, Register src) {
        return alu(Width.BITS32, AluOp.ARSH, dst, src);
    }

    /** {@code wdst = -wdst}. */
    public Assembler neg32(Register dst) {
        return append(new Neg(Width.BITS32, dst));
    }

    /** {@code wdst = (s8/s16) wsrc}, sign-extending the low {@code fromBits} (8 or 16; ISA v4). */
    public Assembler movsx32(Register dst, Register src, int fromBits) {
        return append(new MovSignExtend(Width.BITS32, dst, src, fromBits));
    }

    // ---- byte order and address spaces ----

    /** Converts the low {@code bits} (16, 32, 64) of {@code dst} to little-endian, {@code htole}. */
    public Assembler toLe(Register dst, int bits) {
        return append(new ByteSwap(ByteSwap.Kind.TO_LE, bits, dst));
    }

    /** Converts the low {@code bits} (16, 32, 64) of {@code dst} to big-endian, {@code htobe} / {@code htons}. */
    public Assembler toBe(Register dst, int bits) {
        return append(new ByteSwap(ByteSwap.Kind.TO_BE, bits, dst));
    }

    /** Swaps the bytes of the low {@code bits} (16, 32, 64) of {@code dst} unconditionally (ISA v4). */
    public Assembler bswap(Register dst, int bits) {
        return append(new ByteSwap(ByteSwap.Kind.SWAP, bits, dst));
    }

    /** {@code dst = addr_space_cast(src, dstSpace, srcSpace)}, for arena pointers (Linux 6.9+). */
    public Assembler addrSpaceCast(Register dst, Register src, int dstSpace, int srcSpace) {
        return append(new AddressSpaceCast(dst, src, dstSpace, srcSpace));
    }

    // ---- jumps ----

    /** {@code if dst <condition> imm goto label}, comparing {@code width} bits. */
    public Assembler jump(Width width, JumpCondition condition, Register dst, int imm, String label) {
        return jump(width, condition, dst, Immediate.of(imm), label);
    }

    /** {@code if dst <condition> src goto label}, comparing {@code width} bits. */
    public Assembler jump(Width width, JumpCondition condition, Register dst, Register src, String label) {
        return jump(width, condition, dst, (Operand) src, label);
    }

    private Assembler jump(Width width, JumpCondition condition, Register dst, Operand src, String label) {
        Objects.requireNonNull(width, "width");
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(src, "src");
        String description = "jump (" + (width == Width.BITS32 ? "jmp32 " : "") + condition + ")";
        return pending(label, description, 1, offset -> new Jump(width, condition, dst, src, offset));
    }

    /** {@code goto label} with a 16-bit offset. */
    public Assembler ja(String label) {
        return pending(label, "goto", 1, Goto::new);
    }

    /** {@code gotol label}: an unconditional jump with a 32-bit offset (ISA v4). */
    public Assembler gotol(String label) {
        return pending(label, "gotol", 1, GotoLong::new);
    }

    /** {@code may_goto label}: jump once the kernel's loop budget is exhausted (Linux 6.9+). */
    public Assembler mayGoto(String label) {
        return pending(label, "may_goto", 1, MayGoto::new);
    }

    /** {@code if dst == imm goto label}. */
    public Assembler jeq(Register dst, int imm, String label) {
        return jump(Width.BITS64, JumpCondition.EQ, dst, imm, label);
    }

    /** {@code if dst == src goto label}. */
    public Assembler jeq(Register dst, Register src, String label) {
        return jump(Width.BITS64, JumpCondition.EQ, dst, src, label);
    }

    /** {@code if dst != imm goto label}. */
    public Assembler jne(Register dst, int imm, String label) {
        return jump(Width.BITS64, JumpCondition.NE, dst, imm, label);
    }

    /** {@code if dst != src goto label}. */
    public Assembler jne(Register dst, Register src, String label) {
        return jump(Width.BITS64, JumpCondition.NE, dst, src, label);
    }

    /** Unsigned {@code if dst > imm goto label}. */
    public Assembler jgt(Register dst, int imm, String label) {
        return jump(Width.BITS64, JumpCondition.GT, dst, imm, label);
    }

    /** Unsigned {@code if dst > src goto label}. */
    public Assembler jgt(Register dst, Register src, String label) {
        return jump(Width.BITS64, JumpCondition.GT, dst, src, label);
    }

    /** Unsigned {@code if dst >= imm goto label}. */
    public Assembler jge(Register dst, int imm, String label) {
        return jump(Width.BITS64, JumpCondition.GE, dst, imm, label);
    }

    /** Unsigned {@code if dst >= src goto label}. */
    public Assembler jge(Register dst, Register src, String label) {
        return jump(Width.BITS64, JumpCondition.GE, dst, src, label);
    }

    /** Unsigned {@code if dst < imm goto label}. */
    public Assembler jlt(Register dst, int imm, String label) {
        return jump(Width.BITS64, JumpCondition.LT, dst, imm, label);
    }

    /** Unsigned {@code if dst < src goto label}. */
    public Assembler jlt(Register dst, Register src, String label) {
        return jump(Width.BITS64, JumpCondition.LT, dst, src, label);
    }

    /** Unsigned {@code if dst <= imm goto label}. */
    public Assembler jle(Register dst, int imm, String label) {
        return jump(Width.BITS64, JumpCondition.LE, dst, imm, label);
    }

    /** Unsigned {@code if dst <= src goto label}. */
    public Assembler jle(Register dst, Register src, String label) {
        return jump(Width.BITS64, JumpCondition.LE, dst, src, label);
    }

    /** Signed {@code if dst s> imm goto label}. */
    public Assembler jsgt(Register dst, int imm, String label) {
        return jump(Width.BITS64, JumpCondition.SGT, dst, imm, label);
    }

    /** Signed {@code if dst s> src goto label}. */
    public Assembler jsgt(Register dst, Register src, String label) {
        return jump(Width.BITS64, JumpCondition.SGT, dst, src, label);
    }

    /** Signed {@code if dst s>= imm goto label}. */
    public Assembler jsge(Register dst, int imm, String label) {
        return jump(Width.BITS64, JumpCondition.SGE, dst, imm, label);
    }

    /** Signed {@code if dst s>= src goto label}. */
    public Assembler jsge(Register dst, Register src, String label) {
        return jump(Width.BITS64, JumpCondition.SGE, dst, src, label);
    }

    /** Signed {@code if dst s< imm goto label}. */
    public Assembler jslt(Register dst, int imm, String label) {
        return jump(Width.BITS64, JumpCondition.SLT, dst, imm, label);
    }

    /** Signed {@code if dst s< src goto label}. */
    public Assembler jslt(Register dst, Register src, String label) {
        return jump(Width.BITS64, JumpCondition.SLT, dst, src, label);
    }

    /** Signed {@code if dst s<= imm goto label}. */
    public Assembler jsle(Register dst, int imm, String label) {
        return jump(Width.BITS64, JumpCondition.SLE, dst, imm, label);
    }

    /** Signed {@code if dst s<= src goto label}. */
    public Assembler jsle(Register dst, Register src, String label) {
        return jump(Width.BITS64, JumpCondition.SLE, dst, src, label);
    }

    /** {@code if dst & imm goto label}. */
    public Assembler jset(Register dst, int imm, String label) {
        return jump(Width.BITS64, JumpCondition.SET, dst, imm, label);
    }

    /** {@code if dst & src goto label}. */
    public Assembler jset(Register dst, Register src, String label) {
        return jump(Width.BITS64, JumpCondition.SET, dst, src, label);
    }

    /** {@code if wdst == imm goto label}. */
    public Assembler jeq32(Register dst, int imm, String label) {
        return jump(Width.BITS32, JumpCondition.EQ, dst, imm, label);
    }

    /** {@code if wdst == wsrc goto label}. */
    public Assembler jeq32(Register dst, Register src, String label) {
        return jump(Width.BITS32, JumpCondition.EQ, dst, src, label);
    }

    /** {@code if wdst != imm goto label}. */
    public Assembler jne32(Register dst, int imm, String label) {
        return jump(Width.BITS32, JumpCondition.NE, dst, imm, label);
    }

    /** {@code if wdst != wsrc goto label}. */
    public Assembler jne32(Register dst, Register src, String label) {
        return jump(Width.BITS32, JumpCondition.NE, dst, src, label);
    }

    /** Unsigned {@code if wdst > imm goto label}. */
    public Assembler jgt32(Register dst, int imm, String label) {
        return jump(Width.BITS32, JumpCondition.GT, dst, imm, label);
    }

    /** Unsigned {@code if wdst > wsrc goto label}. */
    public Assembler jgt32(Register dst, Register src, String label) {
        return jump(Width.BITS32, JumpCondition.GT, dst, src, label);
    }

    /** Unsigned {@code if wdst >= imm goto label}. */
    public Assembler jge32(Register dst, int imm, String label) {
        return jump(Width.BITS32, JumpCondition.GE, dst, imm, label);
    }

    /** Unsigned {@code if wdst >= wsrc goto label}. */
    public Assembler jge32(Register dst, Register src, String label) {
        return jump(Width.BITS32, JumpCondition.GE, dst, src, label);
    }

    /** Unsigned {@code if wdst < imm goto label}. */
    public Assembler jlt32(Register dst, int imm, String label) {
        return jump(Width.BITS32, JumpCondition.LT, dst, imm, label);
    }

    /** Unsigned {@code if wdst < wsrc goto label}. */
    public Assembler jlt32(Register dst, Register src, String label) {
        return jump(Width.BITS32, JumpCondition.LT, dst, src, label);
    }

    /** Unsigned {@code if wdst <= imm goto label}. */
    public Assembler jle32(Register dst, int imm, String label) {
        return jump(Width.BITS32, JumpCondition.LE, dst, imm, label);
    }

    /** Unsigned {@code if wdst <= wsrc goto label}. */
    public Assembler jle32(Register dst, Register src, String label) {
        return jump(Width.BITS32, JumpCondition.LE, dst, src, label);
    }

    /** Signed {@code if wdst s> imm goto label}. */
    public Assembler jsgt32(Register dst, int imm, String label) {
        return jump(Width.BITS32, JumpCondition.SGT, dst, imm, label);
    }

    /** Signed {@code if wdst s> wsrc goto label}. */
    public Assembler jsgt32(Register dst, Register src, String label) {
        return jump(Width.BITS32, JumpCondition.SGT, dst, src, label);
    }

    /** Signed {@code if wdst s>= imm goto label}. */
    public Assembler jsge32(Register dst, int imm, String label) {
        return jump(Width.BITS32, JumpCondition.SGE, dst, imm, label);
    }

    /** Signed {@code if wdst s>= wsrc goto label}. */
    public Assembler jsge32(Register dst, Register src, String label) {
        return jump(Width.BITS32, JumpCondition.SGE, dst, src, label);
    }

    /** Signed {@code if wdst s< imm goto label}. */
    public Assembler jslt32(Register dst, int imm, String label) {
        return jump(Width.BITS32, JumpCondition.SLT, dst, imm, label);
    }

    /** Signed {@code if wdst s< wsrc goto label}. */
    public Assembler jslt32(Register dst, Register src, String label) {
        return jump(Width.BITS32, JumpCondition.SLT, dst, src, label);
    }

    /** Signed {@code if wdst s<= imm goto label}. */
    public Assembler jsle32(Register dst, int imm, String label) {
        return jump(Width.BITS32, JumpCondition.SLE, dst, imm, label);
    }

    /** Signed {@code if wdst s<= wsrc goto label}. */
    public Assembler jsle32(Register dst, Register src, String label) {
        return jump(Width.BITS32, JumpCondition.SLE, dst, src, label);
    }

    /** {@code if wdst & imm goto label}. */
    public Assembler jset32(Register dst, int imm, String label) {
        return jump(Width.BITS32, JumpCondition.SET, dst, imm, label);
    }

    /** {@code if wdst & wsrc goto label}. */
    public Assembler jset32(Register dst, Register src, String label) {
        return jump(Width.BITS32, JumpCondition.SET, dst, src, label);
    }

    // ---- calls and exit ----

    /** Calls a helper. */
    public Assembler call(Helper helper) {
        return append(HelperCall.of(helper));
    }

    /**
     * Calls a helper by name, with or without the {@code bpf_} prefix: {@code call("map_lookup_elem")}.
     *
     * @throws IllegalArgumentException if {@link Helper} has no such helper
     */
    public Assembler call(String helperName) {
        Helper helper = Helper.byName(helperName).orElseThrow(() -> new IllegalArgumentException(
                "unknown helper '" + helperName + "': no bpf_func_id of that name in linux/bpf.h's helper list; "
                        + "check the spelling (e.g. map_lookup_elem), or call a newer helper by id with call(int)"));
        return call(helper);
    }

    /** Calls the helper with this {@code bpf_func_id}, for helpers newer than the {@link Helper} list. */
    public Assembler call(int helperId) {
        return append(new HelperCall(helperId));
    }

    /** Calls the function of this program that starts at {@code label} (a BPF-to-BPF call). */
    public Assembler callSubprogram(String label) {
        return pending(label, "call", 1, SubprogramCall::new);
    }

    /** Calls the kfunc with this BTF id in vmlinux BTF. */
    public Assembler callKfunc(int btfId) {
        return append(new KfuncCall(btfId, 0));
    }

    /** Calls the kfunc with this BTF id in the module BTF at {@code fd_array[btfFdIndex]}. */
    public Assembler callKfunc(int btfId, int btfFdIndex) {
        return append(new KfuncCall(btfId, btfFdIndex));
    }

    /** Returns R0. */
    public Assembler exit() {
        return append(new Exit());
    }

    // ---- memory ----

    /** {@code dst = *(size *)(base + offset)}. */
    public Assembler load(Size size, Register dst, Register base, int offset) {
        return append(new Load(size, dst, base, offset));
    }

    /** {@code dst = *(u8 *)(base + offset)}. */
    public Assembler ldxB(Register dst, Register base, int offset) {
        return load(Size.B, dst, base, offset);
    }

    /** {@code dst = *(u16 *)(base + offset)}. */
    public Assembler ldxH(Register dst, Register base, int offset) {
        return load(Size.H, dst, base, offset);
    }

    /** {@code dst = *(u32 *)(base + offset)}. */
    public Assembler ldxW(Register dst, Register base, int offset) {
        return load(Size.W, dst, base, offset);
    }

    /** {@code dst = *(u64 *)(base + offset)}. */
    public Assembler ldxDW(Register dst, Register base, int offset) {
        return load(Size.DW, dst, base, offset);
    }

    /** {@code dst = *(s8/s16/s32 *)(base + offset)}, sign-extended (ISA v4). */
    public Assembler loadSignExtend(Size size, Register dst, Register base, int offset) {
        return append(new LoadSignExtend(size, dst, base, offset));
    }

    /** {@code dst = *(s8 *)(base + offset)} (ISA v4). */
    public Assembler ldsxB(Register dst, Register base, int offset) {
        return loadSignExtend(Size.B, dst, base, offset);
    }

    /** {@code dst = *(s16 *)(base + offset)} (ISA v4). */
    public Assembler ldsxH(Register dst, Register base, int offset) {
        return loadSignExtend(Size.H, dst, base, offset);
    }

    /** {@code dst = *(s32 *)(base + offset)} (ISA v4). */
    public Assembler ldsxW(Register dst, Register base, int offset) {
        return loadSignExtend(Size.W, dst, base, offset);
    }

    /** {@code *(size *)(base + offset) = imm}. */
    public Assembler store(Size size, Register base, int offset, int imm) {
        return append(new Store(size, base, offset, Immediate.of(imm)));
    }

    /** {@code *(size *)(base + offset) = src}. */
    public Assembler store(Size size, Register base, int offset, Register src) {
        return append(new Store(size, base, offset, src));
    }

    /** {@code *(u8 *)(base + offset) = imm}. */
    public Assembler stB(Register base, int offset, int imm) {
        return store(Size.B, base, offset, imm);
    }

    /** {@code *(u16 *)(base + offset) = imm}. */
    public Assembler stH(Register base, int offset, int imm) {
        return store(Size.H, base, offset, imm);
    }

    /** {@code *(u32 *)(base + offset) = imm}. */
    public Assembler stW(Register base, int offset, int imm) {
        return store(Size.W, base, offset, imm);
    }

    /** {@code *(u64 *)(base + offset) = imm}, the immediate sign-extended. */
    public Assembler stDW(Register base, int offset, int imm) {
        return store(Size.DW, base, offset, imm);
    }

    /** {@code *(u8 *)(base + offset) = src}. */
    public Assembler stxB(Register base, int offset, Register src) {
        return store(Size.B, base, offset, src);
    }

    /** {@code *(u16 *)(base + offset) = src}. */
    public Assembler stxH(Register base, int offset, Register src) {
        return store(Size.H, base, offset, src);
    }

    /** {@code *(u32 *)(base + offset) = src}. */
    public Assembler stxW(Register base, int offset, Register src) {
        return store(Size.W, base, offset, src);
    }

    /** {@code *(u64 *)(base + offset) = src}. */
    public Assembler stxDW(Register base, int offset, Register src) {
        return store(Size.DW, base, offset, src);
    }

    /** Legacy {@code r0 = *(size *)skb[offset]} (socket filters; context in R6). */
    public Assembler ldAbs(Size size, int offset) {
        return append(new LoadAbsolute(size, offset));
    }

    /** Legacy {@code r0 = *(size *)skb[index + offset]} (socket filters; context in R6). */
    public Assembler ldInd(Size size, Register index, int offset) {
        return append(new LoadIndirect(size, index, offset));
    }

    // ---- atomics ----

    /** An atomic {@code op} on {@code *(size *)(base + offset)} with operand {@code src} (size W or DW). */
    public Assembler atomic(AtomicOp op, Size size, Register base, int offset, Register src) {
        return append(new Atomic(op, size, base, offset, src));
    }

    /** {@code lock *(size *)(base + offset) += src}. */
    public Assembler atomicAdd(Size size, Register base, int offset, Register src) {
        return atomic(AtomicOp.ADD, size, base, offset, src);
    }

    /** {@code lock *(size *)(base + offset) |= src}. */
    public Assembler atomicOr(Size size, Register base, int offset, Register src) {
        return atomic(AtomicOp.OR, size, base, offset, src);
    }

    /** {@code lock *(size *)(base + offset) &= src}. */
    public Assembler atomicAnd(Size size, Register base, int offset, Register src) {
        return atomic(AtomicOp.AND, size, base, offset, src);
    }

    /** {@code lock *(size *)(base + offset) ^= src}. */
    public Assembler atomicXor(Size size, Register base, int offset, Register src) {
        return atomic(AtomicOp.XOR, size, base, offset, src);
    }

    /** {@code src = atomic_fetch_add((size *)(base + offset), src)}. */
    public Assembler atomicFetchAdd(Size size, Register base, int offset, Register src) {
        return atomic(AtomicOp.FETCH_ADD, size, base, offset, src);
    }

    /** {@code src = atomic_fetch_or((size *)(base + offset), src)}. */
    public Assembler atomicFetchOr(Size size, Register base, int offset, Register src) {
        return atomic(AtomicOp.FETCH_OR, size, base, offset, src);
    }

    /** {@code src = atomic_fetch_and((size *)(base + offset), src)}. */
    public Assembler atomicFetchAnd(Size size, Register base, int offset, Register src) {
        return atomic(AtomicOp.FETCH_AND, size, base, offset, src);
    }

    /** {@code src = atomic_fetch_xor((size *)(base + offset), src)}. */
    public Assembler atomicFetchXor(Size size, Register base, int offset, Register src) {
        return atomic(AtomicOp.FETCH_XOR, size, base, offset, src);
    }

    /** {@code src = atomic_xchg((size *)(base + offset), src)}. */
    public Assembler atomicXchg(Size size, Register base, int offset, Register src) {
        return atomic(AtomicOp.XCHG, size, base, offset, src);
    }

    /** {@code r0 = atomic_cmpxchg((size *)(base + offset), r0, src)}. */
    public Assembler atomicCmpXchg(Size size, Register base, int offset, Register src) {
        return atomic(AtomicOp.CMPXCHG, size, base, offset, src);
    }

    /** {@code dst = load_acquire((size *)(base + offset))} (Linux 6.15+). */
    public Assembler loadAcquire(Size size, Register dst, Register base, int offset) {
        return append(new LoadAcquire(size, dst, base, offset));
    }

    /** {@code store_release((size *)(base + offset), src)} (Linux 6.15+). */
    public Assembler storeRelease(Size size, Register base, int offset, Register src) {
        return append(new StoreRelease(size, base, offset, src));
    }

    // ---- 64-bit immediate loads ----

    /** {@code dst = value}, a full 64-bit constant (two slots). */
    public Assembler ldImm64(Register dst, long value) {
        return append(new LoadImm64(dst, value));
    }

    /**
     * {@code dst = map}, for map helpers.
     *
     * @throws IllegalArgumentException if the map has no open file descriptor
     */
    public Assembler loadMapFd(Register dst, MapReference map) {
        return append(new LoadMapFd(dst, openFd(map)));
    }

    /**
     * {@code dst = &map[0] + offset}: the address of a byte of an array map's first value (global variables).
     *
     * @throws IllegalArgumentException if the map has no open file descriptor
     */
    public Assembler loadMapValue(Register dst, MapReference map, int offset) {
        return append(new LoadMapValue(dst, openFd(map), offset));
    }

    /** {@code dst = map}, naming the map by its index in the program's {@code fd_array}. */
    public Assembler loadMapIndex(Register dst, int index) {
        return append(new LoadMapIndex(dst, index));
    }

    /** {@code dst = &map[0] + offset}, naming the map by its index in the program's {@code fd_array}. */
    public Assembler loadMapIndexValue(Register dst, int index, int offset) {
        return append(new LoadMapIndexValue(dst, index, offset));
    }

    /** {@code dst = &var}: the address of the vmlinux variable with this BTF id. */
    public Assembler loadKernelVariable(Register dst, int btfId) {
        return append(new LoadKernelVariable(dst, btfId, 0));
    }

    /** {@code dst = &var}: the address of the variable with this BTF id in the module BTF {@code btfObjFd}. */
    public Assembler loadKernelVariable(Register dst, int btfId, int btfObjFd) {
        return append(new LoadKernelVariable(dst, btfId, btfObjFd));
    }

    /** {@code dst = &function}: the address of this program's function at {@code label}, for callbacks. */
    public Assembler loadFunction(Register dst, String label) {
        Objects.requireNonNull(dst, "dst");
        return pending(label, "function address load", 2, offset -> new LoadFunction(dst, offset));
    }

    private static int openFd(MapReference map) {
        Objects.requireNonNull(map, "map");
        int fd = map.fd();
        if (fd < 0) {
            throw new IllegalArgumentException("map '" + map.name() + "' has no open file descriptor (fd " + fd
                    + "); create or open the map before assembling code that refers to it");
        }
        return fd;
    }
}
