package io.bpf4j.core.elf;

import io.bpf4j.core.format.IoErrors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A 64-bit ELF file read from memory: header, section headers and names, the symbol table, relocation sections
 * and notes. Enough to read BPF objects (relocatable ELF for machine {@link #EM_BPF}) and the symbol tables and
 * USDT notes of user-space binaries.
 *
 * <p>The header, all section headers and the symbol table are checked when the file is parsed; anything
 * truncated or inconsistent is an {@link ElfException} naming the offset and what was expected. Nothing else is
 * thrown for bad input. An {@code ElfFile} is immutable; the bytes it was parsed from must not change.
 *
 * <pre>{@code
 * ElfFile elf = ElfFile.read(Path.of("prog.bpf.o"));
 * for (ElfSection s : elf.sections()) if (s.isExecutable()) System.out.println(s.name());
 * }</pre>
 */
public final class ElfFile {
    /** ELF machine number of eBPF. */
    public static final int EM_BPF = 247;
    /** ELF type of a relocatable object (what {@code clang -c} writes). */
    public static final int ET_REL = 1;
    /** ELF type of an executable. */
    public static final int ET_EXEC = 2;
    /** ELF type of a shared object or position-independent executable. */
    public static final int ET_DYN = 3;

    private static final int EHDR_SIZE = 64;
    private static final int SHDR_SIZE = 64;
    private static final int SYM_SIZE = 24;
    private static final int REL_SIZE = 16;
    private static final int RELA_SIZE = 24;

    private final Bytes bytes;
    private final ByteOrder order;
    private final int type;
    private final int machine;
    private final List<ElfSection> sections;
    /** Read on first use: a large shared library has tens of thousands, and reading its notes needs none. */
    private List<ElfSymbol> symbols;

    private ElfFile(MemorySegment data) {
        this.order = identify(data);
        this.bytes = new Bytes(data, order);
        this.type = bytes.u16(16, "e_type");
        this.machine = bytes.u16(18, "e_machine");
        this.sections = readSections();
    }

    /** Parses the ELF file in {@code data} (not copied: it must not change afterwards). */
    public static ElfFile parse(byte[] data) {
        return new ElfFile(MemorySegment.ofArray(data));
    }

    /** Parses the ELF file in {@code data}, which must stay readable and unchanged while this object is used. */
    public static ElfFile parse(MemorySegment data) {
        return new ElfFile(data);
    }

    /** Reads and parses an ELF file. */
    public static ElfFile read(Path file) {
        try {
            return parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read ELF file " + file + ": " + IoErrors.reason(e), e);
        }
    }

    private static ByteOrder identify(MemorySegment data) {
        if (data.byteSize() < EHDR_SIZE) {
            throw new ElfException("not an ELF file: " + data.byteSize() + " bytes is shorter than the "
                    + EHDR_SIZE + "-byte ELF64 header");
        }
        Bytes raw = new Bytes(data, ByteOrder.LITTLE_ENDIAN);
        if (raw.i32(0, "magic") != 0x464c457f) {
            throw new ElfException("not an ELF file: the first four bytes are not 0x7f 'E' 'L' 'F'");
        }
        int elfClass = raw.u8(4, "EI_CLASS");
        if (elfClass != 2) {
            throw new ElfException("unsupported ELF class " + elfClass + " at offset 4: bpf4j reads 64-bit ELF "
                    + "(class 2) only" + (elfClass == 1 ? "; this is a 32-bit file" : ""));
        }
        return switch (raw.u8(5, "EI_DATA")) {
            case 1 -> ByteOrder.LITTLE_ENDIAN;
            case 2 -> ByteOrder.BIG_ENDIAN;
            default -> throw new ElfException("corrupt ELF header: byte order (EI_DATA at offset 5) is "
                    + raw.u8(5, "EI_DATA") + ", expected 1 (little-endian) or 2 (big-endian)");
        };
    }

    private List<ElfSection> readSections() {
        long shoff = bytes.u64(40, "e_shoff");
        int shentsize = bytes.u16(58, "e_shentsize");
        long shnum = bytes.u16(60, "e_shnum");
        int shstrndx = bytes.u16(62, "e_shstrndx");
        if (shoff == 0) {
            if (shnum != 0) throw new ElfException("corrupt ELF header: " + shnum + " sections but e_shoff is 0");
            return List.of();
        }
        if (shentsize != SHDR_SIZE) {
            throw new ElfException("corrupt ELF header: section header size (e_shentsize at offset 58) is "
                    + shentsize + ", expected " + SHDR_SIZE);
        }
        // More than 0xff00 sections: the real count and string table index live in section header 0.
        if (shnum == 0) shnum = bytes.u64(shoff + 32, "section 0's sh_size (extended section count)");
        if (shstrndx == ElfSymbol.SHN_XINDEX) shstrndx = bytes.i32(shoff + 40, "section 0's sh_link");
        if (shnum > (bytes.size() - Math.min(bytes.size(), shoff)) / SHDR_SIZE) {
            throw new ElfException("truncated or corrupt ELF file: " + shnum + " section headers of " + SHDR_SIZE
                    + " bytes at offset " + shoff + " do not fit in the file's " + bytes.size() + " bytes");
        }
        int count = (int) shnum;
        if (shstrndx >= count || shstrndx < 0) {
            throw new ElfException("corrupt ELF header: the section name table index (e_shstrndx) is " + shstrndx
                    + " but there are " + count + " sections");
        }
        long[] hdr = header(shoff, shstrndx);
        long namesStart = hdr[4], namesEnd = namesStart + hdr[5];
        if (hdr[1] == ElfSection.SHT_NOBITS) throw new ElfException("corrupt ELF file: the section name table "
                + "(section " + shstrndx + ") has no bytes in the file");
        bytes.check(namesStart, hdr[5], "section name table (section " + shstrndx + ")");
        List<ElfSection> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long[] h = header(shoff, i);
            String what = "section " + i;
            String name = i == 0 ? "" : bytes.string(namesStart, namesEnd, h[0], what + "'s name");
            ElfSection s = new ElfSection(i, name, (int) h[1], h[2], h[3], h[4], h[5], (int) h[6], (int) h[7],
                    h[8], h[9]);
            if (i != 0 && s.type() != ElfSection.SHT_NOBITS && s.type() != ElfSection.SHT_NULL) {
                bytes.check(s.offset(), s.size(), "section " + i + " '" + name + "'");
            }
            out.add(s);
        }
        return Collections.unmodifiableList(out);
    }

    /** The ten fields of section header {@code i}: name, type, flags, addr, offset, size, link, info, align, entsize. */
    private long[] header(long shoff, int i) {
        long at = shoff + (long) i * SHDR_SIZE;
        String what = "section header " + i;
        return new long[] {
                bytes.u32(at, what + " sh_name"), bytes.u32(at + 4, what + " sh_type"),
                bytes.u64(at + 8, what + " sh_flags"), bytes.u64(at + 16, what + " sh_addr"),
                bytes.u64(at + 24, what + " sh_offset"), bytes.u64(at + 32, what + " sh_size"),
                bytes.u32(at + 40, what + " sh_link"), bytes.u32(at + 44, what + " sh_info"),
                bytes.u64(at + 48, what + " sh_addralign"), bytes.u64(at + 56, what + " sh_entsize")};
    }

    private List<ElfSymbol> readSymbols() {
        ElfSection symtab = null;
        for (ElfSection s : sections) {
            if (s.type() == ElfSection.SHT_SYMTAB) {
                symtab = s;
                break;
            }
        }
        if (symtab == null) return List.of();
        if (symtab.entrySize() != SYM_SIZE || symtab.size() % SYM_SIZE != 0) {
            throw new ElfException("corrupt symbol table (section " + symtab.index() + " '" + symtab.name()
                    + "'): entry size " + symtab.entrySize() + " and size " + symtab.size()
                    + ", expected entries of " + SYM_SIZE + " bytes");
        }
        ElfSection strtab = linked(symtab, "symbol table");
        long strStart = strtab.offset(), strEnd = strStart + strtab.size();
        int count = (int) (symtab.size() / SYM_SIZE);
        List<ElfSymbol> out = new ArrayList<>(count);
        // the entries lie in the symbol table, checked to lie in the file: no message per entry (a shared library
        // has tens of thousands of symbols), only for a name outside the string table
        for (int i = 0; i < count; i++) {
            long at = symtab.offset() + (long) i * SYM_SIZE;
            long nameOff = bytes.u32(at, "symbol table entry");
            int info = bytes.u8(at + 4, "symbol table entry");
            int other = bytes.u8(at + 5, "symbol table entry");
            int shndx = bytes.u16(at + 6, "symbol table entry");
            long value = bytes.u64(at + 8, "symbol table entry");
            long size = bytes.u64(at + 16, "symbol table entry");
            int symType = info & 0xf;
            int index = i;
            String name = nameOff == 0 ? ""
                    : bytes.string(strStart, strEnd, nameOff, () -> "symbol " + index + "'s name");
            if (name.isEmpty() && symType == ElfSymbol.STT_SECTION && shndx < sections.size()) {
                name = sections.get(shndx).name();
            }
            out.add(new ElfSymbol(i, name, value, size, shndx, info >>> 4, symType, other & 0x3));
        }
        return Collections.unmodifiableList(out);
    }

    /** The string table a section links to, checked to exist and be a string table. */
    private ElfSection linked(ElfSection s, String what) {
        if (s.link() <= 0 || s.link() >= sections.size()) {
            throw new ElfException("corrupt " + what + " (section " + s.index() + " '" + s.name()
                    + "'): it links to section " + s.link() + " but there are " + sections.size() + " sections");
        }
        ElfSection l = sections.get(s.link());
        if (l.type() != ElfSection.SHT_STRTAB && l.type() != ElfSection.SHT_SYMTAB) {
            throw new ElfException("corrupt " + what + " (section " + s.index() + " '" + s.name()
                    + "'): it links to section " + l.index() + " '" + l.name() + "' of type " + l.type()
                    + ", not a string or symbol table");
        }
        return l;
    }

    /** The byte order of the file (BPF objects built with {@code -target bpfeb} are big-endian). */
    public ByteOrder byteOrder() {
        return order;
    }

    /** {@code e_type}: {@link #ET_REL}, {@link #ET_EXEC}, {@link #ET_DYN}… */
    public int type() {
        return type;
    }

    /** {@code e_machine}: {@link #EM_BPF} for BPF objects, 62 for x86-64, 183 for AArch64… */
    public int machine() {
        return machine;
    }

    /** All section headers in index order (index 0 is the null section). */
    public List<ElfSection> sections() {
        return sections;
    }

    /** The section at {@code index}. */
    public ElfSection section(int index) {
        if (index < 0 || index >= sections.size()) {
            throw new ElfException("no section " + index + ": the file has " + sections.size() + " sections");
        }
        return sections.get(index);
    }

    /** The first section named {@code name}. */
    public Optional<ElfSection> section(String name) {
        for (ElfSection s : sections) if (s.name().equals(name)) return Optional.of(s);
        return Optional.empty();
    }

    /** The symbol table in index order (index 0 is the null symbol); empty when the file has none. */
    public synchronized List<ElfSymbol> symbols() {
        if (symbols == null) symbols = readSymbols();
        return symbols;
    }

    /** The symbol at {@code index} of the symbol table. */
    public ElfSymbol symbol(int index) {
        List<ElfSymbol> all = symbols();
        if (index < 0 || index >= all.size()) {
            throw new ElfException("no symbol " + index + ": the symbol table has " + all.size() + " entries");
        }
        return all.get(index);
    }

    /** A copy of the section's bytes; empty for a section without file bytes ({@link ElfSection#isNoBits()}). */
    public byte[] data(ElfSection section) {
        if (section.isNoBits() || section.type() == ElfSection.SHT_NULL) return new byte[0];
        return bytes.copy(section.offset(), section.size(), "section " + section.index() + " '" + section.name() + "'");
    }

    /** A read-only view of the section's bytes (no copy); empty for a section without file bytes. */
    public MemorySegment segment(ElfSection section) {
        if (section.isNoBits() || section.type() == ElfSection.SHT_NULL) return MemorySegment.ofArray(new byte[0]);
        return bytes.slice(section.offset(), section.size(), "section " + section.index() + " '" + section.name()
                + "'").asReadOnly();
    }

    /** The relocation sections ({@code .rel*}, {@code .rela*}) that apply to {@code target}. */
    public List<ElfSection> relocationSectionsFor(ElfSection target) {
        List<ElfSection> out = new ArrayList<>();
        for (ElfSection s : sections) if (s.isRelocations() && s.info() == target.index()) out.add(s);
        return out;
    }

    /** All relocations that apply to {@code target}, from every relocation section naming it, in file order. */
    public List<ElfRelocation> relocationsFor(ElfSection target) {
        List<ElfRelocation> out = new ArrayList<>();
        for (ElfSection s : relocationSectionsFor(target)) out.addAll(relocations(s));
        return out;
    }

    /** The entries of relocation section {@code rel} ({@code SHT_REL} or {@code SHT_RELA}). */
    public List<ElfRelocation> relocations(ElfSection rel) {
        if (!rel.isRelocations()) {
            throw new ElfException("section " + rel.index() + " '" + rel.name() + "' is not a relocation section");
        }
        int entry = rel.type() == ElfSection.SHT_REL ? REL_SIZE : RELA_SIZE;
        String where = "relocation section " + rel.index() + " '" + rel.name() + "'";
        if (rel.size() % entry != 0) {
            throw new ElfException("corrupt " + where + ": its size " + rel.size() + " is not a multiple of the "
                    + entry + "-byte entry");
        }
        if (rel.info() <= 0 || rel.info() >= sections.size()) {
            throw new ElfException("corrupt " + where + ": it applies to section " + rel.info()
                    + " but there are " + sections.size() + " sections");
        }
        long count = rel.size() / entry;
        List<ElfRelocation> out = new ArrayList<>((int) Math.min(count, 4096));
        for (long i = 0; i < count; i++) {
            long at = rel.offset() + i * entry;
            String what = where + " entry " + i;
            long offset = bytes.u64(at, what + " r_offset");
            long info = bytes.u64(at + 8, what + " r_info");
            long addend = entry == RELA_SIZE ? bytes.u64(at + 16, what + " r_addend") : 0;
            long sym = info >>> 32;
            List<ElfSymbol> all = symbols();
            if (sym >= all.size()) {
                throw new ElfException("corrupt " + what + ": it refers to symbol " + sym
                        + " but the symbol table has " + all.size() + " entries");
            }
            out.add(new ElfRelocation(offset, all.get((int) sym), (int) info, addend));
        }
        return out;
    }

    /** The notes in note section {@code section} ({@link ElfSection#SHT_NOTE}), e.g. {@code .note.stapsdt}. */
    public List<ElfNote> notes(ElfSection section) {
        if (section.type() != ElfSection.SHT_NOTE) {
            throw new ElfException("section " + section.index() + " '" + section.name() + "' is not a note section");
        }
        List<ElfNote> out = new ArrayList<>();
        long at = section.offset(), end = section.offset() + section.size();
        String where = "note section " + section.index() + " '" + section.name() + "'";
        while (at < end) {
            if (end - at < 12) throw new ElfException("truncated " + where + ": " + (end - at)
                    + " bytes left at offset " + at + ", a note header needs 12");
            long nameSize = bytes.u32(at, where + " n_namesz");
            long descSize = bytes.u32(at + 4, where + " n_descsz");
            int noteType = bytes.i32(at + 8, where + " n_type");
            long nameAt = at + 12;
            long descAt = nameAt + align4(nameSize);
            long next = descAt + align4(descSize);
            if (next > end) {
                throw new ElfException("truncated " + where + ": the note at offset " + at + " needs "
                        + (next - at) + " bytes but only " + (end - at) + " are left in the section");
            }
            byte[] name = bytes.copy(nameAt, nameSize, where + " note name");
            int len = 0;
            while (len < name.length && name[len] != 0) len++;
            out.add(new ElfNote(new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8), noteType,
                    bytes.copy(descAt, descSize, where + " note descriptor")));
            at = next;
        }
        return out;
    }

    private static long align4(long n) {
        return (n + 3) & ~3L;
    }

    @Override
    public String toString() {
        return "ElfFile[machine " + machine + ", type " + type + ", " + sections.size() + " sections, "
                + symbols().size() + " symbols, " + order + "]";
    }
}
