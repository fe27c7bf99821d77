package io.bpf4j.core.object;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.elf.ElfException;
import io.bpf4j.core.elf.ElfFile;
import io.bpf4j.core.elf.ElfRelocation;
import io.bpf4j.core.elf.ElfSection;
import io.bpf4j.core.elf.ElfSymbol;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The maps of a BPF object: BTF-defined ({@code .maps}), legacy ({@code maps}, {@code struct bpf_map_def}) and
 * global data sections. Also answers the linker's question "which map is at this section offset".
 */
final class MapDefinitions {
    /** libbpf's LIBBPF_PIN_BY_NAME. */
    private static final int PIN_BY_NAME = 1;
    /**
     * The largest global data section accepted: the kernel refuses array values above KMALLOC_MAX_SIZE (a few
     * MiB), and a bigger {@code .bss} claimed by a damaged file must not make us allocate gigabytes.
     */
    private static final long MAX_DATA_SECTION = 32L << 20;
    /** {@code struct bpf_map_def}: type, key_size, value_size, max_entries, map_flags (u32 each). */
    private static final int LEGACY_DEF_SIZE = 20;

    private final ElfFile elf;
    private final Btf btf;
    /** Map name by (section index, offset of its definition). */
    private final Map<Long, String> byOffset = new HashMap<>();
    /** Data map name by section index. */
    private final Map<Integer, ObjectMap> dataBySection = new HashMap<>();
    /** Where each BTF map's {@code values} array starts in its definition, and its symbol. */
    private final Map<String, Placement> placements = new HashMap<>();

    private record Placement(ElfSymbol symbol, int valuesOffset, boolean programs) {
    }

    MapDefinitions(ElfFile elf, Btf btf) {
        this.elf = elf;
        this.btf = btf;
    }

    private static long key(int section, long offset) {
        return (long) section << 40 ^ offset;
    }

    /** The map whose definition starts at {@code offset} of {@code section}, if any. */
    Optional<String> mapAt(int section, long offset) {
        return Optional.ofNullable(byOffset.get(key(section, offset)));
    }

    /** The data map made of {@code section}, if it is a global data section. */
    Optional<ObjectMap> dataMap(int section) {
        return Optional.ofNullable(dataBySection.get(section));
    }

    /** True for {@code .maps} and {@code maps}: sections holding map definitions. */
    boolean isDefinitionSection(int section) {
        String name = elf.section(section).name();
        return name.equals(".maps") || name.equals("maps");
    }

