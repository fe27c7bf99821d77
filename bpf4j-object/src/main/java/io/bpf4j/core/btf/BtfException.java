package io.bpf4j.core.btf;

import io.bpf4j.core.format.FormatException;

/**
 * BTF could not be read or used: it is malformed or truncated (the message gives the byte offset and what was
 * expected there), a type was not found, or a type cannot be laid out.
 */
public final class BtfException extends FormatException {
    /** @param message what failed, where (offset or type id) and what was expected */
    public BtfException(String message) {
        super("BTF", message);
    }

    /** As {@link #BtfException(String)}, with the exception that caused this one. */
    public BtfException(String message, Throwable cause) {
        super("BTF", message, cause);
    }
}
