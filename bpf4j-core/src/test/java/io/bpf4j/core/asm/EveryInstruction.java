package io.bpf4j.core.asm;

import java.util.ArrayList;
import java.util.List;

import static io.bpf4j.core.asm.Register.R0;
import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R10;
import static io.bpf4j.core.asm.Register.R3;
import static io.bpf4j.core.asm.Register.R6;
import static io.bpf4j.core.asm.Register.R9;

/** One instance of every instruction variant: each operation, width, size, operand kind and pseudo kind. */
final class EveryInstruction {
    private EveryInstruction() {
    }

    static List<Instruction> variants() {
        List<Instruction> all = new ArrayList<>();
        for (Width width : Width.values()) {
            for (AluOp op : AluOp.values()) {
                all.add(new Alu(width, op, R1, R9));
                all.add(new Alu(width, op, R1, Immediate.of(-7)));
            }
            all.add(new Neg(width, R3));
            all.add(new MovSignExtend(width, R1, R6, 8));
            all.add(new MovSignExtend(width, R1, R6, 16));
            for (JumpCondition condition : JumpCondition.values()) {
                all.add(new Jump(width, condition, R3, R9, -3));
                all.add(new Jump(width, condition, R3, Immediate.of(0x7fffffff), 12));
            }
        }
        all.add(new MovSignExtend(Width.BITS64, R1, R6, 32));
        for (ByteSwap.Kind kind : ByteSwap.Kind.values()) {
            for (int bits : new int[] {16, 32, 64}) {
                all.add(new ByteSwap(kind, bits, R6));
            }
        }
        all.add(new AddressSpaceCast(R1, R3, 0, 1));
        all.add(new AddressSpaceCast(R1, R3, 1, 0));
        all.add(new Goto(-32768));
        all.add(new GotoLong(100_000));
        all.add(new MayGoto(5));
        all.add(new HelperCall(Helper.RINGBUF_OUTPUT.id()));
        all.add(new HelperCall(211));
        all.add(new SubprogramCall(-40));
        all.add(new KfuncCall(54321, 0));
        all.add(new KfuncCall(54321, 2));
        all.add(new Exit());
        for (Size size : Size.values()) {
            all.add(new Load(size, R0, R1, 32767));
            all.add(new Store(size, R10, -8, R1));
            all.add(new Store(size, R10, -8, Immediate.of(-2)));
            all.add(new LoadAcquire(size, R0, R1, 4));
            all.add(new StoreRelease(size, R1, 4, R3));
            if (size != Size.DW) {
                all.add(new LoadSignExtend(size, R0, R1, -1));
                all.add(new LoadAbsolute(size, 14));
                all.add(new LoadIndirect(size, R3, -2));
            }
        }
        for (AtomicOp op : AtomicOp.values()) {
            all.add(new Atomic(op, Size.W, R1, 8, R3));
            all.add(new Atomic(op, Size.DW, R1, -8, R3));
        }
        all.add(new LoadImm64(R1, 0x8000_0000_ffff_fffeL));
        all.add(new LoadImm64(R1, 1L << 32));
        all.add(new LoadMapFd(R1, 7));
        all.add(new LoadMapValue(R1, 7, 24));
        all.add(new LoadKernelVariable(R1, 1234, 0));
        all.add(new LoadKernelVariable(R1, 1234, 9));
        all.add(new LoadFunction(R1, 17));
        all.add(new LoadMapIndex(R1, 3));
        all.add(new LoadMapIndexValue(R1, 3, 64));
        all.add(new PerCpuAddress(R0, R0));
        all.add(new SpeculationBarrier());
        return List.copyOf(all);
    }
}
