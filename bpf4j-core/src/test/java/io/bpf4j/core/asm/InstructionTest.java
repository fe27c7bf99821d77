package io.bpf4j.core.asm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R10;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Encoding and decoding of the instruction model. */
class InstructionTest {

    @Test
    void everyVariantSurvivesEncodeDecodePrint() {
        Disassembler disassembler = Disassembler.beforeLoad();
        for (Instruction instruction : EveryInstruction.variants()) {
            byte[] bytes = instruction.encode();

            List<Instruction> decoded = Instruction.decode(bytes);

            assertThat(bytes).as("%s", instruction).hasSize(instruction.slots() * 8);
            assertThat(decoded).as("%s", instruction).containsExactly(instruction);
            assertThat(disassembler.format(decoded.getFirst()))
                    .as("%s", instruction)
                    .isEqualTo(disassembler.format(instruction))
                    .startsWith("(%02x) ".formatted(bytes[0] & 0xff))
                    .doesNotContain("null");
        }
    }

    @Test
    void aWholeProgramOfEveryVariantRoundTrips() {
        Instructions program = Instructions.of(EveryInstruction.variants());

        byte[] bytes = program.toBytes();

        assertThat(Instruction.decode(bytes)).isEqualTo(program.instructions());
        assertThat(bytes).hasSize(program.size() * 8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = program.toSegment(arena);
            assertThat(segment.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(bytes);
            assertThat(Instruction.decode(segment)).isEqualTo(program.instructions());
        }
    }

    @Test
    void theVariantsCoverEveryInstructionRecord() {
        Set<Class<?>> covered = EveryInstruction.variants().stream().map(Object::getClass).collect(Collectors.toSet());

        assertThat(covered).containsExactlyInAnyOrderElementsOf(instructionRecords());
    }

    @Test
    void encodesFieldsAsStructBpfInsn() {
        // r6 = r1 from a real program: dst in the low nibble, src in the high one.
        assertThat(hex(new Alu(Width.BITS64, AluOp.MOV, Register.R6, R1))).isEqualTo("bf16000000000000");
        // *(u64 *)(r10 -16) = r7: little-endian offset.
        assertThat(hex(new Store(Size.DW, R10, -16, Register.R7))).isEqualTo("7b7af0ff00000000");
        // r2 += -16: little-endian immediate.
        assertThat(hex(new Alu(Width.BITS64, AluOp.ADD, Register.R2, Immediate.of(-16)))).isEqualTo("07020000f0ffffff");
        // r1 = map fd 59: two slots, the second all zero.
        assertThat(hex(new LoadMapFd(R1, 59))).isEqualTo("181100003b000000" + "0000000000000000");
        // the 64-bit constant splits into lower and upper immediates
        assertThat(hex(new LoadImm64(R1, 0x123456789abcdef0L))).isEqualTo("18010000f0debc9a" + "0000000078563412");
        assertThat(hex(new GotoLong(-2))).isEqualTo("06000000feffffff");
        assertThat(hex(new KfuncCall(0x1234, 3))).isEqualTo("8520030034120000");
    }

    @Test
    void exposesTheRawFields() {
        RawInstruction raw = new Jump(Width.BITS32, JumpCondition.SLE, R1, Register.R2, -5).toRaw().getFirst();

        assertThat(raw).isEqualTo(new RawInstruction(0xde, 1, 2, -5, 0));
        assertThat(new LoadMapValue(R1, 4, 16).toRaw())
                .containsExactly(new RawInstruction(0x18, 1, 2, 0, 4), new RawInstruction(0, 0, 0, 0, 16));
        assertThat(new Atomic(AtomicOp.FETCH_ADD, Size.DW, R10, -8, R1).opcode()).isEqualTo(0xdb);
        assertThat(new LoadImm64(R1, 0).slots()).isEqualTo(2);
        assertThat(new Exit().slots()).isEqualTo(1);
    }

    @Test
    void readsAndWritesRawSlotsAtAnyOffset() {
        MemorySegment memory = MemorySegment.ofArray(new byte[20]);
        RawInstruction raw = new RawInstruction(0x61, 2, 1, 4, -1);

        raw.writeTo(memory, 3);

        assertThat(RawInstruction.readFrom(memory, 3)).isEqualTo(raw);
    }

    @Test
    void encodeToWritesAtTheGivenOffset() {
        byte[] buffer = new byte[24];

        new LoadImm64(R1, -1).encodeTo(MemorySegment.ofArray(buffer), 8);

        assertThat(HexFormat.of().formatHex(buffer))
                .isEqualTo("0000000000000000" + "18010000ffffffff" + "00000000ffffffff");
    }

    @Test
    void recordsRejectValuesTheirFieldsCannotHold() {
        assertThatThrownBy(() -> new Load(Size.W, R1, R10, 40_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("memory offset 40000 does not fit the signed 16-bit offset field (-32768..32767)");
        assertThatThrownBy(() -> new Goto(-40_000)).hasMessageContaining("jump offset -40000");
        assertThatThrownBy(() -> new LoadSignExtend(Size.DW, R1, R10, 0))
                .hasMessage("a sign-extending load exists for sizes B, H and W only, not DW");
        assertThatThrownBy(() -> new LoadAbsolute(Size.DW, 0))
                .hasMessageContaining("LD_ABS) exists for sizes B, H and W only");
        assertThatThrownBy(() -> new Atomic(AtomicOp.ADD, Size.B, R1, 0, R1))
                .hasMessage("atomic ADD exists for sizes W and DW only, not B");
        assertThatThrownBy(() -> new MovSignExtend(Width.BITS32, R1, R1, 32))
                .hasMessageContaining("a 32-bit sign-extending move extends 8 or 16 bits");
        assertThatThrownBy(() -> new MovSignExtend(Width.BITS64, R1, R1, 24))
                .hasMessage("a sign-extending move extends 8, 16 or 32 bits, not 24");
        assertThatThrownBy(() -> new ByteSwap(ByteSwap.Kind.SWAP, 8, R1))
                .hasMessage("a byte swap converts 16, 32 or 64 bits, not 8");
        assertThatThrownBy(() -> new AddressSpaceCast(R1, R1, 0x10000, 0))
                .hasMessageContaining("address spaces are 16-bit numbers");
        assertThatThrownBy(() -> Register.of(11)).hasMessage("register number 11 is out of range: eBPF has r0..r10");
        assertThatThrownBy(() -> new RawInstruction(0x100, 0, 0, 0, 0)).hasMessageContaining("opcode 256");
        assertThatThrownBy(() -> new RawInstruction(0, 16, 0, 0, 0)).hasMessageContaining("4 bits");
    }

    private static String hex(Instruction instruction) {
        return HexFormat.of().formatHex(instruction.encode());
    }

    /** Every record class reachable through the sealed hierarchy below Instruction. */
    private static Set<Class<?>> instructionRecords() {
        Set<Class<?>> records = new HashSet<>();
        Deque<Class<?>> pending = new ArrayDeque<>(List.of(Instruction.class));
        while (!pending.isEmpty()) {
            Class<?> type = pending.pop();
            if (type.isRecord()) {
                records.add(type);
            } else {
                pending.addAll(List.of(type.getPermittedSubclasses()));
            }
        }
        return records;
    }
}
