package io.bpf4j.core.elf;

import io.bpf4j.core.format.FormatException;

/**
 * An ELF file or the BPF object in it could not be read: it is truncated or malformed (the message gives the byte
 * offset and what was expected there), or it uses something bpf4j does not support.
 */
public final class ElfException extends FormatException {
    /** @param message what is wrong, where (file offset, section, symbol) and what was expected */
    public ElfException(String message) {
        super("ELF", message);
    }

    /** As {@link #ElfException(String)}, with the exception that caused this one. */
    public ElfException(String message, Throwable cause) {
        super("ELF", message, cause);
    }
}
