package io.bpf4j.core.asm;

import java.util.Objects;
import java.util.function.IntFunction;

/**
 * Prints instructions the way {@code bpftool prog dump xlated} and the verifier log do, following the kernel's
 * {@code kernel/bpf/disasm.c}: {@code (b7) r0 = 0}, {@code (85) call bpf_map_lookup_elem#1},
 * {@code (61) r2 = *(u32 *)(r1 +4)}, {@code (15) if r1 == 0x0 goto pc+2}; 32-bit operations use {@code w}
 * registers. A program listing puts the slot number in front of each line, as bpftool does.
 *
 * <p>Where the instructions come from decides how map loads print: as {@code map[id:N]} in {@link #kernelDump()}
 * mode, because the kernel replaces file descriptors by map ids in what it reports back, and as
 * {@code map[fd:N]} in {@link #beforeLoad()} mode. Map-index and kernel-variable loads, which bpftool only shows
 * as raw hexadecimal, print as {@code map[idx:N]} and {@code var[btf_id:N]}.
 */
public final class Disassembler {
    private final boolean kernelDump;
    private final IntFunction<String> callNames;

    private Disassembler(boolean kernelDump, IntFunction<String> callNames) {
        this.kernelDump = kernelDump;
        this.callNames = callNames;
    }

    /** For programs built or parsed here, not yet loaded: map loads carry file descriptors. */
    public static Disassembler beforeLoad() {
        return new Disassembler(false, target -> null);
    }

    /** For translated instructions the kernel reports ({@code xlated_prog_insns}): map loads carry map ids. */
    public static Disassembler kernelDump() {
        return new Disassembler(true, target -> null);
    }

    /**
     * Uses {@code names} for call targets the helper list cannot name: helper-call immediates that are not a
     * known helper id (in a kernel dump, offsets from {@code __bpf_call_base} that bpftool resolves through
     * {@code /proc/kallsyms}) and kfunc BTF ids. The function returns null when it does not know a target;
     * such calls print as {@code unknown#imm} and {@code kernel-function#imm}, as in the kernel's disassembler.
     */
    public Disassembler withCallNames(IntFunction<String> names) {
        return new Disassembler(kernelDump, Objects.requireNonNull(names, "names"));
    }

    /** A program listing, one line per instruction, each starting with its slot number right-aligned to 4. */
    public String disassemble(Iterable<? extends Instruction> program) {
        StringBuilder text = new StringBuilder();
        int slot = 0;
        for (Instruction instruction : program) {
            text.append("%4d: ".formatted(slot)).append(format(instruction)).append('\n');
            slot += instruction.slots();
        }
        return text.toString();
    }

    /** One instruction: the opcode byte in parentheses and the C-like statement, e.g. {@code (bf) r1 = r10}. */
    public String format(Instruction instruction) {
        return "(%02x) %s".formatted(instruction.opcode(), statement(instruction));
    }

    private String statement(Instruction instruction) {
        return switch (instruction) {
            case Alu alu -> alu(alu);
            case Neg neg -> "%s = -%s".formatted(reg(neg.width(), neg.dst()), reg(neg.width(), neg.dst()));
            case MovSignExtend mov -> "%s = (s%d)%s".formatted(
                    reg(mov.width(), mov.dst()), mov.fromBits(), reg(mov.width(), mov.src()));
            case ByteSwap swap -> byteSwap(swap);
            case AddressSpaceCast cast -> "r%d = addr_space_cast(r%d, %d, %d)".formatted(
                    cast.dst().number(), cast.src().number(), cast.dstSpace(), cast.srcSpace());
            case Jump jump -> "if %s %s %s goto pc%+d".formatted(reg(jump.width(), jump.dst()),
                    condition(jump.condition()), jumpOperand(jump), jump.offset());
            case Goto jump -> "goto pc%+d".formatted(jump.offset());
            case GotoLong jump -> "gotol pc%+d".formatted(jump.offset());
            case MayGoto jump -> "may_goto pc%+d".formatted(jump.offset());
            case HelperCall call -> "call %s#%d".formatted(helperName(call.id()), call.id());
            case SubprogramCall call -> "call pc%+d".formatted(call.offset());
            case KfuncCall call -> "call %s#%d".formatted(
                    Objects.requireNonNullElse(callNames.apply(call.btfId()), "kernel-function"), call.btfId());
            case Exit ignored -> "exit";
            case Load load -> "r%d = %s".formatted(load.dst().number(),
                    memory(unsignedType(load.size()), load.base(), load.offset()));
            case LoadSignExtend load -> "r%d = %s".formatted(load.dst().number(),
                    memory(signedType(load.size()), load.base(), load.offset()));
            case Store store -> "%s = %s".formatted(memory(unsignedType(store.size()), store.base(), store.offset()),
                    switch (store.value()) {
                        case Register register -> "r" + register.number();
                        case Immediate immediate -> Integer.toString(immediate.value());
                    });
            case Atomic atomic -> atomic(atomic);
            case LoadAcquire load -> "r%d = load_acquire((%s *)(r%d %+d))".formatted(load.dst().number(),
                    unsignedType(load.size()), load.base().number(), load.offset());
            case StoreRelease store -> "store_release((%s *)(r%d %+d), r%d)".formatted(
                    unsignedType(store.size()), store.base().number(), store.offset(), store.src().number());
            case LoadAbsolute load -> "r0 = *(%s *)skb[%d]".formatted(unsignedType(load.size()), load.offset());
            case LoadIndirect load -> "r0 = *(%s *)skb[r%d + %d]".formatted(
                    unsignedType(load.size()), load.index().number(), load.offset());
            case PerCpuAddress mov -> "r%d = &(void __percpu *)(r%d)".formatted(mov.dst().number(), mov.src().number());
            case SpeculationBarrier ignored -> "nospec";
            case WideInstruction wide -> "r%d = %s".formatted(wide.dst().number(), wideValue(wide));
        };
    }

