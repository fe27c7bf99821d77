package io.bpf4j.core;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfException;
import io.bpf4j.core.btf.BtfExt;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.kernel.LoadedBtf;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.ObjectMap;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.core.object.ProgramSpec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;

/**
 * An object's BTF while it is being loaded: parsed ({@code .BTF} and {@code .BTF.ext}), sanitized and loaded into
 * the kernel, and applied to maps (key and value type ids) and programs (BTF fd, func info and line info rebased
 * from ELF section byte offsets to slots of each linked program). When the object has no BTF, or the kernel
 * refuses it, maps and programs load without; {@link #failure()} says why, for when a program then fails.
 */
final class ProgramBtf implements AutoCloseable {
    private final Btf btf;
    private final BtfExt ext;
    private final LoadedBtf loaded;
    private final RuntimeException failure;

    private ProgramBtf(Btf btf, BtfExt ext, LoadedBtf loaded, RuntimeException failure) {
        this.btf = btf;
        this.ext = ext;
        this.loaded = loaded;
        this.failure = failure;
    }

    static ProgramBtf of(ObjectSpec spec) {
        byte[] raw = spec.btf();
        if (raw.length == 0) return new ProgramBtf(null, BtfExt.empty(), null, null);
        Btf btf;
        BtfExt ext;
        try {
            btf = Btf.parse(raw);
            byte[] extRaw = spec.btfExt();
            ext = extRaw.length == 0 ? BtfExt.empty() : BtfExt.parse(extRaw, btf);
        } catch (BtfException e) {
            return new ProgramBtf(null, BtfExt.empty(), null, e);
        }
        try {
            return new ProgramBtf(btf, ext, LoadedBtf.load(ObjectBtf.sanitize(spec, btf)), null);
        } catch (BpfException e) {
            return new ProgramBtf(btf, ext, null, new BpfException("BPF_BTF_LOAD", e.errnoCode(),
                    "the object's BTF was not loaded, so programs lost their func/line info: " + e.getMessage(), e));
        }
    }

    /** Why the object's BTF is not in the kernel, or null. */
    RuntimeException failure() {
        return failure;
    }

    /** The parsed {@code .BTF.ext} (empty without BTF). */
    BtfExt ext() {
        return ext;
    }

    /** {@code m}'s spec with the loaded BTF and its key/value type ids, or {@code m.spec()} itself when none. */
    MapSpec apply(ObjectMap m) {
        if (loaded == null || m.spec().btfFd() >= 0) return m.spec();
        int key = m.btfKeyTypeId(), value = m.btfValueTypeId();
        if (m.kind() == ObjectMap.Kind.DATA && value == 0) {
            // global data: the value is the section's DATASEC, keyless (libbpf does the same)
            value = btf.typeId(m.name(), BtfKind.DATASEC).orElse(0);
            key = 0;
        }
        if (value == 0 && key == 0) return m.spec();
        return m.spec().toBuilder().btf(loaded.fd(), key, value).build();
    }

    /** {@code spec} with the BTF fd and {@code p}'s func and line info, slots rebased to the linked program. */
    ProgramSpec apply(ObjectProgram p, ProgramSpec spec) {
        if (loaded == null) return spec;
        List<ProgramSpec.FuncInfo> funcs = new ArrayList<>();
        List<BtfExt.LineInfo> lines = new ArrayList<>();
        for (ObjectProgram.Function f : p.functions()) {
            String section = f.section().isEmpty() && f.slot() == 0 ? p.sectionName() : f.section();
            for (BtfExt.FuncInfo fi : ext.funcInfo(section)) {
                OptionalInt slot = slotOf(p, f, section, fi.insnOffset());
                if (slot.isPresent()) funcs.add(new ProgramSpec.FuncInfo(slot.getAsInt(), fi.typeId()));
            }
            for (BtfExt.LineInfo li : ext.lineInfo(section)) {
                OptionalInt slot = slotOf(p, f, section, li.insnOffset());
                if (slot.isPresent()) lines.add(li.withInsnOffset(slot.getAsInt()));
            }
        }
        funcs.sort(Comparator.comparingInt(ProgramSpec.FuncInfo::insnOffset));
        lines.sort(Comparator.comparingInt(BtfExt.LineInfo::insnOffset));
        List<BtfExt.LineInfo> distinct = new ArrayList<>(lines.size());
        for (BtfExt.LineInfo l : lines) {
            if (distinct.isEmpty() || distinct.getLast().insnOffset() != l.insnOffset()) distinct.add(l);
        }
        // the kernel wants func info for slot 0 (and every function); without it, send neither
        if (funcs.isEmpty() || funcs.getFirst().insnOffset() != 0) return spec.withBtf(loaded.fd());
        return spec.withBtf(loaded.fd()).withFuncInfo(funcs).withLineInfo(distinct);
    }

    /** The slot of byte {@code offset} of {@code section} when it lies in function {@code f} of {@code p}. */
    private static OptionalInt slotOf(ObjectProgram p, ObjectProgram.Function f, String section, int offset) {
        if (f.section().isEmpty()) {
            // origin unknown (hand-built spec): only a single-function program can be mapped, one to one
            return p.functions().size() == 1 && offset / 8 < p.instructions().size()
                    ? OptionalInt.of(offset / 8) : OptionalInt.empty();
        }
        return f.contains(section, offset) ? OptionalInt.of(f.slot() + (offset - f.sectionOffset()) / 8)
                : OptionalInt.empty();
    }

    @Override
    public void close() {
        if (loaded != null) loaded.close();
    }
}
