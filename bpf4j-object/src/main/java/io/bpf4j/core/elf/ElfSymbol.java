package io.bpf4j.core.elf;

/**
 * One entry of the symbol table ({@code Elf64_Sym}). In a BPF object, functions (programs and subprograms) are
 * {@link #STT_FUNC} symbols in executable sections, maps are {@link #STT_OBJECT} symbols in {@code .maps}, global
 * variables are objects in {@code .data}/{@code .rodata}/{@code .bss}, and externs ({@code __kconfig},
 * {@code __ksym}) are global symbols of section {@link #SHN_UNDEF}.
 *
 * @param index      the symbol's index in the table (what relocations refer to)
 * @param name       the symbol's name; a section symbol ({@link #STT_SECTION}) takes its section's name
 * @param value      {@code st_value}: in relocatable objects, the byte offset within its section
 * @param size       {@code st_size}: the size of the object or function in bytes
 * @param section    {@code st_shndx}: the index of the section it is defined in, or {@link #SHN_UNDEF},
 *                   {@link #SHN_ABS}, {@link #SHN_COMMON}
 * @param binding    {@link #STB_LOCAL}, {@link #STB_GLOBAL} or {@link #STB_WEAK}
 * @param type       {@link #STT_NOTYPE}, {@link #STT_OBJECT}, {@link #STT_FUNC}, {@link #STT_SECTION}…
 * @param visibility {@link #STV_DEFAULT}, {@link #STV_INTERNAL}, {@link #STV_HIDDEN} or {@link #STV_PROTECTED}
 */
public record ElfSymbol(int index, String name, long value, long size, int section, int binding, int type,
                        int visibility) {

    /** Undefined: an extern the loader must resolve. */
    public static final int SHN_UNDEF = 0;
    /** An absolute value, in no section. */
    public static final int SHN_ABS = 0xfff1;
    /** A common (tentative) definition. */
    public static final int SHN_COMMON = 0xfff2;
    /** The real section index is in {@code .symtab_shndx} (not used by BPF objects). */
    public static final int SHN_XINDEX = 0xffff;

    /** Local: visible only in its object file ({@code static}). */
    public static final int STB_LOCAL = 0;
    /** Global: visible to other object files. */
    public static final int STB_GLOBAL = 1;
    /** Weak: global, but may be missing or overridden ({@code __weak}). */
    public static final int STB_WEAK = 2;

    /** No type given (labels, some externs). */
    public static final int STT_NOTYPE = 0;
    /** A data object: a map definition or a variable. */
    public static final int STT_OBJECT = 1;
    /** A function: a program or subprogram. */
    public static final int STT_FUNC = 2;
    /** Stands for its section (relocations against static data use it). */
    public static final int STT_SECTION = 3;
    /** The source file's name. */
    public static final int STT_FILE = 4;

    /** Default visibility. */
    public static final int STV_DEFAULT = 0;
    /** Internal visibility. */
    public static final int STV_INTERNAL = 1;
    /** Hidden: not exported ({@code __hidden} global subprograms). */
    public static final int STV_HIDDEN = 2;
    /** Protected visibility. */
    public static final int STV_PROTECTED = 3;

    /** True for a function symbol. */
    public boolean isFunction() {
        return type == STT_FUNC;
    }

    /** True for a global or weak symbol. */
    public boolean isGlobal() {
        return binding == STB_GLOBAL || binding == STB_WEAK;
    }

    /** True for a symbol not defined in this object (an extern). */
    public boolean isUndefined() {
        return section == SHN_UNDEF;
    }

    /** True for a symbol defined in section {@code sectionIndex}. */
    public boolean isIn(int sectionIndex) {
        return section == sectionIndex && section != SHN_UNDEF && section < 0xff00;
    }
}
