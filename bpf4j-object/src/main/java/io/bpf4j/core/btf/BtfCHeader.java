package io.bpf4j.core.btf;

import java.io.IOException;

/**
 * Writes BTF as a C header: for vmlinux's BTF, a {@code vmlinux.h} equivalent to
 * {@code bpftool btf dump file /sys/kernel/btf/vmlinux format c}, which CO-RE programs include instead of kernel
 * headers.
 *
 * <p>The header has an include guard and wraps everything in
 * {@code #pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)}, so that every
 * field access to a kernel struct is recorded as a CO-RE relocation (define {@code BPF_NO_PRESERVE_ACCESS_INDEX}
 * to opt out). Types come in dependency order: a struct is defined before it is used by value, and declared
 * ({@code struct foo;}) where only a pointer to it is needed, which is how pointer cycles are broken. Anonymous
 * structs, unions and enums are written inline; bitfields, arrays and function pointers are spelled as in C;
 * gaps in a layout become unnamed bitfields ({@code long: 64;}) and layouts that need it are
 * {@code __attribute__((packed))}, so sizes and offsets match the BTF. Names that occur more than once (distinct
 * types with one name, duplicate enumerators) get bpftool's {@code ___2}, {@code ___3} suffixes.
 * Functions, variables and data sections are not written (as bpftool does not).
 */
public final class BtfCHeader {
    private BtfCHeader() {
    }

    /** The header for {@code btf}, guarded by {@code __VMLINUX_H__}. */
    public static String of(Btf btf) {
        return of(btf, "__VMLINUX_H__");
    }

    /** The header for {@code btf}, guarded by {@code guard} (a C identifier). */
    public static String of(Btf btf, String guard) {
        StringBuilder sb = new StringBuilder(1 << 20);
        try {
            write(btf, guard, sb);
        } catch (IOException e) {
            throw new IllegalStateException("a StringBuilder does not fail", e);
        }
        return sb.toString();
    }

    /** Writes the header for {@code btf}, guarded by {@code guard}, to {@code out}. */
    public static void write(Btf btf, String guard, Appendable out) throws IOException {
        if (!guard.matches("[A-Za-z_][A-Za-z0-9_]*"))
            throw new IllegalArgumentException("'" + guard + "' is not a C identifier");
        out.append("#ifndef ").append(guard).append("\n#define ").append(guard).append("\n\n");
        out.append("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n");
        out.append("#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n");
        out.append("#endif\n\n");
        new CDeclarations(btf, out).writeAll();
        out.append("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n");
        out.append("#endif /* ").append(guard).append(" */\n");
    }
}
