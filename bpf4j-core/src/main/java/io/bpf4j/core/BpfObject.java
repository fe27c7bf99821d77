package io.bpf4j.core;

import io.bpf4j.core.asm.Instruction;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.asm.LoadMapFd;
import io.bpf4j.core.asm.LoadMapValue;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.ObjectMap;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The kernel objects of one loaded {@link ObjectSpec}: its maps (global data included) and its programs. Owns them
 * all: {@link #close()} releases every program and map (links attached to the programs keep them alive in the
 * kernel until they are closed too).
 *
 * <p>Loading creates each map, writes the initial bytes of global data and freezes {@code .rodata} (so the verifier
 * can treat {@code const volatile} knobs as constants), patches every map reference in the programs with the map's
 * fd, loads each program marked autoload, and finally fills the slots prog arrays and maps of maps were
 * initialised with.
 */
public final class BpfObject implements AutoCloseable {
    private final Map<String, BpfMap> maps;
    private final Map<String, Program> programs;

    private BpfObject(Map<String, BpfMap> maps, Map<String, Program> programs) {
        this.maps = Collections.unmodifiableMap(maps);
        this.programs = Collections.unmodifiableMap(programs);
    }

    /**
     * Creates the object's maps and loads its autoload programs.
     *
     * @throws VerifierException when the verifier rejects a program (its log is in the exception)
     * @throws BpfException      when the kernel refuses a map or program, an extern ({@code __kconfig},
     *                           {@code __ksym}, kfunc) or BTF attach target (tp_btf, fentry, lsm, iter) cannot be
     *                           resolved (the message names it); everything created so far is closed
     */
    public static BpfObject load(ObjectSpec spec) {
        Map<String, BpfMap> maps = new LinkedHashMap<>();
        Map<String, Program> programs = new LinkedHashMap<>();
        ProgramBtf btf = ProgramBtf.of(spec);
        try {
            CoreRelocations core = CoreRelocations.of(spec); // CO-RE: field offsets etc. of the running kernel
            for (ObjectMap m : spec.maps()) maps.put(m.name(), createMap(m, btf));
            Externs.createKconfigMap(spec).ifPresent(m -> maps.put(Externs.KCONFIG_MAP, m));
            for (ObjectProgram p : spec.programs()) {
                if (!p.autoload()) continue;
                io.bpf4j.core.btf.CoreRelocator.Result relocated = core.apply(p);
                ProgramSpec ps = btf.apply(p, programSpec(spec, p.withInstructions(relocated.instructions()), maps));
                try {
                    programs.put(p.name(), AttachTargets.load(p, ps)); // explains EPERM for fentry/LSM
                } catch (VerifierException e) {
                    VerifierException explained = CoreRelocations.explain(e, relocated); // names failed CO-RE accesses
                    if (btf.failure() != null) explained.addSuppressed(btf.failure());
                    throw explained;
                } catch (BpfException e) {
                    if (btf.failure() != null) e.addSuppressed(btf.failure());
                    throw e;
                }
            }
            for (ObjectMap m : spec.maps()) fillInitialValues(m, maps, programs);
            return new BpfObject(maps, programs);
        } catch (RuntimeException e) {
            closeAll(programs.values(), maps.values(), e);
            throw e;
        } finally {
            btf.close(); // maps and programs hold the kernel's BTF object now
        }
    }

    /**
     * Loads one more program of {@code spec} against this object's maps: {@code program} is a program of the spec
     * this object was loaded from, as it is or with another section name and type — what bcc does when a function
     * is attached (the attach decides whether the same C function loads as a kprobe, a tracepoint or an XDP
     * program). CO-RE relocations, BTF and map fds are applied as in {@link #load}. The caller owns the returned
     * program and closes it before this object.
     *
     * @throws VerifierException when the verifier rejects it (its log is in the exception)
     * @throws BpfException      when the kernel refuses it
     */
    public Program loadProgram(ObjectSpec spec, ObjectProgram program) {
        return loadProgram(spec, program, UnaryOperator.identity());
    }

    /**
     * {@link #loadProgram(ObjectSpec, ObjectProgram)}, with {@code rewrite} given the instructions after CO-RE
     * relocation (before map fds are patched in) to change some in place, slot for slot: e.g. a context read at
     * another offset when the function loads for a hook with another context. (Rewriting before relocation would
     * be undone by it: a CO-RE field access gets its offset from the relocation.)
     */
    public Program loadProgram(ObjectSpec spec, ObjectProgram program, UnaryOperator<Instructions> rewrite) {
        try (ProgramBtf btf = ProgramBtf.of(spec)) {
            io.bpf4j.core.btf.CoreRelocator.Result relocated = CoreRelocations.of(spec).apply(program);
            Instructions rewritten = rewrite.apply(relocated.instructions());
            if (rewritten.size() != relocated.instructions().size()) {
                throw new IllegalArgumentException("a rewrite of program '" + program.name() + "' must keep its "
                        + relocated.instructions().size() + " slots, not make " + rewritten.size());
            }
            ProgramSpec ps = btf.apply(program, programSpec(spec, program.withInstructions(rewritten), maps));
            try {
                return AttachTargets.load(program, ps);
            } catch (VerifierException e) {
                VerifierException explained = CoreRelocations.explain(e, relocated);
                if (btf.failure() != null) explained.addSuppressed(btf.failure());
                throw explained;
            } catch (BpfException e) {
                if (btf.failure() != null) e.addSuppressed(btf.failure());
                throw e;
            }
        }
    }

