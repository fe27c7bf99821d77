package io.bpf4j.core.elf;

/**
 * One relocation ({@code Elf64_Rel}, or {@code Elf64_Rela} with an addend): the bytes at {@link #offset()} of the
 * section it applies to refer to {@link #symbol()}.
 *
 * @param offset the byte offset within the target section (for code: 8 × the instruction's slot)
 * @param symbol the symbol referred to
 * @param type   the relocation type: {@link #R_BPF_64_64}, {@link #R_BPF_64_32}…
 * @param addend the explicit addend of a {@code .rela} entry, 0 for {@code .rel} (BPF keeps addends in the
 *               instruction itself)
 */
public record ElfRelocation(long offset, ElfSymbol symbol, int type, long addend) {

    /** No relocation. */
    public static final int R_BPF_NONE = 0;
    /** A 64-bit immediate load ({@code ld_imm64}) of a map, global variable, extern or function address. */
    public static final int R_BPF_64_64 = 1;
    /** A 64-bit absolute address in data (e.g. function pointers in a prog array's initial values). */
    public static final int R_BPF_64_ABS64 = 2;
    /** A 32-bit absolute address in data (DWARF and BTF.ext sections). */
    public static final int R_BPF_64_ABS32 = 3;
    /** A 32-bit value in data that the dynamic loader need not touch ({@code .BTF} variable offsets). */
    public static final int R_BPF_64_NODYLD32 = 4;
    /** A call instruction's target: a subprogram (pc-relative) or an extern kfunc. */
    public static final int R_BPF_64_32 = 10;

    /** The relocation type's name, e.g. {@code R_BPF_64_64}, or the number when unknown. */
    public static String typeName(int type) {
        return switch (type) {
            case R_BPF_NONE -> "R_BPF_NONE";
            case R_BPF_64_64 -> "R_BPF_64_64";
            case R_BPF_64_ABS64 -> "R_BPF_64_ABS64";
            case R_BPF_64_ABS32 -> "R_BPF_64_ABS32";
            case R_BPF_64_NODYLD32 -> "R_BPF_64_NODYLD32";
            case R_BPF_64_32 -> "R_BPF_64_32";
            default -> "relocation type " + type;
        };
    }
}
