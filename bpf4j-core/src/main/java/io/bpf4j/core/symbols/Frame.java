package io.bpf4j.core.symbols;

/**
 * One symbolized stack frame: an instruction address and, when known, the function it is in, the offset into
 * that function and the module (kernel image, kernel module, ELF file, or perf map of a JIT) holding it.
 * {@link #toString()} reads like perf and bcc print frames: {@code do_sys_openat2+0x5c [kernel]},
 * {@code bpf4j_spin+0x11 [/tmp/spin]}, {@code Interpreter+0x2a0 [JIT perf-1234.map]}.
 *
 * @param address the instruction address as captured (a return address for all but the innermost frame)
 * @param symbol  the function name, or {@code null} when no symbol covers the address
 * @param offset  {@code address} minus the symbol's start (0 when there is no symbol)
 * @param module  {@code kernel}, a kernel module name, the path of an ELF file, {@code perf-PID.map}, or
 *                {@code null} when the address is in no known mapping
 * @param kind    where the frame runs
 */
public record Frame(long address, String symbol, long offset, String module, Kind kind) {
    /** Where a frame runs. */
    public enum Kind {
        /** Kernel text: vmlinux or a module (symbols from /proc/kallsyms). */
        KERNEL,
        /** User-space code from an ELF file (executable or shared object). */
        USER,
        /**
         * User-space code generated at run time and named in /tmp/perf-PID.map (a JVM's JIT-compiled methods and
         * stubs, V8…); unresolved, an address in a JVM's code cache that its perf map does not name (yet).
         */
        JIT,
        /** A JVM's template interpreter, running a method not compiled (yet): {@code Interpreter} in its perf map. */
        INTERPRETED
    }

    /** A frame no symbol covers. */
    public static Frame unknown(long address, String module, Kind kind) {
        return new Frame(address, null, 0, module, kind);
    }

    /** Whether a symbol was found for the address. */
    public boolean resolved() {
        return symbol != null;
    }

    /**
     * The name stack printers show: the symbol, else {@code [unknown_java]} for an unresolved {@link Kind#JIT} frame
     * (JIT-compiled code the JVM's perf map did not name when it was read), else {@code [unknown]}.
     */
    public String name() {
        return symbol != null ? symbol : kind == Kind.JIT ? "[unknown_java]" : "[unknown]";
    }

    /** {@code symbol+0xOFF [module]}, {@code 0xADDRESS [module]} when unresolved, {@code [unknown]} with no module. */
    @Override
    public String toString() {
        boolean generated = kind == Kind.JIT || kind == Kind.INTERPRETED;
        String where = module == null ? "[unknown]" : generated ? "[JIT " + module + "]" : "[" + module + "]";
        if (symbol == null) return "0x" + Long.toHexString(address) + " " + where;
        return symbol + "+0x" + Long.toHexString(offset) + " " + where;
    }
}
