package io.bpf4j.core.object;


import io.bpf4j.core.format.IoErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A BPF object file (what {@code clang -target bpf -c} writes) read into pure data, as libbpf would read it but
 * without touching the kernel: its programs with their instructions (subprograms linked in, map references left
 * as relocations), its maps (BTF-defined {@code .maps}, legacy {@code maps}, and the global data sections
 * {@code .rodata}, {@code .data}, {@code .bss} as one-element arrays with their initial bytes), its externs,
 * license, kernel version and raw BTF. Turn it into kernel objects with {@link BpfObject#load(ObjectSpec)}.
 *
 * <pre>{@code
 * ObjectSpec spec = ObjectSpec.read(Path.of("counter.bpf.o"))
 *         .withVariable("verdict", 1);           // a `const volatile` knob in .rodata
 * try (BpfObject obj = BpfObject.load(spec)) {
 *     Program p = obj.program("xdp_count");
 * }
 * }</pre>
 *
 * @param programs      the entry programs (functions in executable sections other than {@code .text}), in section
 *                      and then address order
 * @param maps          every map the object defines, global data sections included
 * @param externs       symbols the object uses but does not define ({@code __kconfig}, {@code __ksym})
 * @param license       the {@code license} section's string ("" when there is none)
 * @param kernelVersion the {@code version} section's value (LINUX_VERSION_CODE for old kprobe programs), 0 when none
 * @param btf           the raw {@code .BTF} section, empty when the object has none
 * @param btfExt        the raw {@code .BTF.ext} section (function and line info, CO-RE relocations), empty when none
 */
public record ObjectSpec(List<ObjectProgram> programs, List<ObjectMap> maps, List<ObjectExtern> externs,
                         String license, int kernelVersion, byte[] btf, byte[] btfExt) {

    public ObjectSpec {
        programs = List.copyOf(programs);
        maps = List.copyOf(maps);
        externs = List.copyOf(externs);
        Objects.requireNonNull(license, "license");
        btf = btf.clone();
        btfExt = btfExt.clone();
    }

    /**
     * Reads a BPF object from its bytes.
     *
     * @throws io.bpf4j.core.elf.ElfException when the bytes are not a well-formed BPF object, or use something
     *                                        bpf4j does not support; the message says where and what
     */
    public static ObjectSpec parse(byte[] elf) {
        return BpfObjectReader.read(elf);
    }

    /** Reads a BPF object file; see {@link #parse(byte[])}. */
    public static ObjectSpec read(Path file) {
        try {
            return parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read BPF object " + file + ": " + IoErrors.reason(e), e);
        }
    }

    @Override
    public byte[] btf() {
        return btf.clone();
    }

    @Override
    public byte[] btfExt() {
        return btfExt.clone();
    }

    /** The program whose function is named {@code name}. */
    public Optional<ObjectProgram> program(String name) {
        return programs.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** The map named {@code name} (global data maps are named after their section, e.g. {@code .rodata}). */
    public Optional<ObjectMap> map(String name) {
        return maps.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    /** This spec with {@code map} replacing the map of the same name. */
    public ObjectSpec withMap(ObjectMap map) {
        List<ObjectMap> replaced = new ArrayList<>(maps);
        int i = indexOfMap(map.name());
        replaced.set(i, map);
        return new ObjectSpec(programs, replaced, externs, license, kernelVersion, btf, btfExt);
    }

    /**
     * This spec with global variable {@code name} (in {@code .rodata}, {@code .data}, {@code .bss} or another data
     * section) set to {@code value} before load: how a {@code const volatile} knob is configured. {@code value}
     * must be exactly the variable's size, in the machine's byte order.
     *
     * @throws IllegalArgumentException when there is no such variable or the size differs
     */
    public ObjectSpec withVariable(String name, byte[] value) {
        for (ObjectMap m : maps) {
            for (ObjectMap.Variable v : m.variables()) {
                if (v.name().equals(name)) return withMap(m.withVariable(v, value));
            }
        }
        throw new IllegalArgumentException("no global variable '" + name + "' in this object; its variables are "
                + maps.stream().flatMap(m -> m.variables().stream()).map(ObjectMap.Variable::name).toList());
    }

    /** As {@link #withVariable(String, byte[])} for an integer variable of 1, 2, 4 or 8 bytes. */
    public ObjectSpec withVariable(String name, long value) {
        for (ObjectMap m : maps) {
            for (ObjectMap.Variable v : m.variables()) {
                if (v.name().equals(name)) {
                    byte[] bytes = new byte[v.size()];
                    if (v.size() > 8 || Integer.bitCount(v.size()) != 1) {
                        throw new IllegalArgumentException("variable '" + name + "' is " + v.size()
                                + " bytes, not an integer of 1, 2, 4 or 8 bytes: use withVariable(name, byte[])");
                    }
                    for (int i = 0; i < bytes.length; i++) {
                        int shift = java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN
                                ? 8 * i : 8 * (bytes.length - 1 - i);
                        bytes[i] = (byte) (value >>> shift);
                    }
                    return withMap(m.withVariable(v, bytes));
                }
            }
        }
        return withVariable(name, new byte[0]); // throws with the list of variables
    }

    /**
     * This spec with program {@code name} loaded by {@link BpfObject#load} or not: how a {@code SEC("?…")} program
     * is asked for, or a program left out (libbpf's {@code bpf_program__set_autoload}).
     *
     * @throws IllegalArgumentException when there is no such program
     */
    public ObjectSpec withAutoload(String name, boolean autoload) {
        List<ObjectProgram> replaced = new ArrayList<>(programs);
        for (int i = 0; i < replaced.size(); i++) {
            ObjectProgram p = replaced.get(i);
            if (!p.name().equals(name)) continue;
            replaced.set(i, new ObjectProgram(p.name(), p.sectionName(), p.type(), p.expectedAttachType(),
                    p.attachTarget(), p.flags(), autoload, p.instructions(), p.maps(), p.externs(), p.functions()));
            return new ObjectSpec(replaced, maps, externs, license, kernelVersion, btf, btfExt);
        }
        throw new IllegalArgumentException("no program '" + name + "' in this object; its programs are "
                + programs.stream().map(ObjectProgram::name).toList());
    }

    private int indexOfMap(String name) {
        for (int i = 0; i < maps.size(); i++) if (maps.get(i).name().equals(name)) return i;
        throw new IllegalArgumentException("no map '" + name + "' in this object; its maps are "
                + maps.stream().map(ObjectMap::name).toList());
    }

    @Override
    public String toString() {
        return "ObjectSpec[programs=" + programs.stream().map(ObjectProgram::name).toList() + ", maps="
                + maps.stream().map(ObjectMap::name).toList() + ", externs="
                + externs.stream().map(ObjectExtern::name).toList() + ", license=" + license + ", btf="
                + btf.length + " bytes, btfExt=" + btfExt.length + " bytes]";
    }
}
