package io.bpf4j.core.asm;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.bpf4j.core.asm.Register.R0;
import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R10;
import static io.bpf4j.core.asm.Register.R2;
import static io.bpf4j.core.asm.Register.R3;
import static org.assertj.core.api.Assertions.assertThat;

/** The text of single instructions and listings, written by hand from kernel/bpf/disasm.c and bpftool. */
class DisassemblerTest {
    private final Disassembler disassembler = Disassembler.beforeLoad();

    @Test
    void printsAluInstructionsWithRRegistersFor64AndWRegistersFor32Bits() {
        assertThat(format(new Alu(Width.BITS64, AluOp.MOV, R0, Immediate.of(0)))).isEqualTo("(b7) r0 = 0");
        assertThat(format(new Alu(Width.BITS64, AluOp.MOV, R1, R10))).isEqualTo("(bf) r1 = r10");
        assertThat(format(new Alu(Width.BITS64, AluOp.ADD, R1, Immediate.of(-4)))).isEqualTo("(07) r1 += -4");
        assertThat(format(new Alu(Width.BITS32, AluOp.ADD, R1, R2))).isEqualTo("(0c) w1 += w2");
        assertThat(format(new Alu(Width.BITS32, AluOp.SMOD, R1, Immediate.of(7)))).isEqualTo("(94) w1 s%= 7");
        assertThat(format(new Alu(Width.BITS64, AluOp.SDIV, R1, R2))).isEqualTo("(3f) r1 s/= r2");
        assertThat(format(new Alu(Width.BITS64, AluOp.ARSH, R1, Immediate.of(3)))).isEqualTo("(c7) r1 s>>= 3");
        assertThat(format(new Neg(Width.BITS32, R3))).isEqualTo("(84) w3 = -w3");
        assertThat(format(new MovSignExtend(Width.BITS64, R1, R2, 32))).isEqualTo("(bf) r1 = (s32)r2");
        assertThat(format(new MovSignExtend(Width.BITS32, R1, R2, 8))).isEqualTo("(bc) w1 = (s8)w2");
        assertThat(format(new ByteSwap(ByteSwap.Kind.TO_BE, 16, R1))).isEqualTo("(dc) r1 = be16 r1");
        assertThat(format(new ByteSwap(ByteSwap.Kind.TO_LE, 64, R1))).isEqualTo("(d4) r1 = le64 r1");
        assertThat(format(new ByteSwap(ByteSwap.Kind.SWAP, 32, R1))).isEqualTo("(d7) r1 = bswap32 r1");
        assertThat(format(new AddressSpaceCast(R1, R2, 0, 1))).isEqualTo("(bf) r1 = addr_space_cast(r2, 0, 1)");
        assertThat(format(new PerCpuAddress(R0, R0))).isEqualTo("(bf) r0 = &(void __percpu *)(r0)");
    }

    @Test
    void printsJumpsWithUnsignedHexImmediatesAndSignedOffsets() {
        assertThat(format(new Jump(Width.BITS64, JumpCondition.EQ, R1, Immediate.of(0), 2)))
                .isEqualTo("(15) if r1 == 0x0 goto pc+2");
        assertThat(format(new Jump(Width.BITS64, JumpCondition.SGT, R1, Immediate.of(-1), -7)))
                .isEqualTo("(65) if r1 s> 0xffffffff goto pc-7");
        assertThat(format(new Jump(Width.BITS32, JumpCondition.SET, R1, R2, 0)))
                .isEqualTo("(4e) if w1 & w2 goto pc+0");
        assertThat(format(new Jump(Width.BITS64, JumpCondition.LE, R3, R2, 1)))
                .isEqualTo("(bd) if r3 <= r2 goto pc+1");
        assertThat(format(new Goto(-1))).isEqualTo("(05) goto pc-1");
        assertThat(format(new GotoLong(70000))).isEqualTo("(06) gotol pc+70000");
        assertThat(format(new MayGoto(3))).isEqualTo("(e5) may_goto pc+3");
        assertThat(format(new Exit())).isEqualTo("(95) exit");
    }

    @Test
    void printsCallsByKind() {
        assertThat(format(HelperCall.of(Helper.MAP_LOOKUP_ELEM))).isEqualTo("(85) call bpf_map_lookup_elem#1");
        assertThat(format(HelperCall.of(Helper.RINGBUF_OUTPUT))).isEqualTo("(85) call bpf_ringbuf_output#130");
        assertThat(format(new HelperCall(211))).isEqualTo("(85) call unknown#211");
        assertThat(format(new SubprogramCall(5))).isEqualTo("(85) call pc+5");
        assertThat(format(new KfuncCall(12345, 0))).isEqualTo("(85) call kernel-function#12345");
    }

    @Test
    void namesUnknownCallTargetsThroughTheGivenFunction() {
        Disassembler named = disassembler.withCallNames(target -> target == 12345 ? "bpf_rcu_read_lock" : null);

        assertThat(named.format(new KfuncCall(12345, 0))).isEqualTo("(85) call bpf_rcu_read_lock#12345");
        assertThat(named.format(new HelperCall(12345))).isEqualTo("(85) call bpf_rcu_read_lock#12345");
        assertThat(named.format(new HelperCall(99999))).isEqualTo("(85) call unknown#99999");
        assertThat(named.format(HelperCall.of(Helper.KTIME_GET_NS))).isEqualTo("(85) call bpf_ktime_get_ns#5");
    }

