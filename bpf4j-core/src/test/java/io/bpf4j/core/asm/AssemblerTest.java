package io.bpf4j.core.asm;

import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Map;

import static io.bpf4j.core.asm.Register.R0;
import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R10;
import static io.bpf4j.core.asm.Register.R2;
import static io.bpf4j.core.asm.Register.R3;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AssemblerTest {

    private record TestMap(int fd, String name) implements MapReference {
    }

    private static final MapReference COUNTS = new TestMap(7, "counts");

    @Test
    void buildsTheDocumentedExample() {
        Instructions program = new Assembler()
                .mov64(R1, R10).add64(R1, -4)
                .stW(R10, -4, 0)
                .mov64(R2, R1)
                .loadMapFd(R1, COUNTS)
                .call(Helper.MAP_LOOKUP_ELEM)
                .jeq(R0, 0, "out")
                .mov64(R1, 1)
                .atomicAdd(Size.DW, R0, 0, R1)
                .label("out")
                .mov64(R0, 0)
                .exit()
                .build();

        assertThat(Disassembler.beforeLoad().disassemble(program)).isEqualTo("""
                   0: (bf) r1 = r10
                   1: (07) r1 += -4
                   2: (62) *(u32 *)(r10 -4) = 0
                   3: (bf) r2 = r1
                   4: (18) r1 = map[fd:7]
                   6: (85) call bpf_map_lookup_elem#1
                   7: (15) if r0 == 0x0 goto pc+2
                   8: (b7) r1 = 1
                   9: (db) lock *(u64 *)(r0 +0) += r1
                  10: (b7) r0 = 0
                  11: (95) exit
                """);
        assertThat(program.size()).isEqualTo(12);
        assertThat(program.instructions()).hasSize(11);
        assertThat(program.labels()).containsExactly(Map.entry("out", 10));
        assertThat(Instruction.decode(program.toBytes())).isEqualTo(program.instructions());
    }

    @Test
    void resolvesBackwardAndForwardJumpsCountingWideInstructionsAsTwoSlots() {
        Instructions program = new Assembler()
                .mov64(R1, 10)                 // 0
                .label("loop")
                .ldImm64(R2, 1L << 40)         // 1-2
                .sub64(R1, 1)                  // 3
                .jne(R1, 0, "loop")            // 4: back to 1
                .jset32(R1, R2, "end")         // 5: forward to 8
                .ja("end")                     // 6
                .exit()                        // 7
                .label("end")
                .exit()                        // 8
                .build();

        assertThat(program.instructions().get(3)).isEqualTo(new Jump(Width.BITS64, JumpCondition.NE, R1, Immediate.of(0), -4));
        assertThat(program.instructions().get(4)).isEqualTo(new Jump(Width.BITS32, JumpCondition.SET, R1, R2, 2));
        assertThat(program.instructions().get(5)).isEqualTo(new Goto(1));
        assertThat(program.labels()).containsExactly(Map.entry("loop", 1), Map.entry("end", 8));
    }

    @Test
    void resolvesSubprogramCallsAndFunctionAddressesToTheirLabels() {
        Instructions program = new Assembler()
                .callSubprogram("callback")    // 0
                .loadFunction(R2, "callback")  // 1-2
                .mayGoto("callback")           // 3
                .gotol("callback")             // 4
                .exit()                        // 5
                .label("callback")
                .mov64(R0, 0)                  // 6
                .exit()
                .build();

        assertThat(program.instructions()).startsWith(
                new SubprogramCall(5), new LoadFunction(R2, 4), new MayGoto(2), new GotoLong(1));
    }

    @Test
    void allowsAJumpToItselfAndALabelAtTheEnd() {
        Instructions program = new Assembler().label("self").ja("self").ja("end").label("end").build();

        assertThat(program.instructions()).containsExactly(new Goto(-1), new Goto(0));
        assertThat(program.labels()).containsEntry("end", 2);
    }

    @Test
    void rejectsAnUndefinedLabelAtBuild() {
        Assembler assembler = new Assembler().mov64(R0, 0).jgt(R0, R1, "nowhere").exit();

        assertThatThrownBy(assembler::build)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("undefined label 'nowhere' used by jump (GT) at slot 1; define it with label(\"nowhere\")");
    }

    @Test
    void rejectsADuplicateLabelWhenItIsDefined() {
        Assembler assembler = new Assembler().label("top").exit();

        assertThatThrownBy(() -> assembler.label("top"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("label 'top' is already defined at slot 0; "
                        + "each label marks one place, so give the second place its own name");
    }

    @Test
    void rejectsBlankLabelNames() {
        assertThatThrownBy(() -> new Assembler().label(" "))
                .hasMessage("a label needs a non-blank name, got ' '");
        assertThatThrownBy(() -> new Assembler().ja(null))
                .hasMessage("a label needs a non-blank name, got null");
    }

    @Test
    void rejectsAJumpBeyondTheSixteenBitOffsetAndReachesItWithGotol() {
        Assembler tooFar = new Assembler().jeq32(R1, 0, "far");
        Assembler farEnough = new Assembler().gotol("far");
        for (int i = 0; i < 40_000; i++) {
            tooFar.exit();
            farEnough.exit();
        }
        tooFar.label("far").exit();
        farEnough.label("far").exit();

        assertThatThrownBy(tooFar::build)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("label 'far' at slot 40001 is out of reach of jump (jmp32 EQ) at slot 0: jump offset 40000 "
                        + "does not fit the signed 16-bit offset field (-32768..32767); "
                        + "use gotol (32-bit offset) to cover long distances");
        assertThat(farEnough.build().instructions().getFirst()).isEqualTo(new GotoLong(40_000));
    }

    @Test
    void callsHelpersByEnumNameOrId() {
        Instructions program = new Assembler()
                .call(Helper.RINGBUF_OUTPUT)
                .call("ktime_get_ns")
                .call("bpf_get_current_pid_tgid")
                .call(211)
                .callKfunc(4242)
                .callKfunc(4242, 1)
                .build();

        assertThat(program.instructions()).containsExactly(
                new HelperCall(130), new HelperCall(5), new HelperCall(14), new HelperCall(211),
                new KfuncCall(4242, 0), new KfuncCall(4242, 1));
    }

    @Test
    void rejectsAnUnknownHelperName() {
        assertThatThrownBy(() -> new Assembler().call("map_lookup"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown helper 'map_lookup': no bpf_func_id of that name in linux/bpf.h's helper list; "
                        + "check the spelling (e.g. map_lookup_elem), or call a newer helper by id with call(int)");
    }

    @Test
    void loadsMapsByReferenceAndIndex() {
        Instructions program = new Assembler()
                .loadMapFd(R1, COUNTS)
                .loadMapValue(R2, COUNTS, 16)
                .loadMapIndex(R3, 2)
                .loadMapIndexValue(R3, 2, 8)
                .loadKernelVariable(R1, 99)
                .loadKernelVariable(R1, 99, 12)
                .ldImm64(R0, Long.MIN_VALUE)
                .build();

        assertThat(program.instructions()).containsExactly(
                new LoadMapFd(R1, 7), new LoadMapValue(R2, 7, 16), new LoadMapIndex(R3, 2),
                new LoadMapIndexValue(R3, 2, 8), new LoadKernelVariable(R1, 99, 0), new LoadKernelVariable(R1, 99, 12),
                new LoadImm64(R0, Long.MIN_VALUE));
        assertThat(program.size()).isEqualTo(14);
    }

    @Test
    void rejectsAMapWithoutFileDescriptor() {
        MapReference closed = new TestMap(-1, "events");

        assertThatThrownBy(() -> new Assembler().loadMapFd(R1, closed))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("map 'events' has no open file descriptor (fd -1); "
                        + "create or open the map before assembling code that refers to it");
    }

    @Test
    void aluMethodsEmitTheirOperation() throws ReflectiveOperationException {
        for (Width width : Width.values()) {
            String suffix = width == Width.BITS64 ? "64" : "32";
            for (AluOp op : AluOp.values()) {
                String name = op.name().toLowerCase(Locale.ROOT) + suffix;

                assertThat(emit(name, R1, -3)).as(name).isEqualTo(new Alu(width, op, R1, Immediate.of(-3)));
                assertThat(emit(name, R1, R2)).as(name).isEqualTo(new Alu(width, op, R1, R2));
            }
        }
    }

    @Test
    void jumpMethodsEmitTheirCondition() throws ReflectiveOperationException {
        for (Width width : Width.values()) {
            String suffix = width == Width.BITS64 ? "" : "32";
            for (JumpCondition condition : JumpCondition.values()) {
                String name = "j" + condition.name().toLowerCase(Locale.ROOT) + suffix;

                assertThat(emitJump(name, R1, 9)).as(name).isEqualTo(new Jump(width, condition, R1, Immediate.of(9), 0));
                assertThat(emitJump(name, R1, R2)).as(name).isEqualTo(new Jump(width, condition, R1, R2, 0));
            }
        }
    }

    @Test
    void otherMethodsEmitTheirInstruction() {
        Instructions program = new Assembler()
                .neg64(R1).neg32(R1).movsx64(R1, R2, 32).movsx32(R1, R2, 16)
                .toLe(R1, 16).toBe(R1, 32).bswap(R1, 64).addrSpaceCast(R1, R2, 1, 0)
                .ldxB(R1, R2, 1).ldxH(R1, R2, 2).ldxW(R1, R2, 4).ldxDW(R1, R2, 8)
                .ldsxB(R1, R2, -1).ldsxH(R1, R2, -2).ldsxW(R1, R2, -4)
                .stB(R10, -1, 1).stH(R10, -2, 2).stW(R10, -4, 3).stDW(R10, -8, 4)
                .stxB(R10, -1, R1).stxH(R10, -2, R1).stxW(R10, -4, R1).stxDW(R10, -8, R1)
                .ldAbs(Size.H, 12).ldInd(Size.W, R3, 2)
                .atomicOr(Size.W, R1, 0, R2).atomicAnd(Size.W, R1, 0, R2).atomicXor(Size.W, R1, 0, R2)
                .atomicFetchAdd(Size.DW, R1, 0, R2).atomicFetchOr(Size.DW, R1, 0, R2)
                .atomicFetchAnd(Size.DW, R1, 0, R2).atomicFetchXor(Size.DW, R1, 0, R2)
                .atomicXchg(Size.W, R1, 0, R2).atomicCmpXchg(Size.DW, R1, 0, R2)
                .loadAcquire(Size.B, R0, R1, 0).storeRelease(Size.H, R1, 0, R2)
                .append(new PerCpuAddress(R0, R1))
                .build();

        assertThat(program.instructions()).containsExactly(
                new Neg(Width.BITS64, R1), new Neg(Width.BITS32, R1),
                new MovSignExtend(Width.BITS64, R1, R2, 32), new MovSignExtend(Width.BITS32, R1, R2, 16),
                new ByteSwap(ByteSwap.Kind.TO_LE, 16, R1), new ByteSwap(ByteSwap.Kind.TO_BE, 32, R1),
                new ByteSwap(ByteSwap.Kind.SWAP, 64, R1), new AddressSpaceCast(R1, R2, 1, 0),
                new Load(Size.B, R1, R2, 1), new Load(Size.H, R1, R2, 2), new Load(Size.W, R1, R2, 4),
                new Load(Size.DW, R1, R2, 8),
                new LoadSignExtend(Size.B, R1, R2, -1), new LoadSignExtend(Size.H, R1, R2, -2),
                new LoadSignExtend(Size.W, R1, R2, -4),
                new Store(Size.B, R10, -1, Immediate.of(1)), new Store(Size.H, R10, -2, Immediate.of(2)),
                new Store(Size.W, R10, -4, Immediate.of(3)), new Store(Size.DW, R10, -8, Immediate.of(4)),
                new Store(Size.B, R10, -1, R1), new Store(Size.H, R10, -2, R1),
                new Store(Size.W, R10, -4, R1), new Store(Size.DW, R10, -8, R1),
                new LoadAbsolute(Size.H, 12), new LoadIndirect(Size.W, R3, 2),
                new Atomic(AtomicOp.OR, Size.W, R1, 0, R2), new Atomic(AtomicOp.AND, Size.W, R1, 0, R2),
                new Atomic(AtomicOp.XOR, Size.W, R1, 0, R2),
                new Atomic(AtomicOp.FETCH_ADD, Size.DW, R1, 0, R2), new Atomic(AtomicOp.FETCH_OR, Size.DW, R1, 0, R2),
                new Atomic(AtomicOp.FETCH_AND, Size.DW, R1, 0, R2), new Atomic(AtomicOp.FETCH_XOR, Size.DW, R1, 0, R2),
                new Atomic(AtomicOp.XCHG, Size.W, R1, 0, R2), new Atomic(AtomicOp.CMPXCHG, Size.DW, R1, 0, R2),
                new LoadAcquire(Size.B, R0, R1, 0), new StoreRelease(Size.H, R1, 0, R2),
                new PerCpuAddress(R0, R1));
    }

    @Test
    void reportsInvalidOperandsWhenTheInstructionIsAdded() {
        Assembler assembler = new Assembler();

        assertThatThrownBy(() -> assembler.atomicAdd(Size.H, R1, 0, R2))
                .hasMessage("atomic ADD exists for sizes W and DW only, not H");
        assertThatThrownBy(() -> assembler.ldxW(R1, R2, 1 << 16))
                .hasMessageContaining("memory offset 65536 does not fit");
        assertThat(assembler.build().instructions()).isEmpty();
    }

    @Test
    void buildsTheSameProgramEachTimeAndTheResultIsImmutable() {
        Assembler assembler = new Assembler().label("a").mov64(R0, 0).exit();

        Instructions first = assembler.build();
        Instructions second = assembler.build();

        assertThat(first).isEqualTo(second);
        assertThatThrownBy(() -> first.instructions().add(new Exit())).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> first.labels().put("b", 1)).isInstanceOf(UnsupportedOperationException.class);
    }

    private static Instruction emit(String method, Register dst, Object src) throws ReflectiveOperationException {
        Class<?> srcType = src instanceof Register ? Register.class : int.class;
        Assembler assembler = new Assembler();
        invoke(assembler, Assembler.class.getMethod(method, Register.class, srcType), dst, src);
        return assembler.build().instructions().getFirst();
    }

    private static Instruction emitJump(String method, Register dst, Object src) throws ReflectiveOperationException {
        Class<?> srcType = src instanceof Register ? Register.class : int.class;
        Assembler assembler = new Assembler();
        invoke(assembler, Assembler.class.getMethod(method, Register.class, srcType, String.class), dst, src, "next");
        return assembler.label("next").build().instructions().getFirst();
    }

    private static void invoke(Assembler assembler, Method method, Object... arguments)
            throws IllegalAccessException {
        try {
            method.invoke(assembler, arguments);
        } catch (InvocationTargetException e) {
            throw new AssertionError(method.getName() + " failed", e.getCause());
        }
    }
}
