package io.bpf4j.core.asm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One 8-byte slot as the kernel's {@code struct bpf_insn} lays it out: opcode byte, destination register in the
 * low nibble and source register in the high nibble of the second byte, a signed 16-bit offset and a signed
 * 32-bit immediate, both little-endian. A 64-bit immediate load takes two slots.
 *
 * <p>Use it to look at fields the typed records name differently (relocations address instructions by slot
 * and patch {@code imm}, for instance); build programs with the typed records or the {@link Assembler}.
 *
 * @param opcode the opcode byte, 0–255
 * @param dst    the {@code dst_reg} nibble, 0–15
 * @param src    the {@code src_reg} nibble, 0–15
 * @param offset the signed 16-bit {@code off} field
 * @param imm    the signed 32-bit {@code imm} field
 */
public record RawInstruction(int opcode, int dst, int src, int offset, int imm) {

    /** Size of one slot in bytes. */
    public static final int BYTES = 8;

    private static final ValueLayout.OfShort OFF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt IMM = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public RawInstruction {
        if (opcode < 0 || opcode > 0xff) {
            throw new IllegalArgumentException("opcode " + opcode + " does not fit in a byte");
        }
        if (dst < 0 || dst > 0xf || src < 0 || src > 0xf) {
            throw new IllegalArgumentException("register fields must fit in 4 bits, got dst " + dst + " src " + src);
        }
        Check.offset16(offset, "offset");
    }

    /** Writes this slot at {@code byteOffset} of {@code target}. */
    public void writeTo(MemorySegment target, long byteOffset) {
        target.set(ValueLayout.JAVA_BYTE, byteOffset, (byte) opcode);
        target.set(ValueLayout.JAVA_BYTE, byteOffset + 1, (byte) (src << 4 | dst));
        target.set(OFF, byteOffset + 2, (short) offset);
        target.set(IMM, byteOffset + 4, imm);
    }

    /** Reads the slot at {@code byteOffset} of {@code source}. */
    public static RawInstruction readFrom(MemorySegment source, long byteOffset) {
        int registers = Byte.toUnsignedInt(source.get(ValueLayout.JAVA_BYTE, byteOffset + 1));
        return new RawInstruction(
                Byte.toUnsignedInt(source.get(ValueLayout.JAVA_BYTE, byteOffset)),
                registers & 0xf,
                registers >>> 4,
                source.get(OFF, byteOffset + 2),
                source.get(IMM, byteOffset + 4));
    }
}
