package io.bpf4j.bcc;

import io.bpf4j.core.asm.Instruction;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.asm.Load;
import io.bpf4j.core.asm.LoadImm64;
import io.bpf4j.core.asm.RawInstruction;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.link.Tracefs;
import io.bpf4j.core.link.TracepointFormat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A kprobe on a system call's kernel function, served by the system call's tracepoint when the kernel has no
 * kprobes: {@code __x64_sys_mkdir}, {@code sys_mkdir} or {@code __se_sys_mkdir} become
 * {@code syscalls:sys_enter_mkdir} (kretprobe: {@code sys_exit_mkdir}).
 *
 * <p>The same compiled function is loaded as a tracepoint program, and its reads of {@code struct pt_regs} fields
 * from the context are moved to the tracepoint record: the argument registers of the x86-64 calling convention
 * ({@code PT_REGS_PARM1..6}: di, si, dx, cx — r10 for system calls —, r8, r9) read the system call's arguments
 * 1 to 6 (the fields after {@code __syscall_nr} in the tracepoint's format), and on return {@code PT_REGS_RC}
 * (ax) reads {@code ret}. So {@code PT_REGS_PARM1(ctx)} and bcc's named arguments give the system call's first
 * argument, as a kprobe on {@code sys_mkdir} did before system call wrappers. A {@code syscall__} function, which
 * on a kprobe reads its arguments through the wrapper's inner pt_regs, reads them from the context here: its
 * marker constant ({@link #SYSCALL_WRAPPED}) is replaced by 0. Any other {@code pt_regs} field
 * (ip, sp…) has no counterpart: loading such a program fails, naming the field.
 *
 * <p>Which registers hold the context is followed through the code in order: r1 at entry, copies of it
 * ({@code r6 = r1}), until overwritten or (r1–r5) clobbered by a call. Clang keeps the context in a callee-saved
 * register for the whole function, which this follows; a context pointer passed through the stack is not
 * followed (its reads are not moved, and the verifier then refuses an out-of-range context read).
 */
final class SyscallTracepoint {
    /** Offsets of {@code struct pt_regs} (x86-64) fields bcc programs read through {@code PT_REGS_*}. */
    private static final Map<Integer, String> PT_REGS = Map.ofEntries(
            Map.entry(0, "r15"), Map.entry(8, "r14"), Map.entry(16, "r13"), Map.entry(24, "r12"),
            Map.entry(32, "bp"), Map.entry(40, "bx"), Map.entry(48, "r11"), Map.entry(56, "r10"),
            Map.entry(64, "r9"), Map.entry(72, "r8"), Map.entry(80, "ax"), Map.entry(88, "cx"),
            Map.entry(96, "dx"), Map.entry(104, "si"), Map.entry(112, "di"), Map.entry(120, "orig_ax"),
            Map.entry(128, "ip"), Map.entry(136, "cs"), Map.entry(144, "flags"), Map.entry(152, "sp"),
            Map.entry(160, "ss"));
    /** Argument n (0-based) of a call: the pt_regs offsets that hold it (cx for functions, r10 for syscalls). */
    private static final int[][] ARGUMENT_REGS = {{112}, {104}, {96}, {88, 56}, {72}, {64}};
    private static final int AX = 80;
    /**
     * The constant bcc.h's {@code __bpf4j_syscall_wrapped()} loads ("BPF4SYSC"): a {@code syscall__} function
     * reads its arguments through the syscall wrapper's inner pt_regs while it is nonzero, from the context
     * (moved here to the tracepoint's arguments) when it is 0.
     */
    static final long SYSCALL_WRAPPED = 0x4250463453595343L;
    private static final String[] PREFIXES = {"__x64_sys_", "__ia32_sys_", "__arm64_sys_", "__riscv_sys_",
            "__s390x_sys_", "__se_sys_", "__do_sys_", "__sys_", "ksys_", "sys_"};

    private SyscallTracepoint() {
    }

    /** The system call {@code function} implements ({@code __x64_sys_mkdir}: mkdir), if it names one here. */
    static Optional<String> syscallOf(String function) {
        for (String prefix : PREFIXES) {
            if (function.startsWith(prefix) && function.length() > prefix.length()) {
                String name = function.substring(prefix.length());
                if (Tracefs.format("syscalls", "sys_enter_" + name).isPresent()) return Optional.of(name);
            }
        }
        return Optional.empty();
    }

    /**
     * The instructions with context reads of pt_regs moved to the tracepoint {@code format}'s fields.
     *
     * @param exit true for sys_exit_* (the return value), false for sys_enter_* (the arguments)
     * @throws IllegalArgumentException when the program reads a pt_regs field the tracepoint has no counterpart
     *                                  of; the message names it
     */
    static Instructions rewrite(Instructions code, TracepointFormat format, boolean exit, String program) {
        Map<Integer, Integer> moved = offsets(format, exit);
        Set<Register> ctx = EnumSet.of(Register.R1);
        List<Instruction> out = new ArrayList<>(code.instructions().size());
        for (Instruction insn : code) {
            if (insn instanceof LoadImm64 marker && marker.value() == SYSCALL_WRAPPED) {
                insn = new LoadImm64(marker.dst(), 0); // no wrapper here: syscall__ arguments are the context's
            }
            if (insn instanceof Load l && ctx.contains(l.base())) {
                Integer to = moved.get(l.offset());
                if (to == null) {
                    String field = PT_REGS.getOrDefault(l.offset(), "offset " + l.offset());
                    throw new IllegalArgumentException("program '" + program + "' reads pt_regs->" + field
                            + ", which tracepoint " + format.category() + ":" + format.name() + " has no "
                            + "counterpart of (it has the system call's " + (exit ? "return value" : "arguments")
                            + "); kprobes are needed for this program");
                }
                insn = new Load(l.size(), l.dst(), l.base(), to);
            }
            track(insn, ctx);
            out.add(insn);
        }
        return Instructions.of(out);
    }

    /** Follows which registers hold the context past {@code insn}. */
    private static void track(Instruction insn, Set<Register> ctx) {
        RawInstruction raw = insn.toRaw().getFirst();
        int cls = raw.opcode() & 0x07;
        boolean aluClass = cls == 0x04 || cls == 0x07; // ALU, ALU64
        if (cls == 0x05 && (raw.opcode() & 0xf0) == 0x80) { // a call clobbers r0-r5
            for (int r = 0; r <= 5; r++) ctx.remove(Register.of(r));
            return;
        }
        if (aluClass || cls == 0x00 || cls == 0x01) { // ALU, LD (imm64), LDX write dst
            Register dst = Register.of(raw.dst());
            boolean copy = cls == 0x07 && (raw.opcode() & 0xf0) == 0xb0 && (raw.opcode() & 0x08) != 0
                    && raw.offset() == 0 && ctx.contains(Register.of(raw.src()));
            if (copy) ctx.add(dst);
            else ctx.remove(dst);
        }
    }

    /** pt_regs offset → tracepoint record offset. */
    private static Map<Integer, Integer> offsets(TracepointFormat format, boolean exit) {
        java.util.HashMap<Integer, Integer> m = new java.util.HashMap<>();
        List<TracepointFormat.Field> fields = format.fields();
        if (exit) {
            fields.stream().filter(f -> f.name().equals("ret")).findFirst().ifPresent(f -> m.put(AX, f.offset()));
            return m;
        }
        int first = -1;
        for (int i = 0; i < fields.size(); i++) if (fields.get(i).name().equals("__syscall_nr")) first = i + 1;
        for (int a = 0; first >= 0 && a < ARGUMENT_REGS.length && first + a < fields.size(); a++) {
            for (int reg : ARGUMENT_REGS[a]) m.put(reg, fields.get(first + a).offset());
        }
        return m;
    }
}
