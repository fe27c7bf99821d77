package io.bpf4j.core.object;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfException;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.elf.ElfException;
import io.bpf4j.core.elf.ElfFile;
import io.bpf4j.core.elf.ElfRelocation;
import io.bpf4j.core.elf.ElfSection;
import io.bpf4j.core.elf.ElfSymbol;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a BPF ELF object into an {@link ObjectSpec}, as libbpf's {@code bpf_object__open} does, without the kernel:
 * finds programs by section name and function symbol, links the subprograms each program calls, turns map and
 * global data references into map relocations, reads map definitions ({@code .maps} through BTF, legacy
 * {@code maps}, data sections) and records externs. Call it through {@link ObjectSpec#parse(byte[])}.
 *
 * <p>Every problem, however the input is damaged, is an {@link ElfException} saying what and where.
 */
public final class BpfObjectReader {
    private final ElfFile elf;
    private final Btf btf;
    private final MapDefinitions maps;

    private BpfObjectReader(ElfFile elf) {
        this.elf = elf;
        this.btf = parseBtf(elf);
        this.maps = new MapDefinitions(elf, btf);
    }

    /**
     * Reads the BPF object in {@code bytes}.
     *
     * @throws ElfException when the bytes are not a well-formed, supported BPF object
     */
    public static ObjectSpec read(byte[] bytes) {
        try {
            ElfFile elf = ElfFile.parse(bytes);
            checkHeader(elf);
            return new BpfObjectReader(elf).build();
        } catch (BtfException e) {
            throw new ElfException("the object's BTF is unusable: " + e.getMessage(), e);
        }
    }

    private static void checkHeader(ElfFile elf) {
        if (elf.machine() != ElfFile.EM_BPF) {
            throw new ElfException("not a BPF object: the ELF machine is " + elf.machine() + ", expected "
                    + ElfFile.EM_BPF + " (EM_BPF); compile with clang -target bpf");
        }
        if (elf.type() != ElfFile.ET_REL) {
            throw new ElfException("not a relocatable BPF object: ELF type " + elf.type()
                    + ", expected 1 (ET_REL, what clang -c writes)");
        }
        if (elf.byteOrder() != ByteOrder.nativeOrder()) {
            throw new ElfException("the BPF object is " + elf.byteOrder() + " but this machine is "
                    + ByteOrder.nativeOrder() + ": compile with -target bpf (or bpfel/bpfeb to match)");
        }
    }

    /** Names of global functions with hidden visibility: see {@link HiddenFunctions}. */
    private java.util.Set<String> hiddenFunctions() {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (ElfSymbol sym : elf.symbols()) {
            if (sym.isFunction() && sym.isGlobal() && sym.visibility() == ElfSymbol.STV_HIDDEN) names.add(sym.name());
        }
        return names;
    }

    private static Btf parseBtf(ElfFile elf) {
        Optional<ElfSection> s = elf.section(".BTF");
        if (s.isEmpty() || s.get().isNoBits()) return null;
        return Btf.parse(elf.data(s.get()));
    }

    private ObjectSpec build() {
        List<ObjectMap> mapList = maps.read();
        Map<String, ObjectExtern> externs = readExterns();
        List<ObjectProgram> programs = new ProgramLinker(elf, maps, externs.keySet()).link();
        List<ObjectMap> withInitial = maps.initialValues(mapList, programs);
        return new ObjectSpec(programs, withInitial, List.copyOf(externs.values()), license(), version(),
                HiddenFunctions.markStatic(sectionBytes(".BTF"), hiddenFunctions()), sectionBytes(".BTF.ext"));
    }

    private byte[] sectionBytes(String name) {
        return elf.section(name).map(elf::data).orElse(new byte[0]);
    }

    private String license() {
        Optional<ElfSection> s = elf.section("license");
        if (s.isEmpty()) return "";
        byte[] b = elf.data(s.get());
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    private int version() {
        Optional<ElfSection> s = elf.section("version");
        if (s.isEmpty()) return 0;
        byte[] b = elf.data(s.get());
        if (b.length != 4) {
            throw new ElfException("the 'version' section is " + b.length + " bytes, expected 4 (a u32 "
                    + "LINUX_VERSION_CODE)");
        }
        return java.nio.ByteBuffer.wrap(b).order(elf.byteOrder()).getInt();
    }

    /**
     * Undefined global symbols. BTF's {@code .kconfig} and {@code .ksyms} sections say which kind each is; without
     * them, libbpf's naming conventions decide ({@code CONFIG_*} and {@code LINUX_*} are kconfig values).
     */
    private Map<String, ObjectExtern> readExterns() {
        Set<String> kconfig = btfSectionNames(".kconfig");
        Set<String> functions = new HashSet<>();
        for (ElfSection s : elf.sections()) {
            if (!s.isRelocations() || s.info() <= 0 || s.info() >= elf.sections().size()) continue;
            if (!elf.section(s.info()).isExecutable()) continue;
            for (ElfRelocation r : elf.relocations(s)) {
                if (r.type() == ElfRelocation.R_BPF_64_32 && r.symbol().isUndefined()) functions.add(r.symbol().name());
            }
        }
        Map<String, ObjectExtern> out = new LinkedHashMap<>();
        for (ElfSymbol sym : elf.symbols()) {
            if (!sym.isUndefined() || sym.name().isEmpty() || !sym.isGlobal()) continue;
            boolean isKconfig = kconfig.contains(sym.name())
                    || (kconfig.isEmpty() && (sym.name().startsWith("CONFIG_") || sym.name().startsWith("LINUX_")));
            boolean function = sym.isFunction() || functions.contains(sym.name());
            out.put(sym.name(), new ObjectExtern(sym.name(),
                    isKconfig && !function ? ObjectExtern.Kind.KCONFIG : ObjectExtern.Kind.KSYM,
                    sym.binding() == ElfSymbol.STB_WEAK, function));
        }
        return out;
    }

    private Set<String> btfSectionNames(String datasec) {
        Set<String> names = new HashSet<>();
        if (btf == null) return names;
        for (BtfType t : btf.types()) {
            if (t instanceof BtfType.Datasec d && d.name().equals(datasec)) {
                for (BtfType.VarSecinfo v : d.vars()) {
                    BtfType vt = btf.type(v.type());
                    if (vt instanceof BtfType.Var var) names.add(var.name());
                    else if (vt instanceof BtfType.Func f) names.add(f.name());
                }
            }
        }
        return names;
    }

    /** Function symbols of an executable section, by start offset. */
    static List<ElfSymbol> functions(ElfFile elf, ElfSection section) {
        List<ElfSymbol> out = new ArrayList<>();
        for (ElfSymbol sym : elf.symbols()) {
            if (sym.isFunction() && sym.isIn(section.index())) out.add(sym);
        }
        out.sort(Comparator.comparingLong(ElfSymbol::value));
        return out;
    }
}
