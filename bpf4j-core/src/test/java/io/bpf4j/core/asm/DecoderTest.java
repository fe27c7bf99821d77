package io.bpf4j.core.asm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Decoding is total over valid encodings, exact (re-encoding gives the same bytes) and strict about the rest. */
class DecoderTest {

    /** Opcodes with at least one valid encoding, written out from the instruction set's opcode table. */
    private static final Set<Integer> VALID_OPCODES = validOpcodes();

    private static Set<Integer> validOpcodes() {
        Set<Integer> opcodes = new TreeSet<>();
        int[] twoOperandAlu = {0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0};
        int[] conditions = {0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0};
        for (int source : new int[] {0x00, 0x08}) {
            for (int op : twoOperandAlu) {
                opcodes.add(op | source | 0x04);
                opcodes.add(op | source | 0x07);
            }
            for (int condition : conditions) {
                opcodes.add(condition | source | 0x05);
                opcodes.add(condition | source | 0x06);
            }
        }
        opcodes.addAll(Set.of(0x84, 0x87));                    // neg32, neg64
        opcodes.addAll(Set.of(0xd4, 0xdc, 0xd7));              // le, be, bswap
        opcodes.addAll(Set.of(0x05, 0x06, 0x85, 0x95, 0xe5));  // ja, gotol, call, exit, may_goto
        opcodes.add(0x18);                                     // lddw
        opcodes.addAll(Set.of(0x20, 0x28, 0x30, 0x40, 0x48, 0x50)); // ld_abs, ld_ind
        opcodes.addAll(Set.of(0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91)); // ldx, ldsx
        opcodes.addAll(Set.of(0x62, 0x6a, 0x72, 0x7a, 0xc2));  // st, nospec
        opcodes.addAll(Set.of(0x63, 0x6b, 0x73, 0x7b));        // stx
        opcodes.addAll(Set.of(0xc3, 0xcb, 0xd3, 0xdb));        // atomics incl. 8/16-bit load-acquire/store-release
        return opcodes;
    }

    @Test
    void decodesExactlyTheDefinedOpcodesAndReencodesThemByteForByte() {
        int[] registers = {0, 1, 2, 3, 4, 5, 6, 7, 10, 11};
        int[] offsets = {0, 1, -1, 5, 8, 16, 32};
        int[] immediates = {0, 1, 16, 32, 64, 0x40, 0x41, 0xe1, 0xf1, 0x100, 0x110, 0x10001};
        Set<Integer> decodable = new TreeSet<>();
        for (int opcode = 0; opcode < 256; opcode++) {
            for (int dst : registers) {
                for (int src : registers) {
                    for (int offset : offsets) {
                        for (int imm : immediates) {
                            byte[] code = encode(opcode, dst, src, offset, imm);
                            if (decodesAndRoundTrips(code)) {
                                decodable.add(opcode);
                            }
                        }
                    }
                }
            }
        }

        assertThat(decodable).containsExactlyElementsOf(VALID_OPCODES);
    }

