package io.bpf4j.core.object;

import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.elf.ElfException;
import io.bpf4j.core.elf.ElfFile;
import io.bpf4j.core.elf.ElfRelocation;
import io.bpf4j.core.elf.ElfSection;
import io.bpf4j.core.elf.ElfSymbol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Builds each entry program of an object: copies its function, then appends every function it calls (directly
 * or through other subprograms, each once per program) and fixes the calls' pc-relative offsets, as libbpf does.
 * Map, global data and extern references become relocation records; their instructions get the pseudo source
 * register the kernel expects and fd 0 until the loader fills it in.
 */
final class ProgramLinker {
    private static final int SLOT = 8;
    private static final int LD_IMM64 = 0x18;
    private static final int CALL = 0x85;
    private static final int PSEUDO_MAP_FD = 1;
    private static final int PSEUDO_MAP_VALUE = 2;
    private static final int PSEUDO_CALL = 1;
    private static final int PSEUDO_FUNC = 4;

    private final ElfFile elf;
    private final MapDefinitions maps;
    private final Set<String> externs;
    /** Code of each executable section, by section index. */
    private final Map<Integer, byte[]> code = new HashMap<>();
    /** Functions of each executable section, by section index, in address order. */
    private final Map<Integer, List<Function>> functions = new HashMap<>();
    /** Relocations of each executable section: section index → byte offset → relocation. */
    private final Map<Integer, Map<Long, ElfRelocation>> relocations = new HashMap<>();

    /** A function in its section: {@code start} and {@code length} in slots. */
    private record Function(String name, int section, int start, int length) {
        boolean contains(int slot) {
            return slot >= start && slot < start + length;
        }
    }

    ProgramLinker(ElfFile elf, MapDefinitions maps, Set<String> externs) {
        this.elf = elf;
        this.maps = maps;
        this.externs = externs;
        for (ElfSection s : elf.sections()) {
            if (!s.isExecutable() || s.size() == 0) continue;
            if (s.size() % SLOT != 0) {
                throw new ElfException("code section '" + s.name() + "' is " + s.size()
                        + " bytes, not a whole number of 8-byte instructions");
            }
            code.put(s.index(), elf.data(s));
            functions.put(s.index(), functionsOf(s));
            relocations.put(s.index(), relocationsOf(s));
        }
    }

    private List<Function> functionsOf(ElfSection s) {
        List<ElfSymbol> symbols = BpfObjectReader.functions(elf, s);
        List<Function> out = new ArrayList<>();
        long slots = s.size() / SLOT;
        if (symbols.isEmpty()) {
            // Hand-assembled code without symbols: the whole section is one program named after it.
            out.add(new Function(s.name(), s.index(), 0, (int) slots));
            return out;
        }
        for (int i = 0; i < symbols.size(); i++) {
            ElfSymbol sym = symbols.get(i);
            String what = "function '" + sym.name() + "' in section '" + s.name() + "'";
            if (sym.value() < 0 || sym.value() % SLOT != 0 || sym.value() >= s.size()) {
                throw new ElfException(what + " starts at byte offset " + sym.value()
                        + ", which is not an instruction boundary inside the section's " + s.size() + " bytes");
            }
            long end = sym.size() > 0 ? sym.value() + sym.size()
                    : i + 1 < symbols.size() ? symbols.get(i + 1).value() : s.size();
            if (sym.size() < 0 || end > s.size() || end <= sym.value() || (end - sym.value()) % SLOT != 0) {
                throw new ElfException(what + " at offset " + sym.value() + " with size " + sym.size()
                        + " does not fit the section's " + s.size() + " bytes in whole instructions");
            }
            out.add(new Function(sym.name(), s.index(), (int) (sym.value() / SLOT),
                    (int) ((end - sym.value()) / SLOT)));
        }
        return out;
    }

    private Map<Long, ElfRelocation> relocationsOf(ElfSection s) {
        Map<Long, ElfRelocation> out = new HashMap<>();
        byte[] bytes = code.get(s.index());
        for (ElfRelocation r : elf.relocationsFor(s)) {
            String where = ElfRelocation.typeName(r.type()) + " at offset " + r.offset() + " of '" + s.name()
                    + "' (symbol '" + r.symbol().name() + "')";
            if (r.offset() < 0 || r.offset() % SLOT != 0 || r.offset() >= s.size()) {
                throw new ElfException(where + " is not at an instruction inside the section's " + s.size()
                        + " bytes");
            }
            int opcode = Byte.toUnsignedInt(bytes[(int) r.offset()]);
            boolean ok = (opcode == LD_IMM64 && r.type() == ElfRelocation.R_BPF_64_64)
                    || (opcode == CALL && r.type() == ElfRelocation.R_BPF_64_32);
            if (!ok) {
                throw new ElfException(where + " applies to an instruction with opcode 0x"
                        + Integer.toHexString(opcode) + "; expected R_BPF_64_64 on ld_imm64 (0x18) or "
                        + "R_BPF_64_32 on call (0x85)");
            }
            if (out.put(r.offset(), r) != null) throw new ElfException(where + " duplicates another relocation");
        }
        return out;
    }