    @Test
    void printsMemoryAccesses() {
        assertThat(format(new Load(Size.W, R2, R1, 4))).isEqualTo("(61) r2 = *(u32 *)(r1 +4)");
        assertThat(format(new LoadSignExtend(Size.H, R2, R1, -2))).isEqualTo("(89) r2 = *(s16 *)(r1 -2)");
        assertThat(format(new Store(Size.W, R10, -4, R1))).isEqualTo("(63) *(u32 *)(r10 -4) = r1");
        assertThat(format(new Store(Size.DW, R10, -8, Immediate.of(-1)))).isEqualTo("(7a) *(u64 *)(r10 -8) = -1");
        assertThat(format(new Store(Size.B, R1, 0, Immediate.of(7)))).isEqualTo("(72) *(u8 *)(r1 +0) = 7");
        assertThat(format(new LoadAbsolute(Size.H, 12))).isEqualTo("(28) r0 = *(u16 *)skb[12]");
        assertThat(format(new LoadIndirect(Size.B, R3, 1))).isEqualTo("(50) r0 = *(u8 *)skb[r3 + 1]");
        assertThat(format(new LoadAcquire(Size.B, R0, R1, 0))).isEqualTo("(d3) r0 = load_acquire((u8 *)(r1 +0))");
        assertThat(format(new StoreRelease(Size.H, R1, 2, R2))).isEqualTo("(cb) store_release((u16 *)(r1 +2), r2)");
        assertThat(format(new SpeculationBarrier())).isEqualTo("(c2) nospec");
    }

    @Test
    void printsAtomicsAsTheKernelDoes() {
        assertThat(format(new Atomic(AtomicOp.ADD, Size.DW, R1, 0, R2))).isEqualTo("(db) lock *(u64 *)(r1 +0) += r2");
        assertThat(format(new Atomic(AtomicOp.XOR, Size.W, R1, 8, R2))).isEqualTo("(c3) lock *(u32 *)(r1 +8) ^= r2");
        assertThat(format(new Atomic(AtomicOp.FETCH_OR, Size.DW, R1, -8, R2)))
                .isEqualTo("(db) r2 = atomic64_fetch_or((u64 *)(r1 -8), r2)");
        assertThat(format(new Atomic(AtomicOp.FETCH_AND, Size.W, R1, 0, R2)))
                .isEqualTo("(c3) r2 = atomic_fetch_and((u32 *)(r1 +0), r2)");
        assertThat(format(new Atomic(AtomicOp.XCHG, Size.W, R1, 0, R3)))
                .isEqualTo("(c3) r3 = atomic_xchg((u32 *)(r1 +0), r3)");
        assertThat(format(new Atomic(AtomicOp.CMPXCHG, Size.DW, R1, 0, R3)))
                .isEqualTo("(db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r3)");
    }

    @Test
    void printsWideLoadsWithMapOperandsByMode() {
        assertThat(format(new LoadImm64(R1, 0xffffffffL))).isEqualTo("(18) r1 = 0xffffffff");
        assertThat(format(new LoadImm64(R1, -2))).isEqualTo("(18) r1 = 0xfffffffffffffffe");
        assertThat(format(new LoadMapFd(R1, 5))).isEqualTo("(18) r1 = map[fd:5]");
        assertThat(format(new LoadMapValue(R1, 5, 16))).isEqualTo("(18) r1 = map[fd:5][0]+16");
        assertThat(Disassembler.kernelDump().format(new LoadMapFd(R1, 5))).isEqualTo("(18) r1 = map[id:5]");
        assertThat(Disassembler.kernelDump().format(new LoadMapValue(R1, 5, 16))).isEqualTo("(18) r1 = map[id:5][0]+16");
        assertThat(format(new LoadMapIndex(R2, 0))).isEqualTo("(18) r2 = map[idx:0]");
        assertThat(format(new LoadMapIndexValue(R2, 1, 8))).isEqualTo("(18) r2 = map[idx:1][0]+8");
        assertThat(format(new LoadKernelVariable(R1, 777, 0))).isEqualTo("(18) r1 = var[btf_id:777]");
        assertThat(format(new LoadKernelVariable(R1, 777, 12))).isEqualTo("(18) r1 = var[btf_id:777,btf_fd:12]");
        assertThat(format(new LoadFunction(R2, -9))).isEqualTo("(18) r2 = subprog[-9]");
    }

    @Test
    void numbersListingLinesBySlot() {
        List<Instruction> program = List.of(
                new LoadMapFd(R1, 3),
                new Alu(Width.BITS64, AluOp.MOV, R0, Immediate.of(0)),
                new Exit());

        assertThat(disassembler.disassemble(program)).isEqualTo("""
                   0: (18) r1 = map[fd:3]
                   2: (b7) r0 = 0
                   3: (95) exit
                """);
    }

    @Test
    void rightAlignsSlotNumbersToFourColumns() {
        Instructions program = new Assembler().ldImm64(R0, 0).label("l").ja("l").build();
        Assembler assembler = new Assembler();
        for (int i = 0; i < 1001; i++) {
            assembler.exit();
        }

        String listing = disassembler.disassemble(assembler.build());

        assertThat(disassembler.disassemble(program)).endsWith("   2: (05) goto pc-1\n");
        assertThat(listing.lines().skip(999)).containsExactly(" 999: (95) exit", "1000: (95) exit");
    }

    private String format(Instruction instruction) {
        return disassembler.format(instruction);
    }
}
