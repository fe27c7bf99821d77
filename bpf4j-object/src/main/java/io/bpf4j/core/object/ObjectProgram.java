package io.bpf4j.core.object;

import io.bpf4j.core.asm.Instructions;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One entry program of an {@link ObjectSpec}: a function in an executable section such as
 * {@code SEC("tracepoint/syscalls/sys_enter_openat")}, with what its section name says (type, attach type, target,
 * flags) and its instructions, the subprograms it calls appended after it with their calls fixed.
 *
 * <p>The instructions still need the loader's help: every 64-bit map load is listed in {@link #maps()} and
 * holds fd 0 until the loader patches in the map's fd; every use of an extern is listed in {@link #externs()}.
 *
 * @param name               the program's function name
 * @param sectionName        the ELF section it came from, as written ({@code ?} included)
 * @param type               the program type the section name implies
 * @param expectedAttachType the attach type the section name implies, if any
 * @param attachTarget       what the section name says to attach to (after {@code kind/}), "" when nothing
 * @param flags              BPF_F_* load flags the section name implies (sleepable, XDP frags)
 * @param autoload           false for {@code SEC("?…")} programs, which load only when asked for
 * @param instructions       the linked instructions (map fds 0, externs unresolved)
 * @param maps               the map loads to patch, by slot
 * @param externs            the uses of externs, by slot
 * @param functions          where each function of the linked program starts: the program itself at slot 0,
 *                           then each subprogram appended (for BTF function and line info)
 */
public record ObjectProgram(String name, String sectionName, ProgramType type, Optional<AttachType> expectedAttachType,
                            String attachTarget, int flags, boolean autoload, Instructions instructions,
                            List<MapRelocation> maps, List<ExternRelocation> externs, List<Function> functions) {

    public ObjectProgram {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(instructions, "instructions");
        maps = List.copyOf(maps);
        externs = List.copyOf(externs);
        functions = List.copyOf(functions);
    }

    /** How a 64-bit immediate load refers to a map. */
    public enum MapUse {
        /** {@code BPF_PSEUDO_MAP_FD}: a pointer to the map itself, for helpers ({@code &counts}). */
        MAP,
        /** {@code BPF_PSEUDO_MAP_VALUE}: the address of a byte in the map's value, for global variables. */
        VALUE
    }

    /**
     * A 64-bit immediate load of a map, waiting for the map's fd.
     *
     * @param slot   the slot of the {@code ld_imm64} in {@link #instructions()}
     * @param map    the map's name in {@link ObjectSpec#maps()}
     * @param use    whether it loads the map or the address of a value byte
     * @param offset for {@link MapUse#VALUE}: the byte offset in the value (the variable's place in its section)
     */
    public record MapRelocation(int slot, String map, MapUse use, int offset) {
    }

    /**
     * A use of an extern the loader must resolve.
     *
     * @param slot   the slot of the instruction ({@code ld_imm64} for variables, {@code call} for kfuncs)
     * @param name   the extern's name in {@link ObjectSpec#externs()}
     * @param call   true for a call of an extern function (a kfunc), false for a variable's address
     */
    public record ExternRelocation(int slot, String name, boolean call) {
    }

    /**
     * A function placed in the linked program.
     *
     * @param name          the function's symbol name
     * @param slot          the slot its first instruction is at
     * @param section       the ELF section it came from ("" when unknown)
     * @param sectionOffset the byte offset of its first instruction in that section (what {@code .BTF.ext}
     *                      func info, line info and CO-RE records are relative to)
     * @param length        its length in slots (0 when unknown)
     */
    public record Function(String name, int slot, String section, int sectionOffset, int length) {
        public Function {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(section, "section");
        }

        /** A function whose origin in the ELF file is not known. */
        public Function(String name, int slot) {
            this(name, slot, "", 0, 0);
        }

        /** Whether byte {@code offset} of ELF section {@code section} is inside this function. */
        public boolean contains(String section, int offset) {
            return this.section.equals(section) && offset >= sectionOffset
                    && (long) offset < sectionOffset + 8L * length;
        }
    }

    /**
     * The slot in {@link #instructions()} of the instruction at byte {@code offset} of ELF section
     * {@code section}, if that instruction was linked into this program: how {@code .BTF.ext} records (func and
     * line info, CO-RE relocations), which are relative to ELF sections, map to the linked program.
     */
    public java.util.OptionalInt slotOf(String section, int offset) {
        for (Function f : functions) {
            if (f.contains(section, offset)) return java.util.OptionalInt.of(f.slot() + (offset - f.sectionOffset()) / 8);
        }
        return java.util.OptionalInt.empty();
    }

    /**
     * This program with other instructions in the same slots (e.g. after CO-RE relocation); relocations and
     * functions keep their slots.
     */
    public ObjectProgram withInstructions(Instructions instructions) {
        return new ObjectProgram(name, sectionName, type, expectedAttachType, attachTarget, flags, autoload,
                instructions, maps, externs, functions);
    }

    /** True when the section name implies the program may sleep. */
    public boolean sleepable() {
        return (flags & ProgramSpec.F_SLEEPABLE) != 0;
    }
}
