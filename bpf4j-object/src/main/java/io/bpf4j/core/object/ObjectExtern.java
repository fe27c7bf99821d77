package io.bpf4j.core.object;

/**
 * A symbol a BPF object uses but does not define, which the loader must resolve: a {@code __kconfig} variable
 * (a kernel configuration value such as {@code CONFIG_HZ} or {@code LINUX_KERNEL_VERSION}), or a {@code __ksym}
 * kernel variable or function (kfunc).
 *
 * @param name     the symbol name
 * @param kind     where it comes from
 * @param weak     true for {@code __weak} externs, which resolve to 0 when the kernel lacks them
 * @param function true for an extern function (a kfunc called by the program)
 */
public record ObjectExtern(String name, Kind kind, boolean weak, boolean function) {

    /** Where an extern's value comes from. */
    public enum Kind {
        /** A kernel configuration value ({@code .kconfig}): from /proc/config.gz, or the kernel version. */
        KCONFIG,
        /** A kernel symbol ({@code .ksyms}): a variable or a kfunc, found in kernel BTF. */
        KSYM
    }
}
