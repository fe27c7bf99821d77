package io.bpf4j.core.format;

/**
 * A file or a byte buffer could not be understood: an ELF object, BTF, an instruction stream or a BPF object
 * convention is malformed, truncated or unsupported. The message says what is wrong and where (byte offset,
 * section, symbol, type id) and what was expected there. Never comes from a system call: the kernel's refusals
 * are {@code io.bpf4j.core.error.BpfException}s.
 */
public class FormatException extends RuntimeException {
    private final String format;

    /**
     * @param format  what was being read, e.g. {@code "ELF"} or {@code "BTF"}
     * @param message what is wrong, where and what was expected
     */
    public FormatException(String format, String message) {
        this(format, message, null);
    }

    /** As {@link #FormatException(String, String)}, with the exception that caused this one. */
    public FormatException(String format, String message, Throwable cause) {
        super(message, cause);
        this.format = format;
    }

    /** What was being read: {@code "ELF"}, {@code "BTF"}, … */
    public String format() {
        return format;
    }
}