    List<ObjectProgram> link() {
        List<ObjectProgram> out = new ArrayList<>();
        for (ElfSection s : elf.sections()) {
            if (!s.isExecutable() || s.size() == 0 || s.name().equals(".text")) continue;
            Optional<ProgramSection> sec = ProgramSection.of(s.name());
            for (Function f : functions.get(s.index())) out.add(link(f, s, sec));
        }
        return out;
    }

    private ObjectProgram link(Function main, ElfSection section, Optional<ProgramSection> sec) {
        Output out = new Output();
        Map<Function, Integer> placed = new LinkedHashMap<>();
        List<ObjectProgram.MapRelocation> mapRelocations = new ArrayList<>();
        List<ObjectProgram.ExternRelocation> externRelocations = new ArrayList<>();
        place(main, out, placed);
        for (int i = 0; i < out.slots; i++) {
            int opcode = out.opcode(i);
            ElfRelocation r = relocations.get(out.section[i]).get((long) out.origin[i] * SLOT);
            String where = "program '" + main.name() + "': instruction " + out.origin[i] + " of section '"
                    + elf.section(out.section[i]).name() + "'";
            if (opcode == LD_IMM64) {
                if (i + 1 >= out.slots || out.section[i + 1] != out.section[i]) {
                    throw new ElfException(where + " is a 64-bit immediate load cut off by the end of its function");
                }
                if (r != null) loadRelocation(where, r, i, out, placed, mapRelocations, externRelocations);
                i++; // the second slot of ld_imm64
            } else if (opcode == CALL) {
                if (r != null && r.symbol().isUndefined()) {
                    externRelocations.add(new ObjectProgram.ExternRelocation(i, r.symbol().name(), true));
                } else if (r != null) {
                    ElfSymbol sym = r.symbol();
                    long target = sym.value() / SLOT + out.imm(i) + 1;
                    call(where, sym.section(), target, i, PSEUDO_CALL, out, placed);
                } else if (out.src(i) == PSEUDO_CALL) {
                    // a call within the same section needs no relocation: imm is relative to the call
                    call(where, out.section[i], (long) out.origin[i] + out.imm(i) + 1, i, PSEUDO_CALL, out, placed);
                }
            }
        }
        Instructions instructions;
        try {
            instructions = Instructions.decode(out.bytes());
        } catch (IllegalArgumentException e) {
            throw new ElfException("program '" + main.name() + "' in section '" + section.name() + "': "
                    + e.getMessage(), e);
        }
        List<ObjectProgram.Function> layout = new ArrayList<>();
        placed.forEach((f, slot) -> layout.add(new ObjectProgram.Function(f.name(), slot,
                elf.section(f.section()).name(), f.start() * SLOT, f.length())));
        ProgramSection ps = sec.orElse(null);
        return new ObjectProgram(main.name(), section.name(), ps == null ? ProgramType.UNSPEC : ps.type(),
                ps == null ? Optional.empty() : ps.expectedAttachType(), ps == null ? "" : ps.target(),
                ps == null ? 0 : ps.flags(), ps == null ? !section.name().startsWith("?") : ps.autoload(),
                instructions, mapRelocations, externRelocations, layout);
    }

