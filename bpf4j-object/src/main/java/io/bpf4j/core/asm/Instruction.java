package io.bpf4j.core.asm;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One eBPF instruction. Each kind is a record with typed fields; {@link #toRaw()} gives the
 * {@code struct bpf_insn} fields it encodes to and {@link #decode(MemorySegment)} turns bytes back into records,
 * so that {@code decode(encode(x))} equals {@code x} for every instruction.
 *
 * <p>Jump and call offsets count slots from the instruction after this one (offset 0 falls through).
 * A {@link WideInstruction} (the 64-bit immediate loads) occupies two slots; every other instruction one.
 *
 * <p>Besides the instruction set, two kernel-internal forms are modelled because the kernel reports them in
 * translated programs: {@link PerCpuAddress} and {@link SpeculationBarrier}.
 */
public sealed interface Instruction
        permits Alu, Neg, MovSignExtend, ByteSwap, AddressSpaceCast,
                Jump, Goto, GotoLong, MayGoto, HelperCall, SubprogramCall, KfuncCall, Exit,
                Load, LoadSignExtend, Store, Atomic, LoadAcquire, StoreRelease, LoadAbsolute, LoadIndirect,
                WideInstruction, PerCpuAddress, SpeculationBarrier {

    /** The slots this instruction encodes to: one, or two for a {@link WideInstruction}. */
    List<RawInstruction> toRaw();

    /** How many 8-byte slots the instruction takes. */
    default int slots() {
        return 1;
    }

    /** The opcode byte of the (first) slot. */
    default int opcode() {
        return toRaw().getFirst().opcode();
    }

    /** The instruction's little-endian bytes: 8, or 16 for a {@link WideInstruction}. */
    default byte[] encode() {
        byte[] bytes = new byte[slots() * RawInstruction.BYTES];
        encodeTo(MemorySegment.ofArray(bytes), 0);
        return bytes;
    }

    /** Writes the instruction's bytes at {@code byteOffset} of {@code target}. */
    default void encodeTo(MemorySegment target, long byteOffset) {
        long at = byteOffset;
        for (RawInstruction slot : toRaw()) {
            slot.writeTo(target, at);
            at += RawInstruction.BYTES;
        }
    }

    /**
     * Decodes a whole program.
     *
     * @throws IllegalArgumentException if the length is not a multiple of 8 or a slot is not a valid
     *                                  instruction; the message names the slot, its byte offset and opcode byte
     */
    static List<Instruction> decode(byte[] code) {
        return Decoder.decode(MemorySegment.ofArray(code));
    }

    /**
     * Decodes a whole program from memory, for instance instructions the kernel reported back.
     *
     * @throws IllegalArgumentException as {@link #decode(byte[])}
     */
    static List<Instruction> decode(MemorySegment code) {
        return Decoder.decode(code);
    }
}