    List<ObjectMap> read() {
        List<ObjectMap> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ElfSection s : elf.sections()) {
            List<ObjectMap> found;
            if (s.name().equals(".maps")) found = btfMaps(s);
            else if (s.name().equals("maps")) found = legacyMaps(s);
            else if (isDataSection(s)) found = dataMap(s);
            else continue;
            for (ObjectMap m : found) {
                if (!names.add(m.name())) {
                    throw new ElfException("the object defines two maps named '" + m.name() + "'");
                }
                out.add(m);
            }
        }
        return out;
    }

    // ---- BTF-defined maps ----

    private List<ObjectMap> btfMaps(ElfSection section) {
        if (btf == null) {
            throw new ElfException("the object defines maps in '.maps', which BTF describes, but has no .BTF "
                    + "section: compile with clang -g");
        }
        BtfType.Datasec datasec = btf.find(BtfType.Datasec.class, ".maps").orElseThrow(() -> new ElfException(
                "the object has a '.maps' section but its BTF has no DATASEC '.maps' describing it"));
        Map<String, Integer> varTypes = new HashMap<>();
        for (BtfType.VarSecinfo v : datasec.vars()) {
            if (btf.type(v.type()) instanceof BtfType.Var var) varTypes.put(var.name(), var.type());
        }
        List<ElfSymbol> symbols = objects(section);
        List<ObjectMap> out = new ArrayList<>();
        for (ElfSymbol sym : symbols) {
            Integer type = varTypes.get(sym.name());
            if (type == null) {
                throw new ElfException("map '" + sym.name() + "' in '.maps' has no variable in the BTF DATASEC "
                        + "'.maps'");
            }
            Definition d = definition(sym.name(), type, false);
            byOffset.put(key(section.index(), sym.value()), sym.name());
            placements.put(sym.name(), new Placement(sym, d.valuesOffset, d.spec.type() == MapType.PROG_ARRAY));
            out.add(new ObjectMap(sym.name(), d.spec, ObjectMap.Kind.BTF_DEFINED, d.pinning, new byte[0], List.of(),
                    List.of(), d.keyType, d.valueType));
        }
        return out;
    }

    private record Definition(MapSpec spec, ObjectMap.Pinning pinning, int keyType, int valueType,
                              int valuesOffset) {
    }

    /** Reads a map definition struct: {@code __uint(type, …)}, {@code __type(key, …)}, {@code __array(values, …)}… */
    private Definition definition(String name, int typeId, boolean inner) {
        if (!(btf.resolveType(typeId) instanceof BtfType.Struct def)) {
            throw new ElfException("map '" + name + "': its BTF type [" + typeId + "] is "
                    + btf.resolveType(typeId).kind() + ", expected the struct of a map definition");
        }
        MapType type = null;
        long keySize = -1, valueSize = -1, maxEntries = 0, flags = 0, numaNode = -1, mapExtra = 0;
        int keyType = 0, valueType = 0, valuesOffset = -1;
        ObjectMap.Pinning pinning = ObjectMap.Pinning.NONE;
        MapSpec innerSpec = null;
        for (BtfType.Member m : def.members()) {
            String what = "map '" + name + "': field '" + m.name() + "'";
            switch (m.name()) {
                case "type" -> {
                    long code = uint(what, m);
                    try {
                        type = MapType.of((int) Math.min(code, Integer.MAX_VALUE));
                    } catch (IllegalArgumentException e) {
                        throw new ElfException(what + ": " + e.getMessage());
                    }
                }
                case "max_entries" -> maxEntries = uint(what, m);
                case "map_flags" -> flags = uint(what, m);
                case "numa_node" -> numaNode = uint(what, m);
                case "map_extra" -> mapExtra = uint(what, m);
                case "key_size" -> keySize = checkSize(what, keySize, uint(what, m));
                case "value_size" -> valueSize = checkSize(what, valueSize, uint(what, m));
                case "key" -> {
                    keyType = pointee(what, m);
                    keySize = checkSize(what, keySize, btf.sizeOf(keyType));
                }
                case "value" -> {
                    valueType = pointee(what, m);
                    valueSize = checkSize(what, valueSize, btf.sizeOf(valueType));
                }
                case "pinning" -> {
                    long p = uint(what, m);
                    if (p > PIN_BY_NAME) throw new ElfException(what + " is " + p
                            + ", expected 0 (LIBBPF_PIN_NONE) or 1 (LIBBPF_PIN_BY_NAME)");
                    pinning = p == PIN_BY_NAME ? ObjectMap.Pinning.BY_NAME : ObjectMap.Pinning.NONE;
                }
                case "values" -> {
                    if (inner) throw new ElfException(what + ": an inner map cannot itself have values");
                    valuesOffset = m.bitOffset() / 8;
                    innerSpec = values(name, what, m);
                }
                default -> throw new ElfException(what + " is not a map definition field (type, key, value, "
                        + "key_size, value_size, max_entries, map_flags, numa_node, map_extra, pinning, values)");
            }
        }
        if (type == null) throw new ElfException("map '" + name + "' has no __uint(type, …)");
        MapSpec.Builder b = MapSpec.builder(type).name(name)
                .keySize(toInt(name, "key size", Math.max(keySize, 0)))
                .valueSize(toInt(name, "value size", Math.max(valueSize, 0)))
                .maxEntries(toInt(name, "max_entries", maxEntries))
                .flags(toInt(name, "map_flags", flags))
                .mapExtra(mapExtra);
        if (numaNode >= 0) b.numaNode(toInt(name, "numa_node", numaNode));
        if (innerSpec != null) b.innerMap(innerSpec);
        try {
            return new Definition(b.build(), pinning, keyType, valueType, valuesOffset);
        } catch (IllegalArgumentException e) {
            throw new ElfException("map '" + name + "': " + e.getMessage(), e);
        }
    }

    /** {@code __array(values, struct inner)} describes the inner map; {@code __array(values, int (void *))} programs. */
    private MapSpec values(String name, String what, BtfType.Member m) {
        if (!(btf.resolveType(m.type()) instanceof BtfType.Array array)) {
            throw new ElfException(what + " must be declared with __array(values, …), found "
                    + btf.resolveType(m.type()).kind());
        }
        if (!(btf.resolveType(array.type()) instanceof BtfType.Ptr ptr)) {
            throw new ElfException(what + ": the array's elements must be pointers, found "
                    + btf.resolveType(array.type()).kind());
        }
        BtfType target = btf.resolveType(ptr.type());
        if (target instanceof BtfType.FuncProto) return null; // a prog array's initial programs
        if (target instanceof BtfType.Struct) {
            return definition(name + ".inner", ptr.type(), true).spec;
        }
        throw new ElfException(what + ": the array's elements must point to a map definition struct or a "
                + "function prototype, found " + target.kind());
    }

    /** The value of {@code __uint(name, N)}, declared as {@code int (*name)[N]}. */
    private long uint(String what, BtfType.Member m) {
        BtfType t = btf.resolveType(m.type());
        if (t instanceof BtfType.Ptr p) {
            BtfType target = btf.resolveType(p.type());
            if (target instanceof BtfType.Array a) return Integer.toUnsignedLong(a.count());
            // __ulong(name, N) (64-bit values such as map_extra) is an enum with one enumerator N
            if (target instanceof BtfType.Enum e && e.values().size() == 1) {
                return Integer.toUnsignedLong(e.values().getFirst().value());
            }
            if (target instanceof BtfType.Enum64 e && e.values().size() == 1) return e.values().getFirst().value();
        }
        throw new ElfException(what + " must be declared with __uint(name, value) (a pointer to an array of "
                + "'value' elements), found " + t.kind());
    }

    /** The type {@code __type(name, T)} names (declared as {@code T *name}). */
    private int pointee(String what, BtfType.Member m) {
        if (btf.resolveType(m.type()) instanceof BtfType.Ptr p) return p.type();
        throw new ElfException(what + " must be declared with __type(name, T) (a pointer to T), found "
                + btf.resolveType(m.type()).kind());
    }

    private static long checkSize(String what, long previous, long size) {
        if (previous >= 0 && previous != size) {
            throw new ElfException(what + " gives size " + size + " but an earlier field gave " + previous);
        }
        return size;
    }

    private static int toInt(String map, String field, long value) {
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw new ElfException("map '" + map + "': " + field + " " + value + " is out of range (0 to "
                    + Integer.MAX_VALUE + ")");
        }
        return (int) value;
    }

    // ---- legacy maps ----

    private List<ObjectMap> legacyMaps(ElfSection section) {
        List<ElfSymbol> symbols = objects(section);
        byte[] data = elf.data(section);
        ByteBuffer b = ByteBuffer.wrap(data).order(elf.byteOrder());
        List<ObjectMap> out = new ArrayList<>();
        for (int i = 0; i < symbols.size(); i++) {
            ElfSymbol sym = symbols.get(i);
            long end = sym.size() > 0 ? sym.value() + sym.size()
                    : i + 1 < symbols.size() ? symbols.get(i + 1).value() : data.length;
            if (sym.value() < 0 || end > data.length || end - sym.value() < 4) {
                throw new ElfException("legacy map '" + sym.name() + "' at offset " + sym.value() + " of section "
                        + "'maps' needs a struct bpf_map_def (" + LEGACY_DEF_SIZE + " bytes) but the section has "
                        + data.length + " bytes");
            }
            int at = (int) sym.value();
            int available = (int) Math.min(LEGACY_DEF_SIZE, end - sym.value()) / 4;
            long[] f = new long[5]; // fields missing from a shorter definition are zero, as libbpf reads them
            for (int k = 0; k < available; k++) f[k] = Integer.toUnsignedLong(b.getInt(at + 4 * k));
            MapType type;
            try {
                type = MapType.of((int) Math.min(f[0], Integer.MAX_VALUE));
            } catch (IllegalArgumentException e) {
                throw new ElfException("legacy map '" + sym.name() + "': " + e.getMessage());
            }
            MapSpec spec;
            try {
                spec = new MapSpec(type, sym.name(), toInt(sym.name(), "key size", f[1]),
                        toInt(sym.name(), "value size", f[2]), toInt(sym.name(), "max_entries", f[3]),
                        toInt(sym.name(), "map_flags", f[4]), Optional.empty(), -1, 0, -1, 0, 0, 0);
            } catch (IllegalArgumentException e) {
                throw new ElfException("legacy map '" + sym.name() + "': " + e.getMessage(), e);
            }
            byOffset.put(key(section.index(), sym.value()), sym.name());
            out.add(new ObjectMap(sym.name(), spec, ObjectMap.Kind.LEGACY, ObjectMap.Pinning.NONE, new byte[0],
                    List.of(), List.of(), 0, 0));
        }
        return out;
    }

    // ---- global data ----

    static boolean isDataSection(ElfSection s) {
        if ((s.flags() & ElfSection.SHF_ALLOC) == 0 || (s.flags() & ElfSection.SHF_EXECINSTR) != 0) return false;
        if (s.type() != ElfSection.SHT_PROGBITS && s.type() != ElfSection.SHT_NOBITS) return false;
        for (String prefix : new String[] {".rodata", ".data", ".bss"}) {
            if (s.name().equals(prefix) || s.name().startsWith(prefix + ".")) return true;
        }
        return false;
    }

    /** A global data section as a one-element array whose value is the section (libbpf's internal maps). */
    private List<ObjectMap> dataMap(ElfSection section) {
        if (section.size() == 0) return List.of();
        if (section.size() > MAX_DATA_SECTION) {
            throw new ElfException("global data section '" + section.name() + "' is " + section.size()
                    + " bytes; the kernel's array map values are limited to a few MiB (KMALLOC_MAX_SIZE) and bpf4j "
                    + "accepts at most " + MAX_DATA_SECTION);
        }
        int size = toInt(section.name(), "section size", section.size());
        byte[] data = section.isNoBits() ? new byte[size] : elf.data(section);
        boolean readOnly = section.name().startsWith(".rodata");
        int flags = MapSpec.F_MMAPABLE | (readOnly ? MapSpec.F_RDONLY_PROG : 0);
        List<ObjectMap.Variable> variables = new ArrayList<>();
        for (ElfSymbol sym : objects(section)) {
            if (sym.value() + sym.size() > size) {
                throw new ElfException("variable '" + sym.name() + "' (offset " + sym.value() + ", " + sym.size()
                        + " bytes) lies outside its section '" + section.name() + "' of " + size + " bytes");
            }
            variables.add(new ObjectMap.Variable(sym.name(), (int) sym.value(), (int) sym.size()));
        }
        MapSpec spec = MapSpec.builder(MapType.ARRAY).name(section.name()).keySize(4).valueSize(size)
                .maxEntries(1).flags(flags).build();
        ObjectMap map = new ObjectMap(section.name(), spec, ObjectMap.Kind.DATA, ObjectMap.Pinning.NONE, data,
                variables, List.of(), 0, 0);
        dataBySection.put(section.index(), map);
        return List.of(map);
    }

    /** Named data symbols of a section, by offset: map definitions or variables. */
    private List<ElfSymbol> objects(ElfSection section) {
        List<ElfSymbol> out = new ArrayList<>();
        for (ElfSymbol sym : elf.symbols()) {
            if (!sym.isIn(section.index()) || sym.name().isEmpty()) continue;
            if (sym.type() != ElfSymbol.STT_OBJECT && sym.type() != ElfSymbol.STT_NOTYPE) continue;
            if (sym.value() < 0 || sym.value() > section.size() || sym.size() < 0
                    || sym.size() > section.size() - sym.value()) {
                throw new ElfException("symbol '" + sym.name() + "' (offset " + sym.value() + ", " + sym.size()
                        + " bytes) lies outside its section '" + section.name() + "' of " + section.size() + " bytes");
            }
            out.add(sym);
        }
        out.sort(Comparator.comparingLong(ElfSymbol::value));
        return out;
    }

    // ---- initial values of prog arrays and maps of maps ----

    /** The maps with the slots {@code .values = {…}} fills in, from the relocations of {@code .maps}. */
    List<ObjectMap> initialValues(List<ObjectMap> maps, List<ObjectProgram> programs) {
        Optional<ElfSection> section = elf.section(".maps");
        if (section.isEmpty()) return maps;
        Map<String, List<ObjectMap.InitialValue>> values = new HashMap<>();
        Set<String> programNames = new HashSet<>();
        for (ObjectProgram p : programs) programNames.add(p.name());
        for (ElfRelocation r : elf.relocationsFor(section.get())) {
            Placement owner = null;
            for (Placement p : placements.values()) {
                if (r.offset() >= p.symbol.value() && r.offset() < p.symbol.value() + p.symbol.size()) owner = p;
            }
            String where = "relocation at offset " + r.offset() + " of '.maps'";
            if (owner == null || owner.valuesOffset < 0 || r.offset() < owner.symbol.value() + owner.valuesOffset) {
                throw new ElfException(where + " (to '" + r.symbol().name() + "') is not inside the .values of a "
                        + "map definition");
            }
            long rel = r.offset() - owner.symbol.value() - owner.valuesOffset;
            if (rel % 8 != 0) throw new ElfException(where + " is not at an 8-byte slot of '"
                    + owner.symbol.name() + "'.values");
            String map = owner.symbol.name();
            ElfSymbol target = r.symbol();
            ObjectMap.InitialValue value;
            if (owner.programs) {
                if (!target.isFunction() || !programNames.contains(target.name())) {
                    throw new ElfException("prog array '" + map + "' slot " + rel / 8 + " refers to '"
                            + target.name() + "', which is not a program of this object");
                }
                value = new ObjectMap.InitialValue((int) (rel / 8), target.name(), true);
            } else {
                Optional<String> inner = mapAt(target.section(), target.value());
                if (inner.isEmpty() || !isDefinitionSection(target.section())) {
                    throw new ElfException("map of maps '" + map + "' slot " + rel / 8 + " refers to '"
                            + target.name() + "', which is not a map of this object");
                }
                value = new ObjectMap.InitialValue((int) (rel / 8), inner.get(), false);
            }
            values.computeIfAbsent(map, k -> new ArrayList<>()).add(value);
        }
        List<ObjectMap> out = new ArrayList<>();
        for (ObjectMap m : maps) {
            List<ObjectMap.InitialValue> v = values.get(m.name());
            if (v != null) {
                for (ObjectMap.InitialValue iv : v) {
                    if (iv.index() >= m.spec().maxEntries()) {
                        throw new ElfException("map '" + m.name() + "' fills slot " + iv.index() + " but has "
                                + m.spec().maxEntries() + " entries");
                    }
                }
                m = new ObjectMap(m.name(), m.spec(), m.kind(), m.pinning(), m.data(), m.variables(), v,
                        m.btfKeyTypeId(), m.btfValueTypeId());
            }
            out.add(m);
        }
        return out;
    }
}
