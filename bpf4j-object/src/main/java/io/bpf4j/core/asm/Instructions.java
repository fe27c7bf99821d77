package io.bpf4j.core.asm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable sequence of instructions ready to load: what {@link Assembler#build()} produces and what a loader
 * consumes. Sizes and label positions are in slots (8 bytes each; a {@link WideInstruction} takes two), the unit
 * the kernel counts instructions in.
 *
 * @param instructions the instructions in order
 * @param labels       label name to the slot it marks, in definition order; empty unless built by an assembler
 */
public record Instructions(List<Instruction> instructions, Map<String, Integer> labels) implements Iterable<Instruction> {

    public Instructions {
        instructions = List.copyOf(instructions);
        labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
    }

    /** Instructions without labels, for instance decoded ones. */
    public static Instructions of(List<? extends Instruction> instructions) {
        return new Instructions(List.copyOf(instructions), Map.of());
    }

    /** Decodes a program; see {@link Instruction#decode(byte[])} for the errors. */
    public static Instructions decode(byte[] code) {
        return of(Instruction.decode(code));
    }

    /** The program length in slots, the {@code insn_cnt} the kernel expects. */
    public int size() {
        int slots = 0;
        for (Instruction instruction : instructions) {
            slots += instruction.slots();
        }
        return slots;
    }

    /** The encoded program: {@link #size()} × 8 little-endian bytes. */
    public byte[] toBytes() {
        byte[] bytes = new byte[size() * RawInstruction.BYTES];
        encodeTo(MemorySegment.ofArray(bytes), 0);
        return bytes;
    }

    /** The encoded program in a new 8-byte-aligned segment of {@code arena}, as {@code bpf(BPF_PROG_LOAD)} takes it. */
    public MemorySegment toSegment(Arena arena) {
        MemorySegment segment = arena.allocate((long) size() * RawInstruction.BYTES, RawInstruction.BYTES);
        encodeTo(segment, 0);
        return segment;
    }

    /** Writes the encoded program at {@code byteOffset} of {@code target}. */
    public void encodeTo(MemorySegment target, long byteOffset) {
        long at = byteOffset;
        for (Instruction instruction : instructions) {
            instruction.encodeTo(target, at);
            at += (long) instruction.slots() * RawInstruction.BYTES;
        }
    }

    @Override
    public Iterator<Instruction> iterator() {
        return instructions.iterator();
    }
}