    private void loadRelocation(String where, ElfRelocation r, int i, Output out, Map<Function, Integer> placed,
                                List<ObjectProgram.MapRelocation> mapRelocations,
                                List<ObjectProgram.ExternRelocation> externRelocations) {
        ElfSymbol sym = r.symbol();
        if (sym.isUndefined()) {
            if (!externs.contains(sym.name())) {
                throw new ElfException(where + " loads undefined symbol '" + sym.name() + "', which is not a "
                        + "global extern");
            }
            externRelocations.add(new ObjectProgram.ExternRelocation(i, sym.name(), false));
            return;
        }
        if (sym.section() >= elf.sections().size() || sym.section() >= 0xff00) {
            throw new ElfException(where + " loads symbol '" + sym.name() + "' of section " + sym.section()
                    + ", which does not exist");
        }
        ElfSection target = elf.section(sym.section());
        if (maps.isDefinitionSection(target.index())) {
            long offset = sym.value() + (sym.type() == ElfSymbol.STT_SECTION ? out.imm(i) : 0);
            String map = maps.mapAt(target.index(), offset).orElseThrow(() -> new ElfException(where
                    + " loads '" + sym.name() + "' at offset " + offset + " of '" + target.name()
                    + "', where no map definition starts"));
            out.setSrc(i, PSEUDO_MAP_FD);
            out.setImm(i, 0);
            out.setImm(i + 1, 0);
            mapRelocations.add(new ObjectProgram.MapRelocation(i, map, ObjectProgram.MapUse.MAP, 0));
        } else if (maps.dataMap(target.index()).isPresent()) {
            ObjectMap data = maps.dataMap(target.index()).get();
            long offset = sym.value() + out.imm(i);
            if (offset < 0 || offset > data.spec().valueSize()) {
                throw new ElfException(where + " points at offset " + offset + " of '" + target.name()
                        + "', outside its " + data.spec().valueSize() + " bytes");
            }
            out.setSrc(i, PSEUDO_MAP_VALUE);
            out.setImm(i, 0);
            out.setImm(i + 1, (int) offset);
            mapRelocations.add(new ObjectProgram.MapRelocation(i, data.name(), ObjectProgram.MapUse.VALUE,
                    (int) offset));
        } else if (target.isExecutable()) {
            // the address of a function (a callback for bpf_loop, bpf_for_each_map_elem…): imm is a byte offset
            long byteOffset = sym.value() + out.imm(i);
            if (byteOffset % SLOT != 0) {
                throw new ElfException(where + " takes the address of byte " + byteOffset + " of '"
                        + target.name() + "', which is not an instruction boundary");
            }
            call(where, target.index(), byteOffset / SLOT, i, PSEUDO_FUNC, out, placed);
            out.setImm(i + 1, 0);
        } else {
            throw new ElfException(where + " loads '" + sym.name() + "' of section '" + target.name()
                    + "', which is neither a map, global data nor code");
        }
    }

    /** Points the call (or function address load) at slot {@code i} to {@code targetSlot} of {@code section}. */
    private void call(String where, int section, long targetSlot, int i, int src, Output out,
                      Map<Function, Integer> placed) {
        List<Function> candidates = functions.get(section);
        if (candidates == null) {
            throw new ElfException(where + " calls into section " + section + ", which holds no code");
        }
        Function callee = null;
        if (targetSlot >= 0 && targetSlot <= Integer.MAX_VALUE) {
            for (Function f : candidates) if (f.contains((int) targetSlot)) callee = f;
        }
        if (callee == null) {
            throw new ElfException(where + " calls instruction " + targetSlot + " of section '"
                    + elf.section(section).name() + "', which is not inside any function");
        }
        Integer start = placed.get(callee);
        if (start == null) start = place(callee, out, placed);
        long relative = start + (targetSlot - callee.start()) - (i + 1L);
        out.setSrc(i, src);
        out.setImm(i, (int) relative);
    }

    /** Appends {@code f}'s code to the program; returns the slot it starts at. */
    private int place(Function f, Output out, Map<Function, Integer> placed) {
        int start = out.slots;
        placed.put(f, start);
        out.append(code.get(f.section()), f.section(), f.start(), f.length());
        return start;
    }

    /** The program being built, with where each slot came from (section and slot there). */
    private static final class Output {
        byte[] bytes = new byte[256];
        int[] section = new int[32];
        int[] origin = new int[32];
        int slots;

        void append(byte[] from, int fromSection, int start, int length) {
            int need = slots + length;
            if (need > section.length) {
                int n = Math.max(need, section.length * 2);
                bytes = Arrays.copyOf(bytes, n * SLOT);
                section = Arrays.copyOf(section, n);
                origin = Arrays.copyOf(origin, n);
            }
            System.arraycopy(from, start * SLOT, bytes, slots * SLOT, length * SLOT);
            for (int k = 0; k < length; k++) {
                section[slots + k] = fromSection;
                origin[slots + k] = start + k;
            }
            slots = need;
        }

        int opcode(int i) {
            return Byte.toUnsignedInt(bytes[i * SLOT]);
        }

        int src(int i) {
            return (bytes[i * SLOT + 1] >>> 4) & 0xf;
        }

        void setSrc(int i, int src) {
            bytes[i * SLOT + 1] = (byte) ((bytes[i * SLOT + 1] & 0x0f) | src << 4);
        }

        int imm(int i) {
            return ByteBuffer.wrap(bytes, i * SLOT + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }

        void setImm(int i, int imm) {
            ByteBuffer.wrap(bytes, i * SLOT + 4, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(imm);
        }

        byte[] bytes() {
            return Arrays.copyOf(bytes, slots * SLOT);
        }
    }
}
