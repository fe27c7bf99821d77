package io.bpf4j.core.btf;

import io.bpf4j.core.BpfException;

/**
 * BTF could not be read or used: it is malformed or truncated (the message gives the byte offset and what was
 * expected there), a type was not found, or a type cannot be laid out. Never comes from a system call, so
 * {@link #errnoCode()} is 0.
 */
public final class BtfException extends BpfException {
    /** @param message what failed, where (offset or type id) and what was expected */
    public BtfException(String message) {
        super("BTF", 0, message);
    }

    /** As {@link #BtfException(String)}, with the exception that caused this one. */
    public BtfException(String message, Throwable cause) {
        super("BTF", 0, message, cause);
    }
}
