package io.bpf4j.core.elf;

/**
 * One section header of an ELF file ({@code Elf64_Shdr}). The section's bytes are read with
 * {@link ElfFile#data(ElfSection)}.
 *
 * @param index     the section's index in the section header table (what symbols' {@code st_shndx} refer to)
 * @param name      the section's name from the section header string table, e.g. {@code .text}, {@code xdp}
 * @param type      {@code sh_type}: {@link #SHT_PROGBITS}, {@link #SHT_SYMTAB}, {@link #SHT_REL}…
 * @param flags     {@code sh_flags}: {@link #SHF_WRITE}, {@link #SHF_ALLOC}, {@link #SHF_EXECINSTR}…
 * @param address   {@code sh_addr} (0 in relocatable objects)
 * @param offset    where the section's bytes start in the file
 * @param size      the section's size in bytes (for {@link #SHT_NOBITS} the size it occupies in memory)
 * @param link      {@code sh_link}: for a symbol table its string table, for a relocation section its symbol table
 * @param info      {@code sh_info}: for a relocation section the index of the section it applies to
 * @param alignment {@code sh_addralign}
 * @param entrySize {@code sh_entsize}: the size of one entry for tables, else 0
 */
public record ElfSection(int index, String name, int type, long flags, long address, long offset, long size,
                         int link, int info, long alignment, long entrySize) {

    /** An unused section header (index 0 always is one). */
    public static final int SHT_NULL = 0;
    /** Bytes defined by the program: code, data, BTF. */
    public static final int SHT_PROGBITS = 1;
    /** A symbol table. */
    public static final int SHT_SYMTAB = 2;
    /** A string table. */
    public static final int SHT_STRTAB = 3;
    /** Relocations with explicit addends ({@code Elf64_Rela}); BPF objects use {@link #SHT_REL}. */
    public static final int SHT_RELA = 4;
    /** Notes ({@code Elf64_Nhdr} records), e.g. {@code .note.stapsdt}. */
    public static final int SHT_NOTE = 7;
    /** A section occupying no file space ({@code .bss}): its bytes are zero. */
    public static final int SHT_NOBITS = 8;
    /** Relocations without addends ({@code Elf64_Rel}), what clang emits for BPF. */
    public static final int SHT_REL = 9;

    /** The section is writable at run time. */
    public static final long SHF_WRITE = 0x1;
    /** The section occupies memory at run time. */
    public static final long SHF_ALLOC = 0x2;
    /** The section holds instructions. */
    public static final long SHF_EXECINSTR = 0x4;

    /** True for a section holding instructions: a BPF program section or {@code .text}. */
    public boolean isExecutable() {
        return type == SHT_PROGBITS && (flags & SHF_EXECINSTR) != 0;
    }

    /** True when the section occupies no bytes in the file ({@code .bss}-like). */
    public boolean isNoBits() {
        return type == SHT_NOBITS;
    }

    /** True for a relocation section ({@code .rel*} or {@code .rela*}). */
    public boolean isRelocations() {
        return type == SHT_REL || type == SHT_RELA;
    }
}