    private static String alu(Alu alu) {
        String operand = switch (alu.src()) {
            case Register register -> reg(alu.width(), register);
            case Immediate immediate -> Integer.toString(immediate.value());
        };
        return "%s %s %s".formatted(reg(alu.width(), alu.dst()), operator(alu.op()), operand);
    }

    private static String operator(AluOp op) {
        return switch (op) {
            case ADD -> "+=";
            case SUB -> "-=";
            case MUL -> "*=";
            case DIV -> "/=";
            case SDIV -> "s/=";
            case OR -> "|=";
            case AND -> "&=";
            case LSH -> "<<=";
            case RSH -> ">>=";
            case MOD -> "%=";
            case SMOD -> "s%=";
            case XOR -> "^=";
            case MOV -> "=";
            case ARSH -> "s>>=";
        };
    }

    /** The kernel prints byte swaps with r registers even in the 32-bit class. */
    private static String byteSwap(ByteSwap swap) {
        String conversion = switch (swap.kind()) {
            case TO_LE -> "le";
            case TO_BE -> "be";
            case SWAP -> "bswap";
        };
        return "r%d = %s%d r%d".formatted(swap.dst().number(), conversion, swap.bits(), swap.dst().number());
    }

    private static String condition(JumpCondition condition) {
        return switch (condition) {
            case EQ -> "==";
            case GT -> ">";
            case GE -> ">=";
            case SET -> "&";
            case NE -> "!=";
            case SGT -> "s>";
            case SGE -> "s>=";
            case LT -> "<";
            case LE -> "<=";
            case SLT -> "s<";
            case SLE -> "s<=";
        };
    }

    /** Jump immediates print as unsigned 32-bit hexadecimal, register operands by width. */
    private static String jumpOperand(Jump jump) {
        return switch (jump.src()) {
            case Register register -> reg(jump.width(), register);
            case Immediate immediate -> "0x" + Integer.toHexString(immediate.value());
        };
    }

    private String helperName(int id) {
        return Helper.byId(id).map(Helper::functionName)
                .orElseGet(() -> Objects.requireNonNullElse(callNames.apply(id), "unknown"));
    }

    /** Atomic operations print as the kernel does, with r registers for both widths. */
    private static String atomic(Atomic atomic) {
        String location = "(%s *)(r%d %+d)".formatted(
                unsignedType(atomic.size()), atomic.base().number(), atomic.offset());
        String bits = atomic.size() == Size.DW ? "64" : "";
        String src = "r" + atomic.src().number();
        return switch (atomic.op()) {
            case ADD -> "lock *%s += %s".formatted(location, src);
            case OR -> "lock *%s |= %s".formatted(location, src);
            case AND -> "lock *%s &= %s".formatted(location, src);
            case XOR -> "lock *%s ^= %s".formatted(location, src);
            case FETCH_ADD -> "%s = atomic%s_fetch_add(%s, %s)".formatted(src, bits, location, src);
            case FETCH_OR -> "%s = atomic%s_fetch_or(%s, %s)".formatted(src, bits, location, src);
            case FETCH_AND -> "%s = atomic%s_fetch_and(%s, %s)".formatted(src, bits, location, src);
            case FETCH_XOR -> "%s = atomic%s_fetch_xor(%s, %s)".formatted(src, bits, location, src);
            case XCHG -> "%s = atomic%s_xchg(%s, %s)".formatted(src, bits, location, src);
            case CMPXCHG -> "r0 = atomic%s_cmpxchg(%s, r0, %s)".formatted(bits, location, src);
        };
    }

    private String wideValue(WideInstruction wide) {
        String map = kernelDump ? "id" : "fd";
        return switch (wide) {
            case LoadImm64 load -> "0x" + Long.toHexString(load.value());
            case LoadMapFd load -> "map[%s:%s]".formatted(map, unsigned(load.fd()));
            case LoadMapValue load -> "map[%s:%s][0]+%s".formatted(map, unsigned(load.fd()), unsigned(load.offset()));
            case LoadMapIndex load -> "map[idx:%s]".formatted(unsigned(load.index()));
            case LoadMapIndexValue load -> "map[idx:%s][0]+%s".formatted(
                    unsigned(load.index()), unsigned(load.offset()));
            case LoadKernelVariable load -> load.btfObjFd() == 0
                    ? "var[btf_id:%d]".formatted(load.btfId())
                    : "var[btf_id:%d,btf_fd:%d]".formatted(load.btfId(), load.btfObjFd());
            case LoadFunction load -> "subprog[%+d]".formatted(load.offset());
        };
    }

    /** bpftool prints map ids and value offsets as unsigned 32-bit numbers. */
    private static String unsigned(int value) {
        return Integer.toUnsignedString(value);
    }

    private static String memory(String type, Register base, int offset) {
        return "*(%s *)(r%d %+d)".formatted(type, base.number(), offset);
    }

    private static String unsignedType(Size size) {
        return "u" + size.bytes() * 8;
    }

    private static String signedType(Size size) {
        return "s" + size.bytes() * 8;
    }

    private static String reg(Width width, Register register) {
        return (width == Width.BITS32 ? "w" : "r") + register.number();
    }
}