    /** True if the slot decodes and re-encodes to the same bytes; a rejection must name the slot and opcode. */
    private static boolean decodesAndRoundTrips(byte[] code) {
        try {
            Instructions decoded = Instructions.decode(code);
            assertThat(decoded.toBytes()).as(HexFormat.of().formatHex(code)).isEqualTo(code);
            return true;
        } catch (IllegalArgumentException e) {
            assertThat(e).hasMessageStartingWith(
                    "invalid instruction at slot 0 (byte offset 0), opcode byte 0x%02x: ".formatted(code[0] & 0xff));
            return false;
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " => ", textBlock = """
            95 00 0000 01000000 => opcode byte 0x95: reserved field imm must be 0 but is 1
            bf b1 0000 00000000 => opcode byte 0xbf: register number 11 is out of range: eBPF has r0..r10
            8c 21 0000 00000000 => opcode byte 0x8c: NEG has only the immediate (BPF_K) form
            df 01 0000 10000000 => opcode byte 0xdf: the ALU64 byte swap is unconditional; its BPF_TO_BE form is not defined
            d4 01 0000 08000000 => opcode byte 0xd4: a byte swap converts 16, 32 or 64 bits, not 8
            07 01 0200 01000000 => opcode byte 0x07: offset 2 is not defined for ALU operation ADD
            e4 01 0000 00000000 => opcode byte 0xe4: ALU operation 0xe0 is not defined
            bc 21 2000 00000000 => opcode byte 0xbc: a 32-bit sign-extending move extends 8 or 16 bits; extending 32 bits into 32 bits is a plain 32-bit mov
            bf 21 0200 00000000 => opcode byte 0xbf: offset 2 is not defined for a register MOV (0 move, 8/16/32 sign-extending move, 1 address-space cast, -1 per-CPU address)
            b7 21 0000 00000000 => opcode byte 0xb7: reserved field src_reg must be 0 but is 2
            0f 21 0000 05000000 => opcode byte 0x0f: reserved field imm must be 0 but is 5
            0d 01 0000 00000000 => opcode byte 0x0d: the register form of JA (indirect jump, gotox) is not supported
            86 00 0000 01000000 => opcode byte 0x86: CALL is defined only as BPF_JMP | BPF_CALL | BPF_K (0x85)
            85 30 0000 01000000 => opcode byte 0x85: src_reg 3 is not a call kind (0 helper, 1 BPF_PSEUDO_CALL, 2 BPF_PSEUDO_KFUNC_CALL)
            85 10 0200 01000000 => opcode byte 0x85: reserved field offset must be 0 but is 2
            e5 10 0000 00000000 => opcode byte 0xe5: src_reg 1 is not a JCOND condition (0 may_goto)
            f5 01 0000 00000000 => opcode byte 0xf5: jump operation 0xf0 is not defined
            00 00 0000 00000000 => opcode byte 0x00: class LD holds only 64-bit immediate loads (0x18) and the legacy packet loads LD_ABS/LD_IND; mode 0x00 is not defined
            38 00 0000 00000000 => opcode byte 0x38: a legacy packet load (LD_ABS) exists for sizes B, H and W only, not DW
            20 01 0000 00000000 => opcode byte 0x20: reserved field dst_reg must be 0 but is 1
            a1 21 0000 00000000 => opcode byte 0xa1: class LDX defines modes MEM (0x60) and MEMSX (0x80), not 0xa0
            99 21 0000 00000000 => opcode byte 0x99: a sign-extending load exists for sizes B, H and W only, not DW
            c2 00 0000 01000000 => opcode byte 0xc2: reserved field imm must be 0 but is 1
            42 01 0000 00000000 => opcode byte 0x42: class ST defines mode MEM (0x60) and the kernel-internal nospec (0xc2), not mode 0x40
            a3 21 0000 00000000 => opcode byte 0xa3: class STX defines modes MEM (0x60) and ATOMIC (0xc0), not 0xa0
            db 21 0000 10000000 => opcode byte 0xdb: imm 0x10 is not an atomic operation
            d3 21 0000 00000000 => opcode byte 0xd3: atomic ADD exists for sizes W and DW only, not B
            """)
    void rejectsAnInvalidSlotNamingItsPositionOpcodeAndReason(String hex, String reason) {
        byte[] code = HexFormat.of().parseHex(hex.replace(" ", ""));

        assertThatThrownBy(() -> Instruction.decode(code))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid instruction at slot 0 (byte offset 0), " + reason);
    }

    @Test
    void namesTheSlotOfAnInvalidInstructionAfterAWideOne() {
        byte[] code = HexFormat.of().parseHex(
                "1801000001000000" + "0000000002000000" + "b701000000000000" + "9501000000000000");

        assertThatThrownBy(() -> Instruction.decode(code))
                .hasMessage("invalid instruction at slot 3 (byte offset 24), opcode byte 0x95: "
                        + "reserved field dst_reg must be 0 but is 1");
    }

    @Test
    void rejectsAProgramWhoseLengthIsNotWholeSlots() {
        assertThatThrownBy(() -> Instruction.decode(new byte[12]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a program of 12 bytes is not a whole number of 8-byte instructions");
    }

    @Test
    void rejectsAWideLoadCutOffAtTheEnd() {
        byte[] code = HexFormat.of().parseHex("b700000000000000" + "1801000001000000");

        assertThatThrownBy(() -> Instruction.decode(code))
                .hasMessage("invalid instruction at slot 1 (byte offset 8), opcode byte 0x18: "
                        + "a 64-bit immediate load needs two slots but the program ends after the first");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiterString = " => ", textBlock = """
            1871000000000000 0000000000000000 => src_reg 7 is not a 64-bit immediate load kind (0 constant, 1-6 BPF_PSEUDO_*)
            1811000003000000 0000000001000000 => BPF_PSEUDO_MAP_FD leaves the second slot's imm zero, found 1
            1841000003000000 0000000001000000 => BPF_PSEUDO_FUNC leaves the second slot's imm zero, found 1
            1851000003000000 0000000001000000 => BPF_PSEUDO_MAP_IDX leaves the second slot's imm zero, found 1
            1801010000000000 0000000000000000 => reserved field offset must be 0 but is 1
            1801000000000000 1800000000000000 => the second slot of a 64-bit immediate load must be all zero apart from its imm field, found RawInstruction[opcode=24, dst=0, src=0, offset=0, imm=0]
            """)
    void rejectsMalformedWideLoads(String hex, String reason) {
        byte[] code = HexFormat.of().parseHex(hex.replace(" ", ""));

        assertThatThrownBy(() -> Instruction.decode(code))
                .hasMessage("invalid instruction at slot 0 (byte offset 0), opcode byte 0x18: " + reason);
    }

    @Test
    void decodesFromAnUnalignedMemorySegment() {
        byte[] buffer = HexFormat.of().parseHex("ff" + "bf16000000000000" + "9500000000000000");

        List<Instruction> decoded = Instruction.decode(MemorySegment.ofArray(buffer).asSlice(1));

        assertThat(decoded).containsExactly(
                new Alu(Width.BITS64, AluOp.MOV, Register.R6, Register.R1), new Exit());
    }

    private static byte[] encode(int opcode, int dst, int src, int offset, int imm) {
        byte[] code = new byte[opcode == 0x18 ? 16 : 8];
        new RawInstruction(opcode, dst, src, offset, imm).writeTo(MemorySegment.ofArray(code), 0);
        return code;
    }
}