    /**
     * Creates a map, with its key and value described by the object's BTF when the kernel took that BTF; when the
     * kernel refuses the map with BTF (a type it cannot check), it is created again without, as libbpf does.
     */
    private static BpfMap createMap(ObjectMap m, ProgramBtf btf) {
        MapSpec withBtf = btf.apply(m);
        BpfMap map;
        if (withBtf != m.spec()) {
            try {
                map = BpfMap.create(withBtf);
            } catch (BpfException e) {
                map = BpfMap.create(m.spec());
            }
        } else {
            map = BpfMap.create(m.spec());
        }
        return fill(m, map);
    }

    private static BpfMap fill(ObjectMap m, BpfMap map) {
        try {
            if (m.kind() == ObjectMap.Kind.DATA) {
                map.update(new byte[4], m.data());
                if (m.readOnly()) map.freeze();
            }
            return map;
        } catch (RuntimeException e) {
            map.close();
            throw e;
        }
    }

    /** The program spec the kernel gets: map references patched with the fds of {@code maps}. */
    static ProgramSpec programSpec(ObjectSpec object, ObjectProgram p, Map<String, BpfMap> maps) {
        if (p.type() == ProgramType.UNSPEC) {
            throw new BpfException("BPF_PROG_LOAD", 0, "program '" + p.name() + "' is in section '"
                    + p.sectionName() + "', which is not a section name libbpf knows (e.g. \"xdp\", "
                    + "\"tracepoint/<category>/<name>\"), so its program type is unknown");
        }
        Map<Integer, ObjectProgram.MapRelocation> bySlot = new LinkedHashMap<>();
        for (ObjectProgram.MapRelocation r : p.maps()) bySlot.put(r.slot(), r);
        List<Instruction> patched = new ArrayList<>(p.instructions().instructions().size());
        int slot = 0;
        for (Instruction insn : p.instructions()) {
            ObjectProgram.MapRelocation r = bySlot.get(slot);
            if (r != null) insn = patch(p, insn, r, maps);
            patched.add(insn);
            slot += insn.slots();
        }
        patched = Externs.patch(object, p, patched, maps); // __kconfig, __ksym, kfunc calls
        return AttachTargets.apply(p, new ProgramSpec(p.name(), p.type(), Instructions.of(patched),
                object.license(), p.expectedAttachType(), 0, 0, -1, object.kernelVersion(), p.flags(), List.of()));
    }

    private static Instruction patch(ObjectProgram p, Instruction insn, ObjectProgram.MapRelocation r,
                                     Map<String, BpfMap> maps) {
        BpfMap map = maps.get(r.map());
        if (map == null) {
            throw new BpfException("BPF_PROG_LOAD", 0, "program '" + p.name() + "' refers to map '" + r.map()
                    + "', which was not created");
        }
        return switch (insn) {
            case LoadMapFd l -> new LoadMapFd(l.dst(), map.fd());
            case LoadMapValue l -> new LoadMapValue(l.dst(), map.fd(), l.offset());
            default -> throw new IllegalStateException("slot " + r.slot() + " of '" + p.name()
                    + "' should load map '" + r.map() + "' but holds " + insn);
        };
    }

    private static void fillInitialValues(ObjectMap m, Map<String, BpfMap> maps, Map<String, Program> programs) {
        for (ObjectMap.InitialValue v : m.initialValues()) {
            BpfMap outer = maps.get(m.name());
            if (v.program()) {
                Program target = programs.get(v.target());
                if (target != null) outer.set(v.index(), target); // not loaded (autoload off): slot stays empty
            } else {
                outer.setFd(v.index(), maps.get(v.target()).fd());
            }
        }
    }

    private static void closeAll(Iterable<Program> programs, Iterable<BpfMap> maps, RuntimeException failure) {
        for (Program p : programs) {
            try {
                p.close();
            } catch (RuntimeException e) {
                if (failure != null) failure.addSuppressed(e);
            }
        }
        for (BpfMap m : maps) {
            try {
                m.close();
            } catch (RuntimeException e) {
                if (failure != null) failure.addSuppressed(e);
            }
        }
    }

    /** The loaded programs by function name (programs not marked autoload are absent). */
    public Map<String, Program> programs() {
        return programs;
    }

    /** The maps by name, global data maps under their section name ({@code .rodata}, {@code .bss}…). */
    public Map<String, BpfMap> maps() {
        return maps;
    }

    /** The loaded program named {@code name}. */
    public Program program(String name) {
        return Optional.ofNullable(programs.get(name)).orElseThrow(() -> new IllegalArgumentException(
                "no loaded program '" + name + "'; loaded: " + programs.keySet()));
    }

    /** The map named {@code name}. */
    public BpfMap map(String name) {
        return Optional.ofNullable(maps.get(name)).orElseThrow(() -> new IllegalArgumentException(
                "no map '" + name + "'; maps: " + maps.keySet()));
    }

    /** Closes every program, then every map. */
    @Override
    public void close() {
        RuntimeException failure = new RuntimeException("closing BPF object");
        closeAll(programs.values(), maps.values(), failure);
        if (failure.getSuppressed().length > 0) throw failure;
    }
}
